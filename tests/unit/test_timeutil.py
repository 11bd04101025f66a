"""Time helpers: offsets, local days and the 23/25-hour days of Europe/Brussels."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines import timeutil as tu


def test_the_two_autumn_02h_hours_are_distinct_instants() -> None:
    values = pd.Series(["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"])
    ts, problem = tu.parse_timestamps(values)
    assert problem.isna().all()
    assert list(ts) == [
        pd.Timestamp("2026-10-25T00:00:00Z"),
        pd.Timestamp("2026-10-25T01:00:00Z"),
    ]
    assert str(ts.dtype) == tu.TS_DTYPE
    assert list(tu.local_day(ts)) == ["2026-10-25", "2026-10-25"]


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("2026-07-01T12:00:00+02:00", "2026-07-01T10:00:00Z"),
        ("2026-01-15T12:00:00+01:00", "2026-01-15T11:00:00Z"),
        ("2026-01-15T12:00:00+0100", "2026-01-15T11:00:00Z"),
        ("2026-01-15 12:00+01:00", "2026-01-15T11:00:00Z"),
        ("2026-07-01T12:00:00Z", "2026-07-01T12:00:00Z"),
        ("2026-07-01T12:00:00+00:00", "2026-07-01T12:00:00Z"),
        (" 2026-03-29T03:00:00+02:00 ", "2026-03-29T01:00:00Z"),
    ],
)
def test_valid_timestamps_parse_to_utc(text: str, expected_utc: str) -> None:
    ts, problem = tu.parse_timestamps(pd.Series([text]))
    assert pd.isna(problem.iloc[0])
    assert ts.iloc[0] == pd.Timestamp(expected_utc)


@pytest.mark.parametrize(
    ("text", "reason_start"),
    [
        ("2026-10-25T02:00:00", "timestamp without UTC offset"),
        ("2026-10-25 02:00", "timestamp without UTC offset"),
        ("", "missing timestamp"),
        (None, "missing timestamp"),
        ("25/10/2026 02:00+01:00", "unparsable timestamp"),
        ("2026-10-25T02:00:00+25:00", "unparsable timestamp"),
        ("yesterday", "unparsable timestamp"),
        # summer with a winter offset: a wrong wall clock or a wrong offset
        ("2026-07-01T12:00:00+01:00", "UTC offset +01:00 is not the Europe/Brussels offset"),
        # 02:30 does not exist on 2026-03-29 in Brussels, whichever offset is written
        ("2026-03-29T02:30:00+01:00", "UTC offset +01:00 is not the Europe/Brussels offset"),
        ("2026-03-29T02:30:00+02:00", "UTC offset +02:00 is not the Europe/Brussels offset"),
        ("2026-01-15T12:00:00-05:00", "UTC offset -05:00 is not the Europe/Brussels offset"),
    ],
)
def test_invalid_timestamps_say_why(text: str | None, reason_start: str) -> None:
    ts, problem = tu.parse_timestamps(pd.Series([text], dtype="object"))
    assert pd.isna(ts.iloc[0])
    assert problem.iloc[0].startswith(reason_start), problem.iloc[0]


def test_zone_check_can_be_switched_off() -> None:
    ts, problem = tu.parse_timestamps(pd.Series(["2026-01-15T12:00:00-05:00"]), check_zone=False)
    assert problem.isna().all()
    assert ts.iloc[0] == pd.Timestamp("2026-01-15T17:00:00Z")


def test_offset_minutes() -> None:
    got = tu.offset_minutes(
        pd.Series(["+02:00", "Z", "-0330", "+01", "2026-10-25T02:00:00+01:00", "x"])
    )
    assert got.iloc[:5].tolist() == [120, 0, -210, 60, 60]
    assert pd.isna(got.iloc[5])


def test_to_utc_scalar() -> None:
    assert tu.to_utc("2026-10-25T02:30:00+01:00") == pd.Timestamp("2026-10-25T01:30:00Z")
    with pytest.raises(ValueError, match="without UTC offset"):
        tu.to_utc("2026-10-25T02:30:00")


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        ("2026-10-24T21:59:00Z", "2026-10-24"),  # 23:59 CEST
        ("2026-10-24T22:00:00Z", "2026-10-25"),  # 00:00 CEST
        ("2026-10-25T22:59:00Z", "2026-10-25"),  # 23:59 CET
        ("2026-10-25T23:00:00Z", "2026-10-26"),  # 00:00 CET
        ("2026-03-28T23:00:00Z", "2026-03-29"),  # 00:00 CET
        ("2026-03-29T21:59:00Z", "2026-03-29"),  # 23:59 CEST
        ("2026-03-29T22:00:00Z", "2026-03-30"),
    ],
)
def test_local_day_of_utc_instants(utc: str, day: str) -> None:
    ts = pd.Series([pd.Timestamp(utc)]).astype(tu.TS_DTYPE)
    assert tu.local_day(ts).iloc[0] == day


def test_local_day_keeps_nat_as_na() -> None:
    ts = pd.Series([pd.NaT, pd.Timestamp("2026-01-01T12:00Z")]).astype(tu.TS_DTYPE)
    out = tu.local_day(ts)
    assert pd.isna(out.iloc[0]) and out.iloc[1] == "2026-01-01"


@pytest.mark.parametrize(
    ("day", "n_hours", "first_utc"),
    [
        ("2026-03-29", 23, "2026-03-28T23:00:00Z"),
        ("2026-06-15", 24, "2026-06-14T22:00:00Z"),
        ("2026-10-25", 25, "2026-10-24T22:00:00Z"),
        (dt.date(2022, 10, 30), 25, "2022-10-29T22:00:00Z"),
        ("2022-03-27", 23, "2022-03-26T23:00:00Z"),
    ],
)
def test_local_hours_count_23_24_25(day, n_hours: int, first_utc: str) -> None:
    hours = tu.local_hours(day)
    assert len(hours) == n_hours == tu.hours_in_day(day)
    assert hours[0] == pd.Timestamp(first_utc)
    assert hours.is_unique and (pd.Series(hours).diff().dropna() == pd.Timedelta("1h")).all()
    start, end = tu.day_bounds(day)
    assert start == hours[0] and end == hours[-1] + pd.Timedelta("1h")


def test_local_hour_labels_on_dst_days() -> None:
    autumn = tu.local_hour_labels("2026-10-25")
    assert autumn[:5] == ["00:00+02:00", "01:00+02:00", "02:00+02:00", "02:00+01:00", "03:00+01:00"]
    spring = tu.local_hour_labels("2026-03-29")
    assert spring[:3] == ["00:00+01:00", "01:00+01:00", "03:00+02:00"]
    assert not any(label.startswith("02:") for label in spring)


def test_a_year_has_8760_hours_with_one_short_and_one_long_day() -> None:
    days = pd.date_range("2026-01-01", "2026-12-31", freq="D")
    counts = [tu.hours_in_day(d.date()) for d in days]
    assert sum(counts) == 365 * 24
    assert counts.count(23) == 1 and counts.count(25) == 1
    assert days[counts.index(23)].date() == dt.date(2026, 3, 29)
    assert days[counts.index(25)].date() == dt.date(2026, 10, 25)


@pytest.mark.parametrize(
    ("day", "origin_utc"),
    [
        ("2026-06-15", "2026-06-14T22:00:00Z"),  # ordinary summer day: local midnight
        ("2026-03-29", "2026-03-28T22:00:00Z"),  # noon CEST - 12 h = 23:00 CET on the 28th
        ("2026-10-25", "2026-10-24T23:00:00Z"),  # noon CET - 12 h = 01:00 CEST on the 25th
    ],
)
def test_gtfs_service_day_origin_is_noon_minus_12h(day: str, origin_utc: str) -> None:
    assert tu.service_day_origin(day) == pd.Timestamp(origin_utc)


def test_gtfs_times_on_dst_days_land_on_the_right_wall_clock() -> None:
    utc = tu.gtfs_seconds_to_utc("2026-03-29", pd.Series([8 * 3600, 25 * 3600 + 600]))
    local = utc.dt.tz_convert("Europe/Brussels")
    assert local.iloc[0].isoformat() == "2026-03-29T08:00:00+02:00"
    assert local.iloc[1].isoformat() == "2026-03-30T01:10:00+02:00"
    autumn = tu.gtfs_seconds_to_utc("2026-10-25", pd.Series([8 * 3600]))
    assert (
        autumn.dt.tz_convert("Europe/Brussels").iloc[0].isoformat() == "2026-10-25T08:00:00+01:00"
    )


def test_parse_gtfs_times() -> None:
    seconds, problem = tu.parse_gtfs_times(
        pd.Series(["07:05:00", "7:05:00", "25:10:00", "", "07:60:00", "abc", "100:00:00"]),
        "departure_time",
    )
    assert seconds.iloc[:3].tolist() == [25500, 25500, 90600]
    assert seconds.iloc[6] == 360000
    assert pd.isna(seconds.iloc[3]) and pd.isna(problem.iloc[3])
    assert problem.iloc[4] == "unparsable departure_time: '07:60:00'"
    assert problem.iloc[5] == "unparsable departure_time: 'abc'"
    assert seconds.iloc[4:6].isna().all()
