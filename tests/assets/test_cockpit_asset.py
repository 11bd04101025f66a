"""Wiring of the cockpit assets: keys, groups, checks, what they read, the GIS export."""

import dagster as dg

from assets import exports, gold
from assets.definitions import defs
from assets.gold import cockpit


def test_cockpit_keys_groups_and_checks():
    specs = {spec.key: spec for a in cockpit.assets for spec in a.specs}
    assert set(specs) == {dg.AssetKey(["gold", n]) for n in cockpit.REGION_TABLES} | {dg.AssetKey(["exports", "cockpit"])}
    assert {s.group_name for k, s in specs.items() if k.path[0] == "gold"} == {"gold"}
    assert specs[dg.AssetKey(["exports", "cockpit"])].group_name == "exports"
    assert all(s.description and s.owners for s in specs.values())
    checks = {(c.asset_key.path[-1], c.name) for a in cockpit.assets for c in a.check_specs}
    assert checks == {("region_communes", "every_commune_grouped"), ("cockpit", "pages_complete")}
    assert cockpit in gold.DOMAINS and "region_communes" in exports.EXPORTED


def test_cockpit_reads_the_canvas_tables_and_the_reports():
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["gold", "region_communes"])).parent_keys
    assert parents == {dg.AssetKey(k.split(".")) for k in cockpit.INPUTS.keys}
    pages = graph.get(dg.AssetKey(["exports", "cockpit"])).parent_keys
    assert dg.AssetKey(["exports", "canvas_reports"]) in pages and dg.AssetKey(["gold", "region_needs"]) in pages
