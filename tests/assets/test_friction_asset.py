"""Wiring of the friction multi-asset: its three tables, upstream tables, checks, exports."""

import dagster as dg

from assets import gold
from assets.definitions import defs
from assets.gold import friction


def test_friction_tables_checks_and_upstream():
    spec_keys = {spec.key for a in friction.assets for spec in a.specs}
    assert spec_keys == {
        dg.AssetKey(k)
        for k in (friction.INDICATORS_KEY, friction.CELLS_KEY, friction.STOPS_KEY, friction.STATIC_KEY, friction.STATIC_CELLS_KEY)
    }
    checks = {(c.asset_key.path[-1], c.name) for a in friction.assets for c in a.check_specs}
    assert checks == {
        ("commune_indicators", "all_indicators_everywhere"),
        ("friction_static_cells", "two_step_conservation"),
        ("commune_indicators", "k_suppression"),
        ("friction_cells", "one_row_per_cell"),
        ("friction_stops", "every_stop_kept"),
    }
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(friction.INDICATORS_KEY)).parent_keys
    for name in ("gold/districts", "gold/h3_cells", "gold/footfall_estimated", "silver/od_flows", "silver/transactions",
                 "gold/friction_static", "gold/friction_static_cells"):
        assert dg.AssetKey(name.split("/")) in upstream, name


def test_the_static_step_reads_no_daily_table_and_the_nightly_refresh_leaves_it_out():
    from assets.automation import refresh_day_selection

    graph = defs.resolve_asset_graph()
    static = {dg.AssetKey(k) for k in (friction.STATIC_KEY, friction.STATIC_CELLS_KEY, friction.STOPS_KEY)}
    assert not set(friction.STATIC_DECLARED.tables) & friction.DAILY
    refreshed = refresh_day_selection(list(defs.assets)).resolve(graph)
    assert not static & refreshed
    assert {dg.AssetKey(friction.INDICATORS_KEY), dg.AssetKey(friction.CELLS_KEY)} <= refreshed
    assert static <= dg.AssetSelection.all().resolve(graph)


def test_friction_layers_are_exported():
    assert {"friction_cells", "friction_stops"} <= set(gold.EXPORTS)
    assert friction in gold.DOMAINS


def test_friction_deps_are_exactly_what_it_reads():
    deps = set(friction.DECLARED.deps)
    assert {dep.asset_key for dep in friction.friction.specs_by_key[dg.AssetKey(friction.INDICATORS_KEY)].deps} == deps
    assert set(friction.INPUTS.values()) | {friction.SOURCE_STATUS, *friction.STATIC_TABLES} == set(friction.DECLARED.tables)
    static = {dep.asset_key for dep in friction.friction_static.specs_by_key[dg.AssetKey(friction.STATIC_KEY)].deps}
    assert static == set(friction.STATIC_DECLARED.deps)
    assert not {dg.AssetKey(["silver", "od_flows"]), dg.AssetKey(["silver", "transactions"])} & static
    keys = set(friction.DECLARED.keys)
    assert "silver.communes" in keys and "bronze.source_status" in keys
    assert not {"silver.sensor_counts", "bronze.kbo"} & keys


def test_read_declared_refuses_undeclared_tables(tmp_path):
    import pytest

    from assets.declared import UndeclaredInput
    from pipelines.lake import Lake

    with pytest.raises(UndeclaredInput, match="not a declared input"):
        friction.DECLARED.reader(Lake(tmp_path)).read("silver.sensor_counts")
