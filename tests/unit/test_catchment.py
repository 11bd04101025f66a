"""Huff model: reference numbers, conservation, calibration recovery, catchment tiers."""

from __future__ import annotations

import numpy as np
import pytest
from support import realdata_path as realdata_catchment

from pipelines.catchment import (
    CalibrationResult,
    calibrate_beta,
    catchment_tiers,
    expected_customers,
    huff_log_likelihood,
    huff_probabilities,
    reachable_origins,
)

STORES = [3500.0, 1500.0, 300.0]
DISTANCES = [[4.0, 5.0, 3.0]]


# ------------------------------------------------------------------ huff_probabilities


@pytest.mark.parametrize(
    ("beta", "expected"),
    [(2.0, [0.701, 0.192, 0.107]), (1.0, [0.686, 0.235, 0.078])],
)
def test_huff_reference_three_stores(beta: float, expected: list[float]) -> None:
    p = huff_probabilities(STORES, DISTANCES, alpha=1.0, beta=beta)
    assert p.shape == (1, 3)
    np.testing.assert_array_equal(p.round(3), [expected])
    assert p.sum() == pytest.approx(1.0)


def test_huff_matches_direct_formula_and_rows_sum_to_one() -> None:
    rng = np.random.default_rng(7)
    a = rng.uniform(50, 5000, 5)
    d = rng.uniform(0.2, 12, (9, 5))
    alpha, beta = 1.4, 2.3
    u = a**alpha * d**-beta
    direct = u / u.sum(axis=1, keepdims=True)
    p = huff_probabilities(a, d, alpha=alpha, beta=beta)
    np.testing.assert_allclose(p, direct, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_huff_is_stable_for_steep_decay_and_long_distances() -> None:
    # direct formula underflows to 0/0 here; the log-space one does not
    p = huff_probabilities([1.0, 1.0], [[1e5, 2e5]], beta=80.0)
    assert np.isfinite(p).all()
    assert p[0, 0] == pytest.approx(1.0 / (1.0 + 2.0**-80))


def test_huff_beta_zero_gives_attractiveness_shares() -> None:
    p = huff_probabilities([1.0, 3.0], [[0.0, 10.0]], beta=0.0)
    np.testing.assert_allclose(p, [[0.25, 0.75]])


def test_huff_unreachable_destinations_and_origins() -> None:
    inf = np.inf
    cost = [[inf, inf], [1.0, inf], [2.0, 2.0]]
    p = huff_probabilities([1.0, 3.0], cost, beta=2.0)
    np.testing.assert_array_equal(p[0], [0.0, 0.0])  # nothing reachable: zeros, not NaN
    np.testing.assert_array_equal(p[1], [1.0, 0.0])
    np.testing.assert_allclose(p[2], [0.25, 0.75])
    np.testing.assert_array_equal(reachable_origins(cost), [False, True, True])


def test_huff_min_cost_clamps_small_costs() -> None:
    # costs (0, 3) clamped to (0.5, 3): utilities 1/0.25 = 4 and 2/9
    p = huff_probabilities([1.0, 2.0], [[0.0, 3.0]], beta=2.0, min_cost=0.5)
    np.testing.assert_allclose(p, [[4 / (4 + 2 / 9), (2 / 9) / (4 + 2 / 9)]])
    # a cost already above min_cost is untouched
    q = huff_probabilities([1.0, 2.0], [[1.0, 3.0]], beta=2.0, min_cost=0.5)
    np.testing.assert_allclose(q, huff_probabilities([1.0, 2.0], [[1.0, 3.0]], beta=2.0))


@pytest.mark.parametrize(
    ("attractiveness", "cost", "kwargs", "message"),
    [
        ([1.0, 2.0], [[1.0, 2.0, 3.0]], {}, r"shape \(n_origins, 2\).*found shape \(1, 3\)"),
        ([[1.0, 2.0]], [[1.0, 2.0]], {}, r"1-D array.*found shape \(1, 2\)"),
        ([1.0, 0.0], [[1.0, 2.0]], {}, r"finite and > 0; found 0.0 at destination 1"),
        ([1.0, -5.0], [[1.0, 2.0]], {}, r"found -5.0 at destination 1"),
        ([1.0, np.nan], [[1.0, 2.0]], {}, r"attractiveness must be finite"),
        ([1.0, 2.0], [[1.0, -2.0]], {}, r">= 0; found -2.0 at origin 0, destination 1"),
        ([1.0, 2.0], [[1.0, 2.0], [np.nan, 1.0]], {}, r"NaN at origin 1, destination 0"),
        ([1.0, 2.0], [[0.0, 2.0]], {}, r"0 at origin 0, destination 0.*min_cost"),
        ([1.0, 2.0], [[0.0, 2.0]], {"min_cost": -1.0}, r"min_cost must be finite and > 0"),
        ([1.0, 2.0], [[1.0, 2.0]], {"beta": -1.0}, r"beta must be finite and >= 0"),
        ([1.0, 2.0], [[1.0, 2.0]], {"alpha": np.inf}, r"alpha must be finite"),
    ],
)
def test_huff_rejects_bad_input(attractiveness, cost, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        huff_probabilities(attractiveness, cost, **kwargs)


# ------------------------------------------------------------------ expected_customers


def test_expected_customers_conserve_population() -> None:
    inf = np.inf
    cost = np.array([[1.0, 2.0, 4.0], [3.0, 1.0, 2.0], [inf, inf, inf], [5.0, inf, 1.0]])
    population = np.array([1200.0, 800.0, 300.0, 50.0])
    p = huff_probabilities([10.0, 20.0, 5.0], cost, beta=1.5)
    e = expected_customers(population, p)
    assert e.shape == (4, 3)
    reach = reachable_origins(cost)
    np.testing.assert_allclose(e.sum(axis=1)[reach], population[reach])
    np.testing.assert_array_equal(e[~reach], 0.0)
    assert e.sum() == pytest.approx(population[reach].sum())  # 2050 of 2350


def test_expected_customers_hand_case() -> None:
    e = expected_customers([100.0, 10.0], [[0.25, 0.75], [1.0, 0.0]])
    np.testing.assert_allclose(e, [[25.0, 75.0], [10.0, 0.0]])


@pytest.mark.parametrize(
    ("population", "probabilities", "message"),
    [
        ([1.0, 2.0], [[1.0, 0.0]], r"shape \(2, n_destinations\).*found shape \(1, 2\)"),
        ([[1.0]], [[1.0]], r"population must be 1-D"),
        ([-1.0], [[1.0]], r"found -1.0 at origin 0"),
        ([1.0], [[0.5, 0.4]], r"row 0 sums to 0.9"),
        ([1.0], [[1.5, -0.5]], r"within \[0, 1\]"),
    ],
)
def test_expected_customers_rejects_bad_input(population, probabilities, message) -> None:
    with pytest.raises(ValueError, match=message):
        expected_customers(population, probabilities)


# ------------------------------------------------------------------ calibration


@pytest.fixture(scope="module")
def simulated() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240917)
    cost = rng.uniform(0.5, 10.0, (40, 6))
    attractiveness = rng.uniform(100.0, 5000.0, 6)
    return {"rng": rng, "cost": cost, "attractiveness": attractiveness}


def _simulate(rng, attractiveness, cost, *, alpha, beta, per_origin=2000):
    p = huff_probabilities(attractiveness, cost, alpha=alpha, beta=beta)
    return np.vstack([rng.multinomial(per_origin, row) for row in p])


def test_calibrate_beta_recovers_known_beta(simulated) -> None:
    a, d = simulated["attractiveness"], simulated["cost"]
    counts = _simulate(np.random.default_rng(1), a, d, alpha=1.0, beta=1.7)
    result = calibrate_beta(a, d, counts)
    assert isinstance(result, CalibrationResult)
    assert result.beta == pytest.approx(1.7, abs=0.05)
    assert result.alpha == 1.0
    assert result.converged and not result.at_bound
    assert result.n_observations == 40 * 2000
    # the optimum beats its neighbours (independent evaluation of the likelihood)
    for other in (result.beta - 0.05, result.beta + 0.05):
        assert result.log_likelihood > huff_log_likelihood(a, d, counts, alpha=1.0, beta=other)
    # null model: each of the 6 destinations equally likely -> LL0 = -N log 6
    assert result.log_likelihood_null == pytest.approx(-80000 * np.log(6))
    assert result.pseudo_r2 == pytest.approx(1 - result.log_likelihood / result.log_likelihood_null)
    assert 0.0 < result.pseudo_r2 < 1.0


def test_calibrate_beta_exact_on_expected_counts(simulated) -> None:
    # counts exactly proportional to the model: the MLE is the true value
    a, d = simulated["attractiveness"], simulated["cost"]
    counts = 1000.0 * huff_probabilities(a, d, alpha=1.0, beta=2.2)
    assert calibrate_beta(a, d, counts).beta == pytest.approx(2.2, abs=1e-4)


def test_calibrate_alpha_and_beta_jointly(simulated) -> None:
    a, d = simulated["attractiveness"], simulated["cost"]
    counts = _simulate(np.random.default_rng(2), a, d, alpha=1.3, beta=1.7)
    result = calibrate_beta(a, d, counts, alpha=0.5, fit_alpha=True)
    assert result.alpha == pytest.approx(1.3, abs=0.05)
    assert result.beta == pytest.approx(1.7, abs=0.05)
    assert result.converged and not result.at_bound
    fixed = calibrate_beta(a, d, counts, alpha=0.5)
    assert result.log_likelihood >= fixed.log_likelihood


def test_calibrate_beta_reports_bound(simulated) -> None:
    a, d = simulated["attractiveness"], simulated["cost"]
    counts = 1000.0 * huff_probabilities(a, d, beta=6.0)
    result = calibrate_beta(a, d, counts, bounds=(0.1, 5.0))
    assert result.at_bound
    assert result.beta == pytest.approx(5.0, abs=1e-3)


def test_calibrate_beta_ignores_unreachable_pairs_without_customers() -> None:
    cost = np.array([[1.0, 2.0, np.inf], [2.0, 1.0, 3.0], [np.inf, np.inf, np.inf]])
    a = np.array([1.0, 1.0, 2.0])
    counts = 500.0 * huff_probabilities(a, cost, beta=1.2)
    result = calibrate_beta(a, cost, counts)
    assert result.beta == pytest.approx(1.2, abs=1e-4)
    # null: origin 0 has 2 reachable destinations, origin 1 has 3
    assert result.log_likelihood_null == pytest.approx(-500 * np.log(2) - 500 * np.log(3))


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        ([[0, 0], [0, 0]], {}, r"no observation"),
        ([[1, 0], [0, 3]], {}, r"3 customer\(s\) observed at unreachable.*origin 1, destination 1"),
        ([[1, 0]], {}, r"shape of travel_cost \(2, 2\); found shape \(1, 2\)"),
        ([[1, -1], [0, 0]], {}, r"found -1.0 at origin 0, destination 1"),
        ([[1, 1], [1, 0]], {"bounds": (3.0, 1.0)}, r"bounds must satisfy"),
        ([[1, 1], [1, 0]], {"fit_alpha": True, "alpha_bounds": (-1.0, 2.0)}, r"alpha_bounds"),
    ],
)
def test_calibrate_beta_rejects_bad_input(counts, kwargs, message) -> None:
    cost = [[1.0, 2.0], [1.0, np.inf]]
    with pytest.raises(ValueError, match=message):
        calibrate_beta([1.0, 2.0], cost, counts, **kwargs)


