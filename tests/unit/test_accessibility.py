"""2SFCA: the Luo & Wang fixture, conservation law (hand, random, real data), E2SFCA weights."""

from __future__ import annotations

import numpy as np
import pytest
from support import realdata_path as realdata_access

from pipelines.accessibility import (
    TwoStepResult,
    gaussian_weights,
    population_within,
    two_step_fca,
)

POPULATION = np.array([100.0, 50.0, 10.0])
SUPPLY = np.array([15.0, 20.0, 100.0])
COST = np.array([[1.0, 80.0, 40.0], [80.0, 1.0, 40.0], [40.0, 40.0, 1.0]])
THRESHOLD = 61.0


def _reference_2sfca(pop, sup, cost, d0, weight=None):
    """Independent loop implementation, straight from the paper."""
    n_i, n_j = cost.shape
    w = [
        [
            0.0 if cost[i][j] > d0 else (1.0 if weight is None else weight(cost[i][j]))
            for j in range(n_j)
        ]
        for i in range(n_i)
    ]
    ratios = []
    for j in range(n_j):
        demand = sum(w[k][j] * pop[k] for k in range(n_i))
        ratios.append(sup[j] / demand if demand > 0 else 0.0)
    access = [sum(w[i][j] * ratios[j] for j in range(n_j)) for i in range(n_i)]
    return np.array(ratios), np.array(access)


def test_published_fixture() -> None:
    result = two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD)
    assert isinstance(result, TwoStepResult)
    # R1 = 15 / (100 + 10), R2 = 20 / (50 + 10), R3 = 100 / (100 + 50 + 10)
    np.testing.assert_allclose(result.ratios, [15 / 110, 20 / 60, 100 / 160])
    np.testing.assert_array_equal(result.accessibility.round(3), [0.761, 0.958, 1.095])
    assert POPULATION @ result.accessibility == pytest.approx(SUPPLY.sum())  # 135
    assert result.served_supply == 135.0
    assert not result.unserved.any()


def test_population_within_by_hand() -> None:
    np.testing.assert_array_equal(population_within(POPULATION, COST, THRESHOLD), [110, 60, 160])
    # threshold is inclusive: at exactly 40 resident 3 reaches supplier 1, resident 1 does not
    np.testing.assert_array_equal(population_within(POPULATION, COST, 40.0), [110, 60, 160])
    np.testing.assert_array_equal(population_within(POPULATION, COST, 39.9), [100, 50, 10])
    np.testing.assert_array_equal(population_within(POPULATION, COST, 80.0), [160, 160, 160])


def test_unreachable_supplier_gets_zero_ratio_and_is_not_served() -> None:
    cost = np.column_stack([COST, [np.inf, 500.0, np.inf]])
    supply = np.append(SUPPLY, 42.0)
    result = two_step_fca(POPULATION, supply, cost, THRESHOLD)
    assert result.ratios[3] == 0.0
    np.testing.assert_array_equal(result.unserved, [False, False, False, True])
    assert result.served_supply == 135.0
    assert POPULATION @ result.accessibility == pytest.approx(135.0)
    np.testing.assert_array_equal(result.accessibility.round(3), [0.761, 0.958, 1.095])


def test_supplier_reached_only_by_empty_cells_is_unserved() -> None:
    result = two_step_fca([0.0, 30.0], [8.0, 6.0], [[1.0, np.inf], [np.inf, 2.0]], 5.0)
    np.testing.assert_array_equal(result.ratios, [0.0, 0.2])
    np.testing.assert_array_equal(result.accessibility, [0.0, 0.2])
    assert result.served_supply == 6.0


def test_gaussian_weights_values() -> None:
    w = gaussian_weights(10.0)
    np.testing.assert_allclose(w(np.array([0.0, 10.0])), [1.0, 0.0], atol=1e-15)
    floor = np.exp(-0.5)
    np.testing.assert_allclose(w(np.array([5.0])), [(np.exp(-0.125) - floor) / (1 - floor)])


def test_e2sfca_by_hand_and_conservation() -> None:
    # weights: 1 at cost 1, 0.5 at cost 40, 0 beyond the threshold
    def step(d: np.ndarray) -> np.ndarray:
        return np.where(d <= 1.0, 1.0, 0.5)

    result = two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD, weights=step)
    # R1 = 15 / (100 + 0.5*10), R2 = 20 / (50 + 0.5*10), R3 = 100 / (0.5*100 + 0.5*50 + 10)
    r = np.array([15 / 105, 20 / 55, 100 / 85])
    np.testing.assert_allclose(result.ratios, r)
    np.testing.assert_allclose(
        result.accessibility, [r[0] + 0.5 * r[2], r[1] + 0.5 * r[2], 0.5 * r[0] + 0.5 * r[1] + r[2]]
    )
    assert POPULATION @ result.accessibility == pytest.approx(135.0)


