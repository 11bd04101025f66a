"""Gold: the cockpit the intercommunales steer from — communes grouped by intercommunale and
province, their needs, the data to collect first and the editions' evolution — and its
self-contained pages (region and one folder per group). The engine is ``pipelines.cockpit``."""

from __future__ import annotations

from datetime import date

import dagster as dg

from assets.common import OWNERS, check_results, materialize
from assets.declared import Inputs
from assets.resources import LakeResource
from pipelines.cockpit.build import cockpit_pages, pages_check, region_tables
from pipelines.cockpit.pages import COCKPIT_DIR

REGION_TABLES = ("region_communes", "region_needs", "region_data_priorities", "region_evolution")
KEYS = {name: dg.AssetKey(["gold", name]) for name in REGION_TABLES}
PAGES_KEY = dg.AssetKey(["exports", "cockpit"])
INPUTS = Inputs("silver.communes", "gold.canvas_peers", "gold.canvas_pillars", "gold.actions", "gold.data_cadastre")
PAGE_INPUTS = Inputs(*(f"gold.{name}" for name in REGION_TABLES), "exports.canvas_reports")
DESCRIPTIONS = {
    "region_communes": "One row per commune: its intercommunale (geodata/intercommunales.csv, else the province/arrondissement rule) and province, population, one 0-100 score per journey pillar, its number of priority and data actions, its first action, the link to its report in its group's folder, and its polygon (EPSG:4326).",
    "region_needs": "The needs matrix in long form: every action of every commune's plan with its group, rank and whether it is a priority (the plan's tier: priority or data).",
    "region_data_priorities": "Which source family to collect first, and where: per scope (the region and each group) and family missing or broken in some commune, the communes lacking it (and per group), the indicators and actions it would unlock, the population concerned, ranked.",
    "region_evolution": "Per audit edition, commune and journey pillar, the score: the editions' evolution (only the current edition until the audit keeps its history).",
}


def _spec(name: str) -> dg.AssetSpec:
    return dg.AssetSpec(KEYS[name], deps=INPUTS.deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
                        description=DESCRIPTIONS[name])


@dg.multi_asset(
    specs=[_spec(name) for name in REGION_TABLES],
    check_specs=[dg.AssetCheckSpec("every_commune_grouped", asset=KEYS["region_communes"],
                                   description="Every commune of the Canvas once, in a known intercommunale group.")],
)
def region(lake: LakeResource):  # noqa: ANN201
    """The gold.region_* tables from the Canvas tables."""
    read = INPUTS.reader(lake.lake).read
    results = region_tables(read("silver.communes"), read("gold.canvas_peers"), read("gold.canvas_pillars"),
                            read("gold.actions"), read("gold.data_cadastre"), date.today().isoformat())
    for name, result in results.items():
        yield materialize(lake.lake, KEYS[name], result, multi=True)


@dg.asset(
    key=PAGES_KEY, group_name="exports", kinds={"html", "geopackage"}, owners=OWNERS, deps=PAGE_INPUTS.deps,
    check_specs=[dg.AssetCheckSpec("pages_complete", asset=PAGES_KEY,
                                   description="exports/cockpit/index.html and <group>/index.html exist, no external resource, each group folder holds only its communes' reports and no link leaves it.")],
)
def cockpit(lake: LakeResource) -> dg.MaterializeResult:
    """The cockpit pages (exports/cockpit/): the region page and, per intercommunale, a folder
    that can be published alone — its page (map of the communes by pillar score, needs matrix,
    data-collection priorities, editions' evolution), its communes' reports with a link back,
    and communes.gpkg/.parquet for QGIS. Self-contained: inline SVG, CSS and JavaScript."""
    lk = lake.lake
    read = PAGE_INPUTS.reader(lk).read
    frames = {name: read(f"gold.{name}") for name in REGION_TABLES}
    reports = {p.stem: p.read_text(encoding="utf-8") for p in sorted((lk.exports_local / "reports").glob("*.html")) if p.stem != "index"}
    files, meta = cockpit_pages(frames, reports, date.today().isoformat())
    written = lk.write_exports(files)
    check = pages_check(lk.exports_local / COCKPIT_DIR, frames)
    meta["region_page"] = dg.MetadataValue.path(str(written[f"{COCKPIT_DIR}/index.html"]))
    return dg.MaterializeResult(metadata=meta, check_results=check_results([check]))


assets = [region, cockpit]
EXPORTS = {"region_communes": "The cockpit's communes: intercommunale, province, pillar scores, priority and data actions, report link."}
