"""The cockpit's pages: one self-contained, offline HTML page for the region and one per group.

Everything is inline (CSS, SVG map, a few lines of JavaScript to switch the pillar shown on the
map; without JavaScript the map shows the first pillar). No CDN, no external URL.

Folder layout (``exports/cockpit/``), chosen so that a group's folder can be published alone::

    index.html                     the region page (links into the group folders)
    communes.gpkg / .parquet       every commune with its group and scores (QGIS)
    <group>/index.html             the group's page
    <group>/communes.gpkg / .parquet
    <group>/rapports/<nis>.html    copies of its communes' reports, each with a link back

A group's page links only inside its folder (``rapports/<nis>.html``), and its folder holds only
its communes' reports: publishing ``exports/cockpit/idea/`` publishes IDEA's communes and no other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from markupsafe import escape

from pipelines.canvas import qgis
from pipelines.cockpit.groups import GROUPS
from pipelines.cockpit.tables import REGION, REPORTS_DIR, RegionTables, group_order
from pipelines.constants import CRS_METRIC
from pipelines.exports import for_gpkg, gpkg_bytes
from pipelines.lake import table_bytes

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAP_WIDTH = 760
MAP_MAX_HEIGHT = 560
"""The map fits in MAP_WIDTH x MAP_MAX_HEIGHT pixels (a tall group is not drawn a metre high)."""
LABELS_MAX = 40
"""Commune names are written on the map when it shows at most this many communes."""
COST_FR = {"faible": "coût faible", "moyen": "coût moyen", "eleve": "coût élevé"}
BACKLINK_MARK = "data-cockpit-backlink"
COCKPIT_DIR = "cockpit"
"""The cockpit's folder under ``exports/``."""


def score_colour(score: float | None) -> str:
    """Red (0) - yellow (50) - green (100); grey when there is no score."""
    if score is None or score != score:
        return "#d9d9d9"
    stops = [(0.0, (215, 48, 39)), (50.0, (254, 224, 139)), (100.0, (26, 152, 80))]
    s = min(max(float(score), 0.0), 100.0)
    for (a, ca), (b, cb) in zip(stops, stops[1:], strict=False):
        if s <= b:
            t = (s - a) / (b - a)
            return "#" + "".join(f"{int(ca[i] + t * (cb[i] - ca[i])):02x}" for i in range(3))
    return "#1a9850"


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    text = f"{float(v):,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt
    env.filters["colour"] = score_colour
    return env


@dataclass
class MapGeometry:
    """Commune outlines as SVG path data in one view box (Lambert 72, simplified), the
    outlines of the groups, and a label point per commune."""

    paths: dict[str, str]
    width: int
    height: int
    groups: dict[str, str] = field(default_factory=dict)
    labels: dict[str, tuple[float, float]] = field(default_factory=dict)


def _svg_path(geom: Any, x0: float, y1: float, scale: float) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            px = np.round((xy[:, 0] - x0) * scale + 10, 1)
            py = np.round((y1 - xy[:, 1]) * scale + 10, 1)
            parts.append("M" + "L".join(f"{a:g} {b:g}" for a, b in zip(px, py, strict=True)) + "Z")
    return "".join(parts)


def map_geometry(communes: gpd.GeoDataFrame, width: int = MAP_WIDTH) -> MapGeometry:
    """Project to Lambert 72, simplify to about a pixel of the map, and write each commune's
    outline as SVG path data (y downwards); with a ``group`` column, each group's outline."""
    geo = communes[communes.geometry.notna()].to_crs(CRS_METRIC)
    if not len(geo):
        return MapGeometry({}, width, 10)
    x0, y0, x1, y1 = geo.total_bounds
    scale = min((width - 20) / max(x1 - x0, 1.0), (MAP_MAX_HEIGHT - 20) / max(y1 - y0, 1.0))
    width = int((x1 - x0) * scale) + 20
    height = int((y1 - y0) * scale) + 20
    simple = shapely.simplify(geo.geometry.to_numpy(), 0.8 / scale, preserve_topology=True)
    nis = geo["nis"].astype(str).tolist()
    paths = {n: _svg_path(g, x0, y1, scale) for n, g in zip(nis, simple, strict=True)}
    points = shapely.point_on_surface(geo.geometry.to_numpy())
    labels = {n: (round((p.x - x0) * scale + 10, 1), round((y1 - p.y) * scale + 10, 1)) for n, p in zip(nis, points, strict=True)}
    groups: dict[str, str] = {}
    if "group" in geo.columns:
        for g, idx in geo.groupby("group").indices.items():
            merged = shapely.simplify(shapely.union_all(geo.geometry.to_numpy()[idx], grid_size=0.5), 0.8 / scale)
            groups[str(g)] = _svg_path(merged, x0, y1, scale)
    return MapGeometry(paths, width, height, groups, labels)


