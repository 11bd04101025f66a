"""Travel-time helpers the network-measured friction families share (access, parking,
public transport, tourism, delivery): cell centres, minima per group, totals and weighted
means or medians within a time, places near groups of targets.

Travel times come from :class:`pipelines.routing.Router` (one bulk Dijkstra per batch of
origins). A shopping district is reached through the H3 cells holding its shops: the time
between a district and a place is the shortest time from any of those cells' centres. To
measure trips *towards* a district (customers) with one search per district cell, bike and
drive times are computed on the reversed network
(:func:`pipelines.catchment.area.mode_router` with ``reverse=True``), where a search
from the district gives the time from every cell to it; walking is symmetric. Thresholds are
inclusive. Pure numpy/pandas; ``docs/indicators/friction.md`` explains each figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np
import pandas as pd

from pipelines import transit
from pipelines.network import WALK_SPEED_KMH
from pipelines.sparse_times import SparseTimes, as_sparse

STOP_WALK_S = transit.HIGH_CAPACITY_RADIUS_M / (WALK_SPEED_KMH / 3.6)
"""The farthest walk a stop covers (1 km to rail, :func:`pipelines.transit.cell_coverage`)."""

CELL_TIME_CAP_MIN = 30.0
"""Minutes to the nearest district are reported up to this cap (NaN beyond)."""


def cell_centres(cells: Sequence[int] | np.ndarray) -> np.ndarray:
    """(lon, lat) of the centre of each H3 cell (uint64 ids), shape (n, 2)."""
    latlng = [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in np.asarray(cells, dtype="uint64")]
    return np.array([(lng, lat) for lat, lng in latlng], dtype=float).reshape(-1, 2)


def group_min(
    times: np.ndarray | SparseTimes, labels: Sequence[object]
) -> tuple[np.ndarray, SparseTimes]:
    """Row-wise minimum of ``times`` within groups of rows.

    Parameters
    ----------
    times : SparseTimes or numpy.ndarray, shape (n_rows, n_cols)
    labels : sequence, length n_rows
        Group of each row (e.g. the district of each origin cell); a row may be repeated
        under several labels by passing it several times.

    Returns
    -------
    groups : numpy.ndarray
        Sorted unique labels.
    minimum : SparseTimes, shape (n_groups, n_cols)
    """
    t = as_sparse(times)
    if t.shape[0] != len(labels):
        raise ValueError(f"times must have one row per label ({len(labels)}); found shape {t.shape}")
    return t.group_min(labels)


def totals_within(
    weights: np.ndarray, times: np.ndarray | SparseTimes, threshold_min: float
) -> np.ndarray:
    """Sum of the weights of the columns within ``threshold_min`` of each row.

    ``times`` is rows (districts) x columns (cells, car parks...) in seconds, dense or
    :class:`~pipelines.sparse_times.SparseTimes`.
    """
    return as_sparse(times).totals_within(weights, threshold_min * 60.0)


def weighted_mean(values: np.ndarray, weights: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Weighted mean of ``values`` over ``mask`` (NaN when the weights sum to 0)."""
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = np.ones(len(v), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    total = w[keep].sum()
    return float((v[keep] * w[keep]).sum() / total) if total > 0 else float("nan")


def weighted_median(
    values: np.ndarray, weights: np.ndarray, mask: np.ndarray | None = None
) -> float:
    """The value that half of the weight (e.g. half of the residents) reaches or exceeds.

    Lower weighted median: the smallest value ``v`` such that the weight of the values
    ``<= v`` is at least half of the total (NaN when the weights sum to 0).
    """
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = (np.ones(len(v), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)) & (w > 0)
    if not keep.any():
        return float("nan")
    order = np.argsort(v[keep], kind="stable")
    cumulative = np.cumsum(w[keep][order])
    return float(v[keep][order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def nearest_minutes(seconds: np.ndarray, cap_min: float = CELL_TIME_CAP_MIN) -> np.ndarray:
    """Minutes from each cell to its nearest district, from the seconds to it
    (:meth:`Router.nearest_times`, or a districts x cells matrix's ``col_min``); NaN beyond
    ``cap_min`` or without a district."""
    best = np.asarray(seconds, dtype=float) / 60.0
    return np.where(best <= cap_min, best, np.nan)


def weighted_means_within(
    times: np.ndarray | SparseTimes, threshold_s: float, values: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Per row, the ``weights``-weighted mean of the column ``values`` within ``threshold_s``
    (NaN where the weights within sum to 0): :func:`weighted_mean` of every row at once."""
    within = as_sparse(times).within(threshold_s)
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    total = np.asarray(within @ w, dtype=float).reshape(-1)
    weighted = np.asarray(within @ (v * w), dtype=float).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, weighted / total, np.nan)


def weighted_medians_within(
    times: np.ndarray | SparseTimes, threshold_s: float, values: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Per row, :func:`weighted_median` of the column ``values`` within ``threshold_s``."""
    within = as_sparse(times).within(threshold_s)
    ptr, cols = within.indptr, within.indices
    return np.array(
        [
            weighted_median(values[cols[ptr[r] : ptr[r + 1]]], weights[cols[ptr[r] : ptr[r + 1]]])
            for r in range(within.shape[0])
        ],
        dtype=float,
    )


def places_near_groups(
    times: np.ndarray | SparseTimes,
    target_groups: Sequence[object],
    threshold_s: float | np.ndarray,
) -> pd.DataFrame:
    """Which places (rows) lie within ``threshold_s`` of each group of targets (columns).

    Parameters
    ----------
    times : SparseTimes or numpy.ndarray, shape (n_places, n_targets)
        Seconds from each place (car park, attraction, stop) to each target (e.g. a shop).
    target_groups : sequence, length n_targets
        Group of each target (its district); NA targets are ignored.
    threshold_s : float or numpy.ndarray
        Inclusive limit, for every place or one per place.

    Returns
    -------
    pandas.DataFrame
        ``place`` (row index), ``group`` pairs, each pair once.
    """
    t = as_sparse(times)
    groups = pd.Series(list(target_groups), dtype="object")
    if t.shape[1] != len(groups):
        raise ValueError(
            f"times must have one column per target ({len(groups)}); found shape {t.shape}"
        )
    place, target = t.pairs(threshold_s)
    pairs = pd.DataFrame({"place": place, "group": groups.to_numpy()[target]})
    pairs = pairs[pairs["group"].notna()]
    return pairs.drop_duplicates().sort_values(["group", "place"]).reset_index(drop=True)


def walk_seconds(metres: float, speed_kmh: float = WALK_SPEED_KMH) -> float:
    """Walking time in seconds of a network distance."""
    return float(metres) / (speed_kmh / 3.6)
