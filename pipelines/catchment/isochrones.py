"""Many isochrones on one network, fast: the faces of the street network do most of the union.

:meth:`pipelines.routing.Router.isochrones` buffers the reached street stretches of every
(origin, cutoff) and unions them: exact, but the union of a whole town's streets costs about
0.3 s, and a 30-minute drive from any district reaches most of the territory. Here the street
network is cut once into its *faces* (the blocks between streets, ``shapely.polygonize`` of
the noded streets), and for each face ``F`` the part of ``F`` farther than ``buffer_m`` from
its boundary and inner streets (its *hole*, ``F.buffer(-buffer_m)`` minus the buffers of the
streets inside it) is computed once. When every street on the boundary of ``F`` and inside it
is reached whole, the isochrone inside ``F`` is exactly ``F`` minus its hole: no street
outside ``F`` comes closer to a point of ``F`` than its boundary does. So an isochrone is

- the coverage union (edges shared exactly: GEOS ``CoverageUnion``, linear) of those faces,
- unioned with the buffers of the reached streets that come within ``buffer_m`` of any other
  face or of the outside of the network, and of the partly reached stretches (the frontier:
  a band along the edge of the isochrone, not its whole area),
- with the holes of the selected faces put back as interior rings (they lie strictly inside
  the selected faces, which no frontier buffer reaches).

The polygons are the union of the same buffers up to how the arcs of a hole are drawn
(``buffer(-r)`` against the round ends of the street buffers): IoU >= 0.9999 against the
exact union on the demo territory and the 224 x 224 grid of ``benchmarks.pipeline``
(``docs/routing.md``). One difference with the router: the connector from an origin to its
street is drawn only when the origin lies farther than ``buffer_m`` from the street
(otherwise the street's buffer already holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from pipelines.constants import CRS_METRIC, CRS_WGS84, GEOMETRY_COLUMN
from pipelines.routing import Router, _merge_intervals
from pipelines.workers import fork_map

ORIGINS_PER_BATCH = 32
"""Origins whose reached streets are held at once (memory grows with the batch, not the
territory's districts)."""

_TO_METRIC = pyproj.Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)


