"""Gold: the Smart Commerce Canvas — data inventory, peer lenses, journey scorecard with
uncertainty, action plan, what-if scenarios — and its French reports and styled GIS exports.
The engine is ``pipelines.canvas`` (no Dagster there)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import dagster as dg
import geopandas as gpd
import pandas as pd

from assets import bronze
from assets.common import OWNERS, check_results, preview_md, table_metadata
from assets.declared import Inputs, Reader
from assets.resources import LakeResource
from pipelines.canvas import checks
from pipelines.canvas.build import CanvasFrames, build_canvas, build_exports, build_inventory
from pipelines.canvas.consultant import ConsultantFrames
from pipelines.canvas.report import ReportInputs
from pipelines.lake import Lake
from pipelines.results import Check
from pipelines.sources.registry import FAMILIES

CADASTRE_KEY = ["gold", "data_cadastre"]
PEERS_KEY, CANVAS_KEY, PILLARS_KEY = ["gold", "canvas_peers"], ["gold", "canvas"], ["gold", "canvas_pillars"]
ACTIONS_KEY, SCENARIOS_KEY = ["gold", "actions"], ["gold", "canvas_scenarios"]
FINDINGS_KEY = ["gold", "consultant_findings"]
REPORTS_KEY = ["exports", "canvas_reports"]
TABLES = {
    "communes": "silver.communes", "sectors": "silver.sectors", "shops": "silver.shops", "districts": "gold.districts",
    "sensors": "silver.sensors", "merchants": "silver.merchants", "parking": "silver.parking",
    "vacant": "silver.vacant_cells", "tourism": "silver.tourism", "h3_cells": "gold.h3_cells",
    "friction_cells": "gold.friction_cells", "indicators": "gold.commune_indicators",
    "catchment": "gold.catchment", "footfall_profile": "gold.footfall_profile", "streets": "silver.network_edges",
    "online": "gold.online_journey",
}  # fmt: skip
BRONZE_KEYS = [spec.key for a in bronze.assets for spec in a.specs]
"""Every bronze asset: the inventory counts their accepted rows (Parquet footers) and quarantine."""
SOURCE_STATUS = "bronze.source_status"
LAYER_TABLES = {"footfall": "gold.footfall", "footfall_curve": "gold.footfall_curve"}
CANVAS_TABLES = {"peers": "gold.canvas_peers", "canvas": "gold.canvas", "pillars": "gold.canvas_pillars",
                 "actions": "gold.actions", "scenarios": "gold.canvas_scenarios", "cadastre": "gold.data_cadastre"}
STREETS = "silver.network_edges"
"""Written by ``silver.road_network``; only the Canvas (places of the actions) reads it."""
FRAME_TABLES = [name for name in TABLES.values() if name != STREETS]
CADASTRE_INPUTS = Inputs(*FRAME_TABLES, SOURCE_STATUS)
TYPOLOGY = "bronze.typology"
"""Optional user-supplied commune typology (``nis,typology``): the fourth peer lens."""
CONSULTANT = {"decisions": "bronze.consultant_decisions", "references": "bronze.consultant_references",
              "findings": "bronze.consultant_findings"}
"""The consultant's files (``landing/consultant/<nis>.yaml``), written by ``bronze.consultant``."""
CANVAS_INPUTS = Inputs(*FRAME_TABLES, "gold.data_cadastre", TYPOLOGY, "silver.road_network", "bronze.consultant",
                       tables={"silver.road_network": (STREETS,), "bronze.consultant": tuple(CONSULTANT.values())})
MAP_TABLES = {"streets": STREETS, "comparison": "gold.catchment_comparison"}
"""The report's street basemap and the modelled-vs-observed catchment."""
CONSULTANT_REPORT_TABLES = {"consultant": "gold.consultant_findings", "evolution": "gold.canvas_evolution"}
"""The validation, checklist, tools (``gold.consultant_findings``) and the evolution since the
previous edition (``gold.canvas_evolution``): ``pipelines/canvas/templates/_consultant.html.j2``."""
REPORT_INPUTS = Inputs(
    *dict.fromkeys((*FRAME_TABLES, *LAYER_TABLES.values(), *CANVAS_TABLES.values(), "silver.road_network",
                    "gold.catchment_comparison", "bronze.osm_pois", *CONSULTANT_REPORT_TABLES.values())),
    tables={"silver.road_network": (STREETS,)},
)


