"""OpenStreetMap XML 0.6: points of interest and the street graph.

Two readers of the same landing file (``osm/territory.osm``):

- :func:`read_pois` returns shops, car parks and tourism features as points, through
  ``osmnx.features_from_xml`` for the geometry. A feature osmnx cannot place (a way or a
  relation whose members are missing from the extract, an unsupported relation type) is
  quarantined, never silently lost: ``rows_in`` counts the matching features of the file.
- :func:`read_street_graph` returns the street graph through ``osmnx.graph_from_xml``.
  ``graph_from_xml`` alone is not usable on real extracts: it turns *every* way (buildings,
  land use) into edges, adds every node of the file (isolated nodes with
  ``retain_all=True``) and fails outright when a way references a node clipped out of the
  extract ("Some edges missing nodes"). So the file is first reduced to its street ways
  (see :func:`read_street_graph`); ``docs/routing.md`` describes the result.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from osmnx._errors import InsufficientResponseError
from osmnx.graph import _create_graph

from pipelines.constants import CRS_WGS84, GEOMETRY_COLUMN
from pipelines.errors import InputError
from pipelines.network import GRAPH_WAY_TAGS, NON_ROUTABLE_HIGHWAYS
from pipelines.quarantine import ReadResult, empty_quarantine, quarantine_rows

SOURCE = "osm"

TOURISM_VALUES = (
    "attraction",
    "museum",
    "viewpoint",
    "information",
    "artwork",
    "gallery",
    "zoo",
    "theme_park",
)
PLACE_VALUES = ("city", "town", "village", "suburb", "quarter", "neighbourhood", "hamlet", "locality")
"""``place=*`` values read as named places (kind ``place``): the names written on the report's
maps. Only named places are kept."""
SHOP_AMENITIES = ("pharmacy", "restaurant", "cafe", "fast_food", "bar", "pub", "ice_cream")
"""``amenity=*`` values that are shops for the programme (pharmacies and horeca)."""

POI_TAGS: dict[str, bool | str | list[str]] = {
    "shop": True,
    "amenity": ["parking", *SHOP_AMENITIES],
    "tourism": list(TOURISM_VALUES),
    "place": list(PLACE_VALUES),
}
"""The osmnx tag query of :func:`read_pois` (a feature matches any of them)."""

POI_COLUMNS = (
    "osm_id",
    "kind",
    "subtype",
    "name",
    "website",
    "opening_hours",
    "capacity",
    "addr_street",
    "addr_housenumber",
    "addr_postcode",
    "social",
    "payment",
    "delivery",
    "takeaway",
    "check_date",
    GEOMETRY_COLUMN,
)
_POI_TEXT_COLUMNS = {
    "name": ("name",),
    "website": ("website", "contact:website"),
    "opening_hours": ("opening_hours",),
    "addr_street": ("addr:street",),
    "addr_housenumber": ("addr:housenumber",),
    "addr_postcode": ("addr:postcode",),
}


SIMPLIFY_SPLIT_TAGS = GRAPH_WAY_TAGS
"""A node where any of these differ between its edges stays a graph node, so that a
simplified edge carries one value of each (no lists for the routing tags)."""

_OSMNX_RELATION_TYPES = frozenset({"multipolygon", "boundary"})
_INTEGER = re.compile(r"^\s*\d+\s*$")


@dataclass
class _OsmFile:
    """The elements of an OSM XML file, in file order."""

    nodes: dict[int, tuple[str, str, dict[str, str]]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    relations: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_pois(path: Path) -> ReadResult:
    """Read shops, car parks and tourism features of an OSM XML file as points.

    Parameters
    ----------
    path : Path
        OSM XML 0.6 file.

    Returns
    -------
    ReadResult
        ``table``: GeoDataFrame EPSG:4326 with the columns of :data:`POI_COLUMNS`, one
        row per matching feature: ``osm_id`` (``'node/123'``, ``'way/45'``,
        ``'relation/6'``), ``kind`` (``'shop'`` for any ``shop=*`` or a
        :data:`SHOP_AMENITIES` amenity, else ``'parking'`` for ``amenity=parking``, else ``'tourism'`` for the values of
        :data:`TOURISM_VALUES`, else ``'place'`` for a named ``place=*`` of
        :data:`PLACE_VALUES`), ``subtype`` (that tag's value), ``website`` (``website``
        or else ``contact:website``), ``capacity`` (Int64; null when absent or not a
        whole number: the POI is kept), and a Point (a way or relation becomes its
        representative point, which lies inside it).
        ``quarantine``: features that cannot be placed (no geometry), with
        ``row_number`` the 1-based index of the feature among the matching features in
        file order (nodes, then ways, then relations).

    Raises
    ------
    InputError
        If the file is missing or is not OSM XML.
    """
    path = Path(path)
    osm = _parse(path)
    census = _poi_census(osm)
    if not census:
        return ReadResult(_empty_pois(), empty_quarantine(), 0)
    placed = _osmnx_geometries(path)
    accepted, rejected = [], []
    for row_number, (osm_id, kind, subtype, tags) in enumerate(census, start=1):
        geometry = placed.get(osm_id)
        if geometry is None or geometry.is_empty:
            reason = _unplaced_reason(osm_id, osm)
            rejected.append((row_number, reason, {"osm_id": osm_id, **tags}))
        else:
            accepted.append(_poi_record(osm_id, kind, subtype, tags, geometry))
    table = _poi_frame(accepted)
    quarantine = quarantine_rows(
        SOURCE,
        str(path),
        [r[0] for r in rejected],
        [r[1] for r in rejected],
        [r[2] for r in rejected],
    )
    return ReadResult(table, quarantine, len(census))


def read_street_graph(path: Path) -> nx.MultiDiGraph:
    """Read the street graph of an OSM XML file.

    The file is reduced to its street ways (``highway=*`` except the values of
    :data:`pipelines.network.NON_ROUTABLE_HIGHWAYS` and ``area=yes``) and the nodes they
    use. A way that references nodes missing from the extract is cut there: each stretch
    of at least two present nodes is kept (the first keeps the way id, the others get
    the negative ids ``-(way_id * 1000 + k)``). :func:`street_graph` makes the osmnx graph
    of those ways, as ``osmnx.graph_from_xml(bidirectional=False, simplify=False,
    retain_all=True)`` would of a file holding only them, then simplifies it.

    Parameters
    ----------
    path : Path
        OSM XML 0.6 file.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx graph in EPSG:4326: nodes with ``x``, ``y``; edges with ``length``
        (metres, great-circle), ``geometry`` on simplified edges, the tags of
        :data:`GRAPH_WAY_TAGS` where present, and osmnx's ``oneway`` (a bool: ``True``
        for ``oneway=yes|true|1|-1|reverse`` and ``junction=roundabout``; a one-way way
        is added once, in its travel direction, ``-1`` ways reversed), ``reversed`` and
        ``osmid``. Two-way ways are present in both directions. Every connected
        component is kept.

    Raises
    ------
    InputError
        If the file is missing, is not OSM XML or has no street way.
    """
    path = Path(path)
    osm = _parse(path)
    ways = _street_ways(osm)
    if not ways:
        raise InputError(
            "no street in the OSM file",
            path=path,
            expected="ways tagged highway=* with at least two nodes present in the file",
            found=f"{len(osm.ways)} ways, none usable as a street",
        )
    graph = street_graph(osm, ways)
    graph.graph["source_file"] = str(path)
    return graph


def street_graph(osm: _OsmFile, ways: list[tuple[int, list[int], dict[str, str]]]) -> nx.MultiDiGraph:
    """The simplified osmnx graph of the street ``ways`` (both readers, XML and PBF, end here).

    osmnx builds its graph from the Overpass-like JSON of the ways and their nodes
    (:func:`_overpass_json`: what ``osmnx.graph_from_xml`` makes of a file holding only them,
    without writing and parsing that file), keeping every component, then simplifies it as
    ``osmnx.simplify_graph(edge_attrs_differ=SIMPLIFY_SPLIT_TAGS, remove_rings=False)`` does.
    """
    with _useful_way_tags(GRAPH_WAY_TAGS):
        graph = _create_graph([_overpass_json(osm, ways)], bidirectional=False)
    # osmnx's rule "a node whose edges differ in one of edge_attrs_differ stays" tests every
    # node edge by edge in Python (most of the time of a region's graph): the same nodes are
    # found here for all nodes at once and passed as node_attrs_include, its rule "a node
    # with one of these attributes stays"; the simplified graph is the same
    split = _split_nodes(graph, SIMPLIFY_SPLIT_TAGS)
    nx.set_node_attributes(graph, dict.fromkeys(split, True), _SPLIT_NODE)
    simple = ox.simplify_graph(graph, node_attrs_include=[_SPLIT_NODE], remove_rings=False)
    for node in split:
        if node in simple:
            del simple.nodes[node][_SPLIT_NODE]
    return simple


_SPLIT_NODE = "_smartcommerce_split"
"""A node attribute set only while simplifying (:func:`street_graph`)."""


def _split_nodes(graph: nx.MultiDiGraph, attrs: Sequence[str]) -> set[int]:
    """The nodes whose incoming and outgoing edges hold more than one value of any of
    ``attrs`` (a missing attribute is the value None), as osmnx's ``edge_attrs_differ``
    finds them."""
    ends = [(u, v, data) for u, v, data in graph.edges(data=True)]
    if not ends:
        return set()
    nodes = np.array([u for u, _, _ in ends] + [v for _, v, _ in ends])
    split: set[int] = set()
    for attr in attrs:
        values = [data.get(attr) for _, _, data in ends]
        distinct = pd.Series(values + values, dtype=object).groupby(nodes).nunique(dropna=False)
        split.update(distinct.index[distinct.to_numpy() > 1].tolist())
    return split


def _overpass_json(
    osm: _OsmFile, ways: list[tuple[int, list[int], dict[str, str]]]
) -> dict:
    """The street ways and their nodes as the Overpass-like JSON that osmnx builds graphs from.

    The same elements as ``osmnx.graph_from_xml`` makes of an OSM XML file holding only the
    ways and their nodes.
    """
    used = sorted({ref for _, refs, _ in ways for ref in refs})
    elements: list[dict] = []
    for node_id in used:
        lat, lon, tags = osm.nodes[node_id]
        elements.append(
            {"type": "node", "tags": dict(tags), "id": node_id, "lat": float(lat), "lon": float(lon)}
        )
    elements.extend(
        {"type": "way", "tags": dict(tags), "id": way_id, "nodes": list(refs)}
        for way_id, refs, tags in ways
    )
    return {"version": "0.6", "generator": "smartcommerce", "elements": elements}


def _parse(path: Path) -> _OsmFile:
    """Parse nodes, ways and relations of an OSM XML file (tags as dicts)."""
    if not path.is_file():
        raise InputError("OSM file not found", path=path, expected="an OSM XML file")
    osm = _OsmFile()
    root_seen = False
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                if not root_seen and element.tag != "osm":
                    raise InputError(
                        "not an OSM XML file",
                        path=path,
                        expected="an <osm> root element",
                        found=f"<{element.tag}>",
                    )
                root_seen = True
            elif element.tag in ("node", "way", "relation"):
                _collect(osm, element)
    except ET.ParseError as err:
        raise InputError(
            "not well-formed XML", path=path, expected="OSM XML 0.6", found=str(err)
        ) from err
    except OSError as err:
        raise InputError("cannot read the OSM file", path=path, found=str(err)) from err
    return osm


def _collect(osm: _OsmFile, element: ET.Element) -> None:
    """Record one node, way or relation element, then free its memory."""
    tags = {t.get("k", ""): t.get("v", "") for t in element.iter("tag")}
    element_id = int(element.get("id", "0"))
    if element.tag == "node":
        lat, lon = element.get("lat"), element.get("lon")
        if lat is not None and lon is not None:
            osm.nodes[element_id] = (lat, lon, tags)
    elif element.tag == "way":
        refs = [int(nd.get("ref", "0")) for nd in element.iter("nd")]
        osm.ways.append((element_id, refs, tags))
    else:
        osm.relations.append((element_id, tags))
    element.clear()


def _poi_kind(tags: dict[str, str]) -> tuple[str, str] | None:
    """(kind, subtype) of a feature, or None when it is not a POI of interest."""
    if "shop" in tags:
        return "shop", tags["shop"]
    if tags.get("amenity") in SHOP_AMENITIES:
        return "shop", tags["amenity"]
    if tags.get("amenity") == "parking":
        return "parking", "parking"
    if tags.get("tourism") in TOURISM_VALUES:
        return "tourism", tags["tourism"]
    if tags.get("place") in PLACE_VALUES and tags.get("name"):
        return "place", tags["place"]
    return None


def _poi_census(osm: _OsmFile) -> list[tuple[str, str, str, dict[str, str]]]:
    """Every matching feature in file order: (osm_id, kind, subtype, tags)."""
    census = []
    elements = [
        *((f"node/{i}", tags) for i, (_, _, tags) in osm.nodes.items()),
        *((f"way/{i}", tags) for i, _, tags in osm.ways),
        *((f"relation/{i}", tags) for i, tags in osm.relations),
    ]
    for osm_id, tags in elements:
        kind = _poi_kind(tags)
        if kind is not None:
            census.append((osm_id, kind[0], kind[1], tags))
    return census


def _osmnx_geometries(path: Path) -> dict[str, shapely.Geometry]:
    """osm_id -> geometry of the POI features osmnx can build."""
    try:
        features = ox.features_from_xml(path, tags=POI_TAGS)
    except InsufficientResponseError:
        return {}
    ids = [f"{element}/{osm_id}" for element, osm_id in features.index]
    return dict(zip(ids, features.geometry.to_numpy(), strict=True))


def _unplaced_reason(osm_id: str, osm: _OsmFile) -> str:
    element, _, number = osm_id.partition("/")
    if element == "way":
        refs = next(r for i, r, _ in osm.ways if i == int(number))
        if any(ref not in osm.nodes for ref in refs):
            return "no geometry: way references nodes missing from the file"
        return "no geometry: way cannot be built"
    if element == "relation":
        tags = next(t for i, t in osm.relations if i == int(number))
        if tags.get("type") not in _OSMNX_RELATION_TYPES:
            return "no geometry: relation type not supported (only multipolygon, boundary)"
        return "no geometry: relation members missing from the file"
    return "no geometry"


SOCIAL_NETWORKS = ("facebook", "instagram", "twitter", "youtube", "tiktok", "linkedin")
"""``contact:<network>`` (or ``<network>``) tags read as the shop's social networks."""


