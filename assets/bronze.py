"""Bronze: landing files parsed and typed by their reader; rejected rows quarantined.

Every bronze asset comes from one declaration of :data:`pipelines.sources.registry.FAMILIES`
(its landing files, loader, tables and their types); one factory turns each into an asset with
its checks, so every source gets the same guarantees: rows in = accepted + quarantined. The
landing zone itself is one external asset per family (``landing/<family>``, group
``landing``): the lineage shows which landing files each bronze asset reads.
"""


from datetime import timedelta

import dagster as dg

from assets.common import (
    OWNERS,
    check_results,
    landing_relative,
    preview_md,
    read_results_metadata,
    table_metadata,
    write_read_results,
)
from assets.partitions import daily, single_run
from assets.resources import LakeResource, SettingsResource
from pipelines import availability, tables
from pipelines.lake import Lake
from pipelines.results import Check
from pipelines.sources import loaders
from pipelines.sources.registry import FAMILIES, Bronze, Family, bronze_assets


def landing_key(family: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", family])


def _landing_spec(family: Family) -> dg.AssetSpec:
    files = ", ".join(f"landing/{p}" for p in family.patterns)
    return dg.AssetSpec(
        landing_key(family.name),
        group_name="landing",
        kinds={"file"},
        owners=OWNERS,
        description=f"{family.label_fr} ({family.provider}; {family.licence}): {files}. Feeds {family.feeds}.",
        metadata={"required": family.required},
    )


landing_specs = [_landing_spec(f) for f in FAMILIES.values() if f.patterns]
"""The landing zone, one external asset per family: files as providers deliver them."""
WRITES = {b.name: tuple(b.tables) for b in bronze_assets() if tuple(b.tables) != (b.name,)}
"""Bronze assets that write tables under other names than their own."""
_FAMILY_OF = {b.name: f.name for f in FAMILIES.values() for b in f.assets}


def _check_specs(key: list[str]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "rows_balanced",
            asset=key,
            description="Every input row is accepted or quarantined: rows in = accepted + quarantined.",
            blocking=True,
        )
    ]


def _balance_check(counts: dict[str, int]) -> dg.AssetCheckResult:
    balanced = counts["rows_in"] == counts["rows_accepted"] + counts["quarantined"]
    figures = {k: counts[k] for k in ("rows_in", "rows_accepted", "quarantined")}
    return check_results([Check("rows_balanced", balanced, figures)])[0]


def _asset_args(bronze: Bronze, **extra: object) -> dict[str, object]:
    key = ["bronze", bronze.name]
    if bronze.name in WRITES:
        extra["metadata"] = {"lake_tables": ", ".join(f"bronze.{t}" for t in WRITES[bronze.name])}
    return dict(
        key=key,
        deps=[landing_key(_FAMILY_OF[bronze.name])],
        group_name="bronze",
        kinds={"python", "parquet"},
        owners=OWNERS,
        description=bronze.description,
        check_specs=_check_specs(key),
        **extra,
    )


def _key(bronze: Bronze, lake: LakeResource, settings: SettingsResource) -> bytes:
    return loaders.probe_key(lake.lake.landing, settings.pseudonym_key) if bronze.keyed else b""


def _static_asset(bronze: Bronze) -> dg.AssetsDefinition:
    @dg.asset(**_asset_args(bronze))
    def _asset(lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
        results = tables.read_bronze(bronze, lake.lake.landing, key=_key(bronze, lake, settings))
        counts = write_read_results(lake.lake, bronze.name, results)
        meta = {**counts, **read_results_metadata(results)}
        return dg.MaterializeResult(metadata=meta, check_results=[_balance_check(counts)])

    return _asset


NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=26), fail_window=timedelta(hours=50))
"""The nightly refresh materialises every daily source once a day at 02:00: a day without it
warns, two days fail (shown in the UI's freshness status, no hand-made check)."""


