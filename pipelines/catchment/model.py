"""Modelled catchment: Huff probabilities per H3 cell and district, tiers as polygons.

Thin glue over :mod:`pipelines.catchment` (the Huff model, its calibration and the 60/80/95 %
tiers): it turns matrices into the long tables of ``gold.huff`` and ``gold.catchment``.
"""

from __future__ import annotations

from dataclasses import asdict

import geopandas as gpd
import h3.api.numpy_int as h3_int
import numpy as np
import pandas as pd
import shapely

from pipelines.arrays import positions
from pipelines.catchment.huff import (
    CalibrationResult,
    calibrate_beta,
    catchment_tiers,
    huff_pair_probabilities,
)
from pipelines.constants import CRS_WGS84
from pipelines.workers import fork_map

HUFF_MIN_KM = 0.5
"""Shorter trips cost as much as 0.5 km (the intra-cell trip, and the generator's floor)."""

DEFAULT_BETA = 2.0
"""The textbook beta, used when no observed customer origins exist."""

TIER_SHARES = (0.6, 0.8, 0.95)


def calibrate(
    attractiveness: np.ndarray,
    cost_km: np.ndarray,
    counts: np.ndarray,
    *,
    min_cost: float = HUFF_MIN_KM,
) -> CalibrationResult:
    """Maximum-likelihood beta (alpha = 1) on observed choices, costs clamped at ``min_cost``.

    Parameters
    ----------
    attractiveness : numpy.ndarray, shape (n_districts,)
    cost_km : numpy.ndarray, shape (n_origins, n_districts)
    counts : numpy.ndarray, shape (n_origins, n_districts)
        Customers of origin ``i`` observed in district ``j``.
    min_cost : float
        Smaller costs are raised to it (default 0.5 km).

    Returns
    -------
    pipelines.catchment.CalibrationResult
    """
    return calibrate_beta(attractiveness, cost_km, counts, min_cost=min_cost)


def calibration_metadata(result: CalibrationResult | None, prefix: str = "") -> dict[str, object]:
    """Flat metadata of a calibration: ``calibrated = false`` and ``beta_source = default``
    (the documented :data:`DEFAULT_BETA`) when there is none."""
    if result is None:
        return {
            f"{prefix}beta": DEFAULT_BETA,
            f"{prefix}calibrated": False,
            f"{prefix}beta_source": "default (no observations)",
        }
    out = {f"{prefix}{k}": v for k, v in asdict(result).items()}
    out[f"{prefix}calibrated"] = True
    out[f"{prefix}beta_source"] = "maximum likelihood on voucher transactions"
    return out


def huff_table(
    cells: pd.DataFrame,
    district_ids: np.ndarray,
    attractiveness: np.ndarray,
    pairs: pd.DataFrame,
    beta: float,
) -> pd.DataFrame:
    """Huff probability and expected customers of every (cell, district) pair within reach.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``h3`` and ``population`` of every origin cell.
    district_ids : numpy.ndarray, shape (n_districts,)
    attractiveness : numpy.ndarray, shape (n_districts,)
    pairs : pandas.DataFrame
        ``h3, district_id, cost_km``: the choice set of every cell (gold.travel_times:
        the districts within a 30-minute drive), network cost in km (``inf`` = unreachable).
    beta : float
        Distance decay (alpha = 1).

    Returns
    -------
    pandas.DataFrame
        ``h3, district_id, cost_km, probability, expected_customers``, cell-major in the
        order of ``cells`` then ``district_ids``; pairs with a zero probability (unreachable
        district) are left out, so a cell that reaches no district has no row. Per cell the
        probabilities sum to 1.
    """
    if len(district_ids) == 0:  # a village without a shopping district: nobody to choose
        return pd.DataFrame(
            {"h3": pd.Series(dtype=cells["h3"].dtype), "district_id": pd.Series(dtype="str"),
             "cost_km": pd.Series(dtype="float64"), "probability": pd.Series(dtype="float64"),
             "expected_customers": pd.Series(dtype="float64")}
        )  # fmt: skip
    cell = pd.Index(cells["h3"]).get_indexer(pairs["h3"])
    district = positions(pairs["district_id"], district_ids)
    keep = (cell >= 0) & (district >= 0)
    cell, district = cell[keep], district[keep]
    cost = pairs["cost_km"].to_numpy(dtype=float)[keep]
    key = cell * len(district_ids) + district
    if (np.diff(key) < 0).any():  # gold.travel_times is already cell-major
        order = np.argsort(key, kind="stable")
        cell, district, cost = cell[order], district[order], cost[order]
    p = huff_pair_probabilities(
        attractiveness, cell, district, cost, alpha=1.0, beta=beta, min_cost=HUFF_MIN_KM
    )
    e = cells["population"].to_numpy(dtype=float)[cell] * p
    hit = p > 0
    return pd.DataFrame(
        {
            "h3": cells["h3"].to_numpy()[cell[hit]],
            "district_id": pd.Series(np.asarray(district_ids)).take(district[hit]).array,
            "cost_km": cost[hit],
            "probability": p[hit],
            "expected_customers": e[hit],
        }
    )


