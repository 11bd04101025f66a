"""Private helpers of the comma-separated readers: read every field as text, pick the first
failing check's reason per row."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from pipelines.errors import InputError
from pipelines.quarantine import quarantine_rows


def read_text_csv(
    path: Path, columns: tuple[str, ...], source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every field a stripped string ('' -> NA) plus a 1-based ``_row``; lines with the wrong
    number of fields go to the returned quarantine."""
    if not path.exists():
        raise InputError("file not found", path=path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [row for row in csv.reader(fh) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError("not a UTF-8 CSV file", path=path, found=str(exc)) from exc
    if not rows:
        raise InputError("empty file", path=path, expected="header " + ",".join(columns))
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        expected, found = ",".join(columns), ",".join(header)
        raise InputError(f"missing column {missing[0]}", path=path, expected=expected, found=found)
    numbered = list(enumerate(rows[1:], start=1))
    good = [(i, r) for i, r in numbered if len(r) == len(header)]
    bad = [(i, r) for i, r in numbered if len(r) != len(header)]
    frame = pd.DataFrame([r for _, r in good], columns=header, dtype="string")
    frame = frame.apply(lambda c: c.str.strip()).replace("", pd.NA)
    frame["_row"] = [i for i, _ in good]
    reasons = [f"expected {len(header)} fields, found {len(r)}" for _, r in bad]
    raws = [",".join(r) for _, r in bad]
    return frame, quarantine_rows(source, str(path), [i for i, _ in bad], reasons, raws)


def first_reason(checks: list[tuple[pd.Series, str]]) -> pd.Series:
    """The first failing check's reason per row (NA in a check counts as failing)."""
    reason = pd.Series(pd.NA, index=checks[0][0].index, dtype="string")
    for failed, why in checks:
        reason = reason.mask(reason.isna() & failed.astype("boolean").fillna(True), why)
    return reason


def flag_repeats(key: pd.Series, reason: pd.Series, why: str) -> pd.Series:
    """Among rows still accepted, every repeat of a key after its first is quarantined."""
    dup = reason.isna() & key.where(reason.isna()).duplicated() & key.notna()
    return reason.mask(dup, why)