def test_calibrate_requires_keyword_flags() -> None:
    with pytest.raises(TypeError):
        calibrate_beta([1.0], [[1.0]], [[1.0]], 1.0)  # type: ignore[misc]


# ------------------------------------------------------------------ catchment_tiers


def test_catchment_tiers_hand_case() -> None:
    # sorted: 40 (cell 1), 20 (3), 20 (4), 10 (0), 5 (5), 5 (6), 0 (2); total 100
    # cumulative before each: 0, 40, 60, 80, 90, 95, 100
    tiers = catchment_tiers([10, 40, 0, 20, 20, 5, 5])
    np.testing.assert_array_equal(tiers, [3, 1, 0, 1, 2, 3, 0])
    # tier 1 brings exactly 60 %, tiers 1-2 80 %, tiers 1-3 95 %
    e = np.array([10, 40, 0, 20, 20, 5, 5])
    assert e[tiers == 1].sum() == 60
    assert e[(tiers >= 1) & (tiers <= 2)].sum() == 80
    assert e[tiers > 0].sum() == 95


def test_catchment_tiers_threshold_crossing_cell_completes_its_tier() -> None:
    # 50 alone is below 60 %, so the next cell (30) joins tier 1, which then holds 80 %:
    # tier 2 (up to 80 %) stays empty and the 15 completes tier 3 (95 %)
    tiers = catchment_tiers([50, 30, 15, 5])
    np.testing.assert_array_equal(tiers, [1, 1, 3, 0])


