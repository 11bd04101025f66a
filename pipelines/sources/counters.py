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

import codecs
import datetime as dt
import io
import zipfile
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.constants import TIMEZONE
from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows
from pipelines.sources._rowchecks import (
    BELGIUM_BBOX,
    Reasons,
    coordinate_problems,
    isin_text,
    nis_problems,
    parse_count,
    path_opener,
    read_result,
    read_text_table,
    require_file,
)
from pipelines.timeutil import TS_DTYPE, day_problems, file_day, local_day, parse_timestamps

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


_require_file = require_file


def _ghent_member(archive: zipfile.ZipFile) -> tuple[str | None, str]:
    """The single member of a Ghent zip, or ``None`` and the reason."""
    members = [m for m in archive.namelist() if not m.endswith("/")]
    if len(members) != 1:
        found = f"{len(members)}: {', '.join(members[:5])}"
        return None, f"cannot pick the counts file in the zip (expected exactly one file; found {found})"
    return members[0], ""


def _empty_counts() -> pd.DataFrame:
    frame = pd.DataFrame({"counter_id": pd.Series(dtype="string"), "ts": pd.Series(dtype=TS_DTYPE)})
    frame["day"] = pd.Series(dtype="string")
    for column in ("total", "direction_main", "direction_opposite"):
        frame[column] = pd.Series(dtype="Int64")
    return frame[list(COUNT_COLUMNS)]


def read_ghent(
    path: Path,
    counter_id: str | None = None,
    *,
    known: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Read a Stad Gent 5-minute counter CSV, or a zip holding one such file.

    Parameters
    ----------
    path
        ``.csv`` file or ``.zip`` with exactly one file inside.
    counter_id
        The id to store; by default the ``Code`` column.
    known
        The counter ids of the registry; when given, other ids are quarantined
        (``unknown counter_id 'X' (not in counters/counters.csv)``).
    day, today
        The file's local day (default: the file name's ``YYYY-MM-DD``, if it is one) and
        the run date (default: today): a row of another day, before 2000 or after
        ``today`` + 1 day is quarantined.

    Returns
    -------
    ReadResult
        ``counter_id, ts, day, total, direction_main, direction_opposite``; quarantined:
        unparsable timestamps (or offsets foreign to Brussels), missing/non-numeric/
        negative/non-integer counts, ``Totaal`` differing from the sum of the directions,
        repeated timestamps of a counter, unknown counters (with ``known``). A ``.zip``
        that is not a zip or holds other than one file is one file-level quarantine row.
    """
    path = Path(path)
    _require_file(path)
    if path.suffix.lower() == ".zip" and not zipfile.is_zipfile(path):
        reason = "not a zip archive (expected a zip holding one Ghent CSV)"
        return ReadResult(_empty_counts(), file_quarantine(SOURCE, str(path), reason), 1)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member, reason = _ghent_member(archive)
            if member is None:
                return ReadResult(_empty_counts(), file_quarantine(SOURCE, str(path), reason), 1)
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
    table, reasons = _parse_ghent(frame, counter_id, known, day or file_day(path), today)
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


def read_ghent_files(
    files: Sequence[tuple[Path, str | None]],
    *,
    known: Collection[str] | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Several Ghent 5-minute CSV files parsed in one vectorised pass.

    The same result as concatenating :func:`read_ghent` of each ``(path, counter_id)``, but
    the per-file cost of parsing is paid once (a day of the demo holds ten small files).
    Repeated (counter, timestamp) pairs are found across the files too. An empty,
    header-only or unreadable file gives its file-level quarantine row; the others are read.
    Each file's day is its name's ``YYYY-MM-DD`` (rows of another day are quarantined).
    """
    frames, malformed, rows_in = [], [], 0
    plain: list[tuple[int, str, str | None, bytes]] = []
    for position, (path, counter_id) in enumerate(files):
        path = Path(path)
        _require_file(path)
        data = path.read_bytes()
        body = _plain_body(data)
        if body is not None:
            plain.append((position, str(path), counter_id, body))
            continue
        frame, bad, n = read_text_table(
            lambda data=data: io.BytesIO(data),
            label=str(path),
            source=SOURCE,
            sep=";",
            required=GHENT_COLUMNS,
        )
        ids = frame["Code"].str.strip() if counter_id is None else counter_id
        frames.append(frame.assign(_file=str(path), _row=frame.index + 1, _id=ids, _pos=position))
        malformed.append(bad)
        rows_in += n
    if plain:
        frames.append(_plain_frame(plain))
        rows_in += len(frames[-1])
    if not frames:
        return ReadResult(_empty_counts(), rows_in=0)
    frame = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        frame = frame.sort_values("_pos", kind="stable", ignore_index=True)
    days = frame["_file"].map({f: file_day(f) for f in frame["_file"].unique()}).astype("string")
    table, reasons = _parse_ghent(frame, frame["_id"], known, days, today)
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