def _online_tags(tags: dict[str, str]) -> dict[str, object]:
    """The online half of the journey as OSM maps it: ``social`` (networks with a link,
    ``;``-joined), ``payment`` (``payment:*=yes`` methods, ``;``-joined), ``delivery`` and
    ``takeaway`` (the tag's value) and ``check_date`` (``check_date`` or
    ``check_date:opening_hours``: when a mapper last checked the shop)."""
    social = [n for n in SOCIAL_NETWORKS if tags.get(f"contact:{n}") or tags.get(n)]
    payment = sorted(k.split(":", 1)[1] for k, v in tags.items() if k.startswith("payment:") and v == "yes")
    return {
        "social": ";".join(social) or None,
        "payment": ";".join(payment) or None,
        "delivery": tags.get("delivery") or None,
        "takeaway": tags.get("takeaway") or None,
        "check_date": tags.get("check_date") or tags.get("check_date:opening_hours") or None,
    }


def _poi_record(
    osm_id: str, kind: str, subtype: str, tags: dict[str, str], geometry: shapely.Geometry
) -> dict[str, object]:
    record: dict[str, object] = {"osm_id": osm_id, "kind": kind, "subtype": subtype}
    for column, keys in _POI_TEXT_COLUMNS.items():
        record[column] = next((tags[k] for k in keys if tags.get(k)), None)
    record.update(_online_tags(tags))
    capacity = tags.get("capacity")
    record["capacity"] = int(capacity) if capacity and _INTEGER.match(capacity) else None
    record[GEOMETRY_COLUMN] = shapely.point_on_surface(geometry)
    return record


