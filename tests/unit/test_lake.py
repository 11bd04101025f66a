import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from pipelines.errors import ConfigError
from pipelines.lake import Lake, write_atomic


def test_atomic_write_leaves_no_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "t.parquet"

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    lake = Lake(tmp_path)
    lake.write(pd.DataFrame({"a": [1]}), "silver", "x")

    def broken(tmp):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(lake.table_path("silver", "x"), broken)
    assert lake.read("silver", "x")["a"].tolist() == [1]


def test_geoparquet_1_1_with_crs(tmp_path):
    lake = Lake(tmp_path)
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(5.5, 50.6)], crs=4326)
    path = lake.write(frame, "silver", "points")
    meta = pq.read_schema(path).metadata[b"geo"].decode()
    assert '"version": "1.1.0"' in meta
    back = lake.read("silver", "points")
    assert isinstance(back, gpd.GeoDataFrame) and back.crs.to_epsg() == 4326


def test_daily_partitions_and_unknown_layer(tmp_path):
    lake = Lake(tmp_path)
    lake.write(pd.DataFrame({"a": [1]}), "bronze", "c", "2026-10-25")
    lake.write(pd.DataFrame({"a": [2]}), "bronze", "c", "2026-10-26")
    assert lake.read_days("bronze", "c")["a"].tolist() == [1, 2]
    with pytest.raises(ConfigError, match="unknown layer"):
        lake.table_path("platinum", "x")
