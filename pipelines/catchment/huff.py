"""Catchment areas with the Huff model: probabilities, expected customers, calibration, tiers.

The Huff (1963, 1964) model says that a customer living at origin ``i`` chooses shopping
destination ``j`` with probability

.. math::

    P_{ij} = \\frac{A_j^{\\alpha} D_{ij}^{-\\beta}}{\\sum_k A_k^{\\alpha} D_{ik}^{-\\beta}}

where ``A_j`` is the attractiveness of ``j`` (floor area, number of shops, ...), ``D_ij`` the
travel cost (network metres or minutes) and ``alpha``, ``beta`` the sensitivities to
attractiveness and distance. Everything here is pure numpy/scipy: matrices are
origins x destinations.

Conventions
-----------
* An infinite cost means "not reachable": ``P_ij = 0``. An origin that reaches no destination
  at all gets a row of zeros (not NaN); :func:`reachable_origins` tells which rows those are.
* A zero cost would make ``D^-beta`` infinite. Pass ``min_cost`` to clamp every cost below it
  (e.g. half an H3 cell edge for the intra-cell trip); without it a zero cost raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import logsumexp

__all__ = [
    "CalibrationResult",
    "calibrate_beta",
    "catchment_tiers",
    "expected_customers",
    "huff_log_likelihood",
    "huff_probabilities",
    "reachable_origins",
]

_ROW_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CalibrationResult:
    """Result of a maximum-likelihood calibration of the Huff model.

    Attributes
    ----------
    beta : float
        Fitted distance-decay exponent.
    alpha : float
        Attractiveness exponent (fitted when ``fit_alpha=True``, else the fixed value).
    log_likelihood : float
        Multinomial log-likelihood ``sum n_ij log P_ij`` at the optimum (without the constant
        multinomial coefficient).
    log_likelihood_null : float
        Log-likelihood of the null model: every reachable destination equally likely
        (``alpha = beta = 0``).
    pseudo_r2 : float
        McFadden's pseudo-R2, ``1 - log_likelihood / log_likelihood_null`` (0 = no better than
        choosing at random, closer to 1 = better; 0.2-0.4 is already a good fit). NaN when
        every observed origin reaches a single destination (nothing to explain).
    n_observations : int
        Number of observed customer choices (``sum n_ij``).
    converged : bool
        True when the optimiser reported success.
    at_bound : bool
        True when a fitted parameter sits on a bound: the true optimum may lie outside.
    """

    beta: float
    alpha: float
    log_likelihood: float
    log_likelihood_null: float
    pseudo_r2: float
    n_observations: int
    converged: bool
    at_bound: bool


# --------------------------------------------------------------------------------------------
# validation helpers


def _as_attractiveness(attractiveness: ArrayLike) -> np.ndarray:
    a = np.asarray(attractiveness, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"attractiveness must be a non-empty 1-D array (one value per destination); "
            f"found shape {a.shape}"
        )
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"attractiveness must be finite and > 0; found {float(a[j])} at destination {j} "
            f"({int(bad.sum())} bad value(s))"
        )
    return a


def _as_cost(travel_cost: ArrayLike, n_destinations: int) -> np.ndarray:
    d = np.asarray(travel_cost, dtype=float)
    if d.ndim == 1:
        d = d[np.newaxis, :]
    if d.ndim != 2 or d.shape[1] != n_destinations or d.shape[0] == 0:
        raise ValueError(
            f"travel_cost must have shape (n_origins, {n_destinations}) to match "
            f"attractiveness; found shape {d.shape}"
        )
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise ValueError(
            f"travel_cost has NaN at origin {i}, destination {j}; use inf for unreachable"
        )
    if (d < 0).any():
        i, j = np.argwhere(d < 0)[0]
        raise ValueError(
            f"travel_cost must be >= 0; found {float(d[i, j])} at origin {i}, destination {j}"
        )
    return d


def _clamp_cost(d: np.ndarray, min_cost: float | None, beta: float) -> np.ndarray:
    if min_cost is not None:
        if not np.isfinite(min_cost) or min_cost <= 0:
            raise ValueError(f"min_cost must be finite and > 0; found {min_cost!r}")
        return np.maximum(d, min_cost)
    if beta > 0 and (d == 0).any():
        i, j = np.argwhere(d == 0)[0]
        raise ValueError(
            f"travel_cost is 0 at origin {i}, destination {j}, so D^-beta is infinite; "
            f"pass min_cost (e.g. half the cell size) to clamp small costs"
        )
    return d


def _check_exponent(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0; found {value!r}")
    return value


def _log_probabilities(
    log_a: np.ndarray, log_d: np.ndarray, alpha: float, beta: float
) -> np.ndarray:
    """Row-wise log P (``-inf`` where unreachable, rows of ``-inf`` if nothing is reachable)."""
    reach = np.isfinite(log_d)
    deterrence = beta * np.where(reach, log_d, 0.0)
    utility = np.where(reach, alpha * log_a[np.newaxis, :] - deterrence, -np.inf)
    norm = logsumexp(utility, axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        logp = utility - norm
    return np.where(reach & np.isfinite(norm), logp, -np.inf)


# --------------------------------------------------------------------------------------------
# public functions


def reachable_origins(travel_cost: ArrayLike) -> np.ndarray:
    """Which origins reach at least one destination (a finite cost somewhere in their row).

    Parameters
    ----------
    travel_cost : array_like, shape (n_origins, n_destinations)
        Travel costs, ``inf`` for unreachable.

    Returns
    -------
    numpy.ndarray of bool, shape (n_origins,)
        False for the origins whose Huff row is all zeros.
    """
    d = np.asarray(travel_cost, dtype=float)
    if d.ndim == 1:
        d = d[np.newaxis, :]
    return np.isfinite(d).any(axis=1)


def huff_probabilities(
    attractiveness: ArrayLike,
    travel_cost: ArrayLike,
    alpha: float = 1.0,
    beta: float = 2.0,
    *,
    min_cost: float | None = None,
) -> np.ndarray:
    """Huff probabilities that a customer of each origin chooses each destination.

    Parameters
    ----------
    attractiveness : array_like, shape (n_destinations,)
        Attractiveness ``A_j`` of every destination, finite and > 0.
    travel_cost : array_like, shape (n_origins, n_destinations)
        Travel cost ``D_ij`` (metres, minutes...), >= 0; ``inf`` = unreachable. A 1-D array is
        read as a single origin.
    alpha : float, default 1.0
        Exponent of attractiveness (>= 0).
    beta : float, default 2.0
        Distance-decay exponent (>= 0).
    min_cost : float, optional
        Costs below ``min_cost`` are raised to it (same unit as ``travel_cost``). Without it a
        zero cost raises ``ValueError`` when ``beta > 0``.

    Returns
    -------
    numpy.ndarray, shape (n_origins, n_destinations)
        ``P_ij``; each row sums to 1, except rows of origins that reach no destination, which
        are all zeros (see :func:`reachable_origins`).

    Raises
    ------
    ValueError
        On shape mismatch, non-positive or non-finite attractiveness, negative or NaN cost,
        a zero cost without ``min_cost``, or a negative exponent.

    Examples
    --------
    >>> huff_probabilities([3500, 1500, 300], [[4, 5, 3]], beta=2).round(3)
    array([[0.701, 0.192, 0.107]])
    """
    a = _as_attractiveness(attractiveness)
    alpha = _check_exponent("alpha", alpha)
    beta = _check_exponent("beta", beta)
    d = _clamp_cost(_as_cost(travel_cost, a.size), min_cost, beta)
    # with beta = 0 distance plays no role (a zero cost is then harmless): use log D = 0
    log_d = _log_cost(d) if beta > 0 else np.where(np.isfinite(d), 0.0, np.inf)
    return np.exp(_log_probabilities(np.log(a), log_d, alpha, beta))


def huff_pair_probabilities(
    attractiveness: ArrayLike,
    origin: ArrayLike,
    destination: ArrayLike,
    travel_cost: ArrayLike,
    alpha: float = 1.0,
    beta: float = 2.0,
    *,
    min_cost: float | None = None,
) -> np.ndarray:
    """:func:`huff_probabilities` on (origin, destination, cost) pairs, for sparse choice sets.

    Each origin chooses among the destinations it has a pair with (e.g. the districts within
    a 30-minute drive): the result equals :func:`huff_probabilities` on the dense matrix whose
    absent pairs are ``inf``, without building it.

    Parameters
    ----------
    attractiveness : array_like, shape (n_destinations,)
    origin, destination : array_like of int, shape (n_pairs,)
        Origin number (any integers) and destination position of each pair; a pair appears
        once.
    travel_cost : array_like, shape (n_pairs,)
        Cost of each pair (>= 0; ``inf`` pairs get probability 0).

    Returns
    -------
    numpy.ndarray, shape (n_pairs,)
        ``P_ij``; per origin the probabilities sum to 1 (0 for an origin without a finite pair).
    """
    a = _as_attractiveness(attractiveness)
    alpha = _check_exponent("alpha", alpha)
    beta = _check_exponent("beta", beta)
    o = np.asarray(origin, dtype=np.int64)
    j = np.asarray(destination, dtype=np.int64)
    d = np.asarray(travel_cost, dtype=float)
    if not (len(o) == len(j) == len(d)):
        raise ValueError(f"origin, destination and travel_cost must have one value per pair; found {len(o)}, {len(j)}, {len(d)}")
    if len(j) and (j.min() < 0 or j.max() >= a.size):
        raise ValueError(f"destination positions must be within 0 .. {a.size - 1}")
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError("travel_cost must be >= 0 (inf for unreachable), never NaN")
    d = _clamp_cost(d[np.newaxis, :], min_cost, beta)[0]
    reach = np.isfinite(d)
    log_d = _log_cost(np.where(reach, d, 1.0)) if beta > 0 else np.zeros_like(d)
    utility = np.where(reach, alpha * np.log(a[j]) - beta * log_d, -np.inf)
    if (np.diff(o) >= 0).all():  # pairs grouped by origin already: number them in order
        row = np.concatenate(([0], np.cumsum(o[1:] != o[:-1])))[: len(o)]
    else:
        _, row = np.unique(o, return_inverse=True)
    top = np.full(row.max() + 1 if len(row) else 0, -np.inf)
    np.maximum.at(top, row, utility)
    with np.errstate(invalid="ignore"):
        weight = np.where(reach, np.exp(utility - top[row]), 0.0)
    total = np.bincount(row, weights=weight, minlength=len(top))
    return np.divide(weight, total[row], out=np.zeros_like(weight), where=total[row] > 0)


def expected_customers(population: ArrayLike, probabilities: ArrayLike) -> np.ndarray:
    """Expected customers from each origin at each destination: ``population_i * P_ij``.

    Parameters
    ----------
    population : array_like, shape (n_origins,)
        Residents (or customers) per origin, finite and >= 0.
    probabilities : array_like, shape (n_origins, n_destinations)
        Huff probabilities (rows sum to 1, or 0 for unreachable origins).

    Returns
    -------
    numpy.ndarray, shape (n_origins, n_destinations)
        Expected customers. The sum over destinations equals the population of every origin
        that reaches a destination; origins that reach none contribute 0.

    Raises
    ------
    ValueError
        If shapes disagree, population is negative/non-finite, or a probability row is not a
        distribution.
    """
    pop = np.asarray(population, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if pop.ndim != 1:
        raise ValueError(f"population must be 1-D (one value per origin); found shape {pop.shape}")
    if p.ndim != 2 or p.shape[0] != pop.size:
        raise ValueError(
            f"probabilities must have shape ({pop.size}, n_destinations) to match population; "
            f"found shape {p.shape}"
        )
    if (~np.isfinite(pop) | (pop < 0)).any():
        i = int(np.flatnonzero(~np.isfinite(pop) | (pop < 0))[0])
        raise ValueError(f"population must be finite and >= 0; found {float(pop[i])} at origin {i}")
    if (~np.isfinite(p) | (p < 0) | (p > 1)).any():
        raise ValueError("probabilities must be finite and within [0, 1]")
    sums = p.sum(axis=1)
    bad = ~(np.isclose(sums, 1.0, atol=_ROW_SUM_TOLERANCE) | (sums == 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"each probability row must sum to 1 (or be all 0 for an unreachable origin); "
            f"row {i} sums to {float(sums[i])}"
        )
    return pop[:, np.newaxis] * p


def huff_log_likelihood(
    attractiveness: ArrayLike,
    travel_cost: ArrayLike,
    observed_counts: ArrayLike,
    *,
    alpha: float = 1.0,
    beta: float = 2.0,
    min_cost: float | None = None,
) -> float:
    """Multinomial log-likelihood ``sum_ij n_ij log P_ij(alpha, beta)`` of observed choices.

    The constant multinomial coefficient is left out (it does not depend on the parameters).
    Returns ``-inf`` if a customer was observed at a destination the model says is unreachable.
    """
    a = _as_attractiveness(attractiveness)
    d = _clamp_cost(_as_cost(travel_cost, a.size), min_cost, 1.0)
    n = _as_counts(observed_counts, d.shape)
    alpha = _check_exponent("alpha", alpha)
    beta = _check_exponent("beta", beta)
    logp = _log_probabilities(np.log(a), _log_cost(d), alpha, beta)
    if (n[~np.isfinite(logp)] > 0).any():
        return float("-inf")
    return float(np.sum(np.where(n > 0, n * np.where(np.isfinite(logp), logp, 0.0), 0.0)))


def _log_cost(d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(d), np.log(d), np.inf)


def _as_counts(observed_counts: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    n = np.asarray(observed_counts, dtype=float)
    if n.ndim == 1:
        n = n[np.newaxis, :]
    if n.shape != shape:
        raise ValueError(
            f"observed_counts must have the shape of travel_cost {shape}; found shape {n.shape}"
        )
    if (~np.isfinite(n) | (n < 0)).any():
        i, j = np.argwhere(~np.isfinite(n) | (n < 0))[0]
        raise ValueError(
            f"observed_counts must be finite and >= 0; found {float(n[i, j])} at origin {i}, "
            f"destination {j}"
        )
    return n


def _negative_ll_and_gradient(
    params: np.ndarray, log_a: np.ndarray, log_d: np.ndarray, n: np.ndarray, n_i: np.ndarray
) -> tuple[float, np.ndarray]:
    """Negative log-likelihood in (alpha, beta) and its analytic gradient."""
    alpha, beta = float(params[0]), float(params[1])
    logp = _log_probabilities(log_a, log_d, alpha, beta)
    reach = np.isfinite(logp)
    p = np.where(reach, np.exp(np.where(reach, logp, 0.0)), 0.0)
    ll = float(np.sum(n * np.where(reach, logp, 0.0)))
    d0 = np.where(reach, log_d, 0.0)
    a0 = np.broadcast_to(log_a, log_d.shape)
    # dLL/dalpha = sum n_ij (a_j - E_i[a]);  dLL/dbeta = -sum n_ij (d_ij - E_i[d])
    mean_a = np.sum(p * a0, axis=1)
    mean_d = np.sum(p * d0, axis=1)
    grad_alpha = float(np.sum(n * a0) - np.sum(n_i * mean_a))
    grad_beta = float(-np.sum(n * d0) + np.sum(n_i * mean_d))
    return -ll, -np.array([grad_alpha, grad_beta])


def calibrate_beta(
    attractiveness: ArrayLike,
    travel_cost: ArrayLike,
    observed_counts: ArrayLike,
    *,
    alpha: float = 1.0,
    bounds: tuple[float, float] = (0.1, 5.0),
    fit_alpha: bool = False,
    alpha_bounds: tuple[float, float] = (0.0, 5.0),
    min_cost: float | None = None,
) -> CalibrationResult:
    """Fit the distance decay ``beta`` (and optionally ``alpha``) by maximum likelihood.

    Parameters
    ----------
    attractiveness : array_like, shape (n_destinations,)
        Attractiveness of every destination.
    travel_cost : array_like, shape (n_origins, n_destinations)
        Travel costs (``inf`` = unreachable).
    observed_counts : array_like, shape (n_origins, n_destinations)
        ``n_ij``: number of customers from origin ``i`` observed at destination ``j`` (from
        vouchers, loyalty cards, OD data...).
    alpha : float, default 1.0
        Fixed attractiveness exponent (starting value when ``fit_alpha``).
    bounds : (float, float), default (0.1, 5.0)
        Search interval of ``beta``.
    fit_alpha : bool, default False
        Also fit ``alpha`` (jointly, L-BFGS-B with an analytic gradient).
    alpha_bounds : (float, float), default (0.0, 5.0)
        Search interval of ``alpha`` when ``fit_alpha``.
    min_cost : float, optional
        Clamp costs below this value (see :func:`huff_probabilities`).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ValueError
        On bad shapes or values, no observation at all, or an observation at a destination
        that is unreachable from its origin (the likelihood would be zero for every beta).

    Notes
    -----
    The log-likelihood is ``sum_ij n_ij log P_ij``; it is concave in ``(alpha, beta)``
    (conditional logit with regressors ``log A_j`` and ``-log D_ij``), so the optimum is
    unique. Only origins with observations contribute.
    """
    a = _as_attractiveness(attractiveness)
    d = _clamp_cost(_as_cost(travel_cost, a.size), min_cost, 1.0)
    n = _as_counts(observed_counts, d.shape)
    lo, hi = (float(b) for b in bounds)
    if not (0 <= lo < hi and np.isfinite(hi)):
        raise ValueError(f"bounds must satisfy 0 <= low < high < inf; found {bounds!r}")
    total = float(n.sum())
    if total <= 0:
        raise ValueError("observed_counts holds no observation (sum is 0); cannot calibrate")
    log_a, log_d = np.log(a), _log_cost(d)
    impossible = (n > 0) & ~np.isfinite(log_d)
    if impossible.any():
        i, j = np.argwhere(impossible)[0]
        raise ValueError(
            f"{int(n[impossible].sum())} customer(s) observed at unreachable destinations "
            f"(first: origin {i}, destination {j} has infinite cost)"
        )
    n_i = n.sum(axis=1)
    if fit_alpha:
        alo, ahi = (float(b) for b in alpha_bounds)
        if not (0 <= alo < ahi and np.isfinite(ahi)):
            raise ValueError(
                f"alpha_bounds must satisfy 0 <= low < high < inf; found {alpha_bounds!r}"
            )
        start = np.array([np.clip(alpha, alo, ahi), np.clip(1.0, lo, hi)])
        res = optimize.minimize(
            _negative_ll_and_gradient,
            start,
            args=(log_a, log_d, n, n_i),
            jac=True,
            method="L-BFGS-B",
            bounds=[(alo, ahi), (lo, hi)],
        )
        alpha_hat, beta_hat = float(res.x[0]), float(res.x[1])
        neg_ll, converged = float(res.fun), bool(res.success)
        at_bound = _on_bound(alpha_hat, alo, ahi) or _on_bound(beta_hat, lo, hi)
    else:
        alpha_hat = _check_exponent("alpha", alpha)
        fixed = np.array([alpha_hat, 0.0])

        def objective(beta: float) -> float:
            fixed[1] = beta
            return _negative_ll_and_gradient(fixed, log_a, log_d, n, n_i)[0]

        res = optimize.minimize_scalar(
            objective, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6}
        )
        beta_hat, neg_ll, converged = float(res.x), float(res.fun), bool(res.success)
        at_bound = _on_bound(beta_hat, lo, hi)
    ll_null = _null_log_likelihood(log_d, n)
    pseudo_r2 = 1.0 - (-neg_ll) / ll_null if ll_null < 0 else float("nan")
    return CalibrationResult(
        beta=beta_hat,
        alpha=alpha_hat,
        log_likelihood=-neg_ll,
        log_likelihood_null=ll_null,
        pseudo_r2=float(pseudo_r2),
        n_observations=int(round(total)),
        converged=converged,
        at_bound=at_bound,
    )


def _on_bound(value: float, low: float, high: float) -> bool:
    tol = 1e-4 * max(1.0, high - low)
    return bool(value - low < tol or high - value < tol)


def _null_log_likelihood(log_d: np.ndarray, n: np.ndarray) -> float:
    """Log-likelihood when every reachable destination is equally likely."""
    n_reachable = np.isfinite(log_d).sum(axis=1)
    with np.errstate(divide="ignore"):
        log_uniform = -np.log(np.where(n_reachable > 0, n_reachable, 1))
    return float(np.sum(n.sum(axis=1) * log_uniform))


def catchment_tiers(
    expected: ArrayLike, shares: tuple[float, ...] = (0.6, 0.8, 0.95)
) -> np.ndarray:
    """Primary/secondary/tertiary catchment of one destination.

    Cells are sorted by decreasing expected customers (ties keep their input order). Tier 1 is
    the smallest set of top cells that together bring ``shares[0]`` of all customers, tier 2
    the following cells up to ``shares[1]``, and so on; the cell that crosses a threshold
    belongs to the tier it completes. Cells beyond the last share get tier 0 (outside).

    Parameters
    ----------
    expected : array_like, shape (n_cells,)
        Expected customers of the destination from every origin cell, finite and >= 0.
    shares : tuple of float, default (0.6, 0.8, 0.95)
        Cumulative shares, strictly increasing, within (0, 1].

    Returns
    -------
    numpy.ndarray of int, shape (n_cells,)
        1 .. len(shares) for cells inside the catchment, 0 outside. All zeros if there are no
        customers at all.

    Examples
    --------
    >>> catchment_tiers([10, 40, 0, 20, 20, 5, 5]).tolist()
    [3, 1, 0, 1, 2, 3, 0]
    """
    e = np.asarray(expected, dtype=float)
    if e.ndim != 1:
        raise ValueError(f"expected must be 1-D (one value per origin cell); found shape {e.shape}")
    if (~np.isfinite(e) | (e < 0)).any():
        i = int(np.flatnonzero(~np.isfinite(e) | (e < 0))[0])
        raise ValueError(
            f"expected customers must be finite and >= 0; found {float(e[i])} at cell {i}"
        )
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1 or s.size == 0 or (s <= 0).any() or (s > 1).any() or (np.diff(s) <= 0).any():
        raise ValueError(
            f"shares must be strictly increasing values within (0, 1]; found {tuple(shares)!r}"
        )
    tiers = np.zeros(e.size, dtype=np.int64)
    total = float(e.sum())
    if total == 0:
        return tiers
    order = np.argsort(-e, kind="stable")
    before = np.concatenate(([0.0], np.cumsum(e[order])[:-1]))
    # number of thresholds already reached before this cell is added (with a float tolerance)
    reached = (before[:, np.newaxis] >= s[np.newaxis, :] * total - 1e-12 * total).sum(axis=1)
    tier_sorted = np.where(reached < s.size, reached + 1, 0)
    tiers[order] = tier_sorted
    return tiers
