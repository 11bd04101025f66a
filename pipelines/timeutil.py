"""Time helpers shared by the readers: ISO timestamps with offsets, local days, DST.

Every timestamp of the lake is a UTC-aware ``ts`` (:data:`TS_DTYPE`) plus ``day``, the
local Europe/Brussels date ``YYYY-MM-DD``. Brussels changes its UTC offset twice a year:
the last Sunday of March has 23 local hours (02:00-03:00 does not exist) and the last
Sunday of October has 25 (02:00-03:00 happens twice, first at +02:00 then at +01:00).
A timestamp is therefore only unambiguous with its UTC offset; the helpers below parse,
check and convert such timestamps in a vectorised way.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from pipelines.constants import TIMEZONE

TS_DTYPE = "datetime64[us, UTC]"
"""The dtype of every ``ts`` column."""

_ISO_WITH_OFFSET = (
    r"^(?P<wall>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"(?P<offset>Z|z|[+-]\d{2}(?::?\d{2})?)$"
)
_HMS = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
_OFFSET_AT_END = re.compile(r"(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?)$")


def _as_day(day: str | dt.date) -> pd.Timestamp:
    """Naive midnight of a day given as ``YYYY-MM-DD``, a date or a timestamp."""
    return pd.Timestamp(str(day)[:10])


def offset_minutes(offsets: pd.Series) -> pd.Series:
    """UTC offsets written as ``Z``, ``+02:00``, ``+0200`` or ``-03`` to minutes (Float64).

    Also accepts whole timestamps (the offset is read at the end). Values without a
    recognisable offset give NA. Vectorised over the (few) distinct offset suffixes.
    """
    text = pd.Series(offsets, copy=False).astype("string")
    codes, uniques = pd.factorize(text.str.slice(-6))
    table = np.array([_suffix_minutes(u) for u in uniques] + [np.nan], dtype="float64")
    return pd.Series(table[codes], index=text.index, dtype="Float64")


def _suffix_minutes(suffix: str) -> float:
    found = _OFFSET_AT_END.search(suffix)
    if found is None:
        return np.nan
    if found.group("z"):
        return 0.0
    sign = 1.0 if found.group("sign") == "+" else -1.0
    return sign * (int(found.group("hh")) * 60 + int(found.group("mm") or 0))


def zone_offset_minutes(ts: pd.Series, tz: str = TIMEZONE) -> pd.Series:
    """The UTC offset (minutes) that ``tz`` uses at each UTC instant of ``ts``."""
    ts = pd.Series(ts)
    local = ts.dt.tz_convert(tz).dt.tz_localize(None)
    return (local - ts.dt.tz_localize(None)) / pd.Timedelta(minutes=1)


def parse_timestamps(
    values: pd.Series, *, tz: str = TIMEZONE, check_zone: bool = True
) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 timestamps that carry a UTC offset; say why the others fail.

    Parameters
    ----------
    values
        Text such as ``2026-10-25T02:00:00+02:00`` (``Z`` and ``+0200`` are accepted).
    tz
        The zone whose offsets are legitimate besides UTC itself.
    check_zone
        When true, an offset that is neither 0 (UTC) nor the offset ``tz`` uses at that
        instant is a problem: ``2026-07-01T12:00:00+01:00`` is not a Brussels wall clock,
        and ``2026-03-29T02:30:00+01:00`` names a local time that does not exist.

    Returns
    -------
    (ts, problem)
        ``ts`` UTC-aware (NaT where invalid) and ``problem``, a string Series that is NA
        where the value is valid and otherwise says what is wrong.
    """
    text = pd.Series(values, copy=False).astype("string").str.strip()
    index = text.index
    problem = pd.Series(pd.NA, index=index, dtype="string")
    empty = text.isna() | (text == "")
    problem[empty] = "missing timestamp"
    has_offset = text.str.match(_ISO_WITH_OFFSET).fillna(False).astype(bool) & ~empty
    ts = pd.to_datetime(text.where(has_offset), utc=True, format="ISO8601", errors="coerce")
    ts = pd.Series(ts, index=index).astype(TS_DTYPE)
    rest = ~empty & ~has_offset
    if rest.any():
        naive = pd.to_datetime(text[rest], format="ISO8601", errors="coerce")
        no_offset = pd.Series(False, index=index)
        no_offset[rest] = naive.notna().to_numpy()
        problem[no_offset] = "timestamp without UTC offset (ambiguous local time): " + text
    bad = problem.isna() & ts.isna()
    problem[bad] = "unparsable timestamp: " + text[bad]
    if check_zone:
        given = offset_minutes(text)
        zone = zone_offset_minutes(ts, tz)
        wrong = problem.isna() & (given != 0) & (given != zone)
        wrong = wrong.fillna(False).astype(bool)
        if wrong.any():
            expected = zone[wrong].map(_format_offset)
            found = given[wrong].map(_format_offset)
            problem[wrong] = (
                "UTC offset "
                + found
                + " is not the "
                + tz
                + " offset at that instant ("
                + expected
                + "): "
                + text[wrong]
            )
    ts[problem.notna()] = pd.NaT
    return ts, problem


