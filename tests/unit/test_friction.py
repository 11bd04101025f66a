"""Friction indicators: every one with a tiny hand-made fixture and its known answer.

Public transport (indicator 1) is tested in tests/unit/test_transit.py.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipelines.constants import CRS_METRIC
from pipelines.friction import catalogue, rows
from pipelines.friction import od as friction_od
from pipelines.friction import reach as friction_reach
from pipelines.friction import table as ftable
from pipelines.friction.families import access as f_access
from pipelines.friction.families import delivery as f_delivery
from pipelines.friction.families import flows as f_flows
from pipelines.friction.families import origin as f_origin
from pipelines.friction.families import parking as f_parking
from pipelines.friction.families import tourism as f_tourism
from pipelines.friction.families import vacancy as f_vacancy
from pipelines.friction.families import visibility as f_visibility
from pipelines.friction.layers import cell_districts, sensor_footfall
from pipelines.friction.opening_hours import weekly_open

INF = np.inf


def _squares(
    ids: list[str], origins: list[tuple[float, float]], size: float = 100.0, **columns: list
) -> gpd.GeoDataFrame:
    """Square polygons (EPSG:31370, lower-left corners ``origins``) returned in EPSG:4326."""
    polys = [shapely.box(x, y, x + size, y + size) for x, y in origins]
    frame = gpd.GeoDataFrame({"district_id": ids, **columns}, geometry=polys, crs=CRS_METRIC)
    return frame.to_crs(4326)


def _points(xy: list[tuple[float, float]], **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=CRS_METRIC
    ).to_crs(4326)


# -- catalogue, districts, rows --------------------------------------------------------------


def test_catalogue_covers_the_ten_indicators() -> None:
    assert {i.number for i in catalogue.INDICATORS.values()} == set(range(1, 11))
    assert all(i.name_fr and i.name_en and i.unit for i in catalogue.INDICATORS.values())
    assert set(catalogue.INDICATORS) >= catalogue.COMMUNE_ONLY


def test_indicator_table_rows_units_and_duplicates() -> None:
    frame = pd.DataFrame(
        {"nis": ["92801", "92801"], "district_id": [pd.NA, "92801-D01"], "v": [1.5, np.nan]}
    )
    rows = ftable.indicator_rows(frame, "vacancy_rate", "v", "register")
    table = ftable.indicator_table([rows], pd.Timestamp("2026-11-09 10:00"))
    assert list(table.columns) == list(ftable.OUTPUT_COLUMNS)
    assert table["unit"].tolist() == ["%", "%"] and table["district_id"].isna().tolist() == [
        True,
        False,
    ]
    assert str(table["computed_at"].dt.tz) == "UTC"
    with pytest.raises(ValueError, match="appears twice"):
        ftable.indicator_table([rows, rows], pd.Timestamp("2026-11-09", tz="UTC"))
    with pytest.raises(ValueError, match="unknown indicator"):
        ftable.indicator_rows(frame, "happiness", "v", "")
    missing = ftable.missing_rows(table, ["92801"], ["92801-D01"])
    assert "92801/pt_sdg_11_2_1_share" in missing and "92801-D01/pt_class_high_share" not in missing


def test_suppress_small() -> None:
    out = rows.suppress_small(pd.Series([50.0, 30.0, 20.0]), pd.Series([9, 10, np.nan]), 10)
    assert out.isna().tolist() == [True, False, True]
    with pytest.raises(ValueError, match="k must be"):
        rows.suppress_small(pd.Series([1.0]), pd.Series([1]), 0)


# -- 2 access by mode and 2SFCA --------------------------------------------------------------


def test_two_step_reference_through_shop_access() -> None:
    cost = np.array([[1, 80, 40], [80, 1, 40], [40, 40, 1]], dtype=float)  # minutes
    result = f_access.shop_access(
        cost.T * 60.0, np.array([15, 20, 100.0]), np.array([100, 50, 10.0]), 61
    )
    np.testing.assert_allclose(result.accessibility, [0.761, 0.958, 1.095], atol=5e-4)
    assert (np.array([100, 50, 10]) * result.accessibility).sum() == pytest.approx(135.0)


def test_group_min_totals_and_nearest_minutes() -> None:
    times = np.array(
        [[60.0, 900.0, INF], [600.0, 300.0, INF], [1200.0, INF, 30.0]]
    )  # origin cells x cells
    groups, best = friction_reach.group_min(times, ["D2", "D1", "D2"])
    assert groups.tolist() == ["D1", "D2"]
    np.testing.assert_array_equal(best.to_dense(), [[600, 300, INF], [60, 900, 30]])
    population = np.array([100.0, 50.0, 10.0])
    # within 10 min: D1 reaches cells 0 (600 s, inclusive) and 1; D2 reaches 0 and 2
    assert friction_reach.totals_within(population, best, 10).tolist() == [150.0, 110.0]
    by_mode = f_access.access_by_mode({"walk": best}, population)
    assert by_mode["pop_walk_10min"].tolist() == [150.0, 110.0]
    nearest = best.col_min()  # seconds from each cell to its nearest district
    np.testing.assert_allclose(friction_reach.nearest_minutes(nearest, cap_min=10), [1.0, 5.0, 0.5])
    np.testing.assert_allclose(friction_reach.nearest_minutes(nearest, cap_min=4), [1.0, np.nan, 0.5])
    assert friction_reach.weighted_mean(np.array([1.0, 3.0]), np.array([1.0, 3.0])) == 2.5
    # residents 10, 30, 20, 40 with access 5, 0, 2, 9: half (50) have 2 or less -> median 2
    access, residents = np.array([5.0, 0.0, 2.0, 9.0]), np.array([10.0, 30.0, 20.0, 40.0])
    assert friction_reach.weighted_median(access, residents) == 2.0
    assert (
        friction_reach.weighted_median(access, residents, np.array([True, False, False, True]))
        == 9.0
    )
    assert np.isnan(friction_reach.weighted_median(access, np.zeros(4)))
    # every row at once = the loop over rows with a mask (D1 reaches cells 0, 1; D2 0, 2)
    values = np.array([1.0, 4.0, 10.0])
    np.testing.assert_allclose(
        friction_reach.weighted_means_within(best, 600, values, population),
        [friction_reach.weighted_mean(values, population, row <= 600) for row in best.to_dense()],
    )
    np.testing.assert_allclose(
        friction_reach.weighted_medians_within(best, 600, values, population), [1.0, 1.0]
    )


# -- 3 parking and 8a tourism within walking distance ----------------------------------------


def test_parking_near_districts_counts_each_car_park_once() -> None:
    # car parks x shops (seconds); shops 0-1 in D1, 2 in D2, 3 outside every district
    times = np.array(
        [[100.0, 200.0, 900.0, 10.0], [INF, 220.0, 150.0, INF], [300.0, INF, INF, INF]]
    )
    pairs = friction_reach.places_near_groups(times, ["D1", "D1", "D2", None], 225.0)
    assert pairs.values.tolist() == [[0, "D1"], [1, "D1"], [1, "D2"]]
    out = f_parking.parking_near(pairs, pd.Series([100, None, 40]))
    assert out.loc["D1"].tolist() == [100.0, 2, 1]  # the second car park has no capacity: reported
    assert out.loc["D2"].tolist() == [0.0, 1, 1]
    assert friction_reach.walk_seconds(300) == pytest.approx(225.0)
    # tourism: attractions within 10 min of a district = distinct places per group
    tourism = friction_reach.places_near_groups(times, ["D1", "D1", "D2", None], 600.0)
    assert tourism.groupby("group").size().to_dict() == {"D1": 3, "D2": 1}


# -- 4 congestion and 10b OD inflow ------------------------------------------------------------


def test_sector_weights_split_by_area() -> None:
    sectors = _squares(["x", "y"], [(150000, 120000), (150100, 120000)]).rename(
        columns={"district_id": "sector_id"}
    )
    districts = _squares(["D1"], [(150050, 120000)])  # half of x, half of y
    weights = friction_od.sector_weights(sectors, districts)
    assert weights["sector_id"].tolist() == ["x", "y"]
    np.testing.assert_allclose(weights["weight"], [0.5, 0.5], rtol=1e-6)


def test_inflow_peak_outside_share_and_ratio() -> None:
    # 07:00 and 08:00 UTC = 09 h and 10 h in Brussels (summer time) on Mon 12 and Tue 13 Oct 2026,
    # and a Saturday that does not count for the weekday peak
    od = pd.DataFrame(
        {
            "ts": pd.to_datetime(
                [
                    "2026-10-12 07:00",
                    "2026-10-12 08:00",
                    "2026-10-13 08:00",
                    "2026-10-13 08:00",
                    "2026-10-17 08:00",
                ],
                utc=True,
            ),
            "origin_nis": ["A", "A", "A", "B", "B"],
            "destination_sector": ["x", "x", "x", "x", "x"],
            "trips": [40, 100, 60, 40, 999],
        }
    )
    inflow = friction_od.district_inflow(
        od, pd.DataFrame({"sector_id": ["x"], "district_id": ["D1"], "weight": [0.5]})
    )
    assert inflow["trips"].sum() == pytest.approx(0.5 * 1239)
    peak, hour = friction_od.peak_inflow(inflow)
    assert hour == 10 and peak == pytest.approx(0.5 * (100 + 60 + 40) / 2)  # two weekdays
    share, trips = friction_od.outside_share(inflow, "A", hours=(9, 11))
    assert share == pytest.approx(100 * (40 + 999) / 1239) and trips == pytest.approx(619.5)
    assert friction_od.vehicles(1300.0) == pytest.approx(1300 * 0.65 / 1.3)


def test_entry_capacity_counts_access_roads_entering_the_outline() -> None:
    edges = pd.DataFrame(
        {
            "u": [1, 2, 2, 3, 4, 5, 6, 7],
            "v": [2, 1, 3, 2, 2, 2, 7, 6],
            "highway": [
                "primary",
                "primary",
                "residential",
                "residential",
                "secondary_link;tertiary",
                "residential",
                "residential",
                "residential",
            ],
        }
    )
    node_district = pd.Series({1: pd.NA, 2: "D1", 3: "D1", 4: "D2", 5: pd.NA, 6: pd.NA, 7: "D3"})
    out = friction_od.entry_capacity(edges, node_district)
    # entering D1: 1->2 (primary 1200) and 4->2 (from D2: secondary link 1000); the residential
    # street 5->2 is not an access road; 2->3 and 3->2 stay inside. D3 has no access road: its
    # residential street counts (500).
    assert out.to_dict() == {"D1": 2200.0, "D3": 500.0}
    assert friction_od.vehicles(1300.0) == pytest.approx(1300 * 0.65 / 1.3)


# -- 5 pedestrian flows ------------------------------------------------------------------------


def test_flow_status_hand_computed() -> None:
    footfall = pd.Series([1000.0, 900.0, 100.0, 400.0, 300.0, np.nan])
    shops = pd.Series([0, 8, 9, 1, 1, 3])
    # index = footfall/(shops+1): 1000, 100, 10, 200, 150; median 150; footfall median 400
    status = f_flows.flow_status(footfall, shops)
    assert status.tolist() == [
        "unexploited",
        "balanced",
        "underused",
        "balanced",
        "balanced",
        pd.NA,
    ]
    counts = f_flows.flow_counts(
        pd.DataFrame(
            {"nis": ["1"] * 6, "district_id": ["D"] * 3 + [pd.NA] * 3, "flow_status": status}
        )
    )
    assert counts.iloc[0][
        ["flows_unexploited_cells", "flows_underused_shop_cells", "flows_measured_cells"]
    ].tolist() == [1, 1, 5]
    assert counts.iloc[1][
        ["flows_unexploited_cells", "flows_underused_shop_cells", "flows_measured_cells"]
    ].tolist() == [1, 1, 3]
    with pytest.raises(ValueError, match="ratio"):
        f_flows.flow_status(footfall, shops, ratio=1.0)


def test_sensor_footfall_and_cell_districts() -> None:
    counts = pd.DataFrame({"sensor_id": ["w1", "w1", "p1", "b1"], "count": [10, 20, 6, 500]})
    sensors = pd.DataFrame(
        {"sensor_id": ["w1", "p1", "b1"], "kind": ["wifi", "pedestrian", "bike"], "h3": [7, 7, 8]}
    )
    out = sensor_footfall(counts, sensors)
    assert out.to_dict("records") == [
        {"h3": 7, "footfall_daily": 24 * (15 + 6), "sensors": 2, "hours": 3}
    ]  # bikes left out
    shops = pd.DataFrame({"h3": [1, 1, 1, 2], "district_id": ["B", "A", "B", pd.NA]})
    by_centre = pd.Series(["C", pd.NA, "C"], dtype="string")
    assert cell_districts(pd.Series([1, 2, 3]), shops, by_centre).tolist() == ["B", pd.NA, "C"]


# -- 6 online visibility -----------------------------------------------------------------------


def test_online_visibility_shares() -> None:
    shops = pd.DataFrame(
        {
            "nis": ["1"] * 5,
            "district_id": ["D", "D", "D", pd.NA, pd.NA],
            "source": ["kbo+osm", "kbo", "osm", "kbo", "kbo+osm"],
            "website": ["https://a.be", None, "https://c.be", "", None],
            "opening_hours": ["Mo-Sa 09:00-18:00", None, None, None, "Tu-Sa 10:00-18:00"],
        }
    )
    out = f_visibility.online_visibility(shops).set_index("district_id", drop=False)
    commune, district = out.iloc[0], out.iloc[1]
    assert commune["online_website_share"] == pytest.approx(40.0)  # an empty string is no website
    assert commune["online_opening_hours_share"] == pytest.approx(40.0)
    assert commune["online_osm_match_share"] == pytest.approx(50.0)  # 2 of the 4 KBO shops
    assert district["online_website_share"] == pytest.approx(200 / 3) and district[
        "online_osm_match_share"
    ] == pytest.approx(50.0)


def test_online_visibility_equals_a_group_by_group_reference() -> None:
    rng = np.random.default_rng(6)
    n = 2000
    shops = pd.DataFrame({
        "nis": rng.choice(["1", "2", "3"], n),
        "district_id": pd.array(rng.choice(["A", "B", None], n), dtype="string"),
        "source": pd.array(rng.choice(["kbo", "osm", "kbo+osm", None], n), dtype="string"),
        "website": rng.choice(["https://x.be", "", " ", None], n),
        "opening_hours": rng.choice(["Mo-Fr 09:00-18:00", "", None], n),
    })

    def reference(part: pd.DataFrame) -> dict[str, float]:
        registry = part["source"].isin(["kbo", "kbo+osm"])
        return {
            "online_website_share": rows.share(f_visibility._present(part["website"]).sum(), len(part)),
            "online_opening_hours_share": rows.share(f_visibility._present(part["opening_hours"]).sum(), len(part)),
            "online_osm_match_share": rows.share((part["source"] == "kbo+osm").sum(), registry.sum()),
            "shops": len(part),
        }

    district_nis = {"A": "1", "B": "3"}
    got = f_visibility.online_visibility(shops, district_nis)
    expected = rows.by_commune_and_district(shops, reference, district_nis)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


# -- 7 vacancy ---------------------------------------------------------------------------------


def test_vacancy_rate_and_trend() -> None:
    rows = []
    for date, vacant in (("2025-10-01", 1), ("2026-04-01", 1), ("2026-10-01", 2)):
        rows += [
            {
                "nis": "1",
                "district_id": "D" if i < 5 else pd.NA,
                "observed_on": date,
                "status": "vacant" if i < vacant else "occupied",
            }
            for i in range(10)
        ]
    out = f_vacancy.vacancy(pd.DataFrame(rows))
    commune = out.iloc[0]
    assert commune["vacancy_rate"] == pytest.approx(20.0) and commune["observed_on"] == "2026-10-01"
    years = np.array([0, 182, 365]) / 365.25
    assert commune["vacancy_trend"] == pytest.approx(np.polyfit(years, [10, 10, 20], 1)[0])
    assert out.iloc[1]["vacancy_rate"] == pytest.approx(40.0)  # 2 of the district's 5 cells
    with pytest.raises(ValueError, match="vacant"):
        f_vacancy.vacancy(
            pd.DataFrame(
                [{"nis": "1", "district_id": pd.NA, "observed_on": "2026-10-01", "status": "vide?"}]
            )
        )


def test_vacancy_equals_a_group_by_group_reference() -> None:
    """Every commune and district, random registers: the same figures as computing each
    group's rates with pandas, date by date."""
    rng = np.random.default_rng(4)
    dates = ["2024-03-01", "2024-09-15", "2025-01-10", "2025-06-30", "2026-02-01"]
    n = 3000
    cells = pd.DataFrame({
        "nis": rng.choice(["1", "2", "3", "4"], n),
        "district_id": pd.array(rng.choice(["A", "B", "C", None], n), dtype="string"),
        "observed_on": rng.choice(dates, n),
        "status": rng.choice(["vacant", "occupied", "occupied", "occupied"], n),
    })
    cells.loc[cells["nis"] == "4", "observed_on"] = "2026-02-01"  # one date: no trend
    district_nis = {"A": "1", "B": "2", "C": "2"}

    def reference(part: pd.DataFrame) -> dict[str, object]:
        day = pd.to_datetime(part["observed_on"])
        rates = part.assign(vacant=part["status"].eq("vacant"), date=day).groupby("date")["vacant"].mean() * 100
        years = (rates.index - rates.index.min()).days.to_numpy() / 365.25
        return {
            "vacancy_rate": float(rates[rates.index.max()]),
            "vacancy_trend": float(np.polyfit(years, rates.to_numpy(), 1)[0]) if len(rates) > 1 else float("nan"),
            "cells": int((day == rates.index.max()).sum()),
            "observed_on": rates.index.max().date().isoformat(),
        }

    got = f_vacancy.vacancy(cells, district_nis)
    expected = rows.by_commune_and_district(cells, reference, district_nis)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True)
    assert len(got) == 4 + 3


