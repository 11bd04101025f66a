"""Gold: catchment areas (zones de chalandise) of the shopping districts.

Three views, side by side: network isochrones (drive-time areas), the Huff model calibrated
on observed customers (with its 60/80/95 % tiers), and the revealed catchment of voucher
transactions and mobile-operator OD flows, compared tier by tier. docs/catchment.md.
"""


import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd

from assets.common import OWNERS, table_metadata
from pipelines import db
from pipelines.catchment.area import (
    ISOCHRONE_MINUTES,
    JOBS_PER_ESTABLISHMENT,
    isochrone_table,
    travel_time_table,
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
    assign_districts,
    comparison_table,
    count_matrix,
    od_destination_districts,
    revealed_table,
    sector_cell_weights,
)
from pipelines.constants import TIMEZONE
from pipelines.grid import latlng_to_cells, points_to_cells
from pipelines.lake import Lake
from pipelines.resources import LakeResource, SettingsResource

SHOPPING_HOURS = (9, 19)
"""Local hours [from, to) of the OD trips counted as shopping trips."""


def _key(name: str) -> list[str]:
    return ["gold", name]


def _deps(*names: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(n.split(".")) for n in names]


def _spec(name: str, deps: list[str], description: str, checks: dict[str, str], kinds: set[str] | None = None) -> dict[str, object]:
    return dict(
        key=_key(name),
        deps=_deps(*deps),
        group_name="gold",
        kinds={"python", "parquet"} | (kinds or set()),
        owners=OWNERS,
        description=description,
        check_specs=[dg.AssetCheckSpec(c, asset=_key(name), description=d) for c, d in checks.items()],
    )


def _check(name: str, passed: bool, **metadata: object) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=name, passed=bool(passed), metadata=metadata)


def _read_days(lk: Lake, relation: str, table: str, param: str, **params: object) -> pd.DataFrame | None:
    """Run ``gold.<relation>`` with ``$<param>`` = every partition of ``silver.<table>`` (None if none)."""
    if not any((lk.root / "lake" / "silver" / table).glob("day=*/part.parquet")):
        return None
    return db.query(db.connect(spatial=False), f"gold.{relation}", **{param: lk.glob("silver", table)}, **params)


