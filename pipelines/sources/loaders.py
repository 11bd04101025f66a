"""Landing files to bronze tables: which files of the landing zone each bronze asset reads,
and with which reader.

One function per bronze asset of :data:`pipelines.sources.registry.FAMILIES`. A static loader
takes the landing folder, a daily loader the landing folder and a local day. Each returns the
:class:`~pipelines.quarantine.ReadResult` of every table it found files for; a table it did not
find is simply absent (:func:`pipelines.ingest.read_bronze` writes it empty and typed), and a
daily loader returns None when the day has no file at all. A required file that is missing
raises one :class:`~pipelines.errors.InputError` naming it. Every path goes through
:func:`pipelines.landing.readable` first: a symbolic link, a path outside the landing zone or a
duplicate file is never handed to a reader (``bronze.source_status`` quarantines it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from pipelines.constants import DEMO_MARKER, DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV
from pipelines.errors import ConfigError, InputError
from pipelines.landing import readable
from pipelines.quarantine import ReadResult
from pipelines.sources import (
    best,
    consultant,
    counters,
    counts_csv,
    districts,
    gtfs,
    kbo,
    kbo_full,
    osm_extract,
    statbel,
    survey,
    wifi,
)

Results = dict[str, ReadResult]

STATBEL_SUFFIXES = (".geojson", ".gpkg", ".shp.zip", ".shp")
"""Statbel boundary layouts, in order of preference: the reader follows the suffix."""

GTFS_TABLES = ("agency", "calendar", "calendar_dates", "routes", "stop_times", "stops", "trips")
KBO_TABLES = ("enterprise", "establishment", "activity", "address", "denomination")

GENERIC_COUNTERS = "generic"
"""``landing/counters/generic/<day>.csv``: counts of any counter in the generic layout."""


def require(path: Path) -> Path:
    """``path``, or one clear error when a file every territory must hold is missing (or
    refused: a link, a duplicate)."""
    if not path.exists() or path.is_symlink():
        raise InputError(
            "required landing file missing" + (" (a symbolic link, refused)" if path.is_symlink() else ""),
            path=path,
            expected="commune boundaries and an OSM extract: the only sources every territory must hold",
        )
    return path


def single(name: str, reader: Callable[[Path], ReadResult], relpath: str) -> Callable[[Path], Results]:
    """A loader of one optional file ``landing/<relpath>`` into table ``name``."""

    def load(landing: Path) -> Results:
        path = landing / relpath
        return {name: reader(path)} if readable(landing, path) else {}

    return load


def day_file(name: str, reader: Callable[[Path], ReadResult], folder: str) -> Callable[[Path, str], Results | None]:
    """A loader of ``landing/<folder>/<day>.csv`` into table ``name`` (None without it)."""

    def load(landing: Path, day: str) -> Results | None:
        path = landing / folder / f"{day}.csv"
        return {name: reader(path)} if readable(landing, path) else None

    return load


def first(landing: Path, folder: str, stems: tuple[str, ...], suffixes: tuple[str, ...]) -> Path | None:
    """The first readable ``landing/folder/<stem><suffix>`` (stems may hold a glob)."""
    for stem in stems:
        for suffix in suffixes:
            found = sorted(p for p in (landing / folder).glob(stem + suffix) if readable(landing, p))
            if found:
                return found[-1]
    return None


def _sector_population(landing: Path) -> Path | None:
    """Statbel's population per sector (``OPENDATA_SECTOREN_<year>``), the latest year."""
    return first(landing, "statbel", ("OPENDATA_SECTOREN_*",), (".txt", ".csv", ".zip"))


def communes_file(landing: Path) -> Path | None:
    """The commune boundaries file of the landing zone, in the preferred layout, or None."""
    return first(landing, "statbel", ("communes",), STATBEL_SUFFIXES)


def load_communes(landing: Path) -> Results:
    path = communes_file(landing)
    if path is None:
        require(landing / "statbel" / "communes.geojson")
    return {"statbel_communes": statbel.read_communes(path, population=_sector_population(landing))}