# -- 8 tourism: weekend visitors and opening hours ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "day", "hours", "expected"),
    [
        ("Mo-Sa 09:30-18:30", 0, slice(9, 12), [0.5, 1.0, 1.0]),
        ("Mo-Sa 09:30-18:30", 6, slice(9, 12), [0.0, 0.0, 0.0]),
        ("Tu-Fr 09:00-12:00,14:00-18:00; Sa 08:30-16:00", 1, slice(11, 15), [1.0, 0.0, 0.0, 1.0]),
        ("Tu-Fr 09:00-12:00,14:00-18:00; Sa 08:30-16:00", 5, slice(8, 10), [0.5, 1.0]),
        ("Mo-Su 08:00-22:00; Su off", 6, slice(10, 11), [0.0]),
        ("Fr 22:00-02:00", 5, slice(0, 3), [1.0, 1.0, 0.0]),  # past midnight: Saturday morning
        ("Sa-Mo 10:00-11:00", 0, slice(10, 11), [1.0]),  # wrapped day range
        ("24/7", 3, slice(3, 4), [1.0]),
    ],
)
def test_weekly_open(text: str, day: int, hours: slice, expected: list[float]) -> None:
    assert weekly_open(text)[day, hours].tolist() == expected


@pytest.mark.parametrize("text", [None, "", "Mo-Sa 9h-18h", "Mo 25:00-26:00"])
def test_weekly_open_unknown_forms_return_none(text: object) -> None:
    # "sunrise-sunset" and "Jan-Mar 10:00-12:00" left this list: opening-hours-py reads them
    assert weekly_open(text) is None


