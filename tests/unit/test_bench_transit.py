"""The TEC-size transit benchmark on a tiny feed: our departures per stop equal gtfs-kit's.

The hand-made feed has departures on both edges of the 06-20 h window (06:00:00 in,
20:00:00 out), one before it, a previous-day trip at 30:10:00 (which our count includes
shifted to 06:10 of the next day, gtfs-kit not), a service removed on one date and a pole
without any stop_time. No timing assertions: speed belongs to the bench.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import transit as bench_transit
from pipelines.demo.writers import csv_member, write_zip

STOPS = [
    ("S1", "Centre", "50.4100000", "4.4400000"),
    ("S2", "Gare", "50.4120000", "4.4450000"),
    ("S3", "Place", "50.4150000", "4.4500000"),
    ("S4", "Eglise", "50.4180000", "4.4550000"),
    ("S5", "Disused", "50.4200000", "4.4600000"),
]
# (trip_id, route, service, first departure, stops)
TRIPS = [
    ("early", "B1", "WEEK", "05:50:00", ("S1", "S2", "S3")),
    ("edge_in", "B1", "WEEK", "06:00:00", ("S1", "S2", "S3")),
    ("midday", "B1", "WEEK", "12:00:00", ("S3", "S2", "S1")),
    ("late_in", "B1", "WEEK", "19:59:00", ("S1", "S2", "S3", "S4")),
    ("edge_out", "B1", "WEEK", "20:00:00", ("S1", "S2", "S3")),
    ("night", "B2", "ALL", "30:10:00", ("S4", "S3", "S2")),
    ("saturday", "B2", "SAT", "10:00:00", ("S2", "S3", "S4")),
    ("loop", "B2", "WEEK", "08:00:00", ("S1", "S2", "S1", "S4")),
]


def _time(text: str, minutes: int) -> str:
    h, m, s = (int(v) for v in text.split(":"))
    total = h * 3600 + m * 60 + s + minutes * 60
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _bus(path: Path) -> Path:
    times = [
        (trip, _time(first, 2 * i), _time(first, 2 * i), stop, str(i + 1))
        for trip, _, _, first, stops in TRIPS
        for i, stop in enumerate(stops)
    ]
    calendar = [
        ("WEEK", "1", "1", "1", "1", "1", "0", "0", "20260927", "20261031"),
        ("SAT", "0", "0", "0", "0", "0", "1", "0", "20260927", "20261031"),
        ("ALL", "1", "1", "1", "1", "1", "1", "1", "20260927", "20261031"),
    ]
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    members = {
        "agency.txt": csv_member(
            ("agency_id", "agency_name", "agency_url", "agency_timezone"),
            [("A", "Tiny", "https://example.org", "Europe/Brussels")],
        ),
        "stops.txt": csv_member(("stop_id", "stop_name", "stop_lat", "stop_lon"), STOPS),
        "routes.txt": csv_member(
            ("route_id", "agency_id", "route_short_name", "route_type"),
            [("B1", "A", "1", "3"), ("B2", "A", "2", "3")],
        ),
        "trips.txt": csv_member(
            ("route_id", "service_id", "trip_id"), [(r, s, t) for t, r, s, _, _ in TRIPS]
        ),
        "stop_times.txt": csv_member(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"), times
        ),
        "calendar.txt": csv_member(("service_id", *days, "start_date", "end_date"), calendar),
        "calendar_dates.txt": csv_member(
            ("service_id", "date", "exception_type"), [("WEEK", "20261002", "2")]
        ),
    }
    return write_zip(path, members)


def _rail(path: Path) -> Path:
    members = {
        "agency.txt": csv_member(
            ("agency_id", "agency_name", "agency_url", "agency_timezone"),
            [("R", "Rail", "https://example.org", "Europe/Brussels")],
        ),
        "stops.txt": csv_member(
            ("stop_id", "stop_name", "stop_lat", "stop_lon"),
            [("G1", "Gare A", "50.41", "4.44"), ("G2", "Gare B", "50.50", "4.50")],
        ),
        "routes.txt": csv_member(
            ("route_id", "agency_id", "route_short_name", "route_type"), [("IC", "R", "IC", "2")]
        ),
        "trips.txt": csv_member(
            ("route_id", "service_id", "trip_id"), [("IC", "D", "ic1"), ("IC", "D", "ic2")]
        ),
        "stop_times.txt": csv_member(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
            [
                ("ic1", "07:00:00", "07:00:00", "G1", "1"),
                ("ic1", "07:30:00", "07:30:00", "G2", "2"),
                ("ic2", "21:00:00", "21:00:00", "G2", "1"),
                ("ic2", "21:30:00", "21:30:00", "G1", "2"),
            ],
        ),
        "calendar_dates.txt": csv_member(
            ("service_id", "date", "exception_type"),
            [("D", f"202609{d}", "1") for d in (28, 29, 30)],
        ),
    }
    return write_zip(path, members)


@pytest.fixture
def feeds(tmp_path: Path) -> list[Path]:
    return [_bus(tmp_path / "bus.zip"), _rail(tmp_path / "rail.zip")]


def test_departures_per_stop_equal_gtfs_kit(feeds: list[Path], tmp_path: Path) -> None:
    ours = bench_transit.ours_departures(feeds, tmp_path / "lake")
    assert ours.day == dt.date(2026, 9, 28)  # the earliest of the tied weekdays
    kit = bench_transit.gtfs_kit_departures(feeds, ours.day)
    check = bench_transit.compare_departures(ours.per_stop, ours.timed, ours.day, kit.per_stop)
    got = ours.per_stop.set_index(["feed_id", "stop_id"])["departures"].to_dict()
    # edge_in, midday, late_in (S1 at 19:59), loop twice (a loop counts each call)
    assert got[("bus", "S1")] == 5
    # loop at 08:06; late_in reaches S4 at 20:05 (out); the night trip of the day before
    # (30:10:00, shifted to 06:10) counts too
    assert got[("bus", "S4")] == 2
    assert got[("bus", "S5")] == 0
    assert got[("rail", "G1")] == 1 and got[("rail", "G2")] == 1
    assert check["overnight"] == 3  # the night trip calls at S4, S3, S2
    kit_counts = kit.per_stop.set_index(["feed_id", "stop_id"])["departures"].to_dict()
    assert kit_counts[("bus", "S4")] == 1  # gtfs-kit leaves out the previous day's trip
    assert ("bus", "S5") not in kit_counts


def test_compare_departures_raises_on_a_difference(feeds: list[Path], tmp_path: Path) -> None:
    ours = bench_transit.ours_departures(feeds, tmp_path / "lake")
    kit = bench_transit.gtfs_kit_departures(feeds, ours.day)
    wrong = kit.per_stop.assign(departures=kit.per_stop["departures"] + 1)
    with pytest.raises(AssertionError, match="differ from gtfs-kit"):
        bench_transit.compare_departures(ours.per_stop, ours.timed, ours.day, wrong)


@pytest.mark.parametrize("stop_times", range(40, 52))
def test_scaled_feed_has_the_requested_sizes(
    feeds: list[Path], tmp_path: Path, stop_times: int
) -> None:
    out = tmp_path / "scaled.zip"
    counts = bench_transit.scale_feed(feeds[0], out, stops=12, stop_times=stop_times, seed=3)
    assert counts["stops"] == 12 and counts["stop_times"] == stop_times
    assert bench_transit.feed_sizes(out) == {
        "stops": 12,
        "trips": counts["trips"],
        "stop_times": stop_times,
    }
    with zipfile.ZipFile(out) as archive:
        times = pd.read_csv(archive.open("stop_times.txt"), dtype=str)
        stops = pd.read_csv(archive.open("stops.txt"), dtype=str)
    assert times.groupby("trip_id").size().min() >= 2  # no single-stop trip
    assert set(times["stop_id"]) <= set(stops["stop_id"])
    assert stops["stop_id"].is_unique


def test_scaled_feed_is_deterministic_and_agrees_with_gtfs_kit(
    feeds: list[Path], tmp_path: Path
) -> None:
    first = bench_transit.scale_feed(feeds[0], tmp_path / "a.zip", stops=14, stop_times=70)
    bench_transit.scale_feed(feeds[0], tmp_path / "b.zip", stops=14, stop_times=70)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first["copies"] == 3
    rows = bench_transit.run(
        tmp_path / "work", stops=14, stop_times=70, bus=feeds[0], rail=feeds[1], coverage=False
    )
    assert rows[0]["stops"] == 14 + 2 and rows[0]["stop_times"] == 70 + 4
    assert rows[-1]["target_met"] in (True, False)
    text = bench_transit.markdown(rows)
    assert text.startswith("## Public-transport coverage (TEC-size feed)")
    assert "| GTFS zips -> departures per stop | 16 | 74 |" in text
