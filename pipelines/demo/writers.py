"""Atomic writers of the landing files: CSV (with quoting styles), text, JSON, zip."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.lake import write_atomic

ZIP_DATE = (2026, 10, 1, 0, 0, 0)
"""Fixed timestamp of every zip member, so that the archives are byte-identical."""


class Unquoted(str):
    """A CSV value written without quotes (KBO dates are written bare)."""

    __slots__ = ()


def _csv_text(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sep: str, quote_all: bool
) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        text = str(value)
        if quote_all and not isinstance(value, Unquoted):
            return '"' + text.replace('"', '""') + '"'
        if sep in text or '"' in text or "\n" in text:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [sep.join(cell(h) for h in header)]
    if quote_all:
        lines.extend(sep.join(cell(v) for v in row) for row in rows)
    else:
        for row in rows:
            line = sep.join(["" if v is None else str(v) for v in row])
            if line.count(sep) != len(row) - 1 or '"' in line or "\n" in line:
                line = sep.join(cell(v) for v in row)
            lines.append(line)
    return "\n".join(lines) + "\n"


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sep: str = ",",
    bom: bool = False,
    quote_all: bool = False,
) -> int:
    """Write a CSV atomically and return its number of data rows.

    ``None`` is an empty field. With ``quote_all`` every value except :class:`Unquoted`
    ones and ``None`` is wrapped in double quotes (the KBO layout).
    """
    rows = list(rows)
    write_text(path, _csv_text(header, rows, sep=sep, quote_all=quote_all), bom=bom)
    return len(rows)


def write_columns(
    path: Path,
    header: Sequence[str],
    columns: Sequence[Any],
    *,
    sep: str = ",",
    bom: bool = False,
) -> int:
    """Write a CSV from whole columns (vectorised); the values must need no quoting."""
    n = len(columns[0]) if columns else 0
    if n:
        line = np.asarray(columns[0]).astype(str)
        for col in columns[1:]:
            line = np.char.add(np.char.add(line, sep), np.asarray(col).astype(str))
        body = "\n".join(line.tolist()) + "\n"
    else:
        body = ""
    write_text(path, sep.join(header) + "\n" + body, bom=bom)
    return n


def write_text(path: Path, text: str, *, bom: bool = False) -> Path:
    """Write UTF-8 text (optionally with a byte-order mark) atomically, LF line ends."""
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return write_bytes(path, data)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: Path, payload: Any) -> Path:
    """Write compact JSON (keys in insertion order) atomically."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return write_text(path, text + "\n")


def write_zip(path: Path, members: dict[str, str]) -> Path:
    """Write a zip of text members with fixed timestamps (reproducible bytes)."""

    def writer(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, members[name].encode("utf-8"))

    return write_atomic(path, writer)


def csv_member(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The text of a plain comma-separated member (GTFS)."""
    return _csv_text(header, rows, sep=",", quote_all=False)
