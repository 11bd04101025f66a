"""Array helpers: the same answers as numpy's."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.arrays import distinct


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64", "uint8"])
def test_distinct_equals_numpy_unique(dtype) -> None:
    rng = np.random.default_rng(3)
    high = np.iinfo(dtype).max if dtype != "int64" else 10**12
    for n in (0, 1, 2, 7, 1000, 50_000):
        values = rng.integers(0, high, n, dtype=dtype, endpoint=False)
        values = np.concatenate([values, values[: n // 3]])  # repeats
        got = distinct(values)
        assert got.dtype == values.dtype
        assert np.array_equal(got, np.unique(values))


def test_distinct_flattens_like_numpy() -> None:
    values = np.array([[3, 1, 3], [2, 1, 9]])
    assert distinct(values).tolist() == np.unique(values).tolist() == [1, 2, 3, 9]