def test_hours_overlap_hand_computed() -> None:
    visitors = np.zeros((7, 24))
    visitors[5, 10], visitors[5, 11], visitors[6, 10] = 3.0, 1.0, 4.0
    open_share = np.zeros((7, 24))
    open_share[5, 10:12] = [1.0, 0.5]  # Saturday: everything open at 10, half at 11; Sunday closed
    assert f_tourism.hours_overlap(visitors, open_share) == pytest.approx(100 * 3.5 / 8)
    default = f_tourism.default_visitor_profile()
    assert default.sum() == 16 and default[5, 10] == 1 and default[4, 10] == 0
    assert f_tourism.hours_overlap(default, weekly_open("Mo-Sa 09:00-18:00")) == pytest.approx(
        50.0
    )
    local = pd.Series(pd.to_datetime(["2026-10-17 10:00", "2026-10-24 10:00", "2026-10-19 10:00"]))
    profile = f_tourism.weekend_profile(local, pd.Series([10, 30, 99]))
    assert profile[5, 10] == 20.0 and profile.sum() == 20.0  # Monday left out
    with pytest.raises(ValueError, match="shape"):
        f_tourism.hours_overlap(np.zeros((7, 23)), open_share)


# -- 9 delivery by cargo bike ------------------------------------------------------------------