def _poi_frame(records: Sequence[dict[str, object]]) -> gpd.GeoDataFrame:
    if not records:
        return _empty_pois()
    frame = pd.DataFrame.from_records(records, columns=list(POI_COLUMNS))
    frame = frame.astype(
        {c: "string" for c in POI_COLUMNS if c not in ("capacity", GEOMETRY_COLUMN)}
    )
    frame["capacity"] = pd.array(frame["capacity"].tolist(), dtype="Int64")
    return gpd.GeoDataFrame(frame, geometry=GEOMETRY_COLUMN, crs=CRS_WGS84)


def _empty_pois() -> gpd.GeoDataFrame:
    data = {c: pd.Series(dtype="string") for c in POI_COLUMNS if c != GEOMETRY_COLUMN}
    data["capacity"] = pd.Series(dtype="Int64")
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=CRS_WGS84), crs=CRS_WGS84)


def _street_ways(osm: _OsmFile) -> list[tuple[int, list[int], dict[str, str]]]:
    """Street ways cut into stretches of nodes present in the file."""
    streets = []
    for way_id, refs, tags in osm.ways:
        highway = tags.get("highway")
        if not highway or highway in NON_ROUTABLE_HIGHWAYS or tags.get("area") == "yes":
            continue
        for k, stretch in enumerate(_present_stretches(refs, osm.nodes)):
            streets.append((way_id if k == 0 else -(way_id * 1000 + k), stretch, tags))
    return streets


