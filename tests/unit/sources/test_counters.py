"""Counters: registry, Stad Gent 5-minute CSV (fixtures and real 2022/2023 files), hourly DST."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from support import realdata_path as realdata_b

from pipelines.errors import InputError
from pipelines.sources import counters
from pipelines.timeutil import hours_in_day, local_hours

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "sources_b"
HEADER = "Code;Locatie;Datum;Uur5Minuten;Ordening;Totaal;Tegenrichting;Hoofdrichting"


def _write_ghent(tmp_path: Path, lines: list[str], name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


# -- registry ---------------------------------------------------------------------------


def test_registry_fixture() -> None:
    result = counters.read_registry(FIXTURES / "counters.csv")
    assert result.balanced and result.quarantine.empty
    assert result.table["counter_id"].tolist() == ["TST", "PED1"]
    assert result.table["kind"].tolist() == ["bike", "pedestrian"]
    assert result.table["lon"].tolist() == [3.7125, 4.8656]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("X,4402,Bad nis,bike,3.7,51.0", "NIS code is not 5 digits: '4402'"),
        ("X,44021,Bad kind,car,3.7,51.0", "kind is not pedestrian or bike: 'car'"),
        ("X,44021,Swapped,bike,51.0,3.7", "lat/lon swapped"),
        ("X,44021,No lon,bike,,51.0", "missing or non-numeric coordinates"),
        (",44021,No id,bike,3.7,51.0", "missing counter_id"),
        ("TST,44021,Repeated,bike,3.7,51.0", "duplicate counter_id 'TST'"),
    ],
)
def test_registry_quarantine(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "counters.csv"
    path.write_text("counter_id,nis,name,kind,lon,lat\nTST,44021,Ok,bike,3.7,51.0\n" + line + "\n")
    result = counters.read_registry(path)
    assert len(result.table) == 1 and len(result.quarantine) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert row["row_number"] == 2 and row["reason"].startswith(reason), row["reason"]
    assert row["source"] == "counters" and row["source_file"] == str(path)


def test_registry_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "counters.csv"
    path.write_text("counter_id,nis,name,lon,lat\nTST,44021,Ok,3.7,51.0\n")
    result = counters.read_registry(path)
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith("missing required column 'kind'"), q["reason"].iloc[0]
    assert len(result.table) == 0 and result.rows_in == 1


# -- Ghent 5-minute CSV ---------------------------------------------------------------------


def test_ghent_autumn_night_fixture_keeps_both_02h_hours() -> None:
    result = counters.read_ghent(FIXTURES / "ghent_2026-10-25.csv")
    assert result.rows_in == 27 and len(result.table) == 27 and result.quarantine.empty
    table = result.table
    assert list(table.columns) == list(counters.COUNT_COLUMNS)
    assert table["ts"].is_unique and (table["day"] == "2026-10-25").all()
    assert int(table["total"].sum()) == 1 + 12 * 2 + 12 * 3 + 5 + 4
    hourly = counters.to_hourly(table)
    assert hourly["ts"].dt.strftime("%H:%M").tolist() == ["23:00", "00:00", "01:00", "02:00"]
    assert hourly["total"].tolist() == [1, 24, 36, 9]
    assert hourly["n_intervals"].tolist() == [1, 12, 12, 2]
    assert hourly["complete"].tolist() == [False, True, True, False]
    local = hourly["ts"].dt.tz_convert("Europe/Brussels").map(lambda t: t.isoformat()[11:])
    assert local.tolist()[1:3] == ["02:00:00+02:00", "02:00:00+01:00"]
    assert (hourly["day"] == "2026-10-25").all()


def test_ghent_counter_id_argument_overrides_code() -> None:
    result = counters.read_ghent(FIXTURES / "ghent_2026-10-25.csv", counter_id="gent-cou")
    assert (result.table["counter_id"] == "gent-cou").all()


def test_spring_forward_hour_does_not_appear(tmp_path: Path) -> None:
    lines = [
        f"S;X;2026-03-29;1:{m:02d}:00;2026-03-29T01:{m:02d}:00+01:00;1;0;1" for m in range(0, 60, 5)
    ] + [
        f"S;X;2026-03-29;3:{m:02d}:00;2026-03-29T03:{m:02d}:00+02:00;2;1;1" for m in range(0, 60, 5)
    ]
    hourly = counters.to_hourly(counters.read_ghent(_write_ghent(tmp_path, lines)).table)
    labels = hourly["ts"].dt.tz_convert("Europe/Brussels").dt.strftime("%H:%M%z").tolist()
    assert labels == ["01:00+0100", "03:00+0200"]
    assert (hourly["ts"].diff().dropna() == pd.Timedelta("1h")).all()  # consecutive in UTC
    assert hourly["total"].tolist() == [12, 24] and hourly["complete"].all()


OK_ROW = "S;X;2026-01-05;8:00:00;2026-01-05T08:00:00+01:00;3;1;2"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;-3;-1;-2", "negative Totaal: -3"),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;drie;1;2", "non-numeric Totaal: 'drie'"),
        (
            "S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;3;1;x",
            "non-numeric Hoofdrichting: 'x'",
        ),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;2.5;1;1.5", "non-integer Totaal: 2.5"),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;;;", "missing Totaal"),
        ("S;X;2026-01-05;8:05:00;05/01/2026 08:05;3;1;2", "unparsable timestamp: 05/01/2026 08:05"),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00;3;1;2", "timestamp without UTC offset"),
        (
            "S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;7;3;2",
            "Totaal 7 != Hoofdrichting + Tegenrichting = 5",
        ),
        (
            "S;X;2026-01-05;8:00:00;2026-01-05T08:00:00+01:00;4;2;2",
            "duplicate timestamp 2026-01-05T08:00:00+01:00 (kept row 1)",
        ),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;3;1", "expected 8 fields, found 7"),
        ("S;X;2026-01-05;8:05:00;2026-01-05T08:05:00+01:00;3;1;2;9", "expected 8 fields, found 9"),
    ],
)
def test_ghent_quarantine_reasons_and_rows(tmp_path: Path, bad: str, reason: str) -> None:
    later = "S;X;2026-01-05;8:10:00;2026-01-05T08:10:00+01:00;1;1;0"
    result = counters.read_ghent(_write_ghent(tmp_path, [OK_ROW, bad, later]))
    assert result.rows_in == 3 and len(result.table) == 2 and result.balanced
    quarantined = result.quarantine.iloc[0]
    assert quarantined["row_number"] == 2
    assert quarantined["reason"] == reason or quarantined["reason"].startswith(reason), quarantined[
        "reason"
    ]
    assert result.table["total"].tolist() == [3, 1]


def test_ghent_duplicate_keeps_row_whose_wall_clock_matches(tmp_path: Path) -> None:
    # the real files' spring pattern: a phantom "2:00:00" row carrying the 03:00 timestamp
    phantom = "S;X;2026-03-29;2:00:00;2026-03-29T03:00:00+02:00;0;0;0"
    real = "S;X;2026-03-29;3:00:00;2026-03-29T03:00:00+02:00;4;0;4"
    result = counters.read_ghent(_write_ghent(tmp_path, [phantom, real]))
    assert result.table["total"].tolist() == [4]
    row = result.quarantine.iloc[0]
    assert row["row_number"] == 1
    assert "Uur5Minuten not matching Ordening (kept row 2)" in row["reason"]


@pytest.mark.parametrize("missing", ["Ordening", "Totaal", "Hoofdrichting"])
def test_ghent_missing_column_raises(tmp_path: Path, missing: str) -> None:
    columns = [c for c in HEADER.split(";") if c != missing]
    path = tmp_path / "c.csv"
    path.write_text(";".join(columns) + "\n" + ";".join(["1"] * len(columns)) + "\n")
    result = counters.read_ghent(path)
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith(f"missing required column {missing!r}"), q["reason"].iloc[0]
    assert len(result.table) == 0 and result.rows_in == 1
    assert list(result.table.columns) == list(counters.COUNT_COLUMNS)


def test_ghent_zip_must_hold_one_file(tmp_path: Path) -> None:
    source = (FIXTURES / "ghent_2026-10-25.csv").read_bytes()
    one = tmp_path / "one.zip"
    with zipfile.ZipFile(one, "w") as archive:
        archive.writestr("counts", source)
    assert len(counters.read_ghent(one).table) == 27
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", source)
        archive.writestr("b.csv", source)
    # changed (issue 9): an unreadable zip is a file-level quarantine row
    q = counters.read_ghent(two).quarantine
    assert q["reason"].iloc[0].startswith("cannot pick the counts file in the zip")
    with pytest.raises(InputError, match="file not found"):
        counters.read_ghent(tmp_path / "absent.csv")


# -- real data --------------------------------------------------------------------------------


def _independent_daily(path: Path) -> tuple[dict[str, int], dict[str, int], int]:
    """Totaal summed by the Datum column, rows per Datum, rows with an empty Totaal."""
    totals: dict[str, int] = defaultdict(int)
    rows: dict[str, int] = defaultdict(int)
    empty = 0
    with zipfile.ZipFile(path) as archive:
        member = archive.namelist()[0]
        text = io.TextIOWrapper(archive.open(member), encoding="utf-8-sig")
        for record in csv.DictReader(text, delimiter=";"):
            rows[record["Datum"]] += 1
            if record["Totaal"] == "":
                empty += 1
                continue
            totals[record["Datum"]] += int(float(record["Totaal"]))
    return totals, rows, empty


@pytest.mark.realdata
def test_real_ghent_2022_full_year_and_dst_days() -> None:
    path = realdata_b("04_counters/fietstelpaal-coupure-links-2022-gent.zip")
    result = counters.read_ghent(path)  # its speed belongs to the bench, not to a timed test
    assert result.rows_in == 105_120 and result.balanced
    # the spring day repeats 03:00-03:55 under Uur5Minuten 2:00-2:55: 12 duplicates
    assert len(result.quarantine) == 12
    assert result.quarantine["reason"].str.startswith("duplicate timestamp 2022-03-27T03:").all()
    assert result.quarantine["row_number"].min() == 24505  # file line 24506
    table = result.table
    at_three = table.loc[table["ts"] == pd.Timestamp("2022-03-27T01:00:00Z"), "total"]
    assert at_three.tolist() == [4]  # the real 3:00:00 row, not the phantom 0
    totals, rows, _ = _independent_daily(path)
    hourly = counters.to_hourly(table)
    for day in ("2022-06-15", "2022-03-27", "2022-10-30"):
        intervals = table[table["day"] == day]
        assert int(intervals["total"].sum()) == totals[day]
        hours = hourly[hourly["day"] == day]
        assert int(hours["total"].sum()) == totals[day]
        assert int(hours["n_intervals"].sum()) == len(intervals)
    spring = hourly[hourly["day"] == "2022-03-27"]
    assert hours_in_day("2022-03-27") == 23 and len(spring) == 23
    assert int(spring["n_intervals"].sum()) == 276 and spring["complete"].all()
    assert (table["day"] == "2022-03-27").sum() == 276
    # autumn: the local day has 25 hours, but Stad Gent's file has 288 rows for it and
    # no 02:00+02:00 hour at all (00:00Z): a provider gap, kept absent, never zero-filled
    autumn = hourly[hourly["day"] == "2022-10-30"]
    assert hours_in_day("2022-10-30") == 25 and rows["2022-10-30"] == 288
    assert len(autumn) == 24 and int(autumn["n_intervals"].sum()) == 288
    missing = set(local_hours("2022-10-30")) - set(autumn["ts"])
    assert missing == {pd.Timestamp("2022-10-30T00:00:00Z")}
    assert pd.Timestamp("2022-10-30T01:00:00Z") in set(autumn["ts"])  # 02:00+01:00
    assert int(hourly["n_intervals"].sum()) == len(table)
    assert int(hourly["total"].sum()) == sum(totals.values())


@pytest.mark.realdata
def test_real_ghent_2023_gaps_are_quarantined_not_zero() -> None:
    path = realdata_b("04_counters/fietstelpaal-coupure-links-2023-gent.zip")
    result = counters.read_ghent(path)
    totals, _, empty = _independent_daily(path)
    assert result.rows_in == 61_056 and result.balanced
    assert empty == 4032
    reasons = result.quarantine["reason"]
    assert (reasons == "missing Totaal").sum() == empty
    assert reasons.str.startswith("duplicate timestamp 2023-03-26T03:").sum() == 12
    assert len(result.table) == 61_056 - 4032 - 12
    assert str(result.table["total"].dtype) == "Int64" and (result.table["total"] >= 0).all()
    by_day = result.table.groupby("day")["total"].sum()
    assert {d: int(v) for d, v in by_day.items()} == {
        d: v for d, v in totals.items() if d in by_day
    }
