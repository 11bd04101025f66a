"""Footfall profiles on synthetic series with known answers, and year-on-year change.

The series are the demo generator's own rhythm (``HOURLY`` x ``WEEKDAY`` x 100 pedestrians,
no noise), so every figure has a closed form: the daily total is ``100 * sum(HOURLY) *
WEEKDAY[d]``, the peak hour is 12:00, the weekday/weekend ratio is ``mean(WEEKDAY[:5]) /
mean(WEEKDAY[5:])``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.demo.footfall import HOURLY, WEEKDAY
from pipelines.footfall import profile as fp
from pipelines.timeutil import local_hours


def _series(start: str, days: int, scale: float = 100.0, area: str = "a") -> pd.DataFrame:
    """Hourly footfall of one area, local hours (23/24/25 a day) with the demo rhythm."""
    rows = []
    for day in pd.date_range(start, periods=days, freq="D"):
        for ts in local_hours(day.date()):
            local = ts.tz_convert("Europe/Brussels")
            value = scale * HOURLY[local.hour] * WEEKDAY[local.weekday()]
            rows.append((area, ts, str(day.date()), value, value / 2))
    return pd.DataFrame(rows, columns=["area", "ts", "day", "footfall", "devices"])


def test_weekly_curve_and_summary_have_closed_forms() -> None:
    hours = _series("2026-10-12", 28)
    curve = fp.weekly_curve(hours, ["area"])
    assert len(curve) == 7 * 24 and curve["n_days"].eq(4).all()
    s = fp.summarise(curve, ["area"]).iloc[0]
    total = 100 * HOURLY.sum()
    assert s["footfall_daily"] == pytest.approx(total * WEEKDAY.mean())
    assert s["footfall_weekday"] == pytest.approx(total * WEEKDAY[:5].mean())
    assert s["footfall_weekend"] == pytest.approx(total * WEEKDAY[5:].mean())
    assert s["weekday_weekend_ratio"] == pytest.approx(0.9 / 0.825)  # 1.0909
    assert (s["peak_hour"], s["peak_weekday"]) == (12, "sat")
    assert s["peak_hour_footfall"] == pytest.approx(100 * WEEKDAY.mean())
    for part, (a, b) in fp.DAY_PARTS.items():
        assert s[f"share_{part}"] == pytest.approx(HOURLY[a:b].sum() / HOURLY.sum())
    assert s["share_midday"] == pytest.approx(3.5 / 9.71)
    assert s["n_days"] == 28
    assert s["devices_daily"] == pytest.approx(s["footfall_daily"] / 2)


def test_missing_hours_lower_no_total() -> None:
    hours = _series("2026-10-12", 28)
    gap = (hours["day"] == "2026-10-19") & hours["ts"].dt.tz_convert("Europe/Brussels").dt.hour.between(10, 15)
    with_gap = fp.summarise(fp.weekly_curve(hours[~gap], ["area"]), ["area"]).iloc[0]
    full = fp.summarise(fp.weekly_curve(hours, ["area"]), ["area"]).iloc[0]
    assert with_gap["footfall_daily"] == pytest.approx(full["footfall_daily"])
    # a weekday never observed at some hour has no daily total, and no mean daily either
    local = hours["ts"].dt.tz_convert("Europe/Brussels")
    never = hours[~(local.dt.day_of_week.eq(6) & local.dt.hour.eq(10))]  # no Sunday 10:00 ever
    partial = fp.summarise(fp.weekly_curve(never, ["area"]), ["area"]).iloc[0]
    assert np.isnan(partial["footfall_daily"])
    assert partial["footfall_weekday"] == pytest.approx(full["footfall_weekday"])


def test_the_autumn_night_counts_both_two_oclock_hours_in_the_slot() -> None:
    hours = _series("2026-10-25", 1)  # a Sunday of 25 hours
    assert len(hours) == 25
    two = hours[hours["ts"].dt.tz_convert("Europe/Brussels").dt.hour == 2].copy()
    assert len(two) == 2
    hours.loc[two.index, "footfall"] = [4.0, 8.0]
    curve = fp.weekly_curve(hours, ["area"]).set_index("hour")
    # the curve is pedestrians per hour: the two 02:00 hours are averaged into the slot
    assert curve.loc[2, "footfall"] == pytest.approx(6.0)
    assert len(curve) == 24


def test_profiles_per_area_are_independent() -> None:
    hours = pd.concat([_series("2026-10-12", 14, 100, "a"), _series("2026-10-12", 14, 300, "b")])
    s = fp.summarise(fp.weekly_curve(hours, ["area"]), ["area"]).set_index("area")
    assert s.loc["b", "footfall_daily"] == pytest.approx(3 * s.loc["a", "footfall_daily"])
    assert s.loc["b", "weekday_weekend_ratio"] == pytest.approx(s.loc["a", "weekday_weekend_ratio"])


def test_year_on_year_on_a_synthetic_two_year_series() -> None:
    before = _series("2025-10-13", 28)  # Monday 2025-10-13 = 2026-10-12 minus 364 days
    now = _series("2026-10-12", 28, scale=110.0)
    out = fp.year_on_year(pd.concat([before, now]), ["area"]).iloc[0]
    assert out["yoy_change"] == pytest.approx(0.10)
    assert out["yoy_period"] == "2026-10-12..2026-11-08 vs 2025-10-13..2025-11-09"
    # (day, local hour) pairs: the two 02:00 hours of 2026-10-25 make one pair, and its
    # match 364 days earlier, 2025-10-26, is the 25-hour day of 2025
    assert out["yoy_hours"] == 28 * 24
    assert pd.isna(out["yoy_reason"])


def test_year_on_year_uses_only_hours_present_in_both_years() -> None:
    before = _series("2025-10-13", 28)
    now = _series("2026-10-12", 28, scale=110.0)
    before = before[before["day"] != "2025-10-18"]  # a whole Saturday missing a year ago
    now = now[now["day"] != "2026-11-01"]  # and a Sunday missing now
    out = fp.year_on_year(pd.concat([before, now]), ["area"]).iloc[0]
    assert out["yoy_change"] == pytest.approx(0.10)  # gaps bias neither side


def test_year_on_year_unavailable_says_why() -> None:
    now = _series("2026-10-12", 28)
    out = fp.year_on_year(now, ["area"]).iloc[0]
    assert pd.isna(out["yoy_change"]) and out["yoy_hours"] == 0
    assert out["yoy_reason"] == "no data for the same weeks one year earlier (2025-10-13..2025-11-09)"
    sparse = pd.concat([_series("2025-10-13", 7), now])  # one week of four
    out = fp.year_on_year(sparse, ["area"]).iloc[0]
    assert pd.isna(out["yoy_change"])
    assert out["yoy_reason"].startswith("only 25 % of the hours have a match one year earlier")
    assert fp.year_on_year(sparse, ["area"], min_overlap=0.2)["yoy_change"].iloc[0] == pytest.approx(0.0)


def test_year_before_is_the_window_364_days_earlier_with_a_day_either_side() -> None:
    days = [d.date().isoformat() for d in pd.date_range("2025-01-01", "2026-12-31")]
    window = [d.date().isoformat() for d in pd.date_range("2026-11-04", "2026-12-01")]  # 28 days
    earlier = fp.year_before(window, days)
    assert earlier[0] == "2025-11-04" and earlier[-1] == "2025-12-03"  # 2026-11-04 - 364 days = 2025-11-05
    assert len(earlier) == 30
    assert fp.year_before(window, days[400:]) == [] and fp.year_before([], days) == []
