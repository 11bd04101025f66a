"""OpenStreetMap PBF (as Geofabrik and BBBike deliver it), clipped to a territory.

The same two frames as the XML reader (:mod:`pipelines.sources.osm`), from a PBF extract
of any size:

- :func:`read_pois` returns exactly what :func:`pipelines.sources.osm.read_pois` returns
  for the same elements (columns :data:`~pipelines.sources.osm.POI_COLUMNS`, quarantine of
  the features that cannot be placed, ``rows_in`` = matching features);
- :func:`read_street_graph` returns exactly what
  :func:`pipelines.sources.osm.read_street_graph` returns (an osmnx ``MultiDiGraph``,
  the input of :func:`pipelines.network.mode_network`).

The PBF is decoded by DuckDB spatial's ``ST_ReadOSM`` (C++, loaded offline by
:func:`pipelines.db.connect`, already in the stack). Measured on 2026-12-01 (2 cores, load
average about 10), reading every node, way and relation into Python lists:

- DuckDB ``ST_ReadOSM``: 0.21 s on the real Wechelderzande extract (149 kB PBF, 11,582
  nodes, 2,342 ways, 54 relations); on the 262-commune demo PBF (1.4 MB, 190,382 nodes,
  20,156 ways) 2.1 s wall, 1.9 s CPU, peak RSS 272 MB;
- pyosmium ``FileProcessor``: 1.04 s; 7.7 s wall, 4.4 s CPU, 123 MB;
- quackosm 0.19 (to a GeoDataFrame): 25.3 s; 28.6 s wall, 13.3 s CPU, 346 MB.

quackosm does more (it builds every feature's geometry) but returns features, not the node
references that the XML reader's stretch cutting and osmnx build start from; pyosmium is
leaner in memory but pays a Python call per element. Only the elements that matter are kept, in a few scans, filtered in SQL
before anything reaches Python:

1. the nodes inside ``bbox`` grown by ``buffer_m`` metres (every node without ``bbox``);
2. the POI relations (``shop=*``, the amenities and tourism values of the XML reader);
3. the street ways (``highway=*``), the POI ways and the member ways of those relations,
   kept when one of their nodes is in the box (whole ways, like
   ``osmium extract --strategy complete_ways``);
4. the nodes outside the box that the kept ways use.

A relation is kept when one of its members is. Elements are handed over in file order
(nodes, ways, relations, each by id, as in Geofabrik's sorted extracts) to the XML
reader's own census, stretch cutting and osmnx build, so that both paths agree.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import networkx as nx

from pipelines import db
from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, empty_quarantine, quarantine_rows
from pipelines.sources import osm as osm_xml

DEFAULT_BUFFER_M = 2000.0
"""Margin around the territory's bbox: streets and shops just across the border count."""
_M_PER_DEG_LAT = 111_320.0

_BOX_NODES = """
CREATE TEMP TABLE box_nodes AS
SELECT id, lat, lon, tags FROM ST_ReadOSM($path)
WHERE kind = 'node' AND lon BETWEEN $x0 AND $x1 AND lat BETWEEN $y0 AND $y1
"""
_POI_RELATIONS = """
CREATE TEMP TABLE rels AS
SELECT id, tags, refs, CAST(ref_types AS VARCHAR[]) AS types, ref_roles AS roles
FROM ST_ReadOSM($path)
WHERE kind = 'relation' AND (map_contains(tags, 'shop')
    OR list_contains($amenities, tags['amenity']) OR list_contains($tourism, tags['tourism']))
"""
_MEMBER_WAYS = """
CREATE TEMP TABLE member_ways AS
SELECT DISTINCT ref AS id FROM (SELECT unnest(refs) AS ref, unnest(types) AS type FROM rels)
WHERE type = 'way'
"""
_WAYS = """
CREATE TEMP TABLE ways AS
SELECT id, refs, tags FROM ST_ReadOSM($path)
WHERE kind = 'way' AND (map_contains(tags, 'highway') OR map_contains(tags, 'shop')
    OR list_contains($amenities, tags['amenity']) OR list_contains($tourism, tags['tourism'])
    OR id IN (SELECT id FROM member_ways))
"""
_CLIP_WAYS = """
DELETE FROM ways WHERE id NOT IN (
    SELECT DISTINCT w.id FROM (SELECT id, unnest(refs) AS ref FROM ways) w
    JOIN box_nodes b ON b.id = w.ref)
"""
_OUTER_NODES = """
INSERT INTO box_nodes
SELECT id, lat, lon, tags FROM ST_ReadOSM($path)
WHERE kind = 'node' AND id IN (SELECT unnest(refs) FROM ways)
    AND NOT (lon BETWEEN $x0 AND $x1 AND lat BETWEEN $y0 AND $y1)
"""
_CLIP_RELATIONS = """
DELETE FROM rels r WHERE NOT EXISTS (
    SELECT 1 FROM (SELECT unnest(r.refs) AS ref, unnest(r.types) AS type) m
    WHERE (m.type = 'way' AND m.ref IN (SELECT id FROM ways))
       OR (m.type = 'node' AND m.ref IN (SELECT id FROM box_nodes)))
"""
"""The clipping queries (run in this order; the last three only for a box)."""


