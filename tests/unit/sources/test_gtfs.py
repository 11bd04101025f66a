"""GTFS: hand-made mini feed with known answers, error cases, real SNCB and Cairns feeds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from support import realdata_path as realdata_b

from pipelines.errors import InputError
from pipelines.sources import gtfs

REPO = Path(__file__).resolve().parents[3]
MINI = REPO / "tests" / "fixtures" / "sources_b" / "gtfs_mini"
TABLES = ("agency", "stops", "routes", "calendar", "calendar_dates", "trips", "stop_times")


@pytest.fixture(scope="module")
def mini() -> dict:
    return gtfs.read_feed(MINI)


def _feed_copy(tmp_path: Path, *, drop: tuple[str, ...] = (), edit: dict | None = None) -> Path:
    """A zip of the mini feed without ``drop`` files and with ``edit`` {file: text} applied."""
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for source in sorted(MINI.glob("*.txt")):
            if source.stem in drop:
                continue
            text = (edit or {}).get(source.stem, source.read_text())
            archive.writestr(source.name, text)
    return path


# -- reading ---------------------------------------------------------------------------------


def test_mini_feed_reads_every_table(mini: dict) -> None:
    assert set(mini) == set(TABLES)
    sizes = {name: len(result.table) for name, result in mini.items()}
    assert sizes == {
        "agency": 1,
        "stops": 5,
        "routes": 2,
        "calendar": 2,
        "calendar_dates": 3,
        "trips": 5,
        "stop_times": 11,
    }
    assert all(r.quarantine.empty and r.balanced for r in mini.values())
    assert all((r.table["feed_id"] == "gtfs_mini").all() for r in mini.values())
    stop_times = mini["stop_times"].table
    t5 = stop_times[stop_times["trip_id"] == "T5"]
    assert t5["departure_s"].tolist() == [23 * 3600 + 3000, 24 * 3600 + 600, 25 * 3600 + 600]
    assert str(t5["arrival_s"].dtype) == "Int64"
    stops = mini["stops"].table
    assert stops["location_type"].tolist() == [1, 0, 0, 0, 0]  # empty means 0
    assert stops["stop_lat"].dtype == "float64"


def test_zip_and_folder_give_the_same_tables(tmp_path: Path, mini: dict) -> None:
    zipped = gtfs.read_feed(_feed_copy(tmp_path), feed_id="gtfs_mini")
    for name in TABLES:
        pd.testing.assert_frame_equal(zipped[name].table, mini[name].table)


def test_feed_id_defaults_to_zip_stem(tmp_path: Path) -> None:
    feed = gtfs.read_feed(_feed_copy(tmp_path))
    assert (feed["stops"].table["feed_id"] == "feed").all()


@pytest.mark.parametrize("only", ["calendar", "calendar_dates"])
def test_either_calendar_file_alone_is_enough(tmp_path: Path, only: str) -> None:
    other = "calendar_dates" if only == "calendar" else "calendar"
    feed = gtfs.read_feed(_feed_copy(tmp_path, drop=(other,)))
    assert feed[other].table.empty
    assert set(gtfs.REQUIRED_COLUMNS[other]) <= set(feed[other].table.columns)
    dates = gtfs.service_dates(feed["calendar"].table, feed["calendar_dates"].table)
    # calendar_dates alone: the WK removal has nothing to remove; WE 2 Nov and XTRA remain
    expected = {"calendar": 20 + 8, "calendar_dates": 2}[only]
    assert len(dates) == expected
    # trips whose service lives only in the dropped file are quarantined, with the reason
    reasons = feed["trips"].quarantine["reason"].tolist()
    assert all("not in calendar.txt nor calendar_dates.txt" in r for r in reasons)


def test_missing_files_raise(tmp_path: Path) -> None:
    # changed (issue 9): a missing file is a file-level quarantine row; the rest is read
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    feed = gtfs.read_feed(_feed_copy(tmp_path / "a", drop=("routes",)))
    q = feed["routes"].quarantine
    assert q[["row_number", "reason"]].values.tolist() == [[0, "required file routes.txt missing"]]
    assert len(feed["routes"].table) == 0 and len(feed["stops"].table) > 0
    assert (feed["trips"].quarantine["reason"].str.contains("not in routes.txt")).all()
    assert all(r.balanced for r in feed.values())
    feed = gtfs.read_feed(_feed_copy(tmp_path / "b", drop=("calendar", "calendar_dates")))
    assert feed["calendar"].quarantine["reason"].tolist() == [
        "no service calendar (expected calendar.txt and/or calendar_dates.txt)"
    ]
    with pytest.raises(InputError, match="not found"):
        gtfs.read_feed(tmp_path / "absent.zip")


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    # changed (issue 9): a missing column is a file-level quarantine row of that file
    text = (MINI / "stop_times.txt").read_text().replace(",stop_sequence", ",seq")
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={"stop_times": text}))
    q = feed["stop_times"].quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].iloc[0].endswith("stop_times.txt")
    assert q["reason"].iloc[0].startswith("missing required column 'stop_sequence'")
    assert len(feed["stop_times"].table) == 0 and "departure_s" in feed["stop_times"].table


STOP_TIMES_HEAD = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,07:00:00,07:00:00,S1,1\n"
)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("T1,07:10:00,7:6:00,S2,2", "unparsable departure_time: '7:6:00'"),
        ("T1,07:61:00,07:10:00,S2,2", "unparsable arrival_time: '07:61:00'"),
        ("T1,07:10:00,07:10:00,SX,2", "stop_id 'SX' not in stops.txt"),
        ("TX,07:10:00,07:10:00,S2,2", "trip_id 'TX' not in trips.txt"),
        ("T1,07:10:00,07:10:00,S2,two", "invalid stop_sequence 'two'"),
        ("T1,07:10:00,07:10:00,S2,1", "duplicate trip_id+stop_sequence (first at row 1)"),
        ("T1,07:10:00,07:10:00,S2,2,extra", "expected 5 fields, found 6"),
    ],
)
def test_stop_times_quarantine(tmp_path: Path, line: str, reason: str) -> None:
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={"stop_times": STOP_TIMES_HEAD + line + "\n"}))
    result = feed["stop_times"]
    assert result.rows_in == 2 and len(result.table) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert (row["row_number"], row["reason"]) == (2, reason)
    assert row["source_file"].endswith("feed.zip/stop_times.txt")


def test_empty_times_between_timepoints_are_kept(tmp_path: Path) -> None:
    text = STOP_TIMES_HEAD + "T1,,,S2,2\nT1,07:20:00,07:20:00,S3,3\n"
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={"stop_times": text}))
    table = feed["stop_times"].table
    assert len(table) == 3 and feed["stop_times"].quarantine.empty
    assert table["departure_s"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        ("S2,Bad,95.0,4.86,0,", "coordinates out of range: lon 4.86, lat 95.0"),
        ("S2,Bad,,4.86,0,", "missing or non-numeric coordinates"),
        ("S2,Bad,50.4,x,,", "missing or non-numeric coordinates"),
        ("S1,Twice,50.4,4.86,0,", "duplicate stop_id (first at row 2)"),
    ],
)
def test_bad_stops_are_quarantined_and_their_stop_times_too(
    tmp_path: Path, stop: str, reason: str
) -> None:
    stops = (MINI / "stops.txt").read_text().replace("S2,Place d'Armes,50.4627,4.8672,,", stop)
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={"stops": stops}))
    row = feed["stops"].quarantine.iloc[0]
    assert row["reason"].startswith(reason), row["reason"]
    assert row["row_number"] == 3
    if stop.startswith("S2"):
        reasons = feed["stop_times"].quarantine["reason"]
        assert len(reasons) == 4 and (reasons == "stop_id 'S2' quarantined in stops.txt").all()
        assert feed["stop_times"].balanced


def test_location_type_3_needs_no_coordinates(tmp_path: Path) -> None:
    stops = (MINI / "stops.txt").read_text() + "N1,Node,,,3,ST\n"
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={"stops": stops}))
    assert feed["stops"].quarantine.empty and len(feed["stops"].table) == 6


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("calendar", "X,1,1,1,1,1,0,2,20261012,20261108", "sunday is not 0 or 1: '2'"),
        ("calendar", "X,1,1,1,1,1,0,0,2026-10-12,20261108", "unparsable start_date"),
        ("calendar", "X,1,1,1,1,1,0,0,20261108,20261012", "start_date after end_date"),
        ("calendar_dates", "X,20261013,3", "exception_type is not 1 or 2: '3'"),
        ("calendar_dates", "WK,20261102,1", "duplicate service_id+date (first at row 1)"),
        ("calendar_dates", "X,20261332,1", "unparsable date (expected YYYYMMDD): '20261332'"),
        ("routes", "R9,A,9,bus", "invalid route_type 'bus'"),
        ("trips", "R9,WK,T9", "route_id 'R9' not in routes.txt"),
    ],
)
def test_other_tables_quarantine(tmp_path: Path, name: str, line: str, reason: str) -> None:
    text = (MINI / f"{name}.txt").read_text() + line + "\n"
    feed = gtfs.read_feed(_feed_copy(tmp_path, edit={name: text}))
    result = feed[name]
    assert len(result.quarantine) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert row["reason"].startswith(reason), row["reason"]
    assert row["row_number"] == result.rows_in


# -- service semantics -----------------------------------------------------------------------


def test_service_dates_apply_weekdays_and_exceptions(mini: dict) -> None:
    dates = gtfs.service_dates(mini["calendar"].table, mini["calendar_dates"].table)
    per_service = dates.groupby("service_id")["date"].apply(list)
    # 2026-10-12 (Mon) .. 2026-11-08 (Sun): 20 weekdays, 8 weekend days
    assert len(per_service["WK"]) == 20 - 1  # 2 Nov removed
    assert pd.Timestamp("2026-11-02") not in per_service["WK"]
    assert len(per_service["WE"]) == 8 + 1  # 2 Nov added
    assert per_service["XTRA"] == [pd.Timestamp("2026-10-15")]
    assert len(dates) == 29 and not dates.duplicated().any()
    assert list(dates.columns) == ["feed_id", "service_id", "date"]


def test_service_dates_accept_text_frames_without_feed_id() -> None:
    calendar = pd.DataFrame(
        [["S", "0", "0", "0", "0", "0", "1", "0", "20260101", "20260131"]],
        columns=["service_id", *gtfs.WEEKDAYS, "start_date", "end_date"],
    )
    exceptions = pd.DataFrame(
        {"service_id": ["S", "S"], "date": ["20260103", "20260105"], "exception_type": ["2", "1"]}
    )
    dates = gtfs.service_dates(calendar, exceptions)
    saturdays = ["2026-01-10", "2026-01-17", "2026-01-24", "2026-01-31"]
    assert dates["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", *saturdays]


@pytest.mark.parametrize(
    ("day", "overnight", "expected"),
    [
        # Wednesday: T1, T2 (2 stops each), T5 (3 stops) + Tuesday's T5 after midnight (2)
        ("2026-10-14", True, 9),
        ("2026-10-14", False, 7),
        # Thursday: also the XTRA trip T4 (2 stops)
        ("2026-10-15", True, 11),
        # Monday 2 Nov: WK removed, WE added (T3); Sunday had no late trip
        ("2026-11-02", True, 2),
        # Tuesday 3 Nov: WK again; no overnight since WK did not run on 2 Nov
        ("2026-11-03", True, 7),
        # Monday 9 Nov: calendar ended on the 8th; Sunday 8 Nov had no late trip
        ("2026-11-09", True, 0),
    ],
)
def test_departures_on_counts(mini: dict, day: str, overnight: bool, expected: int) -> None:
    out = gtfs.departures_on(mini, dt.date.fromisoformat(day), include_overnight=overnight)
    assert len(out) == expected


def test_departures_overnight_shift(mini: dict) -> None:
    out = gtfs.departures_on(mini, "2026-10-14")
    assert list(out.columns) == [
        "feed_id",
        "stop_id",
        "trip_id",
        "route_id",
        "route_type",
        "departure_s",
        "service_date",
    ]
    late = out[out["service_date"] == pd.Timestamp("2026-10-13")]
    assert sorted(zip(late["stop_id"], late["departure_s"], strict=True)) == [
        ("S2", 600),
        ("S3", 4200),
    ]
    today = out[(out["trip_id"] == "T5") & (out["service_date"] == pd.Timestamp("2026-10-14"))]
    assert sorted(today["departure_s"].tolist()) == [85800, 87000, 90600]
    assert set(out["route_type"]) == {3}


def test_stops_without_departures_reports_unused_platforms(mini: dict) -> None:
    report = gtfs.stops_without_departures(mini)
    assert report["stop_id"].tolist() == ["S9"]  # the station ST (type 1) is not reported
    assert "S9" in set(mini["stops"].table["stop_id"])  # reported, not dropped


# -- real feeds ------------------------------------------------------------------------------


def _csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    with archive.open(name) as handle:
        return list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8-sig")))


@pytest.mark.realdata
def test_real_sncb_fixture_reads_and_reports_unserved_stops() -> None:
    path = realdata_b("03_gtfs/sncb_gtfs_2019_testfixture.zip")
    feed = gtfs.read_feed(path)  # its speed belongs to the bench, not to a timed test
    sizes = {name: len(result.table) for name, result in feed.items()}
    assert sizes == {
        "agency": 1,
        "stops": 2635,
        "routes": 617,
        "calendar": 3356,
        "calendar_dates": 276_086,
        "trips": 19_017,
        "stop_times": 101,
    }
    assert all(r.quarantine.empty and r.balanced for r in feed.values())
    assert feed["calendar"].table["service_id"].iloc[0] == "000001"  # ids stay text
    with zipfile.ZipFile(path) as archive:
        stops = _csv_rows(archive, "stops.txt")
        served = {r["stop_id"] for r in _csv_rows(archive, "stop_times.txt")}
        exceptions = _csv_rows(archive, "calendar_dates.txt")
        trips = _csv_rows(archive, "trips.txt")
    platforms = {s["stop_id"] for s in stops if s["location_type"] in ("", "0")}
    report = gtfs.stops_without_departures(feed)
    assert set(report["stop_id"]) == platforms - served
    assert len(report) == 2032 and len(report) > 0.75 * len(platforms)
    dates = gtfs.service_dates(feed["calendar"].table, feed["calendar_dates"].table)
    assert len(dates) == sum(1 for r in exceptions if r["exception_type"] == "1")
    running = {r["service_id"] for r in exceptions if r["date"] == "20190612"}
    trip_ids = {t["trip_id"] for t in trips if t["service_id"] in running}
    with zipfile.ZipFile(path) as archive:
        expected = sum(1 for r in _csv_rows(archive, "stop_times.txt") if r["trip_id"] in trip_ids)
    assert len(gtfs.departures_on(feed, dt.date(2019, 6, 12))) == expected == 58


@pytest.fixture(scope="module")
def cairns() -> tuple[Path, dict]:
    path = realdata_b("03_gtfs/cairns_gtfs_2014_fallback.zip")
    return path, gtfs.read_feed(path)


def _independent_departures(path: Path, day: dt.date) -> Counter:
    """Departures per stop between 06:00 and 20:00, computed with csv + plain Python."""
    with zipfile.ZipFile(path) as archive:
        calendar = _csv_rows(archive, "calendar.txt")
        exceptions = _csv_rows(archive, "calendar_dates.txt")
        trips = _csv_rows(archive, "trips.txt")
        stop_times = _csv_rows(archive, "stop_times.txt")
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    def running(on: dt.date) -> set[str]:
        key = on.strftime("%Y%m%d")
        active = {
            c["service_id"]
            for c in calendar
            if c["start_date"] <= key <= c["end_date"] and c[names[on.weekday()]] == "1"
        }
        for e in exceptions:
            if e["date"] == key:
                (active.add if e["exception_type"] == "1" else active.discard)(e["service_id"])
        return active

    def seconds(text: str) -> int:
        h, m, s = (int(x) for x in text.split(":"))
        return h * 3600 + m * 60 + s

    today, yesterday = running(day), running(day - dt.timedelta(days=1))
    trips_today = {t["trip_id"] for t in trips if t["service_id"] in today}
    trips_before = {t["trip_id"] for t in trips if t["service_id"] in yesterday}
    counts: Counter = Counter()
    for st in stop_times:
        if not st["departure_time"]:
            continue  # not a timepoint: no time to place it in the window
        when = seconds(st["departure_time"])
        candidates = []
        if st["trip_id"] in trips_today:
            candidates.append(when)
        if st["trip_id"] in trips_before and when >= 86400:
            candidates.append(when - 86400)
        for t in candidates:
            if 6 * 3600 <= t < 20 * 3600:
                counts[st["stop_id"]] += 1
    return counts


@pytest.mark.realdata
@pytest.mark.parametrize(
    "day",
    [
        dt.date(2014, 6, 11),  # ordinary Wednesday
        dt.date(2014, 6, 13),  # Friday: the Friday-only service runs too
        dt.date(2014, 6, 9),  # public holiday: weekday removed, Sunday service added
        dt.date(2014, 6, 10),  # day after the holiday: overnight trips of a Sunday service
    ],
)
def test_real_cairns_departures_per_stop_match_independent_count(cairns, day: dt.date) -> None:
    path, feed = cairns
    assert (len(feed["stop_times"].table), len(feed["stops"].table), len(feed["trips"].table)) == (
        37_790,
        416,
        1339,
    )
    out = gtfs.departures_on(feed, day)
    window = out[(out["departure_s"] >= 6 * 3600) & (out["departure_s"] < 20 * 3600)]
    ours = Counter(dict(window.groupby("stop_id").size()))
    expected = _independent_departures(path, day)
    assert ours == expected
    assert sum(expected.values()) > 1000
