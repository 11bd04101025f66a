"""Footfall counts in simple CSV layouts: a generic counter CSV and SNCB station boardings.

**Generic counter CSV** (any counter vendor's export reduced to three columns)::

    counter_id,timestamp,count
    PED1,2026-10-25T02:00:00+02:00,12
    PED1,2026-10-25T02:00:00+01:00,9

``timestamp`` is the interval start in ISO 8601 *with* its UTC offset (the two 02:00 of
the autumn night are then distinct); any interval length works (``counters.to_hourly``
sums them per hour). Other column names or separators are mapped with ``columns`` and
``sep``.

**SNCB boardings** (``Cijfers opgestapte reizigers`` as republished by iRail)::

    URI,name,nmbs_short_name,average_weekday_embarkments,average_saturday_embarkments,...
    http://irail.be/stations/NMBS/008895000,Aalst,AALST,5.827,2.271,1.942

Counts use ``.`` as the **thousands separator** (``5.827`` is 5,827 travellers, ``794`` is
794); an empty value means "not published" and stays missing. ``nmbs_short_name`` is the
key: the ``URI``/``name`` join is wrong for a few stations in the source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import (
    Reasons,
    duplicate_problems,
    isin_text,
    parse_count,
    path_opener,
    read_result,
    read_text_table,
)
from pipelines.timeutil import TS_DTYPE, day_problems, file_day, local_day, parse_timestamps

SOURCE = "counters"
GENERIC_COLUMNS = ("counter_id", "timestamp", "count")
SNCB_SOURCE = "sncb_boardings"
SNCB_COUNTS = {
    "average_weekday_embarkments": "weekday",
    "average_saturday_embarkments": "saturday",
    "average_sunday_embarkments": "sunday",
}
SNCB_COLUMNS = ("URI", "name", "nmbs_short_name", *SNCB_COUNTS)
THOUSANDS = r"^\d{1,3}(?:\.\d{3})*$"


def _read(path: Path, *, source: str, sep: str, required: tuple[str, ...]) -> tuple:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    return read_text_table(
        path_opener(path), label=str(path), source=source, sep=sep, required=required
    )


def read_generic(
    path: Path,
    *,
    sep: str = ",",
    columns: Mapping[str, str] | None = None,
    known: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Read a generic counter CSV (``counter_id,timestamp,count``).

    Parameters
    ----------
    path
        The CSV file (UTF-8, BOM optional).
    sep
        Field separator.
    columns
        Provider column name for each of ``counter_id``, ``timestamp``, ``count`` when they
        differ, e.g. ``{"counter_id": "site", "count": "value"}``.
    known
        The counter ids of the registry; when given, other ids are quarantined.
    day, today
        The file's local day (default: the file name's ``YYYY-MM-DD``, if it is one) and
        the run date (default: today): a row of another day, before 2000 or after
        ``today`` + 1 day is quarantined.

    Returns
    -------
    ReadResult
        ``counter_id, ts, day, total`` (the columns of ``counters.read_ghent`` that
        ``counters.to_hourly`` needs). Quarantined: missing counter id; timestamps without
        offset, unparsable or with an offset Brussels does not use then; missing,
        non-numeric, negative or fractional counts; a repeated (counter_id, timestamp).
    """
    names = {c: (columns or {}).get(c, c) for c in GENERIC_COLUMNS}
    frame, malformed, rows_in = _read(path, source=SOURCE, sep=sep, required=tuple(names.values()))
    reasons = Reasons(frame.index)
    ids = frame[names["counter_id"]].str.strip()
    reasons.add(ids == "", "missing counter_id")
    if known is not None:
        unknown = ~isin_text(ids, pd.Series(list(known), dtype="string"))
        reasons.add(unknown, "unknown counter_id '" + ids + "' (not in counters/counters.csv)")
    ts, problem = parse_timestamps(frame[names["timestamp"]])
    reasons.add_problems(problem)
    reasons.add_problems(day_problems(ts, frame[names["timestamp"]], day or file_day(path), today=today))
    total, problem = parse_count(frame[names["count"]], names["count"])
    reasons.add_problems(problem)
    table = pd.DataFrame({"counter_id": ids.astype("string"), "ts": ts.astype(TS_DTYPE)})
    reasons.add_problems(
        duplicate_problems(table[~reasons.invalid], ["counter_id", "ts"], "counter+timestamp")
    )
    table["day"] = local_day(table["ts"])
    table["total"] = total
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=list(frame.columns),
    )


def parse_thousands(text: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Parse counts written with ``.`` as thousands separator; empty stays missing.

    Returns ``(values as Int64, problem)``: ``5.827`` -> 5827, ``794`` -> 794, ``""`` -> NA
    (no problem); anything else (``5.8``, ``21,3``, ``-4``) is a problem quoting the value.
    """
    stripped = text.astype("string").str.strip().fillna("")
    good = stripped.str.fullmatch(THOUSANDS).fillna(False).astype(bool)
    empty = stripped == ""
    problem = pd.Series(pd.NA, index=text.index, dtype="string")
    bad = ~good & ~empty
    problem[bad] = (
        "malformed "
        + column
        + ": '"
        + stripped[bad]
        + "' (expected digits with '.' as thousands separator)"
    )
    values = pd.to_numeric(stripped.where(good).str.replace(".", "", regex=False), errors="coerce")
    return values.astype("Int64"), problem


def read_sncb_boardings(path: Path) -> ReadResult:
    """Read SNCB average boardings per station (weekday, Saturday, Sunday).

    Returns
    -------
    ReadResult
        ``station`` (``nmbs_short_name``), ``name``, ``uri``, ``weekday``, ``saturday``,
        ``sunday`` (Int64 travellers per day; missing when not published). Quarantined:
        missing ``nmbs_short_name``, malformed counts, a repeated station.
    """
    frame, malformed, rows_in = _read(path, source=SNCB_SOURCE, sep=",", required=SNCB_COLUMNS)
    reasons = Reasons(frame.index)
    station = frame["nmbs_short_name"].str.strip()
    reasons.add(station == "", "missing nmbs_short_name")
    table = pd.DataFrame(
        {
            "station": station.astype("string"),
            "name": frame["name"].str.strip().astype("string"),
            "uri": frame["URI"].str.strip().astype("string"),
        }
    )
    for column, name in SNCB_COUNTS.items():
        table[name], problem = parse_thousands(frame[column], column)
        reasons.add_problems(problem)
    reasons.add_problems(
        duplicate_problems(table[~reasons.invalid], ["station"], "nmbs_short_name")
    )
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SNCB_SOURCE,
        source_file=str(path),
        raw_columns=SNCB_COLUMNS,
    )
