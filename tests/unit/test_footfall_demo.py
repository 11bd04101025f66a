"""Footfall analytics against the truths the demo generator built in.

The demo territory is generated once for the module (about 4 s) and read with the real
readers, then calibrated and profiled by the engine (no Dagster). The generator's law
(``docs/demo-territory.md``): pedestrians ``30 * (shops within 150 m + 2) * HOURLY[h] *
WEEKDAY[d] * market * weather``, each WiFi sensor seeing a phone with probability
``detect_s``; seven pedestrian counters count the same pedestrians 8 m away.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.conform import points_from_lonlat, with_h3
from pipelines.demo import generate
from pipelines.demo.footfall import HOURLY, MARKET_BOOST, MARKET_DAYS, MARKET_HOURS, WEEKDAY
from pipelines.demo.generator import TRUTH_FILE
from pipelines.footfall import hourly as ff
from pipelines.footfall import profile as fp
from pipelines.sources import counters, wifi


def _one_file(folder: Path, tmp: Path) -> Path:
    """A counter's 28 daily Ghent files as one (header once): one read instead of 28."""
    lines = []
    for k, day in enumerate(sorted(folder.glob("*.csv"))):
        text = day.read_text(encoding="utf-8-sig").splitlines()
        lines.extend(text if k == 0 else text[1:])
    path = tmp / "all.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("footfall_demo")
    generate(root, seed=42)
    truth = json.loads((root / TRUTH_FILE).read_text(encoding="utf-8"))
    reg = counters.read_registry(root / "counters" / "counters.csv").table.rename(columns={"counter_id": "sensor_id"})
    sensors = pd.concat([wifi.read_sensors(root / "wifi" / "sensors.csv").table.assign(kind="wifi"), reg], ignore_index=True)
    sensors = with_h3(points_from_lonlat(sensors))
    parts = []
    for path in sorted((root / "wifi" / "counts").glob("*.csv")):
        t = wifi.read_counts(path).table
        parts.append(pd.DataFrame({"sensor_id": t["sensor_id"], "ts": t["ts"], "day": t["day"], "count": t["unique_devices"], "n_intervals": 1, "complete": True, "source": "wifi"}))
    for folder in sorted((root / "counters").glob("ped-*")):
        path = _one_file(folder, tmp_path_factory.mktemp(folder.name))
        h = counters.to_hourly(counters.read_ghent(path, counter_id=folder.name).table)
        parts.append(pd.DataFrame({"sensor_id": h["counter_id"], "ts": h["ts"], "day": h["day"], "count": h["total"], "n_intervals": h["n_intervals"], "complete": h["complete"], "source": "counter"}))
    counts = pd.concat(parts, ignore_index=True).astype({"count": "Int64"})
    calibration = ff.calibrate(counts, ff.pair_counters(sensors), sensors.loc[sensors["kind"] == "wifi", "sensor_id"])
    table = ff.sites(sensors, calibration)
    hours = ff.site_hours(counts, table, calibration)
    return {"truth": truth, "sensors": sensors, "counts": counts, "calibration": calibration, "sites": table, "hours": hours}


def _truth_sensors(demo: dict) -> pd.DataFrame:
    return pd.DataFrame(demo["truth"]["footfall"]["sensors"]).set_index("sensor_id")


def test_calibration_recovers_every_detection_rate(demo: dict) -> None:
    truth = _truth_sensors(demo)
    own = demo["calibration"][demo["calibration"]["method"] == "counter"].set_index("sensor_id")
    assert len(own) == 7
    assert own["counter_id"].to_dict() == truth.loc[truth["counter_id"] != "", "counter_id"].to_dict()
    error = (own["detection_rate"] - truth.loc[own.index, "detect"]).abs()
    assert error.max() < 0.01  # seed 42: at most 0.003
    median = demo["calibration"].loc[demo["calibration"]["method"] == "territory_median", "factor"].iloc[0]
    assert median == pytest.approx(own["factor"].median())


def _law_week(market_weekday: int) -> np.ndarray:
    """Pedestrians (relative) of the law per weekday x hour, market mornings included."""
    hours = np.arange(24)
    market = (hours >= MARKET_HOURS[0]) & (hours < MARKET_HOURS[1])
    week = WEEKDAY[:, None] * HOURLY[None, :]
    if market_weekday >= 0:
        week[market_weekday] *= np.where(market, MARKET_BOOST, 1.0)
    return week


def _expected_ratio(market_weekday: int) -> float:
    """Weekday/weekend ratio of the generator's law for a commune's market day."""
    boost = 1 + (MARKET_BOOST - 1) * HOURLY[MARKET_HOURS[0]:MARKET_HOURS[1]].sum() / HOURLY.sum()
    days = WEEKDAY * np.where(np.arange(7) == market_weekday, boost, 1.0)
    return days[:5].mean() / days[5:].mean()


