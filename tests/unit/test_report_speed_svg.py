"""The bulk SVG path writer (``svg._paths``) gives exactly what the per-geometry ``svg._path`` gives."""

import numpy as np
from shapely import affinity, wkt
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from pipelines.canvas import svg


def test_bulk_paths_match_per_geometry_paths():
    holed = Polygon([(0, 0), (1000, 0), (1000, 1000)], [[(100, 100), (200, 100), (200, 200)]])
    plain = Polygon([(-30.04, 5), (2500.55, 7.5), (90, 1999.95)])
    geoms = np.array([holed, plain, MultiPolygon([holed, affinity.translate(holed, 5000)]), None, Point(1, 1),
                      LineString([(0, 0), (1, 1)]), GeometryCollection([holed, MultiPolygon([plain]), Point(3, 3)]),
                      wkt.loads("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), EMPTY)"), plain], dtype=object)
    frame = svg._Frame((0, -100, 6000, 1200), 560, 420)
    out = svg._paths(geoms, frame)
    assert len(out) == len(geoms)
    for geom, path in zip(geoms, out, strict=True):
        assert path == ("" if geom is None else svg._path(geom, frame))
    assert svg._paths(np.array([plain, plain], dtype=object), frame) == [svg._path(plain, frame)] * 2
    assert svg._paths(np.array([], dtype=object), frame) == []


def test_ring_text_matches_f_string_formatting():
    coords = np.array([[0.0, 0.0], [-0.04, 3.25], [123456.7, 99999.96], [12.349, -7.0]])
    frame = svg._Frame((0, 0, 1, 1), 560, 420)
    px = np.round(frame.ox + coords[:, 0] * frame.scale, 1).tolist()
    py = np.round(frame.oy - coords[:, 1] * frame.scale, 1).tolist()
    assert svg._ring(coords, frame) == "M" + "L".join(f"{x:g} {y:g}" for x, y in zip(px, py, strict=True)) + "Z"
