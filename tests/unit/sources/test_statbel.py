"""Statbel communes and sectors: layouts, repairs, quarantine reasons, real boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box, shape
from support import realdata_path as realdata_a

from pipelines.errors import InputError
from pipelines.sources.statbel import is_walloon, read_communes, read_sectors

SQUARE = box(5.55, 50.60, 5.60, 50.65)
BOWTIE = Polygon([(4.80, 50.44), (4.84, 50.48), (4.84, 50.44), (4.80, 50.48), (4.80, 50.44)])
FLAT = Polygon([(4.40, 50.40), (4.50, 50.40), (4.45, 50.40), (4.40, 50.40)])  # zero area


def _feature(props: dict, geom) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else shapely.geometry.mapping(geom),
    }


def _write(tmp_path: Path, features: list[dict], name: str = "f.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _commune(nis, pop, geom=SQUARE, name="X") -> dict:
    props = {"CD_MUNTY_REFNIS": nis, "TX_MUNTY_DESCR_FR": name, "TX_MUNTY_DESCR_NL": name + " nl",
             "MS_POPULATION": pop}  # fmt: skip
    return _feature(props, geom)


@pytest.fixture
def communes(tmp_path: Path):
    features = [
        _commune("62063", 1000, name="Liège"),
        _commune("92094", "2500", BOWTIE, name="Namur"),
        _commune("6206", 10),
        _commune("62051", -5),
        _commune("62096", "abc"),
        _commune("63079", 10, None),
        _commune("62063", 7, name="Liège bis"),
        _commune("53053", 10, shapely.LineString([(4.0, 50.0), (4.1, 50.1)])),
        _commune("52011", 10, FLAT),
        _commune("57081", 12.5),
    ]
    return read_communes(_write(tmp_path, features))


def test_communes_accepts_valid_and_repairs_bowtie(communes):
    table = communes.table
    assert list(table.columns) == ["nis", "name_fr", "name_nl", "population", "repaired_area_change", "geometry"]
    assert table["nis"].tolist() == ["62063", "92094"]
    assert table["population"].tolist() == [1000, 2500]
    assert str(table["population"].dtype) == "Int64"
    assert table.crs.to_epsg() == 4326
    assert table.geometry.is_valid.all()
    namur = table.geometry.iloc[1]
    assert namur.geom_type == "MultiPolygon" and len(namur.geoms) == 2
    # the bowtie's two triangles cover half of its 0.04 x 0.04 bounding square
    assert namur.area == pytest.approx(0.5 * 0.04 * 0.04)
    # the repair is recorded: the valid commune has none, the bowtie's lobes cancelled in
    # the shoelace area of the invalid ring (0), so its relative change is infinite
    assert np.isnan(table["repaired_area_change"].iloc[0])
    assert table["repaired_area_change"].iloc[1] == np.inf


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (3, "malformed NIS (expected 5 digits)"),
        (4, "negative population"),
        (5, "non-numeric population"),
        (6, "empty geometry"),
        (7, "duplicate NIS"),
        (8, "not a polygon (LineString)"),
        (9, "invalid geometry make_valid cannot repair (Polygon)"),
        (10, "non-integer population"),
    ],
)
def test_communes_quarantine_reasons(communes, row, reason):
    q = communes.quarantine.set_index("row_number")
    assert q.loc[row, "reason"] == reason
    assert q.loc[row, "source"] == "statbel_communes"


def test_communes_conserve_rows(communes):
    assert communes.rows_in == 10
    assert len(communes.table) == 2 and len(communes.quarantine) == 8
    assert communes.balanced


def test_communes_bmesuere_layout_and_missing_population(tmp_path):
    props = {"nis": "25072", "name_fr": "Ottignies-Louvain-la-Neuve", "name_nl": "Ottignies",
             "population": None}  # fmt: skip
    result = read_communes(_write(tmp_path, [_feature(props, SQUARE)]))
    row = result.table.iloc[0]
    assert (row["nis"], row["name_fr"], row["name_nl"]) == ("25072", props["name_fr"], "Ottignies")
    assert pd.isna(row["population"])


def test_communes_reprojects_lambert72(tmp_path):
    square = box(235_000, 148_000, 236_000, 149_000)  # 1 km2 in Liège, EPSG:31370
    frame = gpd.GeoDataFrame({"nis": ["62063"], "name_fr": ["Liège"], "name_nl": ["Luik"],
                              "population": [5]}, geometry=[square], crs="EPSG:31370")  # fmt: skip
    path = tmp_path / "lambert.gpkg"
    frame.to_file(path)
    table = read_communes(path).table
    assert table.crs.to_epsg() == 4326
    centroid = table.geometry.iloc[0].centroid
    assert 5.5 < centroid.x < 5.7 and 50.5 < centroid.y < 50.7
    assert table.to_crs(31370).area.iloc[0] == pytest.approx(1e6, rel=1e-6)


def test_communes_missing_column_names_file_and_column(tmp_path):
    props = {"CD_MUNTY_REFNIS": "62063", "TX_MUNTY_DESCR_FR": "Liège"}
    path = _write(tmp_path, [_feature(props, SQUARE)], "nonl.geojson")
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    # changed (issue 11): MS_POPULATION may be absent (published boundaries carry none),
    # so the missing column of this test is the Dutch name
    result = read_communes(path)
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith("missing column TX_MUNTY_DESCR_NL")
    assert len(result.table) == 0 and result.rows_in == 1
    assert list(result.table.columns) == ["nis", "name_fr", "name_nl", "population", "repaired_area_change", "geometry"]
    assert result.table.crs.to_epsg() == 4326


def test_communes_no_code_column(tmp_path):
    path = _write(tmp_path, [_feature({"code": "62063"}, SQUARE)], "nocode.geojson")
    result = read_communes(path)  # changed (issue 9): file-level quarantine row
    assert result.quarantine["reason"].iloc[0].startswith("missing column CD_MUNTY_REFNIS")


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    result = read_communes(path)  # changed (issue 9): file-level quarantine row
    assert result.quarantine["reason"].iloc[0].startswith("GeoJSON file is not valid JSON")
    assert result.quarantine["source_file"].tolist() == [str(path)] and result.balanced
    with pytest.raises(InputError, match="file not found"):
        read_communes(tmp_path / "absent.geojson")


def _sector(sid, nis, pop, geom=SQUARE) -> dict:
    props = {"CD_SECTOR": sid, "TX_SECTOR_DESCR_FR": "S", "CD_MUNTY_REFNIS": nis,
             "MS_POPULATION": pop}  # fmt: skip
    return _feature(props, geom)


def test_sectors_statbel_layout(tmp_path):
    features = [
        _sector("92094A00-", "92094", 300),
        _sector("92094A011", "92094", 0),
        _sector("9209A00-", "92094", 1),
        _sector("92095A00-", "92094", 1),
        _sector("92094A00-", "92094", 1),
        _sector("92094B12-", "92094", -1),
    ]
    result = read_sectors(_write(tmp_path, features))
    assert result.table["sector_id"].tolist() == ["92094A00-", "92094A011"]
    assert result.table["population"].sum() == 300
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert reasons == {
        3: "malformed sector_id",
        4: "sector_id does not start with NIS",
        5: "duplicate sector_id",
        6: "negative population",
    }
    assert result.balanced and result.rows_in == 6


def test_sectors_brussels_layout(tmp_path):
    props = {"id": "21001A00-", "name_fr": "RESISTANCE", "cd_munty_refnis": "21001",
             "population": 2812}  # fmt: skip
    table = read_sectors(_write(tmp_path, [_feature(props, SQUARE)])).table
    assert table.iloc[0][["sector_id", "name_fr", "nis", "population"]].tolist() == [
        "21001A00-", "RESISTANCE", "21001", 2812,
    ]  # fmt: skip


def test_is_walloon():
    nis = pd.Series(["25072", "21004", "62063", "92094", "53053", "81001", "11002", "44021", None])
    assert is_walloon(nis).tolist() == [True, False, True, True, True, True, False, False, False]


@pytest.mark.realdata
def test_real_belgian_communes_2019():
    path = realdata_a("01_boundaries/belgium_municipalities_2019_bmesuere.geojson")
    raw = json.loads(path.read_text(encoding="utf-8"))["features"]
    result = read_communes(path)
    table = result.table.set_index("nis")
    assert len(raw) == 581 and result.rows_in == 581
    assert len(result.table) + len(result.quarantine) == 581
    assert len(result.quarantine) == 0
    # the three rings that are invalid in the source are repaired, none lost
    assert sum(not shape(f["geometry"]).is_valid for f in raw) == 3
    assert result.table.geometry.is_valid.all()
    assert table.loc["62063", "population"] == 197_217
    assert table.loc["92094", "population"] == 111_432
    expected_total = sum(f["properties"]["population"] for f in raw)
    assert expected_total == 11_492_641
    assert result.table["population"].sum() == expected_total
    # Wallonia = provinces 25 (Walloon Brabant), 5x, 6x, 8x, 9x: 262 communes before 2025.
    # The source's reg_nis says 263: it tags Mesen/Messines (33016, West Flanders) as Walloon.
    walloon = [f for f in raw if f["properties"]["nis"][0] in "5689" or
               f["properties"]["nis"].startswith("25")]  # fmt: skip
    assert len(walloon) == 262
    tagged = {f["properties"]["nis"] for f in raw if f["properties"]["reg_nis"] == "03000"}
    assert len(tagged) == 263 and tagged - {f["properties"]["nis"] for f in walloon} == {"33016"}
    assert is_walloon(result.table["nis"]).sum() == 262


@pytest.mark.realdata
def test_real_statbel_2019_shapefile_in_lambert72():
    result = read_communes(realdata_a("01_boundaries/statbel_statistical_sectors_2019.shp.zip"))
    assert len(result.table) == 581 and len(result.quarantine) == 0
    assert result.table.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = result.table.total_bounds
    assert 2.5 < minx < maxx < 6.5 and 49.4 < miny < maxy < 51.6
    assert result.table["name_nl"].eq("Luik").any()
    assert result.table.geometry.is_valid.all()


@pytest.mark.realdata
def test_real_brussels_sectors_2024():
    path = realdata_a("01_boundaries/brussels_statistical_sectors_2024_population.geojson")
    raw = json.loads(path.read_text(encoding="utf-8"))["features"]
    result = read_sectors(path)
    assert len(result.table) == 724 == len(raw)
    assert result.table["population"].sum() == 1_246_136
    assert result.table["population"].sum() == sum(f["properties"]["population"] for f in raw)
    assert result.table["nis"].nunique() == 19
    assert (result.table["sector_id"].str[:5] == result.table["nis"]).all()
