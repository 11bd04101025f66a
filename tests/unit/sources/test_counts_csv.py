"""Generic counter CSV and SNCB station boardings: DST, quarantine reasons, real SNCB file."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from support import realdata_path

from pipelines.sources import counters, counts_csv

HEADER = "counter_id,timestamp,count"


def _write(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + "\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_generic_autumn_night_keeps_both_two_oclock_intervals(tmp_path: Path) -> None:
    lines = [f"P1,2026-10-25T{h}:{m:02d}:00+0{o},{3 + m // 15}" for h, o in (("01", 2), ("02", 2), ("02", 1), ("03", 1)) for m in (0, 15, 30, 45)]
    result = counts_csv.read_generic(_write(tmp_path, lines))
    assert result.balanced and result.quarantine.empty and len(result.table) == 16
    assert result.table["day"].eq("2026-10-25").all()
    hourly = counters.to_hourly(result.table, intervals_per_hour=4)
    assert hourly["ts"].dt.strftime("%H:%MZ").tolist() == ["23:00Z", "00:00Z", "01:00Z", "02:00Z"]
    assert hourly["total"].tolist() == [18, 18, 18, 18] and hourly["complete"].all()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("P1,2026-10-13T10:00:00,5", "without UTC offset"),
        ("P1,2026-03-29T02:30:00+01:00,5", "offset"),  # an hour that does not exist in Brussels
        ("P1,yesterday,5", "timestamp"),
        (",2026-10-13T10:00:00+02:00,5", "missing counter_id"),
        ("P1,2026-10-13T10:00:00+02:00,-2", "negative count: -2"),
        ("P1,2026-10-13T10:00:00+02:00,2.5", "non-integer count: 2.5"),
        ("P1,2026-10-13T10:00:00+02:00,", "missing count"),
        ("P1,2026-10-13T10:00:00+02:00,4", "duplicate counter+timestamp (first at row 1)"),
    ],
)
def test_generic_quarantine_reasons(tmp_path: Path, line: str, reason: str) -> None:
    result = counts_csv.read_generic(_write(tmp_path, ["P1,2026-10-13T10:00:00+02:00,7", line]))
    assert result.balanced and len(result.table) == 1 and result.table["total"].tolist() == [7]
    assert result.quarantine["row_number"].tolist() == [2]
    assert reason in result.quarantine["reason"].iloc[0]


def test_generic_column_names_and_separator_are_mapped(tmp_path: Path) -> None:
    path = _write(tmp_path, ["Markt;2026-10-13T10:00:00+02:00;41"], header="site;time;value")
    result = counts_csv.read_generic(path, sep=";", columns={"counter_id": "site", "timestamp": "time", "count": "value"})
    assert result.table[["counter_id", "total"]].values.tolist() == [["Markt", 41]]
    result = counts_csv.read_generic(path, sep=";")
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith("missing required column 'counter_id'"), q["reason"].iloc[0]
    assert len(result.table) == 0 and result.rows_in == 1


@pytest.mark.parametrize(
    ("text", "value", "problem"),
    [("5.827", 5827, None), ("794", 794, None), ("1.234.567", 1234567, None), ("", None, None),
     ("5.8", None, "'5.8'"), ("21,3", None, "'21,3'"), ("-4", None, "'-4'"), ("12.3456", None, "'12.3456'")],
)
def test_thousands_separator(text: str, value: int | None, problem: str | None) -> None:
    values, problems = counts_csv.parse_thousands(pd.Series([text]), "weekday")
    assert (pd.isna(values.iloc[0]) if value is None else values.iloc[0] == value)
    if problem is None:
        assert pd.isna(problems.iloc[0])
    else:
        assert problem in problems.iloc[0] and "thousands separator" in problems.iloc[0]


def test_sncb_quarantine(tmp_path: Path) -> None:
    header = ",".join(counts_csv.SNCB_COLUMNS)
    lines = ["u1,Namur,NAMUR,8.822,4.100,3.950", "u2,Dinant,DINANT,1.2,,", "u3,Namur bis,NAMUR,1,2,3", "u4,Nowhere,,5,5,5"]
    result = counts_csv.read_sncb_boardings(_write(tmp_path, lines, header=header))
    assert result.balanced and result.table["station"].tolist() == ["NAMUR"]
    assert result.table[["weekday", "saturday", "sunday"]].iloc[0].tolist() == [8822, 4100, 3950]
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert reasons[2].startswith("malformed average_weekday_embarkments: '1.2'")
    assert reasons[3] == "duplicate nmbs_short_name (first at row 1)"
    assert reasons[4] == "missing nmbs_short_name"


@pytest.mark.realdata
def test_real_sncb_boardings_and_an_independent_total() -> None:
    path = realdata_path("04_counters/sncb_embarkment_statistics_2023-10.csv")
    result = counts_csv.read_sncb_boardings(path)
    assert result.rows_in == 554 and result.balanced and result.quarantine.empty
    table = result.table.set_index("station")
    assert table.loc["AALST", ["weekday", "saturday", "sunday"]].tolist() == [5827, 2271, 1942]
    assert table.loc["AALTER", "saturday"] == 794
    assert table.loc["AALST-KERREBROEK", "weekday"] == 20 and pd.isna(table.loc["AALST-KERREBROEK", "saturday"])
    # Liège-Guillemins is keyed by its short name even though the source's name is wrong
    assert table.loc["LIEGE-GUILLEMINS", "name"] == "Liège-Carré"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    weekday = sum(int(r["average_weekday_embarkments"].replace(".", "")) for r in rows if r["average_weekday_embarkments"])
    sunday_missing = sum(1 for r in rows if not r["average_sunday_embarkments"])
    assert int(result.table["weekday"].sum()) == weekday
    assert int(result.table["sunday"].isna().sum()) == sunday_missing