def _daily_asset(bronze: Bronze) -> dg.AssetsDefinition:
    @dg.asset(**_asset_args(bronze, partitions_def=daily, backfill_policy=single_run, freshness_policy=NIGHTLY_FRESHNESS))
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
        totals = {"rows_in": 0, "rows_accepted": 0, "quarantined": 0, "days_with_file": 0}
        missing, key = [], _key(bronze, lake, settings)
        for day in context.partition_keys:
            counts = _stream_day(lake.lake, bronze, day, key) if bronze.stream else _read_day(lake.lake, bronze, day, key)
            if counts is None:
                missing.append(day)
                continue
            totals["days_with_file"] += 1
            for k in ("rows_in", "rows_accepted", "quarantined"):
                totals[k] += counts[k]
        if missing:
            log = context.log.warning if bronze.every_day else context.log.info
            log(f"{bronze.name}: no landing file for {len(missing)} day(s): {missing[:5]}")
        meta = {**totals, "days_requested": len(context.partition_keys), "days_missing": len(missing)}
        return dg.MaterializeResult(metadata=meta, check_results=[_balance_check(totals)])

    return _asset


def _read_day(lk: Lake, bronze: Bronze, day: str, key: bytes) -> dict[str, int] | None:
    results = tables.read_bronze(bronze, lk.landing, day, key)
    return None if results is None else write_read_results(lk, bronze.name, results, day)


def _stream_day(lk: Lake, bronze: Bronze, day: str, key: bytes) -> dict[str, int] | None:
    """A day too large for memory (raw probes): the engine writes the Parquet file in batches."""
    writer = bronze.stream(lk.landing, day, key)
    if writer is None:
        return None
    done = []
    lk.write_with(lambda tmp: done.append(writer(tmp)), "bronze", bronze.name, day)
    quarantine = done[0].quarantine.assign(source_file=lambda q: landing_relative(q["source_file"], lk))
    lk.write(quarantine, "bronze", f"quarantine/{bronze.name}", day)
    return {"rows_in": done[0].rows_in, "rows_accepted": done[0].rows_accepted, "quarantined": len(quarantine)}


STATUS_KEY = ["bronze", "source_status"]


@dg.asset(
    key=STATUS_KEY,
    deps=[spec.key for spec in landing_specs],
    group_name="bronze",
    kinds={"python", "parquet"},
    owners=OWNERS,
    description=(
        "Which source families the territory holds: one row per family of the registry "
        "(boundaries, sectors, osm, gtfs, kbo, addresses, wifi, counters, od, vouchers, vacancy, "
        "parking, districts, typology) with status "
        "held/missing, provider, licence, files, bytes, days covered and the SHA-256 of every "
        "landing file. Files the landing zone refuses (symbolic links, paths outside it, "
        "misnamed daily files, duplicates of another file) are not read: counted in "
        "refused_files and quarantined with their reason (bronze.quarantine, source 'landing'). "
        "Feeds the data inventory and says which indicators can be computed."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "required_sources_held",
            asset=STATUS_KEY,
            description="Commune boundaries and an OSM extract are in the landing zone.",
            blocking=True,
        )
    ],
)
def source_status(lake: LakeResource) -> dg.MaterializeResult:
    landing = lake.lake.landing
    frame = availability.scan_landing(landing)
    path = lake.lake.write(frame, "bronze", "source_status")
    refused = availability.refused_files(landing)
    lake.lake.write(refused, "bronze", "quarantine/landing")
    missing_required = frame.loc[frame["required"] & (frame["status"] != "held"), "source"].tolist()
    meta = table_metadata(frame, str(path))
    meta["held"] = ", ".join(sorted(availability.held(frame)))
    meta["missing"] = ", ".join(frame.loc[frame["status"] != "held", "source"])
    meta["refused_files"] = len(refused)
    if len(refused):
        meta["refused"] = preview_md(refused[["source_file", "reason"]], rows=50, max_width=120)
    check = Check("required_sources_held", not missing_required, {"missing_required": ", ".join(missing_required) or "none"})
    return dg.MaterializeResult(metadata=meta, check_results=check_results([check]))


assets = [source_status, *(_daily_asset(b) if b.daily else _static_asset(b) for b in bronze_assets())]
