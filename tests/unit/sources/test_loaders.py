"""The bronze loaders of the registry on real provider layouts: Statbel as published
(shapefile, Lambert 72) with the merger crosswalk in silver, KBO without address points located
on postcodes; a missing source gives the declared typed tables."""

from __future__ import annotations

import shutil

import pytest

from pipelines import tables
from pipelines.demo import generate
from pipelines.sources import crosswalk
from pipelines.sources.registry import bronze_assets

BRONZE = {b.name: b for b in bronze_assets()}


def _read(name: str, landing):
    return tables.read_bronze(BRONZE[name], landing)


def test_published_statbel_shapefile_loads_and_merges_to_todays_communes(tmp_path, realdata):
    landing = tmp_path / "landing"
    (landing / "statbel").mkdir(parents=True)
    shutil.copy(realdata("01_boundaries/statbel_statistical_sectors_2019.shp.zip"), landing / "statbel" / "communes.shp.zip")
    result = _read("statbel_communes", landing)["statbel_communes"]
    assert result.balanced and len(result.table) == 581
    assert result.table.crs.to_epsg() == 4326
    today = crosswalk.current_communes(result.table)
    assert len(today) == 565 and today["nis"].is_unique
    assert "82039" in set(today["nis"]) and "82005" not in set(today["nis"])  # Bastogne + Bertogne (2025)


def test_missing_sectors_are_an_empty_typed_table(tmp_path):
    (tmp_path / "statbel").mkdir()
    result = _read("statbel_sectors", tmp_path)["statbel_sectors"]
    assert result.table.empty and result.rows_in == 0 and "sector_id" in result.table.columns


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory):
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing, seed=42, days=1)
    return landing


def test_kbo_without_address_points_is_located_on_postcode_centroids(demo_landing, tmp_path, realdata):
    landing = tmp_path / "landing"
    shutil.copytree(demo_landing / "kbo", landing / "kbo")
    (landing / "kbo" / "address_points.csv").unlink()
    shutil.copy(realdata("06_other/zipcode-belgium.csv"), landing / "kbo" / "postcodes.csv")
    results = _read("kbo", landing)
    located = results["kbo_establishments_located"]
    assert located.balanced and len(located.table) > 0
    assert set(located.table["geocode_precision"]) == {"postcode"}
    assert results["address_points"].table.empty
    assert len(results["kbo_postcodes"].table) > 2000


def test_kbo_missing_entirely_gives_typed_empty_tables(tmp_path):
    results = _read("kbo", tmp_path)
    assert all(r.table.empty and r.rows_in == 0 for r in results.values())
    assert "geocode_precision" in results["kbo_establishments_located"].table.columns


def test_osm_extract_as_pbf_or_xml_gives_the_same_pois(tmp_path, realdata):
    xml, pbf = tmp_path / "xml", tmp_path / "pbf"
    (xml / "osm").mkdir(parents=True)
    (pbf / "osm").mkdir(parents=True)
    shutil.copy(realdata("02_osm/wechelderzande.osm"), xml / "osm" / "territory.osm")
    shutil.copy(realdata("02_osm/wechelderzande.osm.pbf"), pbf / "osm" / "territory.osm.pbf")
    from_xml = _read("osm_pois", xml)["osm_pois"]
    from_pbf = _read("osm_pois", pbf)["osm_pois"]
    assert from_xml.balanced and from_pbf.balanced and len(from_pbf.table) > 0
    left = from_xml.table.sort_values("osm_id").reset_index(drop=True)
    right = from_pbf.table.sort_values("osm_id").reset_index(drop=True)
    assert left["osm_id"].tolist() == right["osm_id"].tolist()
    assert left.geometry.geom_equals_exact(right.geometry, tolerance=1e-7).all()


def test_without_an_osm_extract_the_error_names_it(tmp_path):
    from pipelines.errors import InputError

    with pytest.raises(InputError, match=r"territory\.osm\.pbf: required landing file missing"):
        _read("osm_pois", tmp_path)


def test_district_outlines_quarantine_what_is_not_a_polygon(tmp_path):
    import geopandas as gpd
    import shapely

    (tmp_path / "districts").mkdir()
    frame = gpd.GeoDataFrame(
        {"name": ["Centre", "Gare", "Point"]},
        geometry=[shapely.box(150000, 120000, 150300, 120200), shapely.box(151000, 120000, 151200, 120100),
                  shapely.Point(150000, 120000)],
        crs=31370,
    )
    frame.to_file(tmp_path / "districts" / "districts.geojson", driver="GeoJSON")
    result = _read("district_outlines", tmp_path)["district_outlines"]
    assert result.balanced and result.rows_in == 3
    assert result.table["name"].tolist() == ["Centre", "Gare"] and result.table["outline"].tolist() == [1, 2]
    assert result.table.crs.to_epsg() == 4326
    assert result.quarantine["row_number"].tolist() == [3] and "not a polygon" in result.quarantine["reason"].iloc[0]


def test_no_district_outlines_is_an_empty_typed_table(tmp_path):
    result = _read("district_outlines", tmp_path)["district_outlines"]
    assert result.table.empty and result.rows_in == 0 and list(result.table.columns) == ["outline", "name", "geometry"]
