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
        blocks: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
        shape: tuple[int, int],
    ) -> SparseTimes:
        """From blocks of whole rows, in any row order: per block ``(rows, counts, cols,
        seconds)`` with ``counts[k]`` pairs for ``rows[k]``, its ``cols`` sorted; a row in no
        block is empty. Memory: the pairs once, no global sort."""
        if not blocks:
            return cls.empty(shape)
        rows, counts, cols, seconds = (np.concatenate(part) for part in zip(*blocks, strict=True))
        indptr = np.zeros(len(rows) + 2, dtype=np.int64)  # + one empty row for absent rows
        np.cumsum(counts, out=indptr[1 : len(rows) + 1])
        indptr[-1] = indptr[-2]
        index = cols.astype(np.int32 if shape[1] < 2**31 else np.int64, copy=False)
        stacked = sp.csr_matrix((seconds, index, indptr), shape=(len(rows) + 1, shape[1]))
        if len(rows) == shape[0] and (len(rows) < 2 or (rows[1:] > rows[:-1]).all()):
            # every row, in order: nothing to move
            return cls(sp.csr_matrix((seconds, index, indptr[:-1]), shape=shape))
        position = np.full(shape[0], len(rows), dtype=np.int64)
        position[rows] = np.arange(len(rows))
        return cls(stacked[position])

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

    def group_min(self, labels: Sequence[object]) -> tuple[np.ndarray, SparseTimes]:
        """Row-wise minimum within groups of rows.

        Parameters
        ----------
        labels : sequence, one per row
            Group of each row.

        Returns
        -------
        groups : numpy.ndarray
            Sorted unique labels (the rows of the result).
        times : SparseTimes
            (n_groups, n_cols).
        """
        lab = np.asarray(labels, dtype=object)
        if len(lab) != self.shape[0]:
            raise ValueError(f"labels must have one value per row ({self.shape[0]}); found {len(lab)}")
        groups = np.array(sorted(set(lab.tolist())), dtype=object)
        code = pd.Index(groups).get_indexer(lab) if len(groups) else np.zeros(0, dtype=np.int64)
        row, col, seconds = self.triplets()
        return groups, SparseTimes.from_triplets(code[row], col, seconds, (len(groups), self.shape[1]))


def as_sparse(times: np.ndarray | SparseTimes) -> SparseTimes:
    """``times`` as :class:`SparseTimes` (a dense matrix keeps its finite entries)."""
    return times if isinstance(times, SparseTimes) else SparseTimes.from_dense(times)
