"""Hand-computed cases for the JRC composite: percentiles, normalisation, winsorisation,
geometric aggregation, ranks and the seeded Monte-Carlo."""

import numpy as np
import pytest

from pipelines.canvas import scoring


def test_mid_rank_percentile_by_hand():
    # 10: none below -> 0 ; 20: one below + half of the other 20 -> 1.5/3 ; 40: all below
    assert scoring.percentile_rank(np.array([10, 20, 20, 40])) == pytest.approx([0, 50, 50, 100])


def test_percentile_among_peers_and_missing_values():
    x = np.array([1.0, 5.0, 3.0, np.nan])
    peers = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], dtype=bool)
    out = scoring.percentile_rank(x, peers)
    assert out[:2] == pytest.approx([0, 100])
    assert np.isnan(out[2]) and np.isnan(out[3])  # one peer with a value: no percentile, never imputed


def test_geometric_aggregation_by_hand():
    # 100 and 0 rescaled to 100 and 1: sqrt(100 * 1) = 10 with equal weights
    assert scoring.aggregate(np.array([[100.0, 0.0]]), [1, 1]) == pytest.approx([10.0])
    # weights 3:1 -> 100 ** 0.75
    assert scoring.aggregate(np.array([[100.0, 0.0]]), [3, 1]) == pytest.approx([100**0.75])
    assert scoring.aggregate(np.array([[100.0, 0.0]]), [3, 1], "arithmetic") == pytest.approx([75.0])
    # a missing indicator is left out and the weights renormalised, not filled in
    assert scoring.aggregate(np.array([[64.0, np.nan]]), [1, 5]) == pytest.approx([1 + 0.99 * 64])
    assert np.isnan(scoring.aggregate(np.array([[np.nan, np.nan]]), [1, 1])[0])


def test_geometric_mean_penalises_imbalance_more_than_arithmetic():
    balanced, unbalanced = np.array([[50.0, 50.0]]), np.array([[100.0, 0.0]])
    assert scoring.aggregate(balanced, [1, 1])[0] > scoring.aggregate(unbalanced, [1, 1])[0]
    assert scoring.aggregate(balanced, [1, 1], "arithmetic")[0] == scoring.aggregate(unbalanced, [1, 1], "arithmetic")[0]


def test_winsorisation_follows_the_jrc_rule():
    x = np.array([1.0] * 9 + [100.0])  # skew (n-2)/sqrt(n-1) = 2.67, excess kurtosis 5.11
    skew, kurt = scoring.moments(x)
    assert skew == pytest.approx(8 / 3)
    assert kurt == pytest.approx(73 / 9 - 3)
    out, treated = scoring.winsorise(x)
    assert treated == 1 and out.max() == 1.0
    regular, none = scoring.winsorise(np.arange(10.0))
    assert none == 0 and regular == pytest.approx(np.arange(10.0))


def test_ranks_best_first_ties_share():
    assert scoring.ranks(np.array([50.0, 80.0, 80.0, np.nan]))[:3] == pytest.approx([3, 1, 1])


def test_fixed_score_orients_lower_is_better():
    raw = np.array([[10.0], [20.0], [30.0]])
    up = scoring.fixed_score(raw, [1.0], [1.0], [(10.0, 30.0)])
    down = scoring.fixed_score(raw, [-1.0], [1.0], [(10.0, 30.0)])
    assert up[2] == pytest.approx(100) and up[0] == pytest.approx(1)  # geometric: rescaled to [1, 100]
    assert down[0] == pytest.approx(100) and down[2] == pytest.approx(1)


def test_monte_carlo_is_seeded_and_brackets_the_ranks():
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(8, 4))
    raw[0] = 10.0  # best on every indicator
    goals = [(-2.0, 2.0)] * 4
    a = scoring.monte_carlo_fixed(raw, [1, 1, 1, 1], [1, 1, 1, 1], goals, draws=200, seed=7)
    b = scoring.monte_carlo_fixed(raw, [1, 1, 1, 1], [1, 1, 1, 1], goals, draws=200, seed=7)
    np.testing.assert_array_equal(a.rank_p05, b.rank_p05)
    np.testing.assert_array_equal(a.score_p95, b.score_p95)
    assert (a.rank_p05 <= a.rank_p95).all() and (a.score_p05 <= a.score_p95).all()
    assert a.rank_p05[0] == 1 and a.rank_p95[0] == 1
    c = scoring.monte_carlo_fixed(raw, [1, 1, 1, 1], [1, 1, 1, 1], goals, draws=200, seed=8)
    assert not np.array_equal(a.score_p05, c.score_p05) or not np.array_equal(a.score_p95, c.score_p95)


def test_coverage_is_the_computed_share_of_weight():
    assert scoring.coverage(np.array([[1.0, np.nan, 2.0]]), [2, 1, 1]) == pytest.approx([0.75])


def _loop_percentile_rank(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The definition, one value at a time (the reference)."""
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        p = x[mask[i] & ~np.isnan(x)]
        if np.isnan(x[i]) or len(p) < 2:
            continue
        out[i] = 100.0 * ((p < x[i]).sum() + 0.5 * ((p == x[i]).sum() - 1.0)) / (len(p) - 1)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_percentile_rank_equals_its_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 8, 60).astype(float)  # many ties
    x[rng.random(60) < 0.15] = np.nan
    peers = rng.random((60, 60)) < 0.3
    np.fill_diagonal(peers, True)
    np.testing.assert_allclose(scoring.percentile_rank(x, peers), _loop_percentile_rank(x, peers))
    everybody = np.ones((60, 60), dtype=bool)
    np.testing.assert_allclose(scoring.percentile_rank(x), _loop_percentile_rank(x, everybody))