def test_catchment_tiers_custom_shares_and_no_customers() -> None:
    np.testing.assert_array_equal(catchment_tiers([1, 1, 1, 1], shares=(0.5,)), [1, 1, 0, 0])
    np.testing.assert_array_equal(catchment_tiers([0.0, 0.0]), [0, 0])
    np.testing.assert_array_equal(catchment_tiers([7.0]), [1])


@pytest.mark.parametrize(
    ("expected", "shares", "message"),
    [
        ([1.0, -1.0], (0.6,), r"found -1.0 at cell 1"),
        ([[1.0]], (0.6,), r"expected must be 1-D"),
        ([1.0], (0.8, 0.6), r"strictly increasing"),
        ([1.0], (0.6, 1.2), r"within \(0, 1\]"),
        ([1.0], (), r"strictly increasing"),
    ],
)
def test_catchment_tiers_rejects_bad_input(expected, shares, message) -> None:
    with pytest.raises(ValueError, match=message):
        catchment_tiers(expected, shares=shares)


# ------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_huff_on_walloon_communes_conserves_population() -> None:
    import geopandas as gpd

    path = realdata_catchment("01_boundaries/belgium_municipalities_2019_bmesuere.geojson")
    communes = gpd.read_file(path)
    wallonia = communes[communes["reg_nis"] == "03000"].to_crs("EPSG:31370")
    assert len(wallonia) == 263  # PROVENANCE.md
    centroids = wallonia.geometry.centroid
    cities = ["62063", "92094", "52011", "53053"]  # Liège, Namur, Charleroi, Mons
    dest = wallonia.set_index("nis").loc[cities]
    dest_xy = np.column_stack([dest.geometry.centroid.x, dest.geometry.centroid.y])
    xy = np.column_stack([centroids.x, centroids.y])
    cost_km = np.hypot(*(xy[:, None, :] - dest_xy[None, :, :]).transpose(2, 0, 1)) / 1000
    population = wallonia["population"].to_numpy(dtype=float)
    p = huff_probabilities(dest["population"].to_numpy(float), cost_km, beta=2.0, min_cost=1.0)
    e = expected_customers(population, p)
    assert population.sum() == 3_646_290
    assert e.sum() == pytest.approx(3_646_290, rel=1e-12)
    # each city's residents mostly shop in their own city
    own = wallonia["nis"].to_numpy()
    for k, nis in enumerate(cities):
        assert p[own == nis, k][0] > 0.9
