"""Travel times kept up to a cutoff, stored sparse.

Every friction and access figure asks "which places lie within *t* minutes of which": a
dense origins x destinations matrix answers it, but grows with the square of the
territory (20k shop cells x 170k cells is 27 GB of float64 at Wallonia's size) while the
pairs within the largest threshold grow linearly. :class:`SparseTimes` keeps only those
pairs, as a CSR matrix of seconds whose *absent* entries are beyond reach (``inf``) and
whose explicit zeros are kept (a time of 0 s is a reached pair). The operations the
indicators need (pairs within a threshold, minima over groups of rows, column minima,
weighted totals) run on it without ever allocating the dense matrix.

Pure numpy/scipy; :func:`as_sparse` turns a dense matrix into one, so that a function
written for :class:`SparseTimes` serves small dense inputs too (the hand-computed tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class SparseTimes:
    """A rows x cols matrix of seconds, absent = beyond the cutoff (``inf``).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Seconds; explicit zeros are reached pairs. Build it with :meth:`from_triplets` or
        :meth:`from_dense`, which keep the zeros.
    """

    matrix: sp.csr_matrix

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_triplets(
        cls,
        row: np.ndarray,
        col: np.ndarray,
        seconds: np.ndarray,
        shape: tuple[int, int],
    ) -> SparseTimes:
        """From (row, col, seconds) triplets; duplicates keep their minimum, ``inf`` and NaN
        are dropped."""
        seconds = np.asarray(seconds, dtype=float)
        keep = np.isfinite(seconds)
        key = np.asarray(row, dtype=np.int64)[keep] * shape[1] + np.asarray(col, np.int64)[keep]
        seconds = seconds[keep]
        if len(key) > 1 and not (key[1:] > key[:-1]).all():  # sorted, unique: already CSR order
            order = np.argsort(key, kind="stable")
            key, seconds = key[order], seconds[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            key, seconds = key[starts], np.minimum.reduceat(seconds, starts)
        row, col = np.divmod(key, max(shape[1], 1))
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
        return cls(sp.csr_matrix((seconds, col, indptr), shape=shape))

    @classmethod
    def from_row_blocks(
        cls,
        blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
        shape: tuple[int, int],
    ) -> SparseTimes:
        """From blocks of whole rows, in any row order: per block ``(rows, counts, cols,
        seconds)`` with ``counts[k]`` pairs for ``rows[k]``, its ``cols`` sorted; a row in no
        block is empty. The list is emptied: each block is copied into its place in the
        matrix and released, so the pairs are held about once (not concatenated, then moved
        into row order)."""
        index = np.int32 if shape[1] < 2**31 else np.int64
        per_row = np.zeros(shape[0], dtype=np.int64)
        for rows, counts, _, _ in blocks:
            per_row[rows] = counts
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(per_row, out=indptr[1:])
        data = np.empty(int(indptr[-1]), dtype=float)
        indices = np.empty(int(indptr[-1]), dtype=index)
        blocks.reverse()
        while blocks:
            rows, counts, cols, seconds = blocks.pop()
            if not len(cols):
                continue
            # the block's pairs are its rows' runs one after the other: the run of row k
            # starts at indptr[rows[k]] in the matrix, at first[k] in the block
            first = np.cumsum(counts) - counts
            at = np.repeat(indptr[rows] - first, counts) + np.arange(len(cols))
            data[at] = seconds
            indices[at] = cols
        return cls(sp.csr_matrix((data, indices, indptr), shape=shape))

    @classmethod
    def from_dense(cls, times: np.ndarray, cutoff_s: float | None = None) -> SparseTimes:
        """From a dense matrix (``inf`` = unreachable), keeping times ``<= cutoff_s``."""
        t = np.asarray(times, dtype=float)
        if t.ndim != 2:
            raise ValueError(f"times must be 2-D; found shape {t.shape}")
        keep = np.isfinite(t) if cutoff_s is None else t <= cutoff_s
        row, col = np.nonzero(keep)
        return cls.from_triplets(row, col, t[row, col], t.shape)

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> SparseTimes:
        """Nothing reached."""
        return cls(sp.csr_matrix(shape, dtype=float))

    # -- views ----------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def nnz(self) -> int:
        """Pairs stored (reached within the cutoff)."""
        return int(self.matrix.nnz)

    @property
    def T(self) -> SparseTimes:  # noqa: N802 - the numpy spelling
        """The transpose (cols x rows)."""
        return SparseTimes(self.matrix.T.tocsr())

    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, col, seconds) of every stored pair, row-major."""
        m = self.matrix
        row = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        return row, m.indices.astype(np.int64), m.data

    def to_dense(self) -> np.ndarray:
        """The dense matrix, ``inf`` where absent (small matrices only)."""
        out = np.full(self.shape, np.inf)
        row, col, seconds = self.triplets()
        out[row, col] = seconds
        return out

    def take_rows(self, index: Sequence[int] | np.ndarray) -> SparseTimes:
        """The rows ``index`` (repeats allowed), in that order."""
        return SparseTimes(self.matrix[np.asarray(index, dtype=np.int64)])

    # -- queries --------------------------------------------------------------------------

    def within(self, threshold_s: float | np.ndarray) -> sp.csr_matrix:
        """0/1 matrix of the pairs within ``threshold_s`` (inclusive; a scalar or one value
        per row)."""
        m = self.matrix
        limit = np.broadcast_to(np.asarray(threshold_s, dtype=float), (m.shape[0],))
        keep = m.data <= np.repeat(limit, np.diff(m.indptr))
        out = sp.csr_matrix((keep.astype(float), m.indices.copy(), m.indptr.copy()), shape=m.shape)
        out.eliminate_zeros()
        return out

    def pairs(self, threshold_s: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the pairs within ``threshold_s`` (see :meth:`within`)."""
        hit = self.within(threshold_s).tocoo()
        return hit.row.astype(np.int64), hit.col.astype(np.int64)

    def totals_within(self, weights: np.ndarray, threshold_s: float | np.ndarray) -> np.ndarray:
        """Per row, the sum of the column ``weights`` within ``threshold_s``."""
        w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
        if len(w) != self.shape[1]:
            raise ValueError(f"weights must have one value per column ({self.shape[1]}); found {len(w)}")
        return np.asarray(self.within(threshold_s) @ w, dtype=float).reshape(-1)

    def col_min(self) -> np.ndarray:
        """Per column, the shortest time over the rows (``inf`` when none reaches it)."""
        out = np.full(self.shape[1], np.inf)
        _, col, seconds = self.triplets()
        np.minimum.at(out, col, seconds)
        return out

    def group_min(
        self, labels: Sequence[object], rows: Sequence[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, SparseTimes]:
        """Row-wise minimum within groups of rows.

        Parameters
        ----------
        labels : sequence, one per row (of ``rows`` when given)
            Group of each row.
        rows : sequence of int, optional
            The rows grouped (repeats allowed: a row in several groups), in the order of
            ``labels``; default every row. The same as ``take_rows(rows).group_min(labels)``
            without the copy of those rows.

        Returns
        -------
        groups : numpy.ndarray
            Sorted unique labels (the rows of the result).
        times : SparseTimes
            (n_groups, n_cols). Computed a few groups at a time (at most
            :data:`GROUP_MIN_PAIRS` pairs each), so the memory of the work follows those
            groups, not the whole matrix (33 M pairs for the drive times of the 262-commune
            region's shop cells).
        """
        lab = np.asarray(labels, dtype=object)
        taken = np.arange(self.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
        if len(lab) != len(taken):
            raise ValueError(f"labels must have one value per row ({len(taken)}); found {len(lab)}")
        groups = np.array(sorted(set(lab.tolist())), dtype=object)
        if not len(groups):
            return groups, SparseTimes.empty((0, self.shape[1]))
        code = pd.Index(groups).get_indexer(lab)
        order = np.argsort(code, kind="stable")
        code, taken = code[order], taken[order]
        first = np.searchsorted(code, np.arange(len(groups)))  # each group's first row
        bounds = np.append(first, len(code))
        ends = np.cumsum(np.diff(self.matrix.indptr)[taken])[bounds[1:] - 1]  # pairs up to each group's end
        pieces, g0 = [], 0
        while g0 < len(groups):  # consecutive groups up to the budget (at least one)
            before = ends[g0 - 1] if g0 else 0
            g1 = max(g0 + 1, int(np.searchsorted(ends, before + GROUP_MIN_PAIRS, side="right")))
            lo, hi = bounds[g0], bounds[g1]
            row, col, seconds = SparseTimes(self.matrix[taken[lo:hi]]).triplets()
            shape = (g1 - g0, self.shape[1])
            pieces.append(SparseTimes.from_triplets(code[lo:hi][row] - g0, col, seconds, shape).matrix)
            g0 = g1
        return groups, SparseTimes(sp.vstack(pieces, format="csr"))


GROUP_MIN_PAIRS = 2_000_000
"""Pairs of the rows :meth:`SparseTimes.group_min` reduces at once."""


def as_sparse(times: np.ndarray | SparseTimes) -> SparseTimes:
    """``times`` as :class:`SparseTimes` (a dense matrix keeps its finite entries)."""
    return times if isinstance(times, SparseTimes) else SparseTimes.from_dense(times)