CANVAS_COLUMNS = {"gold.h3_cells": ("nis", "shops"), "gold.catchment": ("district_id", "expected_customers")}
"""What the Canvas reads of the tables whose geometry it does not use (the peer features and
the catchment indicator): a table's geometry is most of the time it takes to read it."""
CADASTRE_COLUMNS = {"gold.h3_cells": ("nis",), "gold.catchment": ("district_id",),
                    "gold.friction_cells": ("nis", "population", "pt_class")}
"""What the data inventory reads: the friction cells' columns its public-transport coverage
uses; the H3 cells and the catchment, declared with the Canvas's tables but not used by the
inventory, one key column each (the cheapest read)."""
REPORT_COLUMNS = {"gold.h3_cells": ("nis",)}
"""The reports draw the catchment and friction cells but do not use the H3 cells (declared
with the Canvas's tables): one key column."""


def _read(reader: Reader, name: str, columns: Mapping[str, tuple[str, ...]] | None = None) -> pd.DataFrame | None:
    return reader.read(name, columns=(columns or {}).get(name)) if reader.exists(name) else None


def read_frames(lk: Lake, inputs: Inputs = CANVAS_INPUTS, columns: Mapping[str, tuple[str, ...]] | None = None) -> CanvasFrames:
    """The declared upstream tables (only the ``columns`` given for a table, when given); a
    table not (yet) in the lake stays an empty default."""
    reader = inputs.reader(lk)
    found = {field: frame for field, name in TABLES.items()
             if name in inputs.tables and (frame := _read(reader, name, columns)) is not None}
    return CanvasFrames(**found)


def bronze_counts(lk: Lake) -> tuple[dict[str, int], pd.DataFrame]:
    """Accepted rows per source family (from the Parquet footers) and every quarantine row
    (``family``, ``row_number``) of the bronze assets."""
    counts: dict[str, int] = {}
    quarantine = []
    for family in FAMILIES.values():
        for asset in family.assets:
            owned = [t for t in asset.tables if t in family.bronze]
            counts[family.name] = counts.get(family.name, 0) + sum(lk.num_rows("bronze", t) for t in owned)
            table = f"quarantine/{asset.name}"
            rows = [lk.read("bronze", table, day) for day in lk.days("bronze", table)]
            if lk.exists("bronze", table):
                rows.append(lk.read("bronze", table))
            if rows:
                quarantine.append(pd.concat(rows, ignore_index=True)[["row_number"]].assign(family=family.name))
    frame = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame({"row_number": pd.Series(dtype="int64"), "family": pd.Series(dtype="string")})
    return counts, frame


def _check(key: list[str], check: Check) -> dg.AssetCheckResult:
    return check_results([check], dg.AssetKey(key))[0]


@dg.asset(
    key=CADASTRE_KEY, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
    deps=list(dict.fromkeys([*BRONZE_KEYS, *CADASTRE_INPUTS.deps])),
    check_specs=[dg.AssetCheckSpec("every_commune_every_family", asset=CADASTRE_KEY,
                                   description="One row per commune and source family; statuses held/missing/broken; a missing family lists what it would unlock.")],
)
def data_cadastre(lake: LakeResource):  # noqa: ANN201
    """The data inventory ("cadastre des gisements de données") per commune and source family
    (boundaries, sectors, osm, gtfs, kbo, addresses, wifi, counters, od, vouchers, vacancy,
    parking): status held / missing / broken, provider, licence, coverage (share of population,
    shops or districts covered), freshness (first/last day, gaps), quality (quarantine rate),
    lineage (files and sha256), the Canvas indicators it feeds and, when missing, the
    indicators and data actions it would unlock. Source status from bronze.source_status."""
    lk = lake.lake
    counts, quarantine = bronze_counts(lk)
    frames = read_frames(lk, CADASTRE_INPUTS, CADASTRE_COLUMNS)
    status = CADASTRE_INPUTS.reader(lk).read(SOURCE_STATUS)
    frame = build_inventory(frames, status, counts, quarantine)
    path = lk.write(frame, *CADASTRE_KEY)
    meta = table_metadata(frame, str(path))
    meta["families_by_status"] = preview_md(frame.groupby(["source", "status"]).size().unstack(fill_value=0).reset_index(), rows=20)
    yield dg.MaterializeResult(metadata=meta)
    yield _check(CADASTRE_KEY, checks.cadastre_complete(frame, frames.communes))


