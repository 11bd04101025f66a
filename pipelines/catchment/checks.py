"""Check outcomes of the catchment tables, computed on frames (no Dagster).

Each function returns :class:`Check` objects that the assets hand to Dagster
unchanged (``assets/gold/catchment.py``): the rule lives here, next to the tables it guards,
and is testable without a run. ``pipelines.footfall.checks`` uses the same type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from pipelines.catchment.area import ISOCHRONE_MINUTES
from pipelines.catchment.model import TIER_SHARES
from pipelines.results import Check
from pipelines.workers import fork_map

DRIVE_REACH_MIN = 0.95
"""Share of the cells that must reach a district within a 30-minute drive for
gold.travel_times to be complete."""


def travel_time_checks(times: pd.DataFrame, n_cells: int, n_districts: int) -> list[Check]:
    """``complete``: each (cell, district) pair at most once, and >= 95 % of the cells reach
    a district by drive within the table's limit (30 min)."""
    duplicated = int(times.duplicated(["h3", "district_id"]).sum()) if len(times) else 0
    driven = times.loc[np.isfinite(times["drive_min"].to_numpy(float)), "h3"] if len(times) else times.get("h3", pd.Series(dtype="uint64"))
    reached = driven.nunique() / n_cells if n_cells else 0.0
    complete = duplicated == 0 and (reached >= DRIVE_REACH_MIN or n_districts == 0)
    return [Check("complete", bool(complete), {"drive_reached_share": float(reached), "duplicated_pairs": duplicated, "pairs": len(times)})]


def isochrone_checks(frame: pd.DataFrame, n_districts: int) -> list[Check]:
    """``complete`` (every district x mode x cutoff, non-empty valid polygons) and ``nested``
    (population, workers and area never shrink as the cutoff grows)."""
    expected = n_districts * sum(len(m) for m in ISOCHRONE_MINUTES.values())
    geoms = frame.geometry.to_numpy()
    # GEOS's validity test of region-size polygons (thousands of holes) is shared among the
    # worker processes
    ok_geom = bool(all(fork_map(shapely.is_valid, list(geoms))) and not shapely.is_empty(geoms).any())
    grow = frame.groupby(["district_id", "mode"])[["population", "workers", "area_km2"]].diff().fillna(0)
    return [
        Check("complete", bool(len(frame) == expected and ok_geom), {"rows": len(frame), "expected": expected}),
        Check(
            "nested",
            bool((grow >= -1e-6).all().all()),
            {"min_step": float(grow.min().min()) if len(grow) else 0.0},
        ),
    ]


def huff_checks(
    huff: pd.DataFrame, reaching_population: float, *, calibrated: bool, fit_ok: bool, beta: float
) -> list[Check]:
    """``shares_sum_to_one``, ``customers_conserved`` and ``beta_fitted`` of gold.huff.

    ``beta_fitted`` passes when the fit converged inside its bounds, or when there was nothing
    to fit (``calibrated`` false: the documented default beta, recorded as such). It is a
    warning, not a blocking check: a beta at its bound (two districts of one village, two years
    of vouchers) says the observations do not determine it, not that a table is wrong.
    """
    sums = huff.groupby("h3")["probability"].sum()
    got = float(huff["expected_customers"].sum())
    return [
        Check(
            "shares_sum_to_one",
            bool(np.allclose(sums.to_numpy(), 1.0, atol=1e-9)),
            {"max_error": float(np.abs(sums - 1).max()) if len(sums) else 0.0},
        ),
        Check(
            "customers_conserved",
            abs(got - reaching_population) <= 1e-6 * max(reaching_population, 1),
            {"expected": float(reaching_population), "got": got},
        ),
        Check(
            "beta_fitted",
            (not calibrated) or fit_ok,
            {"beta": float(beta), "calibrated": calibrated},
            warn=True,
        ),
    ]


def tier_checks(
    frame: pd.DataFrame, shares: tuple[float, ...] = TIER_SHARES, *, districts: int | None = None
) -> list[Check]:
    """``tier_shares``: tiers 1, 2, 3 hold at least 60 / 80 / 95 % cumulatively.

    An empty table passes only when ``districts`` says there was no district to tier (a
    village whose shops form no shopping district)."""
    if not len(frame):
        return [Check("tier_shares", districts == 0, {"min_primary": 0.0, "districts": districts})]
    cumulative = frame.pivot(index="district_id", columns="tier", values="share").cumsum(axis=1)
    tiers = list(range(1, len(shares) + 1))
    ok = bool((cumulative[tiers] >= np.array(shares) - 1e-9).all().all())
    return [Check("tier_shares", ok, {"min_primary": float(cumulative[1].min())})]


def revealed_checks(revealed: pd.DataFrame, k: int) -> list[Check]:
    """``suppressed_below_k`` (no published count below k) and ``shares_sum_to_one`` (per
    district and source, published shares make 1 unless some rows are suppressed)."""
    shown = revealed["customers"].dropna()
    share_sum = revealed.groupby(["district_id", "source"])["share"].sum()
    hidden = (
        revealed[revealed["suppressed"]]
        .groupby(["district_id", "source"])
        .size()
        .reindex(share_sum.index)
        .fillna(0)
    )
    sums_ok = bool(((share_sum <= 1 + 1e-9) & ((share_sum >= 1 - 1e-9) | (hidden > 0))).all())
    return [
        Check(
            "suppressed_below_k",
            bool((shown >= k).all()),
            {"min_published": float(shown.min()) if len(shown) else 0.0},
        ),
        Check("shares_sum_to_one", sums_ok),
    ]


def comparison_checks(comparison: pd.DataFrame) -> list[Check]:
    """``modelled_shares_sum_to_one``: per district, the four tiers' modelled shares sum to 1."""
    sums = comparison.groupby("district_id")["modelled_share"].sum()
    return [Check("modelled_shares_sum_to_one", bool(np.allclose(sums.to_numpy(), 1.0, atol=1e-9)))]
