"""Entry points of the Canvas engine, one per asset, working on frames only.

* :func:`build_inventory` -> ``gold.data_cadastre``
* :func:`build_canvas` -> ``gold.canvas_peers``, ``gold.canvas``, ``gold.canvas_pillars``,
  ``gold.actions``, ``gold.canvas_scenarios``
* :func:`build_exports` -> reports (HTML), scorecard CSV and styled GeoPackages, as bytes by
  file name (``exports.canvas_reports`` writes them through the lake)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import online
from pipelines.canvas import cadastre as cad
from pipelines.canvas import qgis, report, scoring, whatif
from pipelines.canvas.actions import build_actions
from pipelines.canvas.catalogue import FAMILIES, Catalogue, load_catalogue
from pipelines.canvas.consultant import ConsultantFrames, apply_decisions, findings_table, overrides
from pipelines.canvas.peers import build_peers, commune_features, typology_map
from pipelines.canvas.places import commune_places
from pipelines.canvas.references import contexts, size_derived
from pipelines.canvas.scorecard import (
    build_scorecard,
    commune_values,
    derived_values,
    resolve_status,
    wide,
)
from pipelines.exports import csv_bytes
from pipelines.lake import table_bytes


def _empty_geo() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"nis": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))


@dataclass
class CanvasFrames:
    """The lake tables the Canvas reads (a missing table is an empty frame)."""

    communes: gpd.GeoDataFrame
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    shops: pd.DataFrame = field(default_factory=pd.DataFrame)
    districts: gpd.GeoDataFrame = field(default_factory=_empty_geo)
    sensors: gpd.GeoDataFrame = field(default_factory=_empty_geo)
    merchants: pd.DataFrame = field(default_factory=pd.DataFrame)
    parking: pd.DataFrame = field(default_factory=pd.DataFrame)
    vacant: gpd.GeoDataFrame = field(default_factory=_empty_geo)
    tourism: pd.DataFrame = field(default_factory=pd.DataFrame)
    h3_cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    friction_cells: gpd.GeoDataFrame = field(default_factory=_empty_geo)
    indicators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["nis", "district_id", "indicator", "value", "unit", "reference"]))
    catchment: gpd.GeoDataFrame = field(default_factory=_empty_geo)
    footfall_profile: pd.DataFrame = field(default_factory=pd.DataFrame)
    streets: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The street network (``silver.network_edges``): names the streets of a district."""
    online: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``gold.online_journey``: the merchant survey's indicators per commune."""


def build_inventory(frames: CanvasFrames, status: pd.DataFrame,
                    rows_accepted: Mapping[str, int], quarantine: pd.DataFrame,
                    catalogue: Catalogue | None = None) -> pd.DataFrame:
    """``gold.data_cadastre``: one row per commune and source family.

    ``status`` is ``bronze.source_status``; ``rows_accepted`` the accepted bronze rows per
    family; ``quarantine`` the quarantine rows with their ``family``.
    """
    catalogue = catalogue or load_catalogue()
    inputs = cad.CoverageInputs(frames.communes, frames.sectors, frames.shops, frames.districts, frames.sensors,
                                frames.merchants, frames.parking, frames.vacant, frames.friction_cells, frames.indicators,
                                frames.online)
    quality = cad.quality_by_family(rows_accepted, quarantine)
    return cad.build_cadastre(status, quality, cad.coverage_table(inputs), frames.communes, catalogue)


@dataclass(frozen=True)
class CanvasResult:
    peers: pd.DataFrame
    canvas: pd.DataFrame
    pillars: pd.DataFrame
    actions: pd.DataFrame
    scenarios: pd.DataFrame
    meta: dict[str, Any]
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``gold.consultant_findings``: validation, checklist and digital tools per commune."""
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Consultant decisions that found no action in their commune's plan (or no commune)."""


