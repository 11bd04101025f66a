"""The Dagster code location: assets (grouped bronze/silver/gold/exports), checks, jobs,
the nightly schedule, the landing-zone sensor and resources."""

from __future__ import annotations

import dagster as dg

from assets import bronze, exports, gold, silver
from assets.automation import build_automation
from assets.executors import executor_from_env
from assets.resources import default_resources

lake_assets = [*bronze.assets, *silver.assets, *gold.assets]
all_assets = [*lake_assets, *exports.assets, exports.warehouse_asset(lake_assets)]
jobs, schedules, sensors = build_automation(all_assets)

defs = dg.Definitions(
    assets=[*bronze.landing_specs, *all_assets],
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=default_resources(),
    executor=executor_from_env(),
)
