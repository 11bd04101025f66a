"""The catchment gold tables, built from frames: one function per asset.

``assets/gold/catchment.py`` reads the tables an asset declares, calls one function here and
writes what it returns (:class:`TableResult`: the table, its metadata, its check outcomes).
Nothing here knows the lake or Dagster. Observed sources (vouchers, OD) are optional: when
they are missing the functions return empty typed tables with ``status = not_computable`` and
the sources they need, and the Huff beta is the documented default with ``calibrated = false``
(never silently imputed). docs/catchment.md.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from pipelines import db
from pipelines.arrays import distinct, positions
from pipelines.catchment.area import JOBS_PER_ESTABLISHMENT, isochrone_table, travel_time_table
from pipelines.catchment.area import isochrone_totals as isochrone_totals_of
from pipelines.catchment.checks import (
    comparison_checks,
    huff_checks,
    isochrone_checks,
    revealed_checks,
    tier_checks,
    travel_time_checks,
)
from pipelines.catchment.model import (
    DEFAULT_BETA,
    calibrate,
    calibration_metadata,
    cell_tiers,
    huff_table,
    tier_table,
)
from pipelines.catchment.revealed import (
    comparison_table,
    count_matrix,
    od_destination_districts,
    revealed_table,
    sector_cell_weights,
)
from pipelines.constants import SHOPPING_HOURS, TIMEZONE
from pipelines.districts import CONTAINMENT, assign_districts
from pipelines.grid import points_to_cells
from pipelines.results import TableResult

COMPUTED, NOT_COMPUTABLE = "computed", "not_computable"

VOUCHER_ORIGIN_TYPES = {
    "customer_sector": "string",
    "customer_postcode": "string",
    "merchant_id": "string",
    "merchant_nis": "string",
    "district_id": "string",
    "customers": "int64",
}
"""Columns of gold.voucher_origins."""

OD_TRIP_TYPES = {"origin_sector": "string", "destination_sector": "string", "trips": "float64"}


def _status(computed: bool, needs: list[str]) -> dict[str, object]:
    if computed:
        return {"status": COMPUTED}
    return {"status": NOT_COMPUTABLE, "needs": ", ".join(needs)}


# -- network access ------------------------------------------------------------------------


def travel_times(
    nodes: pd.DataFrame, edges: pd.DataFrame, cells: pd.DataFrame, districts: pd.DataFrame
) -> TableResult:
    """gold.travel_times: walk/bike/drive minutes and drive km from every cell to every district
    within reach (:data:`pipelines.catchment.area.TIME_LIMIT_MIN`).

    Parameters
    ----------
    nodes, edges : geopandas.GeoDataFrame
        ``silver.network_nodes`` and ``silver.network_edges``.
    cells : pandas.DataFrame
        ``gold.h3_cells`` (``h3``).
    districts : pandas.DataFrame
        ``gold.districts`` (``district_id, origin_lon, origin_lat``).
    """
    times = travel_time_table(nodes, edges, cells["h3"].to_numpy(), districts)
    n = max(len(cells), 1)
    meta: dict[str, object] = {
        f"{m}_cells_reaching_share": float(times.loc[np.isfinite(times[f"{m}_min"]), "h3"].nunique() / n)
        for m in ("walk", "bike", "drive")
    }
    meta.update({"pairs": len(times), "pairs_if_dense": len(cells) * len(districts)})
    return TableResult(times, meta, travel_time_checks(times, len(cells), len(districts)))


def cell_weights(cells: pd.DataFrame) -> pd.DataFrame:
    """``h3, population, workers`` of every cell; workers = establishments x jobs proxy."""
    return pd.DataFrame(
        {
            "h3": cells["h3"],
            "population": cells["population"],
            "workers": cells["establishments"].fillna(0).to_numpy(dtype=float) * JOBS_PER_ESTABLISHMENT,
        }
    )


def isochrone_totals(times: pd.DataFrame, cells: pd.DataFrame, districts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The population and workers each district reaches within each isochrone's cutoff, from
    ``gold.travel_times`` (``cells``: ``gold.h3_cells``): what :func:`isochrones` needs of
    the travel times, so that the table can be freed before the geometry is built."""
    return isochrone_totals_of(districts, times, cell_weights(cells))