def _present_stretches(refs: list[int], nodes: dict[int, object]) -> list[list[int]]:
    stretches: list[list[int]] = [[]]
    for ref in refs:
        if ref in nodes:
            stretches[-1].append(ref)
        elif stretches[-1]:
            stretches.append([])
    return [s for s in stretches if len(s) >= 2]


def write_osm_xml(
    target: Path,
    nodes: Mapping[int, tuple[str, str, Mapping[str, str]]],
    node_ids: Iterable[int],
    ways: Iterable[tuple[int, Sequence[int], Mapping[str, str]]],
    relations: Iterable[tuple[int, Mapping[str, str], Sequence[tuple[str, int, str]]]] = (),
) -> None:
    """Write OSM XML 0.6: the nodes of ``node_ids`` (``nodes[id] = (lat, lon, tags)``, those
    present, sorted), then ``ways`` and ``relations`` as given."""
    root = ET.Element("osm", version="0.6", generator="smartcommerce")
    for node_id in sorted(set(node_ids) & nodes.keys()):
        lat, lon, tags = nodes[node_id]
        node = ET.SubElement(root, "node", id=str(node_id), lat=lat, lon=lon)
        for k, v in tags.items():
            ET.SubElement(node, "tag", k=k, v=v)
    for way_id, refs, tags in ways:
        way = ET.SubElement(root, "way", id=str(way_id))
        for ref in refs:
            ET.SubElement(way, "nd", ref=str(ref))
        for k, v in tags.items():
            ET.SubElement(way, "tag", k=k, v=v)
    for rel_id, tags, members in relations:
        rel = ET.SubElement(root, "relation", id=str(rel_id))
        for t, ref, role in members:
            ET.SubElement(rel, "member", type=t, ref=str(ref), role=role)
        for k, v in tags.items():
            ET.SubElement(rel, "tag", k=k, v=v)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


@contextmanager
def _useful_way_tags(tags: Sequence[str]) -> Iterator[None]:
    """Temporarily add ``tags`` to osmnx's ``settings.useful_tags_way``."""
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *tags]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved
