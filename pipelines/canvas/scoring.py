"""Composite scores the OECD/JRC way: outlier treatment, normalisation, geometric aggregation
within a pillar, and a Monte-Carlo uncertainty analysis reported as rank intervals.

Reference: OECD/JRC (2008), *Handbook on Constructing Composite Indicators*; the winsorisation
rule (|skewness| > 2 and kurtosis > 3.5, at most five values) is the one of the JRC's COIN
audits. Pure numpy: every function works on arrays (communes in rows, indicators in columns),
NaN meaning "not computable" — never imputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SKEW_LIMIT = 2.0
KURT_LIMIT = 3.5
MAX_WINSORISED = 5
FLOOR = 1.0
"""Geometric aggregation works on normalised values rescaled to [FLOOR, 100]: a zero would
make the whole pillar zero (full non-compensability); the JRC rescales for the same reason."""

AGGREGATIONS = ("geometric", "arithmetic")
MC_DRAWS = 1000
MC_SEED = 20261201
WEIGHT_SPREAD = 0.5
"""Monte-Carlo weights: nominal weight x U(1 - spread, 1 + spread)."""


def winsorise(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Winsorise one indicator across communes while it is both skewed and heavy-tailed.

    While |skewness| > 2 and (excess) kurtosis > 3.5 and fewer than five values were treated,
    the most extreme value on the side of the skew is set to the next value on that side.

    Returns
    -------
    (values, n_treated)
    """
    x = np.asarray(values, dtype=float).copy()
    ok = ~np.isnan(x)
    treated = 0
    while ok.sum() >= 4 and treated < MAX_WINSORISED:
        v = x[ok]
        if np.ptp(v) == 0:
            break
        skew, kurt = moments(v)
        if not (abs(skew) > SKEW_LIMIT and kurt > KURT_LIMIT):
            break
        order = np.sort(np.unique(v))
        if len(order) < 2:
            break
        if skew > 0:
            x[ok & (x == order[-1])] = order[-2]
        else:
            x[ok & (x == order[0])] = order[1]
        treated += 1
    return x, treated


