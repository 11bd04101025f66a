"""Gold: footfall. WiFi sensors calibrated on pedestrian counters, hourly footfall per H3 cell,
profiles (week rhythm, day-parts, peak hour, weekday/weekend, year-on-year) and a model
estimate where no sensor stands. Figures from fewer than k devices are suppressed.
"""

import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd

from assets.common import OWNERS, table_metadata
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.footfall import hourly as ff
from pipelines.footfall import model as fm
from pipelines.footfall import profile as fp
from pipelines.grid import cell_polygons
from pipelines.lake import Lake
from pipelines.partitions import daily, single_run
from pipelines.privacy import suppress, violations
from pipelines.resources import LakeResource, SettingsResource

CALIBRATION = ["gold", "footfall_calibration"]
HOURLY = ["gold", "footfall_hourly"]
PROFILE = ["gold", "footfall_profile"]
CURVE = ["gold", "footfall_curve"]
ESTIMATED = ["gold", "footfall_estimated"]
LAYER = ["gold", "footfall"]
COVERAGE_MIN = 0.9
LAYER_FIGURES = (
    "measured_daily",
    "devices_daily",
    "peak_hour",
    "peak_weekday",
    "weekday_weekend_ratio",
    *(f"share_{p}" for p in fp.DAY_PARTS),
)


def _keys(*names: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(n.split(".")) for n in names]


def _k_spec(key: list[str]) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "k_suppressed",
        asset=key,
        description="No figure is published from fewer than k devices (settings.suppression_k): every row either rests on at least k devices or has its figures blanked.",
    )


def _k_result(
    key: list[str],
    frame: pd.DataFrame,
    count_col: str,
    k: int,
    figures: list[str] | tuple[str, ...],
) -> dg.AssetCheckResult:
    bad = violations(frame, count_col, k, figures)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(key),
        check_name="k_suppressed",
        passed=bad.empty,
        metadata={
            "k": k,
            "violations": len(bad),
            "suppressed_rows": int(frame["suppressed"].sum()),
        },
    )


