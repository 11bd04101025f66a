"""Wiring of the friction multi-asset: its three tables, upstream tables, checks, exports."""

import dagster as dg

from assets import gold
from assets.definitions import defs
from assets.gold import friction


def test_friction_tables_checks_and_upstream():
    spec_keys = {spec.key for spec in friction.friction.specs}
    assert spec_keys == {dg.AssetKey(k) for k in (friction.INDICATORS_KEY, friction.CELLS_KEY, friction.STOPS_KEY)}
    checks = {(c.asset_key.path[-1], c.name) for c in friction.friction.check_specs}
    assert checks == {
        ("commune_indicators", "all_indicators_everywhere"),
        ("commune_indicators", "two_step_conservation"),
        ("commune_indicators", "k_suppression"),
        ("friction_cells", "one_row_per_cell"),
        ("friction_stops", "every_stop_kept"),
    }
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(friction.INDICATORS_KEY)).parent_keys
    for name in ("gold/districts", "gold/h3_cells", "gold/footfall_estimated", "silver/od_flows", "silver/transactions"):
        assert dg.AssetKey(name.split("/")) in upstream, name


def test_friction_layers_are_exported():
    assert {"friction_cells", "friction_stops"} <= set(gold.EXPORTS)
    assert friction in gold.DOMAINS


def test_friction_deps_are_exactly_what_it_reads():
    deps = set(friction.DECLARED.deps)
    assert {dep.asset_key for dep in friction.friction.specs_by_key[dg.AssetKey(friction.INDICATORS_KEY)].deps} == deps
    assert set(friction.INPUTS.values()) | {friction.SOURCE_STATUS} == set(friction.DECLARED.tables)
    keys = set(friction.DECLARED.keys)
    assert "silver.communes" in keys and "bronze.source_status" in keys
    assert not {"silver.sensor_counts", "bronze.kbo"} & keys


def test_read_declared_refuses_undeclared_tables(tmp_path):
    import pytest

    from assets.declared import UndeclaredInput
    from pipelines.lake import Lake

    with pytest.raises(UndeclaredInput, match="not a declared input"):
        friction.DECLARED.reader(Lake(tmp_path)).read("silver.sensor_counts")
