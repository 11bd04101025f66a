"""The Dagster code location: assets (grouped bronze/silver/gold/exports), checks, jobs,
the nightly schedule, the landing-zone sensor and resources."""

from __future__ import annotations

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from assets import bronze, exports, gold, silver  # noqa: E402
from pipelines.automation import build_automation  # noqa: E402
from pipelines.resources import default_resources  # noqa: E402

lake_assets = [*bronze.assets, *silver.assets, *gold.assets]
all_assets = [*lake_assets, *exports.assets, exports.warehouse_asset(lake_assets)]
jobs, schedules, sensors = build_automation(all_assets)

defs = dg.Definitions(
    assets=all_assets,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=default_resources(),
)
