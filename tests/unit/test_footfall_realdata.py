"""Footfall profiles and year-on-year change of a real counter: Ghent, Coupure Links.

The engine reads the Stad Gent files with ``counters.read_ghent`` (timestamps from
``Ordening``, DST-aware) and profiles the hourly totals; the test recomputes every figure
independently with the ``csv`` module from the provider's wall clock (``Datum`` and
``Uur5Minuten``), skipping only what is not a real interval: the phantom 02:xx rows of the
spring-forward day (an hour that does not exist in Brussels) and empty counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from pipelines.footfall import profile as fp
from pipelines.sources import counters

SPRING = {"2022-03-27", "2023-03-26"}


def _hourly_by_wall_clock(path: Path) -> dict[tuple[str, int], int]:
    """Sum of ``Totaal`` per (Datum, hour of Uur5Minuten), read with the csv module."""
    sums: dict[tuple[str, int], int] = defaultdict(int)
    with zipfile.ZipFile(path) as archive:
        text = io.TextIOWrapper(archive.open(archive.namelist()[0]), encoding="utf-8-sig")
        for row in csv.DictReader(text, delimiter=";"):
            hour = int(row["Uur5Minuten"].split(":")[0])
            if row["Totaal"] == "" or (row["Datum"] in SPRING and hour == 2):
                continue
            sums[(row["Datum"], hour)] += int(float(row["Totaal"]))
    return sums


def _engine_hours(path: Path) -> pd.DataFrame:
    hourly = counters.to_hourly(counters.read_ghent(path).table)
    return pd.DataFrame({"area": "COU", "ts": hourly["ts"], "day": hourly["day"],
                         "footfall": hourly["total"].astype("float64"),
                         "devices": hourly["total"].astype("float64")})


@pytest.fixture
def ghent(realdata) -> dict[str, Path]:  # noqa: ANN001
    return {year: realdata(f"04_counters/fietstelpaal-coupure-links-{year}-gent.zip") for year in ("2022", "2023")}


@pytest.mark.realdata
def test_real_ghent_2022_profile_matches_an_independent_computation(ghent) -> None:  # noqa: ANN001
    sums = _hourly_by_wall_clock(ghent["2022"])
    # independent weekly curve: mean over the dates of each (weekday, hour)
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (day, hour), total in sums.items():
        slots[(dt.date.fromisoformat(day).weekday(), hour)].append(total)
    mean = {k: sum(v) / len(v) for k, v in slots.items()}
    daily = [sum(mean[(w, h)] for h in range(24)) for w in range(7)]
    ratio = (sum(daily[:5]) / 5) / (sum(daily[5:]) / 2)
    by_hour = [sum(mean[(w, h)] for w in range(7)) / 7 for h in range(24)]
    peak = max(range(24), key=lambda h: by_hour[h])

    hours = _engine_hours(ghent["2022"])
    summary = fp.summarise(fp.weekly_curve(hours, ["area"]), ["area"]).iloc[0]
    assert summary["weekday_weekend_ratio"] == pytest.approx(ratio, rel=1e-9)
    assert summary["footfall_daily"] == pytest.approx(sum(daily) / 7, rel=1e-9)
    assert summary["peak_hour"] == peak
    assert summary["n_days"] == 365
    # what Coupure Links is: a commuter bike route, busiest at 08:00, weekdays about twice
    # the weekend, with both rush hours standing out
    assert peak == 8 and summary["peak_weekday"] in {"tue", "wed", "thu"}
    assert 1.8 < summary["weekday_weekend_ratio"] < 2.6
    assert by_hour[17] > 0.7 * by_hour[8] > by_hour[12]


@pytest.mark.realdata
def test_real_ghent_year_on_year_2023_against_2022(ghent) -> None:  # noqa: ANN001
    """July 2023 (the last 28 days of the 2023 file) against the same weekdays of 2022."""
    before, now = _hourly_by_wall_clock(ghent["2022"]), _hourly_by_wall_clock(ghent["2023"])
    last = dt.date(2023, 7, 31)
    window = [last - dt.timedelta(days=k) for k in range(28)]
    pairs = [((d.isoformat(), h), ((d - dt.timedelta(days=364)).isoformat(), h)) for d in window for h in range(24)]
    matched = [(now[a], before[b]) for a, b in pairs if a in now and b in before]
    expected = sum(a for a, _ in matched) / sum(b for _, b in matched) - 1

    hours = pd.concat([_engine_hours(ghent["2022"]), _engine_hours(ghent["2023"])], ignore_index=True)
    out = fp.year_on_year(hours, ["area"]).iloc[0]
    assert out["yoy_period"] == "2023-07-04..2023-07-31 vs 2022-07-05..2022-08-01"
    assert out["yoy_hours"] == len(matched)
    assert out["yoy_change"] == pytest.approx(expected, rel=1e-9)
    assert -0.5 < out["yoy_change"] < 0.5