_PLAIN_HEADER = ";".join(GHENT_COLUMNS).encode()


def _plain_body(data: bytes) -> bytes | None:
    """The data lines of a Ghent file that :func:`read_text_table` would read with one
    plain ``read_csv`` and no quarantine: UTF-8 (BOM optional), exactly the Ghent header,
    ``\\n`` line ends, no quotes, no NUL, no blank line, at least one data row, seven
    separators on every line. ``None`` for any other file (it takes the general path)."""
    data = data.removeprefix(codecs.BOM_UTF8)
    header, _, body = data.partition(b"\n")
    if header != _PLAIN_HEADER or not body.endswith(b"\n") or body.startswith(b"\n"):
        return None
    if any(c in body for c in (b'"', b"\r", b"\x00", b"\n\n")):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if body.count(b";") != 7 * body.count(b"\n"):
        return None
    if any(line.count(b";") != 7 for line in body.split(b"\n")[:-1]):
        return None
    return body


def _plain_frame(plain: list[tuple[int, str, str | None, bytes]]) -> pd.DataFrame:
    """The rows of the plain files (see :func:`_plain_body`) parsed by one ``read_csv``,
    with the ``_file, _row, _id, _pos`` columns ``read_ghent_files`` adds per file."""
    frame = pd.read_csv(
        io.BytesIO(b"".join(body for *_, body in plain)),
        sep=";",
        header=None,
        names=list(GHENT_COLUMNS),
        dtype=str,
        keep_default_na=False,
        encoding="utf-8",
    )
    counts = np.array([body.count(b"\n") for *_, body in plain])
    if counts.sum() != len(frame):  # cannot happen for plain files; never guess
        raise AssertionError("Ghent plain files: rows parsed differ from lines")
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    ids = np.repeat(np.array([c for _, _, c, _ in plain], dtype=object), counts)
    if any(c is None for _, _, c, _ in plain):
        code = frame["Code"].str.strip()
        ids = np.where(pd.isna(ids), code.to_numpy(dtype=object), ids)
    return frame.assign(
        _file=np.repeat(np.array([f for _, f, _, _ in plain], dtype=object), counts),
        _row=np.arange(len(frame), dtype=np.int64) - starts + 1,
        _id=pd.Series(ids, index=frame.index, dtype="str"),
        _pos=np.repeat(np.array([p for p, *_ in plain]), counts),
    )


def _parse_ghent(
    frame: pd.DataFrame,
    counter_id: str | pd.Series | None,
    known: Collection[str] | None = None,
    day: str | pd.Series | None = None,
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, Reasons]:
    reasons = Reasons(frame.index)
    if counter_id is None:
        ids = frame["Code"].str.strip()
    elif isinstance(counter_id, pd.Series):
        ids = counter_id.astype("string")
    else:
        ids = pd.Series(counter_id, index=frame.index)
    reasons.add(ids == "", "missing Code (counter id)")
    if known is not None:
        unknown = ~isin_text(ids, pd.Series(list(known), dtype="string"))
        reasons.add(unknown, "unknown counter_id '" + ids + "' (not in counters/counters.csv)")
    ts, problem = parse_timestamps(frame["Ordening"])
    reasons.add_problems(problem)
    reasons.add_problems(day_problems(ts, frame["Ordening"], day, today=today))
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
