"""Gold: footfall. WiFi sensors calibrated on pedestrian counters, calibrated site-hours and
hourly footfall per H3 cell, profiles (week rhythm, day-parts, peak hour, weekday/weekend,
year-on-year) and a model estimate where no sensor stands. Figures from fewer than k devices
are suppressed.

Each asset declares its inputs once (:class:`assets.declared.Inputs`), calls one
function of :mod:`pipelines.footfall.build` and writes what it returns. Without sensors the
tables are empty with ``status = not_computable``; a day without counts has nothing to do.
"""

from collections.abc import Iterator

import dagster as dg

from assets.common import OWNERS, materialize
from assets.declared import Inputs
from assets.partitions import daily, single_run
from assets.resources import LakeResource, SettingsResource
from pipelines.constants import CURRENT_DAYS
from pipelines.footfall import build
from pipelines.footfall.build import COVERAGE_MIN
from pipelines.footfall.profile import year_before
from pipelines.lake import latest_days

CALIBRATION = dg.AssetKey(["gold", "footfall_calibration"])
SITE_HOURS = dg.AssetKey(["gold", "footfall_site_hours"])
HOURLY = dg.AssetKey(["gold", "footfall_hourly"])
PROFILE = dg.AssetKey(["gold", "footfall_profile"])
CURVE = dg.AssetKey(["gold", "footfall_curve"])
ESTIMATED = dg.AssetKey(["gold", "footfall_estimated"])
LAYER = dg.AssetKey(["gold", "footfall"])
LAYER_FIGURES = build.LAYER_FIGURES


def _k_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "k_suppressed",
        asset=key,
        description="No figure is published from fewer than k devices (settings.suppression_k): every row either rests on at least k devices or has its figures blanked.",
    )


# -- calibration ---------------------------------------------------------------------------

CALIBRATION_INPUTS = Inputs("silver.sensors", "silver.sensor_counts")


@dg.asset(
    key=CALIBRATION, deps=CALIBRATION_INPUTS.deps, group_name="gold", kinds={"python", "duckdb", "parquet"}, owners=OWNERS,
    description=(
        "Calibration of every WiFi sensor: pedestrians per detected device. Where a pedestrian "
        "counter stands within 25 m of the sensor, factor = sum(counted pedestrians) / "
        "sum(WiFi devices) over every hour both report in the current period (the latest 28 days; method 'counter'; detection_rate = "
        "1/factor); other sensors take the median of these factors ('territory_median'). "
        "Empty, with status not_computable, when the commune has no WiFi sensor."
    ),
    check_specs=[
        dg.AssetCheckSpec("counters_paired", asset=CALIBRATION, description="Every pedestrian counter is paired with a WiFi sensor and gives it its own factor."),
        dg.AssetCheckSpec("detection_plausible", asset=CALIBRATION, description="Own detection rates lie in (0, 1]: a sensor cannot see more phones than pedestrians."),
    ],
)
def footfall_calibration(lake: LakeResource) -> dg.MaterializeResult:
    reader = CALIBRATION_INPUTS.reader(lake.lake)
    result = build.calibration(reader.read("silver.sensors"), reader.read_days("silver.sensor_counts", latest=CURRENT_DAYS))
    return materialize(lake.lake, CALIBRATION, result)


# -- calibrated site-hours and hourly footfall per cell (daily) ----------------------------

HOURLY_INPUTS = Inputs("silver.sensor_counts", "silver.sensors", "gold.footfall_calibration")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SITE_HOURS, deps=HOURLY_INPUTS.deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
            description=(
                "Calibrated pedestrians per measurement site and hour, per local day: a counter's "
                "complete hour as counted, else its paired WiFi sensor's devices x factor; lone WiFi "
                "sensors devices x factor. Columns: site_id, sensor_id, h3, nis, ts (UTC), day, "
                "pedestrians, devices, source, calibration, complete. Computed once here; the "
                "profiles read it."
            ),
        ),
        dg.AssetSpec(
            HOURLY, deps=HOURLY_INPUTS.deps, group_name="gold", kinds={"python", "parquet", "h3"}, owners=OWNERS,
            description=(
                "Pedestrians per hour per H3 cell (res 9), per local day: the mean over the cell's "
                "measurement sites (a counter, or a WiFi sensor times its calibration factor). "
                "Columns: h3, nis, ts (UTC hour start), day, footfall, devices (raw count behind the "
                "figure), n_sites / n_sites_expected, sources (counter, wifi, counter+wifi), quality "
                "(ok, default_calibration, partial, gap: footfall missing, never zero), suppressed "
                "(fewer than k devices: figures blanked). A day without counts has nothing to do."
            ),
        ),
    ],
    partitions_def=daily,
    backfill_policy=single_run,
    check_specs=[
        dg.AssetCheckSpec("counts_non_negative", asset=HOURLY, description="Input counts and output footfall are never negative."),
        dg.AssetCheckSpec("unique_sensor_hour", asset=HOURLY, description="One input row per (sensor, hour) and one output row per (cell, hour)."),
        dg.AssetCheckSpec("day_coverage", asset=HOURLY, description=f"Each day, at least {COVERAGE_MIN:.0%} of the expected site-hours reported."),
        dg.AssetCheckSpec("source_freshness", asset=HOURLY, description="Each source (wifi, counter) has data on the latest day of the run."),
        _k_spec(HOURLY),
    ],
)
def footfall_hourly(
    context: dg.AssetExecutionContext, lake: LakeResource, settings: SettingsResource
) -> Iterator[dg.MaterializeResult]:
    reader = HOURLY_INPUTS.reader(lake.lake)
    counts = reader.read_days("silver.sensor_counts", list(context.partition_keys))
    site_hours, cells = build.hourly(
        counts, reader.read("silver.sensors"), reader.read("gold.footfall_calibration"), settings.suppression_k
    )
    yield materialize(lake.lake, SITE_HOURS, site_hours, multi=True, daily=True)
    yield materialize(lake.lake, HOURLY, cells, multi=True, daily=True)


