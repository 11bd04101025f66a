"""Bronze: landing files parsed and typed by their reader; rejected rows quarantined.

Each source is described once in ``SOURCES`` (static files) or ``DAILY_SOURCES`` (one file per
local day, daily-partitioned); one factory turns each description into an asset with its
checks, so every source gets the same guarantees: rows in = accepted + quarantined.
"""


import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import geopandas as gpd

from assets.common import OWNERS, read_results_metadata, table_metadata, write_read_results
from assets.partitions import daily, single_run
from assets.resources import LakeResource, SettingsResource
from pipelines import availability, tables
from pipelines.constants import DEMO_MARKER, DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV
from pipelines.errors import ConfigError, InputError
from pipelines.quarantine import ReadResult
from pipelines.sources import (
    best,
    counters,
    counts_csv,
    gtfs,
    kbo,
    kbo_full,
    od,
    osm_extract,
    statbel,
    typology,
    vacant,
    vouchers,
    wifi,
)

Loader = Callable[[Path, SettingsResource], dict[str, ReadResult]]
DayLoader = Callable[[Path, str, SettingsResource], dict[str, ReadResult] | None]


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    kinds: frozenset[str]


def _require(path: Path) -> Path:
    if not path.exists():
        raise InputError(
            "required landing file missing", path=path,
            expected="commune boundaries and an OSM extract: the only sources every territory must hold",
        )
    return path


def _missing(*names: str) -> dict[str, ReadResult]:
    """A source the territory does not hold: its tables empty and typed, nothing quarantined."""
    return {name: ReadResult(tables.empty(name), rows_in=0) for name in names}


