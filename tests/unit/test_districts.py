"""Shopping district detection (DBSCAN/HDBSCAN) and district outlines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from support import realdata_path as realdata_districts

from pipelines.districts import (
    CONTAINMENT,
    DISTRICT_COLUMNS,
    NEAREST,
    assign_districts,
    detect_districts,
    district_polygons,
)

# Lambert 72 coordinates around Namur's centre
X0, Y0 = 185_000.0, 128_000.0


@pytest.fixture(scope="module")
def two_towns() -> dict[str, np.ndarray]:
    """30 shops in a 120 m square, 30 more 2 km east, 10 isolated shops 600 m apart."""
    rng = np.random.default_rng(31370)
    a = rng.uniform(0, 120, (30, 2)) + [X0, Y0]
    b = rng.uniform(0, 120, (30, 2)) + [X0 + 2000, Y0]
    scattered = np.column_stack([X0 - 1000 + 600 * np.arange(10), np.full(10, Y0 + 1500)])
    xy = np.vstack([a, b, scattered])
    truth = np.array([0] * 30 + [1] * 30 + [-1] * 10)
    return {"xy": xy, "truth": truth}


@pytest.mark.parametrize("method", ["dbscan", "hdbscan"])
def test_two_dense_clusters_and_noise(two_towns, method: str) -> None:
    xy, truth = two_towns["xy"], two_towns["truth"]
    labels = detect_districts(xy[:, 0], xy[:, 1], eps_m=150.0, min_shops=8, method=method)
    assert labels.shape == (70,)
    assert set(labels.tolist()) == {-1, 0, 1}
    np.testing.assert_array_equal(labels[truth == -1], -1)
    for k in (0, 1):
        assert len(set(labels[truth == k].tolist())) == 1
    assert labels[0] != labels[30]
    assert (labels[:60] >= 0).all()


def test_districts_are_numbered_by_decreasing_size() -> None:
    rng = np.random.default_rng(5)
    small = rng.uniform(0, 80, (12, 2)) + [X0, Y0]  # listed first
    large = rng.uniform(0, 80, (25, 2)) + [X0 + 3000, Y0]
    xy = np.vstack([small, large])
    labels = detect_districts(xy[:, 0], xy[:, 1])
    np.testing.assert_array_equal(labels[:12], 1)
    np.testing.assert_array_equal(labels[12:], 0)


def test_dbscan_core_rule_by_hand() -> None:
    # 8 shops 10 m apart on a street (x = 0..70): each has the 8 within 150 m, all core.
    # Shop 8 at x = 215 is 145 m from shop 7 only: a border shop (in the district, not core).
    # Shop 9 at x = 470 has nobody within 150 m: noise.
    x = X0 + np.concatenate([10 * np.arange(8), [215.0, 470.0]])
    y = np.full(10, Y0)
    labels = detect_districts(x, y, eps_m=150.0, min_shops=8)
    np.testing.assert_array_equal(labels, [0] * 9 + [-1])
    # 9 required: only shop 7 (shops 0-7 + shop 8) is core; it carries 0-6 and 8 along
    np.testing.assert_array_equal(detect_districts(x, y, min_shops=9), [0] * 9 + [-1])
    # 10 required: nobody is a core shop
    np.testing.assert_array_equal(detect_districts(x, y, min_shops=10), [-1] * 10)
    # a smaller radius splits nothing off but leaves shop 8 out (145 m > 100 m)
    np.testing.assert_array_equal(detect_districts(x, y, eps_m=100.0), [0] * 8 + [-1, -1])


def test_fewer_shops_than_min_shops_and_empty_input() -> None:
    np.testing.assert_array_equal(detect_districts([X0, X0 + 1], [Y0, Y0]), [-1, -1])
    assert detect_districts([], [], method="hdbscan").shape == (0,)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "message"),
    [
        ([1.0, 2.0], [1.0], {}, r"same length; found shapes \(2,\) and \(1,\)"),
        (
            [1.0, np.nan],
            [1.0, 2.0],
            {},
            r"coordinates must be finite; found \(nan, 2.0\) at shop 1",
        ),
        ([1.0], [1.0], {"method": "kmeans"}, r"method must be one of \('dbscan', 'hdbscan'\)"),
        ([1.0], [1.0], {"eps_m": 0.0}, r"eps_m must be finite and > 0"),
        ([1.0], [1.0], {"min_shops": 1}, r"min_shops must be an integer >= 2"),
        ([1.0], [1.0], {"min_shops": 2.5}, r"min_shops must be an integer >= 2"),
    ],
)
def test_detect_districts_rejects_bad_input(x, y, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        detect_districts(x, y, **kwargs)


# ------------------------------------------------------------------ polygons


def _points(xy: np.ndarray, crs: str = "EPSG:31370") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def test_polygons_contain_their_shops_and_only_theirs(two_towns) -> None:
    xy = two_towns["xy"]
    shops = _points(xy)
    labels = detect_districts(xy[:, 0], xy[:, 1])
    polygons = district_polygons(shops, labels, buffer_m=50.0)
    assert list(polygons.columns) == list(DISTRICT_COLUMNS)
    assert polygons.crs == shops.crs
    assert polygons["district_id"].tolist() == [0, 1]
    assert polygons["n_shops"].tolist() == [30, 30]
    assert polygons["n_shops"].sum() == (labels >= 0).sum()
    assert polygons.geometry.is_valid.all()
    assert (polygons.geom_type == "Polygon").all()
    for row in polygons.itertuples():
        inside = shapely.contains(row.geometry, shops.geometry.to_numpy())
        np.testing.assert_array_equal(inside, labels == row.district_id)
        # area: at least the 50 m buffer around a hull in a 120 m square, at most the
        # buffered square itself (120 + 2*50)^2
        assert np.pi * 50**2 < row.area_m2 <= 220**2
        assert row.area_m2 == pytest.approx(row.geometry.area)


def test_polygon_of_shops_along_a_street_is_a_buffered_line() -> None:
    xy = np.column_stack([X0 + 20 * np.arange(10), np.full(10, Y0)])
    labels = np.zeros(10, dtype=int)
    polygons = district_polygons(_points(xy), labels, buffer_m=25.0)
    # collinear shops: hull = 180 m segment, buffer -> 180 x 50 rectangle + two half discs of
    # radius 25, each drawn by shapely as half a 32-gon (area 16 sin(pi/16) r^2 for the 32-gon)
    disc = 16 * np.sin(np.pi / 16) * 25**2
    assert polygons.loc[0, "area_m2"] == pytest.approx(180 * 50 + disc, rel=1e-9)
    assert shapely.contains(polygons.loc[0, "geometry"], _points(xy).geometry.to_numpy()).all()


def test_no_district_gives_empty_frame() -> None:
    xy = np.array([[X0, Y0], [X0 + 500, Y0]])
    polygons = district_polygons(_points(xy), np.array([-1, -1]))
    assert len(polygons) == 0
    assert list(polygons.columns) == list(DISTRICT_COLUMNS)
    assert polygons.crs == "EPSG:31370"


@pytest.mark.parametrize(
    ("crs", "labels", "kwargs", "message"),
    [
        ("EPSG:4326", [0, 0], {}, r"projected metric CRS"),
        (None, [0, 0], {}, r"projected metric CRS"),
        ("EPSG:31370", [0], {}, r"one label per point \(2\); found shape \(1,\)"),
        ("EPSG:31370", [0.0, 0.0], {}, r"labels must be integers"),
        ("EPSG:31370", [0, 0], {"buffer_m": 0.0}, r"buffer_m must be finite and > 0"),
        ("EPSG:31370", [0, 0], {"concave_ratio": 1.5}, r"concave_ratio must be within"),
    ],
)
def test_district_polygons_rejects_bad_input(crs, labels, kwargs, message) -> None:
    shops = gpd.GeoDataFrame(geometry=gpd.points_from_xy([X0, X0 + 1], [Y0, Y0]), crs=crs)
    with pytest.raises(ValueError, match=message):
        district_polygons(shops, np.array(labels), **kwargs)


def test_district_polygons_rejects_non_points() -> None:
    shops = gpd.GeoDataFrame(
        geometry=[shapely.Point(X0, Y0), shapely.box(X0, Y0, X0 + 5, Y0 + 5)], crs="EPSG:31370"
    )
    with pytest.raises(ValueError, match=r"non-empty points; found 'Polygon' at row 1"):
        district_polygons(shops, np.array([0, 0]))


# ------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_arlon_town_centre_is_the_main_district() -> None:
    path = realdata_districts("05_business/osm_pois_arlon_2018-01-07.geojson")
    pois = gpd.read_file(path)
    assert len(pois) == 351  # PROVENANCE.md
    retail = ["restaurant", "cafe", "bar", "fast_food", "pub", "pharmacy", "bank"]
    shops = pois[pois["shop"].notna() | pois["amenity"].isin(retail)].to_crs("EPSG:31370")
    shops = shops.set_geometry(shops.geometry.centroid)
    labels = detect_districts(shops.geometry.x, shops.geometry.y, eps_m=150.0, min_shops=8)
    assert labels.size == len(shops)  # every shop labelled, none dropped
    polygons = district_polygons(shops, labels)
    assert polygons["n_shops"].sum() == (labels >= 0).sum()
    street = shops["addr:street"].to_numpy()
    # the largest district is the historic centre: most Grand-Rue shops are in it
    main = labels == 0
    on_grand_rue = street == "Grand-Rue"
    assert on_grand_rue.sum() >= 20
    assert (main & on_grand_rue).sum() / on_grand_rue.sum() > 0.8
    grand_place = gpd.GeoSeries.from_xy([5.8153], [49.6836], crs="EPSG:4326").to_crs(31370)
    assert polygons.loc[polygons["district_id"] == 0].geometry.iloc[0].contains(grand_place.iloc[0])
    # the out-of-town Hydrion shopping park is a district of its own
    hydrion = np.array(["Hydrion" in str(s) for s in street])
    hydrion_labels = set(labels[hydrion].tolist()) - {-1}
    assert len(hydrion_labels) == 1 and 0 not in hydrion_labels


# -- assign_districts: one helper, the policy explicit --------------------------------------------


def _metric_squares(ids: list[str], corners: list[tuple[float, float]], size: float = 100.0):
    return gpd.GeoDataFrame(
        {"district_id": ids},
        geometry=[shapely.box(x, y, x + size, y + size) for x, y in corners],
        crs="EPSG:31370",
    ).to_crs(4326)


def _metric_points(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs="EPSG:31370"
    ).to_crs(4326)


def test_assign_districts_containment_first_outline_wins() -> None:
    # (moved from tests/unit/test_friction.py) B overlaps A's right half
    districts = _metric_squares(["A", "B"], [(150000, 120000), (150050, 120000)])
    points = _metric_points([(150010, 120010), (150075, 120010), (150140, 120010), (150500, 120500)])
    got = assign_districts(points, districts, policy=CONTAINMENT)
    assert got.fillna("").tolist() == ["A", "A", "B", ""]
    # nearest: same where contained; the far point (> 250 m) stays outside
    assert assign_districts(points, districts, policy=NEAREST).fillna("").tolist() == [
        "A",
        "A",
        "B",
        "",
    ]


def test_assign_districts_nearest_inside_near_and_far() -> None:
    # (the rule of pipelines.catchment.revealed.assign_districts, moved here)
    districts = _metric_squares(["A-D01", "B-D01"], [(X0, Y0), (X0 + 1000, Y0)])
    points = _metric_points([(X0 + 50, Y0 + 50), (X0 + 300, Y0 + 50), (X0 + 600, Y0 + 50), (X0 + 1050, Y0 + 300)])
    got = assign_districts(points, districts, policy=NEAREST)
    assert got.tolist()[:2] == ["A-D01", "A-D01"]  # inside; 200 m away
    assert pd.isna(got.iloc[2])  # 500 m from both
    assert got.iloc[3] == "B-D01"  # 200 m above it
    assert assign_districts(points, districts, policy=NEAREST, max_m=100).fillna("").tolist() == [
        "A-D01",
        "",
        "",
        "",
    ]
    strict = assign_districts(points, districts, policy=CONTAINMENT)
    assert strict.fillna("").tolist() == ["A-D01", "", "", ""]
    assert strict.name == "district_id" and str(strict.dtype) == "string"


def test_assign_districts_empty_and_bad_arguments() -> None:
    districts = _metric_squares(["A"], [(X0, Y0)])
    empty = _metric_points([(X0, Y0)]).iloc[:0]
    assert assign_districts(empty, districts, policy=NEAREST).empty
    assert assign_districts(_metric_points([(X0, Y0)]), districts.iloc[:0], policy=NEAREST).isna().all()
    with pytest.raises(ValueError, match="policy"):
        assign_districts(empty, districts, policy="closest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_m"):
        assign_districts(empty, districts, policy=NEAREST, max_m=-1)
    with pytest.raises(ValueError, match="CRS"):
        assign_districts(gpd.GeoDataFrame(geometry=[]), districts, policy=CONTAINMENT)
