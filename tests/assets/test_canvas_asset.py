"""Wiring of the Canvas assets: keys, groups, checks, upstream tables."""

import dagster as dg

from assets import gold
from assets.definitions import defs
from assets.gold import canvas


def test_canvas_keys_checks_and_groups():
    keys = {spec.key for a in canvas.assets for spec in a.specs}
    expected = {("gold", "data_cadastre"), ("gold", "canvas_peers"), ("gold", "canvas"), ("gold", "canvas_pillars"),
                ("gold", "actions"), ("gold", "canvas_scenarios"), ("gold", "consultant_findings"), ("exports", "canvas_reports")}
    assert keys == {dg.AssetKey(list(k)) for k in expected}
    checks = {(c.asset_key.path[-1], c.name) for a in canvas.assets for c in a.check_specs}
    assert checks == {("data_cadastre", "every_commune_every_family"), ("canvas", "one_row_per_commune_indicator"),
                      ("canvas_pillars", "scores_in_range"), ("actions", "actions_have_evidence"),
                      ("canvas_reports", "one_report_per_commune")}
    assert canvas in gold.DOMAINS


def test_canvas_reads_what_it_declares():
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["gold", "canvas"])).parent_keys
    for name in ("gold.data_cadastre", "gold.commune_indicators", "gold.catchment", "gold.footfall_profile", "silver.communes"):
        assert dg.AssetKey(name.split(".")) in parents, name
    cadastre_parents = graph.get(dg.AssetKey(["gold", "data_cadastre"])).parent_keys
    assert dg.AssetKey(["bronze", "kbo"]) in cadastre_parents or any(k.path[0] == "bronze" for k in cadastre_parents)
    report_parents = graph.get(dg.AssetKey(["exports", "canvas_reports"])).parent_keys
    assert {dg.AssetKey(["gold", "actions"]), dg.AssetKey(["gold", "footfall"]), dg.AssetKey(["gold", "friction_cells"])} <= report_parents
    assert set(canvas.TABLES) == {f for f in canvas.CanvasFrames.__dataclass_fields__}


def test_reports_stay_off_the_warehouse_path():
    graph = defs.resolve_asset_graph()
    warehouse = graph.get(dg.AssetKey(["exports", "warehouse"])).parent_keys
    assert dg.AssetKey(["exports", "canvas_reports"]) not in warehouse
    assert dg.AssetKey(["gold", "canvas"]) in warehouse
