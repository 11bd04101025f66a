"""The bronze loaders on real provider layouts: Statbel as published (shapefile, Lambert 72)
with the merger crosswalk in silver, KBO without address points located on postcodes."""

from __future__ import annotations

import shutil

import pytest

from assets import bronze
from assets.resources import SettingsResource
from pipelines.demo import generate
from pipelines.sources import crosswalk

SETTINGS = SettingsResource()


def test_published_statbel_shapefile_loads_and_merges_to_todays_communes(tmp_path, realdata):
    landing = tmp_path / "landing"
    (landing / "statbel").mkdir(parents=True)
    shutil.copy(realdata("01_boundaries/statbel_statistical_sectors_2019.shp.zip"), landing / "statbel" / "communes.shp.zip")
    result = bronze._load_communes(landing, SETTINGS)["statbel_communes"]
    assert result.balanced and len(result.table) == 581
    assert result.table.crs.to_epsg() == 4326
    today = crosswalk.current_communes(result.table)
    assert len(today) == 565 and today["nis"].is_unique
    assert "82039" in set(today["nis"]) and "82005" not in set(today["nis"])  # Bastogne + Bertogne (2025)


def test_missing_sectors_are_an_empty_typed_table(tmp_path):
    (tmp_path / "statbel").mkdir()
    result = bronze._load_sectors(tmp_path, SETTINGS)["statbel_sectors"]
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
    results = bronze._load_kbo(landing, SETTINGS)
    located = results["kbo_establishments_located"]
    assert located.balanced and len(located.table) > 0
    assert set(located.table["geocode_precision"]) == {"postcode"}
    assert results["address_points"].table.empty
    assert len(results["kbo_postcodes"].table) > 2000


def test_kbo_missing_entirely_gives_typed_empty_tables(tmp_path):
    results = bronze._load_kbo(tmp_path, SETTINGS)
    assert all(r.table.empty and r.rows_in == 0 for r in results.values())
    assert "geocode_precision" in results["kbo_establishments_located"].table.columns


def test_osm_extract_as_pbf_or_xml_gives_the_same_pois(tmp_path, realdata):
    xml, pbf = tmp_path / "xml", tmp_path / "pbf"
    (xml / "osm").mkdir(parents=True)
    (pbf / "osm").mkdir(parents=True)
    shutil.copy(realdata("02_osm/wechelderzande.osm"), xml / "osm" / "territory.osm")
    shutil.copy(realdata("02_osm/wechelderzande.osm.pbf"), pbf / "osm" / "territory.osm.pbf")
    from_xml = bronze._load_osm_pois(xml, SETTINGS)["osm_pois"]
    from_pbf = bronze._load_osm_pois(pbf, SETTINGS)["osm_pois"]
    assert from_xml.balanced and from_pbf.balanced and len(from_pbf.table) > 0
    left = from_xml.table.sort_values("osm_id").reset_index(drop=True)
    right = from_pbf.table.sort_values("osm_id").reset_index(drop=True)
    assert left["osm_id"].tolist() == right["osm_id"].tolist()
    assert left.geometry.geom_equals_exact(right.geometry, tolerance=1e-7).all()


def test_without_an_osm_extract_the_error_names_it(tmp_path):
    from pipelines.errors import InputError

    with pytest.raises(InputError, match=r"territory\.osm\.pbf: required landing file missing"):
        bronze._load_osm_pois(tmp_path, SETTINGS)