def cells_polygon(cells: np.ndarray) -> shapely.Geometry:
    """Outline of a set of H3 cells (exact, from ``h3.cells_to_h3shape``), EPSG:4326."""
    if len(cells) == 0:
        return shapely.Polygon()
    shape = h3_int.cells_to_h3shape(np.asarray(cells, dtype="uint64"), tight=False)
    # the loops of every polygon (outer ring, then holes) as (lat, lng) points, open
    loops = [(i, loop) for i, poly in enumerate(shape.polys) for loop in (poly.outer, *poly.holes)]
    sizes = [len(loop) for _, loop in loops]
    latlng = np.array([point for _, loop in loops for point in loop], dtype=float)
    rings = shapely.linearrings(latlng[:, ::-1], indices=np.repeat(np.arange(len(loops)), sizes))
    return shapely.multipolygons(shapely.polygons(rings, indices=[i for i, _ in loops]))


def _by_district(huff: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Rows of ``huff`` grouped by district: ``(order, bounds, ids)``, where
    ``order[bounds[j]:bounds[j + 1]]`` are the rows of district ``ids[j]`` in their order
    (districts sorted, as ``groupby("district_id")``; rows without a district left out)."""
    codes, ids = pd.factorize(huff["district_id"], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
    return order, bounds, ids


def tier_table(huff: pd.DataFrame, shares: tuple[float, ...] = TIER_SHARES) -> gpd.GeoDataFrame:
    """Primary / secondary / tertiary catchment of every district as polygons.

    Parameters
    ----------
    huff : pandas.DataFrame
        :func:`huff_table` joined with the cells' ``population``.
    shares : tuple of float
        Cumulative shares of expected customers (60 / 80 / 95 %).

    Returns
    -------
    geopandas.GeoDataFrame
        ``district_id, tier (1..3), n_cells, population, expected_customers, share`` (of the
        district's expected customers) and the union of the tier's cells (EPSG:4326); a tier
        without cells (one cell crossed two thresholds) has an empty polygon. The districts
        are shared among forked worker processes (:func:`pipelines.workers.fork_map`).
    """
    order, bounds, ids = _by_district(huff)
    all_expected = huff["expected_customers"].to_numpy(dtype=float)[order]
    all_population = huff["population"].to_numpy()[order]
    all_cells = huff["h3"].to_numpy()[order]

    def tiers_of(j: int) -> list[dict[str, object]]:
        block = slice(bounds[j], bounds[j + 1])
        expected, population, cells = all_expected[block], all_population[block], all_cells[block]
        tiers = catchment_tiers(expected, shares)
        total = float(expected.sum())
        rows = []
        for tier in range(1, len(shares) + 1):
            inside = tiers == tier
            rows.append(
                {
                    "district_id": ids[j],
                    "tier": tier,
                    "n_cells": int(inside.sum()),
                    "population": float(population[inside].sum()),
                    "expected_customers": float(expected[inside].sum()),
                    "share": float(expected[inside].sum() / total) if total > 0 else 0.0,
                    "geometry": cells_polygon(cells[inside]),
                }
            )
        return rows

    rows = [row for part in fork_map(tiers_of, range(len(ids))) for row in part]
    frame = pd.DataFrame(
        rows,
        columns=[
            "district_id",
            "tier",
            "n_cells",
            "population",
            "expected_customers",
            "share",
            "geometry",
        ],
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS_WGS84)


def cell_tiers(huff: pd.DataFrame, shares: tuple[float, ...] = TIER_SHARES) -> pd.Series:
    """Tier (0 = outside) of every row of ``huff`` within its district."""
    order, bounds, _ = _by_district(huff)
    expected = huff["expected_customers"].to_numpy(float)[order]
    tiers = np.zeros(len(huff), dtype="int64")
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        tiers[order[start:end]] = catchment_tiers(expected[start:end], shares)
    return pd.Series(tiers, index=huff.index)
