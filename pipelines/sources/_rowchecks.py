"""Private helpers of the delimited-text readers: read as text, check rows, split off rejects.

A reader reads every field as text (so the quarantine keeps what the provider wrote),
registers row checks in a :class:`Reasons` (the first failing check names the reason),
then :func:`split` returns the accepted rows and the quarantine. The frame index is the
0-based data row, so the 1-based row number of the quarantine is ``index + 1``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, empty_quarantine, quarantine_rows, split_invalid

Opener = Callable[[], IO[bytes]]


class Reasons:
    """The first failing reason of each row (NA while the row is valid)."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype="string")

    def add(self, bad: pd.Series, reason: str | pd.Series) -> None:
        """Record ``reason`` for the rows flagged in ``bad`` that have no reason yet.

        ``bad`` may cover a subset of the rows (missing rows are not flagged); NA in
        ``bad`` counts as flagged.
        """
        flagged = bad.astype("boolean").fillna(True).astype(bool)
        mask = flagged.reindex(self.reason.index, fill_value=False) & self.reason.isna()
        if not mask.any():
            return
        if isinstance(reason, str):
            self.reason[mask] = reason
        else:
            self.reason[mask] = reason.reindex(self.reason.index)[mask].astype("string")

    def add_problems(self, problem: pd.Series) -> None:
        """Record a Series of problems (NA = no problem), e.g. from ``parse_timestamps``."""
        self.add(problem.notna(), problem)

    @property
    def invalid(self) -> pd.Series:
        return self.reason.notna()


def split(
    frame: pd.DataFrame,
    reasons: Reasons,
    *,
    source: str,
    source_file: str,
    raw_columns: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted rows of ``frame`` and the quarantine of the others (raw = ``raw_columns``)."""
    invalid = reasons.invalid
    _, quarantine = split_invalid(
        frame[list(raw_columns)], invalid, reasons.reason, source=source, source_file=source_file
    )
    return frame[~invalid], quarantine


def read_result(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    reasons: Reasons,
    malformed: pd.DataFrame,
    rows_in: int,
    *,
    source: str,
    source_file: str,
    raw_columns: Sequence[str],
    columns: Sequence[str] | None = None,
) -> ReadResult:
    """The end of every reader: the parsed ``table``'s accepted rows (only ``columns`` if
    given) and, as quarantine, the ``malformed`` lines plus the rows with a reason."""
    kept, quarantine = split(
        frame, reasons, source=source, source_file=source_file, raw_columns=raw_columns
    )
    accepted = table.loc[kept.index] if columns is None else table.loc[kept.index, list(columns)]
    return ReadResult(
        accepted.reset_index(drop=True),
        pd.concat([malformed, quarantine], ignore_index=True),
        rows_in,
    )


def _read_with_csv_module(
    opener: Opener, *, sep: str, label: str, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slow path for files with ragged rows: quarantine rows with a wrong field count."""
    with opener() as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=sep)
        header = [h.strip() for h in next(reader, [])]
        good: list[list[str]] = []
        good_rows: list[int] = []
        bad: list[tuple[int, str, str]] = []
        row = 0
        for record in reader:
            if not record:
                continue
            row += 1
            if len(record) == len(header):
                good.append(record)
                good_rows.append(row - 1)
            else:
                reason = f"expected {len(header)} fields, found {len(record)}"
                bad.append((row, reason, sep.join(record)))
    frame = pd.DataFrame(good, columns=header, index=pd.Index(good_rows), dtype="str")
    quarantine = quarantine_rows(
        source, label, [b[0] for b in bad], [b[1] for b in bad], [b[2] for b in bad]
    )
    return frame, quarantine


def _is_ragged(data: bytes, sep: str) -> bool:
    """True when the non-blank lines do not all hold the same number of separators.

    A cheap screen: quoted separators or line breaks also trigger it, and then the exact
    (slower) csv-module path decides.
    """
    mark = sep.encode()
    counts = {line.count(mark) for line in data.split(b"\n") if line.strip(b"\r")}
    return len(counts) > 1


