"""Catchment areas, engine glue: cell-to-district travel costs and isochrone tables.

Joins :mod:`pipelines.routing` (bulk shortest paths with csgraph, points snapped to edges)
and :mod:`pipelines.catchment.isochrones` (cached unions of reached streets) into the tables of the
``gold`` catchment assets. Costs *to* a district are computed on the reversed network, so one
Dijkstra per district gives the cost from every H3 cell. Never imports Dagster;
``docs/catchment.md`` explains every choice.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines.arrays import distinct, positions
from pipelines.constants import CRS_WGS84
from pipelines.grid import cell_centres
from pipelines.routing import Router
from pipelines.sparse_times import SparseTimes
from pipelines.workers import fork_map

# ------------------------------------------------------------------------ travel costs

COSTS = ("time", "distance")
"""``time``: seconds on the mode's network; ``distance``: metres along it."""


def mode_router(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    mode: str,
    *,
    cost: str = "time",
    reverse: bool = False,
) -> Router:
    """A :class:`Router` on one mode of the silver network tables.

    Parameters
    ----------
    nodes, edges : geopandas.GeoDataFrame
        ``silver.network_nodes`` / ``silver.network_edges`` (with a ``mode`` column) or the
        output of :func:`pipelines.network.mode_network` (without it).
    mode : str
        ``walk``, ``bike`` or ``drive``.
    cost : {"time", "distance"}
        ``distance`` routes on ``length_m`` (the router's "seconds" are then metres, and the
        off-network leg is its straight-line length).
    reverse : bool
        Reverse every edge (``u`` and ``v`` swapped, geometry reversed): travel times *from*
        a point in the reversed network are travel times *to* it in the real one, one-way
        streets included. One Dijkstra per district then gives the cost from every cell.

    Returns
    -------
    Router
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS}; found {cost!r}")
    if "mode" in edges.columns:
        nodes = nodes[nodes["mode"] == mode]
        edges = edges[edges["mode"] == mode]
    if not len(edges):
        raise ValueError(f"the network has no {mode!r} edge")
    edges = edges.reset_index(drop=True).copy()
    access = None
    if cost == "distance":
        edges["travel_time_s"] = edges["length_m"].to_numpy(dtype=float)
        access = 3.6  # 1 m/s: the access leg in metres
    if reverse:
        edges["u"], edges["v"] = edges["v"].to_numpy(), edges["u"].to_numpy()
        edges = edges.set_geometry(shapely.reverse(edges.geometry.to_numpy()), crs=edges.crs)
    return Router.from_network(nodes, edges, access_speed_kmh=access)


def costs_to_destinations(
    reversed_router: Router,
    origins_lonlat: np.ndarray,
    destinations_lonlat: np.ndarray,
    cutoff: float,
) -> SparseTimes:
    """Cost from every origin to every destination up to ``cutoff``, one Dijkstra per
    destination.

    Parameters
    ----------
    reversed_router : Router
        From :func:`mode_router` with ``reverse=True``.
    origins_lonlat, destinations_lonlat : numpy.ndarray, shape (n, 2)
        WGS84 (lon, lat).
    cutoff : float
        Largest cost kept (seconds, or metres for a distance router).

    Returns
    -------
    SparseTimes, shape (n_origins, n_destinations)
        The pairs within ``cutoff``; absent = farther or unreachable.
    """
    times = reversed_router.travel_times(
        destinations_lonlat, origins_lonlat, cutoff_s=cutoff, sparse=True
    )
    return times.T


def reached_totals(
    district: np.ndarray,
    weight: np.ndarray,
    cost: np.ndarray,
    cutoffs: np.ndarray,
    n_districts: int,
) -> np.ndarray:
    """Sum of the weights of the (cell, district) pairs within each cutoff, per district.

    Parameters
    ----------
    district : numpy.ndarray of int, shape (n_pairs,)
        Position of each pair's district (0 .. n_districts - 1).
    weight : numpy.ndarray, shape (n_pairs,)
        Weight of each pair's cell (population, workers).
    cost : numpy.ndarray, shape (n_pairs,)
        Cost of the pair (``inf`` = beyond reach).
    cutoffs : numpy.ndarray, shape (n_cutoffs,)
        Inclusive thresholds, in the unit of ``cost``.

    Returns
    -------
    numpy.ndarray, shape (n_districts, n_cutoffs)
    """
    w = np.asarray(weight, dtype=float)
    c = np.asarray(cost, dtype=float)
    cuts = np.asarray(cutoffs, dtype=float)
    return np.column_stack(
        [
            np.bincount(district, weights=np.where(c <= cut, w, 0.0), minlength=n_districts)
            for cut in cuts
        ]
    ).reshape(n_districts, cuts.size)  # explicit: zero districts (a village) is (0, n_cutoffs)


# ------------------------------------------------------------------- tables of the assets

ISOCHRONE_MINUTES: dict[str, tuple[int, ...]] = {
    "walk": (5, 10, 15),
    "bike": (10, 20),
    "drive": (10, 20, 30),
}
"""Isochrone cutoffs per mode, minutes."""

ISOCHRONE_BUFFER_M: dict[str, float] = {"walk": 25.0, "bike": 40.0, "drive": 100.0}
"""Buffer around reached streets, by mode. Walk and bike as ``pipelines.routing`` suggests;
drive wider (100 m): a drive-time area is an area served by car, so the interiors of urban
blocks and the houses set back from rural roads belong to it (and the union is 3x faster)."""

TIME_LIMIT_MIN: dict[str, float] = {mode: float(max(m)) for mode, m in ISOCHRONE_MINUTES.items()}
"""gold.travel_times keeps the pairs within these minutes on at least one mode: the largest
isochrone of each mode; a 30-minute drive also bounds the Huff choice set. Farther pairs are
read by no figure and are left out (the table grows with the territory, not its square)."""

JOBS_PER_ESTABLISHMENT = 3.0
"""Workers proxy: assumed jobs per KBO establishment (the demo has no employment data)."""


def travel_time_table(
    nodes: pd.DataFrame, edges: pd.DataFrame, cells: np.ndarray, districts: pd.DataFrame
) -> pd.DataFrame:
    """Travel cost from the centre of every H3 cell to every district within reach, per mode.

    Parameters
    ----------
    nodes, edges : geopandas.GeoDataFrame
        ``silver.network_nodes`` and ``silver.network_edges`` (all modes).
    cells : numpy.ndarray of uint64
        Origin cells.
    districts : pandas.DataFrame
        ``district_id``, ``origin_lon``, ``origin_lat``.

    Returns
    -------
    pandas.DataFrame
        ``h3, district_id, walk_min, bike_min, drive_min, drive_km``, cell-major (cells in
        the order given, districts in theirs): one row per pair within
        :data:`TIME_LIMIT_MIN` on at least one mode, ``inf`` on the modes that do not reach
        it within theirs. The fastest trip on each mode's network (one-way streets
        respected, the cell centre and the district joined to their nearest street) and the
        length of the shortest drive. The four searches are shared among worker processes
        (:func:`pipelines.workers.fork_map`).
    """
    cells = np.asarray(cells, dtype="uint64")
    origins = cell_centres(cells)
    targets = districts[["origin_lon", "origin_lat"]].to_numpy(dtype=float)
    n_d = len(targets)
    # the shortest drive of a pair within the time limit is no longer than the fastest one,
    # which covers at most (limit x top speed) metres
    drive = edges[edges["mode"] == "drive"] if "mode" in edges.columns else edges
    with np.errstate(divide="ignore", invalid="ignore"):
        speeds = drive["length_m"].to_numpy(float) / drive["travel_time_s"].to_numpy(float)
    top = float(np.nanmax(speeds)) if len(speeds) else 0.0  # metres per second
    searches = {f"{mode}_min": (mode, "time", 60.0 * TIME_LIMIT_MIN[mode]) for mode in ("walk", "bike", "drive")}
    searches["drive_km"] = ("drive", "distance", 60.0 * TIME_LIMIT_MIN["drive"] * top)

    def search(mode: str, cost: str, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
        """(cell x n_districts + district, cost) of the pairs within ``cutoff``: the key of
        the table's order, computed where the search ran (the pairs travel back once)."""
        router = mode_router(nodes, edges, mode, cost=cost, reverse=True)
        found = router.travel_times(targets, origins, cutoff_s=cutoff, sparse=True).matrix  # district x cell
        district = np.repeat(np.arange(n_d, dtype=np.int64), np.diff(found.indptr))
        return found.indices.astype(np.int64) * n_d + district, found.data

    # four independent searches, shared among the worker processes (each returns its pairs)
    pairs = dict(zip(searches, fork_map(lambda s: search(*s), list(searches.values())), strict=True))
    key = distinct(np.concatenate([k for name, (k, _) in pairs.items() if name != "drive_km"]))  # cell-major
    frame = pd.DataFrame(
        {"h3": cells[key // max(n_d, 1)], "district_id": districts["district_id"].to_numpy()[key % max(n_d, 1)]}
    )
    scale = {"walk_min": 60.0, "bike_min": 60.0, "drive_min": 60.0, "drive_km": 1000.0}
    for name in list(pairs):
        found, value = pairs.pop(name)  # each search's pairs freed once read
        at = np.minimum(np.searchsorted(key, found), max(len(key) - 1, 0))
        hit = key[at] == found if len(key) else np.zeros(0, dtype=bool)
        out = np.full(len(key), np.inf)
        out[at[hit]] = value[hit] / scale[name]
        frame[name] = out
        del found, value, at, hit
    return frame


def isochrone_totals(
    districts: pd.DataFrame,
    times: pd.DataFrame,
    cell_weights: pd.DataFrame,
    *,
    minutes: dict[str, tuple[int, ...]] | None = None,
) -> dict[str, np.ndarray]:
    """Population and workers of the cells whose centre each district reaches within each
    isochrone's cutoff, per mode.

    Parameters
    ----------
    districts : pandas.DataFrame
        ``district_id``.
    times : pandas.DataFrame
        :func:`travel_time_table` (the pairs within reach).
    cell_weights : pandas.DataFrame
        ``h3``, ``population``, ``workers`` per cell.
    minutes : dict, optional
        Cutoffs per mode (default :data:`ISOCHRONE_MINUTES`).

    Returns
    -------
    dict
        Per mode, an array (n_districts, n_cutoffs, 2): population, then workers. A few
        kilobytes: the travel-time table (7.5 M rows, 400 MB at 262 communes) can be freed
        before the isochrones' geometry is built.
    """
    minutes = ISOCHRONE_MINUTES if minutes is None else minutes
    ids = districts["district_id"].to_numpy()
    weights = cell_weights.set_index("h3").reindex(times["h3"].to_numpy())
    weights = weights[["population", "workers"]].fillna(0.0)
    district = positions(times["district_id"], ids)
    out = {}
    for mode, cutoffs in minutes.items():
        cost = times[f"{mode}_min"].to_numpy()
        cut = np.asarray(cutoffs, dtype=float)
        out[mode] = np.stack(
            [reached_totals(district, weights[w].to_numpy(), cost, cut, len(ids)) for w in ("population", "workers")],
            axis=-1,
        )
    return out


def isochrone_table(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    districts: pd.DataFrame,
    totals: dict[str, np.ndarray],
    *,
    minutes: dict[str, tuple[int, ...]] | None = None,
) -> gpd.GeoDataFrame:
    """Isochrones of every district and mode, with the population and workers they reach.

    Parameters
    ----------
    nodes, edges : geopandas.GeoDataFrame
        Silver network tables.
    districts : pandas.DataFrame
        ``district_id``, ``origin_lon``, ``origin_lat``.
    totals : dict
        :func:`isochrone_totals` of the same districts and cutoffs.
    minutes : dict, optional
        Cutoffs per mode (default :data:`ISOCHRONE_MINUTES`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``district_id, mode, minutes, population, workers, area_km2, geometry`` (EPSG:4326).
        The polygon is the area along the streets reached from the district's origin
        (:class:`pipelines.catchment.isochrones.IsochroneBuilder`); population and workers are those of
        the cells whose centre is reached within the cutoff (the same network, same rule).
    """
    from pipelines.catchment.isochrones import IsochroneBuilder

    minutes = ISOCHRONE_MINUTES if minutes is None else minutes
    if districts.empty:  # a village without a shopping district: an empty, typed table
        return gpd.GeoDataFrame(
            {"district_id": pd.Series(dtype="str"), "mode": pd.Series(dtype="str"),
             "minutes": pd.Series(dtype="int64"), "population": pd.Series(dtype="float64"),
             "workers": pd.Series(dtype="float64"), "area_km2": pd.Series(dtype="float64")},
            geometry=gpd.GeoSeries([], crs=CRS_WGS84).values, crs=CRS_WGS84,
        )  # fmt: skip
    ids = districts["district_id"].to_numpy()
    origins = districts[["origin_lon", "origin_lat"]].to_numpy(dtype=float)
    parts = []
    for mode, cutoffs in minutes.items():
        builder = IsochroneBuilder(
            mode_router(nodes, edges, mode), buffer_m=ISOCHRONE_BUFFER_M[mode]
        )
        iso = builder.isochrones(origins, [60.0 * m for m in cutoffs])
        cut = np.asarray(cutoffs, dtype=float)
        k = pd.Index(60.0 * cut).get_indexer(iso["cutoff_s"].to_numpy())
        o = iso["origin"].to_numpy()
        parts.append(
            gpd.GeoDataFrame(
                {
                    "district_id": ids[o],
                    "mode": mode,
                    "minutes": cut[k].astype("int64"),
                    "population": totals[mode][o, k, 0],
                    "workers": totals[mode][o, k, 1],
                    "area_km2": iso["area_m2"].to_numpy() / 1e6,
                },
                geometry=iso.geometry.values,
                crs=CRS_WGS84,
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["district_id", "mode", "minutes"]).reset_index(drop=True)
