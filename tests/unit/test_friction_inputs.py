"""Friction on frames: typed inputs, indicator status and needs, empty frames, opening hours
with opening-hours-py, and the scale-2 regression (a district outside every commune)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from pipelines.constants import CRS_METRIC
from pipelines.friction import catalogue, spec
from pipelines.friction import od as friction_od
from pipelines.friction import table as ftable
from pipelines.friction.families import origin as f_origin
from pipelines.friction.families import vacancy as f_vacancy
from pipelines.friction.families import visibility as f_visibility
from pipelines.friction.inputs import (
    COLUMNS,
    FrictionInputs,
    prepare,
    territory_communes,
    territory_districts,
)
from pipelines.friction.layers import cell_footfall, hourly_footfall, sensor_footfall
from pipelines.friction.opening_hours import weekly_open

# -- inputs ------------------------------------------------------------------------------------


def test_absent_inputs_are_empty_typed_frames() -> None:
    inputs = FrictionInputs.from_frames({})
    for name, columns in COLUMNS.items():
        frame = getattr(inputs, name)
        assert frame.empty and set(columns) <= set(frame.columns), name
    assert isinstance(inputs.shops, gpd.GeoDataFrame) and inputs.shops.crs.to_epsg() == 4326
    assert str(inputs.od_flows["ts"].dtype) == "datetime64[ns, UTC]"
    assert inputs.held == frozenset(spec.SOURCE_FAMILIES)


def test_inputs_refuse_unknown_names_families_and_missing_columns() -> None:
    with pytest.raises(ValueError, match="unknown friction inputs"):
        FrictionInputs.from_frames({"bronze_kbo": pd.DataFrame()})
    with pytest.raises(ValueError, match="held source families"):
        FrictionInputs.from_frames({}, held=frozenset({"wifi", "telepathy"}))
    with pytest.raises(ValueError, match="lacks the columns"):
        FrictionInputs.from_frames({"od_flows": pd.DataFrame({"trips": [1]})})


# -- status and needs --------------------------------------------------------------------------


def test_catalogue_declares_needs_for_every_indicator() -> None:
    assert all(i.needs for i in catalogue.INDICATORS.values())
    assert catalogue.INDICATORS["flows_measured_cells"].need_groups == (("wifi", "counters"),)
    assert spec.parse_needs("gtfs+osm") == (("gtfs",), ("osm",))
    with pytest.raises(ValueError, match="unknown source families"):
        spec.parse_needs("osm+telepathy")


def test_missing_families_any_of_a_group() -> None:
    everything = set(spec.SOURCE_FAMILIES)
    assert ftable.missing_families("flows_measured_cells", everything - {"wifi"}) == []
    assert ftable.missing_families("flows_measured_cells", everything - {"wifi", "counters"}) == [
        "wifi",
        "counters",
    ]
    assert ftable.missing_families("online_osm_match_share", {"osm"}) == ["kbo"]


def _table() -> pd.DataFrame:
    frame = pd.DataFrame({"nis": ["1", "1"], "district_id": [pd.NA, "1-D01"], "v": [5.0, 7.0]})
    parts = [
        ftable.indicator_rows(frame, "vacancy_rate", "v", "register"),
        ftable.indicator_rows(frame, "customers_outside_share", [np.nan, 3.0], pd.Series(["suppressed (fewer than 10); tx", "tx"])),
        ftable.indicator_rows(frame, "online_website_share", "v", "osm"),
    ]
    return ftable.indicator_table(parts, pd.Timestamp("2026-11-09", tz="UTC"))


def test_status_computed_suppressed_and_not_computable() -> None:
    table = _table()
    assert list(table.columns) == list(ftable.OUTPUT_COLUMNS)
    assert table["status"].tolist().count("suppressed") == 1
    out = ftable.apply_needs(table, set(spec.SOURCE_FAMILIES) - {"vacancy"})
    vacancy = out[out["indicator"] == "vacancy_rate"]
    assert (vacancy["status"] == "not_computable").all() and vacancy["value"].isna().all()
    assert vacancy["needs"].map(list).tolist() == [["vacancy"], ["vacancy"]]
    assert vacancy["reference"].str.startswith("not computable: needs vacancy").all()
    website = out[out["indicator"] == "online_website_share"]
    assert (website["status"] == "computed").all() and website["value"].tolist() == [5.0, 7.0]
    assert website["needs"].map(len).tolist() == [0, 0]
    arrow = ftable.indicator_arrow(out)
    assert arrow.schema.field("needs").type == pa.list_(pa.string())
    assert ftable.indicator_arrow(table).schema.field("needs").type == pa.list_(pa.string())


def test_status_checks_flag_contradictions() -> None:
    from pipelines.friction.checks import status_problems

    out = ftable.apply_needs(_table(), set(spec.SOURCE_FAMILIES) - {"vacancy"})
    assert status_problems(out) == []
    bad = out.copy()
    bad.loc[bad["indicator"] == "vacancy_rate", "value"] = 1.0  # imputed: not allowed
    assert len(status_problems(bad)) == 2


def test_empty_indicator_table() -> None:
    table = ftable.indicator_table([pd.DataFrame()], pd.Timestamp("2026-11-09", tz="UTC"))
    assert table.empty and list(table.columns) == list(ftable.OUTPUT_COLUMNS)
    assert ftable.apply_needs(table, set()).empty


# -- empty frames ------------------------------------------------------------------------------


def test_engine_functions_accept_empty_typed_frames() -> None:
    inputs = FrictionInputs.from_frames({})
    empty_points = inputs.vacant_cells.assign(district_id=pd.Series([], dtype="string"))
    assert f_vacancy.vacancy(empty_points, {}).empty
    shops = inputs.shops.assign(district_id=pd.Series([], dtype="string"))
    assert f_visibility.online_visibility(shops, {}).empty
    flows = friction_od.by_local_hour(inputs.od_flows)
    assert flows.empty and "hour" in flows.columns
    inflow = friction_od.district_inflow(
        flows, pd.DataFrame({"sector_id": ["x"], "district_id": ["D"], "weight": [1.0]})
    )
    assert inflow.empty and np.isnan(friction_od.peak_inflow(inflow)[0])
    tx = f_origin.customer_communes(inputs.transactions, pd.Series(dtype="string"))
    assert tx.empty
    per_cell, _ = cell_footfall(inputs.footfall_estimated)
    assert per_cell.empty
    assert hourly_footfall(inputs.footfall_hourly)[0].empty
    sensors = pd.DataFrame({"sensor_id": [], "kind": [], "h3": []})
    assert sensor_footfall(pd.DataFrame({"sensor_id": [], "count": []}), sensors).empty
    assert territory_communes(inputs).size == 0


def test_od_by_local_hour_sums_per_local_hour() -> None:
    od = pd.DataFrame(
        {
            # 00:30 and 01:30 UTC on the autumn DST night are both 02 h local: they add up
            "ts": pd.to_datetime(
                ["2026-10-25 00:30", "2026-10-25 01:30", "2026-10-26 08:00"], utc=True
            ),
            "origin_nis": ["A", "A", "B"],
            "destination_sector": ["x", "x", "x"],
            "trips": [3, 4, 5],
        }
    )
    out = friction_od.by_local_hour(od)
    assert out[["hour", "weekday", "trips"]].values.tolist() == [[2, 6, 7.0], [9, 0, 5.0]]


# -- scale-2 regression: shops outside every commune ---------------------------------------------


def _square(x: float, y: float, size: float) -> shapely.Geometry:
    return shapely.box(x, y, x + size, y + size)


def test_district_outside_every_commune_is_left_out_not_a_crash() -> None:
    """``generate --scale 2``: 17 shops 190 m outside the territory have no commune; they
    formed the district 'nan-D01', unknown to the friction network, and online visibility
    raised KeyError: 'nan-D01'. Such a district is now outside the territory."""
    metric = gpd.GeoDataFrame(
        {"district_id": ["11001-D01", "nan-D01"], "nis": ["11001", "nan"], "n_shops": [3, 2]},
        geometry=[_square(150000, 120000, 100), _square(152000, 120000, 100)],
        crs=CRS_METRIC,
    )
    districts = metric.to_crs(4326)
    xy = [(150010, 120010), (150050, 120050), (150090, 120090), (152010, 120010), (152050, 120050)]
    shops = gpd.GeoDataFrame(
        {
            "shop_id": list("abcde"),
            "h3": np.arange(5, dtype="uint64"),
            "nis": ["11001"] * 3 + [pd.NA] * 2,
            "source": ["kbo+osm", "kbo", "osm", "kbo", "kbo+osm"],
            "website": ["https://a.be", None, None, None, "https://e.be"],
            "opening_hours": [None] * 5,
        },
        geometry=gpd.points_from_xy(*zip(*xy, strict=True)),
        crs=CRS_METRIC,
    ).to_crs(4326)
    inputs = FrictionInputs.from_frames(
        {
            "communes": pd.DataFrame({"nis": ["11001"]}),
            "districts": districts,
            "shops": shops,
        }
    )
    assert territory_districts(districts, territory_communes(inputs))["district_id"].tolist() == [
        "11001-D01"
    ]
    prepared = prepare(inputs)
    assert prepared.shops["district_id"].fillna("").tolist() == ["11001-D01"] * 3 + [""] * 2
    district_nis = prepared.districts.set_index("district_id")["nis"].to_dict()
    out = f_visibility.online_visibility(prepared.shops, district_nis)
    assert out["district_id"].fillna("").tolist() == ["", "11001-D01"]
    assert out["online_website_share"].tolist() == pytest.approx([100 / 3, 100 / 3])
    with pytest.raises(ValueError, match="no commune in district_nis"):
        f_visibility.online_visibility(shops.assign(district_id="nan-D01"), district_nis)


# -- opening hours -----------------------------------------------------------------------------

COMMON_VALUES = [
    # the four forms the hand-written parser gave up on (issue 8)
    "Mo-Sa 10:00-19:00; Su,PH off",
    "Mo-Fr 09:00-18:00, Sa 09:00-13:00",
    "Jul-Aug Sa off",
    "sunrise-sunset",
    # real values of OSM shops in Arlon and Habay (../shared/realdata/05_business)
    "Mo-Th, Sa 08:30-20:00; Fr 08:30-21:00",
    "Mo-Th,Sa 08:00-20:00, Fr 08:00-21:00",
    "Mo-Su 10:30-24:00",
    "Mo-Th 11:30-20:30, Fr 11:30-18:00",
    "Mo-Fr 09:00-21:00, Sa 10:00-21:00",
    "Mo-Fr 11:00-14:00, 17:30-21:00",
    "We-Sa 11:45-13:30,17:45-22:00; Su 17:45-22:00",
    "Mo-Fr 09:00-12:30,14:00-19:00; Sa 09:00-12:30",
    "Tu-Fr 10:00-12:00, 14:00-18:30; Sa 10:00-12:00, 14:00-18:00",
    "Mo-Fr 08:30-12:00; We 13:30-16:00; Sa 11:00-12:00",
    "Mo 14:00-18:45; Tu-Fr 09:00-12:00, 14:00-18:45; Sa 09:00-18:45; Su 10:00-12:30",
    "Mo-We 08:00-00:00; Th 07:00-00:00; Fr 08:00-02:00; Sa 09:00-02:00; Su 09:00-00:00",
    "Mo,Tu,Th-Sa 07:15-18:00, Su 07:15-17:00",
    "Mo-Fr 05:30-19:00;Sa 09:00-13:00",
    "Mo-Sa 09:00-12:00, Mo-Fr 14:00-18:00",
    "Su-Th 11:00-00:00; Fr-Sa 11:00-02:00",
    "Mo-We, Fr 09:00-12:30, 13:30-17:00",
    "Mo-Th 10:00-22:00, Fr,Sa 10:00-24:00+",
    "We-Mo 08:00-00:00",
    "Mo-Sa 06:00-12:00,14:00-18:30;Su 6:00-12:00",
    "Mo-Sa 09:00-18:00; PH off",
]


def test_twenty_five_common_values_all_parse() -> None:
    assert len(set(COMMON_VALUES)) == 25
    weeks = {text: weekly_open(text) for text in COMMON_VALUES}
    assert [t for t, w in weeks.items() if w is None] == []
    assert all(w.shape == (7, 24) and w.min() >= 0 and w.max() <= 1 for w in weeks.values())
    comma = weeks["Mo-Fr 09:00-18:00, Sa 09:00-13:00"]
    assert comma[0, 9] == 1.0 and comma[5, 12] == 1.0 and comma[5, 13] == 0.0
    assert comma[6].sum() == 0.0
    late = weeks["Su-Th 11:00-00:00; Fr-Sa 11:00-02:00"]
    assert late[5, 0:3].tolist() == [1.0, 1.0, 0.0]  # Friday night spills into Saturday
    assert late[4, 0:3].tolist() == [0.0, 0.0, 0.0]  # Thursday closes at midnight


def test_belgian_public_holidays_and_seasons() -> None:
    # 2026: Easter Monday 6 Apr and Whit Monday 25 May are Mondays -> 50 of 52 Mondays open;
    # Ascension (Thu 14 May) and 1 Jan (Thu) -> 51 of 53 Thursdays; 21 Jul, 11 Nov... too
    week = weekly_open("Mo-Sa 10:00-19:00; Su,PH off", year=2026)
    assert week[0, 12] == pytest.approx(50 / 52)
    assert week[3, 12] == pytest.approx(51 / 53)
    assert week[6].sum() == 0.0
    summer = weekly_open("Mo-Sa 09:00-18:00; Jul-Aug Sa off", year=2026)
    assert summer[5, 10] == pytest.approx(43 / 52)  # 9 Saturdays in July-August 2026
    assert summer[0, 10] == 1.0
    sun = weekly_open("sunrise-sunset", year=2026)
    assert sun[2, 12] == 1.0 and sun[2, 0] == 0.0 and 0 < sun[2, 7] < 1  # dawn varies