def _spec(key: list[str], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=CANVAS_INPUTS.deps,
                        group_name="gold", kinds={"python", "parquet"}, owners=OWNERS, description=description)


@dg.multi_asset(
    specs=[
        _spec(PEERS_KEY, "Peer lenses of every commune: clustering features (population, density, shops per 1,000 inhabitants, attraction, tourism), k-means cluster (k by silhouette) and its French label, neighbouring communes (shared boundary), user typology when supplied."),
        _spec(CANVAS_KEY, "The Canvas scorecard along the customer journey (be found, get there, stay, spend and come back, delivery): per commune and indicator the value, status (computed / not_computable / suppressed) and needed source families; the judgement against its documented reference (threshold from SDG 11.2.1, DG REGIO... with its source and year, gap, 95 % interval, significant or not) and the score against the fixed goalposts; then the peer lens (oriented percentile among all, similar and neighbouring communes), trend, coverage flag, influence, local control, friction priority and rank."),
        _spec(PILLARS_KEY, "Per commune and journey pillar: 0-100 score against fixed, versioned goalposts (geodata/canvas/goalposts.yaml: each indicator placed between its two goalposts, weighted geometric mean; OECD/JRC), so adding a commune never moves another's score; coverage, rank among the communes of the run, and the Monte-Carlo 5-95 % intervals of score and rank (weights, aggregation and goalposts drawn; seeded); goalposts_version, references_version."),
        _spec(ACTIONS_KEY, "The action plan of every commune: catalogue actions (geodata/canvas/actions.yaml) triggered by its scorecard with the evidence values, owner, cost band, KPI and source of the practice, then data actions from its inventory (missing or broken sources)."),
        _spec(FINDINGS_KEY, "What the consultant validated and saw, per commune with a consultant file (landing/consultant/<nis>.yaml): one validation row (who, when, decisions and overrides counted), the IPM-style qualitative checklist (safety, appearance, markets, anchor stores, vision, partnerships... with status and comment) and the digital tools already in place."),
        _spec(SCENARIOS_KEY, "What-if scenarios (geodata/canvas/scenarios.yaml: add a bus stop with departures, a car park, fill vacant cells): before/after of the affected indicators and of every pillar score and rank, per commune."),
    ],
    check_specs=[
        dg.AssetCheckSpec("one_row_per_commune_indicator", asset=CANVAS_KEY, description="Every commune has every catalogue indicator once; not computable rows carry no value and name what they need."),
        dg.AssetCheckSpec("scores_in_range", asset=PILLARS_KEY, description="Scores within 0-100, rank interval contains 1..n ordering (p05 <= p95)."),
        dg.AssetCheckSpec("actions_have_evidence", asset=ACTIONS_KEY, description="Every action has its triggering evidence and an owner."),
    ],
)
def canvas(lake: LakeResource):  # noqa: ANN201
    lk = lake.lake
    reader = CANVAS_INPUTS.reader(lk)
    result = build_canvas(read_frames(lk, columns=CANVAS_COLUMNS), reader.read("gold.data_cadastre"), typology=reader.read(TYPOLOGY),
                          consultant=read_consultant(reader))
    tables = {tuple(PEERS_KEY): result.peers, tuple(CANVAS_KEY): result.canvas, tuple(PILLARS_KEY): result.pillars,
              tuple(ACTIONS_KEY): result.actions, tuple(SCENARIOS_KEY): result.scenarios, tuple(FINDINGS_KEY): result.findings}
    for key, frame in tables.items():
        path = lk.write(frame, *key)
        meta = table_metadata(frame, str(path))
        if key == tuple(PILLARS_KEY):
            meta |= {"k_clusters": result.meta["k"], "silhouettes": result.meta["silhouettes"], "mc_draws": result.meta["draws"], "mc_seed": result.meta["seed"]}
        if key == tuple(ACTIONS_KEY):
            meta |= consultant_metadata(result.actions, result.unmatched)
        yield dg.MaterializeResult(asset_key=dg.AssetKey(list(key)), metadata=meta)
    yield _check(CANVAS_KEY, checks.canvas_complete(result.canvas, result.peers))
    yield _check(PILLARS_KEY, checks.scores_in_range(result.pillars))
    yield _check(ACTIONS_KEY, checks.actions_have_evidence(result.actions))


