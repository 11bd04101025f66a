"""GTFS feeds (zip or folder): typed tables, service dates, departures on a day.

Times are kept as GTFS writes them: seconds since the service-day origin (``25:10:00`` is
90600, valid). The origin is local noon minus 12 h, which differs from midnight on DST
days; :func:`pipelines.timeutil.gtfs_seconds_to_utc` turns them into instants.
"""

from __future__ import annotations

import zipfile
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, empty_quarantine, file_quarantine
from pipelines.sources._gtfs_service import (
    DATE_DTYPE,
    WEEKDAYS,
    departures_on,
    service_dates,
    stops_without_departures,
)
from pipelines.sources._rowchecks import (
    Reasons,
    coordinate_problems,
    duplicate_problems,
    isin_text,
    path_opener,
    read_text_table,
    split,
)
from pipelines.timeutil import parse_gtfs_times

__all__ = [
    "read_feed",
    "service_dates",
    "departures_on",
    "stops_without_departures",
    "WEEKDAYS",
]

SOURCE = "gtfs"
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency": ("agency_name",),
    "stops": ("stop_id", "stop_lat", "stop_lon"),
    "routes": ("route_id", "route_type"),
    "calendar": ("service_id", *WEEKDAYS, "start_date", "end_date"),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
"""Tables in parsing order (references point backwards) and their required columns."""
OPTIONAL = ("calendar", "calendar_dates")
_Context = tuple[dict[str, ReadResult], dict[str, pd.DataFrame]]
"""(results so far, rejected text rows so far): what references are checked against."""


def read_feed(path: Path, feed_id: str | None = None) -> dict[str, ReadResult]:
    """Read a GTFS zip (or unzipped folder) into typed, validated tables.

    Every table gains ``feed_id`` (default: the zip stem). Quarantined: repeated keys,
    stops with missing or out-of-range lat/lon, unparsable times/dates/flags, and rows
    pointing to a stop, trip, route or service that is absent (or itself quarantined).

    A feed that is not a zip, a required file that is missing, no calendar file at all,
    an empty file or a file without a required column give empty typed tables and one
    file-level quarantine row (``row_number`` 0) each; the rest of the feed is read (rows
    referring to the missing table are then quarantined as unknown ids).

    Raises
    ------
    InputError
        If ``path`` does not exist (whether GTFS is delivered is the caller's decision).
    """
    path = Path(path)
    feed_id = feed_id or path.stem
    raws, rows_in = _read_raw_tables(path)
    results: dict[str, ReadResult] = {}
    rejected: dict[str, pd.DataFrame] = {}
    for name in REQUIRED_COLUMNS:
        frame, malformed, label = raws[name]
        reasons = Reasons(frame.index)
        typed = _PARSERS[name](frame, reasons, (results, rejected))
        rejected[name] = frame[reasons.invalid]
        kept, quarantine = split(
            frame, reasons, source=SOURCE, source_file=label, raw_columns=list(frame.columns)
        )
        table = typed.loc[kept.index].reset_index(drop=True)
        table.insert(0, "feed_id", pd.Series(feed_id, index=table.index, dtype="string"))
        results[name] = ReadResult(
            table, pd.concat([malformed, quarantine], ignore_index=True), rows_in[name]
        )
    return results


def _absent(name: str, label: str, reason: str | None) -> tuple:
    """An empty text frame of ``name``; with a ``reason``, one file-level quarantine row."""
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in REQUIRED_COLUMNS[name]})
    if reason is None:
        return (empty, empty_quarantine(), label), 0
    return (empty, file_quarantine(SOURCE, label, reason), label), 1


