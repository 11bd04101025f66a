"""Revealed catchment: where the customers of each district really come from.

Two observed sources, both by statistical sector of origin:

* voucher / loyalty transactions (``customer_sector`` -> merchant -> district);
* mobile-operator OD flows: trips during shopping hours into the sectors a district lies in.

Counts from fewer than ``k`` customers are suppressed before anything leaves this module
(``docs/catchment.md``, privacy). The comparison with the Huff model spreads each sector's
observed customers over its H3 cells like its population (area weighting, as in
``gold.h3_cells``) and sums them per modelled tier.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from pipelines.catchment.huff import catchment_tiers
from pipelines.constants import CRS_METRIC

SOURCES = ("vouchers", "od")


def od_destination_districts(sectors: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """District of each sector that a district overlaps most (by area); others are missing.

    Returns
    -------
    pandas.Series of string
        ``district_id`` indexed by ``sector_id``.
    """
    s = sectors.to_crs(CRS_METRIC)
    d = districts.to_crs(CRS_METRIC)
    d_idx, s_idx = s.sindex.query(d.geometry.to_numpy(), predicate="intersects")
    area = shapely.area(
        shapely.intersection(s.geometry.to_numpy()[s_idx], d.geometry.to_numpy()[d_idx])
    )
    pairs = pd.DataFrame({"sector": s_idx, "district": d_idx, "area": area})
    best = pairs.sort_values(["sector", "area"], ascending=[True, False]).drop_duplicates("sector")
    out = pd.Series(pd.NA, index=s["sector_id"].to_numpy(), dtype="string", name="district_id")
    out.iloc[best["sector"].to_numpy()] = d["district_id"].to_numpy()[best["district"].to_numpy()]
    return out


def count_matrix(
    origin: pd.Series,
    district: pd.Series,
    weight: pd.Series,
    origin_ids: np.ndarray,
    district_ids: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Observed counts as an (origins x districts) matrix.

    Returns
    -------
    counts : numpy.ndarray
    dropped : float
        Total weight of the rows whose origin or district is unknown (reported, not lost
        silently).
    """
    oi = pd.Index(origin_ids).get_indexer(origin.astype("object"))
    dj = pd.Index(district_ids).get_indexer(district.astype("object"))
    ok = (oi >= 0) & (dj >= 0)
    w = weight.to_numpy(dtype=float)
    counts = np.zeros((len(origin_ids), len(district_ids)))
    np.add.at(counts, (oi[ok], dj[ok]), w[ok])
    return counts, float(w[~ok].sum())