def _sub_edges(*line_sets: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per set of lines, every straight piece (two consecutive vertices) as an integer key
    (the ids of its two vertices, equal coordinates = equal ids across the sets, lower first)
    and the position of its line."""
    found = [shapely.get_coordinates(lines, return_index=True) for lines in line_sets]
    xy = np.concatenate([f[0] for f in found]) if found else np.zeros((0, 2))
    _, vertex = np.unique(xy[:, 0] + 1j * xy[:, 1], return_inverse=True)
    n_vertex = int(vertex.max()) + 1 if len(vertex) else 1
    out, at = [], 0
    for _, owner in found:
        ids = vertex[at : at + len(owner)]
        at += len(owner)
        same = owner[:-1] == owner[1:]
        a, b = ids[:-1][same], ids[1:][same]
        out.append((np.minimum(a, b) * n_vertex + np.maximum(a, b), owner[:-1][same]))
    return out


def _lookup(keys: np.ndarray, table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` of the ``table`` keys equal to ``keys`` (-1 where absent)."""
    if not len(table):
        return np.full(len(keys), -1)
    order = np.argsort(table)
    at = np.minimum(np.searchsorted(table[order], keys), len(table) - 1)
    return np.where(table[order][at] == keys, values[order][at], -1)


def _csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix.data[:] = 1.0
    return matrix


LEAF_FACES = 64
"""A node of the faces' quadtree with at most this many faces is a leaf."""


@dataclass
class _Node:
    """Faces ``lo:hi`` (in quadtree order) and, once asked for, their coverage union."""

    lo: int
    hi: int
    children: list[_Node] = field(default_factory=list)
    union: shapely.Geometry | None = None


def _quadtree(xy: np.ndarray, order: np.ndarray, lo: int, bounds: tuple[float, ...]) -> tuple[_Node, list]:
    """The quadtree of the points ``xy[order]`` (the faces' centres); returns the root and the
    points' order, in which every node's faces are contiguous."""
    x0, y0, x1, y1 = bounds
    node = _Node(lo, lo + len(order))
    if len(order) <= LEAF_FACES or (x1 - x0) < 1.0:
        return node, [order]
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    px, py = xy[order, 0], xy[order, 1]
    parts, at = [], lo
    for east, north in ((False, False), (True, False), (False, True), (True, True)):
        mask = ((px >= xm) == east) & ((py >= ym) == north)
        if mask.any():
            box = (xm if east else x0, ym if north else y0, x1 if east else xm, y1 if north else ym)
            child, sub = _quadtree(xy, order[mask], at, box)
            node.children.append(child)
            parts.extend(sub)
            at = child.hi
    return node, parts


@dataclass
class _Faces:
    """The faces of a street network and what an isochrone needs of them."""

    polygons: np.ndarray  # the faces (EPSG:31370)
    members: sp.csr_matrix  # face x segment: the segments on its boundary or inside it
    faces_of: sp.csr_matrix  # segment x face: the transpose of members
    near: sp.csr_matrix  # segment x segment: within buffer_m of each other
    rim: np.ndarray  # segments on the outline of the faces, or on no face
    usable: np.ndarray  # faces whose hole is known to be simple rings (else left to the frontier)
    holes: np.ndarray  # per face, its hole once computed (None before)
    has_hole: np.ndarray  # per face, its hole is computed and not empty
    inner: dict[int, np.ndarray]  # the segments inside a face (dead ends, cut edges)
    segments: np.ndarray
    radius: float
    quad_segs: int
    root: _Node  # the quadtree of the faces (they are stored in its order)

    @classmethod
    def build(cls, segments: np.ndarray, radius: float, quad_segs: int) -> _Faces:
        n_seg = len(segments)
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(segments)))
        faces = shapely.get_parts(shapely.polygonize(noded)) if n_seg else np.empty(0, object)
        n_face = len(faces)
        box = shapely.bounds(faces).reshape(-1, 4)
        centre = (box[:, :2] + box[:, 2:]) / 2
        extent = (*centre.min(axis=0), *centre.max(axis=0)) if n_face else (0.0, 0.0, 0.0, 0.0)
        root, order = _quadtree(centre, np.arange(n_face), 0, extent)
        faces = faces[np.concatenate(order)]
        # noded piece -> segment: by a shared straight piece, else (pieces of crossing streets) nearest
        rings, ring_face = _rings(faces)
        (seg_keys, seg_of_key), (piece_keys, piece_of_key), (ring_keys, face_of_key) = _sub_edges(
            segments, noded, rings
        )
        first = np.searchsorted(piece_of_key, np.arange(len(noded)))  # every piece has one
        seg_of_piece = _lookup(piece_keys[first], seg_keys, seg_of_key)
        split = np.flatnonzero(seg_of_piece < 0)
        if len(split):  # the midpoint of a piece lies on its street (up to the noding's rounding)
            middle = shapely.line_interpolate_point(noded[split], 0.5, normalized=True)
            seg_of_piece[split] = shapely.STRtree(segments).query_nearest(middle, all_matches=False)[1]
        # face boundaries: the rings' straight pieces are the noded pieces'
        piece_on_ring = _lookup(ring_keys, piece_keys, piece_of_key)
        on_ring = piece_on_ring >= 0
        boundary = (ring_face[face_of_key][on_ring], seg_of_piece[piece_on_ring[on_ring]])
        # streets inside a face (dead ends, cut edges) are on no ring
        loose = np.flatnonzero(~np.isin(np.arange(len(noded)), piece_on_ring[on_ring]))
        pi, fi = shapely.STRtree(faces).query(noded[loose], predicate="intersects")
        inner = ~shapely.touches(noded[loose][pi], faces[fi])
        pi, fi = pi[inner], fi[inner]
        members = _csr(np.concatenate([boundary[0], fi]), np.concatenate([boundary[1], seg_of_piece[loose][pi]]), (n_face, n_seg))
        # pairs of segments whose boxes come within `radius` (a superset of those within it:
        # more frontier buffers, never fewer, and far cheaper than the distances)
        low, high = shapely.bounds(segments)[:, :2] - radius, shapely.bounds(segments)[:, 2:] + radius
        a, b = shapely.STRtree(segments).query(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
        # the rim: segments on the outline of the faces (a ring piece of one face) or on no face
        uniq, count = np.unique(ring_keys[on_ring], return_counts=True)
        single = on_ring.copy()
        single[on_ring] = count[np.searchsorted(uniq, ring_keys[on_ring])] == 1
        rim = np.asarray(members.sum(axis=0)).ravel() == 0
        rim[seg_of_piece[piece_on_ring[single]]] = True
        return cls(
            polygons=faces,
            members=members,
            faces_of=members.T.tocsr(),
            near=_csr(a, b, (n_seg, n_seg)),
            rim=rim,
            usable=shapely.get_num_interior_rings(faces) == 0,
            holes=np.full(n_face, None, dtype=object),
            has_hole=np.zeros(n_face, dtype=bool),
            inner={int(f): np.unique(seg_of_piece[loose][pi[fi == f]]) for f in np.unique(fi)},
            segments=segments,
            radius=radius,
            quad_segs=quad_segs,
            root=root,
        )

    def ensure_holes(self, candidates: np.ndarray) -> None:
        """Compute the holes of the ``candidates`` faces not computed yet (a face whose hole
        is not simple rings becomes unusable). Faces never approached cost nothing."""
        todo = candidates[self.holes[candidates] == None]  # noqa: E711 (elementwise)
        if not len(todo):
            return
        holes = shapely.buffer(self.polygons[todo], -self.radius, quad_segs=self.quad_segs)
        for k in np.flatnonzero(np.isin(todo, list(self.inner))):
            streets = shapely.buffer(self.segments[self.inner[int(todo[k])]], self.radius, quad_segs=self.quad_segs)
            holes[k] = shapely.difference(holes[k], shapely.union_all(streets))
        parts, owner = shapely.get_parts(holes, return_index=True)
        self.usable[todo[owner[shapely.get_num_interior_rings(parts) > 0]]] = False
        self.holes[todo] = holes
        self.has_hole[todo] = ~shapely.is_empty(holes)

    def coverage(self, node: _Node, whole: np.ndarray, out: list) -> None:
        """Append to ``out`` the coverage unions that make up the faces flagged in ``whole``
        (a node's cached union when all its faces are flagged)."""
        flagged = whole[node.lo : node.hi]
        if flagged.all():
            if node.union is None:
                parts: list = []
                if node.children:
                    for child in node.children:
                        self.coverage(child, whole, parts)
                else:
                    parts = list(self.polygons[node.lo : node.hi])
                node.union = shapely.coverage_union_all(np.array(parts, dtype=object))
            out.append(node.union)
        elif node.children and flagged.any():
            for child in node.children:
                self.coverage(child, whole, out)
        elif flagged.any():
            out.extend(self.polygons[node.lo : node.hi][flagged])


def _rings(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ring of ``faces`` (exterior and interior) and its face."""
    n_inner = shapely.get_num_interior_rings(faces)
    face = np.repeat(np.arange(len(faces)), n_inner)
    index = np.arange(n_inner.sum()) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
    inner = shapely.get_interior_ring(faces[face], index)
    rings = np.concatenate([shapely.get_exterior_ring(faces), inner])
    return rings, np.concatenate([np.arange(len(faces)), face])


def substrings(lines: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``shapely.ops.substring(line, lo, hi, normalized=True)`` of every line, vertex for
    vertex (0 <= lo <= hi <= 1): the interpolated start and end points and the vertices
    strictly between them, their distances summed along each line as that function sums
    them; a point where ``lo == hi``. Lines with the same number of vertices are done
    together."""
    out = np.empty(len(lines), dtype=object)
    length = shapely.length(lines)
    start, end = lo * length, hi * length
    first = shapely.line_interpolate_point(lines, start)
    last = shapely.line_interpolate_point(lines, end)
    point = lo == hi
    out[point] = shapely.line_interpolate_point(lines[point], lo[point], normalized=True)
    n_coords = shapely.get_num_coordinates(lines)
    a, b = shapely.get_coordinates(first), shapely.get_coordinates(last)
    for k in np.unique(n_coords[~point]).tolist():
        rows = np.flatnonzero((n_coords == k) & ~point)
        xy = shapely.get_coordinates(lines[rows]).reshape(len(rows), k, 2)
        step = xy[:, 1:] - xy[:, :-1]
        # the distance of each inner vertex from the line's start, summed in order
        along = np.cumsum(((step[..., 0] ** 2 + step[..., 1] ** 2) ** 0.5)[:, :-1], axis=1)
        inner = (start[rows, None] < along) & (along < end[rows, None])
        count = inner.sum(axis=1) + 2
        coords = np.concatenate([a[rows, None], xy[:, 1:-1], b[rows, None]], axis=1)
        keep = np.concatenate([np.ones((len(rows), 1), bool), inner, np.ones((len(rows), 1), bool)], axis=1)
        out[rows] = shapely.linestrings(coords[keep], indices=np.repeat(np.arange(len(rows)), count))
    return out


class IsochroneBuilder:
    """Isochrone polygons of many origins and cutoffs on one :class:`Router`.

    Parameters
    ----------
    router : Router
        The mode's router.
    buffer_m : float
        Buffer around reached streets (see ``pipelines.routing.ISOCHRONE_BUFFER_M``).
    quad_segs : int, default 4
        Segments per quarter circle of the buffers' round ends.
    """

    def __init__(self, router: Router, *, buffer_m: float, quad_segs: int = 4) -> None:
        if not np.isfinite(buffer_m) or buffer_m <= 0:
            raise ValueError(f"buffer_m must be finite and > 0 (metres); found {buffer_m!r}")
        self.router = router
        self.buffer_m = float(buffer_m)
        self.quad_segs = int(quad_segs)
        edges = router.edges
        segment = edges["segment"].to_numpy()
        n_seg = int(segment.max()) + 1 if len(segment) else 0
        first = np.full(n_seg, -1, dtype="int64")
        forward = np.flatnonzero(edges["forward"].to_numpy())[::-1]
        first[segment[forward]] = forward  # the first forward edge of each segment
        self._forward = edges["forward"].to_numpy()
        self._segment = segment
        self.seg_geometry = router.edge_geometry[first]
        self._seg_buffer = np.full(n_seg, None, dtype=object)  # buffered when first needed
        self._straight = shapely.get_num_coordinates(self.seg_geometry) == 2
        first_xy = shapely.get_coordinates(shapely.get_point(self.seg_geometry, 0))
        last_xy = shapely.get_coordinates(shapely.get_point(self.seg_geometry, -1))
        self._ends = np.stack([first_xy, last_xy], axis=1) if n_seg else np.zeros((0, 2, 2))
        self.faces = _Faces.build(self.seg_geometry, self.buffer_m, self.quad_segs)

    def _buffer(self, lines: Any) -> np.ndarray:
        return shapely.buffer(
            np.asarray(lines, dtype=object), self.buffer_m, quad_segs=self.quad_segs
        )

    def _collect(self, full: np.ndarray, cut: np.ndarray, partial: dict[int, list]) -> tuple[list, np.ndarray]:
        """The pieces of one isochrone (the coverage union of its whole faces, the buffers of
        its frontier streets and partial stretches) and the faces whose holes it keeps."""
        faces = self.faces
        candidate = np.flatnonzero(~(faces.members @ (~full).astype(float) > 0) & faces.usable)
        faces.ensure_holes(candidate)
        open_face = np.ones(len(faces.polygons), dtype=bool)
        open_face[candidate[faces.usable[candidate]]] = False
        frontier = full & (
            (faces.faces_of @ open_face.astype(float) > 0)
            | (faces.near @ (~full).astype(float) > 0)
            | faces.rim
        )
        whole = np.flatnonzero(~open_face)
        pieces: list = []
        faces.coverage(faces.root, ~open_face, pieces)
        out = [shapely.coverage_union_all(np.array(pieces, dtype=object))] if pieces else []
        out.extend(self._segment_buffers(np.flatnonzero(frontier)))
        out.extend(self._buffer([piece for s in np.flatnonzero(cut) for piece in partial[int(s)]]))
        return out, whole

    def _segment_buffers(self, segments: np.ndarray) -> np.ndarray:
        """The buffers of ``segments`` (each computed once)."""
        todo = segments[self._seg_buffer[segments] == None]  # noqa: E711 (elementwise)
        if len(todo):
            self._seg_buffer[todo] = self._buffer(self.seg_geometry[todo])
        return self._seg_buffer[segments]

    def _with_holes(self, union: shapely.Geometry, whole: np.ndarray) -> shapely.Geometry:
        """``union`` with the holes of the faces ``whole`` as interior rings (each lies strictly
        inside one of its polygons)."""
        whole = whole[self.faces.has_hole[whole]]  # blocks narrower than two buffers have none
        holes = shapely.get_parts(self.faces.holes[whole])
        holes = shapely.get_exterior_ring(holes[~shapely.is_empty(holes)])
        if not len(holes):
            return union
        polygons = shapely.get_parts(union)
        owner = np.zeros(len(holes), dtype="int64")
        if len(polygons) > 1:
            tree = shapely.STRtree(polygons)
            hole, polygon = tree.query(shapely.get_point(holes, 0), predicate="within")
            owner[hole] = polygon
        n_inner = shapely.get_num_interior_rings(polygons)
        inner = shapely.get_interior_ring(
            np.repeat(polygons, n_inner), np.arange(n_inner.sum()) - np.repeat(np.cumsum(n_inner) - n_inner, n_inner)
        )
        rings = np.concatenate([shapely.get_exterior_ring(polygons), inner, holes])
        index = np.concatenate([np.arange(len(polygons)), np.repeat(np.arange(len(polygons)), n_inner), owner])
        order = np.argsort(index, kind="stable")
        out = shapely.polygons(rings[order], indices=index[order])
        return out[0] if len(out) == 1 else shapely.multipolygons(out)

    def _stretches(
        self, pieces: pd.DataFrame, n_groups: int, group: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray, dict[int, list]]]:
        """Per group: masks of the fully / partly reached segments and the partial lines.

        Edges reached from end to end (most of them) mark their segment full directly; only
        the other stretches go through the interval merge (both directions of a street).
        """
        n_seg = len(self.seg_geometry)
        edge = pieces["edge"].to_numpy()
        start, end = pieces["start"].to_numpy(), pieces["end"].to_numpy()
        key = group.astype("int64") * n_seg + self._segment[edge]
        whole_edge = (start <= 0.0) & (end >= 1.0)
        full = np.zeros((n_groups, n_seg), dtype=bool)
        full.reshape(-1)[key[whole_edge]] = True
        rest = ~whole_edge & ~full.reshape(-1)[key]
        fwd = self._forward[edge[rest]]
        merged = _merge_intervals(
            pd.DataFrame(
                {
                    "segment": key[rest],
                    "start": np.where(fwd, start[rest], 1.0 - end[rest]),
                    "end": np.where(fwd, end[rest], 1.0 - start[rest]),
                }
            )
        )
        lo, hi = merged["start"].to_numpy(), merged["end"].to_numpy()
        mkey = merged["segment"].to_numpy()
        whole = (lo <= 0.0) & (hi >= 1.0)  # covered by the two directions together
        full.reshape(-1)[mkey[whole]] = True
        cut_key, lo, hi = mkey[~whole], lo[~whole], hi[~whole]
        cut_seg = cut_key % n_seg
        lines = self._substrings(cut_seg, lo, hi)
        cut_at = np.searchsorted(cut_key // n_seg, np.arange(n_groups + 1))  # merged is sorted
        out = []
        for k in range(n_groups):
            rows = slice(cut_at[k], cut_at[k + 1])
            cut = np.zeros(n_seg, dtype=bool)
            cut[cut_seg[rows]] = True
            partial: dict[int, list] = {}
            for s, line in zip(cut_seg[rows].tolist(), lines[rows], strict=True):
                partial.setdefault(s, []).append(line)
            out.append((full[k], cut, partial))
        return out

    def _substrings(self, seg: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Stretches ``[lo, hi]`` (fractions) of segments; straight two-point segments in bulk."""
        out = np.empty(len(seg), dtype=object)
        straight = self._straight[seg]
        if straight.any():
            ends = self._ends[seg[straight]]  # (n, 2, 2): first and last point
            step = ends[:, 1] - ends[:, 0]
            a = ends[:, 0] + lo[straight, None] * step
            b = ends[:, 0] + hi[straight, None] * step
            out[straight] = shapely.linestrings(np.stack([a, b], axis=1))
        curved = ~straight
        if curved.any():
            out[curved] = substrings(self.seg_geometry[seg[curved]], lo[curved], hi[curved])
        return out

    def isochrones(self, origins_lonlat: Any, cutoffs_s: Sequence[float]) -> gpd.GeoDataFrame:
        """Isochrones of every origin and cutoff.

        Parameters
        ----------
        origins_lonlat : array-like, shape (n, 2)
            Origins as (lon, lat) in WGS84.
        cutoffs_s : sequence of float
            Time budgets in seconds.

        Returns
        -------
        geopandas.GeoDataFrame
            ``origin, cutoff_s, area_m2, geometry`` (EPSG:4326; the area is measured in
            EPSG:31370), one row per origin and cutoff, origin-major (an empty polygon when
            nothing is reached). Batches of :data:`ORIGINS_PER_BATCH` origins are built in
            forked worker processes (:func:`pipelines.workers.fork_map`).
        """
        cutoffs = [float(c) for c in cutoffs_s]
        if len(set(cutoffs)) != len(cutoffs):
            raise ValueError(f"cutoffs must be distinct; found {cutoffs}")
        lonlat = np.asarray(origins_lonlat, dtype=float).reshape(-1, 2)
        batches = fork_map(
            lambda start: self._polygons(lonlat[start : start + ORIGINS_PER_BATCH], cutoffs, start),
            range(0, max(len(lonlat), 1), ORIGINS_PER_BATCH),
        )
        return gpd.GeoDataFrame(pd.concat(batches, ignore_index=True), crs=CRS_WGS84)

    def _polygons(self, lonlat: np.ndarray, cutoffs: list[float], first: int) -> gpd.GeoDataFrame:
        """The isochrones of a batch of origins (numbered from ``first``), as returned by
        :meth:`isochrones`: the reached stretches and the metric polygons of one batch are
        held at once, not those of every origin."""
        snapped = self.router.snap(lonlat[:, 0], lonlat[:, 1])
        ox, oy = _TO_METRIC.transform(lonlat[:, 0], lonlat[:, 1])
        pieces = self.router.reach(lonlat, cutoffs, sort=False)
        n_cut = len(cutoffs)
        position = pd.Index(cutoffs).get_indexer(pieces["cutoff_s"].to_numpy())
        group = pieces["origin"].to_numpy() * n_cut + position
        reached = self._stretches(pieces, len(lonlat) * n_cut, group)
        del pieces, group
        records = []
        for i in range(len(lonlat)):
            for c, cutoff in enumerate(cutoffs):
                parts, whole = self._collect(*reached[i * n_cut + c])
                far = snapped.snapped[i] and snapped.distance_m[i] > self.buffer_m
                if far and snapped.access_s[i] <= cutoff:
                    link = shapely.LineString([(ox[i], oy[i]), (snapped.x[i], snapped.y[i])])
                    parts.extend(self._buffer([link]))
                polygon = (
                    self._with_holes(shapely.union_all(np.array(parts, dtype=object)), whole)
                    if parts
                    else None
                )
                records.append((first + i, cutoff, polygon if polygon is not None else shapely.Polygon()))
        frame = pd.DataFrame(records, columns=["origin", "cutoff_s", GEOMETRY_COLUMN])
        frame["area_m2"] = shapely.area(frame[GEOMETRY_COLUMN].to_numpy())
        geometry = gpd.GeoSeries(frame[GEOMETRY_COLUMN], crs=CRS_METRIC).to_crs(CRS_WGS84)
        return gpd.GeoDataFrame(
            frame[["origin", "cutoff_s", "area_m2"]], geometry=geometry.values, crs=CRS_WGS84
        )