# -- profiles --------------------------------------------------------------------------

PROFILE_INPUTS = Inputs("gold.footfall_site_hours", "silver.communes")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PROFILE, deps=PROFILE_INPUTS.deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
            description=(
                "Footfall profile of every commune, H3 cell and measurement site (level) over the "
                "current period (the latest 28 days of gold.footfall_site_hours): mean daily "
                "pedestrians, weekday and weekend days and their ratio, peak weekday, peak hour, "
                "shares of the day in the morning (06-10), midday (10-14), afternoon (14-18) and "
                "evening (18-22), change against the same weeks one year earlier (yoy_change, or "
                "yoy_reason when the data does not allow it). Communes without a sensor have a row "
                "with a note. Profiles from fewer than k devices a day are suppressed."
            ),
        ),
        dg.AssetSpec(
            CURVE, deps=PROFILE_INPUTS.deps[:1], group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
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
        dg.AssetCheckSpec("every_commune", asset=PROFILE, description="Every commune of silver.communes has a profile row."),
    ],
)
def footfall_profile(lake: LakeResource, settings: SettingsResource) -> Iterator[dg.MaterializeResult]:
    reader = PROFILE_INPUTS.reader(lake.lake)
    days = reader.days("gold.footfall_site_hours")
    current = latest_days(days, CURRENT_DAYS)
    profile, curve = build.profile(
        reader.read_days("gold.footfall_site_hours", current), reader.read("silver.communes"), settings.suppression_k,
        earlier=reader.read_days("gold.footfall_site_hours", year_before(current, days)),
    )
    yield materialize(lake.lake, PROFILE, profile, multi=True)
    yield materialize(lake.lake, CURVE, curve, multi=True)


# -- estimates and the map layer ---------------------------------------------------------

ESTIMATED_INPUTS = Inputs("gold.h3_cells", "gold.footfall_profile", "silver.shops", "silver.stops", "silver.parking", "silver.sensors")


@dg.asset(
    key=ESTIMATED, deps=ESTIMATED_INPUTS.deps, group_name="gold", kinds={"python", "scikitlearn", "parquet", "h3"}, owners=OWNERS,
    description=(
        "Mean daily footfall of every H3 cell with a shop within 300 m or a sensor: measured "
        "where a sensor stands (basis 'measured'), else estimated by a ridge regression on "
        "log features (shops within 150/300 m and by category, served stops and departures, "
        "parking, population, distance to the commercial centre) trained on the measurement "
        "sites, with a 90 % interval [low, high] from cross-validated errors. 'extrapolated' "
        "flags cells whose features lie outside the training range. Cross-validated error in "
        "the materialisation metadata. Empty, with status not_computable, when fewer than 8 "
        "sites are measured."
    ),
    check_specs=[
        dg.AssetCheckSpec("every_commune", asset=ESTIMATED, description="Every commune has estimated cells (when the model could be trained)."),
        dg.AssetCheckSpec("interval_ordered", asset=ESTIMATED, description="0 < low <= estimate <= high for every cell."),
    ],
)
def footfall_estimated(lake: LakeResource) -> dg.MaterializeResult:
    read = ESTIMATED_INPUTS.reader(lake.lake).read
    result = build.estimated(
        read("gold.h3_cells", columns=("h3", "nis", "population", "shops")), read("silver.shops"), read("silver.stops"), read("silver.parking"),
        read("silver.sensors"), read("gold.footfall_profile"),
    )
    if "model/coefficients" in result.metadata:
        result.metadata["model/coefficients"] = dg.MetadataValue.md(str(result.metadata["model/coefficients"]))
    return materialize(lake.lake, ESTIMATED, result)


LAYER_INPUTS = Inputs("gold.footfall_estimated", "gold.footfall_profile", "silver.communes")


@dg.asset(
    key=LAYER, deps=LAYER_INPUTS.deps, group_name="gold", kinds={"python", "geoparquet", "h3"}, owners=OWNERS,
    description=(
        "Map layer of footfall per H3 cell (EPSG:4326 hexagons): mean daily pedestrians "
        "(footfall_daily, measured or estimated: basis), the model's estimate and 90 % "
        "interval, and for sensored cells the peak hour, peak weekday, weekday/weekend ratio "
        "and day-part shares. Measured figures from fewer than k devices are blanked."
    ),
    check_specs=[_k_spec(LAYER), dg.AssetCheckSpec("unique_h3", asset=LAYER, description="One row per cell.")],
)
def footfall(lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
    read = LAYER_INPUTS.reader(lake.lake).read
    result = build.layer(
        read("gold.footfall_estimated"), read("gold.footfall_profile"), read("silver.communes"), settings.suppression_k
    )
    return materialize(lake.lake, LAYER, result)


assets = [footfall_calibration, footfall_hourly, footfall_profile, footfall_estimated, footfall]
EXPORTS = {
    "footfall": "Footfall per H3 cell: mean daily pedestrians measured or estimated, interval, peak hour, weekday/weekend ratio, day-part shares."
}