def _single(name: str, reader: Callable[[Path], ReadResult], relpath: str, *, required: bool = False) -> Loader:
    def load(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
        path = landing / relpath
        if required:
            _require(path)
        return {name: reader(path)} if path.exists() else _missing(name)

    return load


STATBEL_SUFFIXES = (".geojson", ".gpkg", ".shp.zip", ".shp")
"""Statbel boundary layouts, in order of preference: the reader follows the suffix."""


def _first(folder: Path, stems: tuple[str, ...], suffixes: tuple[str, ...]) -> Path | None:
    """The first existing ``folder/<stem><suffix>`` (stems may hold a glob)."""
    for stem in stems:
        for suffix in suffixes:
            found = sorted(folder.glob(stem + suffix))
            if found:
                return found[-1]
    return None


def _sector_population(landing: Path) -> Path | None:
    """Statbel's population per sector (``OPENDATA_SECTOREN_<year>``), the latest year."""
    return _first(landing / "statbel", ("OPENDATA_SECTOREN_*",), (".txt", ".csv", ".zip"))


def _load_communes(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
    path = _first(landing / "statbel", ("communes",), STATBEL_SUFFIXES)
    if path is None:
        _require(landing / "statbel" / "communes.geojson")
    return {"statbel_communes": statbel.read_communes(path, population=_sector_population(landing))}


def _load_sectors(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
    path = _first(landing / "statbel", ("sectors",), STATBEL_SUFFIXES)
    if path is None:
        return _missing("statbel_sectors")
    return {"statbel_sectors": statbel.read_sectors(path, population=_sector_population(landing))}


GTFS_TABLES = ("agency", "calendar", "calendar_dates", "routes", "stop_times", "stops", "trips")
KBO_TABLES = ("enterprise", "establishment", "activity", "address", "denomination")
WRITES = {
    "gtfs": tuple(f"gtfs_{t}" for t in GTFS_TABLES),
    "kbo": (*(f"kbo_{t}" for t in KBO_TABLES), "address_points", "kbo_postcodes", "kbo_establishments_located"),
}
"""Bronze assets that write tables under other names than their own."""


def _load_gtfs(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
    feeds = sorted((landing / "gtfs").glob("*.zip"))
    if not feeds:
        return _missing(*WRITES["gtfs"])
    per_feed = [gtfs.read_feed(path) for path in feeds]
    return {f"gtfs_{t}": ReadResult.concat(feed[t] for feed in per_feed) for t in per_feed[0]}


def _load_kbo(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
    """KBO/BCE tables (the daily-size CSVs, or the national full extract in ``kbo/full/``
    streamed with DuckDB and cut to the territory's postcodes, with ``kbo/updates/*`` applied)
    located on address points (BeST Address in ``best/``, else ``kbo/address_points.csv``),
    else on postcode centroids (``kbo/postcodes.csv``); the precision is kept."""
    folder = landing / "kbo"
    full = folder / "full"
    if not (folder / "establishment.csv").exists() and not full.is_dir():
        return _missing(*WRITES["kbo"])
    postcodes_path = folder / "postcodes.csv"
    postcodes = kbo.read_postcodes(postcodes_path) if postcodes_path.is_file() else _missing("kbo_postcodes")["kbo_postcodes"]
    territory = _territory_postcodes(landing, postcodes) if full.is_dir() or _best_file(landing) else None
    if full.is_dir():
        updates = sorted(d for d in (folder / "updates").glob("*") if d.is_dir())
        tables = kbo_full.read_kbo_full(full, postcodes=territory or [], updates=updates)
    else:
        tables = kbo.read_kbo(folder)
    results = {f"kbo_{k}": r for k, r in tables.items()}
    results["address_points"] = _address_points(landing, territory)
    results["kbo_postcodes"] = postcodes
    results["kbo_establishments_located"] = kbo.locate_establishments(
        {k: r.table for k, r in tables.items()},
        results["address_points"] if len(results["address_points"].table) else None,
        postcodes if len(postcodes.table) else None,
    )
    return results


def _load_osm_pois(landing: Path, _settings: SettingsResource) -> dict[str, ReadResult]:
    path = osm_extract.find(landing)
    if path is None:
        _require(landing / osm_extract.FILES[0])
    return {"osm_pois": osm_extract.read_pois(path, bbox=_territory_bbox(landing))}


def _territory(landing: Path) -> gpd.GeoDataFrame | None:
    """The communes file of the landing zone, parsed once per file version (the OSM clip and
    the KBO territory filter both need it), or None without one."""
    path = _first(landing / "statbel", ("communes",), STATBEL_SUFFIXES)
    if path is None:
        return None
    stat = path.stat()
    return _read_communes(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_communes(path: str, _mtime_ns: int, _size: int) -> gpd.GeoDataFrame:
    return statbel.read_communes(Path(path)).table


def _territory_bbox(landing: Path) -> tuple[float, float, float, float] | None:
    """lon/lat bounds of the territory's communes (None without a boundaries file)."""
    communes = _territory(landing)
    return tuple(float(v) for v in communes.total_bounds) if communes is not None and len(communes) else None


def _best_file(landing: Path) -> Path | None:
    return _first(landing / "best", ("*",), (".csv", ".csv.gz", ".zip", ".gpkg"))


def _territory_postcodes(landing: Path, postcodes: ReadResult) -> list[str] | None:
    """The territory's postcodes (postcode localities inside its communes), or None."""
    communes = _territory(landing)
    if communes is None or not len(postcodes.table):
        return None
    return kbo_full.territory_postcodes(postcodes.table, communes, buffer_m=2000.0)


def _address_points(landing: Path, territory: list[str] | None) -> ReadResult:
    """BeST Address (``best/``) when delivered, else ``kbo/address_points.csv``, else none."""
    best_path = _best_file(landing)
    if best_path is not None:
        return best.read_best_addresses(best_path, postcodes=territory)
    points = landing / "kbo" / "address_points.csv"
    return kbo.read_address_points(points) if points.is_file() else _missing("address_points")["address_points"]


def _day_file(name: str, reader: Callable[[Path], ReadResult], folder: str) -> DayLoader:
    def load(landing: Path, day: str, _settings: SettingsResource) -> dict[str, ReadResult] | None:
        path = landing / folder / f"{day}.csv"
        return {name: reader(path)} if path.exists() else None

    return load


GENERIC_COUNTERS = "generic"
"""``landing/counters/generic/<day>.csv``: counts of any counter in the generic layout."""


def _load_counter_day(landing: Path, day: str, _settings: SettingsResource) -> dict[str, ReadResult] | None:
    """One day of every counter: Ghent 5-minute files (one folder per counter) and the generic
    layout, in one table (the generic layout has no directions)."""
    folder = landing / "counters"
    ghent = sorted(p for p in folder.glob(f"*/{day}.csv") if p.parent.name != GENERIC_COUNTERS)
    generic = folder / GENERIC_COUNTERS / f"{day}.csv"
    parts = []
    if ghent:
        parts.append(counters.read_ghent_files([(p, p.parent.name) for p in ghent]))
    if generic.is_file():
        parts.append(counts_csv.read_generic(generic))
    if not parts:
        return None
    result = ReadResult.concat(parts)
    result.table = result.table.reindex(columns=tables.columns("counter_counts"))
    return {"counter_counts": result}


def _load_probes_day(landing: Path, day: str, settings: SettingsResource) -> dict[str, ReadResult] | None:
    path = landing / "wifi" / "probes" / f"{day}.csv"
    if not path.exists():
        return None
    return {"wifi_probes": wifi.read_probes(path, key=_probe_key(landing, settings))}


def _probe_key(landing: Path, settings: SettingsResource) -> bytes:
    """The pseudonymisation key; the built-in demo key only for the generated demo territory."""
    if settings.pseudonym_key == DEMO_PSEUDONYM_KEY and not (landing / DEMO_MARKER).exists():
        raise ConfigError(
            f"{PSEUDONYM_KEY_ENV} is not set: WiFi probes of a real territory cannot be pseudonymised "
            "with the built-in demo key; set a secret key (e.g. `openssl rand -hex 32`) and keep it"
        )
    return settings.pseudonym_key.encode()


SOURCES: dict[str, tuple[str, Loader]] = {
    "statbel_communes": (
        "Commune boundaries with NIS code and population, as Statbel publishes them (GeoJSON, "
        "GeoPackage or shapefile in any CRS; population from OPENDATA_SECTOREN when given). "
        "NIS codes as in the file: silver maps them to today's communes (2019 and 2025 mergers).",
        _load_communes,
    ),
    "statbel_sectors": (
        "Statistical sectors with population, as Statbel publishes them (GeoJSON, GeoPackage or "
        "shapefile joined on CD_SECTOR to OPENDATA_SECTOREN).",
        _load_sectors,
    ),
    "osm_pois": (
        "Shops, parking and tourism POIs parsed from the OpenStreetMap extract (PBF as "
        "Geofabrik delivers it, clipped to the territory plus 2 km, or a small XML extract).",
        _load_osm_pois,
    ),
    "gtfs": ("Every GTFS feed of the landing zone, table by table, with its feed_id.", _load_gtfs),
    "kbo": (
        "KBO/BCE open-data tables, address points, and establishments located on address points.",
        _load_kbo,
    ),
    "vacant_cells": (
        "The commune's register of commercial cells (vacant/occupied) by observation date.",
        _single("vacant_cells", vacant.read_vacant_cells, "vacant/vacant_cells.csv"),
    ),
    "wifi_sensors": (
        "Registry of WiFi footfall sensors.",
        _single("wifi_sensors", wifi.read_sensors, "wifi/sensors.csv"),
    ),
    "sncb_boardings": (
        "SNCB average boardings per station (weekday, Saturday, Sunday): a station footfall proxy.",
        _single("sncb_boardings", counts_csv.read_sncb_boardings, "sncb/boardings.csv"),
    ),
    "typology": (
        "A user-supplied commune typology (nis, typology), e.g. a published classification of "
        "communes: the fourth peer lens of the Canvas. Optional.",
        _single("typology", typology.read_typology, "typology.csv"),
    ),
    "counter_registry": (
        "Registry of pedestrian and bike counters.",
        _single("counter_registry", counters.read_registry, "counters/counters.csv"),
    ),
    "voucher_merchants": (
        "Merchants of the local voucher/loyalty scheme.",
        _single("voucher_merchants", vouchers.read_merchants, "vouchers/merchants.csv"),
    ),
}

DAILY_SOURCES: dict[str, tuple[str, DayLoader]] = {
    "wifi_counts": (
        "Hourly unique-device counts of the WiFi sensors, one partition per local day.",
        _day_file("wifi_counts", wifi.read_counts, "wifi/counts"),
    ),
    "wifi_probes": (
        "Raw WiFi probe events with device ids pseudonymised by a keyed hash at ingestion "
        "(never leave bronze).",
        _load_probes_day,
    ),
    "counter_counts": (
        "Pedestrian/bike counts of every counter per local day: 5-minute Ghent-layout files "
        "(one folder per counter) and the generic layout (counters/generic/<day>.csv).",
        _load_counter_day,
    ),
    "od_flows": (
        "Mobile-operator hourly trips between statistical sectors, per local day.",
        _day_file("od_flows", od.read_od, "od"),
    ),
    "transactions": (
        "Voucher/loyalty transactions with customer origin, per local day.",
        _day_file("transactions", vouchers.read_transactions, "vouchers/transactions"),
    ),
}

OPTIONAL_DAILY = {"wifi_probes"}
"""Daily sources delivered only some days (raw probes): a missing day is not a warning."""


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
    return dg.AssetCheckResult(
        check_name="rows_balanced",
        passed=balanced,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={k: counts[k] for k in ("rows_in", "rows_accepted", "quarantined")},
    )


def _asset_args(name: str, description: str, **extra: object) -> dict[str, object]:
    key = ["bronze", name]
    if name in WRITES:
        extra["metadata"] = {"lake_tables": ", ".join(f"bronze.{t}" for t in WRITES[name])}
    return dict(
        key=key,
        group_name="bronze",
        kinds={"python", "parquet"},
        owners=OWNERS,
        description=description,
        check_specs=_check_specs(key),
        **extra,
    )


def _static_asset(name: str, description: str, loader: Loader) -> dg.AssetsDefinition:
    @dg.asset(**_asset_args(name, description))
    def _asset(lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
        results = loader(lake.lake.landing, settings)
        counts = write_read_results(lake.lake, name, results)
        meta = {**counts, **read_results_metadata(results)}
        return dg.MaterializeResult(metadata=meta, check_results=[_balance_check(counts)])

    return _asset


NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=26), fail_window=timedelta(hours=50))
"""The nightly refresh materialises every daily source once a day at 02:00: a day without it
warns, two days fail (shown in the UI's freshness status, no hand-made check)."""


def _daily_asset(name: str, description: str, loader: DayLoader) -> dg.AssetsDefinition:
    @dg.asset(**_asset_args(name, description, partitions_def=daily, backfill_policy=single_run, freshness_policy=NIGHTLY_FRESHNESS))
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, settings: SettingsResource) -> dg.MaterializeResult:
        totals = {"rows_in": 0, "rows_accepted": 0, "quarantined": 0, "days_with_file": 0}
        missing = []
        for day in context.partition_keys:
            results = loader(lake.lake.landing, day, settings)
            if results is None:
                missing.append(day)
                continue
            counts = write_read_results(lake.lake, name, results, day)
            totals["days_with_file"] += 1
            for k in ("rows_in", "rows_accepted", "quarantined"):
                totals[k] += counts[k]
        if missing:
            log = context.log.info if name in OPTIONAL_DAILY else context.log.warning
            log(f"{name}: no landing file for {len(missing)} day(s): {missing[:5]}")
        meta = {**totals, "days_requested": len(context.partition_keys), "days_missing": len(missing)}
        return dg.MaterializeResult(metadata=meta, check_results=[_balance_check(totals)])

    return _asset


STATUS_KEY = ["bronze", "source_status"]


@dg.asset(
    key=STATUS_KEY,
    group_name="bronze",
    kinds={"python", "parquet"},
    owners=OWNERS,
    description=(
        "Which source families the territory holds: one row per family (boundaries, sectors, "
        "osm, gtfs, kbo, addresses, wifi, counters, od, vouchers, vacancy, parking) with status "
        "held/missing, provider, licence, files, bytes, days covered and the SHA-256 of every "
        "landing file. Feeds the data inventory and says which indicators can be computed."
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
    frame = availability.scan_landing(lake.lake.landing)
    path = lake.lake.write(frame, "bronze", "source_status")
    missing_required = frame.loc[frame["required"] & (frame["status"] != "held"), "source"].tolist()
    meta = table_metadata(frame, str(path))
    meta["held"] = ", ".join(sorted(availability.held(frame)))
    meta["missing"] = ", ".join(frame.loc[frame["status"] != "held", "source"])
    check = dg.AssetCheckResult(
        check_name="required_sources_held",
        passed=not missing_required,
        metadata={"missing_required": ", ".join(missing_required) or "none"},
    )
    return dg.MaterializeResult(metadata=meta, check_results=[check])


assets = [
    source_status,
    *(_static_asset(n, d, f) for n, (d, f) in SOURCES.items()),
    *(_daily_asset(n, d, f) for n, (d, f) in DAILY_SOURCES.items()),
]