@dataclass
class PageData:
    """What one page shows: the region (``scope == 'region'``) or one group."""

    scope: str
    title: str
    subtitle: str
    communes: pd.DataFrame
    needs: pd.DataFrame
    priorities: pd.DataFrame
    evolution: pd.DataFrame
    link_prefix: str
    extra: dict[str, Any] = field(default_factory=dict)


def _matrix(needs: pd.DataFrame, communes: pd.DataFrame) -> dict[str, Any]:
    """Communes × actions: columns ordered by the number of communes for which the action is a
    priority; a cell holds the action's rank in the commune's plan."""
    if not len(needs):
        return {"columns": [], "rows": []}
    prio = needs[needs["priority"]]
    counts = prio.groupby(["kind", "action"]).size().rename("n").reset_index()
    titles = needs.drop_duplicates("action").set_index("action")["title_fr"]
    counts = counts.sort_values(["kind", "n"], ascending=[False, False])
    columns = [{"action": a, "title": str(titles[a]), "kind": k, "n": int(n)} for k, a, n in counts[["kind", "action", "n"]].itertuples(index=False)]
    cells = {(n, a): (int(r), bool(p)) for n, a, r, p in needs[["nis", "action", "rank", "priority"]].itertuples(index=False)}
    rows = []
    for c in communes.itertuples():
        rows.append({"nis": c.nis, "commune": c.commune, "report": c.link, "group": c.group_name, "slug": c.group,
                     "cells": [cells.get((c.nis, col["action"])) for col in columns]})
    return {"columns": columns, "rows": rows}


def _evolution(evo: pd.DataFrame, pillars: list[Any]) -> dict[str, Any]:
    editions = sorted(evo["edition"].unique().tolist())
    if len(editions) < 2:
        return {"editions": editions, "rows": []}
    mean = evo.groupby(["pillar", "edition"])["score"].mean().unstack("edition")
    rows = []
    for p in pillars:
        values = [float(mean.at[p.code, e]) if p.code in mean.index and e in mean.columns else None for e in editions]
        first, last = values[0], values[-1]
        change = None if first is None or last is None or first != first or last != last else last - first
        rows.append({"pillar": p.name_fr, "values": values, "change": change})
    wide = evo.pivot_table(index=["nis", "commune", "pillar"], columns="edition", values="score", aggfunc="mean")
    moved = (wide[editions[-1]] - wide[editions[0]]).dropna().groupby(level=["nis", "commune"]).mean().sort_values()
    return {"editions": editions, "rows": rows,
            "down": [(c, float(v)) for (_, c), v in moved.head(5).items() if v < 0],
            "up": [(c, float(v)) for (_, c), v in moved.tail(5)[::-1].items() if v > 0]}


def _with_titles(priorities: pd.DataFrame, needs: pd.DataFrame) -> list[dict[str, Any]]:
    """The priority rows with the French titles of the data actions they unlock."""
    titles = dict(zip(needs["action"], needs["title_fr"], strict=True)) if len(needs) else {}
    rows = priorities.to_dict("records")
    for r in rows:
        codes = [a for a in str(r.get("actions") or "").split(", ") if a]
        r["action_titles"] = [str(titles.get(a, a)) for a in codes]
    return rows