def test_unit_weights_equal_plain_2sfca() -> None:
    plain = two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD)
    weighted = two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD, weights=np.ones_like)
    np.testing.assert_allclose(weighted.accessibility, plain.accessibility)


@pytest.mark.parametrize("seed", range(12))
def test_conservation_law_on_random_matrices(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_res, n_sup = rng.integers(1, 40), rng.integers(1, 12)
    pop = rng.integers(0, 500, n_res).astype(float)
    pop[rng.random(n_res) < 0.2] = 0.0
    sup = rng.uniform(0, 50, n_sup)
    cost = rng.uniform(0, 100, (n_res, n_sup))
    cost[rng.random((n_res, n_sup)) < 0.3] = np.inf
    threshold = rng.uniform(10, 80)
    weights = gaussian_weights(threshold) if seed % 2 else None
    result = two_step_fca(pop, sup, cost, threshold, weights=weights)
    assert pop @ result.accessibility == pytest.approx(result.served_supply, rel=1e-9, abs=1e-9)
    assert result.served_supply <= sup.sum() + 1e-9
    assert (result.accessibility >= 0).all()
    ratios, access = _reference_2sfca(pop, sup, cost, threshold, weights)
    np.testing.assert_allclose(result.ratios, ratios, rtol=1e-12)
    np.testing.assert_allclose(result.accessibility, access, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("population", "supply", "cost", "threshold", "message"),
    [
        ([1.0, 2.0], [1.0], [[1.0]], 5.0, r"shape \(2, 1\).*found shape \(1, 1\)"),
        ([1.0], [1.0, 2.0], [[1.0]], 5.0, r"shape \(1, 2\).*found shape \(1, 1\)"),
        (
            [-1.0],
            [1.0],
            [[1.0]],
            5.0,
            r"population must be finite and >= 0; found -1.0 at resident 0",
        ),
        ([1.0], [np.nan], [[1.0]], 5.0, r"supply must be finite.*at supplier 0"),
        ([1.0], [1.0], [[-3.0]], 5.0, r"found -3.0 at resident 0, supplier 0"),
        ([1.0], [1.0], [[np.nan]], 5.0, r"NaN at resident 0, supplier 0; use inf"),
        ([1.0], [1.0], [[1.0]], 0.0, r"threshold must be finite and > 0"),
        ([[1.0]], [1.0], [[1.0]], 5.0, r"population must be 1-D"),
    ],
)
def test_two_step_fca_rejects_bad_input(population, supply, cost, threshold, message) -> None:
    with pytest.raises(ValueError, match=message):
        two_step_fca(population, supply, cost, threshold)


def test_bad_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"within \[0, 1\]"):
        two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD, weights=lambda d: 2.0 * np.ones_like(d))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        two_step_fca(POPULATION, SUPPLY, COST, THRESHOLD, weights=lambda d: np.ones(3))


def test_population_within_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"shape \(2, n_suppliers\)"):
        population_within([1.0, 2.0], [[1.0, 2.0]], 5.0)


@pytest.mark.realdata
def test_rail_station_access_of_walloon_communes() -> None:
    import geopandas as gpd
    import pandas as pd

    communes_path = realdata_access("01_boundaries/belgium_municipalities_2019_bmesuere.geojson")
    stations_path = realdata_access("03_gtfs/irail_stations/stations.csv")
    communes = gpd.read_file(communes_path)
    wallonia = communes[communes["reg_nis"] == "03000"].to_crs("EPSG:31370")
    stations = pd.read_csv(stations_path)
    stations = stations[(stations["country-code"] == "be") & (stations["avg_stop_times"] > 0)]
    pts = gpd.GeoSeries(
        gpd.points_from_xy(stations["longitude"], stations["latitude"]), crs="EPSG:4326"
    ).to_crs("EPSG:31370")
    centroids = wallonia.geometry.centroid
    cost_m = np.hypot(
        centroids.x.to_numpy()[:, None] - pts.x.to_numpy()[None, :],
        centroids.y.to_numpy()[:, None] - pts.y.to_numpy()[None, :],
    )
    pop = wallonia["population"].to_numpy(float)
    supply = stations["avg_stop_times"].to_numpy(float)
    result = two_step_fca(pop, supply, cost_m, 10_000.0)
    assert pop @ result.accessibility == pytest.approx(result.served_supply, rel=1e-9)
    # Flemish/Brussels stations far from Wallonia are unserved by Walloon residents
    assert result.unserved.any() and not result.unserved.all()
    assert result.served_supply == pytest.approx(supply[~result.unserved].sum())
    # every served station is within 10 km of some Walloon commune centroid
    assert (cost_m[:, ~result.unserved].min(axis=0) <= 10_000).all()
    assert (cost_m[:, result.unserved].min(axis=0) > 10_000).all()
