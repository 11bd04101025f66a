"""Bulk travel times and isochrones on one mode's street network (scipy.sparse.csgraph).

A :class:`Router` holds the directed network of one mode (from
:func:`pipelines.network.mode_network`) as a CSR matrix of travel times, and the edge
geometries in EPSG:31370 in an STRtree. Points are snapped to the nearest *edge* (not
node); each point enters and leaves the network through the two ends of its edge with
partial travel times. All origins of a batch are solved by one
``scipy.sparse.csgraph.dijkstra`` call over virtual source nodes. ``docs/routing.md``
explains the costs and the isochrone construction.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.ops import substring

from pipelines.constants import CRS_METRIC, CRS_WGS84, GEOMETRY_COLUMN
from pipelines.network import WALK_SPEED_KMH
from pipelines.sparse_times import SparseTimes

ISOCHRONE_BUFFER_M: dict[str, float] = {"walk": 25.0, "bike": 40.0, "drive": 50.0}
"""Suggested buffer around reached streets, by mode (half a street plus its frontage)."""

DEFAULT_BUFFER_M = ISOCHRONE_BUFFER_M["walk"]

MAX_BATCH_CELLS = 5_000_000
"""Origins are solved in batches of at most this many (origin x node) distances (40 MB)."""

REACH_MARGIN = 1e-6
"""Relative margin on the reach radius (cutoff x top speed) against rounding."""

SOURCES_PER_NODE = 1.0
"""A Dijkstra call takes at most this many origins per node of its graph (scipy initialises
every node, virtual sources included, once per origin)."""

GROUP_SHARE = 2.0
"""Origins are grouped by squares of side (a power of two times 250 m) at most the reach
radius / this: the smaller the squares, the narrower each row, the more batches."""

BATCH_WIDTH = 0.125
"""Origins are searched together while the nodes they can reach stay under this share of
the network (consecutive neighbours in Z-order)."""

FULL_SEARCH = 0.6
"""A batch that can reach more than this share of the nodes searches the whole network."""

SLICE_COST = 10.0
BATCH_COST = 2_000.0
"""A batch of k origins that can reach w of the n nodes is searched on its part of the network
when k (n - w) > SLICE_COST (BATCH_COST + w), else with the whole network: slicing the graph
costs about SLICE_COST times one row's work per node, and a batch's fixed cost as much as
SLICE_COST x BATCH_COST row cells (rough estimates from profiles of the 262-commune region's
searches, not fitted)."""

SNAP_STEP_M = 50.0
"""Spacing (metres) of the points along the street segments whose k-d tree bounds how far a
point's nearest segment can be (:class:`_NearestSegments`)."""

SNAP_CACHE = 4
"""Snapped point sets a router keeps (the least recently used is dropped first)."""

DISJOINT_ORIGINS = 4_096
"""Up to this many origins, :meth:`Router.travel_times` to the nodes looks for groups of
origins farther than twice the reach radius apart: such a group is searched in one
multi-source Dijkstra (``min_only``), one row of the network for all its origins."""

SMALL_GROUPING = 128
"""Up to this many origins, the pairs of origins too close to share a search are found by
comparing all pairs, beyond with a k-d tree."""

DISJOINT_SHARE = 0.25
"""... when that makes at most this many groups per origin (else the batches are cheaper)."""

_TO_METRIC = pyproj.Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)


