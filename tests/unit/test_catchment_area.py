"""Catchment engine glue: districts, travel costs, isochrones, Huff tables, revealed catchment."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipelines.district_table import (
    SHOP_CATEGORIES,
    build_districts,
    districts_from_polygons,
    retail_floor_proxy_m2,
)
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.errors import InputError

# ----------------------------------------------------------------------------- fixtures


def _shops_metric(points: list[tuple[float, float]], **cols: list) -> gpd.GeoDataFrame:
    n = len(points)
    frame = pd.DataFrame(
        {
            "shop_id": [f"s{i}" for i in range(n)],
            "category": cols.get("category", ["food"] * n),
            "nis": cols.get("nis", ["92801"] * n),
            "nace_code": cols.get("nace_code", [None] * n),
            "osm_subtype": cols.get("osm_subtype", [None] * n),
        }
    )
    geometry = shapely.points(np.asarray(points, dtype=float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS_METRIC).to_crs(CRS_WGS84)


def two_clusters() -> gpd.GeoDataFrame:
    """10 shops 20 m apart on a line (commune A), 8 on another 5 km away (B), 2 loners."""
    x0, y0 = 180_000.0, 120_000.0
    big = [(x0 + 20 * i, y0) for i in range(10)]
    small = [(x0 + 5000 + 20 * i, y0) for i in range(8)]
    lone = [(x0 + 2000, y0), (x0 + 2500, y0 + 900)]
    cats = (["food"] * 4 + ["fashion"] * 3 + ["horeca"] * 3) + ["food"] * 8 + ["food", "food"]
    nis = ["92801"] * 10 + ["92813"] * 8 + ["92801", "92813"]
    nace = ["47114"] + [None] * 19
    return _shops_metric(big + small + lone, category=cats, nis=nis, nace_code=nace)


# ----------------------------------------------------------------------------- districts


def test_floor_proxy_uses_format_then_category() -> None:
    shops = pd.DataFrame(
        {
            "category": ["food", "food", "fashion", "unknown"],
            "nace_code": ["47114", None, None, None],
            "osm_subtype": ["convenience", "supermarket", None, None],
        }
    )
    # NACE beats the OSM subtype, the subtype beats the category, unknown category = 0
    assert retail_floor_proxy_m2(shops).tolist() == [1000.0, 1000.0, 150.0, 0.0]


def test_build_districts_counts_ids_and_origin() -> None:
    shops = two_clusters()
    districts, membership = build_districts(shops)
    assert districts["district_id"].tolist() == ["92801-D01", "92813-D01"]
    assert districts["n_shops"].tolist() == [10, 8]
    first = districts.iloc[0]
    assert (first["shops_food"], first["shops_fashion"], first["shops_horeca"]) == (4, 3, 3)
    # 1000 (supermarket) + 3 x 120 food + 3 x 150 fashion + 3 x 120 horeca
    assert first["retail_floor_proxy_m2"] == pytest.approx(1000 + 360 + 450 + 360)
    cats = [f"shops_{c}" for c in SHOP_CATEGORIES]
    assert (districts[cats].sum(axis=1) == districts["n_shops"]).all()
    # origin: the shop nearest to the mean of the ten (x0 + 90 m): shop 4 (x0 + 80 m)
    ox, oy = (
        gpd.GeoSeries(
            shapely.points(districts[["origin_lon", "origin_lat"]].to_numpy()), crs=CRS_WGS84
        )
        .to_crs(CRS_METRIC)
        .iloc[0]
        .coords[0]
    )
    assert (ox, oy) == pytest.approx((180_080.0, 120_000.0), abs=1e-3)
    assert membership.notna().sum() == 18 and membership.isna().tolist()[-2:] == [True, True]
    assert districts.crs.to_epsg() == 4326 and districts.geometry.is_valid.all()


def test_districts_from_commune_polygons() -> None:
    shops = two_clusters()
    box_small = shapely.box(184_900, 119_900, 185_300, 120_100)
    box_big = shapely.box(179_900, 119_900, 182_100, 120_100)  # takes loner 1 too
    polygons = gpd.GeoDataFrame(geometry=[box_small, box_big], crs=CRS_METRIC)
    districts, membership = districts_from_polygons(shops, polygons)
    assert districts.set_index("district_id")["n_shops"].to_dict() == {
        "92801-D01": 11,
        "92813-D01": 8,
    }
    assert int(membership.notna().sum()) == 19


def test_districts_from_polygons_rejects_an_empty_polygon() -> None:
    polygons = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs=CRS_METRIC)
    with pytest.raises(InputError, match="holds no shop"):
        districts_from_polygons(two_clusters(), polygons)
