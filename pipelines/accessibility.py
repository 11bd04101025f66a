"""Spatial accessibility with the two-step floating catchment area method (2SFCA).

Luo & Wang (2003). Residents live at ``i`` (population ``P_i``), suppliers sit at ``j``
(supply ``S_j``: shops, floor area, parking places...), ``d_ij`` is the travel cost and
``d0`` the catchment threshold.

1. For every supplier, the supply-to-demand ratio of the people within reach:
   ``R_j = S_j / sum_{k: d_kj <= d0} P_k``.
2. For every resident location, the sum of the ratios of the suppliers within reach:
   ``A_i = sum_{j: d_ij <= d0} R_j``.

``A_i`` is "supply per inhabitant" seen from ``i``; the population-weighted total is the
supply: ``sum_i P_i A_i = sum_j S_j`` (over suppliers somebody can reach).

The enhanced variant (E2SFCA, Luo & Qi 2009; Gaussian decay as in Dai 2010) weights both
steps by a distance-decay ``W(d_ij)`` within the threshold; pass ``weights``. The
conservation law still holds.

Matrices are residents (rows) x suppliers (columns); ``inf`` = unreachable. They may be
dense or :class:`~pipelines.sparse_times.SparseTimes` (absent pairs are unreachable), the
form a whole region needs. Pure numpy/scipy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from pipelines.sparse_times import SparseTimes

__all__ = [
    "TwoStepResult",
    "gaussian_weights",
    "population_within",
    "two_step_fca",
]

WeightFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TwoStepResult:
    """Result of :func:`two_step_fca`.

    Attributes
    ----------
    ratios : numpy.ndarray, shape (n_suppliers,)
        ``R_j``, supply per person within reach of each supplier; 0 for a supplier that no
        inhabitant can reach (see ``unserved``).
    accessibility : numpy.ndarray, shape (n_residents,)
        ``A_i``, supply available per inhabitant at each resident location.
    served_supply : float
        Total supply of the suppliers somebody can reach: ``sum_i P_i A_i`` equals it.
    unserved : numpy.ndarray of bool, shape (n_suppliers,)
        Suppliers with no (weighted) population within the threshold.
    """

    ratios: np.ndarray
    accessibility: np.ndarray
    served_supply: float
    unserved: np.ndarray


def _as_nonnegative_vector(values: ArrayLike, name: str, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per {what}); found shape {v.shape}")
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite and >= 0; found {float(v[k])} at {what} {k}")
    return v


def _as_cost(
    cost: ArrayLike | SparseTimes, n_residents: int, n_suppliers: int | None
) -> np.ndarray | SparseTimes:
    expected = f"({n_residents}, {'n_suppliers' if n_suppliers is None else n_suppliers})"
    if isinstance(cost, SparseTimes):
        rows, cols = cost.shape
        if rows != n_residents or (n_suppliers is not None and cols != n_suppliers):
            raise ValueError(
                f"cost must have shape {expected} (residents x suppliers); found shape {cost.shape}"
            )
        if (cost.matrix.data < 0).any():
            raise ValueError("cost must be >= 0")
        return cost
    d = np.asarray(cost, dtype=float)
    if (
        d.ndim != 2
        or d.shape[0] != n_residents
        or (n_suppliers is not None and d.shape[1] != n_suppliers)
    ):
        raise ValueError(
            f"cost must have shape {expected} (residents x suppliers); found shape {d.shape}"
        )
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise ValueError(f"cost has NaN at resident {i}, supplier {j}; use inf for unreachable")
    if (d < 0).any():
        i, j = np.argwhere(d < 0)[0]
        raise ValueError(f"cost must be >= 0; found {float(d[i, j])} at resident {i}, supplier {j}")
    return d


def _check_threshold(threshold: float) -> float:
    t = float(threshold)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"threshold must be finite and > 0; found {threshold!r}")
    return t


def _weight_matrix(
    d: np.ndarray | SparseTimes, threshold: float, weights: WeightFunction | None
) -> np.ndarray | sp.csr_matrix:
    """W_ij: 1 (or ``weights(d_ij)``) within the threshold, 0 beyond (sparse for sparse d)."""
    if isinstance(d, SparseTimes):
        within = d.within(threshold)
        if weights is None:
            return within
        m = d.matrix
        near = m.data <= threshold
        w = np.asarray(weights(np.where(near, m.data, 0.0)), dtype=float)
        if w.shape != m.data.shape:
            raise ValueError(f"weights must return one value per cost; found shape {w.shape}")
        w = np.where(near, w, 0.0)
        if (~np.isfinite(w) | (w < 0) | (w > 1)).any():
            raise ValueError("weights must return finite values within [0, 1] for costs <= threshold")
        out = sp.csr_matrix((w, m.indices.copy(), m.indptr.copy()), shape=m.shape)
        out.eliminate_zeros()
        return out
    within = d <= threshold
    if weights is None:
        return within.astype(float)
    w = np.asarray(weights(np.where(within, d, 0.0)), dtype=float)
    if w.shape != d.shape:
        raise ValueError(f"weights must return an array of shape {d.shape}; found {w.shape}")
    w = np.where(within, w, 0.0)
    if (~np.isfinite(w) | (w < 0) | (w > 1)).any():
        raise ValueError("weights must return finite values within [0, 1] for costs <= threshold")
    return w


def population_within(population: ArrayLike, cost: ArrayLike, threshold: float) -> np.ndarray:
    """Population within ``threshold`` of every supplier: ``sum_{i: d_ij <= d0} P_i``.

    Parameters
    ----------
    population : array_like, shape (n_residents,)
        Inhabitants per resident location.
    cost : array_like, shape (n_residents, n_suppliers)
        Travel costs, ``inf`` = unreachable.
    threshold : float
        Catchment threshold ``d0`` (inclusive), same unit as ``cost``.

    Returns
    -------
    numpy.ndarray, shape (n_suppliers,)
    """
    pop = _as_nonnegative_vector(population, "population", "resident")
    d = _as_cost(cost, pop.size, None)
    t = _check_threshold(threshold)
    return np.asarray(_weight_matrix(d, t, None).T @ pop, dtype=float).reshape(-1)


def two_step_fca(
    population: ArrayLike,
    supply: ArrayLike,
    cost: ArrayLike,
    threshold: float,
    *,
    weights: WeightFunction | None = None,
    suppliers_first: bool = False,
) -> TwoStepResult:
    """Two-step floating catchment area accessibility (Luo & Wang 2003).

    Parameters
    ----------
    population : array_like, shape (n_residents,)
        ``P_i``, inhabitants per resident location (finite, >= 0).
    supply : array_like, shape (n_suppliers,)
        ``S_j``, supply of each supplier (finite, >= 0).
    cost : array_like or SparseTimes, shape (n_residents, n_suppliers)
        ``d_ij`` travel cost, >= 0, ``inf`` (or absent) = unreachable.
    threshold : float
        Catchment threshold ``d0``; a pair is within reach when ``d_ij <= d0``.
    weights : callable, optional
        Distance decay ``W(d)`` applied to costs within the threshold, returning values in
        [0, 1] (E2SFCA). Both steps use it: ``R_j = S_j / sum_k W_kj P_k`` and
        ``A_i = sum_j W_ij R_j``. See :func:`gaussian_weights`.
    suppliers_first : bool
        ``cost`` is given as (n_suppliers, n_residents), the transpose, as a search from
        the suppliers returns it: used as it is, not transposed (at 262 communes the drive
        times from the shop cells hold 33 M pairs, a 400 MB copy). With sparse costs the
        same floats: every sum adds the same terms in the same order (dense costs go through
        BLAS, whose order may differ in the last bits).

    Returns
    -------
    TwoStepResult
        ``ratios``, ``accessibility``, ``served_supply`` and ``unserved``. A supplier with no
        population within reach gets ``R_j = 0``; its supply is not in ``served_supply`` and
        ``sum_i P_i A_i == served_supply``.

    Raises
    ------
    ValueError
        On shape mismatch, negative/NaN values, a non-positive threshold or bad weights.

    Examples
    --------
    >>> cost = [[1, 80, 40], [80, 1, 40], [40, 40, 1]]
    >>> two_step_fca([100, 50, 10], [15, 20, 100], cost, 61).accessibility.round(3)
    array([0.761, 0.958, 1.095])
    """
    pop = _as_nonnegative_vector(population, "population", "resident")
    sup = _as_nonnegative_vector(supply, "supply", "supplier")
    if suppliers_first:
        shape = cost.shape if isinstance(cost, SparseTimes) else np.shape(cost)
        if len(shape) != 2 or shape[1] != pop.size:
            raise ValueError(f"cost must have shape ({sup.size}, {pop.size}) (suppliers x residents); found shape {shape}")
        d = _as_cost(cost, sup.size, pop.size)
    else:
        d = _as_cost(cost, pop.size, sup.size)
    t = _check_threshold(threshold)
    w = _weight_matrix(d, t, weights)
    if suppliers_first:
        w = w.T  # residents x suppliers: a view
    demand = np.asarray(w.T @ pop, dtype=float).reshape(-1)
    unserved = demand <= 0
    ratios = np.divide(sup, demand, out=np.zeros_like(sup), where=~unserved)
    accessibility = np.asarray(w @ ratios, dtype=float).reshape(-1)
    return TwoStepResult(
        ratios=ratios,
        accessibility=accessibility,
        served_supply=float(sup[~unserved].sum()),
        unserved=unserved,
    )


def gaussian_weights(threshold: float) -> WeightFunction:
    """Gaussian distance decay for E2SFCA that is 1 at ``d = 0`` and 0 at ``d = threshold``.

    ``W(d) = (exp(-d^2 / (2 d0^2)) - exp(-1/2)) / (1 - exp(-1/2))`` for ``d <= d0`` (Dai 2010).

    Parameters
    ----------
    threshold : float
        The same ``d0`` as given to :func:`two_step_fca`.
    """
    d0 = _check_threshold(threshold)
    floor = np.exp(-0.5)

    def weigh(d: np.ndarray) -> np.ndarray:
        g = (np.exp(-0.5 * (np.asarray(d, dtype=float) / d0) ** 2) - floor) / (1.0 - floor)
        return np.clip(g, 0.0, 1.0)

    return weigh