TIMES_KEY, ISO_KEY = _key("travel_times"), _key("isochrones")
_NETWORK = ["gold.districts", "gold.h3_cells", "silver.road_network"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            TIMES_KEY,
            deps=_deps(*_NETWORK),
            group_name="gold",
            kinds={"python", "parquet", "scipy"},
            owners=OWNERS,
            description=(
                "Travel cost from the centre of every H3 cell of the territory to every shopping "
                "district: walk_min, bike_min, drive_min (fastest trip on each mode's street "
                "network, one-way streets respected, both ends snapped to their nearest street "
                "edge) and drive_km (shortest drive). inf when unreachable. One csgraph Dijkstra "
                "per district on the reversed network."
            ),
        ),
        dg.AssetSpec(
            ISO_KEY,
            deps=_deps(*_NETWORK, "bronze.kbo"),
            group_name="gold",
            kinds={"python", "parquet", "scipy", "shapely"},
            owners=OWNERS,
            description=(
                "Street-network isochrones of every shopping district: 5/10/15 min walk (4.8 km/h), "
                "10/20 min bike (15 km/h), 10/20/30 min drive (OSM maxspeed or highway defaults), "
                "from the district's origin shop. The polygon is the area along the reached streets "
                "(25/40/100 m buffers), partial streets cut where the time runs out. population: "
                "residents of the H3 cells whose centre is reached; workers: a proxy, KBO "
                f"establishments (all activities) in those cells x {JOBS_PER_ESTABLISHMENT:.0f} jobs "
                "(no employment data)."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("complete", asset=TIMES_KEY, description="One row per (cell, district); drive reaches at least 95 % of the cells."),
        dg.AssetCheckSpec("complete", asset=ISO_KEY, description="Every district has every mode and cutoff, with a non-empty valid polygon."),
        dg.AssetCheckSpec("nested", asset=ISO_KEY, description="Population, workers and area never shrink when the cutoff grows."),
    ],
)
def access(lake: LakeResource):  # noqa: ANN201
    lk = lake.lake
    districts = lk.read("gold", "districts")
    cells = lk.read("gold", "h3_cells")
    nodes, edges = lk.read("silver", "network_nodes"), lk.read("silver", "network_edges")
    times = travel_time_table(nodes, edges, cells["h3"].to_numpy(), districts)
    path = lk.write(times, "gold", "travel_times")
    reached = float(np.isfinite(times["drive_min"]).mean()) if len(times) else 0.0
    meta = table_metadata(times, str(path))
    meta.update({f"{m}_reached_share": float(np.isfinite(times[f"{m}_min"]).mean()) for m in ("walk", "bike", "drive")})
    yield dg.MaterializeResult(asset_key=TIMES_KEY, metadata=meta)
    complete = len(times) == len(cells) * len(districts) and reached >= 0.95
    yield dg.AssetCheckResult(asset_key=TIMES_KEY, check_name="complete", passed=bool(complete), metadata={"drive_reached_share": reached})

    est = lk.read("bronze", "kbo_establishments_located")
    est_cells = pd.Series(latlng_to_cells(est["lat"].to_numpy(), est["lon"].to_numpy())).value_counts()
    weights = pd.DataFrame({"h3": cells["h3"], "population": cells["population"]})
    weights["workers"] = weights["h3"].map(est_cells).fillna(0).to_numpy() * JOBS_PER_ESTABLISHMENT
    frame = isochrone_table(nodes, edges, districts, times, weights)
    path = lk.write(frame, "gold", "isochrones")
    expected = len(districts) * sum(len(m) for m in ISOCHRONE_MINUTES.values())
    ok_geom = bool(frame.geometry.is_valid.all() and (~frame.geometry.is_empty).all())
    grow = frame.groupby(["district_id", "mode"])[["population", "workers", "area_km2"]].diff().fillna(0)
    meta = table_metadata(frame, str(path))
    meta["workers_proxy"] = f"KBO establishments x {JOBS_PER_ESTABLISHMENT:.0f}"
    yield dg.MaterializeResult(asset_key=ISO_KEY, metadata=meta)
    yield dg.AssetCheckResult(asset_key=ISO_KEY, check_name="complete", passed=bool(len(frame) == expected and ok_geom), metadata={"rows": len(frame), "expected": expected})
    yield dg.AssetCheckResult(asset_key=ISO_KEY, check_name="nested", passed=bool((grow >= -1e-6).all().all()), metadata={"min_step": float(grow.min().min()) if len(grow) else 0.0})


