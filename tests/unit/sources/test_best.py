"""BeST Address (BOSA) CSV conversion and NGI GeoPackage as address points (issue 11)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from pipelines.sources import kbo
from pipelines.sources.best import read_best_addresses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CSV = FIXTURES / "best" / "openaddress-bewal.csv"
MINI = FIXTURES / "sources_a" / "kbo_mini"


def test_best_csv_as_published():
    result = read_best_addresses(CSV)
    table = result.table
    assert list(table.columns) == list(kbo.POINT_COLUMNS)
    assert table["house_number"].tolist() == ["74", "74", "12A", "28", "1", "3"]  # current first
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [5, "expected 20 fields, found 3"],
        [6, "status rejected (kept: current, proposed, reserved, retired)"],
        [7, "no coordinates"],
        [10, "missing house_number"],
    ]
    assert result.balanced and result.rows_in == 10
    ange = table.iloc[0]
    assert ange["street_fr"] == "Rue de l'Ange" and ange["street_nl"] == "Engelstraat"
    assert (ange["lon"], ange["lat"]) == pytest.approx((4.8663, 50.4651))
    # the German-speaking commune has no Dutch street name: the German one stands in
    eupen = table.set_index("postcode").loc["4700"]
    assert eupen["street_nl"] == "Aachener Straße" and eupen["municipality_fr"] == "Eupen"


def test_best_csv_cut_to_the_territory_and_zipped(tmp_path):
    path = tmp_path / "openaddress-bewal.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(CSV, "openaddress-bewal.csv")
    result = read_best_addresses(path, postcodes=["5000"])
    assert set(result.table["postcode"]) == {"5000"} and len(result.table) == 4
    assert result.quarantine["row_number"].tolist() == [5, 6, 7]  # 10 is in 6600, not read
    assert result.balanced and result.quarantine["source_file"].iloc[0] == str(path)


def test_best_csv_in_lambert_2008_without_wgs84(tmp_path):
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False, on_bad_lines="skip")
    from pyproj import Transformer

    to3812 = Transformer.from_crs(31370, 3812, always_xy=True)
    x, y = to3812.transform(frame["EPSG:31370_x"].astype(float), frame["EPSG:31370_y"].astype(float))
    zero = frame["EPSG:31370_x"] == "0.00000"
    frame = frame.drop(columns=["EPSG:31370_x", "EPSG:31370_y", "EPSG:4326_lat", "EPSG:4326_lon"])
    frame.insert(0, "EPSG:3812_y", pd.Series(y).round(5).astype(str).where(~zero, "0.00000"))
    frame.insert(0, "EPSG:3812_x", pd.Series(x).round(5).astype(str).where(~zero, "0.00000"))
    path = tmp_path / "openaddress-bewal.csv"
    frame.to_csv(path, index=False)
    result = read_best_addresses(path)
    first = result.table.iloc[0]
    assert (first["lon"], first["lat"]) == pytest.approx((4.8663, 50.4651), abs=1e-5)
    assert len(result.table) == 6


def test_ngi_geopackage_in_lambert_2008(tmp_path):
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False, on_bad_lines="skip")
    frame = frame[~frame["EPSG:4326_lon"].isin(["0.00000", ""])]
    points = [Point(float(x), float(y)) for x, y in zip(frame["EPSG:4326_lon"], frame["EPSG:4326_lat"], strict=True)]
    gdf = gpd.GeoDataFrame(frame.drop(columns=[c for c in frame if c.startswith("EPSG")]),
                           geometry=points, crs=4326).to_crs(3812)  # fmt: skip
    path = tmp_path / "best_3812.gpkg"
    gdf.to_file(path, driver="GPKG")
    result = read_best_addresses(path, postcodes=["5000", "4031"])
    assert len(result.table) == 5
    assert result.table.iloc[0][["lon", "lat"]].tolist() == pytest.approx([4.8663, 50.4651], abs=1e-6)


def test_missing_column_is_a_file_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("EPSG:4326_lat,EPSG:4326_lon,postcode\n50.4,4.8,5000\n")
    result = read_best_addresses(path)
    assert result.quarantine["row_number"].tolist() == [0]
    assert result.quarantine["reason"].iloc[0].startswith("missing column house_number")
    assert result.table.empty and result.rows_in == 1


def test_best_points_locate_kbo_establishments():
    points = read_best_addresses(CSV, postcodes=["5000", "4031"])
    located = kbo.locate_establishments(kbo.read_kbo(MINI), points)
    by_address = located.table[located.table["geocode_precision"] == "address"]
    assert len(by_address) >= 1
    row = by_address.iloc[0]
    assert (row["lon"], row["lat"]) == pytest.approx((4.8663, 50.4651))