def load_sectors(landing: Path) -> Results:
    path = first(landing, "statbel", ("sectors",), STATBEL_SUFFIXES)
    if path is None:
        return {}
    return {"statbel_sectors": statbel.read_sectors(path, population=_sector_population(landing))}


def load_gtfs(landing: Path) -> Results:
    feeds = sorted(p for p in (landing / "gtfs").glob("*.zip") if readable(landing, p))
    if not feeds:
        return {}
    per_feed = [gtfs.read_feed(path) for path in feeds]
    return {f"gtfs_{t}": ReadResult.concat(feed[t] for feed in per_feed) for t in per_feed[0]}


def load_kbo(landing: Path) -> Results:
    """KBO/BCE tables (the daily-size CSVs, or the national full extract in ``kbo/full/``
    streamed with DuckDB and cut to the territory's postcodes, with ``kbo/updates/*`` applied)
    located on address points (BeST Address in ``best/``, else ``kbo/address_points.csv``),
    else on postcode centroids (``kbo/postcodes.csv``); the precision is kept."""
    folder = landing / "kbo"
    full = folder / "full"
    full_ok = readable(landing, full)  # a folder: one walk for the link check
    if not readable(landing, folder / "establishment.csv") and not full_ok:
        return {}
    postcodes_path = folder / "postcodes.csv"
    postcodes = kbo.read_postcodes(postcodes_path) if readable(landing, postcodes_path) else None
    territory = None
    if postcodes is not None and (full_ok or _best_file(landing)):
        territory = _territory_postcodes(landing, postcodes)
    if full_ok:
        updates = sorted(d for d in (folder / "updates").glob("*") if d.is_dir() and readable(landing, d))
        tables = kbo_full.read_kbo_full(full, postcodes=territory or [], updates=updates)
    else:
        tables = kbo.read_kbo(folder)
    results = {f"kbo_{k}": r for k, r in tables.items()}
    points = _address_points(landing, territory)
    if points is not None:
        results["address_points"] = points
    if postcodes is not None:
        results["kbo_postcodes"] = postcodes
    results["kbo_establishments_located"] = kbo.locate_establishments(
        {k: r.table for k, r in tables.items()},
        points if points is not None and len(points.table) else None,
        postcodes if postcodes is not None and len(postcodes.table) else None,
    )
    return results


def osm_file(landing: Path) -> Path:
    """The OSM extract of the landing zone (PBF first) that may be read; the error names it
    when there is none."""
    found = next((landing / f for f in osm_extract.FILES if readable(landing, landing / f)), None)
    return found if found is not None else require(landing / osm_extract.FILES[0])


def load_osm_pois(landing: Path) -> Results:
    return {"osm_pois": osm_extract.read_pois(osm_file(landing), bbox=territory_bbox(landing))}


def load_survey(landing: Path) -> Results:
    """Every commune's merchant survey (``survey/<nis>.csv``) in one table."""
    files = sorted(p for p in (landing / "survey").glob("*.csv") if readable(landing, p))
    return {"merchant_survey": ReadResult.concat(survey.read_survey(p) for p in files)} if files else {}


def load_district_outlines(landing: Path) -> Results:
    path = landing / districts.FILE
    return {"district_outlines": districts.read_outlines(path)} if readable(landing, path) else {}


