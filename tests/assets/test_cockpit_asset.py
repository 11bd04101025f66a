"""Wiring of the cockpit assets: keys, groups, checks, what they read, the GIS export."""

import sys
from pathlib import Path

import dagster as dg

from assets import exports, gold
from assets.definitions import defs
from assets.gold import cockpit
from assets.resources import LakeResource
from pipelines.lake import Lake


def test_cockpit_keys_groups_and_checks():
    specs = {spec.key: spec for a in cockpit.assets for spec in a.specs}
    assert set(specs) == {dg.AssetKey(["gold", n]) for n in cockpit.REGION_TABLES} | {dg.AssetKey(["exports", "cockpit"])}
    assert {s.group_name for k, s in specs.items() if k.path[0] == "gold"} == {"gold"}
    assert specs[cockpit.PAGES_KEY].group_name == "exports"
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


def test_cockpit_assets_on_a_tiny_lake(tmp_path):
    """Both assets on the hand-made region of tests/unit/cockpit/cockpit_support.py."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cockpit"))
    import cockpit_support as tiny

    lake = Lake(tmp_path)
    lake.write(tiny.communes(), "silver", "communes")
    for name, frame in {"canvas_peers": tiny.peers(), "canvas_pillars": tiny.pillars(), "actions": tiny.actions(), "data_cadastre": tiny.cadastre()}.items():
        lake.write(frame, "gold", name)
    reports = tmp_path / "exports" / "reports"
    reports.mkdir(parents=True)
    for n in tiny.NIS:
        (reports / f"{n}.html").write_text(f"<html><body><a href=\"index.html\">index</a>{n}</body></html>", encoding="utf-8")
    result = dg.materialize([cockpit.region, cockpit.cockpit], resources={"lake": LakeResource(root=str(tmp_path))})
    assert result.success
    assert {(e.check_name, e.passed) for e in result.get_asset_check_evaluations()} == {("every_commune_grouped", True), ("pages_complete", True)}
    assert set(lake.read("gold", "region_communes")["group"]) == {"bep", "spi", "idea"}
    assert (tmp_path / "exports" / "cockpit" / "idea" / "rapports" / "53001.html").exists()