def test_delivery_reach_15_and_30_minutes() -> None:
    times = np.array([[0.0, 600.0, 1200.0, 2400.0]])  # one district x four cells (bike seconds)
    out = f_delivery.delivery_reach(
        times, np.array([10.0, 20.0, 30.0, 40.0]), np.array([1.0, 0.0, 9000.0, 5.0])
    )
    assert out.iloc[0].to_dict() == {
        "delivery_pop_15min": 30.0,
        "delivery_workplaces_15min": 1.0,
        "delivery_pop_30min": 60.0,
        "delivery_workplaces_30min": 9001.0,
    }


# -- 10 customer origins ----------------------------------------------------------------------


def test_customer_communes_and_outside_share() -> None:
    tx = pd.DataFrame(
        {
            "customer_sector": ["11111A00-", "22222A00-", None, None, None],
            "customer_postcode": ["5800", "6400", "6400", "9999", None],
        }
    )
    sector_nis = pd.Series({"11111A00-": "11111", "22222A00-": "22222"})
    nis = f_origin.customer_communes(tx, sector_nis)
    assert nis.tolist() == ["11111", "22222", "22222", pd.NA, pd.NA]  # 6400 learnt from row 2
    frame = pd.DataFrame({"nis": ["11111"] * 5, "district_id": ["D"] * 5, "customer_nis": nis})
    out = f_origin.customer_origins(frame)
    assert out.iloc[0][
        ["customers_outside_share", "customers_known", "customers_unknown"]
    ].tolist() == [pytest.approx(200 / 3), 3, 2]
    suppressed = rows.suppress_small(out["customers_outside_share"], out["customers_known"], 10)
    assert suppressed.isna().all()  # three customers are fewer than k = 10