@dataclass(frozen=True)
class SnappedPoints:
    """Where points join the network; arrays aligned with the input points.

    Attributes
    ----------
    snapped : numpy.ndarray of bool
        False for a point that could not be snapped (no coordinates, empty network, or
        farther than ``max_snap_m``); its travel times are ``inf``.
    edge : numpy.ndarray of int
        Row (in ``Router.edges``) of the edge the point lies on (-1 if not snapped): the
        fastest edge running in the orientation of the street segment's geometry.
        ``fraction`` is measured along this edge's geometry, from its ``u`` end.
    segment : numpy.ndarray of int
        Street segment (an edge and its reverse twin share one).
    fraction : numpy.ndarray of float
        Position along ``edge`` in [0, 1].
    distance_m : numpy.ndarray of float
        Straight-line distance from the point to the street (EPSG:31370 metres).
    access_s : numpy.ndarray of float
        Time to cover ``distance_m`` (the off-network leg).
    a, b : numpy.ndarray of int
        Node positions (in ``Router.node_ids``) of the edge's ``u`` and ``v``.
    depart_a_s, depart_b_s : numpy.ndarray of float
        Travel time from the snapped point along the street to ``a`` / ``b``
        (``inf`` where a one-way street forbids that direction).
    arrive_a_s, arrive_b_s : numpy.ndarray of float
        Travel time from ``a`` / ``b`` along the street to the snapped point.
    x, y : numpy.ndarray of float
        EPSG:31370 coordinates of the snapped point.
    """

    snapped: np.ndarray
    edge: np.ndarray
    segment: np.ndarray
    fraction: np.ndarray
    distance_m: np.ndarray
    access_s: np.ndarray
    a: np.ndarray
    b: np.ndarray
    depart_a_s: np.ndarray
    depart_b_s: np.ndarray
    arrive_a_s: np.ndarray
    arrive_b_s: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.snapped)

    def to_frame(self) -> pd.DataFrame:
        """The snapped points as a DataFrame (one row per input point)."""
        return pd.DataFrame({name: getattr(self, name) for name in self.__dataclass_fields__})

    def take(self, index: np.ndarray) -> SnappedPoints:
        """The points at ``index``, in that order."""
        return SnappedPoints(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


class Router:
    """Shortest travel times and isochrones on one mode's directed street network.

    Build it with :meth:`from_network`. Attributes: ``node_ids`` (OSM ids, the column
    order of node travel times), ``node_xy`` (EPSG:31370 coordinates), ``graph`` (CSR
    matrix of ``travel_time_s``, the minimum over parallel edges), ``edges`` (the input
    edges with ``a``, ``b`` node positions, ``segment`` and ``forward``: whether the edge
    runs in the orientation of its segment's geometry).
    """

    def __init__(
        self,
        node_ids: np.ndarray,
        node_xy: np.ndarray,
        edges: pd.DataFrame,
        edge_geometry: np.ndarray,
        *,
        access_speed_kmh: float | None = None,
        max_snap_m: float | None = None,
    ) -> None:
        self.node_ids = node_ids
        self.node_xy = node_xy
        self.edges = edges
        self.edge_geometry = edge_geometry
        self.access_speed_kmh = access_speed_kmh
        self.max_snap_m = max_snap_m
        n = len(node_ids)
        times = edges["travel_time_s"].to_numpy(dtype=float)
        a = edges["a"].to_numpy()
        b = edges["b"].to_numpy()
        self._base = (a, b, times)
        self.graph = _min_csr(a, b, times, n)
        self._build_segments(times)
        self._snaps: dict[bytes, SnappedPoints] = {}
        self._grids: dict[float, _Cells] = {}
        self._prepare_search(a, times)
        self._sources: _SourceSlots | None = None
        self._sources_lock = threading.Lock()

    def _prepare_search(self, a: np.ndarray, times: np.ndarray) -> None:
        """What every search reuses: the CSR arrays of the street graph (origins are appended
        to them, never re-sorted in), the origin of the node cell grids, the edges grouped
        by their start node, and the top speed that bounds how far a cutoff can reach."""
        g = self.graph
        n = len(self.node_ids)
        self._csr = (g.indptr.astype(np.int64), g.indices.astype(np.int32), g.data)
        self._edge_by_a = np.argsort(a, kind="stable")
        self._edge_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(a, minlength=n), out=self._edge_ptr[1:])
        finite = np.isfinite(self.node_xy).all(axis=1) if n else np.zeros(0, dtype=bool)
        self._grid_origin = (
            tuple(self.node_xy[finite].min(axis=0).tolist()) if finite.any() else (0.0, 0.0)
        )
        self._top_speed = _top_speed(self.node_xy, a, self.edges["b"].to_numpy(), times, self.edge_geometry)

    @classmethod
    def from_network(
        cls,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame,
        *,
        access_speed_kmh: float | None = None,
        max_snap_m: float | None = None,
    ) -> Router:
        """Build a router from the (nodes, edges) of :func:`pipelines.network.mode_network`.

        Parameters
        ----------
        nodes : geopandas.GeoDataFrame
            ``node_id`` and point ``geometry``.
        edges : geopandas.GeoDataFrame
            Directed edges with ``u``, ``v``, ``travel_time_s`` (>= 0), line
            ``geometry`` from ``u`` to ``v``, and ``speed_kmh`` or ``length_m``.
        access_speed_kmh : float, optional
            Speed of the off-network leg between a point and its street. By default the
            speed of the street the point snaps to (the mode's speed).
        max_snap_m : float, optional
            Points farther than this from every street are not snapped (``inf`` times).

        Returns
        -------
        Router

        Raises
        ------
        ValueError
            If a column is missing, a travel time is negative or missing, or an edge
            references a node absent from ``nodes``.
        """
        _require(nodes, ("node_id", GEOMETRY_COLUMN), "nodes")
        _require(edges, ("u", "v", "travel_time_s", GEOMETRY_COLUMN), "edges")
        node_ids = nodes["node_id"].to_numpy(dtype="int64")
        position = pd.Series(np.arange(len(node_ids)), index=node_ids)
        frame = pd.DataFrame(edges.drop(columns=edges.geometry.name)).reset_index(drop=True)
        frame["a"] = position.reindex(frame["u"].to_numpy()).to_numpy()
        frame["b"] = position.reindex(frame["v"].to_numpy()).to_numpy()
        if frame[["a", "b"]].isna().any().any():
            raise ValueError("edges reference nodes that are not in the nodes frame")
        frame[["a", "b"]] = frame[["a", "b"]].astype("int64")
        times = pd.to_numeric(frame["travel_time_s"], errors="coerce")
        if times.isna().any() or (times < 0).any():
            raise ValueError("travel_time_s must be a number >= 0 on every edge")
        node_xy = shapely.get_coordinates(_metric(nodes.geometry))
        geometry = _metric(edges.geometry)
        return cls(
            node_ids,
            node_xy,
            frame,
            geometry,
            access_speed_kmh=access_speed_kmh,
            max_snap_m=max_snap_m,
        )

    def _build_segments(self, times: np.ndarray) -> None:
        """Group each edge with its reverse twin (same street geometry)."""
        a, b = self.edges["a"].to_numpy(), self.edges["b"].to_numpy()
        shape, _ = pd.factorize(shapely.to_wkb(shapely.normalize(self.edge_geometry)))
        keys = pd.DataFrame({"lo": np.minimum(a, b), "hi": np.maximum(a, b), "shape": shape})
        # numbered in order of first appearance, like pd.factorize (and 5x faster here)
        segment = keys.groupby(["lo", "hi", "shape"], sort=False).ngroup().to_numpy()
        n_seg = int(segment.max()) + 1 if len(segment) else 0
        first = np.full(n_seg, len(segment), dtype="int64")
        np.minimum.at(first, segment, np.arange(len(segment)))
        forward = shapely.equals_exact(self.edge_geometry, self.edge_geometry[first[segment]], 0.0)
        self.edges["segment"] = segment
        self.edges["forward"] = forward
        self._seg_geometry = self.edge_geometry[first]
        self._seg_a, self._seg_b = a[first], b[first]
        self._seg_fwd_time, self._seg_fwd_edge = _best_edge(segment, forward, times, n_seg)
        self._seg_bwd_time, self._seg_bwd_edge = _best_edge(segment, ~forward, times, n_seg)
        self._seg_speed_mps = self._segment_speeds(first)
        self._nearest = _NearestSegments(self._seg_geometry)

    def _segment_speeds(self, first: np.ndarray) -> np.ndarray:
        if self.access_speed_kmh is not None:
            return np.full(len(first), self.access_speed_kmh / 3.6)
        if "speed_kmh" in self.edges.columns:
            speed = pd.to_numeric(self.edges["speed_kmh"], errors="coerce").to_numpy(float) / 3.6
        else:
            length = pd.to_numeric(self.edges["length_m"], errors="coerce").to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                speed = length / self.edges["travel_time_s"].to_numpy(float)
        speed = speed[first]
        return np.where(np.isfinite(speed) & (speed > 0), speed, WALK_SPEED_KMH / 3.6)

    def snap(self, lon: Any, lat: Any) -> SnappedPoints:
        """Snap points to their nearest street edge.

        Parameters
        ----------
        lon, lat : array-like of float
            WGS84 coordinates (scalars or arrays of one length).

        Returns
        -------
        SnappedPoints
            Edge, fraction along it, snap distance and the partial travel times. The
            last few results are kept: the same points snapped again (every H3 cell centre,
            once per search that reaches them) cost a dictionary look-up.
        """
        lon = np.ascontiguousarray(np.atleast_1d(np.asarray(lon, float)))
        lat = np.ascontiguousarray(np.atleast_1d(np.asarray(lat, float)))
        key = hashlib.blake2b(lon.tobytes() + b"|" + lat.tobytes(), digest_size=16).digest()
        snapped = self._snaps.pop(key, None)
        if snapped is None:
            snapped = self._snap(lon, lat)
        self._snaps[key] = snapped  # the most recently used last
        while len(self._snaps) > SNAP_CACHE:
            self._snaps.pop(next(iter(self._snaps)))
        return snapped

    def _snap(self, lon: np.ndarray, lat: np.ndarray) -> SnappedPoints:
        x, y = _TO_METRIC.transform(lon, lat)
        points = shapely.points(x, y)
        n = len(points)
        seg = np.full(n, -1, dtype="int64")
        dist = np.full(n, np.inf)
        if len(self._seg_geometry):
            (which, nearest), found = self._nearest.query(points, x, y)
            seg[which], dist[which] = nearest, found
        ok = seg >= 0
        if self.max_snap_m is not None:
            ok &= dist <= self.max_snap_m
        seg_safe = np.where(ok, seg, 0)
        lines = self._seg_geometry[seg_safe] if len(self._seg_geometry) else np.full(n, None)
        frac = np.zeros(n)
        if ok.any():
            located = shapely.line_locate_point(lines[ok], points[ok], normalized=True)
            frac[ok] = np.clip(np.nan_to_num(located, nan=0.0), 0.0, 1.0)
        snapped_xy = np.full((n, 2), np.nan)
        if ok.any():
            snapped_xy[ok] = shapely.get_coordinates(
                shapely.line_interpolate_point(lines[ok], frac[ok], normalized=True)
            )
        return self._snapped(ok, seg, seg_safe, frac, dist, snapped_xy)

    def _snapped(
        self,
        ok: np.ndarray,
        seg: np.ndarray,
        seg_safe: np.ndarray,
        frac: np.ndarray,
        dist: np.ndarray,
        xy: np.ndarray,
    ) -> SnappedPoints:
        if len(self._seg_geometry):
            t_f, t_b = self._seg_fwd_time[seg_safe], self._seg_bwd_time[seg_safe]
            a, b = self._seg_a[seg_safe], self._seg_b[seg_safe]
            # every segment has a forward edge (its first edge defines its orientation)
            edge = self._seg_fwd_edge[seg_safe]
            speed = self._seg_speed_mps[seg_safe]
        else:
            t_f = t_b = np.full(len(ok), np.inf)
            a = b = edge = np.zeros(len(ok), dtype="int64")
            speed = np.ones(len(ok))
        depart_b, arrive_a = _part(1.0 - frac, t_f), _part(frac, t_f)
        depart_a, arrive_b = _part(frac, t_b), _part(1.0 - frac, t_b)
        inf = np.inf
        return SnappedPoints(
            snapped=ok,
            edge=np.where(ok, edge, -1),
            segment=np.where(ok, seg, -1),
            fraction=np.where(ok, frac, np.nan),
            distance_m=np.where(ok, dist, np.nan),
            access_s=np.where(ok, dist / speed, inf),
            a=np.where(ok, a, -1),
            b=np.where(ok, b, -1),
            depart_a_s=np.where(ok, depart_a, inf),
            depart_b_s=np.where(ok, depart_b, inf),
            arrive_a_s=np.where(ok, arrive_a, inf),
            arrive_b_s=np.where(ok, arrive_b, inf),
            x=xy[:, 0],
            y=xy[:, 1],
        )

    def travel_times(
        self,
        origins_lonlat: Any,
        destinations_lonlat: Any = None,
        *,
        cutoff_s: float | None = None,
        sparse: bool = False,
    ) -> np.ndarray | SparseTimes:
        """Shortest travel times from every origin to every destination.

        Parameters
        ----------
        origins_lonlat : array-like, shape (n, 2), or GeoSeries/GeoDataFrame of points
            Origins as (lon, lat) in WGS84.
        destinations_lonlat : same, optional
            Destinations. When None the destinations are the network nodes, in
            ``node_ids`` order (the times then include the origin's access leg only).
        cutoff_s : float, optional
            Times above this are reported as ``inf`` (and the search stops there).
        sparse : bool
            Return only the pairs within ``cutoff_s`` (required then) as
            :class:`~pipelines.sparse_times.SparseTimes`: memory grows with the pairs
            reached, not with origins x destinations.

        Returns
        -------
        numpy.ndarray, shape (n_origins, n_destinations), or SparseTimes
            Seconds: access leg + network + egress leg; ``inf`` (absent) if unreachable.
            The same-coordinates pair costs 0.
        """
        if sparse and cutoff_s is None:
            raise ValueError("sparse travel times need a cutoff_s")
        origins = self.snap(*_lonlat(origins_lonlat))
        dests = None if destinations_lonlat is None else self.snap(*_lonlat(destinations_lonlat))
        shape = (len(origins), len(self.node_ids) if dests is None else len(dests))
        limit = np.inf if cutoff_s is None else float(cutoff_s)
        out = None if sparse else np.full(shape, np.inf)
        blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        same_i, same_j = (
            _same_points(origins_lonlat, destinations_lonlat)
            if dests is not None
            else (np.zeros(0, dtype=np.int64),) * 2
        )
        places = None if dests is None else _Places(dests)
        index = np.int32 if shape[1] < 2**31 else np.int64  # the column numbers kept
        pairs = self._node_pairs(origins, limit) if dests is None and np.isfinite(limit) else None
        if pairs is not None:
            row, col, seconds = pairs
            if out is not None:
                out[row, col] = seconds
                return out
            index = np.int32 if max(len(col), shape[1]) < 2**31 else np.int64
            indptr = np.zeros(shape[0] + 1, dtype=index)
            np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
            return SparseTimes(sp.csr_matrix((seconds, col.astype(index), indptr), shape=shape))
        for search in self._batches(origins, limit):
            rows = search.rows
            if dests is None and out is None:
                # reached nodes first (times within the limit without the access leg), then
                # the access leg on those only: the same pairs as ``times <= limit``
                width = search.dist.shape[1]
                flat = np.flatnonzero(search.dist <= limit)  # the last column is inf
                r, c = np.divmod(flat, width)
                seconds = search.dist[r, c] + search.access[r]  # a view: no copy of the block
                within = seconds <= limit
                if not within.all():
                    r, c, seconds = r[within], c[within], seconds[within]
                cols = c if search.keep is None else search.keep[c]
                blocks.append((rows, np.bincount(r, minlength=len(rows)), cols.astype(index), seconds))
                continue
            parts = (
                [(rows, search.cols, search.times[:, :-1])]
                if dests is None
                else self._batch_to_points(origins, search, dests, places, (same_i, same_j))
            )
            for rows, cols, block in parts:
                if out is not None:
                    out[np.ix_(rows, cols)] = block
                    continue
                r, c = np.nonzero(block <= limit)
                blocks.append((rows, np.bincount(r, minlength=len(rows)), cols[c].astype(index), block[r, c]))
        if out is None:
            return SparseTimes.from_row_blocks(blocks, shape)
        if cutoff_s is not None:
            out[out > cutoff_s] = np.inf
        return out

    def totals_within(
        self,
        origins_lonlat: Any,
        places_lonlat: Any,
        cutoffs_s: Sequence[float],
        weights: Any = None,
    ) -> np.ndarray:
        """Opportunities within each cutoff of every origin: counts, or sums of weights.

        The aggregation of accessibility studies (pandana's ``aggregate`` with a flat decay),
        on the street-snapped points: a place counts for an origin when the
        :meth:`travel_times` between them is within the cutoff. The batches of the search
        are reduced as they come (no origins x places matrix, not even a sparse one).

        Parameters
        ----------
        origins_lonlat : array-like, shape (n, 2), or GeoSeries/GeoDataFrame of points
            Origins (network nodes, H3 cell centres, districts...) as (lon, lat).
        places_lonlat : same
            The opportunities (shops, jobs, stops...).
        cutoffs_s : sequence of float
            Time budgets (inclusive), seconds.
        weights : array-like, shape (n_places,) or (n_places, n_weights), optional
            What each place brings (floor area, jobs...); None counts places.

        Returns
        -------
        numpy.ndarray, shape (n_origins, n_cutoffs) or (n_origins, n_cutoffs, n_weights)
            Equal to ``travel_times(origins, places, cutoff_s=c, sparse=True)
            .totals_within(weights, c)`` for every cutoff ``c`` (counts exactly; sums up to the
            order of the additions).
        """
        cutoffs = np.asarray(list(cutoffs_s), dtype=float)
        origins = self.snap(*_lonlat(origins_lonlat))
        dests = self.snap(*_lonlat(places_lonlat))
        w = np.ones(len(dests)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape[0] != len(dests):
            raise ValueError(f"weights must have one row per place ({len(dests)}); found {w.shape[0]}")
        matrix = np.nan_to_num(w.reshape(len(dests), -1), nan=0.0)
        out = np.zeros((len(origins), len(cutoffs), matrix.shape[1]))
        if len(cutoffs) and len(dests):
            same = _same_points(origins_lonlat, places_lonlat)
            places = _Places(dests)
            for search in self._batches(origins, float(cutoffs.max())):
                for rows, cols, block in self._batch_to_points(origins, search, dests, places, same):
                    for k, cutoff in enumerate(cutoffs):
                        within = block <= cutoff
                        if weights is None:  # a count: no float copy of the block, no product
                            out[rows, k, 0] = np.count_nonzero(within, axis=1)
                        else:
                            out[rows, k] = within.astype(float) @ matrix[cols]
        return out[:, :, 0] if w.ndim == 1 else out

    def _batch_to_points(
        self,
        origins: SnappedPoints,
        search: _Search,
        dests: SnappedPoints,
        places: _Places,
        same: tuple[np.ndarray, np.ndarray],
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(origin rows, destination columns, times) of a batch, in blocks of its rows of at
        most ``MAX_BATCH_CELLS`` times: only the destinations in the cells the batch can reach
        (cutoff x top speed around its origins) with an end of their street reached, or on
        the street of an origin, so the work follows the reached area, not the whole
        territory. A batch of the whole network reaches more destinations than it has nodes
        (184,075 cells against 35,426 drive nodes at 262 communes): whole, its block and the
        temporaries of the sums held about 1 GB."""
        rows = search.rows
        inside = places.near(search)
        da, db = search.local(dests.a[inside]), search.local(dests.b[inside])
        reached = np.isfinite(search.dist).any(axis=0)  # the last column (-1) is never reached
        near = reached[da] | reached[db] | np.isin(dests.segment[inside], origins.segment[rows])
        here = np.isin(same[0], rows) & origins.snapped[same[0]]
        forced = np.zeros(len(dests), dtype=bool)
        forced[same[1][here]] = True
        near |= forced[inside]
        cols = inside[near]
        targets, da, db = dests.take(cols), da[near], db[near]
        step = max(1, MAX_BATCH_CELLS // max(len(cols), 1))
        for first in range(0, len(rows), step):
            part = slice(first, first + step)
            sub = replace(search, rows=rows[part], dist=search.dist[part], access=search.access[part])
            block = self._to_points(origins, sub, targets, da, db)
            zero = here & np.isin(same[0], sub.rows)
            block[pd.Index(sub.rows).get_indexer(same[0][zero]), np.searchsorted(cols, same[1][zero])] = 0.0
            yield sub.rows, cols, block

    def _batches(self, origins: SnappedPoints, limit: float, *, edges: bool = False) -> Iterator[_Search]:
        """Search the snapped origins in batches of neighbours, each on the part of the
        network its cutoff can reach.

        No node farther than ``limit`` x top speed (the *radius*) from an origin can be
        reached within ``limit``. The origins are taken in Z-order (:func:`_z_order`) and
        grouped by the square of side about half the radius they fall in; a group reaches at
        most the cells (of that side) within the radius of its square. Consecutive groups
        form a batch while the nodes of their cells stay under ``BATCH_WIDTH`` of the
        network: a batch's search graph is the street graph on those nodes (the prebuilt
        CSR arrays sliced, never re-sorted) with one virtual source node per origin appended
        (joined to both ends of its street), so rows are as wide as the reach, not the
        region. A Dijkstra call holds at most ``MAX_BATCH_CELLS`` values (per row: the
        batch's nodes, or its edges when ``edges``). Without a finite ``limit``, or when a
        batch would reach most of the network, the whole network is searched.
        """
        rows_all = np.flatnonzero(origins.snapped)
        if not len(rows_all):
            return
        n = len(self.node_ids)
        radius = limit * self._top_speed * (1.0 + REACH_MARGIN) + 1.0
        ox, oy = origins.x[rows_all], origins.y[rows_all]
        order = np.argsort(_z_order(ox, oy, origin=self._grid_origin), kind="stable")
        rows_all, ox, oy = rows_all[order], ox[order], oy[order]
        local = np.full(n, -1, dtype=np.int64)
        for rows, cells, grid in self._batch_cells(rows_all, ox, oy, radius):
            rows = np.sort(rows)  # within a batch any order will do: the output's
            keep = None if cells is None else grid.members(cells)
            if keep is not None and len(keep) > FULL_SEARCH * n:
                keep = None
            base, m = self._subgraph(keep, local)
            la = origins.a[rows] if keep is None else local[origins.a[rows]]
            lb = origins.b[rows] if keep is None else local[origins.b[rows]]
            width = m + 1
            if edges:
                width = max(width, len(self.edges) if keep is None else int(
                    (self._edge_ptr[keep + 1] - self._edge_ptr[keep]).sum()))
            size = max(1, min(MAX_BATCH_CELLS // width, max(int(m * SOURCES_PER_NODE), 32)))
            for first in range(0, len(rows), size):
                part = slice(first, min(first + size, len(rows)))
                da, db = origins.depart_a_s[rows[part]], origins.depart_b_s[rows[part]]
                k = len(rows[part])
                if keep is None:  # the whole network: its prebuilt graph, sources in slots
                    dist = self._search_sources(la[part], lb[part], da, db, limit)
                else:
                    graph = _with_sources(base, m, la[part], lb[part], da, db)
                    dist = dijkstra(graph, directed=True, indices=m + np.arange(k), limit=limit)
                dist = dist[:, : m + 1]  # node columns, then one never reached (index -1)
                dist[:, m] = np.inf
                yield _Search(rows[part], keep, dist, origins.access_s[rows[part]], cells, grid, local, n)
            if keep is not None:
                local[keep] = -1

    def _batch_cells(
        self, rows: np.ndarray, x: np.ndarray, y: np.ndarray, radius: float
    ) -> Iterator[tuple[np.ndarray, np.ndarray | None, _Cells | None]]:
        """(origin rows, cell keys they can reach or None for everything, cell index) of
        each batch of origins (rows in Z-order, ``x``, ``y`` their snapped coordinates)."""
        if not np.isfinite(radius) or not len(self.node_ids):
            yield rows, None, None
            return
        side = 250.0 * 2.0 ** max(0, int(np.floor(np.log2(max(radius / GROUP_SHARE, 250.0) / 250.0))))
        grid = self._grid(side)
        cx, cy = grid.cell_of(x, y)
        start = _run_starts((cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1]))
        stop = np.append(start[1:], len(rows))
        # per group: the cells within the radius of its square (clipped to the grid)
        reach = int(np.ceil(radius / side))
        gx0, gy0 = grid.clip(cx[start] - reach, cy[start] - reach)
        gx1, gy1 = grid.clip(cx[start] + reach, cy[start] + reach)
        span = 2 * reach + 1
        dx, dy = np.divmod(np.arange(span * span), span)
        ax = gx0[:, None] + dx[None, :]
        ay = gy0[:, None] + dy[None, :]
        inside = (ax <= gx1[:, None]) & (ay <= gy1[:, None])
        keys = np.where(inside, grid.key(ax, ay), -1)
        width = np.where(inside, grid.count(keys), 0).sum(axis=1)
        n = len(self.node_ids)
        budget = max(BATCH_WIDTH * n, 1.0)
        batch = np.floor((np.cumsum(width) - width) / budget).astype(np.int64)
        cuts = _run_starts(batch[1:] != batch[:-1])
        whole = []
        for g0, g1 in zip(cuts.tolist(), np.append(cuts[1:], len(start)).tolist(), strict=True):
            k, w = stop[g1 - 1] - start[g0], int(width[g0:g1].sum())
            if k * (n - w) <= SLICE_COST * (BATCH_COST + w):  # cheaper on the whole network
                whole.append(rows[start[g0] : stop[g1 - 1]])
                continue
            cells = keys[g0:g1][inside[g0:g1]]
            if g1 - g0 > 1:  # one group's cells are distinct already
                cells = np.unique(cells)
            yield rows[start[g0] : stop[g1 - 1]], cells, grid
        if whole:
            yield np.concatenate(whole), None, None

    def _grid(self, side: float) -> _Cells:
        """The nodes indexed by square cells of ``side`` metres (built once per side)."""
        grid = self._grids.get(side)
        if grid is None:
            grid = self._grids[side] = _Cells(self.node_xy, side, origin=self._grid_origin)
        return grid

    def _search_sources(
        self, la: np.ndarray, lb: np.ndarray, da: np.ndarray, db: np.ndarray, limit: float,
        groups: np.ndarray | None = None,
    ) -> Any:
        """Dijkstra on the whole network from one virtual source per origin (joined to its
        street ends ``la``, ``lb`` in ``da``, ``db`` seconds) written into the prebuilt graph
        (:class:`_SourceSlots`): no graph is built per call. Returns one row per origin
        (``n`` node columns first), or with ``groups`` (sizes of consecutive runs of
        origins) one row per group and the predecessors."""
        with self._sources_lock:
            if self._sources is None or self._sources.size < len(la):
                self._sources = _SourceSlots(self._csr, len(self.node_ids), len(la))
            if groups is not None and len(groups) == 1:  # one group: scipy tells the origins
                graph, indices = self._sources.fill(la, lb, da, db)
                return dijkstra(graph, directed=True, indices=indices, limit=limit, min_only=True,
                                return_predecessors=True)
            graph, indices = self._sources.fill(la, lb, da, db, groups)
            found = dijkstra(
                graph, directed=True, indices=indices, limit=limit, return_predecessors=groups is not None
            )
            return found if groups is None else (*found, self._sources.size)

    def _node_pairs(self, origins: SnappedPoints, limit: float) -> tuple[np.ndarray, ...] | None:
        """(origin rows, node columns, seconds) of every pair within ``limit`` (access leg
        included), sorted by row then column, from groups of origins whose reach cannot
        overlap; None when there would be too many groups (the batches then do it).

        Two origins farther apart than twice the reach radius (``limit`` x top speed) reach
        no node in common. A group of such origins is searched as one row: a group node
        joined to its origins' virtual sources by 0 s edges (``0 + x == x``: the same floats
        as a search from each origin alone), and each reached node is credited to the origin
        its shortest-path tree hangs from (pointer jumping on the predecessors). One row of
        the network per group, not per origin."""
        rows_all = np.flatnonzero(origins.snapped)
        n = len(self.node_ids)
        radius = limit * self._top_speed * (1.0 + REACH_MARGIN) + 1.0
        if not (0 < len(rows_all) <= DISJOINT_ORIGINS and n and np.isfinite(radius)):
            return None
        most = max(1, int(DISJOINT_SHARE * len(rows_all)))
        groups = _disjoint_groups(origins.x[rows_all], origins.y[rows_all], 2.0 * radius, most)
        if groups is None:
            return None
        rows = rows_all[np.argsort(groups, kind="stable")]
        sizes = np.bincount(groups)
        ends = np.cumsum(sizes)
        per_call = max(1, MAX_BATCH_CELLS // (n + 1))  # group rows of one Dijkstra call
        parts = [
            self._group_pairs(origins, rows[ends[g0] - sizes[g0] : ends[g1 - 1]], sizes[g0:g1], limit)
            for g0, g1 in ((g, min(g + per_call, len(sizes))) for g in range(0, len(sizes), per_call))
        ]
        origin, col, seconds = (np.concatenate(part) for part in zip(*parts, strict=True))
        # an origin's columns come ascending (one group row, read in order): a stable sort
        within = seconds <= limit
        origin, col, seconds = origin[within], col[within], seconds[within]
        by_row = np.argsort(origin.astype(np.int32 if len(origins) < 2**31 else np.int64), kind="stable")
        return origin[by_row], col[by_row], seconds[by_row]

    def _group_pairs(
        self, origins: SnappedPoints, rows: np.ndarray, sizes: np.ndarray, limit: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(origin rows, node columns, seconds) of the nodes reached within ``limit`` from the
        groups of origins ``rows`` (consecutive runs of ``sizes``), in one Dijkstra call."""
        n = len(self.node_ids)
        dist, pred, size = self._search_sources(
            origins.a[rows], origins.b[rows], origins.depart_a_s[rows], origins.depart_b_s[rows], limit, sizes
        )
        if dist.ndim == 1:  # one group, searched with scipy's min_only: ``size`` is the sources
            col = np.flatnonzero(dist[:n] <= limit)
            origin = rows[size[col] - n]
            return origin, col, dist[col] + origins.access_s[origin]
        span = n + size  # the nodes, then the origins' rows
        flat = np.flatnonzero(dist[:, :span] <= limit)
        g, v = np.divmod(flat, span)
        node = v < n  # else an origin's row: the root of its tree (its parent is a group row)
        if len(dist) == len(rows):  # one origin per group row
            origin = rows[g[node]]
        else:
            position = np.empty(len(dist) * span, dtype=np.int64)
            position[flat] = np.arange(len(flat))
            parent = position[np.where(node, g * span + pred[g, v], flat)]
            while True:  # pointer jumping: every reached node to the root of its tree
                up = parent[parent]
                if np.array_equal(up, parent):
                    break
                parent = up
            origin = rows[v[parent[node]] - n]
        col = v[node]
        return origin, col, dist[g[node], col] + origins.access_s[origin]

    def _subgraph(self, keep: np.ndarray | None, local: np.ndarray) -> tuple[tuple, int]:
        """CSR arrays of the street graph on the nodes ``keep`` (all when None), renumbered
        0..m-1 (``local[keep]`` is set to the new numbers); the prebuilt arrays are sliced."""
        indptr, indices, data = self._csr
        if keep is None:
            return (indptr, indices, data), len(self.node_ids)
        m = len(keep)
        local[keep] = np.arange(m)
        starts = indptr[keep]
        counts = indptr[keep + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        cols = local[indices[offsets]]
        inside = cols >= 0
        ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(np.repeat(np.arange(m), counts)[inside], minlength=m), out=ptr[1:])
        return (ptr, cols[inside].astype(np.int32), data[offsets[inside]]), m

    def _to_points(
        self, origins: SnappedPoints, search: _Search, dests: SnappedPoints, da: np.ndarray, db: np.ndarray
    ) -> np.ndarray:
        """Times from a batch of origins to snapped destination points; ``da``, ``db``: the
        columns of ``search.dist`` of the destinations' street ends (the access leg is added
        to the gathered columns only: the same sums as on the whole block)."""
        rows = search.rows
        access = search.access[:, None]
        ok = dests.snapped
        via_a = (search.dist[:, da] + access) + dests.arrive_a_s[None, :]
        via_b = (search.dist[:, db] + access) + dests.arrive_b_s[None, :]
        times = np.minimum(via_a, via_b)
        oi, dj = np.nonzero((origins.segment[rows][:, None] == dests.segment[None, :]) & ok[None, :])
        if len(oi):
            times[oi, dj] = np.minimum(times[oi, dj], self._direct(origins, rows[oi], dests, dj))
        times = times + dests.access_s[None, :]
        times[:, ~ok] = np.inf
        return times

    def _direct(
        self, origins: SnappedPoints, o: np.ndarray, dests: SnappedPoints, d: np.ndarray
    ) -> np.ndarray:
        """Origin access + direct travel along the street shared by origin ``o[k]`` and
        destination ``d[k]`` (the egress leg is not included)."""
        seg = dests.segment[d]
        delta = dests.fraction[d] - origins.fraction[o]
        t = np.where(delta >= 0, self._seg_fwd_time[seg], self._seg_bwd_time[seg])
        with np.errstate(invalid="ignore"):
            direct = np.where(delta == 0, 0.0, np.abs(delta) * t)
        return origins.access_s[o] + direct

    def nearest_times(
        self, origins_lonlat: Any, destinations_lonlat: Any, *, cutoff_s: float | None = None
    ) -> np.ndarray:
        """Time from the nearest origin to every destination, in one search.

        One virtual source joined to both ends of every origin's street (access leg
        included) and a single Dijkstra: the minimum over origins of
        :meth:`travel_times`, without its origins x destinations matrix.

        Returns
        -------
        numpy.ndarray, shape (n_destinations,)
            Seconds; ``inf`` when no origin reaches it (within ``cutoff_s``).
        """
        origins = self.snap(*_lonlat(origins_lonlat))
        dests = self.snap(*_lonlat(destinations_lonlat))
        limit = np.inf if cutoff_s is None else float(cutoff_s)
        rows = np.flatnonzero(origins.snapped)
        n = len(self.node_ids)
        legs = np.concatenate([origins.depart_a_s[rows], origins.depart_b_s[rows]])
        legs = legs + np.tile(origins.access_s[rows], 2)
        ends = np.concatenate([origins.a[rows], origins.b[rows]])
        usable = np.isfinite(legs)
        ends, legs = ends[usable], legs[usable]
        order = np.lexsort((legs, ends))  # the origins' legs only: the streets stay as built
        ends, legs = ends[order], legs[order]
        first = np.r_[True, ends[1:] != ends[:-1]] if len(ends) else np.zeros(0, dtype=bool)
        indptr, indices, data = self._csr
        graph = sp.csr_matrix(
            (
                np.concatenate([data, legs[first]]),
                np.concatenate([indices, ends[first].astype(np.int32)]),
                np.concatenate([indptr, [indptr[-1] + int(first.sum())]]),
            ),
            shape=(n + 1, n + 1),
        )
        node_t = dijkstra(graph, directed=True, indices=[n], limit=limit)[0, :n]
        ok = dests.snapped
        da, db = np.where(ok, dests.a, 0), np.where(ok, dests.b, 0)
        best = np.minimum(node_t[da] + dests.arrive_a_s, node_t[db] + dests.arrive_b_s)
        shared = pd.DataFrame({"o": rows, "seg": origins.segment[rows]}).merge(
            pd.DataFrame({"d": np.flatnonzero(ok), "seg": dests.segment[ok]}), on="seg"
        )
        o, d = shared["o"].to_numpy(np.int64), shared["d"].to_numpy(np.int64)
        np.minimum.at(best, d, self._direct(origins, o, dests, d))
        out = np.where(ok, best + dests.access_s, np.inf)
        i, j = _same_points(origins_lonlat, destinations_lonlat)
        out[j[origins.snapped[i]]] = 0.0
        out[out > limit] = np.inf
        return out

    def reach(
        self, origins_lonlat: Any, cutoffs_s: Sequence[float], *, sort: bool = True
    ) -> pd.DataFrame:
        """The stretches of edges reached from each origin within each cutoff.

        Parameters
        ----------
        origins_lonlat : array-like, shape (n, 2), or GeoSeries/GeoDataFrame of points
            Origins as (lon, lat) in WGS84.
        cutoffs_s : sequence of float
            Time budgets in seconds (access leg included).
        sort : bool, default True
            Sort the rows by origin, cutoff, edge and start (skip it for millions of rows
            when the order does not matter).

        Returns
        -------
        pandas.DataFrame
            ``origin, cutoff_s, edge, start, end``: edge ``edge`` (a row of
            ``Router.edges``) is travelled from fraction ``start`` to ``end`` of its
            geometry (``0, 1`` = fully reached). Stretches reached from the edge's ``u``
            start at 0; the origin's own edges carry the stretch travelled directly
            from the snapped point.
        """
        cutoffs = np.asarray(list(cutoffs_s), dtype=float)
        origins = self.snap(*_lonlat(origins_lonlat))
        limit = float(cutoffs.max()) if len(cutoffs) else 0.0
        a_all = self.edges["a"].to_numpy()
        t_all = self.edges["travel_time_s"].to_numpy(dtype=float)
        parts = []
        for search in self._batches(origins, limit, edges=True):
            rows = search.rows
            edge = self._edges_from(search.keep)  # the edges that start at the batch's nodes
            a, t = search.local(a_all[edge]), t_all[edge]
            at_u = search.dist[:, a] + search.access[:, None]
            for cutoff in cutoffs:
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = np.where(t > 0, (cutoff - at_u) / t, np.inf)
                oi, ei = np.nonzero((at_u < cutoff) | ((at_u <= cutoff) & (t == 0)))
                end = np.clip(frac[oi, ei], 0.0, 1.0)
                parts.append(_pieces(rows[oi], cutoff, edge[ei], np.zeros(len(ei)), end))
            parts.extend(self._origin_pieces(origins, rows, cutoffs))
        if not parts:
            return _pieces(np.array([], int), 0.0, np.array([], int), np.array([]), np.array([]))
        frame = pd.concat(parts, ignore_index=True)
        frame = frame[frame["end"] > frame["start"]]
        if sort:
            frame = frame.sort_values(["origin", "cutoff_s", "edge", "start"])
        return frame.reset_index(drop=True)

    def _edges_from(self, keep: np.ndarray | None) -> np.ndarray:
        """Rows of ``Router.edges`` that start at the nodes ``keep`` (every edge when None),
        in ascending order."""
        if keep is None:
            return np.arange(len(self.edges))
        starts = self._edge_ptr[keep]
        counts = self._edge_ptr[keep + 1] - starts
        total = int(counts.sum())
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        return np.sort(self._edge_by_a[offsets])

    def _origin_pieces(
        self, origins: SnappedPoints, rows: np.ndarray, cutoffs: np.ndarray
    ) -> list[pd.DataFrame]:
        """Stretches travelled directly from each origin along its own segment."""
        seg = origins.segment[rows]
        f = origins.fraction[rows]
        parts = []
        for cutoff in cutoffs:
            budget = cutoff - origins.access_s[rows]
            for edge, time, start in (
                (self._seg_fwd_edge[seg], self._seg_fwd_time[seg], f),
                (self._seg_bwd_edge[seg], self._seg_bwd_time[seg], 1.0 - f),
            ):
                keep = (edge >= 0) & (budget >= 0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    span = np.where(time > 0, budget / time, np.inf)
                end = np.minimum(1.0, start + span)
                parts.append(_pieces(rows[keep], cutoff, edge[keep], start[keep], end[keep]))
        return parts

    def isochrones(
        self,
        origins_lonlat: Any,
        cutoffs_s: Sequence[float],
        *,
        buffer_m: float = DEFAULT_BUFFER_M,
    ) -> gpd.GeoDataFrame:
        """Network isochrones: the reached streets, buffered and unioned.

        Parameters
        ----------
        origins_lonlat : array-like, shape (n, 2), or GeoSeries/GeoDataFrame of points
            Origins as (lon, lat) in WGS84.
        cutoffs_s : sequence of float
            Time budgets in seconds.
        buffer_m : float
            Buffer around the reached street stretches (see :data:`ISOCHRONE_BUFFER_M`).

        Returns
        -------
        geopandas.GeoDataFrame
            ``origin, cutoff_s, geometry`` (EPSG:4326), one row per origin and cutoff;
            an empty polygon when nothing is reached (or the origin is not snapped).
        """
        cutoffs = [float(c) for c in cutoffs_s]
        lon, lat = _lonlat(origins_lonlat)
        origins = self.snap(lon, lat)
        pieces = self.reach(np.column_stack([lon, lat]), cutoffs)
        groups = {key: g for key, g in pieces.groupby(["origin", "cutoff_s"], sort=False)}
        ox, oy = _TO_METRIC.transform(lon, lat)
        records = []
        for i in range(len(origins)):
            for cutoff in cutoffs:
                lines = self._piece_lines(groups.get((i, cutoff)))
                if origins.snapped[i] and origins.access_s[i] <= cutoff:
                    lines.append(shapely.LineString([(ox[i], oy[i]), (origins.x[i], origins.y[i])]))
                records.append((i, cutoff, _buffered(lines, buffer_m)))
        frame = pd.DataFrame(records, columns=["origin", "cutoff_s", GEOMETRY_COLUMN])
        geometry = gpd.GeoSeries(frame[GEOMETRY_COLUMN], crs=CRS_METRIC).to_crs(CRS_WGS84)
        return gpd.GeoDataFrame(
            frame[["origin", "cutoff_s"]], geometry=geometry.values, crs=CRS_WGS84
        )

    def _piece_lines(self, pieces: pd.DataFrame | None) -> list[shapely.Geometry]:
        """Reached stretches as lines, merged per street segment (both directions)."""
        if pieces is None or pieces.empty:
            return []
        merged = _merge_intervals(self._segment_intervals(pieces))
        seg = merged["segment"].to_numpy()
        start, end = merged["start"].to_numpy(), merged["end"].to_numpy()
        full = (start <= 0.0) & (end >= 1.0)
        lines = list(self._seg_geometry[seg[full]])
        for g, lo, hi in zip(seg[~full], start[~full], end[~full], strict=True):
            lines.append(substring(self._seg_geometry[g], lo, hi, normalized=True))
        return lines

    def _segment_intervals(self, pieces: pd.DataFrame) -> pd.DataFrame:
        """Edge stretches expressed along their segment's geometry."""
        edge = pieces["edge"].to_numpy()
        forward = self.edges["forward"].to_numpy()[edge]
        start, end = pieces["start"].to_numpy(), pieces["end"].to_numpy()
        return pd.DataFrame(
            {
                "segment": self.edges["segment"].to_numpy()[edge],
                "start": np.where(forward, start, 1.0 - end),
                "end": np.where(forward, end, 1.0 - start),
            }
        )


@dataclass
class _Search:
    """One batch of a bulk search (:meth:`Router._batches`).

    ``dist[k, j]``: seconds from the street of origin ``rows[k]`` to the node ``cols[j]``
    (``inf`` beyond the cutoff), ``access[k]`` the origin's access leg; the last column is
    never reached, so that :meth:`local` can send nodes outside the batch there (index -1).
    ``cells`` are the keys (in ``grid``) of the cells the batch can reach, None for all.
    """

    rows: np.ndarray
    keep: np.ndarray | None
    dist: np.ndarray
    access: np.ndarray
    cells: np.ndarray | None
    grid: _Cells | None
    _local: np.ndarray
    n: int

    @property
    def cols(self) -> np.ndarray:
        """Node positions of the columns of ``dist`` (without the last one)."""
        return np.arange(self.n) if self.keep is None else self.keep

    @property
    def times(self) -> np.ndarray:
        """``dist`` with the access leg: seconds from each origin point."""
        return self.dist + self.access[:, None]

    def local(self, nodes: np.ndarray) -> np.ndarray:
        """Columns of ``dist`` of the node positions ``nodes`` (-1 when outside the batch)."""
        return np.asarray(nodes, dtype=np.int64) if self.keep is None else self._local[nodes]


class _NearestSegments:
    """The street segments nearest to points: what ``STRtree.query_nearest(points,
    return_distance=True)`` answers, ties included and in GEOS's order, found faster.

    GEOS's nearest-neighbour search slows down with the distance to the nearest segment (H3
    cell centres in the fields: a median of 490 m on the 262-commune region, 4.0 s for its
    184,075 cells on the walk network). Here a k-d tree of points every ``SNAP_STEP_M`` along the segments
    bounds each point's distance to its nearest segment from above (the closest such point
    lies on a segment); the segments within that bound (an STRtree ``dwithin`` query) are
    measured with GEOS's distance, the one its nearest search uses, and the nearest is kept.
    Where several segments tie at that distance (a point nearest to a junction), GEOS's own
    query answers for that point, so its choice among them is kept too.
    """

    def __init__(self, geometry: np.ndarray) -> None:
        self.geometry = geometry
        self.tree = shapely.STRtree(geometry)
        self._vertices: cKDTree | None = None

    def query(self, points: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """``((point positions, segment positions), distances)`` as ``query_nearest``."""
        if self._vertices is None:
            self._vertices = cKDTree(_points_along(self.geometry, SNAP_STEP_M))
        where = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if not len(where) or not self._vertices.n:
            (w, s), d = self.tree.query_nearest(points[where], return_distance=True)
            return (where[w], s), d
        bound, _ = self._vertices.query(np.column_stack([x[where], y[where]]))
        placed = points[where]
        # within the bound, with a margin for rounding (a point on a segment is at ~0 m)
        hit, seg = self.tree.query(placed, predicate="dwithin", distance=bound * (1 + 1e-9) + 1e-6)
        dist = shapely.distance(placed[hit], self.geometry[seg])
        order = np.lexsort((dist, hit))
        hit, seg, dist = hit[order], seg[order], dist[order]
        first = np.flatnonzero(np.r_[True, hit[1:] != hit[:-1]]) if len(hit) else np.zeros(0, dtype=np.int64)
        alone = np.ones(len(first), dtype=bool)  # the nearest is one segment
        second = first + 1
        has_second = second < len(hit)
        has_second[has_second] &= hit[second[has_second]] == hit[first[has_second]]
        alone[has_second] = dist[second[has_second]] > dist[first[has_second]]
        unique = first[alone]
        # ties, and (never expected) points the bound left without a segment: GEOS answers
        rest = np.setdiff1d(np.arange(len(where)), hit[unique], assume_unique=True)
        (w, s), d = self.tree.query_nearest(placed[rest], return_distance=True)
        return (
            (np.concatenate([where[hit[unique]], where[rest][w]]), np.concatenate([seg[unique], s])),
            np.concatenate([dist[unique], d]),
        )


def _points_along(lines: np.ndarray, step: float) -> np.ndarray:
    """Coordinates of the lines' vertices and of points at most ``step`` apart between them
    (``shapely.segmentize`` refuses degenerate lines: one repeated point)."""
    xy, which = shapely.get_coordinates(lines, return_index=True)
    if len(xy) < 2:
        return xy.reshape(-1, 2)
    start, end = xy[:-1], xy[1:]
    pair = which[:-1] == which[1:]
    start, end = start[pair], end[pair]
    pieces = np.maximum(np.ceil(np.hypot(*(end - start).T) / step), 1).astype(np.int64)
    pair_of = np.repeat(np.arange(len(start)), pieces)
    part = (np.arange(len(pair_of)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[pair_of]
    between = start[pair_of] + (end - start)[pair_of] * part[:, None]
    return np.concatenate([xy, between])


class _Cells:
    """Points indexed by square cells of ``side`` metres from ``origin`` (dense pointers;
    points beyond the grid, set by ``shape`` or the points, count in its border cells)."""

    def __init__(
        self,
        xy: np.ndarray,
        side: float,
        *,
        origin: tuple[float, float],
        shape: tuple[int, int] | None = None,
        members: np.ndarray | None = None,
    ) -> None:
        self.side, self.origin = side, origin
        positions = np.arange(len(xy)) if members is None else members
        raw = np.floor((xy[positions] - np.asarray(origin)) / side)
        if shape is None:
            shape = (int(raw[:, 0].max()) + 1, int(raw[:, 1].max()) + 1) if len(raw) else (1, 1)
        self.shape = shape
        cx, cy = self.clip(raw[:, 0].astype(np.int64), raw[:, 1].astype(np.int64))
        key = self.key(cx, cy)
        self._order = positions[np.argsort(key, kind="stable")]
        self._ptr = np.zeros(shape[0] * shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=shape[0] * shape[1]), out=self._ptr[1:])

    def clip(self, cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.minimum(np.maximum(cx, 0), self.shape[0] - 1),
            np.minimum(np.maximum(cy, 0), self.shape[1] - 1),
        )

    def key(self, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
        return cx * self.shape[1] + cy

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cx = np.floor((x - self.origin[0]) / self.side).astype(np.int64)
        cy = np.floor((y - self.origin[1]) / self.side).astype(np.int64)
        return self.clip(cx, cy)

    def count(self, keys: np.ndarray) -> np.ndarray:
        """Points per cell (``keys`` >= 0)."""
        k = np.maximum(keys, 0)
        return self._ptr[k + 1] - self._ptr[k]

    def members(self, keys: np.ndarray) -> np.ndarray:
        """Positions (sorted) of the points in the cells ``keys`` (distinct)."""
        starts = self._ptr[keys]
        counts = self._ptr[keys + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        return np.sort(self._order[offsets])


class _Places:
    """Destination points, found by the cells a batch can reach."""

    def __init__(self, points: SnappedPoints) -> None:
        self._xy = np.column_stack([points.x, points.y])
        self._snapped = np.flatnonzero(points.snapped)
        self._grids: dict[float, _Cells] = {}

    def near(self, search: _Search) -> np.ndarray:
        """Positions (sorted) of the snapped points in the cells ``search`` can reach."""
        grid = search.grid
        if search.cells is None or grid is None:
            return self._snapped
        cells = self._grids.get(grid.side)
        if cells is None:
            cells = self._grids[grid.side] = _Cells(
                self._xy, grid.side, origin=grid.origin, shape=grid.shape, members=self._snapped
            )
        return cells.members(search.cells)


class _SourceSlots:
    """The street graph's CSR arrays with room for ``size`` origins appended once: a virtual
    source row per origin (two edge slots: its street's ends), then a row per group of
    origins (0 s edges to its origins' rows) and a last row for the group edges left over.
    A search writes its origins into the first
    rows instead of building a graph per call; nothing leads into these rows from the
    streets, so what earlier searches left in the unused ones is never reached. Used
    under the router's lock."""

    def __init__(self, base: tuple[np.ndarray, np.ndarray, np.ndarray], n: int, needed: int) -> None:
        ptr, idx, dat = base
        self.size = size = max(64, 1 << int(np.ceil(np.log2(max(needed, 1)))))
        self.n, self.edges = n, int(ptr[-1])
        end = self.edges + 2 * size  # a last row holds the group edges no group uses
        indptr = np.concatenate([ptr, self.edges + 2 * np.arange(1, size + 1), np.full(size, end), [end + size]])
        total = n + 2 * size + 1
        index = np.int32 if max(total, end + size) < 2**31 else np.int64
        self.graph = sp.csr_matrix(
            (
                np.concatenate([dat, np.full(3 * size, np.inf)]),
                np.concatenate([idx, np.zeros(3 * size, dtype=idx.dtype)]).astype(index),
                indptr.astype(index),
            ),
            shape=(total, total),
        )

    def fill(
        self, la: np.ndarray, lb: np.ndarray, da: np.ndarray, db: np.ndarray, groups: np.ndarray | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Write the origins (edges to ``la``, ``lb`` weighted ``da``, ``db``; the minimum of
        the two when both ends are one node; ``inf`` = no edge) into the first source rows;
        with ``groups`` (sizes of consecutive runs of origins) a group row joins each run.
        Returns the graph and the rows to search from (the origins', or the groups')."""
        k, e, n = len(la), self.edges, self.n
        one = la == lb
        g = self.graph
        g.indices[e : e + 2 * k : 2], g.indices[e + 1 : e + 2 * k : 2] = la, lb
        g.data[e : e + 2 * k : 2] = np.where(one, np.minimum(da, db), da)
        g.data[e + 1 : e + 2 * k : 2] = np.where(one, np.inf, db)
        if groups is None:
            return g, n + np.arange(k)
        start = e + 2 * self.size
        g.indices[start : start + k] = n + np.arange(k)
        g.data[start : start + k] = 0.0
        tail = g.indptr[n + self.size + 1 : -1]
        tail[: len(groups)] = start + np.cumsum(groups)
        tail[len(groups) :] = start + k
        return g, n + self.size + np.arange(len(groups))


def _disjoint_groups(x: np.ndarray, y: np.ndarray, apart: float, most: int) -> np.ndarray | None:
    """Group number of each point: points of one group are more than ``apart`` from each
    other (greedy colouring of the pairs within ``apart``, points in their given order);
    None as soon as it takes more than ``most`` groups."""
    if len(x) <= SMALL_GROUPING:  # all pairs: cheaper than a tree for a few points
        hi, lo = np.nonzero(np.tril(np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) <= apart, -1))
    else:
        # the points in a square of side apart / sqrt(2) are all within apart: one group each
        side = apart / np.sqrt(2.0)
        cx, cy = np.floor((x - x.min()) / side), np.floor((y - y.min()) / side)
        if np.unique(cx * (cy.max() + 1) + cy, return_counts=True)[1].max() > most:
            return None
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(apart, output_type="ndarray")
        lo, hi = pairs.min(axis=1), pairs.max(axis=1)
        order = np.lexsort((lo, hi))  # by the later point: its earlier neighbours
        hi, lo = hi[order], lo[order]
    if not len(hi):
        return np.zeros(len(x), dtype=np.int64)
    starts = np.searchsorted(hi, np.arange(len(x) + 1))
    colours = [0] * len(x)
    lo_list = lo.tolist()
    for i, (s0, s1) in enumerate(zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)):
        if s0 == s1:
            continue
        used = {colours[j] for j in lo_list[s0:s1]}
        c = 0
        while c in used:
            c += 1
        if c >= most:
            return None
        colours[i] = c
    return np.asarray(colours, dtype=np.int64)


def _with_sources(
    base: tuple[np.ndarray, np.ndarray, np.ndarray],
    m: int,
    la: np.ndarray,
    lb: np.ndarray,
    da: np.ndarray,
    db: np.ndarray,
) -> sp.csr_matrix:
    """The graph of CSR arrays ``base`` (m nodes) with one virtual source node per origin
    appended (m, m + 1, ...): edges to the street ends ``la``, ``lb`` weighted ``da``,
    ``db`` (the minimum of the two when both ends are one node; no edge for ``inf``)."""
    ptr, idx, dat = base
    one = la == lb
    da = np.where(one, np.minimum(da, db), da)
    use = np.column_stack([np.isfinite(da), np.isfinite(db) & ~one])
    v_cols = np.column_stack([la, lb])[use].astype(np.int32)
    v_data = np.column_stack([da, db])[use]
    v_ptr = ptr[-1] + np.cumsum(use.sum(axis=1))
    size = m + len(la)
    return sp.csr_matrix(
        (np.concatenate([dat, v_data]), np.concatenate([idx, v_cols]), np.concatenate([ptr, v_ptr])),
        shape=(size, size),
    )


def _run_starts(changes: np.ndarray) -> np.ndarray:
    """Starts of the runs of equal values, given ``changes[i]``: value i + 1 differs from i."""
    return np.concatenate([[0], np.flatnonzero(changes) + 1])


def _top_speed(
    node_xy: np.ndarray, a: np.ndarray, b: np.ndarray, times: np.ndarray, geometry: np.ndarray
) -> float:
    """Metres per second no edge exceeds, by its geometry or the straight line between its
    nodes: no point farther than ``t`` x this from an origin (on the network) is reached within
    ``t``. ``inf`` (no bound) when an edge of length > 0 takes no time or coordinates lack."""
    if not len(times):
        return 0.0
    if not np.isfinite(node_xy).all():
        return float("inf")
    straight = np.hypot(*(node_xy[a] - node_xy[b]).T)
    length = np.maximum(np.nan_to_num(shapely.length(geometry), nan=np.inf), straight)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(times > 0, length / times, np.where(length > 0, np.inf, 0.0))
    return float(np.max(speed))


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {missing}; has {list(frame.columns)}")


def _metric(geometry: gpd.GeoSeries) -> np.ndarray:
    series = gpd.GeoSeries(geometry)
    if series.crs is None:
        series = series.set_crs(CRS_WGS84)
    return series.to_crs(CRS_METRIC).to_numpy()


def _lonlat(points: Any) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) arrays from an (n, 2) array-like, a (lon, lat) pair or point geometries."""
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        series = gpd.GeoSeries(points.geometry if isinstance(points, gpd.GeoDataFrame) else points)
        if series.crs is not None:
            series = series.to_crs(CRS_WGS84)
        return series.x.to_numpy(float), series.y.to_numpy(float)
    array = np.asarray(points, dtype=float)
    if array.ndim == 1 and array.shape == (2,):
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(
            f"points must be (lon, lat) pairs of shape (n, 2); got shape {array.shape}"
        )
    return array[:, 0].copy(), array[:, 1].copy()


def _z_order(
    x: np.ndarray, y: np.ndarray, cell_m: float = 250.0, *, origin: tuple[float, float] | None = None
) -> np.ndarray:
    """Morton (Z-order) key of metric points on a ``cell_m`` grid from ``origin`` (default:
    the points' minimum; points below it count in the first cells): sorting by it keeps
    neighbours together, and the points of an aligned block of 2^k x 2^k cells together."""

    def spread(v: np.ndarray) -> np.ndarray:  # the bits of v with a zero between each
        v = v & np.uint64(0xFFFFFFFF)
        for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                            (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                            (1, 0x5555555555555555)):  # fmt: skip
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v

    if not len(x):
        return np.zeros(0, dtype=np.uint64)
    x0, y0 = (np.min(x), np.min(y)) if origin is None else origin
    ix = np.maximum(np.floor((x - x0) / cell_m), 0).astype(np.uint64)
    iy = np.maximum(np.floor((y - y0) / cell_m), 0).astype(np.uint64)
    return spread(ix) | (spread(iy) << np.uint64(1))


def _same_points(origins: Any, destinations: Any) -> tuple[np.ndarray, np.ndarray]:
    """(origin, destination) index pairs with identical coordinates (a hash join, never an
    origins x destinations comparison)."""
    ox, oy = _lonlat(origins)
    dx, dy = _lonlat(destinations)
    left = pd.DataFrame({"x": ox, "y": oy, "i": np.arange(len(ox))})
    right = pd.DataFrame({"x": dx, "y": dy, "j": np.arange(len(dx))})
    both = left.merge(right, on=["x", "y"])
    return both["i"].to_numpy(np.int64), both["j"].to_numpy(np.int64)


def _min_csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix keeping the minimum of duplicate (row, col) entries (explicit zeros kept)."""
    order = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=(n, n))


def _best_edge(
    segment: np.ndarray, mask: np.ndarray, times: np.ndarray, n_seg: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per segment, the fastest edge among ``mask``: (time or inf, edge row or -1)."""
    best_time = np.full(n_seg, np.inf)
    best_edge = np.full(n_seg, -1, dtype="int64")
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((times[idx], segment[idx]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = segment[order][1:] != segment[order][:-1]
    chosen = order[first]
    best_time[segment[chosen]] = times[chosen]
    best_edge[segment[chosen]] = chosen
    return best_time, best_edge


def _part(fraction: np.ndarray, time: np.ndarray) -> np.ndarray:
    """``fraction * time`` with ``inf`` for a forbidden direction, except that covering no
    distance at all (``fraction == 0``: the point is on the node) is always allowed: a point
    on the first node of a one-way street can still leave by that node's other streets."""
    finite = np.isfinite(time)
    return np.where(
        fraction == 0, 0.0, np.where(finite, fraction * np.where(finite, time, 0.0), np.inf)
    )


def _pieces(
    origin: np.ndarray, cutoff: float, edge: np.ndarray, start: np.ndarray, end: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": np.asarray(origin, dtype="int64"),
            "cutoff_s": float(cutoff),
            "edge": np.asarray(edge, dtype="int64"),
            "start": np.asarray(start, dtype=float),
            "end": np.asarray(end, dtype=float),
        }
    )


def _merge_intervals(intervals: pd.DataFrame) -> pd.DataFrame:
    """Union of overlapping or touching ``[start, end]`` intervals within each segment."""
    frame = intervals.sort_values(["segment", "start"]).reset_index(drop=True)
    reach = frame.groupby("segment")["end"].cummax()
    previous = reach.groupby(frame["segment"]).shift()
    opens = previous.isna() | (frame["start"] > previous)
    group = opens.cumsum()
    return frame.groupby(group).agg(
        segment=("segment", "first"), start=("start", "min"), end=("end", "max")
    )


def _buffered(lines: list[shapely.Geometry], buffer_m: float) -> shapely.Geometry:
    """Union of the buffered lines (buffering each then one union is ~7x faster here)."""
    if not lines:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(np.array(lines, dtype=object), buffer_m, quad_segs=8))
