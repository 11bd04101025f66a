"""Mobile-operator OD flows: offsets on the autumn night, quarantine reasons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.sources import od

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "sources_b"
HEADER = "hour_start;origin_sector;destination_sector;trips"


def _write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "2026-10-25.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_od_fixture_autumn_night() -> None:
    result = od.read_od(FIXTURES / "od_2026-10-25.csv")
    assert result.quarantine.empty and result.rows_in == 4 and result.balanced
    table = result.table
    assert list(table.columns) == ["ts", "day", "origin_sector", "destination_sector", "trips"]
    pair = table[
        (table["origin_sector"] == "92094A00-") & (table["destination_sector"] == "92094A011")
    ]
    assert pair["ts"].tolist() == [
        pd.Timestamp("2026-10-25T00:00:00Z"),
        pd.Timestamp("2026-10-25T01:00:00Z"),
    ]
    assert pair["trips"].tolist() == [12, 7]
    assert int(table["trips"].sum()) == 12 + 7 + 5 + 30
    assert (table["day"] == "2026-10-25").all()
    assert str(table["trips"].dtype) == "Int64"


def test_sector_codes_are_normalised_to_upper_case(tmp_path: Path) -> None:
    result = od.read_od(_write(tmp_path, ["2026-10-25T05:00:00+01:00; 92094a00- ;92094A011;9"]))
    assert result.table["origin_sector"].tolist() == ["92094A00-"]


OK = "2026-10-25T02:00:00+02:00;92094A00-;92094A011;12"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2026-10-25T02:00:00;92094A00-;92094A011;3", "timestamp without UTC offset"),
        (
            "2026-10-25T05:00:00+02:00;92094A00-;92094A011;3",
            "UTC offset +02:00 is not the Europe/Brussels offset",
        ),
        ("2026-10-25T05:00:00+0x:00;92094A00-;92094A011;3", "unparsable timestamp"),
        (";92094A00-;92094A011;3", "missing timestamp"),
        ("2026-10-25T05:15:00+01:00;92094A00-;92094A011;3", "hour_start not on an hour boundary"),
        ("2026-10-25T05:00:00+01:00;92094A00-;92094A011;-4", "negative trips: -4"),
        ("2026-10-25T05:00:00+01:00;92094A00-;92094A011;4.5", "non-integer trips: 4.5"),
        ("2026-10-25T05:00:00+01:00;92094A00-;92094A011;n/a", "non-numeric trips: 'n/a'"),
        (
            "2026-10-25T05:00:00+01:00;9209A00-;92094A011;3",
            "invalid origin_sector (expected a CD_SECTOR code): '9209A00-'",
        ),
        ("2026-10-25T05:00:00+01:00;92094A00-;;3", "invalid destination_sector"),
        (
            "2026-10-25T00:00:00Z;92094A00-;92094A011;5",
            "duplicate hour_start+origin+destination (first at row 1)",
        ),
        ("2026-10-25T05:00:00+01:00;92094A00-;92094A011", "expected 4 fields, found 3"),
    ],
)
def test_od_quarantine(tmp_path: Path, line: str, reason: str) -> None:
    result = od.read_od(_write(tmp_path, [OK, line]))
    assert result.rows_in == 2 and len(result.table) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert row["row_number"] == 2 and row["reason"].startswith(reason), row["reason"]
    assert row["source"] == "od" and row["source_file"].endswith("2026-10-25.csv")


@pytest.mark.parametrize("column", ["hour_start", "trips", "origin_sector"])
def test_od_missing_column(tmp_path: Path, column: str) -> None:
    header = ";".join(c for c in HEADER.split(";") if c != column)
    path = _write(tmp_path, ["x;y;z"], header=header)
    result = od.read_od(path)
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith(f"missing required column {column!r}"), q["reason"].iloc[0]
    assert len(result.table) == 0 and result.rows_in == 1


def test_od_comma_file_is_rejected_with_its_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, [OK.replace(";", ",")], header=HEADER.replace(";", ","))
    result = od.read_od(path)
    assert result.quarantine["reason"].iloc[0].startswith("missing required column 'hour_start'")
    assert "found hour_start,origin_sector" in result.quarantine["reason"].iloc[0]
