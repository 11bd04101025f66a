"""Hourly footfall per cell: pairing, calibration, sites, gaps and quality, hand-computed.

The fixture: WiFi sensor A with pedestrian counter C 8 m away, WiFi sensor B 30 m from A
(same H3 cell), WiFi sensor E in another cell, bike counter K (never footfall). Three hours
of 2026-10-13 (local 10:00, 11:00, 12:00):

    A devices 10 20 30     C pedestrians 25 50 75 (the 12:00 hour incomplete)
    B devices  4  8  -     E devices      6  6  6

Calibration of A on the complete hours: (25 + 50) / (10 + 20) = 2.5 (detection 0.4); B and E
take the territory median, 2.5 as well.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from pipelines.errors import InputError
from pipelines.footfall import hourly as ff
from pipelines.grid import latlng_to_cells

LON, LAT = 4.9, 50.44
M_LON, M_LAT = 1 / 70_900, 1 / 111_200  # degrees per metre at this latitude
H = [pd.Timestamp(f"2026-10-13T{h:02d}:00:00Z") for h in (8, 9, 10)]  # 10:00-12:00 local


def _sensors() -> gpd.GeoDataFrame:
    rows = [
        ("wifi-A", "wifi", 0, 0, "2024-01-01"),
        ("ped-C", "pedestrian", 8, 0, None),
        ("wifi-B", "wifi", 0, 30, "2024-01-01"),
        ("wifi-E", "wifi", 900, 0, "2024-01-01"),
        ("bike-K", "bike", 4, 4, None),
        ("wifi-L", "wifi", 0, -25, "2026-10-14"),  # installed the next day
    ]
    frame = pd.DataFrame(rows, columns=["sensor_id", "kind", "dx", "dy", "installed_on"])
    lon, lat = LON + frame["dx"] * M_LON, LAT + frame["dy"] * M_LAT
    frame["installed_on"] = pd.to_datetime(frame["installed_on"]).dt.date
    frame["nis"] = "92801"
    frame["h3"] = latlng_to_cells(lat, lon)
    return gpd.GeoDataFrame(frame.drop(columns=["dx", "dy"]), geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _counts() -> pd.DataFrame:
    rows = [("wifi-A", h, v, 1, True, "wifi") for h, v in zip(H, (10, 20, 30), strict=True)]
    rows += [("ped-C", h, v, n, n == 12, "counter") for h, v, n in zip(H, (25, 50, 75), (12, 12, 11), strict=True)]
    rows += [("wifi-B", h, v, 1, True, "wifi") for h, v in zip(H[:2], (4, 8), strict=True)]
    rows += [("wifi-E", h, 6, 1, True, "wifi") for h in H]
    rows += [("bike-K", h, 70, 12, True, "counter") for h in H]
    frame = pd.DataFrame(rows, columns=["sensor_id", "ts", "count", "n_intervals", "complete", "source"])
    frame["day"] = "2026-10-13"
    frame["ts"] = frame["ts"].astype("datetime64[us, UTC]")
    return frame.astype({"count": "Int64"})


@pytest.fixture
def sensors() -> gpd.GeoDataFrame:
    s = _sensors()
    cell = dict(zip(s["sensor_id"], s["h3"], strict=True))
    assert cell["wifi-A"] == cell["ped-C"] == cell["wifi-B"] != cell["wifi-E"]
    return s


@pytest.fixture
def calibration(sensors: gpd.GeoDataFrame) -> pd.DataFrame:
    pairs = ff.pair_counters(sensors)
    return ff.calibrate(_counts(), pairs, sensors.loc[sensors["kind"] == "wifi", "sensor_id"], min_hours=2)


def test_counter_pairs_with_the_wifi_sensor_beside_it(sensors: gpd.GeoDataFrame) -> None:
    pairs = ff.pair_counters(sensors)
    assert pairs[["sensor_id", "counter_id"]].values.tolist() == [["wifi-A", "ped-C"]]
    assert pairs["distance_m"].iloc[0] == pytest.approx(8, abs=0.3)
    assert ff.pair_counters(sensors, max_distance_m=5).empty


def test_calibration_is_a_ratio_of_sums_over_complete_hours(calibration: pd.DataFrame) -> None:
    cal = calibration.set_index("sensor_id")
    a = cal.loc["wifi-A"]
    assert (a["counter_id"], a["method"], a["hours_matched"]) == ("ped-C", "counter", 2)
    assert (a["wifi_devices"], a["counter_pedestrians"]) == (30, 75)
    assert a["factor"] == pytest.approx(2.5) and a["detection_rate"] == pytest.approx(0.4)
    assert cal.loc[["wifi-B", "wifi-E", "wifi-L"], "method"].eq("territory_median").all()
    assert cal.loc[["wifi-B", "wifi-E"], "factor"].tolist() == [2.5, 2.5]


def test_too_few_common_hours_fall_back_to_the_median_or_to_none(sensors: gpd.GeoDataFrame) -> None:
    cal = ff.calibrate(_counts(), ff.pair_counters(sensors), ["wifi-A", "wifi-B"], min_hours=3)
    assert cal["method"].eq("none").all() and cal["factor"].eq(1.0).all()


def test_site_hours_prefer_complete_counter_then_calibrated_wifi(sensors, calibration) -> None:
    table = ff.sites(sensors, calibration)
    assert "bike-K" not in set(table["sensor_id"])
    assert table.set_index("sensor_id").loc["wifi-A", "site_id"] == "ped-C"
    hours = ff.site_hours(_counts(), table, calibration)
    c = hours[hours["site_id"] == "ped-C"].set_index("ts")
    assert c["pedestrians"].tolist() == [25, 50, 75.0]  # 12:00: A's 30 devices x 2.5
    assert c["source"].tolist() == ["counter", "counter", "wifi"]
    assert c["calibration"].tolist() == ["counted", "counted", "counter"]
    assert c["devices"].tolist() == [25, 50, 30]
    b = hours[hours["site_id"] == "wifi-B"]
    assert b["pedestrians"].tolist() == [10.0, 20.0]
    assert len(hours) == 3 + 2 + 3  # C, B, E; never the bike counter


def test_incomplete_counter_hour_without_wifi_is_kept_and_flagged(sensors, calibration) -> None:
    counts = _counts()
    counts = counts[~((counts["sensor_id"] == "wifi-A") & (counts["ts"] == H[2]))]
    hours = ff.site_hours(counts, ff.sites(sensors, calibration), calibration)
    last = hours[(hours["site_id"] == "ped-C") & (hours["ts"] == H[2])].iloc[0]
    assert (last["pedestrians"], last["source"], bool(last["complete"])) == (75, "counter", False)


def test_cells_average_sites_mark_partial_and_gaps(sensors, calibration) -> None:
    table = ff.sites(sensors, calibration)
    hours = ff.site_hours(_counts(), table, calibration)
    expected = ff.expected_sites(table, ["2026-10-13"])
    cells = ff.cell_hours(hours, expected)
    centre = sensors.set_index("sensor_id").loc["wifi-A", "h3"]
    far = sensors.set_index("sensor_id").loc["wifi-E", "h3"]
    c = cells[cells["h3"] == centre].set_index("ts")
    assert len(c) == 24  # every local hour of the day; 21 of them gaps
    assert c.loc[H, "footfall"].tolist() == [17.5, 35.0, 75.0]  # (25+10)/2, (50+20)/2, 75 alone
    assert c.loc[H, "devices"].tolist() == [29, 58, 30]
    assert c.loc[H, "sources"].tolist() == ["counter+wifi", "counter+wifi", "wifi"]
    # B is calibrated with the territory median; at 12:00 B is silent and C's hour incomplete
    assert c.loc[H, "quality"].tolist() == ["default_calibration", "default_calibration", "partial"]
    gaps = c.drop(index=H)
    assert gaps["quality"].eq("gap").all() and gaps["footfall"].isna().all()
    assert (gaps["n_sites"] == 0).all() and (gaps["n_sites_expected"] == 2).all()
    e = cells[cells["h3"] == far].set_index("ts")
    assert e.loc[H, "footfall"].tolist() == [15.0, 15.0, 15.0]
    assert not cells.duplicated(["h3", "ts"]).any()


def test_expected_sites_follow_installation_and_the_25_hour_day(sensors, calibration) -> None:
    table = ff.sites(sensors, calibration)
    autumn = ff.expected_sites(table, ["2026-10-25"])
    assert autumn.groupby("site_id").size().eq(25).all()  # the repeated 02:00 hour counts twice
    assert set(autumn["site_id"]) == {"ped-C", "wifi-B", "wifi-E", "wifi-L"}
    before = ff.expected_sites(table, ["2026-10-13"])  # L is installed on the 14th
    assert set(before["site_id"]) == {"ped-C", "wifi-B", "wifi-E"}
    assert "wifi-L" in set(ff.expected_sites(table, ["2026-10-14"])["site_id"])
    assert ff.expected_sites(table, ["2026-03-29"]).groupby("site_id").size().eq(23).all()


def test_duplicate_sensor_hour_is_refused(sensors, calibration) -> None:
    counts = pd.concat([_counts(), _counts().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="duplicate \\(sensor, hour\\).*wifi-A"):
        ff.site_hours(counts, ff.sites(sensors, calibration), calibration)


def test_site_hours_on_the_autumn_night_keep_both_two_oclock_hours(sensors, calibration) -> None:
    ts = pd.DatetimeIndex(["2026-10-25T00:00Z", "2026-10-25T01:00Z"]).astype("datetime64[us, UTC]")
    counts = pd.DataFrame({"sensor_id": "wifi-E", "ts": ts, "day": "2026-10-25", "count": [4, 8],
                           "n_intervals": 1, "complete": True, "source": "wifi"}).astype({"count": "Int64"})
    hours = ff.site_hours(counts, ff.sites(sensors, calibration), calibration)
    assert hours["pedestrians"].tolist() == [10.0, 20.0]
    assert np.array_equal(hours["ts"].to_numpy(), ts.to_numpy())