def render_page(data: PageData, geometry: MapGeometry, tables: RegionTables, groups_summary: list[dict[str, Any]] | None) -> str:
    """One cockpit page as HTML text."""
    com = data.communes
    pillars = tables.pillars
    scores = {p.code: {n: (None if s != s else round(float(s), 1)) for n, s in zip(com["nis"], com[f"score_{p.code}"], strict=True)} for p in pillars}
    names = dict(zip(com["nis"], com["commune"], strict=True))
    first = pillars[0].code if pillars else None
    slugs = dict(zip(com["nis"], com["group"], strict=True))
    shapes = [{"nis": n, "d": geometry.paths.get(n, ""), "link": link, "name": names[n], "group": slugs[n],
               "fill": score_colour(scores[first][n]) if first else "#d9d9d9",
               "score": scores[first][n] if first else None}
              for n, link in zip(com["nis"], com["link"], strict=True) if geometry.paths.get(n)]
    payload = json.dumps({"scores": scores, "names": names}, ensure_ascii=False, separators=(",", ":"))
    labels = [(geometry.labels[s["nis"]], s["name"]) for s in shapes] if len(shapes) <= LABELS_MAX else []
    rows = _with_titles(data.priorities, tables.needs)
    return _env().get_template("cockpit.html.j2").render(
        page=data, pillars=pillars, shapes=shapes, map=geometry, labels=labels, payload=payload.replace("</", "<\\/"),
        matrix=_matrix(data.needs, com), priorities=[r for r in rows if r["indicators_unlocked"] or r["actions_unlocked"]],
        unlocking_nothing=[r for r in rows if not (r["indicators_unlocked"] or r["actions_unlocked"])],
        evolution=_evolution(data.evolution, pillars), communes=com.to_dict("records"),
        groups=groups_summary, cost_fr=COST_FR, legend=[(s, score_colour(s)) for s in (0, 25, 50, 75, 100)],
    )



def with_backlink(html: str, href: str, label: str) -> str:
    """A commune report with a link back to its group's cockpit inserted after ``<body>``,
    and its links to the reports' index (``index.html``) and to the regional cockpit pointed at
    the group's page, which lists the group's communes: a group folder published alone has no
    link out of it (idempotent: a report that already has it is returned as is)."""
    if BACKLINK_MARK in html:
        return html
    html = html.replace('href="index.html"', f'href="{href}"').replace('href="../cockpit/index.html"', f'href="{href}"')
    nav = (f'<nav {BACKLINK_MARK} style="font:14px sans-serif;padding:6px 12px;background:#eef3f6;border-bottom:1px solid #cdd">'
           f'<a href="{href}">&larr; Tableau de bord : {escape(label)}</a></nav>')
    found = re.search(r"<body[^>]*>", html)
    if not found:
        return nav + html
    return html[: found.end()] + nav + html[found.end():]


def _group_summary(tables: RegionTables) -> list[dict[str, Any]]:
    com = tables.communes
    rows = []
    for g in group_order(com["group"]):
        part = com[com["group"] == g]
        needs = tables.needs[(tables.needs["group"] == g) & tables.needs["priority"] & (tables.needs["kind"] == "indicator")]
        top = needs.groupby("title_fr").size().sort_values(ascending=False).head(3)
        rows.append({"group": g, "name": GROUPS[g].name, "territory": GROUPS[g].territory_fr, "communes": len(part),
                     "population": float(part["population"].sum()), "link": f"{g}/index.html",
                     "scores": [float(part[f"score_{p.code}"].mean()) if part[f"score_{p.code}"].notna().any() else None for p in tables.pillars],
                     "top_needs": [(t, int(n)) for t, n in top.items()],
                     "first_data": [(str(r.label_fr), int(r.communes_lacking)) for r in _scope(tables.data_priorities, g).itertuples()
                                    if r.indicators_unlocked or r.actions_unlocked][:2]})
    return rows