def _observed_choices(lk: Lake, districts: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    """Voucher customers per (customer_sector, district_id) and what could not be used."""
    origins = _read_days(lk, "voucher_origins", "transactions", "transactions")
    if origins is None or origins.empty:
        return pd.DataFrame(columns=["customer_sector", "district_id", "customers"]), {"transactions": 0}
    merchants = lk.read("silver", "merchants")
    merchant_district = assign_districts(merchants, districts).set_axis(merchants["merchant_id"].to_numpy())
    origins["district_id"] = origins["merchant_id"].map(merchant_district)
    info = {
        "transactions": int(origins["customers"].sum()),
        "transactions_without_sector": int(origins.loc[origins["customer_sector"].isna(), "customers"].sum()),
        "transactions_outside_districts": int(origins.loc[origins["district_id"].isna(), "customers"].sum()),
    }
    return origins.dropna(subset=["customer_sector", "district_id"]), info


@dg.asset(**_spec(
    "huff",
    ["gold.districts", "gold.travel_times", "gold.h3_cells", "silver.sectors", "silver.merchants", "silver.transactions"],
    "Huff model per H3 cell and shopping district: probability that a resident of the cell shops "
    "in the district (attractiveness = shops in the district, alpha = 1, cost = shortest drive in "
    "km, at least 0.5 km) and expected customers = cell population x probability. beta is "
    "calibrated by maximum likelihood on the voucher transactions (customer sector -> sector "
    "point -> its H3 cell -> drive km to the merchant's district, the costs the model uses); the fitted beta, McFadden pseudo-R2 and the "
    "time-based alternative are in the metadata. beta = 2 when there are no transactions.",
    {
        "shares_sum_to_one": "Per cell, the probabilities sum to 1 (cells that reach a district).",
        "customers_conserved": "Sum of expected customers equals the population of the cells that reach a district.",
        "beta_fitted": "The calibration converged inside its bounds (skipped when there are no observations).",
    },
    {"scipy"},
))
def huff(lake: LakeResource) -> dg.MaterializeResult:
    lk = lake.lake
    districts = lk.read("gold", "districts")
    ids = districts["district_id"].to_numpy()
    attract = districts["n_shops"].to_numpy(dtype=float)
    times = lk.read("gold", "travel_times")
    cells = lk.read("gold", "h3_cells")[["h3", "population"]]
    cost = times["drive_km"].to_numpy().reshape(-1, len(ids))
    cell_ids = times["h3"].to_numpy()[:: len(ids)]  # the table is cell-major
    choices, info = _observed_choices(lk, districts)
    result = time_result = None
    if len(choices):
        sectors = lk.read("silver", "sectors")
        row = pd.Index(cell_ids).get_indexer(points_to_cells(sectors.geometry.representative_point()))
        counts, _ = count_matrix(choices["customer_sector"], choices["district_id"], choices["customers"], sectors["sector_id"].to_numpy(), ids)
        km = cost[np.maximum(row, 0)]
        unusable = (row[:, None] < 0) | ~np.isfinite(km)  # sector outside the grid, or no road
        info["transactions_unroutable"] = int(counts[unusable].sum())
        counts[unusable] = 0
        minutes = times["drive_min"].to_numpy().reshape(-1, len(ids))[np.maximum(row, 0)]
        result = calibrate(attract, km, counts)
        time_result = calibrate(attract, minutes, counts, min_cost=1.0)
    beta = result.beta if result is not None else DEFAULT_BETA
    pop = cells.set_index("h3")["population"].reindex(cell_ids).fillna(0.0)
    frame = huff_table(pd.DataFrame({"h3": cell_ids, "population": pop.to_numpy()}), ids, attract, cost, beta)
    path = lk.write(frame, "gold", "huff")

    sums = frame.groupby("h3")["probability"].sum()
    reaching = pop[np.isfinite(cost).any(axis=1)].sum()
    meta = table_metadata(frame, str(path))
    meta.update(info)
    meta.update(calibration_metadata(result))
    if time_result is not None:
        meta.update({"alt_drive_minutes_beta": time_result.beta, "alt_drive_minutes_log_likelihood": time_result.log_likelihood})
    checks = [
        _check("shares_sum_to_one", bool(np.allclose(sums.to_numpy(), 1.0, atol=1e-9)), max_error=float(np.abs(sums - 1).max()) if len(sums) else 0.0),
        _check("customers_conserved", abs(frame["expected_customers"].sum() - reaching) <= 1e-6 * max(reaching, 1), expected=float(reaching), got=float(frame["expected_customers"].sum())),
        _check("beta_fitted", result is None or (result.converged and not result.at_bound), beta=float(beta)),
    ]
    return dg.MaterializeResult(metadata=meta, check_results=checks)


@dg.asset(**_spec(
    "catchment",
    ["gold.huff", "gold.h3_cells"],
    "Modelled catchment tiers of every shopping district: primary (1), secondary (2) and "
    "tertiary (3) areas, the H3 cells that bring 60 / 80 / 95 % of the district's Huff expected "
    "customers (cells sorted by expected customers), as polygons with their population.",
    {"tier_shares": "Tiers 1, 2, 3 hold at least 60 %, 80 %, 95 % of expected customers cumulatively."},
    {"h3"},
))
def catchment(lake: LakeResource) -> dg.MaterializeResult:
    lk = lake.lake
    cells = lk.read("gold", "h3_cells")[["h3", "population"]]
    frame = tier_table(lk.read("gold", "huff").merge(cells, on="h3", how="left"))
    path = lk.write(frame, "gold", "catchment")
    cumulative = frame.pivot(index="district_id", columns="tier", values="share").cumsum(axis=1)
    ok = bool((cumulative[[1, 2, 3]] >= np.array([0.6, 0.8, 0.95]) - 1e-9).all().all()) if len(frame) else False
    checks = [_check("tier_shares", ok, min_primary=float(cumulative[1].min()) if len(frame) else 0.0)]
    return dg.MaterializeResult(metadata=table_metadata(frame, str(path)), check_results=checks)


def _revealed_counts(lk: Lake, districts: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """(sectors x districts) observed customers per source, and notes on unusable rows."""
    ids, sector_ids = districts["district_id"].to_numpy(), sectors["sector_id"].to_numpy()
    choices, info = _observed_choices(lk, districts)
    counts = {"vouchers": count_matrix(choices["customer_sector"], choices["district_id"], choices["customers"], sector_ids, ids)[0]}
    od = _read_days(lk, "od_shopping_trips", "od_flows", "od", tz=TIMEZONE, from_hour=SHOPPING_HOURS[0], to_hour=SHOPPING_HOURS[1])
    if od is not None and len(od):
        od["district_id"] = od["destination_sector"].map(od_destination_districts(sectors, districts))
        counts["od"], dropped = count_matrix(od["origin_sector"], od["district_id"], od["trips"], sector_ids, ids)
        info["od_trips_to_districts"] = float(counts["od"].sum())
        info["od_trips_elsewhere"] = dropped
    return counts, info


REVEALED_KEY, COMPARISON_KEY = _key("revealed_catchment"), _key("catchment_comparison")
_OBSERVED = ["gold.districts", "silver.sectors", "silver.merchants", "silver.transactions", "silver.od_flows"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            REVEALED_KEY,
            deps=_deps(*_OBSERVED),
            group_name="gold",
            kinds={"python", "parquet"},
            owners=OWNERS,
            description=(
                "Revealed (observed) catchment of every shopping district by statistical sector of "
                "origin: source 'vouchers' = voucher/loyalty customers with a customer sector, at "
                "merchants inside (or within 250 m of) the district; source 'od' = mobile-operator "
                "trips arriving 09:00-18:59 local time in the sector the district overlaps most. "
                "customers, share (of the district's observed total) and tier (sectors bringing "
                "60/80/95 %) are null and suppressed = true where fewer than k "
                "(settings.suppression_k) customers were seen."
            ),
        ),
        dg.AssetSpec(
            COMPARISON_KEY,
            deps=_deps(*_OBSERVED, "gold.huff", "gold.h3_cells"),
            group_name="gold",
            kinds={"python", "parquet"},
            owners=OWNERS,
            description=(
                "Modelled versus observed catchment per district and modelled tier (1, 2, 3 and "
                "0 = outside): modelled_share = share of the district's Huff expected customers "
                "living in the tier's cells; vouchers_share / od_share = share of the observed "
                "customers (voucher transactions, OD trips) coming from those cells (each "
                "sector's count spread over its cells by area, like population). Null below k."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("suppressed_below_k", asset=REVEALED_KEY, description="No published customer count is below k."),
        dg.AssetCheckSpec("shares_sum_to_one", asset=REVEALED_KEY, description="Per district and source, published shares make 1 unless some rows are suppressed."),
        dg.AssetCheckSpec("modelled_shares_sum_to_one", asset=COMPARISON_KEY, description="Per district, modelled shares over the four tiers sum to 1."),
    ],
)
def revealed_catchment(lake: LakeResource, settings: SettingsResource):  # noqa: ANN201
    lk, k = lake.lake, settings.suppression_k
    districts, sectors = lk.read("gold", "districts"), lk.read("silver", "sectors")
    ids = districts["district_id"].to_numpy()
    counts, info = _revealed_counts(lk, districts, sectors)

    parts = [revealed_table(m, sectors["sector_id"].to_numpy(), ids, s, k) for s, m in counts.items()]
    revealed = pd.concat(parts, ignore_index=True).merge(sectors[["sector_id", "geometry"]], on="sector_id", how="left")
    revealed = gpd.GeoDataFrame(revealed, geometry="geometry", crs=sectors.crs)
    path = lk.write(revealed, "gold", "revealed_catchment")
    shown = revealed["customers"].dropna()
    share_sum = revealed.groupby(["district_id", "source"])["share"].sum()
    hidden = revealed[revealed["suppressed"]].groupby(["district_id", "source"]).size().reindex(share_sum.index).fillna(0)
    meta = table_metadata(revealed, str(path))
    meta.update(info, suppression_k=k, suppressed_rows=int(revealed["suppressed"].sum()))
    yield dg.MaterializeResult(asset_key=REVEALED_KEY, metadata=meta)
    yield dg.AssetCheckResult(asset_key=REVEALED_KEY, check_name="suppressed_below_k", passed=bool((shown >= k).all()), metadata={"min_published": float(shown.min()) if len(shown) else 0.0})
    sums_ok = bool(((share_sum <= 1 + 1e-9) & ((share_sum >= 1 - 1e-9) | (hidden > 0))).all())
    yield dg.AssetCheckResult(asset_key=REVEALED_KEY, check_name="shares_sum_to_one", passed=sums_ok)

    cells = lk.read("gold", "h3_cells")
    huff = lk.read("gold", "huff")
    huff["tier"] = cell_tiers(huff)
    position = pd.Index(cells["h3"]).get_indexer(huff["h3"])
    column = pd.Index(ids).get_indexer(huff["district_id"])
    tiers = np.zeros((len(cells), len(ids)), dtype="int64")
    expected = np.zeros((len(cells), len(ids)))
    tiers[position, column] = huff["tier"].to_numpy()
    expected[position, column] = huff["expected_customers"].to_numpy()
    weights = sector_cell_weights(cells, sectors)
    observed = {s: np.asarray(weights @ m) for s, m in counts.items()}
    frame = comparison_table(tiers, expected, cells["population"].to_numpy(), observed, ids, k)
    path = lk.write(frame, "gold", "catchment_comparison")
    meta = table_metadata(frame, str(path))
    for source in observed:
        gap = (frame[f"{source}_share"] - frame["modelled_share"]).abs()
        meta[f"{source}_mean_abs_gap"] = float(gap.mean()) if gap.notna().any() else None
        primary = frame.loc[frame["tier"] == 1, f"{source}_share"].dropna()
        meta[f"{source}_share_in_primary_mean"] = float(primary.mean()) if len(primary) else None
    sums = frame.groupby("district_id")["modelled_share"].sum()
    yield dg.MaterializeResult(asset_key=COMPARISON_KEY, metadata=meta)
    yield dg.AssetCheckResult(asset_key=COMPARISON_KEY, check_name="modelled_shares_sum_to_one", passed=bool(np.allclose(sums.to_numpy(), 1.0, atol=1e-9)))


assets = [access, huff, catchment, revealed_catchment]
EXPORTS = {
    "isochrones": "Walk/bike/drive isochrones of every shopping district with population and workers reached.",
    "catchment": "Modelled (Huff) primary/secondary/tertiary catchment of every shopping district.",
}
