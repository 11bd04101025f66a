"""The result of every reader: accepted rows plus quarantined rows with their reasons.

Every reader returns a :class:`ReadResult` whose ``rows_in`` equals
``len(table) + len(quarantine)``; the bronze asset checks prove it. A problem of a whole
file (empty, header only, not a zip, not JSON, a required column missing) is one
quarantine row with ``row_number`` 0 (:data:`FILE_ROW`) and counts as one input row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines.constants import QUARANTINE_COLUMNS

FILE_ROW = 0
"""``row_number`` of a file-level quarantine row (the whole file gave no rows)."""


def empty_quarantine() -> pd.DataFrame:
    """An empty quarantine frame with the canonical columns and dtypes."""
    return pd.DataFrame(
        {
            "source": pd.Series(dtype="string"),
            "source_file": pd.Series(dtype="string"),
            "row_number": pd.Series(dtype="int64"),
            "reason": pd.Series(dtype="string"),
            "raw": pd.Series(dtype="string"),
        }
    )


def file_quarantine(source: str, source_file: str, reason: str, raw: str = "") -> pd.DataFrame:
    """One file-level quarantine row (``row_number`` 0): why a whole file gave no rows."""
    return quarantine_rows(source, source_file, [FILE_ROW], [reason], [raw])


def quarantine_rows(
    source: str,
    source_file: str | Iterable[str],
    row_numbers: Iterable[int],
    reasons: Iterable[str],
    raws: Iterable[Mapping[str, Any] | str],
) -> pd.DataFrame:
    """Build quarantine rows; ``raws`` are records (serialised to JSON) or raw text lines.

    ``source_file`` is one path for every row, or one path per row.
    """
    if not isinstance(source_file, str):
        source_file = list(source_file)
    raw_text = [r if isinstance(r, str) else json.dumps(dict(r), default=str) for r in raws]
    frame = pd.DataFrame(
        {
            "source": source,
            "source_file": source_file,
            "row_number": list(row_numbers),
            "reason": list(reasons),
            "raw": raw_text,
        }
    )
    if frame.empty:
        return empty_quarantine()
    return frame.astype(
        {"source": "string", "source_file": "string", "row_number": "int64", "reason": "string", "raw": "string"}
    )[list(QUARANTINE_COLUMNS)]


def split_invalid(
    frame: pd.DataFrame,
    invalid: pd.Series,
    reason: pd.Series | str,
    *,
    source: str,
    source_file: str,
    row_numbers: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (kept, quarantine) on a boolean mask ``invalid``.

    ``row_numbers`` defaults to ``frame.index + 1`` (1-based data rows).
    """
    invalid = invalid.fillna(True).astype(bool)
    bad = frame[invalid]
    reasons = reason[invalid] if isinstance(reason, pd.Series) else [reason] * len(bad)
    rows = (row_numbers[invalid] if row_numbers is not None else bad.index.to_series() + 1).astype(int)
    q = quarantine_rows(
        source,
        source_file,
        rows.tolist(),
        list(reasons),
        bad.astype(str).to_dict(orient="records"),
    )
    return frame[~invalid], q


@dataclass
class ReadResult:
    """Accepted rows (``table``) and rejected rows (``quarantine``) of one read.

    ``rows_in`` is the number of data rows the reader saw in the input, plus one per
    file-level quarantine row. ``encodings`` maps each file that was not UTF-8 to the
    encoding it was decoded with (e.g. ``{"landing/kbo/activity.csv": "cp1252"}``).
    """

    table: pd.DataFrame
    quarantine: pd.DataFrame = field(default_factory=empty_quarantine)
    rows_in: int | None = None
    encodings: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rows_in is None:
            self.rows_in = len(self.table) + len(self.quarantine)

    @property
    def balanced(self) -> bool:
        """True when every input row is either accepted or quarantined."""
        return self.rows_in == len(self.table) + len(self.quarantine)

    @staticmethod
    def concat(results: Iterable[ReadResult]) -> ReadResult:
        """Concatenate the results of several files of one source."""
        results = list(results)
        if not results:
            return ReadResult(pd.DataFrame(), empty_quarantine(), 0)
        tables = [r.table for r in results if len(r.table.columns)]
        table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        quarantine = pd.concat([r.quarantine for r in results], ignore_index=True)
        first = results[0].table
        if isinstance(first, gpd.GeoDataFrame):
            table = gpd.GeoDataFrame(table, geometry=first.geometry.name, crs=first.crs)
        encodings = {k: v for r in results for k, v in r.encodings.items()}
        return ReadResult(table, quarantine, sum(r.rows_in or 0 for r in results), encodings)

    @property
    def file_problems(self) -> pd.DataFrame:
        """The file-level quarantine rows (``row_number`` 0)."""
        return self.quarantine[self.quarantine["row_number"] == FILE_ROW]
