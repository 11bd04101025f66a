"""GIS exports of the Canvas that open styled in QGIS: French column labels, French layer
titles (``gpkg_contents.identifier``) and QGIS styles stored in the GeoPackage's
``layer_styles`` table (the table QGIS itself writes with "Save as default" and reads when a
layer is added)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pandas as pd

from pipelines.exports import for_gpkg, gpkg_bytes

SCORE_RANGES = ((0, 20, "#d7301f"), (20, 40, "#fc8d59"), (40, 60, "#fee08b"), (60, 80, "#91cf60"), (80, 100.0001, "#1a9850"))

SCORECARD_FR = {
    "nis": "ins", "commune": "commune", "pillar_fr": "etape", "indicator": "indicateur", "name_fr": "libelle",
    "value": "valeur", "unit": "unite", "status": "statut", "needs": "necessite", "percentile_all": "percentile_toutes",
    "percentile_cluster": "percentile_semblables", "percentile_neighbours": "percentile_voisines",
    "threshold": "seuil", "threshold_gap": "ecart_au_seuil", "threshold_met": "seuil_atteint",
    "threshold_source": "source_du_seuil", "trend": "tendance", "coverage_flag": "couverture",
    "influence": "influence", "control": "maitrise_locale", "friction_rank": "rang_friction",
}  # fmt: skip


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _fill_symbol(name: str, colour: str, outline: str = "#404040", width: float = 0.2, alpha: float = 1.0) -> str:
    opts = {"color": _rgba(colour), "outline_color": _rgba(outline), "outline_width": str(width),
            "outline_width_unit": "MM", "style": "solid" if colour != "none" else "no", "outline_style": "solid"}
    options = "".join(f"<Option name={quoteattr(k)} value={quoteattr(v)} type=\"QString\"/>" for k, v in opts.items())
    return (f"<symbol type=\"fill\" name={quoteattr(name)} alpha=\"{alpha}\" clip_to_extent=\"1\" force_rhr=\"0\">"
            f"<layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\"><Option type=\"Map\">{options}</Option></layer></symbol>")


def _qml(renderer: str) -> str:
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            f"<qgis version=\"3.28.0\" styleCategories=\"Symbology\">{renderer}</qgis>")


def categorized_qml(field: str, categories: Sequence[tuple[str, str, str]]) -> str:
    """A categorised fill style: (value, French label, colour) per category."""
    cats = "".join(f"<category render=\"true\" value={quoteattr(str(v))} label={quoteattr(lab)} symbol=\"{i}\"/>" for i, (v, lab, _) in enumerate(categories))
    syms = "".join(_fill_symbol(str(i), c) for i, (_, _, c) in enumerate(categories))
    return _qml(f"<renderer-v2 type=\"categorizedSymbol\" attr={quoteattr(field)} symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">"
                f"<categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2>")


def graduated_qml(field: str, ranges: Sequence[tuple[float, float, str]], unit: str = "") -> str:
    """A graduated fill style: (lower, upper, colour) per class."""
    rs = "".join(f"<range render=\"true\" lower=\"{lo}\" upper=\"{hi}\" label={quoteattr(f'{lo:g} – {hi:g} {unit}'.strip())} symbol=\"{i}\"/>" for i, (lo, hi, _) in enumerate(ranges))
    syms = "".join(_fill_symbol(str(i), c) for i, (_, _, c) in enumerate(ranges))
    return _qml(f"<renderer-v2 type=\"graduatedSymbol\" attr={quoteattr(field)} graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">"
                f"<ranges>{rs}</ranges><symbols>{syms}</symbols></renderer-v2>")


def outline_qml(colour: str, width: float = 0.8) -> str:
    return _qml(f"<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\"><symbols>{_fill_symbol('0', colour, colour, width, 0.5)}</symbols></renderer-v2>")


@dataclass(frozen=True)
class StyledLayer:
    name: str
    frame: gpd.GeoDataFrame
    title_fr: str
    qml: str


def _styles_frame(layers: Sequence[StyledLayer]) -> pd.DataFrame:
    return pd.DataFrame({
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": [layer.name for layer in layers],
        "f_geometry_column": "geom", "styleName": [layer.title_fr for layer in layers],
        "styleQML": [layer.qml for layer in layers], "styleSLD": "", "useAsDefault": True,
        "description": [f"Style Smart Commerce Canvas : {layer.title_fr}" for layer in layers],
        "owner": "smartcommerce", "ui": "", "update_time": pd.Timestamp("2026-01-01"),
    })


def styled_gpkg(layers: Sequence[StyledLayer]) -> bytes:
    """One GeoPackage, as bytes, holding every layer, its French title and description
    (``gpkg_contents``) and its default QGIS style (``layer_styles``)."""
    parts = [(layer.name, for_gpkg(layer.frame)) for layer in layers]
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(gpkg_bytes([*parts, ("layer_styles", _styles_frame(layers))]))
        for layer in layers:
            con.execute("UPDATE gpkg_contents SET identifier = ?, description = ? WHERE table_name = ?",
                        (layer.title_fr, layer.title_fr, layer.name))
        con.commit()
        return con.serialize()
    finally:
        con.close()


def scorecard_layer(pillars: pd.DataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per commune with every pillar's score, rank and rank interval (French
    column names, e.g. ``score_venir``, ``rang_venir``, ``rang_p05_venir``)."""
    short = {"be_found": "etre_trouve", "buy_online": "acheter_en_ligne", "get_there": "venir", "stay": "rester", "spend": "depenser", "delivery": "livraison"}
    wide = communes[["nis", "name_fr", "population", "geometry"]].assign(nis=communes["nis"].astype(str)).rename(columns={"nis": "ins", "name_fr": "commune"})
    for code, label in short.items():
        p = pillars[pillars["pillar"] == code].set_index(pillars.loc[pillars["pillar"] == code, "nis"].astype(str))
        for src, dst in (("score", "score"), ("score_p05", "score_p05"), ("score_p95", "score_p95"), ("rank", "rang"), ("rank_p05", "rang_p05"), ("rank_p95", "rang_p95")):
            wide[f"{dst}_{label}"] = wide["ins"].map(p[src]) if len(p) else float("nan")
    return gpd.GeoDataFrame(wide, geometry="geometry", crs=communes.crs)


def scorecard_csv(canvas: pd.DataFrame) -> pd.DataFrame:
    """The long scorecard with French column names; lists as comma-separated text."""
    out = canvas[list(SCORECARD_FR)].rename(columns=SCORECARD_FR).copy()
    out["necessite"] = out["necessite"].map(lambda v: ", ".join(v) if len(v) else "")
    out["statut"] = out["statut"].map({"computed": "calculé", "not_computable": "non calculable", "suppressed": "masqué"})
    return out
