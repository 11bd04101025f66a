"""The fast paths of the catchment engine give what the plain ones give."""

import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from pipelines.arrays import positions
from pipelines.catchment.huff import huff_pair_probabilities
from pipelines.catchment.model import cells_polygon
from pipelines.catchment.revealed import comparison_table


def test_pair_probabilities_same_for_sorted_and_unsorted_origin_numbers() -> None:
    rng = np.random.default_rng(1)
    origin = np.repeat(np.arange(50), 4)
    destination = np.tile(np.arange(4), 50)
    cost = rng.uniform(0.1, 20, len(origin))
    cost[::7] = np.inf
    cost[8:12] = np.inf  # an origin that reaches nothing
    sorted_numbers = huff_pair_probabilities([3, 1, 2, 5], origin, destination, cost, min_cost=0.5)
    renumbered = rng.permutation(50)[origin]  # same groups, numbers out of order: np.unique path
    other = huff_pair_probabilities([3, 1, 2, 5], renumbered, destination, cost, min_cost=0.5)
    np.testing.assert_array_equal(other, sorted_numbers)
    assert (sorted_numbers[8:12] == 0).all()


def test_positions_like_get_indexer() -> None:
    ids = np.array(["D2", "D1", "D3"], dtype=object)
    values = pd.Series(["D1", "D3", None, "D9", "D1"], dtype="string")
    assert positions(values, ids).tolist() == [1, 2, -1, -1, 1]
    as_objects = values.astype(object).to_numpy()
    assert positions(as_objects, ids).tolist() == pd.Index(ids).get_indexer(as_objects).tolist()


def test_cells_polygon_equals_h3_geo_interface() -> None:
    ring = h3.grid_ring(h3.latlng_to_cell(50.5, 4.4, 9), 2)  # a ring of cells: a polygon with a hole
    cells = np.array([h3.str_to_int(c) for c in ring] + [h3.str_to_int(h3.latlng_to_cell(50.6, 4.5, 9))], dtype="uint64")
    plain = shapely.geometry.shape(h3.cells_to_h3shape([h3.int_to_str(int(c)) for c in cells], tight=False).__geo_interface__)
    assert shapely.to_wkb(cells_polygon(cells)) == shapely.to_wkb(plain)
    assert len(cells_polygon(cells).geoms) == 2 and len(cells_polygon(cells).geoms[0].interiors) == 1


def test_comparison_table_sparse_equals_dense() -> None:
    rng = np.random.default_rng(2)
    tiers = rng.integers(0, 4, (30, 3))
    expected = rng.uniform(0, 5, (30, 3)) * (rng.uniform(size=(30, 3)) > 0.3)
    observed = {"vouchers": rng.poisson(2, (30, 3)).astype(float), "od": np.zeros((30, 3))}
    ids, population = np.array(["A", "B", "C"]), rng.uniform(0, 100, 30)
    dense = comparison_table(tiers, expected, population, observed, ids, k=5)
    sparse = comparison_table(
        sp.csc_matrix(tiers), sp.csc_matrix(expected), population, {s: sp.csc_matrix(m) for s, m in observed.items()}, ids, k=5
    )
    pd.testing.assert_frame_equal(sparse, dense, rtol=0, atol=0)