def _format_offset(minutes: float) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(int(abs(minutes)), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def to_utc(value: str) -> pd.Timestamp:
    """Parse one ISO timestamp with offset to a UTC :class:`pandas.Timestamp`.

    Raises
    ------
    ValueError
        If the text has no UTC offset or cannot be parsed.
    """
    ts, problem = parse_timestamps(pd.Series([value]), check_zone=False)
    if pd.notna(problem.iloc[0]):
        raise ValueError(str(problem.iloc[0]))
    return ts.iloc[0]


def local_day(ts: pd.Series, tz: str = TIMEZONE) -> pd.Series:
    """The local date (``YYYY-MM-DD`` strings, NA for NaT) of each UTC instant."""
    ts = pd.Series(ts)
    days = ts.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    codes, uniques = pd.factorize(days)
    labels = np.asarray(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d"), dtype=object)
    out = np.where(codes >= 0, labels[np.clip(codes, 0, None)] if len(labels) else None, None)
    return pd.Series(out, index=ts.index, dtype="string")


def to_local(ts: pd.Series, tz: str = TIMEZONE) -> pd.Series:
    """UTC instants as tz-aware local wall-clock times."""
    return pd.Series(ts).dt.tz_convert(tz)


def day_bounds(day: str | dt.date, tz: str = TIMEZONE) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start (inclusive) and end (exclusive) of a local day."""
    start = _as_day(day)
    end = start + pd.Timedelta(days=1)
    return (
        start.tz_localize(tz).tz_convert("UTC"),
        end.tz_localize(tz).tz_convert("UTC"),
    )


def local_hours(day: str | dt.date, tz: str = TIMEZONE) -> pd.DatetimeIndex:
    """UTC starts of the local hours of ``day``: 23, 24 or 25 of them.

    On 2026-10-25 the list holds both 02:00 hours (00:00Z and 01:00Z); on 2026-03-29 it
    jumps from 01:00 to 03:00 local.
    """
    start, end = day_bounds(day, tz)
    return pd.date_range(start, end, freq="h", inclusive="left").as_unit("us")


def hours_in_day(day: str | dt.date, tz: str = TIMEZONE) -> int:
    """Number of local hours of ``day`` (23 in spring, 25 in autumn, else 24)."""
    start, end = day_bounds(day, tz)
    return int((end - start) / pd.Timedelta(hours=1))


def local_hour_labels(day: str | dt.date, tz: str = TIMEZONE) -> list[str]:
    """Readable labels of :func:`local_hours`, e.g. ``02:00+02:00`` and ``02:00+01:00``."""
    stamps = (h.tz_convert(tz).isoformat() for h in local_hours(day, tz))
    return [s[11:16] + s[-6:] for s in stamps]


def service_day_origin(day: str | dt.date, tz: str = TIMEZONE) -> pd.Timestamp:
    """UTC instant of GTFS time 00:00:00 on a service day: local noon minus 12 hours.

    On DST days this is not local midnight: on 2026-03-29 it is 23:00 local on the 28th.
    """
    noon = (_as_day(day) + pd.Timedelta(hours=12)).tz_localize(tz)
    return (noon - pd.Timedelta(hours=12)).tz_convert("UTC")


def gtfs_seconds_to_utc(day: str | dt.date, seconds: pd.Series, tz: str = TIMEZONE) -> pd.Series:
    """UTC instants of GTFS times (seconds since the service-day origin) on ``day``."""
    secs = pd.to_numeric(pd.Series(seconds), errors="coerce").astype("Float64")
    delta = pd.to_timedelta(secs.astype("float64"), unit="s")
    return (service_day_origin(day, tz) + delta).astype(TS_DTYPE)


def parse_gtfs_times(text: pd.Series, column: str = "time") -> tuple[pd.Series, pd.Series]:
    """Parse GTFS ``H:MM:SS`` times (hours may exceed 23) to seconds (Int64).

    Empty values are NA without a problem (GTFS allows them between timepoints).
    Vectorised over the distinct values.
    """
    stripped = pd.Series(text, copy=False).astype("string").str.strip().fillna("")
    codes, uniques = pd.factorize(stripped)
    parsed = np.array([_hms(u) for u in uniques] + [-2], dtype="int64")
    values = parsed[codes]
    seconds = pd.Series(values, index=stripped.index).astype("Int64")
    seconds = seconds.mask(values < 0)
    problem = pd.Series(pd.NA, index=stripped.index, dtype="string")
    bad = values == -1
    problem[bad] = "unparsable " + column + ": '" + stripped[bad] + "'"
    return seconds, problem


def _hms(value: str) -> int:
    """Seconds of ``H:MM:SS``; -2 for empty, -1 for unparsable."""
    if value == "":
        return -2
    found = _HMS.match(value)
    if found is None:
        return -1
    hours, minutes, seconds = (int(g) for g in found.groups())
    return hours * 3600 + minutes * 60 + seconds


EARLIEST_DAY = "2000-01-01"
"""The earliest local day a dated landing row may carry (older rows are implausible)."""
_DAY_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def file_day(path: object) -> str | None:
    """The local day a daily landing file is named after (``od/2026-10-20.csv`` ->
    ``2026-10-20``), or ``None`` when the file name is not a valid ``YYYY-MM-DD`` date."""
    stem = str(path).replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    if not _DAY_NAME.match(stem):
        return None
    try:
        dt.date.fromisoformat(stem)
    except ValueError:
        return None
    return stem


def run_date(today: dt.date | None = None, tz: str = TIMEZONE) -> dt.date:
    """``today`` if given, else the current local date in ``tz`` (the run date)."""
    return today if today is not None else pd.Timestamp.now(tz=tz).date()


def day_problems(
    ts: pd.Series,
    text: pd.Series,
    day: str | pd.Series | None,
    *,
    today: dt.date | None = None,
    tz: str = TIMEZONE,
) -> pd.Series:
    """Why each valid timestamp does not belong to its file's local day (NA where it does).

    Parameters
    ----------
    ts
        UTC-aware instants (NaT rows are skipped: their parse problem is reported already).
    text
        The timestamps as written in the file (quoted in the reason).
    day
        The file's local day ``YYYY-MM-DD`` (one for all rows, or one per row; NA/None:
        no file day, only the plausible range is checked).
    today
        The run date (default: today in ``tz``). A row dated after ``today + 1 day`` is
        implausible, as is a row before :data:`EARLIEST_DAY`.

    Returns
    -------
    pandas.Series
        ``implausible timestamp (after the run date + 1 day, 2026-12-07): ...``,
        ``implausible timestamp (before 2000-01-01): ...`` or ``timestamp on local day
        2026-10-21, not the file's day 2026-10-20: ...``; NA for the rows that belong.
    """
    ts = pd.Series(ts)
    problem = pd.Series(pd.NA, index=ts.index, dtype="string")
    valid = ts.notna()
    if not valid.any():
        return problem
    shown = pd.Series(text, index=ts.index).astype("string").str.strip()
    local = local_day(ts, tz)
    latest = (run_date(today, tz) + dt.timedelta(days=1)).isoformat()
    late = (valid & (local > latest)).fillna(False).astype(bool)
    problem[late] = f"implausible timestamp (after the run date + 1 day, {latest}): " + shown[late]
    early = (valid & problem.isna() & (local < EARLIEST_DAY)).fillna(False).astype(bool)
    problem[early] = f"implausible timestamp (before {EARLIEST_DAY}): " + shown[early]
    if day is None:
        return problem
    expected = pd.Series(day, index=ts.index, dtype="string")
    other = (valid & problem.isna() & expected.notna() & (local != expected)).fillna(False).astype(bool)
    problem[other] = (
        "timestamp on local day " + local[other] + ", not the file's day "
        + expected[other] + ": " + shown[other]
    )
    return problem
