"""Vacant commercial cells register: parsing, quarantine reasons, vacancy trend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipelines.errors import InputError
from pipelines.sources.vacant import COLUMNS, read_vacant_cells

HEADER = "cell_id,nis,address,lon,lat,floor_area_m2,status,observed_on"
GOOD = [
    'C1,62063,"Rue Léopold 3, Liège",5.5735,50.6441,120.5,vacant,2026-01-15',
    "C2,62063,Rue Léopold 5,5.5737,50.6442,80,occupied,2026-01-15",
    'C1,62063,"Rue Léopold 3, Liège",5.5735,50.6441,120.5,occupied,2026-06-15',
    "C3,62063,Rue Léopold 7,5.5739,50.6443,,Vacant ,2026-06-15",
    "C2,62063,Rue Léopold 5,5.5737,50.6442,80,occupied,2026-06-15",
]
BAD_DATE = "bad observed_on (expected YYYY-MM-DD)"


def _write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "vacant_cells.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_read_vacant_cells_types(tmp_path):
    result = read_vacant_cells(_write(tmp_path, GOOD))
    table = result.table
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 5 and len(result.quarantine) == 0 and result.rows_in == 5
    assert table.loc[0, "address"] == "Rue Léopold 3, Liège"
    assert table["floor_area_m2"].dtype == "float64" and pd.isna(table.loc[3, "floor_area_m2"])
    assert table.loc[3, "status"] == "vacant"  # case and spaces normalised
    assert table.loc[0, "observed_on"] == dt.date(2026, 1, 15)
    assert table["lon"].dtype == "float64" and table["nis"].tolist() == ["62063"] * 5


def test_vacancy_trend_from_register(tmp_path):
    table = read_vacant_cells(_write(tmp_path, GOOD)).table
    rate = table.assign(v=table["status"].eq("vacant")).groupby("observed_on")["v"].mean()
    assert rate.tolist() == [pytest.approx(1 / 2), pytest.approx(1 / 3)]
    vacant_area = table[table["status"] == "vacant"].groupby("observed_on")["floor_area_m2"].sum()
    assert vacant_area.tolist() == [120.5, 0.0]  # C3 has no floor area on record


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",62063,Rue A 1,5.57,50.64,50,vacant,2026-01-15", "missing cell_id"),
        ("C9,6206,Rue A 1,5.57,50.64,50,vacant,2026-01-15", "malformed NIS (expected 5 digits)"),
        ("C9,62063,Rue A 1,abc,50.64,50,vacant,2026-01-15", "missing or non-numeric coordinates"),
        ("C9,62063,Rue A 1,,50.64,50,vacant,2026-01-15", "missing or non-numeric coordinates"),
        ("C9,62063,Rue A 1,5.57,48.0,50,vacant,2026-01-15", "coordinates outside Belgium"),
        ("C9,62063,Rue A 1,5.57,50.64,12m2,vacant,2026-01-15", "non-numeric floor_area_m2"),
        ("C9,62063,Rue A 1,5.57,50.64,-3,vacant,2026-01-15", "negative floor_area_m2"),
        ("C9,62063,Rue A 1,5.57,50.64,50,closed,2026-01-15",
         "unknown status (expected vacant or occupied)"),
        ("C9,62063,Rue A 1,5.57,50.64,50,vacant,15/01/2026", BAD_DATE),
        ("C9,62063,Rue A 1,5.57,50.64,50,vacant,2026-02-30", BAD_DATE),
        ("C9,62063,Rue A 1,5.57,50.64,50,vacant,", BAD_DATE),
        ("C1,62063,Rue A 1,5.57,50.64,50,occupied,2026-01-15", "duplicate cell_id and observed_on"),
        ("C9,62063,Rue A, 1,5.57,50.64,50,vacant,2026-01-15", "expected 8 fields, found 9"),
    ],
)
def test_read_vacant_cells_quarantine(tmp_path, line, reason):
    result = read_vacant_cells(_write(tmp_path, [*GOOD[:2], line, *GOOD[2:]]))
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[3, reason]]
    assert result.quarantine["source"].tolist() == ["vacant"]
    assert result.rows_in == 6 and len(result.table) == 5 and result.balanced


def test_duplicate_keeps_first_valid_row(tmp_path):
    bad_first = "C1,62063,Rue A 1,5.57,50.64,50,closed,2026-01-15"
    result = read_vacant_cells(_write(tmp_path, [bad_first, *GOOD]))
    assert result.quarantine["reason"].tolist() == ["unknown status (expected vacant or occupied)"]
    assert len(result.table) == 5  # the valid C1 row of 2026-01-15 is not a duplicate


def test_missing_column_names_file_and_column(tmp_path):
    path = _write(tmp_path, [], header="cell_id,nis,address,lon,lat,floor_area_m2,observed_on")
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    result = read_vacant_cells(path)
    assert result.quarantine[["row_number", "source_file"]].values.tolist() == [[0, str(path)]]
    assert result.quarantine["reason"].iloc[0].startswith("missing required column 'status'")
    assert len(result.table) == 0 and result.rows_in == 1 and result.balanced
    assert list(result.table.columns) == list(COLUMNS)


def test_empty_and_missing_files(tmp_path):
    path = tmp_path / "vacant_cells.csv"
    path.write_text("")
    # changed (issue 9): empty and header-only files are file-level quarantine rows
    empty = read_vacant_cells(path)
    assert empty.quarantine[["row_number", "reason"]].values.tolist() == [[0, "empty file"]]
    assert len(empty.table) == 0 and empty.rows_in == 1 and empty.balanced
    with pytest.raises(InputError, match="file not found"):
        read_vacant_cells(tmp_path / "absent.csv")
    header_only = read_vacant_cells(_write(tmp_path, []))
    assert header_only.quarantine["reason"].tolist() == ["header only (no data rows)"]
    assert len(header_only.table) == 0 and header_only.rows_in == 1
    assert list(header_only.table.columns) == list(COLUMNS)