def moments(v: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis (biased moment estimators, as ``scipy.stats.skew``
    and ``scipy.stats.kurtosis`` with their defaults)."""
    d = v - v.mean()
    m2 = float((d**2).mean())
    if m2 == 0:
        return 0.0, 0.0
    return float((d**3).mean()) / m2**1.5, float((d**4).mean()) / m2**2 - 3.0


def percentile_rank(values: np.ndarray, peers: np.ndarray | None = None) -> np.ndarray:
    """Mid-rank percentile (0-100) of each value among the non-missing values of its peers.

    ``100 * (#peers below + 0.5 * #other peers equal) / (n - 1)``: the lowest gets 0, the
    highest 100, ties share the mean. ``peers`` (bool matrix, row i = peers of i, i included)
    defaults to everybody. Fewer than two non-missing peers, or a missing value: NaN.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    mask = np.ones((n, n), dtype=bool) if peers is None else np.asarray(peers, dtype=bool)
    mask = mask & ~np.isnan(x)[None, :]  # row i: the non-missing peers of i
    count = mask.sum(axis=1)
    below = (mask & (x[None, :] < x[:, None])).sum(axis=1)
    equal = (mask & (x[None, :] == x[:, None])).sum(axis=1) - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rank = 100.0 * (below + 0.5 * equal) / (count - 1)
    return np.where(~np.isnan(x) & (count >= 2), rank, np.nan)


def aggregate(normalised: np.ndarray, weights: Sequence[float], method: str = "geometric") -> np.ndarray:
    """Weighted mean of each row over its non-missing columns (weights renormalised).

    ``geometric``: values rescaled to [1, 100] (``1 + 0.99 p``), weighted geometric mean;
    ``arithmetic``: weighted arithmetic mean of the 0-100 values. A row without any value: NaN.
    """
    z = np.atleast_2d(np.asarray(normalised, dtype=float))
    w = np.broadcast_to(np.asarray(weights, dtype=float), z.shape)
    ok = ~np.isnan(z)
    wsum = np.where(ok, w, 0.0).sum(axis=1)
    out = np.full(z.shape[0], np.nan)
    has = wsum > 0
    if method == "geometric":
        scaled = FLOOR + (100.0 - FLOOR) / 100.0 * np.where(ok, z, 50.0)
        logs = np.where(ok, w * np.log(scaled), 0.0).sum(axis=1)
        out[has] = np.minimum(np.exp(logs[has] / wsum[has]), 100.0)
    elif method == "arithmetic":
        out[has] = np.where(ok, w * np.nan_to_num(z), 0.0).sum(axis=1)[has] / wsum[has]
    else:
        raise ValueError(f"unknown aggregation {method!r}; expected one of {AGGREGATIONS}")
    return out


def coverage(raw: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Share of the pillar's nominal weight that rests on computed indicators (0-1)."""
    z = np.atleast_2d(np.asarray(raw, dtype=float))
    w = np.asarray(weights, dtype=float)
    return (np.where(~np.isnan(z), w, 0.0).sum(axis=1)) / w.sum()


def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = best score; ties share the best rank; NaN scores get NaN. Works on the last
    axis, so a (draws x communes) array is ranked draw by draw."""
    s = np.asarray(scores, dtype=float)
    better = (s[..., None, :] > s[..., :, None]).sum(axis=-1)  # how many beat each one (NaN never does)
    return np.where(np.isnan(s), np.nan, 1.0 + better)


@dataclass(frozen=True)
class Uncertainty:
    """Monte-Carlo result per commune: score and rank quantiles (5 %, 95 %) and median rank."""

    score_p05: np.ndarray
    score_p95: np.ndarray
    rank_p05: np.ndarray
    rank_p95: np.ndarray
    rank_median: np.ndarray
    draws: int
    seed: int


def _draws_summary(z: np.ndarray, w: np.ndarray, geometric: np.ndarray, draws: int, seed: int) -> Uncertainty:
    """Aggregate the normalised draws ``z`` (draws x communes x indicators, NaN where not
    computed) with the drawn weights ``w``, geometrically or arithmetically per draw, and
    summarise the scores and ranks by their 5-95 % quantiles."""
    ok = ~np.isnan(z)
    wd = np.where(ok, w[:, None, :], 0.0)
    wsum = wd.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = FLOOR + (100.0 - FLOOR) / 100.0 * np.where(ok, z, 50.0)
        geo = np.minimum(np.exp((wd * np.log(scaled)).sum(axis=2) / wsum), 100.0)
        ari = (wd * np.nan_to_num(z)).sum(axis=2) / wsum
    scores = np.where(geometric[:, None], geo, ari)
    scores[wsum == 0] = np.nan
    rk = ranks(scores)
    n = z.shape[1]

    def q(a: np.ndarray, p: float) -> np.ndarray:
        out = np.full(n, np.nan)
        has = ~np.isnan(a).all(axis=0)
        if has.any():
            out[has] = np.nanquantile(a[:, has], p, axis=0, method="inverted_cdf")
        return out

    return Uncertainty(q(scores, 0.05), q(scores, 0.95), q(rk, 0.05), q(rk, 0.95), q(rk, 0.5), draws, seed)

def no_uncertainty(n: int, seed: int = MC_SEED) -> Uncertainty:
    """An empty uncertainty (no draws): every interval NaN."""
    nan = np.full(n, np.nan)
    return Uncertainty(nan, nan, nan, nan, nan, 0, seed)


# --- Fixed goalposts (the published scores) -----------------------------------------------
# The percentile rank above is relative to whoever is in the run: it serves the peer lens.
# The published pillar scores use FIXED goalposts (the UNDP's
# HDI does the same): each indicator is mapped to 0-100 between a lower and an upper bound
# computed once from a reference set of communes (``geodata/canvas/goalposts.yaml``), so a
# commune's score depends on its own values only. Adding or removing a commune changes ranks,
# never scores.

GOALPOST_JITTER = 0.1
"""Monte-Carlo: each goalpost moves by U(-jitter, +jitter) x its span."""


def goalpost_normalise(raw: np.ndarray, lower: float, upper: float, sign: float) -> np.ndarray:
    """0-100 between fixed goalposts, clipped: ``100 (x - lower) / (upper - lower)`` for "more
    is better" (``sign`` +1), ``100 (upper - x) / (upper - lower)`` for "less is better".
    NaN stays NaN. Values beyond the goalposts are clipped (the outlier treatment)."""
    x = np.asarray(raw, dtype=float)
    span = upper - lower
    if not span > 0:
        raise ValueError(f"goalposts need upper > lower, found lower={lower}, upper={upper}")
    z = (x - lower) / span if sign > 0 else (upper - x) / span
    return np.clip(100.0 * z, 0.0, 100.0)


def fixed_normalised(raw: np.ndarray, signs: Sequence[float], goalposts: Sequence[tuple[float, float]]) -> np.ndarray:
    """communes x indicators -> 0-100 against each column's fixed goalposts."""
    x = np.atleast_2d(np.asarray(raw, dtype=float))
    if x.shape[1] == 0:
        return x
    return np.column_stack([goalpost_normalise(x[:, j], lo, hi, s) for j, ((lo, hi), s) in enumerate(zip(goalposts, signs, strict=True))])


def fixed_score(raw: np.ndarray, signs: Sequence[float], weights: Sequence[float],
                goalposts: Sequence[tuple[float, float]], aggregation: str = "geometric") -> np.ndarray:
    """The nominal pillar score (0-100) of every commune against fixed goalposts: row i depends
    on row i only."""
    return aggregate(fixed_normalised(raw, signs, goalposts), weights, aggregation)


def monte_carlo_fixed(raw: np.ndarray, signs: Sequence[float], weights: Sequence[float],
                      goalposts: Sequence[tuple[float, float]], draws: int = MC_DRAWS, seed: int = MC_SEED) -> Uncertainty:
    """Uncertainty of a pillar scored against fixed goalposts: each draw takes the weights
    (nominal x U(0.5, 1.5)), the aggregation (geometric / arithmetic) and moves each goalpost by
    U(-0.1, 0.1) x its span. The random numbers depend on the indicators only, never on the
    communes, so a commune's score interval does not move when another commune is added; the
    rank interval (communes ranked draw by draw) does, as a rank is relative by nature."""
    x = np.atleast_2d(np.asarray(raw, dtype=float))
    k = x.shape[1]
    w0 = np.asarray(weights, dtype=float)
    lo0 = np.array([g[0] for g in goalposts], dtype=float)
    hi0 = np.array([g[1] for g in goalposts], dtype=float)
    span = hi0 - lo0
    rng = np.random.default_rng(seed)
    w = w0[None, :] * rng.uniform(1 - WEIGHT_SPREAD, 1 + WEIGHT_SPREAD, size=(draws, k))
    geometric = rng.integers(len(AGGREGATIONS), size=draws) == 0
    lo = lo0[None, :] + span[None, :] * rng.uniform(-GOALPOST_JITTER, GOALPOST_JITTER, size=(draws, k))
    hi = hi0[None, :] + span[None, :] * rng.uniform(-GOALPOST_JITTER, GOALPOST_JITTER, size=(draws, k))
    sg = np.asarray(signs, dtype=float)[None, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (x[None, :, :] - lo[:, None, :]) / (hi - lo)[:, None, :]
        z = np.clip(100.0 * np.where(sg > 0, frac, 1.0 - frac), 0.0, 100.0)  # draws x communes x indicators
    return _draws_summary(z, w, geometric, draws, seed)