def read_text_table(
    opener: Opener,
    *,
    label: str,
    source: str,
    sep: str = ",",
    required: Sequence[str] = (),
    strict_fields: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read a delimited UTF-8 (BOM optional) file as text.

    Returns ``(frame, malformed, rows_in)``: ``frame`` holds every well-formed data row as
    text (index = 0-based data row), ``malformed`` the quarantine of rows with a wrong
    number of fields, ``rows_in`` the data rows seen. Without ``strict_fields`` (large
    GTFS files, read in a stream) rows with too few fields are padded with empty values;
    rows with too many are always quarantined.

    Raises
    ------
    InputError
        If the file is empty, not UTF-8, or lacks a required column.
    """
    malformed = empty_quarantine()
    if strict_fields:
        with opener() as handle:
            data = handle.read()
        opener = lambda: io.BytesIO(data)  # noqa: E731
    try:
        if strict_fields and _is_ragged(data, sep):
            raise pd.errors.ParserError("ragged rows")
        with opener() as handle:
            frame = pd.read_csv(
                handle, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
    except pd.errors.EmptyDataError as exc:
        raise InputError("empty file", path=label, expected="a header line") from exc
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=label, found=str(exc)) from exc
    except pd.errors.ParserError:
        try:
            frame, malformed = _read_with_csv_module(opener, sep=sep, label=label, source=source)
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text", path=label, found=str(exc)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing required column {missing[0]!r}",
            path=label,
            expected=", ".join(required),
            found=", ".join(frame.columns) or "no columns",
        )
    frame = frame.fillna("")
    return frame, malformed, len(frame) + len(malformed)


def parse_count(text: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Parse non-negative integer counts (``7`` or ``7.0``); NA problem where valid.

    Returns ``(values as Int64, problem)``; problems say missing, non-numeric, negative
    or non-integer and quote the value.
    """
    stripped = text.astype("string").str.strip()
    number = pd.to_numeric(stripped, errors="coerce")
    problem = pd.Series(pd.NA, index=text.index, dtype="string")
    empty = stripped.isna() | (stripped == "")
    problem[empty] = "missing " + column
    nonnum = number.isna() & ~empty
    problem[nonnum] = "non-numeric " + column + ": '" + stripped[nonnum] + "'"
    negative = problem.isna() & (number < 0)
    problem[negative] = "negative " + column + ": " + stripped[negative]
    fractional = problem.isna() & (number % 1 != 0)
    problem[fractional] = "non-integer " + column + ": " + stripped[fractional]
    values = number.where(problem.isna()).round().astype("Int64")
    return values, problem


def duplicate_problems(frame: pd.DataFrame, keys: Sequence[str], what: str) -> pd.Series:
    """Problems for every repeat of ``keys`` after the first one: ``duplicate <what> ...``.

    The frame index is the 0-based data row; the reason names the 1-based row kept.
    """
    problem = pd.Series(pd.NA, index=frame.index, dtype="string")
    dup = frame.duplicated(list(keys), keep="first")
    if dup.any():
        rows = pd.Series(frame.index + 1, index=frame.index)
        first = rows.groupby([frame[k] for k in keys], dropna=False).transform("min")
        problem[dup] = "duplicate " + what + " (first at row " + first[dup].astype(str) + ")"
    return problem


BELGIUM_BBOX = (2.3, 49.4, 6.5, 51.6)
"""(min lon, min lat, max lon, max lat) around Belgium, generous by about 10 km."""

_NIS = r"^\d{5}$"


def nis_problems(text: pd.Series) -> pd.Series:
    """Problems of NIS/REFNIS codes: 5 digits as text."""
    stripped = text.astype("string").str.strip()
    problem = pd.Series(pd.NA, index=text.index, dtype="string")
    bad = ~stripped.str.match(_NIS).fillna(False).astype(bool)
    problem[bad] = "NIS code is not 5 digits: '" + stripped[bad] + "'"
    return problem


def coordinate_problems(
    lon_text: pd.Series, lat_text: pd.Series, *, bbox: tuple[float, float, float, float] | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse lon/lat text; problems for non-numeric, out of range or outside ``bbox``.

    Returns ``(lon, lat, problem)`` with float lon/lat (NaN where invalid).
    """
    lon = pd.to_numeric(lon_text.astype("string").str.strip(), errors="coerce").astype("float64")
    lat = pd.to_numeric(lat_text.astype("string").str.strip(), errors="coerce").astype("float64")
    problem = pd.Series(pd.NA, index=lon_text.index, dtype="string")
    shown = "lon " + lon_text.astype("string") + ", lat " + lat_text.astype("string")
    nonnum = lon.isna() | lat.isna()
    problem[nonnum] = "missing or non-numeric coordinates: " + shown[nonnum]
    outside = problem.isna() & ((lon.abs() > 180) | (lat.abs() > 90))
    problem[outside] = "coordinates out of range: " + shown[outside]
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        away = problem.isna() & ~(lon.between(x0, x1) & lat.between(y0, y1))
        problem[away] = "coordinates outside Belgium (lon/lat swapped?): " + shown[away]
    return lon, lat, problem


def isin_text(values: pd.Series, pool: pd.Series) -> pd.Series:
    """``values.isin(pool)`` for text columns, through Arrow (pandas' is slow on large pools)."""
    left = pa.array(values.astype("string"), type=pa.large_string())
    right = pa.array(pool.astype("string"), type=pa.large_string())
    found = pc.is_in(left, value_set=right).to_numpy(zero_copy_only=False)
    return pd.Series(found, index=values.index).fillna(False).astype(bool)


def path_opener(path: object) -> Opener:
    """An opener of a plain file (``open(path, 'rb')``)."""
    return lambda: open(path, "rb")  # noqa: SIM115
