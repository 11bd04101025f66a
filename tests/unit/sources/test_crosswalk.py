"""The 2019 and 2025 commune mergers: crosswalk file, code mapping, dissolving old files."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from support import realdata_path

from pipelines.sources.crosswalk import (
    MERGER_COLUMNS,
    current_communes,
    current_nis,
    current_sectors,
    is_current,
    mergers,
)
from pipelines.sources.statbel import is_walloon, read_communes


def test_crosswalk_file_is_well_formed():
    table = mergers()
    assert tuple(table.columns) == MERGER_COLUMNS
    assert table["old_nis"].is_unique and table["old_nis"].str.fullmatch(r"\d{5}").all()
    assert table["new_nis"].str.fullmatch(r"\d{5}").all() and table["source"].notna().all()
    wave = table[table["valid_from"] == "2025-01-01"]
    # 581 -> 565: 29 codes disappear into 14 communes, 13 of them new codes (Antwerpen
    # keeps 11002 and absorbs Borsbeek)
    assert len(wave) == 29 and wave["new_nis"].nunique() == 14
    assert len(set(wave["old_nis"])) - len(set(wave["new_nis"]) - {"11002"}) == 16
    assert set(wave.loc[is_walloon(wave["old_nis"]).to_numpy(), "old_nis"]) == {"82003", "82005"}


def test_current_nis_follows_chains_and_dates():
    codes = pd.Series(["82005", "82003", "11007", "11002", "44049", "62063", None])
    assert current_nis(codes).tolist()[:6] == ["82039", "82039", "11002", "11002", "44083", "62063"]
    assert pd.isna(current_nis(codes).iloc[6])
    assert current_nis(pd.Series(["82005", "44049"]), on=date(2024, 12, 31)).tolist() == [
        "82005", "44083",
    ]  # fmt: skip
    assert is_current(pd.Series(["82005", "82039", "62063"])).tolist() == [False, True, True]


def test_current_communes_dissolves_and_sums():
    frame = gpd.GeoDataFrame(
        {"nis": ["82003", "82005", "92094"], "name_fr": ["Bastogne", "Bertogne", "Namur"],
         "name_nl": ["Bastenaken", "Bertogne", "Namen"], "population": [16_000, 3_500, 111_000]},
        geometry=[box(5.70, 50.0, 5.75, 50.05), box(5.65, 50.05, 5.75, 50.10), box(4.8, 50.4, 4.9, 50.5)],
        crs="EPSG:4326",
    )  # fmt: skip
    out = current_communes(frame).set_index("nis")
    assert out.index.tolist() == ["82039", "92094"]
    assert out.loc["82039", "population"] == 19_500 and out.loc["82039", "name_fr"] == "Bastogne"
    assert out.loc[["82039"], "geometry"].to_crs(31370).area.iloc[0] == pytest.approx(
        frame.geometry.iloc[:2].to_crs(31370).area.sum(), rel=1e-3
    )
    # a file already on the new codes passes unchanged
    again = current_communes(current_communes(frame))
    assert again["nis"].tolist() == ["82039", "92094"]
    sectors = pd.DataFrame({"sector_id": ["82005A00-"], "nis": ["82005"]})
    assert current_sectors(sectors)["nis"].tolist() == ["82039"]


def test_current_communes_unknown_population_stays_null():
    frame = gpd.GeoDataFrame(
        {"nis": ["82003", "82005"], "name_fr": [None, None], "name_nl": ["a", "b"],
         "population": pd.array([1, None], dtype="Int64")},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326",
    )  # fmt: skip
    assert pd.isna(current_communes(frame)["population"].iloc[0])


@pytest.mark.realdata
def test_real_2019_communes_become_565_with_population_conserved():
    result = read_communes(realdata_path("01_boundaries/belgium_municipalities_2019_bmesuere.geojson"))
    before = result.table
    after = current_communes(before)
    assert len(before) == 581 and len(after) == 565
    assert after["nis"].is_unique and is_current(after["nis"]).all()
    assert after["population"].sum() == before["population"].sum() == 11_492_641
    pop = before.set_index("nis")["population"]
    table = after.set_index("nis")
    assert table.loc["82039", "population"] == pop["82003"] + pop["82005"]
    assert table.loc["46030", "population"] == pop[["46003", "46013", "11056"]].sum()
    assert table.loc["11002", "population"] == pop[["11002", "11007"]].sum()
    assert table.loc["82039", "name_fr"] == "Bastogne"
    # Wallonia: 262 communes before 2025, 261 after (Bastogne + Bertogne)
    assert is_walloon(after["nis"]).sum() == 261
    area = before.to_crs(31370).area.sum()
    assert after.to_crs(31370).area.sum() == pytest.approx(area, rel=1e-6)


@pytest.mark.realdata
def test_real_2019_statbel_shapefile_becomes_565():
    before = read_communes(realdata_path("01_boundaries/statbel_statistical_sectors_2019.shp.zip")).table
    after = current_communes(before)
    assert len(after) == 565 and after["nis"].is_unique
    assert after.set_index("nis").loc["46030", "name_nl"] == "Beveren-Kruibeke-Zwijndrecht"
    assert after.geometry.notna().all() and after.crs.to_epsg() == 4326
