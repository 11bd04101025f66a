"""Public-transport coverage: DG REGIO classes, departures per stop, SDG 11.2.1 per cell.

Known answers come from the hand-made mini feed (tests/fixtures/sources_b/gtfs_mini), a
hand-built walking-time matrix, and the real Cairns feed checked against the independent
csv-based departure counter of tests/unit/sources/test_gtfs.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines import db, transit
from pipelines.sources import gtfs

TESTS = Path(__file__).resolve().parents[1]
MINI = TESTS / "fixtures" / "sources_b" / "gtfs_mini"


def _independent_counter():
    """The csv + plain-Python departure counter of the GTFS reader tests (imported, not copied)."""
    spec = importlib.util.spec_from_file_location(
        "gtfs_reader_tests", TESTS / "unit" / "sources" / "test_gtfs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._independent_departures


@pytest.fixture(scope="module")
def mini() -> dict:
    return gtfs.read_feed(MINI)


def _stops_with_counts(feed: dict) -> pd.DataFrame:
    """Stops as silver.stops has them: with the number of timed stop_times."""
    stops = feed["stops"].table
    timed = feed["stop_times"].table.dropna(subset=["departure_s"]).groupby("stop_id").size()
    return stops.assign(n_stop_times=stops["stop_id"].map(timed).fillna(0).astype("int64"))


# -- classes ---------------------------------------------------------------------------------


def test_dg_regio_class_boundaries() -> None:
    values = [0, 0.5, 3.99, 4, 10, 10.01, 25]
    assert transit.dg_regio_class(values).tolist() == [
        "none",
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    with pytest.raises(ValueError, match="finite and >= 0"):
        transit.dg_regio_class([1, -2])


@pytest.mark.parametrize(
    ("route_type", "high"),
    [
        (3, False),
        (0, False),
        (2, True),
        (1, True),
        (4, True),
        (109, True),
        (400, True),
        (700, False),
        ("bus", False),
        (None, False),
    ],
)
def test_high_capacity_route_types(route_type: object, high: bool) -> None:
    assert transit.is_high_capacity(route_type) is high


# -- departures per stop on the mini feed ------------------------------------------------------


def test_departures_per_stop_wednesday_hand_count(mini: dict) -> None:
    # Wednesday 14 Oct, 06-20 h: T1 and T2 call at S1 and S2; T5 (23:50) and Tuesday's T5
    # after midnight fall outside the window; S3 only has those; S9 has no stop_time; ST is
    # the station (location_type 1).
    out = transit.departures_per_stop(
        mini, _stops_with_counts(mini), dt.date(2026, 10, 14)
    ).set_index("stop_id")
    assert out["departures"].to_dict() == {"ST": 0, "S1": 2, "S2": 2, "S3": 0, "S9": 0}
    assert out.loc["S1", "departures_per_hour"] == pytest.approx(2 / 14)
    assert out["dg_regio_class"].to_dict() == {
        "ST": "none",
        "S1": "low",
        "S2": "low",
        "S3": "none",
        "S9": "none",
    }
    assert not out["high_capacity"].any() and (out["radius_m"] == 500).all()
    assert out.loc["S9", "report"] == "no timed stop_time in the feed"
    assert out.loc["S3", "report"] == "no departure on 2026-10-14 06-20 h"
    assert out.loc["ST", "report"] == "not a boarding stop (location_type 1)"
    assert out.loc["S1", "report"] == ""


def test_departures_per_stop_thursday_adds_the_rail_trip(mini: dict) -> None:
    # Thursday 15 Oct: the XTRA rail trip T4 calls at S3 (10:00) and S1 (10:30)
    out = transit.departures_per_stop(mini, _stops_with_counts(mini), "2026-10-15").set_index(
        "stop_id"
    )
    assert out.loc[["S1", "S2", "S3"], "departures"].tolist() == [3, 2, 1]
    assert (
        out.loc["S1", "high_capacity"]
        and out.loc["S3", "high_capacity"]
        and not out.loc["S2", "high_capacity"]
    )
    assert out.loc["S3", "radius_m"] == 1000.0


def test_silver_tables_give_the_same_counts_as_the_feed(tmp_path: Path, mini: dict) -> None:
    """silver.departures (the SQL relation) + silver.service_dates -> same departures."""
    paths = {}
    for name in ("stop_times", "trips", "routes"):
        paths[name] = str(tmp_path / f"{name}.parquet")
        mini[name].table.to_parquet(paths[name])
    departures = db.query(db.connect(), "silver.departures", **paths)
    dates = gtfs.service_dates(mini["calendar"].table, mini["calendar_dates"].table)
    feed = transit.feed_from_silver(departures, dates)
    stops = _stops_with_counts(mini)
    for day in ("2026-10-14", "2026-10-15", "2026-11-02", "2026-11-09"):
        expected = transit.departures_per_stop(mini, stops, day)
        pd.testing.assert_frame_equal(transit.departures_per_stop(feed, stops, day), expected)
    # 15 Oct: WK (T1, T2, T5: 7 stop departures) + XTRA (T4: 2) is the busiest weekday
    assert transit.busiest_weekday(dates, departures) == dt.date(2026, 10, 15)


def test_busiest_weekday_needs_weekday_service() -> None:
    dates = pd.DataFrame(
        {"feed_id": ["f"], "service_id": ["SUN"], "date": [pd.Timestamp("2026-10-18")]}
    )
    departures = pd.DataFrame({"feed_id": ["f"], "service_id": ["SUN"]})
    with pytest.raises(ValueError, match="weekday"):
        transit.busiest_weekday(dates, departures)


def test_trips_per_hour_counts_a_trip_once(mini: dict) -> None:
    timed = transit.window_departures(mini, "2026-10-14")
    both = pd.DataFrame({"feed_id": ["gtfs_mini", "gtfs_mini"], "stop_id": ["S1", "S2"]})
    assert transit.trips_per_hour(timed, both) == pytest.approx(2 / 14)  # T1, T2
    assert transit.trips_per_hour(timed, both.iloc[:0]) == 0.0
    with pytest.raises(ValueError, match="window"):
        transit.window_departures(mini, "2026-10-14", window=(20, 6))


def test_trips_per_hour_by_group_equals_one_group_at_a_time(mini: dict) -> None:
    timed = transit.window_departures(mini, "2026-10-14")
    stops = pd.DataFrame({"feed_id": ["gtfs_mini"] * 3, "stop_id": ["S1", "S2", "S1"]})
    places = pd.DataFrame({"group": ["a", "a", "b", "c", "c"], "place": [0, 1, 1, 2, 0]})
    out = transit.trips_per_hour_by_group(timed, stops, places)
    for group, rows in places.groupby("group"):  # one group at a time, by plain filtering
        chosen = set(map(tuple, stops.iloc[rows["place"]][["feed_id", "stop_id"]].to_numpy()))
        calls = timed[[(f, s) in chosen for f, s in zip(timed["feed_id"], timed["stop_id"], strict=True)]]
        expected = len(calls[["feed_id", "trip_id", "service_date"]].drop_duplicates()) / 14
        assert out[group] == pytest.approx(expected)
    assert out["a"] == pytest.approx(2 / 14)  # T1 and T2, each once
    nowhere = pd.DataFrame({"feed_id": ["gtfs_mini"], "stop_id": ["NOPE"]})
    assert transit.trips_per_hour_by_group(timed, nowhere, places.iloc[:1].assign(place=0))["a"] == 0.0


# -- coverage of cells -----------------------------------------------------------------------

STOPS = pd.DataFrame({"departures_per_hour": [12.0, 3.0, 0.0], "radius_m": [500.0, 1000.0, 500.0]})
# 4.8 km/h: 500 m = 375 s, 1000 m = 750 s
WALK = np.array(
    [
        [300.0, 400.0, np.inf, 375.0],  # A: bus, 12 departures/h
        [900.0, 700.0, np.inf, np.inf],  # B: rail, 3 departures/h
        [10.0, np.inf, np.inf, np.inf],  # C: bus stop without departures
    ]
)


def test_cell_coverage_hand_computed() -> None:
    out = transit.cell_coverage(WALK, STOPS)
    assert out["pt_departures_per_hour"].tolist() == [12.0, 3.0, 0.0, 12.0]
    assert out["pt_class"].tolist() == ["high", "low", "none", "high"]
    assert out["sdg_11_2_1"].tolist() == [True, False, False, True]  # rail at 3/h is not frequent
    # nearest stop *with departures* within its radius (C is nearer to cell 0 but idle)
    np.testing.assert_allclose(out["pt_walk_min"], [5.0, 700 / 60, np.nan, 6.25])
    relaxed = transit.cell_coverage(WALK, STOPS, min_departures_per_hour=2.0)
    assert relaxed["sdg_11_2_1"].tolist() == [True, True, False, True]
    with pytest.raises(ValueError, match="n_stops=3"):
        transit.cell_coverage(WALK[:2], STOPS)


def test_population_shares_by_commune() -> None:
    shares = transit.population_shares(
        pd.Series([100.0, 50.0, 50.0, 0.0]),
        pd.Series(["a", "a", "b", "b"]),
        pd.Series(["high", "none", "low", "none"]),
    )
    assert shares.loc["a", "high"] == pytest.approx(200 / 3) and shares.loc[
        "a", "none"
    ] == pytest.approx(100 / 3)
    assert shares.loc["b"].to_dict() == {"high": 0.0, "low": 100.0, "none": 0.0}


# -- real feed -------------------------------------------------------------------------------


@functools.cache
def _read_feed(path: Path) -> dict:
    return gtfs.read_feed(path)


@pytest.mark.realdata
@pytest.mark.parametrize("day", [dt.date(2014, 6, 11), dt.date(2014, 6, 9), dt.date(2014, 6, 10)])
def test_real_cairns_frequencies_match_independent_count(realdata, day: dt.date) -> None:
    path = realdata("03_gtfs/cairns_gtfs_2014_fallback.zip")
    feed = _read_feed(path)
    stops = feed["stops"].table
    out = transit.departures_per_stop(feed, stops, day).set_index("stop_id")
    expected = Counter(_independent_counter()(path, day))
    assert len(out) == len(stops)  # every stop kept, served or not
    ours = out.loc[out["departures"] > 0, "departures"]
    assert Counter(ours.to_dict()) == expected
    classes = transit.dg_regio_class([expected.get(s, 0) / 14 for s in out.index])
    assert (out["dg_regio_class"].to_numpy() == classes).all()
    unserved = out[out["departures"] == 0]
    assert (unserved["report"] != "").all() and set(unserved.index) == set(stops["stop_id"]) - set(
        expected
    )
    assert sum(expected.values()) > 1000 and (out["dg_regio_class"] != "none").sum() > 300