def read_consultant(reader: Reader) -> ConsultantFrames:
    """The consultant tables (empty ones when bronze has not written them)."""
    found = {field: frame for field, name in CONSULTANT.items() if (frame := _read(reader, name)) is not None}
    return ConsultantFrames(**found)


def consultant_metadata(actions: pd.DataFrame, unmatched: pd.DataFrame) -> dict[str, object]:
    """Actions by status, and the consultant decisions that found no action to apply to."""
    meta: dict[str, object] = {f"actions_{k}": int(v) for k, v in actions["status"].value_counts().items()}
    meta["consultant_decisions_unmatched"] = len(unmatched)
    if len(unmatched):
        meta["unmatched_decisions"] = preview_md(unmatched[["nis", "decision", "action", "line"]], rows=50)
    return meta


@dg.asset(
    key=REPORTS_KEY, group_name="exports", kinds={"html", "geopackage", "csv"}, owners=OWNERS,
    deps=REPORT_INPUTS.deps,
    check_specs=[dg.AssetCheckSpec("one_report_per_commune", asset=REPORTS_KEY, description="exports/reports/<nis>.html for every commune and index.html, self-contained (no external URL).")],
)
def canvas_reports(lake: LakeResource):  # noqa: ANN201
    """The French Canvas report of every commune (exports/reports/<nis>.html) and the index,
    self-contained (inline SVG maps and charts, no CDN) and printable; the scorecard as CSV
    (exports/canvas_scorecard.csv) and the styled GeoPackage exports/canvas.gpkg (pillar
    scores, districts, catchment tiers, footfall and friction cells) with French layer titles
    and QGIS default styles in its layer_styles table."""
    lk = lake.lake
    inputs = report_inputs(lk)
    files = build_exports(inputs)
    written = lk.write_exports(files)
    communes = set(inputs.peers["nis"].astype(str))
    yield dg.MaterializeResult(metadata={"reports": sum(1 for name in files if name.removeprefix("reports/").removesuffix(".html") in communes),
                                         "index": dg.MetadataValue.path(str(written["reports/index.html"])),
                                         "canvas_gpkg": dg.MetadataValue.path(str(written["canvas.gpkg"])),
                                         "bytes_written": sum(len(content) for content in files.values())})
    yield _check(REPORTS_KEY, checks.reports_complete(files, inputs.peers))


def report_inputs(lk: Lake) -> ReportInputs:
    """Read the Canvas tables and the map layers for the reports."""
    frames = read_frames(lk, REPORT_INPUTS, REPORT_COLUMNS)
    reader = REPORT_INPUTS.reader(lk)
    layers = {field: _read(reader, name) for field, name in (LAYER_TABLES | MAP_TABLES).items()}
    result = {field: reader.read(name) for field, name in CANVAS_TABLES.items()}
    meta = checks.report_meta(result["pillars"], result["peers"], result["cadastre"], date.today().isoformat())
    return ReportInputs(catalogue=checks.catalogue(), communes=frames.communes, districts=frames.districts, catchment=frames.catchment,
                        friction_cells=frames.friction_cells, footfall=layers["footfall"] if layers["footfall"] is not None else frames.friction_cells.iloc[0:0],
                        footfall_curve=layers["footfall_curve"] if layers["footfall_curve"] is not None else pd.DataFrame(),
                        streets=layers["streets"], places=map_places(_read(reader, "bronze.osm_pois"), frames.tourism),
                        comparison=layers["comparison"], shops=frames.shops,
                        **{field: reader.read(name) if reader.exists(name) else pd.DataFrame()
                           for field, name in CONSULTANT_REPORT_TABLES.items()},
                        meta=meta, **result)


def map_places(pois: pd.DataFrame | None, tourism: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """Names written on the report's maps: the OSM places (``place=*``: town, village,
    hamlet...) first, then the named tourism points."""
    parts = []
    if pois is not None and len(pois) and "kind" in pois.columns:
        parts.append(pois[pois["kind"] == "place"])
    if isinstance(tourism, gpd.GeoDataFrame) and len(tourism):
        parts.append(tourism)
    parts = [p[["name", "subtype", "geometry"]] for p in parts if len(p)]
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)


assets = [data_cadastre, canvas, canvas_reports]
EXPORTS: dict[str, str] = {}