def _read_raw_tables(path: Path) -> tuple[dict, dict[str, int]]:
    """Text frames of every table; absent optional files become empty frames.

    Problems of the feed or of one of its files become file-level quarantine rows: a zip
    that is not a zip (on ``agency``), a required file missing (on that table), no
    calendar at all (on ``calendar``), an empty file or a missing column (on that table).
    """
    if not path.exists():
        raise InputError("GTFS feed not found", path=path)
    raws: dict = {}
    rows_in: dict[str, int] = {}
    with ExitStack() as stack:
        openers = _member_openers(path, stack)
        if openers is None:
            why = "not a zip archive (expected a GTFS zip or folder)"
            for i, name in enumerate(REQUIRED_COLUMNS):
                raws[name], rows_in[name] = _absent(name, str(path), why if i == 0 else None)
            return raws, rows_in
        no_calendar = not any(n in openers for n in OPTIONAL)
        for name, required in REQUIRED_COLUMNS.items():
            label = f"{path}/{name}.txt"
            if name not in openers:
                why = None
                if name not in OPTIONAL:
                    why = f"required file {name}.txt missing"
                elif no_calendar and name == "calendar":
                    why = "no service calendar (expected calendar.txt and/or calendar_dates.txt)"
                raws[name], rows_in[name] = _absent(name, label, why)
                continue
            frame, malformed, count = read_text_table(
                openers[name],
                label=label,
                source=SOURCE,
                required=required,
                strict_fields=False,
                allow_header_only=True,
            )
            raws[name] = (frame, malformed, label)
            rows_in[name] = count
    return raws, rows_in


def _member_openers(path: Path, stack: ExitStack) -> dict | None:
    """Openers of the ``.txt`` members; ``None`` when ``path`` is not a zip nor a folder."""
    if path.is_dir():
        return {p.stem: path_opener(p) for p in path.glob("*.txt")}
    if not zipfile.is_zipfile(path):
        return None
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except zipfile.BadZipFile:
        return None
    members = sorted(
        (m for m in archive.namelist() if m.endswith(".txt")), key=lambda m: m.count("/")
    )
    openers: dict = {}
    for member in members:
        stem = Path(member).stem
        openers.setdefault(stem, lambda m=member: archive.open(m))
    return openers


def _references(values: pd.Series, table: str, column: str, ctx: _Context) -> pd.Series:
    """Problems of values absent from (or quarantined in) ``table.column``."""
    results, rejected = ctx
    accepted = results[table].table[column]
    quarantined = rejected[table][column]
    problem = pd.Series(pd.NA, index=values.index, dtype="string")
    absent = ~isin_text(values, accepted)
    was_bad = absent & isin_text(values, quarantined)
    shown = column + " '" + values.astype("string") + "'"
    problem[absent] = shown + " not in " + table + ".txt"
    problem[was_bad] = shown + " quarantined in " + table + ".txt"
    return problem