def canvas_values(frames: CanvasFrames, features: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Commune values of every Canvas indicator: ``gold.commune_indicators``, the derived ones
    and the size-driven counts per inhabitant or per district."""
    indicators = pd.concat([frames.indicators, online.canvas_rows(frames.online)], ignore_index=True) if len(frames.online) else frames.indicators
    values = commune_values(indicators, derived_values(features, frames.footfall_profile, frames.catchment, frames.districts))
    population = dict(zip(features["nis"].astype(str), features["population"].astype(float), strict=True))
    n_districts = frames.districts.assign(nis=frames.districts["nis"].astype(str)).groupby("nis").size().to_dict() if len(frames.districts) else {}
    sized = size_derived(values, catalogue, population, n_districts)
    return pd.concat([values, sized], ignore_index=True) if len(sized) else values


def reference_values(frames: CanvasFrames, cadastre: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Long rows (``nis``, ``indicator``, ``value``, ``status``) of a reference set of communes,
    as the Canvas resolves them, without any goalposts: the input of
    :func:`pipelines.canvas.references.compute_goalposts`."""
    catalogue = catalogue or load_catalogue()
    features = commune_features(frames.communes, frames.h3_cells, frames.districts, frames.catchment, frames.tourism)
    values = canvas_values(frames, features, catalogue)
    return resolve_status(values, features["nis"].astype(str).tolist(), cad.held_by_commune(cadastre), catalogue)


def build_canvas(frames: CanvasFrames, cadastre: pd.DataFrame, catalogue: Catalogue | None = None,
                 scenarios: Mapping[str, Any] | None = None, typology: pd.DataFrame | None = None,
                 draws: int = scoring.MC_DRAWS, seed: int = scoring.MC_SEED, as_of: date | None = None,
                 consultant: ConsultantFrames | None = None) -> CanvasResult:
    """Peers, scorecard (absolute judgement first, peers second; scores against fixed
    goalposts) with uncertainty, the action plan (targets dated from ``as_of``, default today)
    and what-if scenarios; the consultant's files (``consultant``) override references,
    accept, reject and add actions, and give the findings (:mod:`pipelines.canvas.consultant`)."""
    catalogue = catalogue or load_catalogue()
    consultant = consultant or ConsultantFrames()
    scenarios = whatif.load_scenarios() if scenarios is None else scenarios
    features = commune_features(frames.communes, frames.h3_cells, frames.districts, frames.catchment, frames.tourism)
    peers = build_peers(features, frames.communes, typology_map(typology))
    held = cad.held_by_commune(cadastre)
    values = canvas_values(frames, features, catalogue)
    card = build_scorecard(values, peers.table, held, cadastre, catalogue, draws=draws, seed=seed,
                           contexts=contexts(features, frames.vacant, frames.footfall_profile, online.respondents(frames.online)),
                           overrides=overrides(consultant.references))
    places = commune_places(frames.districts, frames.streets, frames.vacant)
    proposed = build_actions(card.canvas, cadastre, catalogue, places, as_of)
    actions, unmatched = apply_decisions(proposed, consultant.decisions, card.canvas, catalogue)
    names = dict(zip(peers.table["nis"].astype(str), peers.table["commune"].astype(str), strict=True))
    findings = findings_table(consultant.findings, consultant.decisions, consultant.references, names)
    communes = peers.table["nis"].astype(str).tolist()
    matrix = wide(resolve_status(values, communes, held, catalogue), catalogue, communes)
    inputs = whatif.ScenarioInputs(frames.friction_cells, frames.districts, frames.vacant,
                                   dict(zip(features["nis"], features["population"].astype(float), strict=True)))
    scenario_table = whatif.run_scenarios(matrix, catalogue, dict(scenarios), inputs)
    silhouettes = ", ".join(f"k={k}: {v:.2f}".replace(".", ",") for k, v in peers.silhouettes.items())
    table = peers.table.assign(k_clusters=peers.k, cluster_criterion=f"{peers.criterion} ; silhouettes {silhouettes}")
    meta = {"k": peers.k, "silhouettes": ", ".join(f"k={k}: {v:.2f}" for k, v in peers.silhouettes.items()),
            "criterion": peers.criterion, "draws": draws, "seed": seed,
            "typology": bool(peers.table["typology"].notna().any()),
            "goalposts_version": catalogue.goalposts_version, "references_version": catalogue.references_version}
    meta["consultant_files"] = int(findings["nis"].nunique()) if len(findings) else 0
    return CanvasResult(table, card.canvas, card.pillars, actions, scenario_table, meta, findings, unmatched)


def build_exports(inputs: report.ReportInputs) -> dict[str, bytes]:
    """The files of the reports asset, by name relative to ``exports/``: the reports
    (``reports/<nis>.html`` + ``reports/index.html``), the scorecard as CSV
    (``canvas_scorecard.csv``), the styled GeoPackage ``canvas.gpkg`` (scorecard, districts,
    catchment tiers, footfall and friction cells, French titles, QGIS styles) and the
    scorecard layer alone as GeoParquet and styled GeoPackage (``canvas_scorecard.parquet``,
    ``canvas_scorecard.gpkg``). Bytes only: the caller writes them."""
    files = report.render_reports(inputs)
    files["canvas_scorecard.csv"] = csv_bytes(qgis.scorecard_csv(inputs.canvas), encoding="utf-8")
    layers = styled_layers(inputs)
    files["canvas.gpkg"] = qgis.styled_gpkg(layers)
    scorecard = layers[0]
    files["canvas_scorecard.parquet"] = table_bytes(scorecard.frame)
    files["canvas_scorecard.gpkg"] = qgis.styled_gpkg([qgis.StyledLayer("canvas_scorecard", scorecard.frame, scorecard.title_fr, scorecard.qml)])
    return files


def styled_layers(inp: report.ReportInputs) -> list[qgis.StyledLayer]:
    """The layers of ``canvas.gpkg`` with their French titles and QGIS styles."""
    score = qgis.scorecard_layer(inp.pillars, inp.communes)
    cells = inp.friction_cells[["h3", "nis", "population", "pt_class", "pt_departures_per_hour", "walk_min_to_district", "flow_status", "geometry"]].rename(
        columns={"nis": "ins", "pt_class": "classe_desserte", "pt_departures_per_hour": "departs_par_heure", "walk_min_to_district": "minutes_a_pied_au_noyau", "flow_status": "statut_flux"})
    foot = inp.footfall.reindex(columns=["h3", "nis", "commune", "footfall_daily", "low", "high", "basis", "geometry"]).rename(
        columns={"nis": "ins", "footfall_daily": "passants_par_jour", "low": "borne_basse", "high": "borne_haute", "basis": "base"})
    tiers = inp.catchment[["district_id", "tier", "population", "expected_customers", "share", "geometry"]].rename(
        columns={"district_id": "noyau", "tier": "zone", "expected_customers": "clients_attendus", "share": "part"})
    dist = inp.districts[["district_id", "nis", "n_shops", "retail_floor_proxy_m2", "geometry"]].rename(
        columns={"district_id": "noyau", "nis": "ins", "n_shops": "commerces", "retail_floor_proxy_m2": "surface_commerciale_m2"})
    edges = np.quantile(foot["passants_par_jour"].dropna(), [0, .2, .4, .6, .8, 1]) if foot["passants_par_jour"].notna().any() else np.linspace(0, 1, 6)
    pal = report.FOOTFALL_PALETTE
    layers = [
        qgis.StyledLayer("scores_communes", score, "Canvas : scores des communes par étape (couleur : Venir)", qgis.graduated_qml("score_venir", qgis.SCORE_RANGES, "/100")),
        qgis.StyledLayer("noyaux", dist, "Noyaux commerciaux", qgis.outline_qml("#c0392b")),
        qgis.StyledLayer("zones_chalandise", tiers, "Zones de chalandise (Huff, 60/80/95 %)",
                         qgis.categorized_qml("zone", [(t, lab, report.TIER_COLOURS[t]) for t, lab in ((1, "primaire"), (2, "secondaire"), (3, "tertiaire"))])),
        qgis.StyledLayer("frequentation", foot, "Fréquentation piétonne (passants par jour)",
                         qgis.graduated_qml("passants_par_jour", [(float(edges[i]), float(edges[i + 1]), pal[i]) for i in range(5)], "passants/jour")),
        qgis.StyledLayer("cellules_friction", cells, "Cellules de friction : desserte en transports en commun",
                         qgis.categorized_qml("classe_desserte", [(k, report.PT_FR[k], c) for k, c in report.PT_COLOURS.items()])),
    ]
    return [layer for layer in layers if len(layer.frame)]


__all__ = ["FAMILIES", "CanvasFrames", "CanvasResult", "build_canvas", "build_exports", "build_inventory"]
