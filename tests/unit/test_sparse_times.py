"""SparseTimes: travel times kept up to a cutoff, against the dense matrices they replace."""

from __future__ import annotations

import numpy as np
import pytest
from support import realdata_path

from pipelines.accessibility import two_step_fca
from pipelines.network import mode_network
from pipelines.routing import Router
from pipelines.sources.osm import read_street_graph
from pipelines.sparse_times import SparseTimes, as_sparse

INF = np.inf


def _random_times(seed: int, shape: tuple[int, int] = (40, 60)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1800, shape).round()
    t[rng.random(shape) < 0.4] = INF
    t[rng.random(shape) < 0.05] = 0.0  # zero times are reached pairs, never dropped
    return t


def test_dense_round_trip_keeps_zero_times() -> None:
    dense = np.array([[0.0, INF, 5.0], [INF, INF, INF], [7.0, 0.0, INF]])
    sparse = SparseTimes.from_dense(dense)
    assert sparse.nnz == 4
    np.testing.assert_array_equal(sparse.to_dense(), dense)
    np.testing.assert_array_equal(sparse.T.to_dense(), dense.T)
    np.testing.assert_array_equal(SparseTimes.from_dense(dense, cutoff_s=4).to_dense(), [[0, INF, INF], [INF, INF, INF], [INF, 0, INF]])