def _parse_stops(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    out = frame.copy()
    reasons.add(frame["stop_id"].str.strip() == "", "missing stop_id")
    loc = frame.get("location_type", pd.Series("", index=frame.index)).str.strip()
    location_type = pd.to_numeric(loc.replace("", "0"), errors="coerce").astype("Int64")
    reasons.add(~location_type.isin([0, 1, 2, 3, 4]), "invalid location_type '" + loc + "'")
    lon, lat, problem = coordinate_problems(frame["stop_lon"], frame["stop_lat"], bbox=None)
    reasons.add_problems(problem.where(location_type.isin([0, 1, 2]).fillna(True)))
    reasons.add_problems(duplicate_problems(frame[~reasons.invalid], ["stop_id"], "stop_id"))
    out["stop_lon"], out["stop_lat"], out["location_type"] = lon, lat, location_type
    return out


def _parse_routes(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    out = frame.copy()
    reasons.add(frame["route_id"].str.strip() == "", "missing route_id")
    route_type = pd.to_numeric(frame["route_type"].str.strip(), errors="coerce")
    bad = route_type.isna() | (route_type % 1 != 0) | (route_type < 0)
    reasons.add(bad, "invalid route_type '" + frame["route_type"] + "'")
    reasons.add_problems(duplicate_problems(frame[~reasons.invalid], ["route_id"], "route_id"))
    out["route_type"] = route_type.where(~bad).astype("Int64")
    return out


def _parse_agency(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    reasons.add(frame["agency_name"].str.strip() == "", "missing agency_name")
    return frame.copy()


def _parse_trips(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    reasons.add(frame["trip_id"].str.strip() == "", "missing trip_id")
    reasons.add_problems(_references(frame["route_id"], "routes", "route_id", ctx))
    services = pd.concat([ctx[0][n].table["service_id"] for n in OPTIONAL], ignore_index=True)
    unknown = ~isin_text(frame["service_id"], services)
    reasons.add(
        unknown,
        "service_id '" + frame["service_id"] + "' not in calendar.txt nor calendar_dates.txt",
    )
    reasons.add_problems(duplicate_problems(frame[~reasons.invalid], ["trip_id"], "trip_id"))
    return frame.copy()


def _parse_calendar(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    out = frame.copy()
    for day in WEEKDAYS:
        flag = frame[day].str.strip()
        reasons.add(~flag.isin(["0", "1"]), day + " is not 0 or 1: '" + flag + "'")
        out[day] = pd.to_numeric(flag.where(flag.isin(["0", "1"])), errors="coerce").astype("Int8")
    for column in ("start_date", "end_date"):
        out[column], problem = _parse_dates(frame[column], column)
        reasons.add_problems(problem)
    reasons.add(out["start_date"] > out["end_date"], "start_date after end_date")
    reasons.add_problems(duplicate_problems(frame[~reasons.invalid], ["service_id"], "service_id"))
    return out


def _parse_calendar_dates(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    out = frame.copy()
    out["date"], problem = _parse_dates(frame["date"], "date")
    reasons.add_problems(problem)
    kind = frame["exception_type"].str.strip()
    reasons.add(~kind.isin(["1", "2"]), "exception_type is not 1 or 2: '" + kind + "'")
    out["exception_type"] = pd.to_numeric(kind, errors="coerce").astype("Int8")
    reasons.add_problems(
        duplicate_problems(frame[~reasons.invalid], ["service_id", "date"], "service_id+date")
    )
    return out


def _parse_stop_times(frame: pd.DataFrame, reasons: Reasons, ctx: _Context) -> pd.DataFrame:
    out = frame.copy()
    reasons.add_problems(_references(frame["trip_id"], "trips", "trip_id", ctx))
    reasons.add_problems(_references(frame["stop_id"], "stops", "stop_id", ctx))
    for column, target in (("arrival_time", "arrival_s"), ("departure_time", "departure_s")):
        out[target], problem = parse_gtfs_times(frame[column], column)
        reasons.add_problems(problem)
    sequence = pd.to_numeric(frame["stop_sequence"].str.strip(), errors="coerce")
    bad = sequence.isna() | (sequence % 1 != 0) | (sequence < 0)
    reasons.add(bad, "invalid stop_sequence '" + frame["stop_sequence"] + "'")
    out["stop_sequence"] = sequence.where(~bad).astype("Int64")
    dup = duplicate_problems(
        frame[~reasons.invalid], ["trip_id", "stop_sequence"], "trip_id+stop_sequence"
    )
    reasons.add_problems(dup)
    return out


_PARSERS = {
    "agency": _parse_agency,
    "stops": _parse_stops,
    "routes": _parse_routes,
    "calendar": _parse_calendar,
    "calendar_dates": _parse_calendar_dates,
    "trips": _parse_trips,
    "stop_times": _parse_stop_times,
}


def _parse_dates(text: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    stripped = text.astype("string").str.strip()
    dates = pd.to_datetime(stripped, format="%Y%m%d", errors="coerce").astype(DATE_DTYPE)
    problem = pd.Series(pd.NA, index=text.index, dtype="string")
    problem[dates.isna()] = "unparsable " + column + " (expected YYYYMMDD): '" + stripped + "'"
    return dates, problem
