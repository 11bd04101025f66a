"""Inline SVG maps and charts for the offline report (no JavaScript, no CDN, no matplotlib).

Maps draw geometries projected to Belgian Lambert 72 (EPSG:31370), north up, with a legend,
a scale bar of a round length (100 m ... 5 km) and, when given, the commune's own streets
(OSM, from ``silver.network_edges``) with the names of its longest streets and of its named
places (OSM points of interest) written on the map. Charts: line chart (footfall profiles), bar chart (weekly totals) and
the pillar chart (score, Monte-Carlo interval and the other communes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from pipelines.canvas import fmt
from pipelines.constants import CRS_METRIC

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


@dataclass
class Layer:
    """Geometries to draw, with one fill per geometry (or one for all)."""

    geoms: gpd.GeoSeries
    fill: Sequence[str] | str = "none"
    stroke: str = "#333"
    width: float = 0.6
    opacity: float = 1.0
    radius: float = 3.0


@dataclass
class Legend:
    entries: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""


class _Frame:
    """Affine transform from EPSG:31370 metres to SVG pixels, fitted on ``bounds``."""

    def __init__(self, bounds: Sequence[float], width: int, height: int, pad: int = 10) -> None:
        minx, miny, maxx, maxy = bounds
        span = max(maxx - minx, maxy - miny, 1.0)
        self.scale = min((width - 2 * pad) / max(maxx - minx, span * 0.2), (height - 2 * pad) / max(maxy - miny, span * 0.2))
        self.ox = pad + ((width - 2 * pad) - (maxx - minx) * self.scale) / 2 - minx * self.scale
        self.oy = pad + ((height - 2 * pad) - (maxy - miny) * self.scale) / 2 + maxy * self.scale

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + x * self.scale, self.oy - y * self.scale


def _pixels(coords: np.ndarray, frame: _Frame) -> list[float]:
    """``x0, y0, x1, y1, ...`` in SVG pixels rounded to 0.1 (``coords``: n x 2 metres)."""
    px = np.round(frame.ox + coords[:, 0] * frame.scale, 1)
    py = np.round(frame.oy - coords[:, 1] * frame.scale, 1)
    return np.column_stack([px, py]).ravel().tolist()


def _ring_data(xy: Sequence[float]) -> str:
    """``M x yLx y...Z`` of flat pixel coordinates. One ``%`` over the whole ring: ``%g``
    writes a float exactly as ``f"{v:g}"`` does, without a Python call per point."""
    return "M" + "L".join(["%g %g"] * (len(xy) // 2)) % tuple(xy) + "Z"


def _ring(coords: np.ndarray, frame: _Frame) -> str:
    return _ring_data(_pixels(coords, frame))


def _path(geom: BaseGeometry, frame: _Frame) -> str:
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom] if isinstance(geom, Polygon) else []
    parts = []
    for poly in polys:
        parts.append(_ring(np.asarray(poly.exterior.coords), frame))
        parts += [_ring(np.asarray(r.coords), frame) for r in poly.interiors]
    if not polys and hasattr(geom, "geoms"):
        parts += [_path(g, frame) for g in geom.geoms]
    return "".join(parts)


def _paths(geoms: np.ndarray, frame: _Frame) -> list[str]:
    """:func:`_path` of every geometry of ``geoms`` (an array of shapely geometries or None).

    Polygons and multipolygons are done in bulk: all their rings are listed and projected to
    pixels in one pass, then written ring by ring. Any other geometry, and a multipolygon with
    an empty part, goes through :func:`_path`."""
    kind = shapely.get_type_id(geoms)
    bulk = ((kind == 3) | (kind == 6)) & ~shapely.is_empty(geoms)  # Polygon, MultiPolygon
    polys, poly_geom = shapely.get_parts(geoms[bulk], return_index=True)
    poly_geom = np.flatnonzero(bulk)[poly_geom]
    if shapely.get_num_interior_rings(polys).any():
        rings, ring_poly = shapely.get_rings(polys, return_index=True)
    else:  # no holes: a polygon's coordinates are its exterior ring's
        rings, ring_poly = polys, np.arange(len(polys))
    coords, point_ring = shapely.get_coordinates(rings, return_index=True)
    xy = _pixels(coords, frame)
    ends = (2 * np.cumsum(np.bincount(point_ring, minlength=len(rings)))).tolist()
    texts = [_ring_data(xy[a:b]) for a, b in zip([0, *ends][:-1], ends, strict=True)]
    last = np.cumsum(np.bincount(poly_geom[ring_poly], minlength=len(geoms))).tolist()
    out = ["".join(texts[a:b]) for a, b in zip([0, *last][:-1], last, strict=True)]
    odd = ~bulk & ~shapely.is_missing(geoms)
    odd[poly_geom[shapely.is_empty(polys)]] = True
    for i in np.flatnonzero(odd).tolist():
        out[i] = _path(geoms[i], frame)
    return out


def _metric(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    metric = geoms.crs is not None and (geoms.crs == CRS_METRIC or geoms.crs.to_epsg() == 31370)
    return geoms if metric else geoms.to_crs(CRS_METRIC)


@dataclass
class Basemap:
    """The commune's streets (lines, EPSG:31370) and the names written on the map.

    ``major`` marks the streets drawn wider (roads a car uses); ``labels`` are (text, candidate
    positions (x, y, angle in degrees)) chosen by :func:`street_labels`; ``places`` are named points."""

    streets: gpd.GeoSeries
    major: np.ndarray
    labels: list[tuple[str, list[tuple[float, float, float]]]] = field(default_factory=list)
    places: list[tuple[str, float, float]] = field(default_factory=list)


def _lines_data(geoms: np.ndarray, frame: _Frame) -> str:
    """One ``M x yL...`` path of every line of ``geoms`` (no closing: streets are open)."""
    if not len(geoms):
        return ""
    lines = geoms if (shapely.get_type_id(geoms) == 1).all() else shapely.get_parts(geoms)
    coords, which = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return ""
    xy = np.round(np.column_stack([frame.ox + coords[:, 0] * frame.scale, frame.oy - coords[:, 1] * frame.scale]), 1)
    starts = np.r_[True, which[1:] != which[:-1]].tolist()
    # one % over the whole path (as _ring_data): no Python call per point
    template = "".join("M%g %g" if first else "L%g %g" for first in starts)
    return template % tuple(xy.ravel().tolist())


LABEL_AT = (0.5, 0.3, 0.7, 0.2, 0.8)
"""Where along its longest piece a street name is tried, in order (the first free place wins)."""


def street_labels(names: Sequence[str], geoms: gpd.GeoSeries, n: int = 12,
                  min_m: float = 150.0) -> list[tuple[str, list[tuple[float, float, float]]]]:
    """The names of the ``n`` longest named streets (their pieces merged by name), each with
    candidate places along its longest piece (middle first), along the street (angle kept
    readable)."""
    lines = np.asarray(_metric(geoms).values, dtype=object)
    label = np.array([str(x) if isinstance(x, str) else "" for x in names], dtype=object)
    keep = label != ""
    if not keep.any():
        return []
    lines, label = lines[keep], label[keep]
    codes, uniques = pd.factorize(label)
    total = np.bincount(codes, weights=shapely.length(lines))
    out = []
    for k in np.argsort(-total, kind="stable")[:n].tolist():
        if total[k] < min_m:
            break
        name = uniques[k]
        merged = shapely.line_merge(shapely.multilinestrings(shapely.get_parts(lines[codes == k])))
        parts = list(getattr(merged, "geoms", [merged]))
        longest = max(parts, key=lambda g: g.length)
        spots = []
        for t in LABEL_AT:
            mid = longest.interpolate(t, normalized=True)
            a, b = longest.interpolate(t - 0.08, normalized=True), longest.interpolate(t + 0.08, normalized=True)
            angle = float(np.degrees(np.arctan2(-(b.y - a.y), b.x - a.x)))  # SVG y grows downwards
            angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
            spots.append((mid.x, mid.y, angle))
        out.append((str(name), spots))
    return out


MAP_WIDTH, MAP_HEIGHT = 560, 420
"""A map's size in SVG pixels (its ``viewBox``; the page scales it to its width)."""
MINOR_STREETS_MAX_M_PER_PX = 50.0
"""Coarser than this (a catchment map spans tens of kilometres), only the major roads are
drawn: every street at that scale is a grey smear, and most of the report's weight."""


def metres_per_pixel(bounds: Sequence[float], width: int = MAP_WIDTH, height: int = MAP_HEIGHT) -> float:
    """The scale of a map of ``width`` x ``height`` pixels fitted on ``bounds`` (EPSG:31370)."""
    return 1.0 / _Frame(bounds, width, height).scale


def _visible(geoms: np.ndarray, major: np.ndarray, frame: _Frame, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The streets drawn on a map: those whose box meets its frame (the others would be drawn
    off the map), and only the major ones on a map coarser than
    :data:`MINOR_STREETS_MAX_M_PER_PX`."""
    if 1.0 / frame.scale > MINOR_STREETS_MAX_M_PER_PX:
        geoms, major = geoms[major], major[major]
    if not len(geoms):
        return geoms, major
    box = shapely.bounds(geoms)
    x0, x1 = -frame.ox / frame.scale, (width - frame.ox) / frame.scale
    y0, y1 = (frame.oy - height) / frame.scale, frame.oy / frame.scale
    seen = (box[:, 0] <= x1) & (box[:, 2] >= x0) & (box[:, 1] <= y1) & (box[:, 3] >= y0)
    return geoms[seen], major[seen]


def _basemap(base: Basemap, frame: _Frame, width: int, height: int) -> tuple[str, str]:
    """(streets under the layers, names over them). Names that would overlap an earlier one
    or leave the map are skipped."""
    geoms, major = _visible(np.asarray(_metric(base.streets).values, dtype=object), np.asarray(base.major, dtype=bool),
                            frame, width, height)
    under = (f"<path d='{_lines_data(geoms[~major], frame)}' fill='none' stroke='#c9c9c2' stroke-width='0.6'/>"
             f"<path d='{_lines_data(geoms[major], frame)}' fill='none' stroke='#a8a8a0' stroke-width='1.3'/>")
    taken: list[tuple[float, float, float, float]] = []
    names = []

    def free(x: float, y: float, w: float, h: float) -> bool:
        box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if box[0] < 4 or box[2] > width - 4 or box[1] < 4 or box[3] > height - 24:
            return False
        if any(not (box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3]) for t in taken):
            return False
        taken.append(box)
        return True

    halo = "stroke='white' stroke-width='2.5' paint-order='stroke' stroke-linejoin='round'"
    for text, px, py in base.places:
        x, y = frame.xy(px, py)
        if free(x, y, 6.5 * len(text), 14):
            names.append(f"<text class='place' x='{x:.1f}' y='{y:.1f}' font-size='11' font-weight='bold' font-style='italic' fill='#3d2b1f' text-anchor='middle' {halo}>{escape(text)}</text>")
    for text, spots in base.labels:
        for px, py, angle in spots:
            x, y = frame.xy(px, py)
            w = 5.0 * len(text)
            rad = np.radians(angle)
            bw, bh = abs(w * np.cos(rad)) + 10 * abs(np.sin(rad)), abs(w * np.sin(rad)) + 10 * abs(np.cos(rad))
            if not free(x, y, bw, bh):
                continue
            names.append(f"<text class='street' x='{x:.1f}' y='{y:.1f}' font-size='9' fill='#444' text-anchor='middle' dominant-baseline='middle' transform='rotate({angle:.0f} {x:.1f} {y:.1f})' {halo}>{escape(text)}</text>")
            break
    return under, "".join(names)


def map_svg(layers: Sequence[Layer], extent: gpd.GeoSeries, legend: Legend | None = None,
            title: str = "", width: int = MAP_WIDTH, height: int = MAP_HEIGHT, basemap: Basemap | None = None) -> str:
    """An SVG map of ``layers`` fitted on ``extent`` (any CRS; drawn in EPSG:31370), over the
    streets of ``basemap`` and under their names."""
    ext = _metric(extent)
    frame = _Frame(ext.total_bounds if len(ext) else (0, 0, 1, 1), width, height)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' aria-label='{escape(title)}' {FONT}>",
           f"<rect width='{width}' height='{height}' fill='#f7f7f4'/>"]
    under, names = _basemap(basemap, frame, width, height) if basemap is not None else ("", "")
    out.append(under)
    for layer in layers:
        geoms = _metric(layer.geoms)
        fills = [layer.fill] * len(geoms) if isinstance(layer.fill, str) else list(layer.fill)
        shapes = np.asarray(geoms.values, dtype=object)
        paths = _paths(shapes, frame)
        for geom, fill, path in zip(shapes, fills, paths, strict=True):
            if geom is None or geom.is_empty:
                continue
            if isinstance(geom, Point):
                x, y = frame.xy(geom.x, geom.y)
                out.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{layer.radius}' fill='{fill}' stroke='{layer.stroke}' stroke-width='{layer.width}' fill-opacity='{layer.opacity}'/>")
            else:
                out.append(f"<path d='{path}' fill='{fill}' fill-opacity='{layer.opacity}' stroke='{layer.stroke}' stroke-width='{layer.width}' fill-rule='evenodd'/>")
    out.append(names)
    out.append(_scale_bar(frame, width, height))
    if legend and legend.entries:
        out.append(_legend(legend))
    out.append("</svg>")
    return "".join(out)


SCALE_STEPS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)


def _scale_bar(frame: _Frame, width: int, height: int) -> str:
    """A bar of the round length closest below a fifth of the map's width, and a north arrow."""
    target = width / 5 / frame.scale
    metres = max([m for m in SCALE_STEPS_M if m <= target], default=SCALE_STEPS_M[0])
    px = metres * frame.scale
    label = f"{metres // 1000} km" if metres >= 1000 and metres % 1000 == 0 else (
        f"{metres / 1000:g} km".replace(".", ",") if metres >= 1000 else f"{metres} m")
    x0, y0 = width - 20 - px, height - 14
    return (f"<g class='scale'><rect x='{x0 - 6:.1f}' y='{y0 - 16}' width='{px + 12:.1f}' height='24' fill='white' fill-opacity='0.8'/>"
            f"<line x1='{x0:.1f}' y1='{y0}' x2='{x0 + px:.1f}' y2='{y0}' stroke='#222' stroke-width='2'/>"
            f"<line x1='{x0:.1f}' y1='{y0 - 4}' x2='{x0:.1f}' y2='{y0 + 2}' stroke='#222'/><line x1='{x0 + px:.1f}' y1='{y0 - 4}' x2='{x0 + px:.1f}' y2='{y0 + 2}' stroke='#222'/>"
            f"<text x='{x0 + px / 2:.1f}' y='{y0 - 5}' font-size='10' text-anchor='middle'>{label}</text>"
            f"<text x='{width - 14}' y='18' font-size='12' text-anchor='middle'>N↑</text></g>")


def _legend(legend: Legend) -> str:
    h = 16 * len(legend.entries) + (18 if legend.title else 6)
    w = 12 + 7 * max(len(t) for _, t in legend.entries + [("", legend.title)])
    out = [f"<g transform='translate(8,8)'><rect width='{w}' height='{h}' fill='white' fill-opacity='0.85' stroke='#bbb'/>"]
    y = 4
    if legend.title:
        out.append(f"<text x='6' y='14' font-size='11' font-weight='bold'>{escape(legend.title)}</text>")
        y = 18
    for color, text in legend.entries:
        out.append(f"<rect x='6' y='{y + 2}' width='12' height='10' fill='{color}' stroke='#555' stroke-width='0.5'/>"
                   f"<text x='22' y='{y + 11}' font-size='10'>{escape(text)}</text>")
        y += 16
    out.append("</g>")
    return "".join(out)


def classes(values: np.ndarray, palette: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Quantile classes of ``values`` (NaN grey): colours and legend entries."""
    v = np.asarray(values, dtype=float)
    ok = v[~np.isnan(v)]
    if not len(ok):
        return ["#dddddd"] * len(v), []
    edges = np.unique(np.quantile(ok, np.linspace(0, 1, len(palette) + 1)))
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    colours = ["#dddddd" if np.isnan(x) else palette[min(int(i), len(palette) - 1)] for x, i in zip(v, idx, strict=True)]
    legend = [(palette[i], f"{_num(edges[i])} – {_num(edges[i + 1])}") for i in range(len(edges) - 1)]
    return colours, legend


def _num(x: float) -> str:
    return fmt.integer(x) if abs(x) >= 10 else fmt.decimal(x)


def line_chart(series: dict[str, Sequence[float]], labels: Sequence[str], colours: Sequence[str],
               title: str = "", y_label: str = "", width: int = 560, height: int = 220) -> str:
    """Lines over a shared x axis (e.g. hours); ``labels`` under the axis (every 3rd shown)."""
    left, right, top, bottom = 48, 10, 22, 30
    values = [np.asarray(v, dtype=float) for v in series.values()]
    ymax = max((float(np.nanmax(v)) for v in values if len(v) and not np.isnan(v).all()), default=1.0) or 1.0
    n = max(len(labels), 2)
    x = lambda i: left + (width - left - right) * i / (n - 1)  # noqa: E731
    y = lambda v: top + (height - top - bottom) * (1 - v / ymax)  # noqa: E731
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' {FONT}>",
           f"<text x='{left}' y='14' font-size='12' font-weight='bold'>{escape(title)}</text>"]
    for k in range(5):
        v = ymax * k / 4
        out.append(f"<line x1='{left}' x2='{width - right}' y1='{y(v):.1f}' y2='{y(v):.1f}' stroke='#e3e3e3'/>"
                   f"<text x='{left - 4}' y='{y(v) + 3:.1f}' font-size='9' text-anchor='end'>{_num(v)}</text>")
    for i, lab in enumerate(labels):
        if i % 3 == 0:
            out.append(f"<text x='{x(i):.1f}' y='{height - 14}' font-size='9' text-anchor='middle'>{escape(str(lab))}</text>")
    for v, colour in zip(series.values(), colours, strict=False):
        pts = " ".join(f"{x(i):.1f},{y(val):.1f}" for i, val in enumerate(v) if not np.isnan(val))
        out.append(f"<polyline points='{pts}' fill='none' stroke='{colour}' stroke-width='2'/>")
    lx = left + 6
    for (name, _), colour in zip(series.items(), colours, strict=False):
        out.append(f"<rect x='{lx}' y='{height - 10}' width='10' height='6' fill='{colour}'/><text x='{lx + 13}' y='{height - 3}' font-size='9'>{escape(name)}</text>")
        lx += 18 + 6 * len(name)
    if y_label:
        out.append(f"<text x='10' y='{top + 60}' font-size='9' transform='rotate(-90 10 {top + 60})'>{escape(y_label)}</text>")
    out.append("</svg>")
    return "".join(out)


def bar_chart(values: Sequence[float], labels: Sequence[str], colour: str = "#2b6a8c", title: str = "",
              width: int = 560, height: int = 200) -> str:
    """Vertical bars with their value on top."""
    left, right, top, bottom = 20, 10, 24, 22
    v = np.asarray(values, dtype=float)
    vmax = float(np.nanmax(v)) if len(v) and not np.isnan(v).all() else 1.0
    vmax = vmax or 1.0
    bw = (width - left - right) / max(len(v), 1)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' {FONT}>",
           f"<text x='{left}' y='14' font-size='12' font-weight='bold'>{escape(title)}</text>"]
    for i, (val, lab) in enumerate(zip(v, labels, strict=True)):
        h = 0 if np.isnan(val) else (height - top - bottom) * val / vmax
        x0 = left + i * bw + bw * 0.15
        y0 = height - bottom - h
        out.append(f"<rect x='{x0:.1f}' y='{y0:.1f}' width='{bw * 0.7:.1f}' height='{h:.1f}' fill='{colour}'/>"
                   f"<text x='{x0 + bw * 0.35:.1f}' y='{y0 - 3:.1f}' font-size='9' text-anchor='middle'>{_num(val) if not np.isnan(val) else '—'}</text>"
                   f"<text x='{x0 + bw * 0.35:.1f}' y='{height - 8}' font-size='10' text-anchor='middle'>{escape(lab)}</text>")
    out.append("</svg>")
    return "".join(out)


def pillar_chart(rows: Sequence[dict], width: int = 560, row_h: int = 42) -> str:
    """One row per pillar: the other communes' scores (grey ticks; the commune's peers in
    blue), the commune's score (dot) and its Monte-Carlo 5-95 % score interval (bar)."""
    left, right = 150, 20
    height = 30 + row_h * len(rows)
    x = lambda s: left + (width - left - right) * s / 100  # noqa: E731
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' {FONT}>"]
    for k in range(0, 101, 25):
        out.append(f"<line x1='{x(k):.1f}' x2='{x(k):.1f}' y1='18' y2='{height - 6}' stroke='#e3e3e3'/>"
                   f"<text x='{x(k):.1f}' y='12' font-size='9' text-anchor='middle'>{k}</text>")
    for i, r in enumerate(rows):
        yc = 30 + row_h * i + row_h / 2 - 6
        out.append(f"<text x='{left - 8}' y='{yc + 4:.1f}' font-size='11' text-anchor='end'>{escape(r['label'])}</text>")
        y1, y2 = f"{yc - 9:.1f}", f"{yc + 9:.1f}"
        for s, peer in r.get("others", []):
            if s == s:
                xs = f"{x(s):.1f}"
                out.append(f"<line x1='{xs}' x2='{xs}' y1='{y1}' y2='{y2}' stroke='{'#5b8fd6' if peer else '#b5b5b5'}' stroke-width='2'/>")
        lo, hi, sc = r.get("low"), r.get("high"), r.get("score")
        if lo is not None and hi is not None and lo == lo and hi == hi:
            out.append(f"<line x1='{x(lo):.1f}' x2='{x(hi):.1f}' y1='{yc:.1f}' y2='{yc:.1f}' stroke='#c0392b' stroke-width='4' stroke-opacity='0.5'/>")
        if sc is not None and sc == sc:
            out.append(f"<circle cx='{x(sc):.1f}' cy='{yc:.1f}' r='6' fill='#c0392b'/>"
                       f"<text x='{x(sc):.1f}' y='{yc + 20:.1f}' font-size='9' text-anchor='middle'>{sc:.0f}</text>")
        else:
            out.append(f"<text x='{left + 4}' y='{yc + 4:.1f}' font-size='10' fill='#888'>non calculé (données insuffisantes)</text>")
    out.append("</svg>")
    return "".join(out)
