"""The lake on S3-compatible object storage, against a real SeaweedFS on loopback (not a mock):
reads and writes, atomic publish, exports, the warehouse over s3:// views with a temporary
secret that never lands in the file, and part of the demo materialised with
``SMARTCOMMERCE_DATA=s3://...``."""

from __future__ import annotations

import secrets

import dagster as dg
import geopandas as gpd
import pandas as pd
import pyarrow.fs as pafs
import pytest
import shapely

from pipelines import db
from pipelines.exports import export_layer
from pipelines.lake import Lake, s3_filesystem, write_atomic
from pipelines.warehouse import build_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_env(seaweedfs_server, monkeypatch, tmp_path):
    """The standard AWS variables pointing at SeaweedFS; a fresh prefix per test."""
    for name, value in seaweedfs_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SMARTCOMMERCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SMARTCOMMERCE_WAREHOUSE", raising=False)
    root = f"s3://{seaweedfs_server.bucket}/t{secrets.token_hex(4)}"
    monkeypatch.setenv("SMARTCOMMERCE_DATA", root)
    return root


def _points():
    return gpd.GeoDataFrame({"id": [1, 2], "nis": ["62063", "62096"]},
                            geometry=[shapely.Point(5.57, 50.64), shapely.Point(5.60, 50.63)], crs=4326)


def _keys(root: str) -> list[str]:
    base = root[len("s3://"):]
    infos = s3_filesystem().get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    return sorted(i.path[len(base) + 1:] for i in infos if i.type == pafs.FileType.File)


def test_tables_round_trip_on_s3(s3_env):
    lake = Lake(s3_env)
    assert lake.remote and lake.table_path("silver", "x").startswith("s3://")
    lake.write(_points(), "silver", "points")
    back = lake.read("silver", "points")
    assert isinstance(back, gpd.GeoDataFrame) and back.crs.to_epsg() == 4326 and len(back) == 2
    lake.write(pd.DataFrame({"a": [2]}), "bronze", "c", "2026-10-26")
    lake.write(pd.DataFrame({"a": [1]}), "bronze", "c", "2026-10-25")
    assert lake.days("bronze", "c") == ["2026-10-25", "2026-10-26"]
    assert lake.read_days("bronze", "c")["a"].tolist() == [1, 2]
    assert lake.exists("silver", "points") and not lake.exists("silver", "nothing")
    assert _keys(s3_env) == ["lake/bronze/c/day=2026-10-25/part.parquet",
                             "lake/bronze/c/day=2026-10-26/part.parquet", "lake/silver/points.parquet"]


def test_publish_is_atomic_on_s3(s3_env):
    lake = Lake(s3_env)
    lake.write(pd.DataFrame({"a": [1]}), "silver", "x")

    def broken(tmp):
        tmp.write_bytes(b"half a parquet file")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(lake.table_path("silver", "x"), broken)
    assert lake.read("silver", "x")["a"].tolist() == [1]
    lake.write(pd.DataFrame({"a": [2]}), "silver", "x")
    assert lake.read("silver", "x")["a"].tolist() == [2]
    assert _keys(s3_env) == ["lake/silver/x.parquet"]  # no temporary key left behind


def test_exports_on_s3_open_with_gdal(s3_env):
    import pyogrio

    lake = Lake(s3_env)
    paths = export_layer(_points(), lake.exports, "points")
    assert paths["geopackage"] == f"{s3_env}/exports/points.gpkg"
    info = pyogrio.read_info(paths["geopackage"], layer="points")
    assert info["features"] == 2 and "4326" in info["crs"]
    assert gpd.read_parquet(paths["geoparquet"][len("s3://"):], filesystem=s3_filesystem()).crs.to_epsg() == 4326


def test_exports_from_bytes_on_s3(s3_env):
    """`Lake.write_exports` (the Canvas reports asset): each file lands under the bucket's
    exports/ with no temporary key left, and in the local staging copy the cockpit and
    `smartcommerce pdf` read; GDAL opens the GeoPackage from the bucket."""
    import pyogrio

    from pipelines.exports import configure_gdal_s3, gpkg_bytes

    lake = Lake(s3_env)
    files = {"reports/index.html": "<p>Liège</p>".encode(), "points.gpkg": gpkg_bytes([("points", _points())])}
    written = lake.write_exports(files)
    assert written == {name: f"{s3_env}/exports/{name}" for name in files}
    assert _keys(s3_env) == ["exports/points.gpkg", "exports/reports/index.html"]
    fs = s3_filesystem()
    with fs.open_input_stream(written["reports/index.html"][len("s3://"):]) as stream:
        assert stream.read() == files["reports/index.html"]
    assert (lake.exports_local / "reports" / "index.html").read_bytes() == files["reports/index.html"]
    configure_gdal_s3()
    assert pyogrio.read_info(written["points.gpkg"], layer="points")["features"] == 2


