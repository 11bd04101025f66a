import io
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pipelines import db
from pipelines.exports import csv_bytes, export_layer, for_gpkg, gpkg_bytes, write_csv
from pipelines.lake import Lake, table_bytes, write_table
from pipelines.warehouse import build_warehouse, comment_for


def _cells():
    cell = h3.latlng_to_cell(50.6451, 5.5734, 9)
    boundary = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
    return gpd.GeoDataFrame(
        {"h3": np.array([h3.str_to_int(cell)], dtype="uint64"), "nis": pd.array(["62063"], dtype="string"), "population": [12.5]},
        geometry=[boundary], crs=4326,
    )


def test_export_layer_geoparquet_and_geopackage(tmp_path):
    frame = _cells()
    paths = export_layer(frame, tmp_path, "h3_cells")
    back = gpd.read_parquet(paths["geoparquet"])
    assert back["h3"].dtype == np.uint64 and back.crs.to_epsg() == 4326
    info = pyogrio.read_info(paths["geopackage"], layer="h3_cells")
    assert info["features"] == 1 and "4326" in info["crs"]
    gpkg = gpd.read_file(paths["geopackage"], layer="h3_cells")
    assert gpkg["h3_hex"].iloc[0] == h3.int_to_str(int(frame["h3"].iloc[0]))
    assert int(gpkg["h3"].iloc[0]) == int(frame["h3"].iloc[0])


def test_geopackage_opens_with_system_ogrinfo(tmp_path):
    """Debian's GDAL (3.6, no GeoParquet) is what QGIS users have: the .gpkg must open there."""
    if shutil.which("ogrinfo") is None:
        if os.environ.get("CI"):
            pytest.fail("ogrinfo (Debian gdal-bin) missing under CI: .ci/run installs it")
        pytest.skip("Debian gdal-bin not installed")
    paths = export_layer(_cells(), tmp_path, "h3_cells")
    out = subprocess.run(["ogrinfo", "-so", "-al", str(paths["geopackage"])], capture_output=True, text=True, check=True).stdout
    assert "Feature Count: 1" in out