def test_triplets_keep_the_minimum_of_duplicates() -> None:
    t = SparseTimes.from_triplets([1, 0, 1, 1], [2, 0, 2, 0], [9.0, 3.0, 4.0, INF], (2, 3))
    np.testing.assert_array_equal(t.to_dense(), [[3, INF, INF], [INF, INF, 4]])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_blocks_in_any_order_give_the_matrix(seed: int) -> None:
    """Blocks of whole rows, shuffled, some rows in no block, an empty block: the same CSR
    arrays as from the triplets, and the list of blocks is emptied."""
    dense = _random_times(seed)
    dense[[3, 17]] = INF  # rows reached nowhere
    rng = np.random.default_rng(seed)
    order = rng.permutation(np.setdiff1d(np.arange(dense.shape[0]), [5, 30]))  # 5, 30: in no block
    blocks = [(np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0, dtype=np.int32), np.zeros(0))]
    for rows in np.array_split(order, 7):
        r, c = np.nonzero(np.isfinite(dense[rows]))
        blocks.append((rows, np.bincount(r, minlength=len(rows)), c.astype(np.int32), dense[rows][r, c]))
    got = SparseTimes.from_row_blocks(blocks, dense.shape).matrix
    want = dense.copy()
    want[[5, 30]] = INF
    want = SparseTimes.from_dense(want).matrix
    assert blocks == []
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_array_equal(got.data, want.data)
    assert got.data.dtype == np.float64 and (got.data == 0).any()  # zero times kept


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_queries_equal_the_dense_computation(seed: int) -> None:
    dense = _random_times(seed)
    sparse = SparseTimes.from_dense(dense)
    weights = np.random.default_rng(seed).uniform(0, 100, dense.shape[1])
    for threshold in (0.0, 600.0, 1800.0):
        np.testing.assert_array_equal(sparse.within(threshold).toarray(), dense <= threshold)
        np.testing.assert_allclose(sparse.totals_within(weights, threshold), (dense <= threshold) @ weights)
    per_row = np.linspace(0, 1800, dense.shape[0])
    np.testing.assert_array_equal(sparse.within(per_row).toarray(), dense <= per_row[:, None])
    np.testing.assert_array_equal(sparse.col_min(), dense.min(axis=0))
    labels = np.array(["b", "a", "c", "a"] * (dense.shape[0] // 4))
    groups, best = sparse.group_min(labels)
    assert groups.tolist() == ["a", "b", "c"]
    for g, name in enumerate(groups):
        np.testing.assert_array_equal(best.to_dense()[g], dense[labels == name].min(axis=0))
    picks = [3, 3, 0, 7]
    np.testing.assert_array_equal(sparse.take_rows(picks).to_dense(), dense[picks])
    # the queries leave the matrix as it was
    np.testing.assert_array_equal(sparse.to_dense(), dense)


@pytest.mark.parametrize("budget", [1, 25, 10**9])
def test_group_min_of_chosen_rows_a_few_groups_at_a_time(budget: int, monkeypatch) -> None:
    """Rows picked with repeats (a shop cell in two districts), groups reduced a few at a
    time (``budget`` pairs: one group per piece, several, all at once): the dense minima."""
    import pipelines.sparse_times as st

    monkeypatch.setattr(st, "GROUP_MIN_PAIRS", budget)
    dense = _random_times(6, (30, 50))
    dense[4] = INF  # a row reaching nothing, alone in its group
    rng = np.random.default_rng(6)
    rows = np.concatenate([rng.integers(0, 30, 40), [4]])
    labels = np.concatenate([rng.choice(["d1", "d2", "d3", "d4", "d5"], 40), ["d0"]])
    groups, best = SparseTimes.from_dense(dense).group_min(labels, rows=rows)
    assert groups.tolist() == ["d0", "d1", "d2", "d3", "d4", "d5"]
    want = np.vstack([dense[rows[labels == g]].min(axis=0) for g in groups])
    np.testing.assert_array_equal(best.to_dense(), want)
    assert best.nnz == np.isfinite(want).sum()  # no pair stored twice
    whole = SparseTimes.from_dense(dense).take_rows(rows).group_min(labels)[1].matrix
    np.testing.assert_array_equal(best.matrix.indptr, whole.indptr)
    np.testing.assert_array_equal(best.matrix.indices, whole.indices)
    np.testing.assert_array_equal(best.matrix.data, whole.data)


@pytest.mark.parametrize("seed", [4, 5])
def test_two_step_fca_sparse_equals_dense(seed: int) -> None:
    dense = _random_times(seed, (50, 12))  # residents x suppliers
    rng = np.random.default_rng(seed)
    pop, supply = rng.uniform(0, 500, 50), rng.uniform(0, 20, 12)
    a = two_step_fca(pop, supply, dense, 900.0)
    b = two_step_fca(pop, supply, as_sparse(dense), 900.0)
    np.testing.assert_allclose(b.accessibility, a.accessibility)
    np.testing.assert_allclose(b.ratios, a.ratios)
    assert b.served_supply == pytest.approx(a.served_supply)
    assert (pop * b.accessibility).sum() == pytest.approx(b.served_supply)  # conservation
    # given supplier-major (as a search from the shops returns it): sparse, the same floats
    c = two_step_fca(pop, supply, as_sparse(dense.T), 900.0, suppliers_first=True)
    np.testing.assert_array_equal(c.accessibility, b.accessibility)
    np.testing.assert_array_equal(c.ratios, b.ratios)
    assert c.served_supply == b.served_supply
    c = two_step_fca(pop, supply, dense.T, 900.0, suppliers_first=True)  # dense: BLAS sums
    np.testing.assert_allclose(c.accessibility, a.accessibility, rtol=1e-12)
    with pytest.raises(ValueError, match="suppliers x residents"):
        two_step_fca(pop, supply, as_sparse(dense), 900.0, suppliers_first=True)


@pytest.mark.realdata
def test_sparse_router_times_equal_dense_on_a_real_network() -> None:
    graph = read_street_graph(realdata_path("02_osm/wechelderzande.osm"))
    nodes, edges = mode_network(graph, "walk")
    router = Router.from_network(nodes, edges)
    xy = np.column_stack([nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()])
    rng = np.random.default_rng(7)
    origins = xy[rng.choice(len(xy), 60, replace=False)] + rng.normal(0, 2e-4, (60, 2))
    dests = np.vstack([xy[rng.choice(len(xy), 300, replace=False)], origins[:5]])  # 5 shared points
    dense = router.travel_times(origins, dests, cutoff_s=600)
    sparse = router.travel_times(origins, dests, cutoff_s=600, sparse=True)
    np.testing.assert_array_equal(sparse.to_dense(), dense)
    assert sparse.nnz == np.isfinite(dense).sum() > 1000
    assert (np.diag(sparse.to_dense()[:5, -5:]) == 0).all()  # same coordinates cost 0
    with pytest.raises(ValueError, match="cutoff"):
        router.travel_times(origins, dests, sparse=True)
