"""Mobile-operator origin-destination flows by statistical sector and hour.

``od/<YYYY-MM-DD>.csv``, ``;``-separated: ``hour_start;origin_sector;destination_sector;trips``
with ``hour_start`` in ISO 8601 *with* its UTC offset (the two 02:00 hours of the autumn
night differ only by it) and sectors as Statbel ``CD_SECTOR`` codes (``92094A00-``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import (
    Reasons,
    duplicate_problems,
    isin_text,
    parse_count,
    path_opener,
    read_result,
    read_text_table,
    require_file,
)
from pipelines.timeutil import day_problems, file_day, local_day, parse_timestamps

SOURCE = "od"
OD_COLUMNS = ("hour_start", "origin_sector", "destination_sector", "trips")
SECTOR_PATTERN = r"^\d{5}[A-Z][0-9A-Z]{2}[0-9A-Z-]$"
"""Statbel CD_SECTOR: the 5-digit NIS code, a letter, then 3 characters (``21001A01-``,
``21001A011``, ``21001ZZZZ`` for an unknown sector)."""


def _sector(
    text: pd.Series, column: str, reasons: Reasons, known: Collection[str] | None
) -> pd.Series:
    code = text.str.strip().str.upper()
    bad = ~code.str.match(SECTOR_PATTERN).fillna(False).astype(bool)
    reasons.add(bad, "invalid " + column + " (expected a CD_SECTOR code): '" + text + "'")
    if known is not None:
        unknown = ~isin_text(code, pd.Series(list(known), dtype="string"))
        reasons.add(unknown, "unknown " + column + " '" + code + "' (not in the Statbel sectors)")
    return code.astype("string")


def read_od(
    path: Path,
    *,
    sectors: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Read one hourly OD file.

    Returns
    -------
    ReadResult
        ``ts, day, origin_sector, destination_sector, trips`` (Int64). Quarantined:
        timestamps missing, unparsable, without offset, with an offset Brussels does not
        use at that instant, or not on an hour boundary; sector codes that are not
        CD_SECTOR codes; missing/non-numeric/negative/non-integer trips; repeated
        (ts, origin, destination); with ``sectors`` (the ``sector_id`` of the Statbel
        sectors), a sector not in it (``21001ZZZZ``, the operator's "unknown sector", is
        accepted when listed in ``sectors`` only); an ``hour_start`` outside the file's
        local day (``day``, by default the file name's ``YYYY-MM-DD``) or implausible
        (before 2000, after the run date ``today`` + 1 day).
    """
    path = Path(path)
    require_file(path)
    frame, malformed, rows_in = read_text_table(
        path_opener(path), label=str(path), source=SOURCE, sep=";", required=OD_COLUMNS
    )
    reasons = Reasons(frame.index)
    ts, problem = parse_timestamps(frame["hour_start"])
    reasons.add_problems(problem)
    reasons.add(
        ts.notna() & (ts != ts.dt.floor("h")),
        "hour_start not on an hour boundary: " + frame["hour_start"],
    )
    reasons.add_problems(day_problems(ts, frame["hour_start"], day or file_day(path), today=today))
    origin = _sector(frame["origin_sector"], "origin_sector", reasons, sectors)
    destination = _sector(frame["destination_sector"], "destination_sector", reasons, sectors)
    trips, problem = parse_count(frame["trips"], "trips")
    reasons.add_problems(problem)
    table = pd.DataFrame({"ts": ts, "origin_sector": origin, "destination_sector": destination})
    valid = table[~reasons.invalid]
    keys = ["ts", "origin_sector", "destination_sector"]
    reasons.add_problems(duplicate_problems(valid, keys, "hour_start+origin+destination"))
    table["day"] = local_day(ts)
    table["trips"] = trips
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=OD_COLUMNS,
        columns=["ts", "day", "origin_sector", "destination_sector", "trips"],
    )