def _territory(landing: Path) -> gpd.GeoDataFrame | None:
    """The communes file of the landing zone, parsed once per file version (the OSM clip and
    the KBO territory filter both need it), or None without one."""
    path = communes_file(landing)
    if path is None:
        return None
    stat = path.stat()
    return _read_communes(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_communes(path: str, _mtime_ns: int, _size: int) -> gpd.GeoDataFrame:
    return statbel.read_communes(Path(path)).table


def territory_bbox(landing: Path) -> tuple[float, float, float, float] | None:
    """lon/lat bounds of the territory's communes (None without a boundaries file)."""
    communes = _territory(landing)
    if communes is None or not len(communes):
        return None
    west, south, east, north = (float(v) for v in communes.total_bounds)
    return west, south, east, north


def _best_file(landing: Path) -> Path | None:
    return first(landing, "best", ("*",), (".csv", ".csv.gz", ".zip", ".gpkg"))


def _territory_postcodes(landing: Path, postcodes: ReadResult) -> list[str] | None:
    """The territory's postcodes (postcode localities inside its communes), or None."""
    communes = _territory(landing)
    if communes is None or not len(postcodes.table):
        return None
    return kbo_full.territory_postcodes(postcodes.table, communes, buffer_m=2000.0)


def _address_points(landing: Path, territory: list[str] | None) -> ReadResult | None:
    """BeST Address (``best/``) when delivered, else ``kbo/address_points.csv``, else None."""
    best_path = _best_file(landing)
    if best_path is not None:
        return best.read_best_addresses(best_path, postcodes=territory)
    points = landing / "kbo" / "address_points.csv"
    return kbo.read_address_points(points) if readable(landing, points) else None


def load_counter_day(landing: Path, day: str) -> Results | None:
    """One day of every counter: Ghent 5-minute files (one folder per counter) and the generic
    layout, in one table (the generic layout has no directions)."""
    folder = landing / "counters"
    ghent = sorted(p for p in folder.glob(f"*/{day}.csv") if p.parent.name != GENERIC_COUNTERS and readable(landing, p))
    generic = folder / GENERIC_COUNTERS / f"{day}.csv"
    parts = []
    if ghent:
        parts.append(counters.read_ghent_files([(p, p.parent.name) for p in ghent]))
    if readable(landing, generic):
        parts.append(counts_csv.read_generic(generic))
    if not parts:
        return None
    return {"counter_counts": ReadResult.concat(parts)}


def load_probes_day(landing: Path, day: str, key: bytes) -> Results | None:
    """One day of raw probes as a frame (its size grows with the file: see
    :func:`stream_probes_day`, which bronze uses)."""
    path = landing / "wifi" / "probes" / f"{day}.csv"
    if not readable(landing, path):
        return None
    return {"wifi_probes": wifi.read_probes(path, key=key)}


def stream_probes_day(landing: Path, day: str, key: bytes) -> Callable[[Path], wifi.ProbesWritten] | None:
    """A writer of one day of raw probes straight to Parquet in batches (peak memory of one
    batch, whatever the file's size), or None when the day has no readable file."""
    path = landing / "wifi" / "probes" / f"{day}.csv"
    if not readable(landing, path):
        return None
    return lambda dest: wifi.write_probes_parquet(path, key, dest, day=day)


def probe_key(landing: Path, configured: str) -> bytes:
    """The pseudonymisation key; the built-in demo key only for the generated demo territory.

    Raises
    ------
    ConfigError
        When the configured key is the demo key and the landing zone is not the demo's.
    """
    if configured == DEMO_PSEUDONYM_KEY and not (landing / DEMO_MARKER).exists():
        raise ConfigError(
            f"{PSEUDONYM_KEY_ENV} is not set: WiFi probes of a real territory cannot be pseudonymised "
            "with the built-in demo key; set a secret key (e.g. `openssl rand -hex 32`) and keep it"
        )
    return configured.encode()


def load_consultant(landing: Path) -> Results:
    """Every commune's consultant file (``consultant/<nis>.yaml``): decisions on the plan,
    reference overrides, findings and digital tools. A broken file is quarantined whole
    (one row naming its line); the others still apply."""
    files = sorted(p for suffix in ("yaml", "yml") for p in (landing / "consultant").glob(f"*.{suffix}") if readable(landing, p))
    if not files:
        return {}
    actions, indicators = consultant.catalogue_codes()
    reads = [consultant.read_consultant(p, actions=actions, indicators=indicators) for p in files]
    return {table: ReadResult.concat(r[table] for r in reads) for table in consultant.SPECS}