def test_warehouse_views_comments_and_quarantine(tmp_path):
    lake = Lake(tmp_path)
    lake.write(_cells(), "gold", "h3_cells")
    lake.write(pd.DataFrame({"x": [1, 2]}), "bronze", "gtfs_stops")
    lake.write(pd.DataFrame({"sensor_id": ["a"], "day": ["2026-10-25"]}), "silver", "sensor_counts", "2026-10-25")
    lake.write(pd.DataFrame({"sensor_id": ["b"], "day": ["2026-10-26"]}), "silver", "sensor_counts", "2026-10-26")
    q = pd.DataFrame({"source": ["s"], "source_file": ["f"], "row_number": [3], "reason": ["bad"], "raw": ["{}"]})
    lake.write(q, "bronze", "quarantine/s")
    lake.write(q.assign(source="t"), "bronze", "quarantine/t", "2026-10-25")
    counts = build_warehouse(lake, {"gold.h3_cells": "Cells.", "bronze.gtfs": "GTFS feeds."})
    assert counts == {"bronze.gtfs_stops": 2, "silver.sensor_counts": 2, "gold.h3_cells": 1, "bronze.quarantine": 2}
    con = db.connect(lake.warehouse, read_only=True)
    comments = dict(con.execute("SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert comments["gold.h3_cells"] == "Cells."
    assert comments["bronze.gtfs_stops"] == "GTFS feeds. (table gtfs_stops)"
    assert all(comments.values())
    area = con.execute("SELECT ST_Area(ST_Transform(geometry, 'EPSG:4326', 'EPSG:31370', always_xy := true)) FROM gold.h3_cells").fetchone()[0]
    assert area == pytest.approx(h3.cell_area(h3.latlng_to_cell(50.6451, 5.5734, 9), unit="m^2"), rel=0.01)
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE gold.x AS SELECT 1")


def test_comment_fallbacks():
    assert comment_for("bronze.quarantine", {}, "p").startswith("Every row rejected")
    assert comment_for("silver.x", {}, "/p.parquet") == "Parquet: /p.parquet"


def _small_lake(root):
    lake = Lake(root)
    lake.write(_cells(), "gold", "h3_cells")
    lake.write(pd.DataFrame({"sensor_id": ["a"]}), "silver", "sensor_counts", "2026-10-25")
    lake.write(pd.DataFrame({"sensor_id": ["b"]}), "silver", "sensor_counts", "2026-10-26")
    q = pd.DataFrame({"source": ["s"], "source_file": ["f"], "row_number": [3], "reason": ["bad"], "raw": ["{}"]})
    lake.write(q, "bronze", "quarantine/s")
    return lake


def test_warehouse_opens_from_any_folder(tmp_path, monkeypatch):
    """A plain ``duckdb.connect(path, read_only=True)`` from another folder answers every view."""

    monkeypatch.delenv("SMARTCOMMERCE_WAREHOUSE", raising=False)
    built = _small_lake(tmp_path / "data")
    counts = build_warehouse(built, {})
    elsewhere = tmp_path / "notebooks" / "deep"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    con = duckdb.connect(str(Path("../../data/warehouse.duckdb")), read_only=True)
    for relation, n in counts.items():
        assert con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0] == n  # noqa: S608
    assert sorted(con.execute("SELECT sensor_id FROM silver.sensor_counts").df()["sensor_id"]) == ["a", "b"]
    monkeypatch.chdir("/")
    con = duckdb.connect(str(built.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM bronze.quarantine").fetchone()[0] == 1


def test_duckdb_cli_reads_the_warehouse_from_another_folder(tmp_path):
    """What the README tells analysts: the pinned CLI, started anywhere."""
    import sys

    built = _small_lake(tmp_path / "data")
    build_warehouse(built, {})
    cli = Path(sys.executable).parent / "duckdb"
    out = subprocess.run([str(cli), "-readonly", "-csv", "-noheader", str(built.warehouse),
                          "-c", "SELECT count(*) FROM silver.sensor_counts"],
                         cwd="/", capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2"


def test_moved_data_root_is_repointed_by_a_rebuild(tmp_path, monkeypatch):
    """After `mv data data2`, rebuilding the views in place (``smartcommerce warehouse``) points
    them at the new folder; nothing of the old path remains."""
    monkeypatch.delenv("SMARTCOMMERCE_WAREHOUSE", raising=False)
    counts = build_warehouse(_small_lake(tmp_path / "data"), {})
    (tmp_path / "data").rename(tmp_path / "data2")
    moved = Lake(tmp_path / "data2")
    assert build_warehouse(moved, {}) == counts
    con = db.connect(moved.warehouse, read_only=True, spatial=False)
    sql = " ".join(r[0] for r in con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall())
    assert str(tmp_path / "data2") in sql and str(tmp_path / "data") + "/" not in sql
    assert con.execute("SELECT sum(population) FROM gold.h3_cells").fetchone()[0] == 12.5


def test_warehouse_file_can_live_elsewhere(tmp_path, monkeypatch):
    """`$SMARTCOMMERCE_WAREHOUSE` puts the file anywhere."""
    monkeypatch.setenv("SMARTCOMMERCE_WAREHOUSE", str(tmp_path / "analysts" / "w.duckdb"))
    (tmp_path / "analysts").mkdir()
    lake = _small_lake(tmp_path / "data")
    assert lake.warehouse == tmp_path / "analysts" / "w.duckdb"
    assert build_warehouse(lake, {})["silver.sensor_counts"] == 2
    con = db.connect(lake.warehouse, read_only=True, spatial=False)
    assert con.execute("SELECT count(*) FROM silver.sensor_counts").fetchone()[0] == 2


def _schema_and_rows(path: Path) -> dict[str, list]:
    """What a GeoPackage holds, apart from the time it was written (gpkg_contents.last_change)."""
    import sqlite3

    with sqlite3.connect(path) as con:
        out = {"master": sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=str),
               "pragmas": [con.execute(f"PRAGMA {p}").fetchall() for p in ("application_id", "user_version")],
               "contents": sorted(con.execute("SELECT table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents").fetchall())}
        tables = [row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'gpkg_contents' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
        for table in tables:
            out[table] = sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=str)  # noqa: S608
    return out


def test_gpkg_bytes_holds_what_gdal_appending_to_a_file_holds(tmp_path):
    """Three layers (two with geometry, one attribute table) merged in memory: the same tables,
    R-trees, triggers and rows as pyogrio appending them to one file; GDAL then reads every
    layer, filters through the R-tree and keeps the R-tree current when it appends."""
    cells = for_gpkg(_cells())
    points = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(5.0, 50.0), shapely.Point(6.0, 51.0)], crs=4326)
    table = pd.DataFrame({"f_table_name": ["cells", "points"], "n": [1, 2]})
    layers = [("cells", cells), ("points", points), ("notes", table)]
    merged = tmp_path / "merged.gpkg"
    merged.write_bytes(gpkg_bytes(layers))
    reference = tmp_path / "reference.gpkg"
    for i, (name, frame) in enumerate(layers):
        pyogrio.write_dataframe(frame, reference, layer=name, driver="GPKG", append=i > 0)
    assert _schema_and_rows(merged) == _schema_and_rows(reference)
    assert [row[0] for row in pyogrio.list_layers(merged)] == ["cells", "points", "notes"]
    assert gpd.read_file(merged, layer="points", bbox=(5.5, 50.5, 6.5, 51.5))["name"].tolist() == ["b"]
    pyogrio.write_dataframe(points.iloc[[0]].assign(name="c").set_geometry([shapely.Point(7.0, 52.0)], crs=4326), merged, layer="points", driver="GPKG", append=True)
    assert gpd.read_file(merged, layer="points", bbox=(6.5, 51.5, 7.5, 52.5))["name"].tolist() == ["c"]
    assert pyogrio.read_info(merged, layer="points")["features"] == 3


def test_export_bytes_equal_the_files_the_writers_write(tmp_path):
    """The CSV and GeoParquet handed to the lake as bytes are the very files write_csv and
    write_table write."""
    frame = pd.DataFrame({"nom": ["=SUM(A1)", "Liège", None], "valeur": [-3.0, 1.5, 2.0]})
    assert csv_bytes(frame, encoding="utf-8") == write_csv(frame, tmp_path / "a.csv", encoding="utf-8").read_bytes()
    assert b"\r\n" in csv_bytes(frame) and b"'=SUM(A1)" in csv_bytes(frame)
    cells = _cells()
    assert table_bytes(cells) == write_table(cells, tmp_path / "c.parquet").read_bytes()
    assert gpd.read_parquet(io.BytesIO(table_bytes(cells))).crs.to_epsg() == 4326
