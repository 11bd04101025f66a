"""Daily partitions of the time series (local days in Europe/Brussels)."""

from __future__ import annotations

import os

import dagster as dg

from pipelines.constants import TIMEZONE

PARTITIONS_START_ENV = "SMARTCOMMERCE_PARTITIONS_START"

daily = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(PARTITIONS_START_ENV, "2024-01-01"),
    timezone=TIMEZONE,
)
"""One partition per local day; the nightly refresh materialises yesterday's."""

single_run = dg.BackfillPolicy.single_run()
"""A backfill of many days runs as one run (each asset loops over its days)."""
