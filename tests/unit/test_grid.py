import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from pipelines import grid

LIEGE = (50.6451, 5.5734)


def test_latlng_to_cells_matches_h3_reference():
    lats = np.array([50.6451, 50.4674, 49.68])
    lons = np.array([5.5734, 4.8720, 5.81])
    cells = grid.latlng_to_cells(lats, lons)
    expected = [h3.str_to_int(h3.latlng_to_cell(a, b, 9)) for a, b in zip(lats, lons, strict=True)]
    assert cells.dtype == np.uint64
    assert cells.tolist() == expected


def test_missing_coordinates_give_zero_not_a_cell():
    assert grid.latlng_to_cells([np.nan], [5.0]).tolist() == [0]


def test_parent_cells_match_h3():
    cell = h3.latlng_to_cell(*LIEGE, 9)
    assert grid.parent_cells(np.array([h3.str_to_int(cell)], dtype="uint64"), 7).tolist() == [
        h3.str_to_int(h3.cell_to_parent(cell, 7))
    ]


def test_cell_area_is_exact_not_average():
    cell = h3.str_to_int(h3.latlng_to_cell(*LIEGE, 9))
    area = grid.cell_areas_m2(np.array([cell]))[0]
    assert area == pytest.approx(h3.cell_area(h3.int_to_str(cell), unit="m^2"))
    assert area != pytest.approx(h3.average_hexagon_area(9, unit="m^2"), rel=1e-6)


def test_covering_cells_cover_the_polygon():
    poly = shapely.box(5.55, 50.63, 5.60, 50.66)
    cells = grid.covering_cells(poly)
    union = shapely.union_all(grid.cell_polygons(cells).values)
    assert union.buffer(1e-9).contains(poly)


def _two_communes():
    a = shapely.box(4.80, 50.40, 4.90, 50.46)
    b = shapely.box(4.90, 50.40, 4.97, 50.46)
    communes = gpd.GeoDataFrame({"nis": ["92001", "92002"], "population": [10_000, 3_000]}, geometry=[a, b], crs=4326)
    sectors = gpd.GeoDataFrame(
        {"population": [8_000, 2_000, 3_000]},
        geometry=[shapely.box(4.80, 50.40, 4.85, 50.46), shapely.box(4.85, 50.40, 4.90, 50.46), b],
        crs=4326,
    )
    return communes, sectors


def test_territory_cells_conserve_sector_population():
    communes, sectors = _two_communes()
    cells = grid.territory_cells(communes, sectors)
    assert cells["population"].sum() == pytest.approx(13_000, rel=1e-12)
    assert cells["h3"].is_unique
    assert set(cells["nis"]) == {"92001", "92002"}
    assert ((cells["territory_share"] > 0) & (cells["territory_share"] <= 1)).all()
    # each sector's total is conserved: cells inside the dense sector carry ~4x the density
    dense = cells[cells.geometry.representative_point().x < 4.845]
    sparse = cells[(cells.geometry.representative_point().x > 4.855) & (cells.geometry.representative_point().x < 4.895)]
    inner_dense = dense[dense["territory_share"] == 1]["population"].mean()
    inner_sparse = sparse[sparse["territory_share"] == 1]["population"].mean()
    assert inner_dense / inner_sparse == pytest.approx(4.0, rel=0.05)


def test_area_weighted_hand_case():
    # two unit squares as cells, one zone covering the right half of the first and all the second
    cells = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    zones = gpd.GeoSeries([shapely.box(0.5, 0, 2, 1)])
    out = grid.area_weighted(cells, zones, np.array([150.0]))
    assert out.tolist() == pytest.approx([50.0, 100.0])


def test_real_communes_liege_herstal(realdata):
    path = realdata("01_boundaries/belgium_municipalities_2019_bmesuere.geojson")
    communes = gpd.read_file(path)
    communes = communes[communes["nis"].astype(str).isin(["62063", "62051"])]
    communes = communes.assign(geometry=communes.geometry.make_valid())
    cells = grid.territory_cells(communes[["nis", "population", "geometry"]])
    assert cells["population"].sum() == pytest.approx(197_217 + 40_190, rel=1e-9)
    # the cells cover the communes: their territory part adds up to the communes' area
    metric = communes.to_crs(31370)
    covered = (cells["area_m2"] * cells["territory_share"]).sum()
    assert covered == pytest.approx(metric.area.sum(), rel=0.01)
    assert set(cells["nis"].astype(str)) == {"62063", "62051"}


def test_cell_polygons_are_h3s_boundaries_vertex_for_vertex() -> None:
    # hexagons near Namur, and the children of a pentagon (cells of 5 to 10 vertices)
    cells = [h3.latlng_to_cell(50.46 + 0.01 * i, 4.86, 9) for i in range(20)]
    cells += h3.cell_to_children(h3.get_pentagons(3)[0], 5)
    ints = np.array([h3.str_to_int(c) for c in cells], dtype="uint64")
    got = grid.cell_polygons(ints)
    expected = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    assert got.crs == "EPSG:4326"
    assert shapely.equals_exact(got.values, np.array(expected, dtype=object), tolerance=0).all()
    assert set(shapely.get_num_coordinates(got.values)) > {7}  # hexagons and longer rings
    assert grid.cell_polygons(np.array([], dtype="uint64")).empty


def test_boundary_intersections_in_worker_processes_equal_one_process(monkeypatch) -> None:
    from pipelines.workers import WORKERS_ENV

    communes, sectors = _two_communes()
    monkeypatch.setattr(grid, "INTERSECTIONS_PER_PIECE", 7)  # many pieces: both processes work
    monkeypatch.setenv(WORKERS_ENV, "2")
    shared = grid.territory_cells(communes, sectors)
    monkeypatch.setenv(WORKERS_ENV, "1")
    alone = grid.territory_cells(communes, sectors)
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    assert shared["population"].sum() == pytest.approx(13_000, rel=1e-12)