def test_warehouse_over_s3_keeps_no_secret(s3_env, seaweedfs_server, tmp_path, monkeypatch):
    warehouse = tmp_path / "analysts" / "warehouse.duckdb"
    monkeypatch.setenv("SMARTCOMMERCE_WAREHOUSE", str(warehouse))
    lake = Lake(s3_env)
    lake.write(_points(), "silver", "points")
    lake.write(pd.DataFrame({"sensor_id": ["a"]}), "silver", "sensor_counts", "2026-10-25")
    lake.write(pd.DataFrame({"sensor_id": ["b"]}), "silver", "sensor_counts", "2026-10-26")
    q = pd.DataFrame({"source": ["s"], "source_file": ["f"], "row_number": [3], "reason": ["bad"], "raw": ["{}"]})
    lake.write(q, "bronze", "quarantine/s")
    counts = build_warehouse(lake, {})
    assert counts == {"silver.points": 2, "silver.sensor_counts": 2, "bronze.quarantine": 1}
    assert lake.warehouse == warehouse
    con = db.connect(warehouse, read_only=True, s3=True)
    assert con.execute("SELECT count(*) FROM silver.sensor_counts").fetchone()[0] == 2
    assert con.execute("SELECT ST_X(geometry) FROM silver.points ORDER BY id").fetchone()[0] == pytest.approx(5.57)
    con.close()
    raw = warehouse.read_bytes()
    assert seaweedfs_server.secret_key.encode() not in raw
    assert seaweedfs_server.access_key.encode() not in raw
    assert f"{s3_env}/lake/silver/points.parquet".encode() in raw  # the views name s3:// URIs


def test_demo_part_materialises_on_s3(s3_env, demo_landing, monkeypatch):
    """`SMARTCOMMERCE_DATA=s3://...`: landing files in the bucket, lake tables written there."""
    from assets.definitions import all_assets
    from assets.resources import default_resources

    fs = s3_filesystem()
    base = s3_env[len("s3://"):]
    for source in ("statbel",):
        pafs.copy_files(str(demo_landing / source), f"{base}/landing/{source}", destination_filesystem=fs)
    part = ["bronze/statbel_communes", "bronze/statbel_sectors", "silver/communes", "silver/sectors"]
    result = dg.materialize(all_assets, selection=part, resources=default_resources(),
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    lake = Lake(s3_env)
    communes = lake.read("silver", "communes")
    assert len(communes) == 10 and communes.crs.to_epsg() == 4326
    assert lake.read("silver", "sectors")["population"].sum() == communes["population"].sum()
    assert {k for k in _keys(s3_env) if k.startswith("lake/silver/")} == {
        "lake/silver/communes.parquet", "lake/silver/sectors.parquet"}


@pytest.mark.slow
def test_the_whole_demo_runs_on_s3_and_the_warehouse_queries_it(s3_env, tmp_path, monkeypatch):
    """`smartcommerce run --data s3://...`: every asset and check of a two-day demo, the lake
    in the bucket, and the warehouse's views reading it back."""
    from assets import cli
    from pipelines.demo import generate

    landing = tmp_path / "landing"
    generate(landing, seed=42, days=2)
    pafs.copy_files(str(landing), f"{s3_env[len('s3://'):]}/landing", destination_filesystem=s3_filesystem())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert cli.main(["run", "--data", s3_env]) == 0
    lake = Lake(s3_env)
    assert "lake/gold/h3_cells.parquet" in _keys(s3_env)
    con = db.connect(lake.warehouse, read_only=True, s3=lake.remote)  # httpfs and a temporary secret
    try:
        communes = con.execute("SELECT count(DISTINCT nis) FROM gold.h3_cells").fetchone()[0]
        indicators = con.execute("SELECT count(*) FROM gold.commune_indicators WHERE status = 'computed'").fetchone()[0]
    finally:
        con.close()
    assert communes == 10 and indicators > 0
