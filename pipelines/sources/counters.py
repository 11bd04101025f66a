"""Pedestrian and bike counters: the registry and the Stad Gent 5-minute CSV.

The Ghent layout (``;``, UTF-8 with BOM)::

    Code;Locatie;Datum;Uur5Minuten;Ordening;Totaal;Tegenrichting;Hoofdrichting
    COU;Coupure-Links;2022-01-01;0:05:00;2022-01-01T00:05:00+01:00;2;1;1

``Ordening`` (ISO timestamp with offset) is the truth for time; ``Datum``/``Uur5Minuten``
are the provider's wall clock. On spring-forward days the real files repeat 03:00-03:55
under ``Uur5Minuten`` 2:00-2:55 (zeros): those rows duplicate a timestamp and are
quarantined, the row whose wall clock agrees with ``Ordening`` being kept.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipelines.constants import TIMEZONE
from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, quarantine_rows
from pipelines.sources._rowchecks import (
    BELGIUM_BBOX,
    Reasons,
    coordinate_problems,
    duplicate_problems,
    nis_problems,
    parse_count,
    path_opener,
    read_result,
    read_text_table,
)
from pipelines.timeutil import TS_DTYPE, local_day, parse_timestamps

SOURCE = "counters"
KINDS = ("pedestrian", "bike")
REGISTRY_COLUMNS = ("counter_id", "nis", "name", "kind", "lon", "lat")
GHENT_COLUMNS = (
    "Code",
    "Locatie",
    "Datum",
    "Uur5Minuten",
    "Ordening",
    "Totaal",
    "Tegenrichting",
    "Hoofdrichting",
)
COUNT_COLUMNS = ("counter_id", "ts", "day", "total", "direction_main", "direction_opposite")
BRUBIKE_COLUMNS = ("device_name", "timestamp_from", "timestamp_until", "bike_count")


def read_registry(path: Path) -> ReadResult:
    """Read ``counters/counters.csv`` (``counter_id,nis,name,kind,lon,lat``).

    Quarantined: missing counter_id, NIS not 5 digits, kind not pedestrian/bike,
    non-numeric or out-of-Belgium coordinates, repeated counter_id.
    """
    path = Path(path)
    _require_file(path)
    frame, malformed, rows_in = read_text_table(
        path_opener(path), label=str(path), source=SOURCE, required=REGISTRY_COLUMNS
    )
    reasons = Reasons(frame.index)
    frame["counter_id"] = frame["counter_id"].str.strip()
    reasons.add(frame["counter_id"] == "", "missing counter_id")
    reasons.add_problems(nis_problems(frame["nis"]))
    kind = frame["kind"].str.strip().str.lower()
    reasons.add(~kind.isin(KINDS), "kind is not pedestrian or bike: '" + frame["kind"] + "'")
    lon, lat, problem = coordinate_problems(frame["lon"], frame["lat"], bbox=BELGIUM_BBOX)
    reasons.add_problems(problem)
    valid = frame[~reasons.invalid]
    dup = valid["counter_id"].duplicated()
    reasons.add(dup, "duplicate counter_id '" + valid["counter_id"] + "'")
    table = pd.DataFrame(
        {
            "counter_id": frame["counter_id"].astype("string"),
            "nis": frame["nis"].str.strip().astype("string"),
            "name": frame["name"].str.strip().astype("string"),
            "kind": kind.astype("string"),
            "lon": lon,
            "lat": lat,
        }
    )
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=REGISTRY_COLUMNS,
    )


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError("file not found", path=path)


def _ghent_member(archive: zipfile.ZipFile, path: Path) -> str:
    members = [m for m in archive.namelist() if not m.endswith("/")]
    if len(members) != 1:
        raise InputError(
            "cannot pick the counts file in the zip",
            path=path,
            expected="exactly one file",
            found=f"{len(members)}: {', '.join(members[:5])}",
        )
    return members[0]


def read_ghent(path: Path, counter_id: str | None = None) -> ReadResult:
    """Read a Stad Gent 5-minute counter CSV, or a zip holding one such file.

    Parameters
    ----------
    path
        ``.csv`` file or ``.zip`` with exactly one file inside.
    counter_id
        The id to store; by default the ``Code`` column.

    Returns
    -------
    ReadResult
        ``counter_id, ts, day, total, direction_main, direction_opposite``; quarantined:
        unparsable timestamps (or offsets foreign to Brussels), missing/non-numeric/
        negative/non-integer counts, ``Totaal`` differing from the sum of the directions,
        repeated timestamps of a counter.
    """
    path = Path(path)
    _require_file(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = _ghent_member(archive, path)
            label = f"{path}/{member}"
            frame, malformed, rows_in = read_text_table(
                lambda: archive.open(member),
                label=label,
                source=SOURCE,
                sep=";",
                required=GHENT_COLUMNS,
            )
    else:
        label = str(path)
        frame, malformed, rows_in = read_text_table(
            path_opener(path), label=label, source=SOURCE, sep=";", required=GHENT_COLUMNS
        )
    table, reasons = _parse_ghent(frame, counter_id)
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=label,
        raw_columns=GHENT_COLUMNS,
        columns=list(COUNT_COLUMNS),
    )


def read_ghent_files(files: Sequence[tuple[Path, str | None]]) -> ReadResult:
    """Several Ghent 5-minute CSV files parsed in one vectorised pass.

    The same result as concatenating :func:`read_ghent` of each ``(path, counter_id)``, but
    the per-file cost of parsing is paid once (a day of the demo holds ten small files).
    Repeated (counter, timestamp) pairs are found across the files too.
    """
    frames, malformed, rows_in = [], [], 0
    for path, counter_id in files:
        path = Path(path)
        _require_file(path)
        frame, bad, n = read_text_table(
            path_opener(path), label=str(path), source=SOURCE, sep=";", required=GHENT_COLUMNS
        )
        ids = frame["Code"].str.strip() if counter_id is None else counter_id
        frames.append(frame.assign(_file=str(path), _row=frame.index + 1, _id=ids))
        malformed.append(bad)
        rows_in += n
    if not frames:
        return ReadResult(pd.DataFrame(columns=list(COUNT_COLUMNS)), rows_in=0)
    frame = pd.concat(frames, ignore_index=True)
    table, reasons = _parse_ghent(frame, frame["_id"])
    bad = reasons.invalid
    quarantine = quarantine_rows(
        SOURCE,
        frame.loc[bad, "_file"],
        frame.loc[bad, "_row"],
        reasons.reason[bad],
        frame.loc[bad, list(GHENT_COLUMNS)].to_dict(orient="records"),
    )
    return ReadResult(
        table.loc[~bad, list(COUNT_COLUMNS)].reset_index(drop=True),
        pd.concat([*malformed, quarantine], ignore_index=True),
        rows_in,
    )


def _parse_ghent(
    frame: pd.DataFrame, counter_id: str | pd.Series | None
) -> tuple[pd.DataFrame, Reasons]:
    reasons = Reasons(frame.index)
    if counter_id is None:
        ids = frame["Code"].str.strip()
    elif isinstance(counter_id, pd.Series):
        ids = counter_id.astype("string")
    else:
        ids = pd.Series(counter_id, index=frame.index)
    reasons.add(ids == "", "missing Code (counter id)")
    ts, problem = parse_timestamps(frame["Ordening"])
    reasons.add_problems(problem)
    values = {}
    for column, name in (
        ("Totaal", "total"),
        ("Hoofdrichting", "direction_main"),
        ("Tegenrichting", "direction_opposite"),
    ):
        values[name], problem = parse_count(frame[column], column)
        reasons.add_problems(problem)
    both = values["direction_main"] + values["direction_opposite"]
    mismatch = (values["total"] != both).fillna(False)
    reasons.add(
        mismatch,
        "Totaal "
        + values["total"].astype("string")
        + " != Hoofdrichting + Tegenrichting = "
        + both.astype("string"),
    )
    table = pd.DataFrame({"counter_id": ids.astype("string"), "ts": ts, **values})
    _flag_duplicates(frame, table, reasons)
    table["ts"] = table["ts"].astype(TS_DTYPE)
    table["day"] = local_day(table["ts"])
    return table, reasons


def _flag_duplicates(frame: pd.DataFrame, table: pd.DataFrame, reasons: Reasons) -> None:
    """Quarantine repeated (counter_id, ts); keep the row whose wall clock matches ts."""
    valid = table[~reasons.invalid]
    dup_any = valid.duplicated(["counter_id", "ts"], keep=False)
    if not dup_any.any():
        return
    group = valid[dup_any]
    local = group["ts"].dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    clock = pd.to_timedelta(frame.loc[group.index, "Uur5Minuten"].str.strip(), errors="coerce")
    same_day = frame.loc[group.index, "Datum"].str.strip() == local.dt.strftime("%Y-%m-%d")
    matches = same_day & (clock == local - local.dt.normalize())
    order = pd.DataFrame(
        {"id": group["counter_id"], "ts": group["ts"], "miss": ~matches, "row": group.index}
    ).sort_values(["id", "ts", "miss", "row"])
    repeat = order.duplicated(["id", "ts"], keep="first")
    kept_row = order.groupby(["id", "ts"])["row"].transform("first") + 1
    note = pd.Series("", index=order.index, dtype="string")
    note[order["miss"]] = " with Uur5Minuten not matching Ordening"
    reason = (
        "duplicate timestamp "
        + frame.loc[order.index, "Ordening"].astype("string")
        + note
        + " (kept row "
        + kept_row.astype("string")
        + ")"
    )
    reasons.add(repeat[repeat], reason)


def read_brubike(path: Path) -> ReadResult:
    """Read a Brussels Mobility bike-count TSV as collected by BRUBIKE (15-minute counts).

    Times are Unix epoch seconds (UTC, unambiguous). Intervals with no bike are absent
    from the source, so hourly ``complete`` flags (``intervals_per_hour=4``) say little.

    Returns
    -------
    ReadResult
        ``counter_id, ts, day, total, avg_speed_kmh``. Quarantined: missing device name,
        non-integer epoch, an interval other than 15 minutes (899-901 s), a missing,
        non-numeric, negative or non-integer count, a repeated (device, ts).
    """
    path = Path(path)
    _require_file(path)
    frame, malformed, rows_in = read_text_table(
        path_opener(path), label=str(path), source=SOURCE, sep="\t", required=BRUBIKE_COLUMNS
    )
    reasons = Reasons(frame.index)
    ids = frame["device_name"].str.strip()
    reasons.add(ids == "", "missing device_name")
    start, problem = parse_count(frame["timestamp_from"], "timestamp_from")
    reasons.add_problems(problem)
    end, problem = parse_count(frame["timestamp_until"], "timestamp_until")
    reasons.add_problems(problem)
    length = end - start
    reasons.add(
        ~length.between(899, 901),
        "interval of " + length.astype("string") + " s, expected 900 s",
    )
    total, problem = parse_count(frame["bike_count"], "bike_count")
    reasons.add_problems(problem)
    ts = pd.to_datetime(start.astype("Float64").astype("float64"), unit="s", utc=True)
    table = pd.DataFrame({"counter_id": ids.astype("string"), "ts": ts.astype(TS_DTYPE)})
    valid = table[~reasons.invalid]
    reasons.add_problems(duplicate_problems(valid, ["counter_id", "ts"], "device+timestamp"))
    table["day"] = local_day(table["ts"])
    table["total"] = total
    speed = frame.get("bike_avg_speed", pd.Series("", index=frame.index))
    table["avg_speed_kmh"] = pd.to_numeric(speed, errors="coerce").astype("Float64")
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


def to_hourly(
    counts: pd.DataFrame,
    *,
    value: str = "total",
    id_col: str = "counter_id",
    intervals_per_hour: int = 12,
) -> pd.DataFrame:
    """Hourly sums of interval counts, per counter, on UTC hour starts.

    Brussels offsets are whole hours, so the UTC hour is the local hour: on the night
    summer time ends the two local 02:00 hours are two rows (distinct ``ts``), and the
    missing 02:00 of March never appears. Hours without any interval are absent (gaps).

    Returns
    -------
    pandas.DataFrame
        ``id_col, ts, day, <value>, n_intervals, complete`` where ``complete`` means
        ``n_intervals == intervals_per_hour`` (12 five-minute intervals).
    """
    hour = counts["ts"].dt.floor("h").rename("ts")
    grouped = counts.groupby([counts[id_col], hour], sort=True)[value]
    out = grouped.agg(["sum", "count"]).reset_index()
    out = out.rename(columns={"sum": value, "count": "n_intervals"})
    out["n_intervals"] = out["n_intervals"].astype("int64")
    out["complete"] = out["n_intervals"] == intervals_per_hour
    out["ts"] = out["ts"].astype(TS_DTYPE)
    out["day"] = local_day(out["ts"])
    return out[[id_col, "ts", "day", value, "n_intervals", "complete"]]