def revealed_table(
    counts: np.ndarray, sector_ids: np.ndarray, district_ids: np.ndarray, source: str, k: int
) -> pd.DataFrame:
    """Observed customers per (district, origin sector) with revealed tiers, suppressed below k.

    Returns
    -------
    pandas.DataFrame
        ``district_id, source, sector_id, customers, share, tier, suppressed``: one row per
        pair with at least one observation. ``share`` is of the district's observed total;
        ``tier`` (1/2/3, 0 = outside) ranks sectors by customers as for the modelled tiers.
        Where fewer than ``k`` customers were seen, ``customers``, ``share`` and ``tier`` are
        null and ``suppressed`` is true.
    """
    rows = []
    for j, district in enumerate(district_ids):
        column = counts[:, j]
        total = column.sum()
        if total <= 0:
            continue
        tiers = catchment_tiers(column)
        for i in np.flatnonzero(column > 0):
            hidden = column[i] < k
            rows.append(
                (
                    district,
                    source,
                    sector_ids[i],
                    None if hidden else column[i],
                    None if hidden else column[i] / total,
                    None if hidden else tiers[i],
                    hidden,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=["district_id", "source", "sector_id", "customers", "share", "tier", "suppressed"],
    )
    return frame.astype(
        {"customers": "Float64", "share": "Float64", "tier": "Int64", "suppressed": "bool"}
    )


def sector_cell_weights(crosswalk: pd.DataFrame, cell_h3: np.ndarray, sector_ids: np.ndarray) -> sp.csr_matrix:
    """(cells x sectors) matrix of the share of each sector's area in each cell (columns sum
    to 1), from ``gold.cell_sectors`` (:func:`pipelines.cells.cell_sectors`); rows in the
    order of ``cell_h3``, columns in the order of ``sector_ids``."""
    rows = pd.Index(np.asarray(cell_h3, dtype="uint64")).get_indexer(crosswalk["h3"].to_numpy(dtype="uint64"))
    cols = pd.Index(np.asarray(sector_ids).astype(str)).get_indexer(crosswalk["sector_id"].astype(str).to_numpy())
    ok = (rows >= 0) & (cols >= 0)
    return sp.csr_matrix(
        (crosswalk["weight"].to_numpy(dtype=float)[ok], (rows[ok], cols[ok])), shape=(len(cell_h3), len(sector_ids))
    )


def _column(matrix: np.ndarray | sp.spmatrix, j: int) -> np.ndarray:
    """Column ``j`` of a dense or sparse matrix, dense."""
    if not sp.issparse(matrix):
        return np.asarray(matrix)[:, j]
    m = matrix.tocsc()  # itself when already CSC
    start, end = m.indptr[j], m.indptr[j + 1]
    column = np.zeros(m.shape[0], dtype=m.dtype)
    column[m.indices[start:end]] = m.data[start:end]
    return column


def comparison_table(
    cell_tier: np.ndarray | sp.spmatrix,
    expected: np.ndarray | sp.spmatrix,
    population: np.ndarray,
    observed: dict[str, np.ndarray | sp.spmatrix],
    district_ids: np.ndarray,
    k: int,
) -> pd.DataFrame:
    """Modelled versus observed share of customers per district and modelled tier.

    Parameters
    ----------
    cell_tier : numpy.ndarray or scipy.sparse matrix, shape (n_cells, n_districts)
        Modelled tier of each cell (0 = outside).
    expected : numpy.ndarray or scipy.sparse matrix, shape (n_cells, n_districts)
        Huff expected customers.
    population : numpy.ndarray, shape (n_cells,)
    observed : dict of source -> numpy.ndarray or scipy.sparse matrix, shape (n_cells, n_districts)
        Observed customers spread over cells.
    district_ids : numpy.ndarray
    k : int
        Suppression threshold: a share computed from fewer than ``k`` observations is null.

    Returns
    -------
    pandas.DataFrame
        ``district_id, tier (1, 2, 3, 0 = outside), n_cells, population, modelled_share``
        and, per source, ``<source>_share`` and ``<source>_n`` (the district's observed
        total). A share is null when the district has fewer than ``k`` observations or the
        tier between 0 and ``k`` (exclusive); a tier with no observation shows 0.

    Sparse matrices (CSC: one column per district) spare the dense cells x districts arrays.
    """
    rows = []
    for j, district in enumerate(district_ids):
        tiers, e = _column(cell_tier, j), _column(expected, j)
        obs = {source: _column(m, j) for source, m in observed.items()}
        total_e = e.sum()
        for tier in (1, 2, 3, 0):
            inside = tiers == tier
            row = {
                "district_id": district,
                "tier": tier,
                "n_cells": int(inside.sum()),
                "population": float(population[inside].sum()),
                "modelled_share": float(e[inside].sum() / total_e) if total_e > 0 else None,
            }
            for source, o in obs.items():
                n = float(o.sum())
                part = float(o[inside].sum())
                shown = n >= k and (part == 0 or part >= k)
                row[f"{source}_share"] = part / n if shown else None
                row[f"{source}_n"] = n if n >= k else None
            rows.append(row)
    columns = ["district_id", "tier", "n_cells", "population", "modelled_share"]
    columns += [f"{source}_{part}" for source in observed for part in ("share", "n")]
    frame = pd.DataFrame(rows, columns=columns)  # zero districts (a village): empty, same columns
    if frame.empty:
        frame = frame.astype({"district_id": "str", "tier": "int64", "n_cells": "int64", "population": "float64", "modelled_share": "float64"})
    casts = {c: "Float64" for c in frame.columns if c.endswith(("_share", "_n"))}
    return frame.astype(casts)