def test_commune_profiles_show_the_generators_rhythm(demo: dict) -> None:
    hours = ff.area_hours(demo["hours"], ["nis"])
    summary = fp.summarise(fp.weekly_curve(hours, ["nis"]), ["nis"]).set_index("nis")
    market = {c["nis"]: MARKET_DAYS.get(c["market_day"] or "", -1) for c in demo["truth"]["communes"]}
    assert len(summary) == 8  # the two communes without any sensor have no measured profile
    assert summary["peak_hour"].eq(12).all() and summary["peak_weekday"].eq("sat").all()
    for nis, row in summary.iterrows():
        # weather is one draw per commune and day, so four weeks leave a few % of noise
        assert row["weekday_weekend_ratio"] == pytest.approx(_expected_ratio(market[nis]), abs=0.08), nis
    # day-part shares: those of the law's week (market mornings included); the rural
    # communes' single sensor sees ~500 phones a day, so Poisson noise allows 0.01
    for nis, row in summary.iterrows():
        week = _law_week(market[nis]).mean(axis=0)
        for part, (a, b) in fp.DAY_PARTS.items():
            assert row[f"share_{part}"] == pytest.approx(week[a:b].sum() / week.sum(), abs=0.01)


def test_calibrated_counter_sites_match_the_law(demo: dict) -> None:
    """Mean daily pedestrians at the seven counters = 30 (shops + 2) x the week's mean factor."""
    truth = _truth_sensors(demo)
    site = ff.area_hours(demo["hours"], ["site_id"])
    summary = fp.summarise(fp.weekly_curve(site, ["site_id"]), ["site_id"]).set_index("site_id")
    market = {c["nis"]: MARKET_DAYS.get(c["market_day"] or "", -1) for c in demo["truth"]["communes"]}
    boost = 1 + (MARKET_BOOST - 1) * HOURLY[MARKET_HOURS[0]:MARKET_HOURS[1]].sum() / HOURLY.sum()
    paired = truth[truth["counter_id"] != ""]
    for sensor, row in paired.iterrows():
        nis = sensor.split("-")[1]
        week = (WEEKDAY * np.where(np.arange(7) == market[nis], boost, 1.0)).mean()
        law = row["peak"] * HOURLY.sum() * week
        assert summary.loc[row["counter_id"], "footfall_daily"] == pytest.approx(law, rel=0.06), sensor


def test_uncalibrated_sites_track_shops_within_the_interval_of_detection_rates(demo: dict) -> None:
    """Every WiFi site's footfall / law ratio is detect_s / median detection: in [0.55, 1.4]."""
    truth = _truth_sensors(demo)
    site = ff.area_hours(demo["hours"], ["site_id"])
    peak = fp.summarise(fp.weekly_curve(site, ["site_id"]), ["site_id"]).set_index("site_id")["footfall_daily"]
    lone = truth[truth["counter_id"] == ""]
    ratio = peak.loc[lone.index] / (lone["peak"] * HOURLY.sum() * WEEKDAY.mean())
    median_detect = 1 / demo["calibration"]["factor"].median()
    assert np.corrcoef(np.log(ratio), np.log(lone["detect"] / median_detect))[0, 1] > 0.9
    assert ratio.between(0.55, 1.4).all()


def test_gaps_of_the_demo_are_marked_not_zero(demo: dict) -> None:
    table = demo["sites"]
    days = ["2026-10-19", "2026-11-02"]
    cells = ff.cell_hours(demo["hours"][demo["hours"]["day"].isin(days)], ff.expected_sites(table, days))
    cell_of = demo["sensors"].set_index("sensor_id")["h3"]
    outage = cells[(cells["h3"] == cell_of["wifi-61824-07"]) & (cells["day"] == "2026-10-19")]
    local = outage["ts"].dt.tz_convert("Europe/Brussels").dt.hour
    assert outage.loc[local.between(10, 15), "quality"].eq("gap").all()
    assert outage.loc[local.between(10, 15), "footfall"].isna().all()
    assert outage.loc[~local.between(10, 15), "footfall"].notna().all()
    silent = cells[(cells["h3"] == cell_of["wifi-92813-06"]) & (cells["day"] == "2026-11-02")]
    assert len(silent) == 24 and silent["quality"].isin(["gap", "partial"]).all()
    late = ff.expected_sites(table, ["2026-10-19"])
    assert "wifi-56835-02" not in set(late["site_id"])  # installed on 2026-10-20
