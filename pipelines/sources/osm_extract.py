"""The territory's OpenStreetMap extract, as Geofabrik/BBBike deliver it (PBF) or as a small
XML extract: one entry point that picks the reader from the file.

``landing/osm/territory.osm.pbf`` is preferred over ``landing/osm/territory.osm``. A PBF is
clipped to the territory's bounding box plus a buffer (a Belgium or Wallonia extract holds
far more than one intercommunale needs); the XML path reads the whole file.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from pipelines.quarantine import ReadResult
from pipelines.sources import osm, osm_pbf

FILES = ("osm/territory.osm.pbf", "osm/territory.osm")
"""Landing paths of the extract, in order of preference."""

CLIP_BUFFER_M = 2000.0
"""Streets and POIs kept around the territory: trips to a shop just across its edge count."""

BBox = tuple[float, float, float, float]


def find(landing: Path) -> Path | None:
    """The extract in the landing zone (PBF first), or None."""
    return next((landing / f for f in FILES if (landing / f).is_file()), None)


def read_pois(path: Path, *, bbox: BBox | None = None) -> ReadResult:
    """Shops, parking and tourism POIs (:func:`pipelines.sources.osm.read_pois` contract)."""
    if path.name.endswith(".pbf"):
        return osm_pbf.read_pois(path, bbox=bbox, buffer_m=CLIP_BUFFER_M)
    return osm.read_pois(path)


def read_street_graph(path: Path, *, bbox: BBox | None = None) -> nx.MultiDiGraph:
    """The street graph (:func:`pipelines.sources.osm.read_street_graph` contract)."""
    if path.name.endswith(".pbf"):
        return osm_pbf.read_street_graph(path, bbox=bbox, buffer_m=CLIP_BUFFER_M)
    return osm.read_street_graph(path)