def test_two_step_conservation_with_unreachable_supply() -> None:
    """sum P A equals the served supply; a shop cell nobody reaches is not shared out."""
    rng = np.random.default_rng(5)
    times = rng.uniform(0, 1800, size=(6, 40))
    times[5] = INF
    population = rng.uniform(0, 100, 40)
    result = f_access.shop_access(times, np.arange(1.0, 7.0), population, 10)
    assert result.unserved.tolist() == [False] * 5 + [True]
    assert result.served_supply == 15.0  # 1 + 2 + 3 + 4 + 5
    assert (population * result.accessibility).sum() == pytest.approx(15.0, rel=1e-12)


def test_docs_catalogue_table_is_generated_from_the_families() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "indicators" / "friction.md").read_text(encoding="utf-8")
    start, end = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"
    assert text[text.index(start) + len(start) : text.index(end)] == catalogue.catalogue_table()


def test_every_indicator_is_declared_once_by_its_family_module() -> None:
    assert len(catalogue.INDICATORS) == 37
    for family in catalogue.FAMILIES:
        assert family.indicators and all(i.number == family.number for i in family.indicators)
        assert family.static is not None or family.daily is not None
    assert all(i.method and i.unit_fr for i in catalogue.INDICATORS.values())
    assert catalogue.INDICATORS["congestion_ratio"].need_groups == (("od",), ("sectors",), ("osm",))
