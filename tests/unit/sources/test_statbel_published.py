"""Statbel sectors and communes as published: GeoPackage / zipped shapefile in Lambert 72,
lower-case columns, joined on CD_SECTOR to OPENDATA_SECTOREN_<year>.txt (issue 11)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from pipelines.sources.statbel import (
    SECTOR_COLUMNS,
    commune_population,
    read_communes,
    read_sector_population,
    read_sectors,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "statbel_published"
POPULATION = FIXTURES / "OPENDATA_SECTOREN_2024.txt"

# Statbel's sector GeoPackage columns (sh_statbel_statistical_sectors_31370_20250101.gpkg)
_SECTORS = [
    # cd_sector, fr name, cd_munty_refnis (2025 code: Bastogne + Bertogne = 82039), x0 (Lambert 72)
    ("82003A00-", "BASTOGNE-CENTRE", "82039", 250_000),
    ("82003A01-", "BASTOGNE-NORD", "82039", 251_000),
    ("82005A00-", "BERTOGNE-CENTRE", "82039", 252_000),
    ("92094A00-", "NAMUR-CENTRE", "92094", 185_000),
    ("92094A01-", "NAMUR-GARE", "92094", 186_000),
    ("92094B10-", "NAMUR-SUD", "92094", 187_000),
]


def _published_sectors() -> gpd.GeoDataFrame:
    rows = []
    for code, fr, nis, _ in _SECTORS:
        name = "Bastogne" if nis == "82039" else "Namur"
        rows.append({
            "cd_sector": code, "tx_sector_descr_nl": fr, "tx_sector_descr_fr": fr,
            "tx_sector_descr_de": fr, "cd_sub_munty": code[:6], "tx_sub_munty_nl": name,
            "tx_sub_munty_fr": name, "cd_munty_refnis": nis, "tx_munty_descr_nl": name,
            "tx_munty_descr_fr": name, "tx_munty_descr_de": name, "cd_dstr_refnis": nis[:2] + "000",
            "cd_prov_refnis": nis[0] + "0000", "cd_rgn_refnis": "03000", "cd_country": "BE",
            "cd_nuts_lvl1": "BE3", "ms_area_ha": 100.0, "ms_perimeter_m": 4000.0,
            "dt_situation": "2025-01-01",
        })  # fmt: skip
    geoms = [box(x, 100_000, x + 1000, 101_000) for *_, x in _SECTORS]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:31370")


@pytest.fixture(params=["gpkg", "shp.zip", "shp"])
def sectors_file(request, tmp_path: Path) -> Path:
    frame = _published_sectors()
    if request.param == "gpkg":
        path = tmp_path / "sh_statbel_statistical_sectors_31370_20250101.gpkg"
        frame.to_file(path, driver="GPKG")
        return path
    folder = tmp_path / "shp"
    folder.mkdir()
    # the shapefile truncates names to 10 characters, as Statbel's own .shp does
    frame = frame[["cd_sector", "tx_sector_descr_fr", "cd_munty_refnis", "geometry"]]
    frame.columns = ["CD_SECTOR", "TX_SECTOR_", "CD_MUNTY_R", "geometry"]
    frame = frame.rename(columns={"TX_SECTOR_": "T_SEC_FR", "CD_MUNTY_R": "CNIS5_2025",
                                  "CD_SECTOR": "CS01012025"})  # fmt: skip
    shp = folder / "sectors.shp"
    frame.to_file(shp)
    if request.param == "shp":
        return shp
    path = tmp_path / "sh_statbel_statistical_sectors_31370_20250101.shp.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    return path


def test_population_table_as_published():
    result = read_sector_population(POPULATION)
    assert result.table["sector_id"].tolist() == ["82003A00-", "82003A01-", "82005A00-",
                                                  "92094A00-", "92094Z99-"]  # fmt: skip
    assert result.table["population"].sum() == 4120 + 1875 + 2210 + 5310 + 12
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [5, "non-numeric population"]
    ]
    assert result.balanced and result.rows_in == 6
    assert commune_population(result).to_dict() == {"82039": 8205, "92094": 5322}


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_population_table_other_separators_and_zip(tmp_path, sep):
    text = POPULATION.read_text(encoding="utf-8-sig").replace("|", sep)
    path = tmp_path / "OPENDATA_SECTOREN_2025.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OPENDATA_SECTOREN_2025.txt", text)
    result = read_sector_population(path)
    assert len(result.table) == 5 and result.balanced


def test_population_table_without_population_column(tmp_path):
    path = tmp_path / "pop.txt"
    path.write_text("CD_REFNIS|CD_SECTOR|DT_STRT_SECTOR\n92094|92094A00-|01/01/1977\n")
    result = read_sector_population(path)
    assert result.quarantine["row_number"].tolist() == [0]
    assert result.quarantine["reason"].iloc[0].startswith("missing column TOTAL")
    assert result.rows_in == 1 and result.table.empty


def test_sectors_published_joined_to_population(sectors_file):
    result = read_sectors(sectors_file, population=POPULATION)
    table = result.table
    assert list(table.columns) == list(SECTOR_COLUMNS) and table.crs.to_epsg() == 4326
    # 82003A00- and 82005A00- lie in 82039 since 2025: the crosswalk accepts the prefixes
    assert table["sector_id"].tolist() == ["82003A00-", "82003A01-", "82005A00-", "92094A00-"]
    assert table["population"].tolist() == [4120, 1875, 2210, 5310]
    assert table["nis"].tolist() == ["82039"] * 3 + ["92094"]
    q = result.quarantine.set_index(["source", "row_number"])["reason"].to_dict()
    assert q == {
        ("statbel_sectors", 5): "no population row for sector (not in OPENDATA_SECTOREN_2024.txt)",
        ("statbel_sectors", 6): "no population row for sector (not in OPENDATA_SECTOREN_2024.txt)",
        ("statbel_sector_population", 5): "non-numeric population",
        ("statbel_sector_population", 6): f"population row without a sector (not in {sectors_file.name})",
    }
    assert result.rows_in == 8 and result.balanced
    minx, miny, maxx, maxy = table.total_bounds
    assert 4.0 < minx < maxx < 6.5 and 49.4 < miny < maxy < 51.6


def test_sectors_without_population_file_have_null_population(sectors_file):
    result = read_sectors(sectors_file)
    assert len(result.table) == 6 and result.table["population"].isna().all()


def test_sector_prefix_of_an_unrelated_commune_is_still_quarantined(tmp_path):
    frame = _published_sectors().iloc[:1].assign(cd_munty_refnis="92094")
    path = tmp_path / "s.gpkg"
    frame.to_file(path, driver="GPKG")
    assert read_sectors(path).quarantine["reason"].tolist() == ["sector_id does not start with NIS"]


def test_communes_published_with_population_from_sectors(tmp_path):
    frame = _published_sectors().dissolve("cd_munty_refnis", as_index=False)
    frame = frame[["cd_munty_refnis", "tx_munty_descr_fr", "tx_munty_descr_nl", "geometry"]]
    frame.columns = [c.upper() if c != "geometry" else c for c in frame.columns]
    path = tmp_path / "communes.gpkg"
    frame.to_file(path, driver="GPKG")
    result = read_communes(path, population=POPULATION)
    assert result.table.set_index("nis")["population"].to_dict() == {"82039": 8205, "92094": 5322}
    assert result.table.crs.to_epsg() == 4326
