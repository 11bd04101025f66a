"""Per-mode street networks (walk, bike, drive) from an OSM street graph.

:func:`mode_network` turns the ``networkx.MultiDiGraph`` of
:func:`pipelines.sources.osm.read_street_graph` into two GeoDataFrames (nodes, directed
edges) with a metric length, a speed and a travel time on every edge, keeping only the
ways the mode may use and the directions it may travel. The rules and the default speeds
are documented in ``docs/routing.md``; the tables are module constants below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from pipelines.constants import CRS_METRIC, CRS_WGS84, GEOMETRY_COLUMN
from pipelines.workers import fork_map

MODES = ("walk", "bike", "drive")

WALK_SPEED_KMH = 4.8
BIKE_SPEED_KMH = 15.0

NODE_COLUMNS = ("node_id", GEOMETRY_COLUMN)
EDGE_COLUMNS = (
    "u",
    "v",
    "key",
    "highway",
    "name",
    "length_m",
    "speed_kmh",
    "travel_time_s",
    GEOMETRY_COLUMN,
)

NON_ROUTABLE_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_stop",
        "construction",
        "disused",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
"""``highway`` values that are not travelled by anyone (dropped for every mode)."""

DRIVE_DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 120.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 50.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 40.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "road": 30.0,
}
"""Free-flow car speed by ``highway`` type when ``maxspeed`` is absent or unusable.
These keys are also the highway types a car may use."""

FALLBACK_DRIVE_SPEED_KMH = 30.0
"""Speed of a drivable edge whose highway type is not in the table (should not happen)."""

MAXSPEED_ZONES_KMH: dict[str, float] = {
    "BE:urban": 50.0,
    "BE:rural": 90.0,
    "BE-WAL:rural": 90.0,
    "BE-VLG:rural": 70.0,
    "BE-BRU:urban": 30.0,
    "BE:motorway": 120.0,
    "BE:trunk": 120.0,
    "BE:zone30": 30.0,
    "BE:zone50": 50.0,
    "BE:school": 30.0,
    "BE:living_street": 20.0,
    "BE:cyclestreet": 30.0,
    "FR:rural": 80.0,
    "NL:rural": 80.0,
    "DE:rural": 100.0,
    "LU:rural": 90.0,
}
"""Implicit ``maxspeed`` values (``country:zone``) with a known limit."""

MAXSPEED_ZONE_SUFFIXES_KMH: dict[str, float] = {
    "urban": 50.0,
    "rural": 90.0,
    "motorway": 120.0,
    "trunk": 90.0,
    "zone30": 30.0,
    "zone:30": 30.0,
    "zone20": 20.0,
    "zone:20": 20.0,
    "school": 30.0,
    "living_street": 20.0,
    "walk": 6.0,
    "bicycle_road": 30.0,
    "cyclestreet": 30.0,
}
"""Fallback for ``XX:<suffix>`` codes of other countries (and bare ``walk``)."""

_UNIT_TO_KMH = {"": 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_NUMERIC_SPEED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)

WALK_EXCLUDED_HIGHWAYS = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "cycleway", "bus_guideway", "busway"}
)
BIKE_EXCLUDED_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "footway",
        "steps",
        "corridor",
        "elevator",
        "escalator",
        "bus_guideway",
        "busway",
    }
)
ACCESS_DENIED = frozenset(
    {"no", "private", "agricultural", "forestry", "delivery", "emergency", "use_sidepath"}
)
"""``access``/``foot``/``bicycle``/``motor_vehicle``/``motorcar`` values closing a way."""
ACCESS_GRANTED = frozenset({"yes", "designated", "permissive", "destination", "customers"})
"""Mode-specific values that reopen a way closed by ``access`` or by its highway type."""
BIKE_CONTRAFLOW_CYCLEWAY = frozenset(
    {"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"}
)
SERVICE_NO_DRIVE = frozenset({"emergency_access"})
_ONEWAY_TRUE = frozenset({"yes", "true", "1", "-1", "reverse", "t"})

GRAPH_WAY_TAGS = (
    "highway",
    "maxspeed",
    "oneway",
    "name",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "oneway:bicycle",
    "cycleway",
    "junction",
    "service",
)
"""Way tags kept as edge attributes (the OSM reader adds them to osmnx's ``useful_tags_way``)."""


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value into km/h.

    Parameters
    ----------
    value : Any
        ``'50'``, ``'50 km/h'``, ``'30 mph'``, ``'10 knots'``, an implicit zone such as
        ``'BE:urban'`` or ``'BE-VLG:rural'``, ``'walk'``, several values separated by
        ``;`` or ``|`` (or a list of them, as after graph simplification), or None.

    Returns
    -------
    float or None
        The limit in km/h (the mean of several values), or None when there is none to
        use (``'none'``, ``'signals'``, ``'variable'``, unknown text, missing, <= 0).
    """
    values = [v.strip() for v in _tag_values(value) for v in re.split(r"[;|]", v)]
    speeds = [s for s in (_parse_one_speed(v) for v in values if v) if s is not None]
    if not speeds:
        return None
    return float(sum(speeds) / len(speeds))


def _parse_one_speed(text: str) -> float | None:
    match = _NUMERIC_SPEED.match(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        speed = number * _UNIT_TO_KMH[(match.group(2) or "").lower()]
        return speed if speed > 0 else None
    if text in MAXSPEED_ZONES_KMH:
        return MAXSPEED_ZONES_KMH[text]
    suffix = text.split(":", 1)[1] if ":" in text else text
    return MAXSPEED_ZONE_SUFFIXES_KMH.get(suffix.strip().lower().replace(" ", ""))


def drive_speed_kmh(maxspeed: Any, highway: Any) -> float:
    """Car speed of one edge: the parsed ``maxspeed``, else the highway-type default.

    Parameters
    ----------
    maxspeed : Any
        The edge's ``maxspeed`` tag (see :func:`parse_maxspeed`), possibly missing.
    highway : Any
        The edge's ``highway`` tag (a string, or a list after simplification: the mean
        of their defaults).

    Returns
    -------
    float
        Speed in km/h.
    """
    parsed = parse_maxspeed(maxspeed)
    if parsed is not None:
        return parsed
    defaults = [
        DRIVE_DEFAULT_SPEED_KMH[h] for h in _tag_values(highway) if h in DRIVE_DEFAULT_SPEED_KMH
    ]
    if not defaults:
        return FALLBACK_DRIVE_SPEED_KMH
    return float(sum(defaults) / len(defaults))


def mode_networks(graph: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, int]]:
    """Every mode's network in two tables (``mode`` column) and their sizes per mode (the
    modes are shared among the worker processes: :func:`pipelines.workers.fork_map`)."""
    nodes_all, edges_all, sizes = [], [], {}
    for mode, (nodes, edges) in zip(MODES, fork_map(lambda mode: mode_network(graph, mode), MODES), strict=True):
        nodes_all.append(nodes.assign(mode=mode))
        edges_all.append(edges.assign(mode=mode))
        sizes[f"{mode}_nodes"], sizes[f"{mode}_edges"] = len(nodes), len(edges)
    nodes = gpd.GeoDataFrame(pd.concat(nodes_all, ignore_index=True), crs=CRS_WGS84)
    edges = gpd.GeoDataFrame(pd.concat(edges_all, ignore_index=True), crs=CRS_WGS84)
    return nodes, edges, sizes


def mode_network(graph: nx.MultiDiGraph, mode: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The directed network one mode may use, with lengths, speeds and travel times.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An osmnx-style street graph in EPSG:4326 (node attributes ``x``, ``y``; edge
        attributes ``length`` in metres, ``highway``, optional ``geometry``, ``oneway``
        as osmnx sets it, and the OSM tags kept by ``read_street_graph``).
    mode : str
        One of :data:`MODES`.

    Returns
    -------
    nodes : geopandas.GeoDataFrame
        ``node_id, geometry`` (EPSG:4326): the nodes touched by the mode's edges.
    edges : geopandas.GeoDataFrame
        ``u, v, key, highway, name, length_m, speed_kmh, travel_time_s, geometry``
        (EPSG:4326), one row per direction of travel. Walk edges exist in both
        directions; bike edges in both unless the way is one-way for bikes; drive edges
        follow the graph (one-way streets once).

    Raises
    ------
    ValueError
        If ``mode`` is not one of :data:`MODES`.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    edges = _edge_frame(graph)
    edges = edges[_allowed(edges, mode)].reset_index(drop=True)
    if mode in ("walk", "bike"):
        edges = _add_reverse_edges(edges, _needs_reverse(edges, mode))
    edges["speed_kmh"] = _speeds(edges, mode)
    edges["travel_time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    edges["highway"] = edges["highway"].map(_joined).astype("string")
    edges["name"] = edges["name"].map(_joined).astype("string")
    out_edges = gpd.GeoDataFrame(edges[list(EDGE_COLUMNS)], geometry=GEOMETRY_COLUMN, crs=CRS_WGS84)
    return _node_frame(graph, out_edges), out_edges


def _edge_frame(graph: nx.MultiDiGraph) -> pd.DataFrame:
    """Every edge of the graph with its attributes and a filled (straight) geometry."""
    rows = [
        {"u": u, "v": v, "key": k, **data} for u, v, k, data in graph.edges(keys=True, data=True)
    ]
    frame = pd.DataFrame(rows, columns=None if rows else ["u", "v", "key"])
    for column in (*GRAPH_WAY_TAGS, "length", GEOMETRY_COLUMN):
        if column not in frame.columns:
            frame[column] = None
    missing = frame[GEOMETRY_COLUMN].isna()
    if missing.any():
        xs = nx.get_node_attributes(graph, "x")
        ys = nx.get_node_attributes(graph, "y")
        frame.loc[missing, GEOMETRY_COLUMN] = [
            shapely.LineString([(xs[u], ys[u]), (xs[v], ys[v])])
            for u, v in zip(frame.loc[missing, "u"], frame.loc[missing, "v"], strict=True)
        ]
    frame["length_m"] = pd.to_numeric(frame["length"], errors="coerce").astype(float)
    no_length = frame["length_m"].isna()
    if no_length.any():
        metric = gpd.GeoSeries(frame.loc[no_length, GEOMETRY_COLUMN], crs=CRS_WGS84).to_crs(
            CRS_METRIC
        )
        frame.loc[no_length, "length_m"] = metric.length.to_numpy()
    for column in ("u", "v", "key"):
        frame[column] = frame[column].astype("int64")
    return frame


def _node_frame(graph: nx.MultiDiGraph, edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    used = pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    used = np.sort(used.astype("int64"))
    xs = np.array([graph.nodes[n]["x"] for n in used], dtype=float)
    ys = np.array([graph.nodes[n]["y"] for n in used], dtype=float)
    return gpd.GeoDataFrame(
        {"node_id": pd.Series(used, dtype="int64")},
        geometry=gpd.points_from_xy(xs, ys),
        crs=CRS_WGS84,
    )


def _tag_values(value: Any) -> list[str]:
    """The values of a tag as strings: [] when missing, several after simplification."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [str(v) for v in value if not _is_missing(v)]
    if _is_missing(value):
        return []
    return [str(value)]


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _joined(value: Any) -> str | None:
    values = list(dict.fromkeys(_tag_values(value)))
    return ";".join(values) if values else None


