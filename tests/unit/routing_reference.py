"""The router's bulk search as it was before the local searches (issue 21), kept verbatim as
the reference the tests hold the new code equal to.

:class:`ReferenceRouter` is a :class:`pipelines.routing.Router` whose ``travel_times``,
``nearest_times`` and ``reach`` rebuild the whole search graph with the origins' virtual
nodes on every call (a lexsort of every edge) and compute full-width rows (origins x every
node), as the router did until 2026-12-06.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from pipelines.routing import (
    Router,
    SnappedPoints,
    _lonlat,
    _min_csr,
    _pieces,
    _same_points,
    _z_order,
)
from pipelines.sparse_times import SparseTimes

MAX_BATCH_CELLS = 5_000_000
MIN_CHUNK_ORIGINS = 1_000


class ReferenceRouter(Router):
    """The router with the search of before issue 21 (see the module docstring)."""

    @classmethod
    def of(cls, router: Router) -> ReferenceRouter:
        """The same network as ``router``, searched the old way."""
        ref = cls.__new__(cls)
        ref.__dict__.update(router.__dict__)
        ref._snaps = {}
        return ref

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
        for rows, node_times in self._batches(origins, limit):
            if dests is None:
                cols, block = np.arange(shape[1]), node_times
            else:
                cols, block = self._batch_to_points(origins, rows, node_times, dests, (same_i, same_j))
            if out is not None:
                out[np.ix_(rows, cols)] = block
                continue
            r, c = np.nonzero(block <= limit)
            blocks.append((rows, np.bincount(r, minlength=len(rows)), cols[c], block[r, c]))
        if out is None:
            return SparseTimes.from_row_blocks(blocks, shape)
        if cutoff_s is not None:
            out[out > cutoff_s] = np.inf
        return out

    def _batch_to_points(
        self,
        origins: SnappedPoints,
        rows: np.ndarray,
        node_times: np.ndarray,
        dests: SnappedPoints,
        same: tuple[np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """(destination columns, times) of a batch: only the destinations the batch can
        reach (an end of their street reached, or the street of an origin), so the work
        follows the reached area, not the whole territory."""
        reached = np.isfinite(node_times).any(axis=0)
        near = dests.snapped & (
            reached[dests.a] | reached[dests.b] | np.isin(dests.segment, origins.segment[rows])
        )
        here = np.isin(same[0], rows) & origins.snapped[same[0]]
        near[same[1][here]] = True
        cols = np.flatnonzero(near)
        block = self._to_points(origins, rows, node_times, dests.take(cols))
        block[pd.Index(rows).get_indexer(same[0][here]), np.searchsorted(cols, same[1][here])] = 0.0
        return cols, block

    def _batches(
        self, origins: SnappedPoints, limit: float, *, width: int | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (origin rows, node times incl. access) for batches of snapped origins.

        The graph with one virtual source node per origin (joined to both ends of its
        street) is built once per chunk of origins; a batch holds at most ``MAX_BATCH_CELLS`` values per row of
        ``width`` (default: the nodes of that graph) columns. Batches take the origins in
        Z-order (:func:`_z_order`): the origins of a batch are neighbours, so together they
        reach one area and not a strip across the territory.
        """
        rows_all = np.flatnonzero(origins.snapped)
        rows_all = rows_all[np.argsort(_z_order(origins.x[rows_all], origins.y[rows_all]), kind="stable")]
        n = len(self.node_ids)
        a, b, t = self._base
        # one graph per chunk of origins: few builds, and the searches never scan many more
        # virtual nodes than street nodes
        chunk = max(n, MIN_CHUNK_ORIGINS)
        for first in range(0, len(rows_all), chunk):
            part = rows_all[first : first + chunk]
            s = len(part)
            virtual = n + np.arange(s)
            v_rows = np.concatenate([virtual, virtual])
            v_cols = np.concatenate([origins.a[part], origins.b[part]])
            v_data = np.concatenate([origins.depart_a_s[part], origins.depart_b_s[part]])
            usable = np.isfinite(v_data)
            graph = _min_csr(
                np.concatenate([a, v_rows[usable]]),
                np.concatenate([b, v_cols[usable]]),
                np.concatenate([t, v_data[usable]]),
                n + s,
            )
            size = max(1, MAX_BATCH_CELLS // max(n + s, width or 0, 1))
            for start in range(0, s, size):
                batch = np.arange(start, min(start + size, s))
                rows = part[batch]
                dist = dijkstra(graph, directed=True, indices=virtual[batch], limit=limit)[:, :n]
                yield rows, dist + origins.access_s[rows][:, None]

    def _to_points(
        self, origins: SnappedPoints, rows: np.ndarray, node_times: np.ndarray, dests: SnappedPoints
    ) -> np.ndarray:
        """Times from a batch of origins to snapped destination points."""
        ok = dests.snapped
        da, db = np.where(ok, dests.a, 0), np.where(ok, dests.b, 0)
        via_a = node_times[:, da] + dests.arrive_a_s[None, :]
        via_b = node_times[:, db] + dests.arrive_b_s[None, :]
        times = np.minimum(via_a, via_b)
        oi, dj = np.nonzero((origins.segment[rows][:, None] == dests.segment[None, :]) & ok[None, :])
        if len(oi):
            times[oi, dj] = np.minimum(times[oi, dj], self._direct(origins, rows[oi], dests, dj))
        times = times + dests.access_s[None, :]
        times[:, ~ok] = np.inf
        return times

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
        a, b, t = self._base
        legs = np.concatenate([origins.depart_a_s[rows], origins.depart_b_s[rows]])
        legs = legs + np.tile(origins.access_s[rows], 2)
        ends = np.concatenate([origins.a[rows], origins.b[rows]])
        usable = np.isfinite(legs)
        graph = _min_csr(
            np.concatenate([a, np.full(int(usable.sum()), n)]),
            np.concatenate([b, ends[usable]]),
            np.concatenate([t, legs[usable]]),
            n + 1,
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
        a = self.edges["a"].to_numpy()
        t = self.edges["travel_time_s"].to_numpy(dtype=float)
        parts = []
        for rows, node_times in self._batches(origins, limit, width=len(a)):
            at_u = node_times[:, a]
            for cutoff in cutoffs:
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = np.where(t > 0, (cutoff - at_u) / t, np.inf)
                oi, ei = np.nonzero((at_u < cutoff) | ((at_u <= cutoff) & (t == 0)))
                end = np.clip(frac[oi, ei], 0.0, 1.0)
                parts.append(_pieces(rows[oi], cutoff, ei, np.zeros(len(ei)), end))
            parts.extend(self._origin_pieces(origins, rows, cutoffs))
        if not parts:
            return _pieces(np.array([], int), 0.0, np.array([], int), np.array([]), np.array([]))
        frame = pd.concat(parts, ignore_index=True)
        frame = frame[frame["end"] > frame["start"]]
        if sort:
            frame = frame.sort_values(["origin", "cutoff_s", "edge", "start"])
        return frame.reset_index(drop=True)
