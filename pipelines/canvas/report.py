"""The French Canvas report: one self-contained HTML file per commune and an index.

Everything is embedded (CSS, inline SVG maps and charts): the files open offline and print
on A4 (``@media print``, :mod:`pipelines.canvas.pdf`). Rendering is Jinja2 (``templates/``);
the figures come from the Canvas tables, the maps from the gold layers drawn over the
commune's own OSM streets with their names. Every number, unit, plural and date is written
by :mod:`pipelines.canvas.fmt` (Babel, fr_BE); source families by their French label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely

from pipelines.canvas import fmt, svg
from pipelines.canvas.actions import COST_FR
from pipelines.canvas.catalogue import LEVELS_FR, Catalogue
from pipelines.canvas.peers import FEATURES_FR, LENSES_FR
from pipelines.constants import CRS_METRIC
from pipelines.workers import fork_map

TEMPLATES = Path(__file__).resolve().parent / "templates"
PT_COLOURS = {"high": "#1a9850", "medium": "#91cf60", "low": "#fee08b", "none": "#f4a582"}
PT_FR = {"high": "haute (> 10 dép./h)", "medium": "moyenne (4-10)", "low": "basse (< 4)", "none": "aucun arrêt desservi"}
TIER_COLOURS = {1: "#08519c", 2: "#4292c6", 3: "#9ecae1"}
FOOTFALL_PALETTE = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
STATUS_FR = {"held": "détenue", "missing": "absente", "broken": "inutilisable", "computed": "calculé",
             "not_computable": "non calculable", "suppressed": "masqué (moins de k personnes)"}
SPLIT = ("peers", "canvas", "pillars", "actions", "cadastre", "scenarios", "communes", "districts",
         "catchment", "footfall", "friction_cells", "footfall_curve", "comparison", "shops",
         "consultant", "evolution")
PLACE_ORDER = {"city": 0, "town": 1, "village": 2, "suburb": 3, "quarter": 4, "neighbourhood": 5, "hamlet": 6, "locality": 7}
"""Which place names win a spot on a crowded map first (the rest: tourism points, after)."""
MAJOR_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                            "secondary", "secondary_link", "tertiary", "tertiary_link"})
"""Streets drawn wider on the maps."""
REGIONAL_PLACES = frozenset({"city", "town"})
"""The OSM places (``place=*``) named on a regional map (coarser than
``svg.MINOR_STREETS_MAX_M_PER_PX``); a commune's maps name every place and tourism point."""
STREET_MARGIN_M = 300.0
"""Streets are drawn within the commune's bounding box grown by this margin."""
WEEKDAYS_FR = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