@dataclass
class PbfExtract:
    """The elements of a PBF file that the OSM readers use, clipped to a box.

    ``nodes`` maps id -> (lat, lon, tags) with coordinates as 7-decimal texts (as in OSM
    XML); ``ways`` are (id, node refs, tags); ``relations`` are (id, tags, members) with
    members (type, ref, role). All in file order.
    """

    nodes: dict[int, tuple[str, str, dict[str, str]]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    relations: list[tuple[int, dict[str, str], list[tuple[str, int, str]]]] = field(
        default_factory=list
    )

    def as_osm_file(self) -> osm_xml._OsmFile:
        """The extract in the XML reader's own structure."""
        return osm_xml._OsmFile(
            nodes=self.nodes,
            ways=self.ways,
            relations=[(i, tags) for i, tags, _ in self.relations],
        )


def grow_bbox(
    bbox: tuple[float, float, float, float], buffer_m: float
) -> tuple[float, float, float, float]:
    """``(minlon, minlat, maxlon, maxlat)`` grown by ``buffer_m`` metres on every side."""
    minlon, minlat, maxlon, maxlat = bbox
    dlat = buffer_m / _M_PER_DEG_LAT
    dlon = buffer_m / (_M_PER_DEG_LAT * max(math.cos(math.radians(max(abs(minlat), abs(maxlat)))), 0.01))
    return minlon - dlon, minlat - dlat, maxlon + dlon, maxlat + dlat


def read_pbf(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> PbfExtract:
    """Read the street, POI and relation elements of a PBF file inside ``bbox`` + buffer.

    Parameters
    ----------
    path : Path
        OSM PBF file.
    bbox : tuple of float, optional
        ``(minlon, minlat, maxlon, maxlat)`` in EPSG:4326, e.g. the territory's communes;
        None keeps every element.
    buffer_m : float, default 2000
        Margin added to ``bbox`` on every side (metres).

    Returns
    -------
    PbfExtract

    Raises
    ------
    InputError
        If the file is missing or is not an OSM PBF file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("OSM PBF file not found", path=path, expected="an OSM PBF file")
    con = db.connect()
    try:
        return _read(con, path, None if bbox is None else grow_bbox(bbox, buffer_m))
    except duckdb.Error as err:
        raise InputError(
            "cannot read the OSM PBF file", path=path, expected="OSM PBF", found=str(err)
        ) from err
    finally:
        con.close()


def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    box: tuple[float, float, float, float] | None,
) -> PbfExtract:
    whole = box is None
    x0, y0, x1, y1 = (-180.0, -90.0, 180.0, 90.0) if box is None else box
    node_params = {"path": str(path), "x0": x0, "y0": y0, "x1": x1, "y1": y1}
    poi_params = {
        "path": str(path),
        "amenities": ["parking", *osm_xml.SHOP_AMENITIES],
        "tourism": list(osm_xml.TOURISM_VALUES),
    }
    con.execute(_BOX_NODES, node_params)
    con.execute(_POI_RELATIONS, poi_params)
    con.execute(_MEMBER_WAYS)
    con.execute(_WAYS, poi_params)
    if not whole:
        con.execute(_CLIP_WAYS)
        con.execute(_OUTER_NODES, node_params)
        con.execute(_CLIP_RELATIONS)
    out = PbfExtract()
    rows = con.execute(
        "SELECT id, printf('%.7f', lat), printf('%.7f', lon), tags FROM box_nodes ORDER BY id"
    ).fetchall()
    out.nodes = {i: (lat, lon, dict(tags or {})) for i, lat, lon, tags in rows}
    out.ways = [
        (i, list(refs), dict(tags or {}))
        for i, refs, tags in con.execute("SELECT id, refs, tags FROM ways ORDER BY id").fetchall()
    ]
    out.relations = [
        (
            i,
            dict(tags or {}),
            [(t, r, role or "") for t, r, role in zip(types, refs, roles, strict=True)],
        )
        for i, tags, refs, types, roles in con.execute(
            "SELECT id, tags, refs, types, roles FROM rels ORDER BY id"
        ).fetchall()
    ]
    return out


def read_pois(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> ReadResult:
    """Read shops, car parks and tourism features of a PBF file as points.

    Parameters
    ----------
    path : Path
        OSM PBF file.
    bbox : tuple of float, optional
        ``(minlon, minlat, maxlon, maxlat)`` EPSG:4326; None reads the whole file.
    buffer_m : float, default 2000
        Margin added to ``bbox`` (metres).

    Returns
    -------
    ReadResult
        As :func:`pipelines.sources.osm.read_pois`, for the elements of the clipped
        extract; quarantined rows name the PBF file.

    Raises
    ------
    InputError
        If the file is missing or is not OSM PBF.
    """
    path = Path(path)
    extract = read_pbf(path, bbox=bbox, buffer_m=buffer_m)
    osm = extract.as_osm_file()
    census = osm_xml._poi_census(osm)
    if not census:
        return ReadResult(osm_xml._empty_pois(), empty_quarantine(), 0)
    with tempfile.TemporaryDirectory(prefix="osm-pois-") as tmp:
        features = Path(tmp) / "features.osm"
        _write_features(features, extract)
        placed = osm_xml._osmnx_geometries(features)
    accepted, rejected = [], []
    for row_number, (osm_id, kind, subtype, tags) in enumerate(census, start=1):
        geometry = placed.get(osm_id)
        if geometry is None or geometry.is_empty:
            reason = osm_xml._unplaced_reason(osm_id, osm)
            rejected.append((row_number, reason, {"osm_id": osm_id, **tags}))
        else:
            accepted.append(osm_xml._poi_record(osm_id, kind, subtype, tags, geometry))
    table: gpd.GeoDataFrame = osm_xml._poi_frame(accepted)
    quarantine = quarantine_rows(
        osm_xml.SOURCE,
        str(path),
        [r[0] for r in rejected],
        [r[1] for r in rejected],
        [r[2] for r in rejected],
    )
    return ReadResult(table, quarantine, len(census))


def read_street_graph(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> nx.MultiDiGraph:
    """Read the street graph of a PBF file inside ``bbox`` + buffer.

    Parameters
    ----------
    path : Path
        OSM PBF file.
    bbox : tuple of float, optional
        ``(minlon, minlat, maxlon, maxlat)`` EPSG:4326; None reads the whole file.
    buffer_m : float, default 2000
        Margin added to ``bbox`` (metres).

    Returns
    -------
    networkx.MultiDiGraph
        As :func:`pipelines.sources.osm.read_street_graph` (``graph["source_file"]`` is the
        PBF file).

    Raises
    ------
    InputError
        If the file is missing, is not OSM PBF or has no street way in the box.
    """
    path = Path(path)
    osm = read_pbf(path, bbox=bbox, buffer_m=buffer_m).as_osm_file()
    ways = osm_xml._street_ways(osm)
    if not ways:
        raise InputError(
            "no street in the OSM file",
            path=path,
            expected="ways tagged highway=* with at least two nodes in the box",
            found=f"{len(osm.ways)} ways, none usable as a street",
        )
    graph = osm_xml.street_graph(osm, ways)
    graph.graph["source_file"] = str(path)
    return graph


def _write_features(target: Path, extract: PbfExtract) -> None:
    """An OSM XML file of the POI features, the ways of their relations and their nodes."""
    osm = extract.as_osm_file()
    poi_ids = {osm_id for osm_id, *_ in osm_xml._poi_census(osm)}
    relations = [r for r in extract.relations if f"relation/{r[0]}" in poi_ids]
    member_ways = {ref for _, _, members in relations for t, ref, _ in members if t == "way"}
    ways = [w for w in extract.ways if f"way/{w[0]}" in poi_ids or w[0] in member_ways]
    node_ids = {ref for _, refs, _ in ways for ref in refs}
    node_ids |= {int(i.split("/")[1]) for i in poi_ids if i.startswith("node/")}
    node_ids |= {ref for _, _, members in relations for t, ref, _ in members if t == "node"}
    osm_xml.write_osm_xml(target, extract.nodes, node_ids, ways, relations)