def _any_in(column: pd.Series, values: Iterable[str]) -> pd.Series:
    wanted = frozenset(values)
    return column.map(lambda v: any(x in wanted for x in _tag_values(v))).astype(bool)


def _allowed(edges: pd.DataFrame, mode: str) -> pd.Series:
    """Boolean mask of the edges ``mode`` may use (see ``docs/routing.md``)."""
    routable = edges["highway"].map(lambda v: bool(_tag_values(v))) & ~_any_in(
        edges["highway"], NON_ROUTABLE_HIGHWAYS
    )
    closed = _any_in(edges["access"], ACCESS_DENIED)
    if mode == "walk":
        granted = _any_in(edges["foot"], ACCESS_GRANTED)
        excluded = _any_in(edges["highway"], WALK_EXCLUDED_HIGHWAYS) & ~granted
        denied = _any_in(edges["foot"], ACCESS_DENIED) | (closed & ~granted)
        return routable & ~excluded & ~denied
    if mode == "bike":
        granted = _any_in(edges["bicycle"], ACCESS_GRANTED)
        excluded = _any_in(edges["highway"], BIKE_EXCLUDED_HIGHWAYS) & ~granted
        denied = _any_in(edges["bicycle"], ACCESS_DENIED) | (closed & ~granted)
        return routable & ~excluded & ~denied
    granted = _any_in(edges["motor_vehicle"], ACCESS_GRANTED) | _any_in(
        edges["motorcar"], ACCESS_GRANTED
    )
    drivable = (
        edges["highway"]
        .map(
            lambda v: (
                bool(_tag_values(v)) and all(h in DRIVE_DEFAULT_SPEED_KMH for h in _tag_values(v))
            )
        )
        .astype(bool)
    )
    denied = (
        _any_in(edges["motor_vehicle"], ACCESS_DENIED)
        | _any_in(edges["motorcar"], ACCESS_DENIED)
        | (closed & ~granted)
        | _any_in(edges["service"], SERVICE_NO_DRIVE)
    )
    return routable & drivable & ~denied


def _is_oneway(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return any(v.strip().lower() in _ONEWAY_TRUE for v in _tag_values(value))


def _needs_reverse(edges: pd.DataFrame, mode: str) -> pd.Series:
    """Edges whose reverse direction must be added for ``mode``.

    One-way edges (walk always; bike only when ``oneway:bicycle=no`` or a contraflow
    ``cycleway=opposite*``), and any edge whose ``(v, u)`` pair is absent although the
    way is not one-way (a graph built without reverse edges).
    """
    oneway = edges["oneway"].map(_is_oneway).astype(bool)
    pairs = set(zip(edges["u"], edges["v"], strict=True))
    lacks = pd.Series(
        [(v, u) not in pairs for u, v in zip(edges["u"], edges["v"], strict=True)],
        index=edges.index,
        dtype=bool,
    )
    if mode == "walk":
        return oneway | lacks
    contraflow = _any_in(edges["oneway:bicycle"], {"no"}) | _any_in(
        edges["cycleway"], BIKE_CONTRAFLOW_CYCLEWAY
    )
    return (oneway & contraflow) | (~oneway & lacks)


def _add_reverse_edges(edges: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Append the reverse of the flagged edges (reversed geometry, fresh unique keys)."""
    if not mask.any():
        return edges
    rev = edges[mask].copy()
    rev["u"], rev["v"] = edges.loc[mask, "v"].to_numpy(), edges.loc[mask, "u"].to_numpy()
    rev[GEOMETRY_COLUMN] = shapely.reverse(rev[GEOMETRY_COLUMN].to_numpy())
    next_key = edges.groupby(["u", "v"])["key"].max().add(1)
    base = pd.Series(
        [next_key.get((u, v), 0) for u, v in zip(rev["u"], rev["v"], strict=True)],
        index=rev.index,
        dtype="int64",
    )
    rev["key"] = base + rev.groupby(["u", "v"]).cumcount()
    return pd.concat([edges, rev], ignore_index=True)


def _speeds(edges: pd.DataFrame, mode: str) -> pd.Series:
    if mode == "walk":
        return pd.Series(WALK_SPEED_KMH, index=edges.index, dtype=float)
    if mode == "bike":
        return pd.Series(BIKE_SPEED_KMH, index=edges.index, dtype=float)
    speeds = [
        drive_speed_kmh(m, h) for m, h in zip(edges["maxspeed"], edges["highway"], strict=True)
    ]
    return pd.Series(speeds, index=edges.index, dtype=float)