def isochrones(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    districts: pd.DataFrame,
    totals: dict[str, np.ndarray],
) -> TableResult:
    """gold.isochrones of every district with the population and workers they reach
    (``totals``: :func:`isochrone_totals`)."""
    frame = isochrone_table(nodes, edges, districts, totals)
    meta: dict[str, object] = {"workers_proxy": f"KBO establishments x {JOBS_PER_ESTABLISHMENT:.0f}"}
    return TableResult(frame, meta, isochrone_checks(frame, len(districts)))


# -- observed customers --------------------------------------------------------------------


def _typed(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame({c: frame[c] if c in frame else pd.Series(dtype=t) for c, t in types.items()})
    return out.astype(types).reset_index(drop=True)


def voucher_origins(
    transactions: pd.DataFrame,
    merchants: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
) -> TableResult:
    """gold.voucher_origins: customers per origin and merchant, with the merchant's district.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Every day of ``silver.transactions`` (may be empty, even without columns: no scheme).
    merchants : geopandas.GeoDataFrame
        ``silver.merchants`` (``merchant_id``, point geometry).
    districts : geopandas.GeoDataFrame
        ``gold.districts``.
        A merchant belongs to the district whose outline holds it (policy ``containment``, the
        rule friction's customer-origin indicator uses too; docs/methods.md).

    Returns
    -------
    TableResult
        ``customer_sector, customer_postcode, merchant_id, merchant_nis, district_id,
        customers``; rows without a customer sector or outside every district are kept (null)
        so they are counted and reported, not lost.
    """
    if transactions.empty:
        frame = _typed(pd.DataFrame(), VOUCHER_ORIGIN_TYPES)
        return TableResult(frame, {**_status(False, ["vouchers"]), **choice_summary(frame)})
    con = db.connect(spatial=False)
    con.register("transactions", transactions[["customer_sector", "customer_postcode", "merchant_id", "merchant_nis"]])
    origins = db.query(con, "gold.voucher_origins")
    con.close()
    where = assign_districts(merchants, districts, policy=CONTAINMENT)
    origins["district_id"] = origins["merchant_id"].map(where.set_axis(merchants["merchant_id"].to_numpy()))
    frame = _typed(origins, VOUCHER_ORIGIN_TYPES)
    return TableResult(frame, {**_status(True, []), **choice_summary(frame)})


def choice_summary(origins: pd.DataFrame) -> dict[str, object]:
    """Voucher customers in all, and those without a customer sector or outside districts."""
    return {
        "transactions": int(origins["customers"].sum()),
        "transactions_without_sector": int(origins.loc[origins["customer_sector"].isna(), "customers"].sum()),
        "transactions_outside_districts": int(origins.loc[origins["district_id"].isna(), "customers"].sum()),
    }


def od_shopping_trips(od_flows: pd.DataFrame, hours: tuple[int, int] = SHOPPING_HOURS) -> pd.DataFrame:
    """Trips between sectors arriving during shopping ``hours`` (local), summed over all days.

    ``od_flows`` is every day of ``silver.od_flows``; empty (even without columns) when the
    commune holds no operator data.
    """
    if od_flows.empty:
        return _typed(pd.DataFrame(), OD_TRIP_TYPES)
    con = db.connect(spatial=False)
    con.register("od", od_flows[["origin_sector", "destination_sector", "ts", "trips"]])
    out = db.query(con, "gold.od_shopping_trips", tz=TIMEZONE, from_hour=hours[0], to_hour=hours[1])
    con.close()
    return _typed(out, OD_TRIP_TYPES)


# -- Huff ----------------------------------------------------------------------------------


def _cost_rows(times: pd.DataFrame, cells: np.ndarray, ids: np.ndarray, columns: list[str]) -> list[np.ndarray]:
    """Dense (len(cells) x districts) blocks of cost columns of gold.travel_times, ``inf``
    for the pairs the table leaves out (beyond reach); a cell may be asked several times."""
    wanted = distinct(np.asarray(cells, dtype="uint64"))
    rows = times[times["h3"].isin(wanted)]
    at = np.searchsorted(wanted, rows["h3"].to_numpy()), positions(rows["district_id"], ids)
    blocks = []
    for column in columns:
        block = np.full((len(wanted), len(ids)), np.inf)
        block[at] = rows[column].to_numpy(float)
        blocks.append(block[np.searchsorted(wanted, np.asarray(cells, dtype="uint64"))])
    return blocks


HUFF_TIME_COLUMNS = ("h3", "district_id", "drive_min", "drive_km")
"""What :func:`huff` reads of gold.travel_times."""


def huff(
    districts: pd.DataFrame,
    times: pd.DataFrame,
    cells: pd.DataFrame,
    sectors: gpd.GeoDataFrame,
    origins: pd.DataFrame,
) -> TableResult:
    """gold.huff: probability and expected customers per (cell, district), beta calibrated.

    Parameters
    ----------
    districts : pandas.DataFrame
        ``district_id, n_shops`` (attractiveness).
    times : pandas.DataFrame
        gold.travel_times (cost = ``drive_km``; the choice set of a cell is the districts
        within a 30-minute drive).
    cells : pandas.DataFrame
        gold.h3_cells (``h3, population``).
    sectors : geopandas.GeoDataFrame
        silver.sectors (``sector_id``, geometry): the customer's sector point -> its cell.
    origins : pandas.DataFrame
        gold.voucher_origins. Empty: beta = :data:`DEFAULT_BETA`, ``calibrated = false``.
    """
    ids = districts["district_id"].to_numpy()
    attract = districts["n_shops"].to_numpy(dtype=float)
    # the choice set: pairs within a 30-minute drive; the others cost inf (probability 0,
    # no row), which spares filtering millions of rows
    within = np.isfinite(times["drive_min"].to_numpy(float))
    pairs = times[["h3", "district_id", "drive_min"]].assign(
        cost_km=np.where(within, times["drive_km"].to_numpy(float), np.inf)
    )
    info = choice_summary(origins)
    result = time_result = None
    choices = origins.dropna(subset=["customer_sector", "district_id"])
    if len(choices) and len(sectors) and len(ids):
        sector_cells = points_to_cells(sectors.geometry.representative_point())
        in_grid = np.isin(sector_cells, cells["h3"].to_numpy())
        counts, _ = count_matrix(choices["customer_sector"], choices["district_id"], choices["customers"], sectors["sector_id"].to_numpy(), ids)
        cost, minutes = _cost_rows(pairs, sector_cells, ids, ["cost_km", "drive_min"])
        unusable = ~in_grid[:, None] | ~np.isfinite(cost)  # outside the grid, or beyond reach
        info["transactions_unroutable"] = int(counts[unusable].sum())
        counts[unusable] = 0
        if counts.sum() > 0:
            result = calibrate(attract, cost, counts)
            time_result = calibrate(attract, minutes, counts, min_cost=1.0)
    beta = result.beta if result is not None else DEFAULT_BETA
    frame = huff_table(cells[["h3", "population"]].fillna({"population": 0.0}), ids, attract, pairs, beta)
    meta: dict[str, object] = {**info, **calibration_metadata(result)}
    if result is None:
        meta["needs"] = "vouchers (transactions with a customer sector at merchants in a district)"
    if time_result is not None:
        meta.update({"alt_drive_minutes_beta": time_result.beta, "alt_drive_minutes_log_likelihood": time_result.log_likelihood})
    reached = np.isin(cells["h3"].to_numpy(), frame["h3"].to_numpy())
    reaching = float(np.nansum(cells["population"].to_numpy(float)[reached]))
    fit_ok = result is not None and result.converged and not result.at_bound
    checks = huff_checks(frame, reaching, calibrated=result is not None, fit_ok=fit_ok, beta=beta)
    return TableResult(frame, meta, checks)


TIER_INPUT_COLUMNS = ("h3", "district_id", "expected_customers")
"""What the tiers read of gold.huff (:func:`catchment`, and the modelled side of :func:`revealed`)."""


def catchment(huff_frame: pd.DataFrame, cells: pd.DataFrame) -> TableResult:
    """gold.catchment: the 60 / 80 / 95 % tiers of every district as polygons.

    ``huff_frame`` is gold.huff (:data:`TIER_INPUT_COLUMNS` suffice), ``cells`` gold.h3_cells
    (``h3, population``): each pair's population is looked up by its cell (missing when the
    cell is not in the grid), not merged (a copy of the 7.5 million pairs at 262 communes).
    """
    population = cells.drop_duplicates("h3").set_index("h3")["population"]
    frame = tier_table(huff_frame.assign(population=population.reindex(huff_frame["h3"].to_numpy()).to_numpy()))
    return TableResult(frame, {}, tier_checks(frame, districts=int(huff_frame["district_id"].nunique())))


# -- revealed catchment --------------------------------------------------------------------


REVEALED_NEEDS = ["vouchers", "od"]


def _observed_counts(
    districts: pd.DataFrame, sectors: gpd.GeoDataFrame, origins: pd.DataFrame, od_trips: pd.DataFrame
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """(sectors x districts) observed customers per source, and notes on unusable rows."""
    ids, sector_ids = districts["district_id"].to_numpy(), sectors["sector_id"].to_numpy()
    choices = origins.dropna(subset=["customer_sector", "district_id"])
    info = choice_summary(origins)
    counts = {"vouchers": count_matrix(choices["customer_sector"], choices["district_id"], choices["customers"], sector_ids, ids)[0]}
    if len(od_trips):
        district = od_trips["destination_sector"].map(od_destination_districts(sectors, districts))
        counts["od"], dropped = count_matrix(od_trips["origin_sector"], district, od_trips["trips"], sector_ids, ids)
        info["od_trips_to_districts"] = float(counts["od"].sum())
        info["od_trips_elsewhere"] = dropped
    return counts, info


def _grid(huff_frame: pd.DataFrame, cells: pd.DataFrame, ids: np.ndarray) -> tuple[sp.csc_matrix, sp.csc_matrix]:
    """(cells x districts) modelled tier and expected customers, sparse: the pairs of
    gold.huff (absent pairs: tier 0, no customers)."""
    position = pd.Index(cells["h3"]).get_indexer(huff_frame["h3"])
    column = positions(huff_frame["district_id"], ids)
    ok = (position >= 0) & (column >= 0)
    at, shape = (position[ok], column[ok]), (len(cells), len(ids))
    tiers = sp.csc_matrix((cell_tiers(huff_frame).to_numpy()[ok], at), shape=shape)
    expected = sp.csc_matrix((huff_frame["expected_customers"].to_numpy(float)[ok], at), shape=shape)
    return tiers, expected


def revealed(
    districts: pd.DataFrame,
    sectors: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    cell_sectors: pd.DataFrame,
    huff_frame: pd.DataFrame,
    origins: pd.DataFrame,
    od_trips: pd.DataFrame,
    k: int,
) -> tuple[TableResult, TableResult]:
    """gold.revealed_catchment and gold.catchment_comparison.

    Parameters
    ----------
    districts, sectors, cells, cell_sectors, huff_frame
        gold.districts, silver.sectors, gold.h3_cells, gold.cell_sectors (the cells' share of
        each sector, :func:`pipelines.cells.cell_sectors`), gold.huff.
    origins : pandas.DataFrame
        gold.voucher_origins.
    od_trips : pandas.DataFrame
        :func:`od_shopping_trips`.
    k : int
        Suppression threshold.

    Returns
    -------
    (revealed, comparison)
        With neither source, ``revealed`` is empty (typed) and ``comparison`` keeps the
        modelled shares with null observed shares; both say ``status = not_computable``.
    """
    ids = districts["district_id"].to_numpy()
    counts, info = _observed_counts(districts, sectors, origins, od_trips)
    parts = [revealed_table(m, sectors["sector_id"].to_numpy(), ids, s, k) for s, m in counts.items()]
    table = pd.concat(parts, ignore_index=True).merge(sectors[["sector_id", "geometry"]], on="sector_id", how="left")
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=sectors.crs)
    seen = [s for s, m in counts.items() if m.sum() > 0]
    status = _status(bool(seen), REVEALED_NEEDS)
    meta = {**status, **info, "sources": ", ".join(seen), "suppression_k": k, "suppressed_rows": int(table["suppressed"].sum())}
    first = TableResult(table, meta, revealed_checks(table, k))

    tiers, expected = _grid(huff_frame, cells, ids)
    weights = sector_cell_weights(cell_sectors, cells["h3"].to_numpy(), sectors["sector_id"].to_numpy())
    observed = {s: (weights @ sp.csr_matrix(m)).tocsc() for s, m in counts.items()}
    frame = comparison_table(tiers, expected, cells["population"].to_numpy(), observed, ids, k)
    meta2: dict[str, object] = dict(status)
    for source in observed:
        gap = (frame[f"{source}_share"] - frame["modelled_share"]).abs()
        meta2[f"{source}_mean_abs_gap"] = float(gap.mean()) if gap.notna().any() else None
        primary = frame.loc[frame["tier"] == 1, f"{source}_share"].dropna()
        meta2[f"{source}_share_in_primary_mean"] = float(primary.mean()) if len(primary) else None
    return first, TableResult(frame, meta2, comparison_checks(frame))