@dataclass
class ReportInputs:
    """Territory-wide tables the reports are drawn from."""

    catalogue: Catalogue
    peers: pd.DataFrame
    canvas: pd.DataFrame
    pillars: pd.DataFrame
    actions: pd.DataFrame
    cadastre: pd.DataFrame
    scenarios: pd.DataFrame
    communes: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    catchment: gpd.GeoDataFrame
    footfall: gpd.GeoDataFrame
    friction_cells: gpd.GeoDataFrame
    footfall_curve: pd.DataFrame
    streets: gpd.GeoDataFrame | None = None
    """``silver.network_edges`` (``highway``, ``name``, lines): the maps' streets and names."""
    places: gpd.GeoDataFrame | None = None
    """Named OSM points (``name``, ``subtype``: places then tourism points) written on the maps."""
    comparison: pd.DataFrame | None = None
    """``gold.catchment_comparison``: modelled versus observed customer shares."""
    shops: gpd.GeoDataFrame | None = None
    """``silver.shops`` (points with ``nis``): drawn on the districts map."""
    consultant: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``gold.consultant_findings``: who validated the audit and when, the checklist, the tools."""
    evolution: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``gold.canvas_evolution``: each pillar's score in the previous edition and now."""
    meta: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    def prepare(self) -> None:
        """Normalise ``nis`` to text, project map layers to EPSG:31370 once and split every
        table by commune (the reports then never filter a territory-wide frame)."""
        if self.parts:
            return
        self.streets = _streets(self.streets)
        self.places = _places(self.places)
        if not (isinstance(self.shops, gpd.GeoDataFrame) and "nis" in self.shops.columns):
            self.shops = gpd.GeoDataFrame({"nis": []}, geometry=[], crs=CRS_METRIC)
        comparison = self.comparison if self.comparison is not None else pd.DataFrame({"district_id": pd.Series(dtype="str")})
        self.comparison = comparison.assign(nis=comparison["district_id"].map(self.districts.set_index("district_id")["nis"]) if len(self.districts) else pd.Series(dtype="str"))
        if len(self.catchment) and "nis" not in self.catchment.columns:
            self.catchment = self.catchment.assign(nis=self.catchment["district_id"].map(self.districts.set_index("district_id")["nis"]))
        for name in SPLIT:
            frame = getattr(self, name)
            if not len(frame) or "nis" not in frame.columns:
                self.parts[name] = {}
                continue
            frame = frame.assign(nis=frame["nis"].astype(str).astype(object))
            if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
                frame = frame.to_crs(CRS_METRIC)
            setattr(self, name, frame)
            self.parts[name] = {str(k): v for k, v in frame.groupby("nis", sort=False)}

    def of(self, name: str, nis: str) -> pd.DataFrame:
        """The rows of table ``name`` for commune ``nis`` (empty with the same columns)."""
        self.prepare()
        part = self.parts.get(name, {}).get(nis)
        return part if part is not None else getattr(self, name).iloc[0:0]

    def once(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()``, computed on the first call for ``key`` only (the tables do not change
        once prepared): territory-wide lookups the per-commune rendering shares."""
        self.prepare()
        if key not in self.derived:
            self.derived[key] = build()
        return self.derived[key]

    def rows(self, name: str, nis: str, by: str | None = None) -> list[dict[str, Any]]:
        """``_records(self.of(name, nis).sort_values(by))``: the rows of table ``name`` for
        commune ``nis`` as dicts, ordered by ``by`` (a key unique within a commune). The whole
        table is converted once, commune rows keeping their order (a stable sort)."""
        def build() -> dict[str, list[dict[str, Any]]]:
            frame = getattr(self, name)
            if not self.parts.get(name):
                return {}
            split: dict[str, list[dict[str, Any]]] = {}
            for row in _records(frame.sort_values(by, kind="stable") if by else frame):
                split.setdefault(row["nis"], []).append(row)
            return split
        return self.once(("rows", name, by), build).get(nis, [])


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = fmt.quantity  # a value with its unit, French (Babel fr_BE)
    env.filters["dec"] = fmt.decimal
    env.filters["int"] = fmt.integer
    env.filters["pct"] = fmt.score  # a 0-100 score or rank, whole
    env.filters["share"] = lambda v: fmt.percent(v, share=True)
    env.filters["pctl"] = fmt.percentile
    env.filters["count"] = fmt.count
    env.filters["gap"] = fmt.gap
    env.filters["trend"] = fmt.trend
    env.filters["reference"] = fmt.reference
    env.filters["reference_gap"] = fmt.reference_gap
    env.filters["date"] = fmt.long_date
    env.filters["family"] = fmt.family
    env.filters["colour"] = score_colour
    env.filters["fr"] = lambda v: STATUS_FR.get(v, LEVELS_FR.get(v, v))
    return env


def _places(points: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Named points in EPSG:31370, OSM places first (town before village before hamlet)."""
    if points is None or not len(points):
        return gpd.GeoDataFrame({"name": pd.Series(dtype="str"), "subtype": pd.Series(dtype="str")}, geometry=[], crs=CRS_METRIC)
    named = points[points["name"].notna() & (points["name"].astype(str).str.len() > 0)]
    order = named["subtype"].astype(object).map(PLACE_ORDER).fillna(len(PLACE_ORDER)) if "subtype" in named else 0
    named = named.assign(_order=order).sort_values("_order", kind="stable")
    subtype = named["subtype"].astype(object).where(named["subtype"].notna(), "").astype(str).to_numpy() if "subtype" in named else ""
    out = gpd.GeoDataFrame({"name": named["name"].astype(str).to_numpy(), "subtype": subtype},
                           geometry=named.geometry.representative_point().values, crs=named.crs)
    return out.to_crs(CRS_METRIC).reset_index(drop=True)


def _streets(edges: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Every street once (one direction, walkable network), in EPSG:31370, with ``major``."""
    if edges is None or not len(edges):
        return gpd.GeoDataFrame({"name": pd.Series(dtype="str"), "major": pd.Series(dtype="bool")}, geometry=[], crs=CRS_METRIC)
    frame = edges[edges["mode"] == "walk"] if "mode" in edges.columns else edges
    if {"u", "v"} <= set(frame.columns):
        lo, hi = np.minimum(frame["u"], frame["v"]), np.maximum(frame["u"], frame["v"])
        frame = frame.assign(_a=lo, _b=hi).drop_duplicates(["_a", "_b", *(["key"] if "key" in frame.columns else [])])
    out = gpd.GeoDataFrame({"name": frame["name"].astype(object).where(frame["name"].notna(), None).to_numpy(),
                            "major": frame["highway"].astype(str).isin(MAJOR_HIGHWAYS).to_numpy()},
                           geometry=frame.geometry.values, crs=frame.crs).to_crs(CRS_METRIC)
    out["geometry"] = out.geometry.simplify(2.0)
    return out.reset_index(drop=True)


DISTRICT_ZOOM_M = 350.0
"""The districts map shows the districts and this margin around them (their streets named)."""


def basemap(inp: ReportInputs, nis: str, area: Any = None, *, n_labels: int = 12, min_m: float = 150.0) -> svg.Basemap:
    """The streets of ``area`` (EPSG:31370; default the commune) and a margin, with the names
    of the longest streets inside it and of the commune's named OSM places."""
    commune = inp.of("communes", nis)
    area = commune.union_all() if area is None and len(commune) else area
    streets = inp.streets if inp.streets is not None else _streets(None)
    coarse = area is not None and not area.is_empty and svg.metres_per_pixel(area.bounds) > svg.MINOR_STREETS_MAX_M_PER_PX
    if coarse:  # the map draws and names only the major roads
        streets = inp.once("major_streets", lambda: streets[streets["major"].to_numpy(dtype=bool)].reset_index(drop=True))
    if area is not None and not area.is_empty and len(streets):
        x0, y0, x1, y1 = area.bounds
        m = STREET_MARGIN_M
        tree = inp.once(("street_tree", coarse), lambda: streets.sindex)
        hit = tree.query(shapely.box(x0 - m, y0 - m, x1 + m, y1 + m))
        local = streets.iloc[np.sort(hit)]
    else:
        local = streets.iloc[0:0]
    inside = local[local.intersects(area)] if len(local) and area is not None else local
    labels = svg.street_labels(inside["name"].tolist(), inside.geometry, n=n_labels, min_m=min_m)
    places = []
    points = inp.places  # prepared: never None
    if coarse:  # a regional map names the towns, not every museum and viewpoint
        points = inp.once("regional_places", lambda: inp.places[inp.places["subtype"].isin(REGIONAL_PLACES)])
    if area is not None and not area.is_empty and len(points):
        named = points.iloc[np.sort(points.sindex.query(area))]
        places = [(str(n), g.x, g.y) for n, g in zip(named["name"], named.geometry, strict=True)]
    return svg.Basemap(local.geometry, local["major"].to_numpy(dtype=bool), labels, places)


def maps(inp: ReportInputs, nis: str) -> dict[str, str]:
    """The four maps of a commune: districts, catchment tiers, footfall, public transport,
    each over the commune's streets with their names and a scale bar."""
    commune = inp.of("communes", nis)

    def base(extent: gpd.GeoSeries) -> svg.Basemap:
        """The streets and names of a map's own extent (its bounding box)."""
        return basemap(inp, nis, shapely.box(*extent.total_bounds)) if len(extent) else basemap(inp, nis)

    outline = svg.Layer(commune.geometry, "none", "#222", 1.4)
    dist = inp.of("districts", nis)
    dist_layer = svg.Layer(dist.geometry, "#c0392b", "#7b241c", 1.0, 0.35)
    n = len(dist)
    out: dict[str, str] = {}
    zoom = dist.geometry.buffer(DISTRICT_ZOOM_M) if n else commune.geometry
    shops = inp.of("shops", nis)
    shop_layer = svg.Layer(shops.geometry, "#1f3a4d", "white", 0.6, 1.0, radius=2.5 if n else 4.0)
    out["districts"] = svg.map_svg([svg.Layer(commune.geometry, "#ecebe4", "#222", 1.4, 0.35), dist_layer, shop_layer], zoom,
                                   svg.Legend([("#c0392b", fmt.count(n, "noyau commercial", "noyaux commerciaux") if n else "aucun noyau commercial"),
                                               ("#1f3a4d", fmt.count(len(shops), "commerce"))], "Noyaux commerciaux"),
                                   "Noyaux commerciaux",
                                   basemap=basemap(inp, nis, shapely.box(*zoom.total_bounds), n_labels=16, min_m=60.0) if n else base(commune.geometry))
    cat = inp.of("catchment", nis).sort_values("tier", ascending=False)
    extent = cat.geometry if len(cat) else commune.geometry
    out["catchment"] = svg.map_svg(
        [svg.Layer(cat.geometry, [TIER_COLOURS.get(int(t), "#ddd") for t in cat["tier"]], "#555", 0.3, 0.55), outline, dist_layer], extent,
        svg.Legend([(TIER_COLOURS[1], "zone primaire (60 %)"), (TIER_COLOURS[2], "secondaire (80 %)"), (TIER_COLOURS[3], "tertiaire (95 %)")] if len(cat) else [],
                   "Zone de chalandise modélisée (Huff)"),
        "Zone de chalandise", basemap=base(extent))
    ff = inp.of("footfall", nis)
    colours, legend = svg.classes(ff["footfall_daily"].to_numpy(dtype=float) if len(ff) else np.array([]), FOOTFALL_PALETTE)
    measured = footfall_measured(inp, nis)
    out["footfall"] = svg.map_svg([outline, svg.Layer(ff.geometry, colours, "#666", 0.2, 0.6), svg.Layer(dist.geometry, "none", "#7b241c", 1.2)],
                                  ff.geometry if len(ff) else commune.geometry,
                                  svg.Legend(legend, "Passants par jour" + ("" if measured else " (modélisés)")), "Fréquentation piétonne",
                                  basemap=base(ff.geometry if len(ff) else commune.geometry))
    fc = inp.of("friction_cells", nis)
    fc = fc[fc["population"] > 0] if len(fc) else fc
    out["transit"] = svg.map_svg([svg.Layer(fc.geometry, [PT_COLOURS.get(str(c), "#ddd") for c in fc["pt_class"]], "none", 0, 0.55), outline,
                                  svg.Layer(dist.geometry, "none", "#7b241c", 1.2)], commune.geometry,
                                 svg.Legend([(PT_COLOURS[k], v) for k, v in PT_FR.items()], "Desserte (classes DG REGIO)"), "Desserte en transports en commun",
                                 basemap=base(commune.geometry))
    return out


NAMES_LISTED = 12
"""Communes named in a sentence before the rest are counted (a group of 200 is a count)."""


def name_list(names: list[str], limit: int = NAMES_LISTED) -> str:
    """``A, B, C`` or, past ``limit`` names, the first ``limit`` and ``et 186 autres`` (French); ``aucune``."""
    if not names:
        return "aucune"
    shown = ", ".join(names[:limit])
    rest = len(names) - limit
    return f"{shown} et {rest} autre{'s' if rest > 1 else ''}" if rest > 0 else shown


def footfall_measured(inp: ReportInputs, nis: str) -> bool:
    """Whether the commune has its own sensors or counters (else its footfall is modelled)."""
    ff = inp.of("footfall", nis)
    if len(ff) and "n_sites" in ff.columns and pd.to_numeric(ff["n_sites"], errors="coerce").fillna(0).gt(0).any():
        return True
    card = inp.of("canvas", nis)
    row = card[card["indicator"] == "footfall_daily"] if len(card) else card
    return bool(len(row) and row["status"].iloc[0] == "computed")


def charts(inp: ReportInputs, nis: str) -> dict[str, str]:
    """Hourly and weekly footfall and the pillar chart against the other communes."""
    out: dict[str, str] = {}
    curve = inp.of("footfall_curve", nis)
    curve = curve[curve["level"] == "commune"] if len(curve) else curve
    if len(curve):
        by = curve.groupby(["hour", "weekday"])["footfall"].mean().unstack("weekday").reindex(range(24))
        series = {"lun-ven": by[[c for c in range(5) if c in by]].mean(axis=1).to_numpy(),
                  "samedi": by[5].to_numpy() if 5 in by else np.full(24, np.nan),
                  "dimanche": by[6].to_numpy() if 6 in by else np.full(24, np.nan)}
        out["hourly"] = svg.line_chart(series, [f"{h} h" for h in range(24)], ["#2b6a8c", "#c0392b", "#e69f00"],
                                       "Passants par heure (moyenne par point de mesure)")
        week = curve.groupby("weekday")["footfall"].sum().reindex(range(7))
        out["weekly"] = svg.bar_chart(week.to_numpy(dtype=float), list(WEEKDAYS_FR), title="Passants par jour de la semaine (jour type)")
    own = inp.of("peers", nis)
    cluster = int(own["cluster"].iloc[0]) if len(own) else -1
    same = {n for n, _ in inp.once("by_cluster", lambda: _by_cluster(inp.peers)).get(cluster, [])}
    rows = []
    for pillar in sorted(inp.catalogue.pillars.values(), key=lambda p: p.order):
        scores, own = inp.once(("pillar_scores", pillar.code), lambda code=pillar.code: _pillar_scores(inp.pillars, code))
        me = own.get(nis)
        others = [(float(s), n in same) for n, s in scores if n != nis]
        scored = bool(me) and me[0] == me[0]  # no interval drawn around an unpublished score
        rows.append({"label": pillar.name_fr, "score": float(me[0]) if scored else None,
                     "low": float(me[1]) if scored else None, "high": float(me[2]) if scored else None, "others": others})
    out["pillars"] = svg.pillar_chart(rows)
    return out


def _by_cluster(peers: pd.DataFrame) -> dict[int, list[tuple[str, Any]]]:
    """(nis, commune name) of each cluster's communes, in table order."""
    out: dict[int, list[tuple[str, Any]]] = {}
    for n, c, k in zip(peers["nis"].astype(str), peers["commune"], peers["cluster"], strict=True):
        out.setdefault(int(k), []).append((n, c))
    return out


def _pillar_scores(pillars: pd.DataFrame, code: str) -> tuple[list[tuple[str, float]], dict[str, tuple[float, float, float]]]:
    """(nis, score) of every commune for pillar ``code`` in table order, and each commune's
    own (score, p05, p95) (its first row)."""
    p = pillars[pillars["pillar"] == code]
    nis = p["nis"].astype(str).tolist()
    own: dict[str, tuple[float, float, float]] = {}
    for n, s, lo, hi in zip(nis, p["score"].tolist(), p["score_p05"].tolist(), p["score_p95"].tolist(), strict=True):
        own.setdefault(n, (s, lo, hi))
    return list(zip(nis, p["score"].tolist(), strict=True)), own


def _clean(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, float) and np.isnan(v):
        return None
    return None if v is pd.NA else v


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in frame.to_dict("records")]


NO_DISTRICT_FR = "sans noyau commercial (moins de 8 commerces groupés), rien à mesurer depuis un noyau"
WORDS_FR = {"missing": "absente", "broken": "inutilisable (fichiers en quarantaine)"}


def why_not(row: dict[str, Any], n_districts: int) -> str:
    """Why an indicator could not be judged, in French: the source families it lacks by
    their French name, or the absence of a shopping district."""
    needs = [n for n in (row.get("needs") or []) if n]
    if row.get("status") == "suppressed":
        return "masqué : moins de 10 personnes ou appareils (seuil de confidentialité)"
    if needs:
        return "faute de données : " + fmt.families(needs, " ou " if len(needs) > 1 else " ; ")
    if n_districts == 0:
        return NO_DISTRICT_FR
    return "valeur absente des données de la commune"


def judged(indicators: list[dict[str, Any]], n_districts: int, order: list[str]) -> dict[str, Any]:
    """What could and could not be judged: computed indicators by pillar (in ``order`` of
    the pillar codes), the others grouped by the reason they were not."""
    done: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    rank = {code: i for i, code in enumerate(order)}
    for r in sorted(indicators, key=lambda r: rank.get(r["pillar"], len(rank))):
        if r["status"] == "computed":
            done.setdefault(r["pillar_fr"], []).append(r["name_fr"])
        else:
            missing.setdefault(why_not(r, n_districts), []).append(r["name_fr"])
    return {"done": done, "missing": missing, "n_done": sum(map(len, done.values())), "n_missing": sum(map(len, missing.values()))}


def _indicator_evidence(row: dict[str, Any]) -> str:
    text = f"{row['name_fr']} : {fmt.quantity(row['value'], row['unit'])}"
    threshold = row.get("threshold")
    if threshold is not None and row.get("threshold_met") is False:
        return f"{text} (seuil {fmt.reference(threshold, row.get('threshold_kind'), row['unit'])} non atteint)"
    pct = row.get("percentile_all")
    if pct is not None:
        where = ("la plus faible des communes comparées" if round(pct) <= 0 else
                 "la meilleure des communes comparées" if round(pct) >= 100 else f"{fmt.percentile(pct)} parmi les communes")
        return f"{text} ({where})"
    return text


def evidence(action: dict[str, Any], card: dict[str, dict[str, Any]], inventory: dict[str, dict[str, Any]],
             names: dict[str, str]) -> str:
    """The French evidence of an action, written from the scorecard and the inventory (its
    triggering indicators and their values, or the missing source by its French name)."""
    codes = action.get("triggered_by") or []
    if action.get("kind") == "data" and codes:
        parts = []
        for family in codes:
            inv = inventory.get(family, {})
            unlocks = "; ".join(names.get(u, u) for u in inv.get("unlocks") or []) or "aucun indicateur du Canvas"
            parts.append(f"Source « {fmt.family(family)} » {WORDS_FR.get(inv.get('status'), 'absente')} : débloquerait {unlocks}")
        return " ; ".join(parts)
    if codes and all(c in card for c in codes):
        return " ; ".join(_indicator_evidence(card[c]) for c in codes)
    text = str(action.get("evidence") or "")
    for code in sorted(availability_codes(), key=len, reverse=True):
        text = text.replace(f"« {code} »", f"« {fmt.family(code)} »")
    return text


def availability_codes() -> list[str]:
    return list(fmt.FAMILIES)


def district_label(district_id: str) -> str:
    """``92801-D02`` -> "noyau 2" (districts are numbered by size within the commune)."""
    tail = str(district_id).rsplit("-D", 1)[-1]
    return f"noyau {int(tail)}" if tail.isdigit() else str(district_id)


def comparison_rows(inp: ReportInputs, nis: str) -> list[dict[str, Any]]:
    """Modelled versus observed customer shares of the commune's districts, by tier, where
    vouchers or operator flows give an observed share."""
    frame = inp.of("comparison", nis)
    observed = [c for c in ("vouchers_share", "od_share") if c in frame.columns]
    if not len(frame) or not observed or frame[observed].isna().all().all():
        return []
    frame = frame.sort_values(["district_id", "tier"], key=lambda c: c.replace({0: 9}) if c.name == "tier" else c)
    return [{**r, "district": district_label(r["district_id"])} for r in _records(frame)]


def commune_context(inp: ReportInputs, nis: str) -> dict[str, Any]:
    """Everything the commune template needs."""
    cat = inp.catalogue
    peer = inp.of("peers", nis).iloc[0]
    names_by_nis = inp.once("names", lambda: dict(zip(inp.peers["nis"].astype(str), inp.peers["commune"], strict=True)))
    card = inp.of("canvas", nis)
    indicators = inp.rows("canvas", nis, "indicator")
    frictions = sorted((r for r in indicators if r["friction_rank"] is not None), key=lambda r: r["friction_rank"])
    inventory = inp.of("cadastre", nis)
    inventory_rows = inp.rows("cadastre", nis)
    scored = inp.of("pillars", nis).sort_values("order").dropna(subset=["score"])
    n_districts = len(inp.of("districts", nis))
    names = {code: spec.name_fr for code, spec in cat.indicators.items()}
    by_code = {r["indicator"]: r for r in indicators}
    by_source = {r["source"]: r for r in inventory_rows}
    actions = [{**a, "evidence_fr": evidence(a, by_code, by_source, names)} for a in inp.rows("actions", nis, "rank")]
    for r in indicators:
        r["why_not"] = why_not(r, n_districts) if r["status"] != "computed" else None
    measured = footfall_measured(inp, nis)
    return {
        "nis": nis, "commune": peer["commune"], "peer": {k: _clean(v) for k, v in peer.to_dict().items()}, "meta": inp.meta,
        "neighbours": [names_by_nis.get(n, n) for n in peer["neighbours"]],
        "cluster_members": name_list([c for n, c in inp.once("by_cluster", lambda: _by_cluster(inp.peers)).get(int(peer["cluster"]), []) if n != nis]),
        "features_fr": FEATURES_FR, "lenses_fr": LENSES_FR,
        "pillars": inp.rows("pillars", nis, "order"), "pillar_defs": sorted(cat.pillars.values(), key=lambda p: p.order),
        "card": {p: [r for r in indicators if r["pillar"] == p] for p in cat.pillars},
        "frictions": frictions[:8], "actions": actions, "inventory": inventory_rows,
        "consultant": inp.rows("consultant", nis), "evolution": inp.rows("evolution", nis),
        "goalposts_version": next((p["goalposts_version"] for p in inp.rows("pillars", nis) if p.get("goalposts_version")), "—"),
        "scenarios": inp.rows("scenarios", nis), "units": {code: spec.unit for code, spec in cat.indicators.items()},
        "best": scored.sort_values("score", ascending=False).iloc[0].to_dict() if len(scored) else None,
        "worst": scored.sort_values("score").iloc[0].to_dict() if len(scored) else None,
        "n_missing": int((inventory["status"] != "held").sum()), "n_not_computable": int((card["status"] != "computed").sum()),
        "n_districts": n_districts, "judged": judged(indicators, n_districts, [p.code for p in sorted(cat.pillars.values(), key=lambda p: p.order)]), "footfall_measured": measured, "footfall_cells": len(inp.of("footfall", nis)),
        "comparison": comparison_rows(inp, nis), "glossary": fmt.glossary(),
        "maps": maps(inp, nis), "charts": charts(inp, nis), "cost_fr": COST_FR,
        "thresholds": [s for s in cat.indicators.values() if s.threshold],
        "names": names, "n_communes": len(inp.peers),
        "sources_fr": fmt.families(str(inp.meta.get("sources", "")).replace(" ", "").split(",")) if inp.meta.get("sources") else "",
    }


def render_commune(inp: ReportInputs, nis: str) -> str:
    return _env().get_template("commune.html.j2").render(**commune_context(inp, nis))


def render_index(inp: ReportInputs) -> str:
    piv = inp.pillars.pivot(index="nis", columns="pillar", values="score")
    rows = []
    for r in inp.peers.sort_values("commune").itertuples():
        nis = str(r.nis)
        card = inp.of("canvas", nis)
        rows.append({"nis": nis, "commune": r.commune, "population": r.population, "cluster": r.cluster_label,
                     "scores": {p: (piv.loc[nis, p] if nis in piv.index else None) for p in inp.catalogue.pillars},
                     "actions": len(inp.of("actions", nis)),
                     "not_computable": int((card["status"] != "computed").sum())})
    return _env().get_template("index.html.j2").render(rows=rows, pillar_defs=sorted(inp.catalogue.pillars.values(), key=lambda p: p.order), meta=inp.meta)


REPORTS_DIR = "reports"
"""The reports' folder under ``exports/``."""


def render_reports(inp: ReportInputs) -> dict[str, bytes]:
    """``reports/<nis>.html`` for every commune and ``reports/index.html``, as UTF-8 bytes
    (relative names under ``exports/``; the caller writes them). The communes' pages are
    rendered in forked worker processes (:func:`pipelines.workers.fork_map`)."""
    inp.prepare()
    communes = inp.peers["nis"].astype(str).tolist()
    # the first page here: it builds the lookups every page shares (whole tables as rows, the
    # street index...) once, before the fork, instead of once per worker
    pages = [render_commune(inp, nis).encode("utf-8") for nis in communes[:1]]
    pages += fork_map(lambda nis: render_commune(inp, nis).encode("utf-8"), communes[1:])
    files = {f"{REPORTS_DIR}/{nis}.html": page for nis, page in zip(communes, pages, strict=True)}
    files[f"{REPORTS_DIR}/index.html"] = render_index(inp).encode("utf-8")
    return files


def score_colour(score: float | None) -> str:
    if score is None or score != score:
        return "#eeeeee"
    stops = [(0, (215, 48, 39)), (50, (254, 224, 139)), (100, (26, 152, 80))]
    for (a, ca), (b, cb) in zip(stops, stops[1:], strict=False):
        if score <= b:
            t = (score - a) / (b - a)
            return "#" + "".join(f"{int(ca[i] + t * (cb[i] - ca[i])):02x}" for i in range(3))
    return "#1a9850"

