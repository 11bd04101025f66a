"""Jobs, the nightly schedule and the landing-zone sensor."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets.partitions import daily
from pipelines.constants import TIMEZONE
from pipelines.lake import Lake, data_root_from_env

DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.csv$")


def refresh_day_selection(assets: list[dg.AssetsDefinition]) -> dg.AssetSelection:
    """What one new day refreshes: the daily-partitioned assets and everything downstream."""
    daily_keys = [k for a in assets if a.partitions_def == daily for k in a.keys]
    return dg.AssetSelection.assets(*daily_keys).downstream()


def build_automation(assets: list[dg.AssetsDefinition]) -> tuple[list, list, list]:
    """(jobs, schedules, sensors) for the given assets."""
    daily_keys = [k for a in assets if a.partitions_def == daily for k in a.keys]
    refresh_day = dg.define_asset_job(
        "refresh_day",
        selection=refresh_day_selection(assets),
        description="One day's time series (WiFi, counters, OD, transactions) and what depends on them.",
    )
    refresh_static = dg.define_asset_job(
        "refresh_static",
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*daily_keys),
        description="Everything that is not daily-partitioned: boundaries, OSM, GTFS, KBO, registries, gold, exports.",
    )
    return [refresh_day, refresh_static], [_nightly(refresh_day)], [_landing_sensor(refresh_day, refresh_static)]


def _nightly(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_refresh",
        cron_schedule="0 2 * * *",
        execution_timezone=TIMEZONE,
        job=job,
        description="Every night at 02:00 Europe/Brussels: yesterday's partitions and their downstream assets.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        day = previous_local_day(context.scheduled_execution_time)
        if day not in set(daily.get_partition_keys()):
            return dg.SkipReason(f"{day} is before the first daily partition")
        return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day)

    return nightly


def _landing_sensor(day_job: dg.UnresolvedAssetJobDefinition, static_job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_zone_sensor",
        jobs=[day_job, static_job],
        minimum_interval_seconds=60,
        description="Notices new or changed files in the landing zone: a daily file triggers its day's partition, any other file a static refresh.",
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
        current = Lake(data_root_from_env()).landing_listing()
        changed = sorted(p for p, m in current.items() if seen.get(p) != m)
        requests = landing_requests(changed, day_job.name, static_job.name)
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(current))

    return landing_zone_sensor


def previous_local_day(when: datetime) -> str:
    """The local day (Europe/Brussels) before ``when``: what a 02:00 tick refreshes."""
    local = when.astimezone(ZoneInfo(TIMEZONE))
    return (local.date() - timedelta(days=1)).isoformat()


def landing_requests(changed: list[str], day_job: str, static_job: str) -> list[dg.RunRequest]:
    """Run requests for changed landing files (paths relative to the landing folder)."""
    days = sorted({m.group(1) for p in changed if (m := DAY_FILE.match(Path(p).name))})
    others = [p for p in changed if not DAY_FILE.match(Path(p).name)]
    valid = set(daily.get_partition_keys())
    requests = [
        dg.RunRequest(run_key=f"day-{d}-{_digest(changed)}", job_name=day_job, partition_key=d)
        for d in days
        if d in valid
    ]
    if others:
        requests.append(dg.RunRequest(run_key=f"static-{_digest(others)}", job_name=static_job))
    return requests


def _digest(paths: list[str]) -> str:
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()[:12]