def _sites(lk: Lake) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sites, calibration) from silver.sensors and gold.footfall_calibration."""
    calibration = lk.read("gold", "footfall_calibration")
    return ff.sites(lk.read("silver", "sensors"), calibration), calibration


@dg.asset(
    key=CALIBRATION,
    deps=_keys("silver.sensors", "silver.sensor_counts"),
    group_name="gold",
    kinds={"python", "duckdb", "parquet"},
    owners=OWNERS,
    description=(
        "Calibration of every WiFi sensor: pedestrians per detected device. Where a pedestrian "
        "counter stands within 25 m of the sensor, factor = sum(counted pedestrians) / "
        "sum(WiFi devices) over every hour both report (method 'counter'; detection_rate = "
        "1/factor); other sensors take the median of these factors ('territory_median')."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "counters_paired",
            asset=CALIBRATION,
            description="Every pedestrian counter is paired with a WiFi sensor and gives it its own factor.",
        ),
        dg.AssetCheckSpec(
            "detection_plausible",
            asset=CALIBRATION,
            description="Own detection rates lie in (0, 1]: a sensor cannot see more phones than pedestrians.",
        ),
    ],
)
def footfall_calibration(lake: LakeResource) -> dg.MaterializeResult:
    lk = lake.lake
    sensors = lk.read("silver", "sensors")
    counts = lk.read_days("silver", "sensor_counts")
    pairs = ff.pair_counters(sensors)
    frame = ff.calibrate(counts, pairs, sensors.loc[sensors["kind"] == "wifi", "sensor_id"])
    frame = frame.merge(pairs[["sensor_id", "distance_m"]], on="sensor_id", how="left")
    path = lk.write(frame, "gold", "footfall_calibration")
    own = frame[frame["method"] == "counter"]
    n_counters = int((sensors["kind"] == "pedestrian").sum())
    meta = table_metadata(frame, str(path))
    meta["median_factor"] = float(own["factor"].median()) if len(own) else None
    return dg.MaterializeResult(
        metadata=meta,
        check_results=[
            dg.AssetCheckResult(
                check_name="counters_paired",
                passed=len(own) == n_counters,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"pedestrian_counters": n_counters, "calibrated_sensors": len(own)},
            ),
            dg.AssetCheckResult(
                check_name="detection_plausible",
                passed=bool(own["detection_rate"].between(0, 1, inclusive="right").all()),
                metadata={
                    "min": float(own["detection_rate"].min()) if len(own) else None,
                    "max": float(own["detection_rate"].max()) if len(own) else None,
                },
            ),
        ],
    )


@dg.asset(
    key=HOURLY,
    deps=_keys("silver.sensor_counts", "silver.sensors", "gold.footfall_calibration"),
    group_name="gold",
    kinds={"python", "parquet", "h3"},
    owners=OWNERS,
    partitions_def=daily,
    backfill_policy=single_run,
    description=(
        "Pedestrians per hour per H3 cell (res 9), per local day: the mean over the cell's "
        "measurement sites (a counter, or a WiFi sensor times its calibration factor). "
        "Columns: h3, nis, ts (UTC hour start), day, footfall, devices (raw count behind the "
        "figure), n_sites / n_sites_expected, sources (counter, wifi, counter+wifi), quality "
        "(ok, default_calibration, partial, gap: footfall missing, never zero), suppressed "
        "(fewer than k devices: figures blanked)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "counts_non_negative",
            asset=HOURLY,
            description="Input counts and output footfall are never negative.",
        ),
        dg.AssetCheckSpec(
            "unique_sensor_hour",
            asset=HOURLY,
            description="One input row per (sensor, hour) and one output row per (cell, hour).",
        ),
        dg.AssetCheckSpec(
            "day_coverage",
            asset=HOURLY,
            description=f"Each day, at least {COVERAGE_MIN:.0%} of the expected site-hours reported.",
        ),
        dg.AssetCheckSpec(
            "source_freshness",
            asset=HOURLY,
            description="Each source (wifi, counter) has data on the latest day of the run.",
        ),
        _k_spec(HOURLY),
    ],
)
def footfall_hourly(
    context: dg.AssetExecutionContext, lake: LakeResource, settings: SettingsResource
) -> dg.MaterializeResult:
    lk, k = lake.lake, settings.suppression_k
    site_table, calibration = _sites(lk)
    days = [d for d in context.partition_keys if lk.exists("silver", "sensor_counts", d)]
    parts = [lk.read("silver", "sensor_counts", d) for d in days]
    counts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if counts.empty:
        return dg.MaterializeResult(metadata={"dagster/row_count": 0, "days_written": 0})
    negatives = int((counts["count"] < 0).sum())
    dupes = int(counts.duplicated(["sensor_id", "ts"]).sum())
    reported = counts[counts["count"].notna()]
    last_day = reported.groupby("source")["day"].max().astype(str).to_dict()
    # all the run's days in one vectorised pass, then one file per day
    hours = ff.site_hours(counts, site_table, calibration)
    cells = ff.cell_hours(hours, ff.expected_sites(site_table, days))
    cells = suppress(cells, "devices", k, ["footfall"])
    per_day = cells.groupby("day", observed=True)
    coverage = (
        per_day["n_sites"].sum() / per_day["n_sites_expected"].sum().clip(lower=1)
    ).to_dict()
    written = []
    for day, frame in per_day:
        lk.write(frame.reset_index(drop=True), "gold", "footfall_hourly", str(day))
        written.append(str(day))
    negatives += int((cells["footfall"] < 0).sum())
    out_dupes = int(cells.duplicated(["h3", "ts"]).sum())
    violators = len(violations(cells, "devices", k, ["footfall"]))
    suppressed = int(cells["suppressed"].sum())
    rows = len(cells)
    latest = max(written) if written else None
    stale = {s: d for s, d in last_day.items() if d != latest}
    worst = min(coverage, key=coverage.get) if coverage else None
    checks = [
        dg.AssetCheckResult(
            check_name="counts_non_negative",
            passed=negatives == 0,
            metadata={"negative_values": negatives},
        ),
        dg.AssetCheckResult(
            check_name="unique_sensor_hour",
            passed=dupes == 0 and out_dupes == 0,
            metadata={"duplicate_sensor_hours": dupes, "duplicate_cell_hours": out_dupes},
        ),
        dg.AssetCheckResult(
            check_name="day_coverage",
            passed=all(v >= COVERAGE_MIN for v in coverage.values()),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "worst_day": worst,
                "worst_coverage": coverage.get(worst) if worst else None,
                "days": len(coverage),
            },
        ),
        dg.AssetCheckResult(
            check_name="source_freshness",
            passed=bool(last_day) and not stale,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"latest_day": latest, **{f"last_day_{s}": d for s, d in last_day.items()}},
        ),
        dg.AssetCheckResult(
            check_name="k_suppressed",
            passed=violators == 0,
            metadata={"k": k, "violations": violators, "suppressed_rows": suppressed},
        ),
    ]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "days_written": len(written),
            "suppressed_rows": suppressed,
        },
        check_results=checks,
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PROFILE,
            deps=_keys(
                "silver.sensor_counts",
                "silver.sensors",
                "silver.communes",
                "gold.footfall_calibration",
            ),
            group_name="gold",
            kinds={"python", "parquet"},
            owners=OWNERS,
            description=(
                "Footfall profile of every commune, H3 cell and measurement site (level): mean daily "
                "pedestrians, weekday and weekend days and their ratio, peak weekday, peak hour, "
                "shares of the day in the morning (06-10), midday (10-14), afternoon (14-18) and "
                "evening (18-22), change against the same weeks one year earlier (yoy_change, or "
                "yoy_reason when the data does not allow it). Communes without a sensor have a row "
                "with a note. Profiles from fewer than k devices a day are suppressed."
            ),
        ),
        dg.AssetSpec(
            CURVE,
            deps=_keys("silver.sensor_counts", "silver.sensors", "gold.footfall_calibration"),
            group_name="gold",
            kinds={"python", "parquet"},
            owners=OWNERS,
            description=(
                "Week rhythm of footfall: mean pedestrians per local weekday (0 = Monday) and hour "
                "for every commune, H3 cell and measurement site; slots from fewer than k devices "
                "an hour are suppressed."
            ),
        ),
    ],
    check_specs=[
        _k_spec(PROFILE),
        _k_spec(CURVE),
        dg.AssetCheckSpec(
            "every_commune",
            asset=PROFILE,
            description="Every commune of silver.communes has a profile row.",
        ),
    ],
)
def footfall_profile(lake: LakeResource, settings: SettingsResource):  # noqa: ANN201
    lk, k = lake.lake, settings.suppression_k
    site_table, calibration = _sites(lk)
    hours = ff.site_hours(lk.read_days("silver", "sensor_counts"), site_table, calibration)
    communes = lk.read("silver", "communes")
    profile, curve = fp.profiles(hours, k, communes=communes[["nis"]])
    names = communes.set_index("nis")["name_fr"]
    profile.insert(2, "commune", profile["nis"].map(names).astype("string"))
    for key, frame, count_col, figures in (
        (PROFILE, profile, "devices_daily", fp.PROFILE_FIGURES),
        (CURVE, curve, "devices", ["footfall"]),
    ):
        path = lk.write(frame, *key)
        checks = [_k_result(key, frame, count_col, k, figures)]
        meta = table_metadata(frame, str(path))
        if key == PROFILE:
            missing = sorted(
                set(communes["nis"]) - set(profile.loc[profile["level"] == "commune", "nis"])
            )
            checks.append(
                dg.AssetCheckResult(
                    asset_key=dg.AssetKey(key),
                    check_name="every_commune",
                    passed=not missing,
                    metadata={"missing": ", ".join(missing)},
                )
            )
            meta["yoy_available"] = int(profile["yoy_change"].notna().sum())
        yield dg.MaterializeResult(asset_key=dg.AssetKey(key), metadata=meta, check_results=checks)


@dg.asset(
    key=ESTIMATED,
    deps=_keys(
        "gold.h3_cells",
        "gold.footfall_profile",
        "silver.shops",
        "silver.stops",
        "silver.parking",
        "silver.sensors",
    ),
    group_name="gold",
    kinds={"python", "scikitlearn", "parquet", "h3"},
    owners=OWNERS,
    description=(
        "Mean daily footfall of every H3 cell with a shop within 300 m or a sensor: measured "
        "where a sensor stands (basis 'measured'), else estimated by a ridge regression on "
        "log features (shops within 150/300 m and by category, served stops and departures, "
        "parking, population, distance to the commercial centre) trained on the measurement "
        "sites, with a 90 % interval [low, high] from cross-validated errors. 'extrapolated' "
        "flags cells whose features lie outside the training range. Cross-validated error in "
        "the materialisation metadata."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "every_commune", asset=ESTIMATED, description="Every commune has estimated cells."
        ),
        dg.AssetCheckSpec(
            "interval_ordered",
            asset=ESTIMATED,
            description="0 < low <= estimate <= high for every cell.",
        ),
    ],
)
def footfall_estimated(lake: LakeResource) -> dg.MaterializeResult:
    lk = lake.lake
    cells = lk.read("gold", "h3_cells")
    ctx = fm.FeatureContext.from_lake(
        cells, lk.read("silver", "shops"), lk.read("silver", "stops"), lk.read("silver", "parking")
    )
    profile = lk.read("gold", "footfall_profile")
    sites = profile[(profile["level"] == "site") & profile["footfall_daily"].notna()]
    where = (
        lk.read("silver", "sensors")
        .to_crs(CRS_METRIC)
        .set_index("sensor_id")
        .geometry.loc[sites["site_id"]]
    )
    features = fm.point_features(
        ctx, where.x.to_numpy(), where.y.to_numpy(), sites["h3"].to_numpy(), sites["nis"].to_numpy()
    )
    model = fm.fit_footfall_model(features, sites["footfall_daily"])
    measured = profile[(profile["level"] == "cell")]
    frame = fm.estimate_cells(
        model, ctx, cells[["h3", "nis"]], measured[["h3", "footfall_daily", "n_sites"]]
    )
    path = lk.write(frame, "gold", "footfall_estimated")
    meta = table_metadata(frame, str(path))
    meta.update({f"model/{k}": round(v, 4) for k, v in model.metrics.items()})
    coef = model.coefficients().round(3)
    meta["model/coefficients"] = dg.MetadataValue.md(
        "| feature | coefficient |\n|---|---|\n"
        + "\n".join(f"| {n} | {v} |" for n, v in coef.items())
    )
    meta["extrapolated_cells"] = int(frame["extrapolated"].sum())
    missing = sorted(set(cells["nis"]) - set(frame["nis"]))
    ordered = bool(
        (
            (frame["low"] > 0)
            & (frame["low"] <= frame["estimate"])
            & (frame["estimate"] <= frame["high"])
        ).all()
    )
    return dg.MaterializeResult(
        metadata=meta,
        check_results=[
            dg.AssetCheckResult(
                check_name="every_commune",
                passed=not missing,
                metadata={"missing": ", ".join(missing)},
            ),
            dg.AssetCheckResult(check_name="interval_ordered", passed=ordered),
        ],
    )


@dg.asset(
    key=LAYER,
    deps=_keys("gold.footfall_estimated", "gold.footfall_profile", "silver.communes"),
    group_name="gold",
    kinds={"python", "geoparquet", "h3"},
    owners=OWNERS,
    description=(
        "Map layer of footfall per H3 cell (EPSG:4326 hexagons): mean daily pedestrians "
        "(footfall_daily, measured or estimated: basis), the model's estimate and 90 % "
        "interval, and for sensored cells the peak hour, peak weekday, weekday/weekend ratio "
        "and day-part shares. Measured figures from fewer than k devices are blanked."
    ),
    check_specs=[
        _k_spec(LAYER),
        dg.AssetCheckSpec("unique_h3", asset=LAYER, description="One row per cell."),
    ],
)
def footfall(lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
    lk, k = lake.lake, settings.suppression_k
    estimated = lk.read("gold", "footfall_estimated")
    profile = lk.read("gold", "footfall_profile")
    cells = profile.loc[
        profile["level"] == "cell",
        [
            "h3",
            "devices_daily",
            "peak_hour",
            "peak_weekday",
            "weekday_weekend_ratio",
            *(f"share_{p}" for p in fp.DAY_PARTS),
            "suppressed",
        ],
    ]
    frame = estimated.merge(cells.astype({"h3": "uint64"}), on="h3", how="left")
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    names = lk.read("silver", "communes").set_index("nis")["name_fr"]
    frame.insert(2, "commune", frame["nis"].map(names).astype("string"))
    layer = gpd.GeoDataFrame(
        frame, geometry=cell_polygons(frame["h3"].to_numpy(dtype=np.uint64)).values, crs=CRS_WGS84
    )
    path = lk.write(layer, "gold", "footfall")
    written = lk.read("gold", "footfall")
    meta = table_metadata(layer, str(path))
    meta["measured_cells"] = int((layer["basis"] == "measured").sum())
    return dg.MaterializeResult(
        metadata=meta,
        check_results=[
            _k_result(LAYER, written, "devices_daily", k, LAYER_FIGURES),
            dg.AssetCheckResult(check_name="unique_h3", passed=bool(written["h3"].is_unique)),
        ],
    )


assets = [footfall_calibration, footfall_hourly, footfall_profile, footfall_estimated, footfall]
EXPORTS = {
    "footfall": "Footfall per H3 cell: mean daily pedestrians measured or estimated, interval, peak hour, weekday/weekend ratio, day-part shares."
}