def build_pages(tables: RegionTables, reports: Mapping[str, str], meta: dict[str, Any]) -> dict[str, bytes]:
    """The cockpit's files, by name relative to ``exports/`` (``cockpit/index.html``,
    ``cockpit/<group>/index.html``, ``cockpit/<group>/rapports/<nis>.html``, and
    ``communes.gpkg``/``.parquet`` in ``cockpit/`` and each group folder): the region page, each
    group's page, its GeoPackage/GeoParquet and its copies of the commune reports (``reports``:
    nis -> report HTML, a link back added). Bytes only: the caller writes them."""
    com = pd.DataFrame(tables.communes.drop(columns="geometry")).sort_values(["group", "commune"]).reset_index(drop=True)
    com["has_report"] = [n in reports for n in com["nis"]]
    geometry = map_geometry(tables.communes)
    files: dict[str, bytes] = {}
    edition_note = meta.get("edition", "")
    for g in group_order(com["group"]):
        folder = f"{COCKPIT_DIR}/{g}"
        part = com[com["group"] == g].assign(link=lambda f: (REPORTS_DIR + "/" + f["nis"] + ".html").where(f["has_report"], ""))
        label = f"{GROUPS[g].name} ({GROUPS[g].territory_fr})"
        for nis, has in zip(part["nis"], part["has_report"], strict=True):
            if has:
                files[f"{folder}/{REPORTS_DIR}/{nis}.html"] = with_backlink(reports[nis], "../index.html", label).encode("utf-8")
        sub = geometry_subset(tables.communes, part["nis"])
        data = PageData(g, f"{GROUPS[g].name} — {GROUPS[g].territory_fr}", f"{len(part)} communes · édition {edition_note}", part,
                        tables.needs[tables.needs["group"] == g], _scope(tables.data_priorities, g),
                        tables.evolution[tables.evolution["group"] == g], REPORTS_DIR + "/", meta)
        files[f"{folder}/index.html"] = render_page(data, map_geometry(sub), tables, None).encode("utf-8")
        files |= styled_export(sub, folder, tables, f"{GROUPS[g].name} : communes")
    region = com.assign(link=lambda f: (f["group"] + "/" + REPORTS_DIR + "/" + f["nis"] + ".html").where(f["has_report"], ""))
    data = PageData(REGION, "Wallonie — tableau de bord Smart Commerce", f"{len(com)} communes · {com['group'].nunique()} groupes · édition {edition_note}",
                    region, tables.needs, _scope(tables.data_priorities, REGION), tables.evolution, "", meta)
    files[f"{COCKPIT_DIR}/index.html"] = render_page(data, geometry, tables, _group_summary(tables)).encode("utf-8")
    files |= styled_export(tables.communes, COCKPIT_DIR, tables, "Wallonie : communes par intercommunale")
    return files


def styled_export(frame: gpd.GeoDataFrame, folder: str, tables: RegionTables, title: str) -> dict[str, bytes]:
    """``<folder>/communes.parquet`` + ``<folder>/communes.gpkg`` as bytes, the GeoPackage titled
    in French and styled for QGIS (graduated on the first pillar's score; another pillar is one
    click away)."""
    files = {f"{folder}/communes.parquet": table_bytes(frame)}
    if not tables.pillars:
        files[f"{folder}/communes.gpkg"] = gpkg_bytes([("communes", for_gpkg(frame))])
        return files
    first = tables.pillars[0]
    layer = qgis.StyledLayer("communes", frame, f"{title} (couleur : {first.name_fr})",
                             qgis.graduated_qml(f"score_{first.code}", qgis.SCORE_RANGES, "/100"))
    files[f"{folder}/communes.gpkg"] = qgis.styled_gpkg([layer])
    return files


def geometry_subset(communes: gpd.GeoDataFrame, nis: pd.Series) -> gpd.GeoDataFrame:
    """The communes of one group (EPSG:4326, all columns)."""
    return communes[communes["nis"].isin(set(nis))].reset_index(drop=True)


def _scope(priorities: pd.DataFrame, scope: str) -> pd.DataFrame:
    return priorities[priorities["scope"] == scope] if len(priorities) else priorities
