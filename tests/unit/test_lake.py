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


@pytest.mark.parametrize("budget", [200, 10**9])
def test_heavy_geometry_in_row_groups_read_back_whole(tmp_path, monkeypatch, budget):
    """Geometry-heavy tables are written in row groups of about ``GEO_ROW_GROUP_BYTES`` and
    read one row group at a time: the same frame as geopandas reads, nulls, empties and the
    column order kept; a table lighter than the budget stays one row group."""
    import pipelines.lake as lake_module

    monkeypatch.setattr(lake_module, "GEO_ROW_GROUP_BYTES", budget)
    lake = Lake(tmp_path)
    rings = [shapely.Point(5.0 + k / 10, 50.5).buffer(0.01 * (k + 1), quad_segs=2 + k) for k in range(9)]
    geometry = [*rings, None, shapely.Polygon()]
    frame = gpd.GeoDataFrame(
        {"name": [f"z{k}" for k in range(11)], "n": range(11), "share": [k / 7 for k in range(11)]},
        geometry=geometry, crs=4326,
    )  # fmt: skip
    frame.insert(1, "centre", gpd.GeoSeries([g.centroid if g is not None else None for g in geometry], crs=31370))
    path = lake.write(frame, "gold", "areas")
    groups = pq.ParquetFile(path).num_row_groups
    assert (groups > 3) if budget == 200 else (groups == 1)
    back = lake.read("gold", "areas")
    want = gpd.read_parquet(path).drop(columns=["bbox"], errors="ignore")
    assert list(back.columns) == list(want.columns) == ["name", "centre", "n", "share", "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns=["geometry", "centre"])), pd.DataFrame(want.drop(columns=["geometry", "centre"])))
    for name in ("geometry", "centre"):
        assert back[name].crs == want[name].crs == frame[name].crs
        assert shapely.equals_exact(back[name].to_numpy(), frame[name].to_numpy(), 0).tolist()[:9] == [True] * 9
    assert back.geometry.isna().tolist()[9] and back.geometry.iloc[10].is_empty
    empty = lake.write(frame.iloc[:0], "gold", "none")
    assert lake.read("gold", "none").empty and list(lake.read("gold", "none").columns) == list(want.columns)
    assert empty.exists()


def test_geo_row_groups_written_one_at_a_time_are_geopandas_file(tmp_path, monkeypatch):
    """A geometry-heavy table converted to WKB one row group at a time is the file geopandas
    writes whole, byte for byte: two geometry columns (two CRSs), mixed geometry types, a
    null, an empty, a last row group shorter than the others, a non-default index."""
    import pipelines.lake as lake_module

    monkeypatch.setattr(lake_module, "GEO_ROW_GROUP_BYTES", 1600)
    shapes = [shapely.Point(5.0 + k / 10, 50.5).buffer(0.01 * (k + 1), quad_segs=2 + k) for k in range(8)]
    geometry = [*shapes, shapely.MultiPolygon(shapes[:2]), None, shapely.Polygon()]
    frame = gpd.GeoDataFrame(
        {"name": [f"z{k}" for k in range(11)], "share": [k / 7 for k in range(11)]},
        geometry=geometry, crs=4326, index=pd.Index(range(100, 111)),
    )  # fmt: skip
    frame.insert(1, "centre", gpd.GeoSeries([g.centroid if g is not None else None for g in geometry], crs=31370, index=frame.index))
    rows = lake_module._geo_row_group_rows(frame)
    assert rows is not None and 11 % rows != 0
    ours = Lake(tmp_path).write(frame, "gold", "areas")
    theirs = tmp_path / "geopandas.parquet"
    frame.to_parquet(theirs, index=False, schema_version="1.1.0", write_covering_bbox=True, row_group_size=rows)
    assert pq.ParquetFile(ours).num_row_groups == -(-11 // rows)
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("budget", [200, 10**9])
def test_read_only_some_columns(tmp_path, monkeypatch, budget):
    """``columns`` reads those columns in that order, as the whole read would hold them:
    a GeoDataFrame while one geometry column is among them (its CRS kept, the first geometry
    asked for active when the primary is left out), a plain DataFrame without any; an unknown
    column is an error that names it; plain Parquet tables too."""
    import pipelines.lake as lake_module

    monkeypatch.setattr(lake_module, "GEO_ROW_GROUP_BYTES", budget)
    lake = Lake(tmp_path)
    geometry = [shapely.Point(5.0 + k / 10, 50.5).buffer(0.01 * (k + 1)) for k in range(6)] + [None]
    frame = gpd.GeoDataFrame({"name": [f"z{k}" for k in range(7)], "n": range(7)}, geometry=geometry, crs=4326)
    frame.insert(1, "centre", gpd.GeoSeries([g.centroid if g is not None else None for g in geometry], crs=31370))
    lake.write(frame, "gold", "areas")
    whole = lake.read("gold", "areas")

    attrs = lake.read("gold", "areas", columns=["n", "name"])
    assert type(attrs) is pd.DataFrame
    pd.testing.assert_frame_equal(attrs, pd.DataFrame(whole[["n", "name"]]))

    some = lake.read("gold", "areas", columns=["n", "geometry"])
    assert isinstance(some, gpd.GeoDataFrame) and some.geometry.name == "geometry" and some.crs == whole.crs
    pd.testing.assert_frame_equal(some, whole[["n", "geometry"]])

    centre = lake.read("gold", "areas", columns=["centre", "name"])
    assert isinstance(centre, gpd.GeoDataFrame) and centre.geometry.name == "centre" and centre.crs.to_epsg() == 31370
    assert shapely.equals_exact(centre["centre"].to_numpy()[:6], whole["centre"].to_numpy()[:6], 0).all()

    with pytest.raises(KeyError, match="no column 'height'"):
        lake.read("gold", "areas", columns=["n", "height"])
    lake.write(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "silver", "plain")
    assert lake.read("silver", "plain", columns=["b"]).to_dict("list") == {"b": ["x", "y"]}
    assert list(lake.read("gold", "areas", columns=[]).columns) == []


def test_daily_partitions_and_unknown_layer(tmp_path):
    lake = Lake(tmp_path)
    lake.write(pd.DataFrame({"a": [1]}), "bronze", "c", "2026-10-25")
    lake.write(pd.DataFrame({"a": [2]}), "bronze", "c", "2026-10-26")
    assert lake.read_days("bronze", "c")["a"].tolist() == [1, 2]
    with pytest.raises(ConfigError, match="unknown layer"):
        lake.table_path("platinum", "x")


def test_object_storage_root_is_a_uri(monkeypatch):
    from pipelines.lake import data_root_from_env

    monkeypatch.setenv("SMARTCOMMERCE_DATA", "s3://bucket/some/prefix/")
    root = data_root_from_env()
    assert root == "s3://bucket/some/prefix"
    lake = Lake(root)
    assert lake.remote
    assert lake.table_path("silver", "x") == "s3://bucket/some/prefix/lake/silver/x.parquet"
    assert lake.glob("silver", "c") == "s3://bucket/some/prefix/lake/silver/c/day=*/part.parquet"
    assert lake.exports == "s3://bucket/some/prefix/exports"
    with pytest.raises(ConfigError, match="names no bucket"):
        Lake("s3:///nobucket")


def test_s3_settings_from_the_standard_variables(monkeypatch):
    from pipelines.lake import s3_settings

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert s3_settings() == {"region": "eu-west-1", "endpoint": "127.0.0.1:8333", "scheme": "http"}
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert s3_settings()["endpoint"] == ""


def test_days_listing_and_landing_listing(tmp_path):
    lake = Lake(tmp_path)
    assert lake.days("bronze", "c") == [] and lake.read_days("bronze", "c").empty
    lake.write(pd.DataFrame({"a": [2]}), "bronze", "c", "2026-10-26")
    lake.write(pd.DataFrame({"a": [1]}), "bronze", "c", "2026-10-25")
    assert lake.days("bronze", "c") == ["2026-10-25", "2026-10-26"]
    (tmp_path / "landing" / "wifi").mkdir(parents=True)
    (tmp_path / "landing" / "wifi" / "2026-10-25.csv").write_text("x\n")
    assert list(lake.landing_listing()) == ["wifi/2026-10-25.csv"]
    assert lake.landing == tmp_path / "landing"


def test_sweep_removes_only_stale_temporaries(tmp_path):
    """A killed run's temporary files are removed on the next run; a running writer's (young)
    temporary file and every real file stay."""
    import os
    import time

    from pipelines.lake import Lake

    lake = Lake(tmp_path)
    lake.write(pd.DataFrame({"a": [1]}), "gold", "t")
    folder = tmp_path / "lake" / "gold"
    stale = folder / ".t.abc123.tmp.parquet"
    young = folder / ".t.def456.tmp.parquet"
    stale_export = tmp_path / "exports" / "reports" / ".52812.x.tmp.html"
    stale_export.parent.mkdir(parents=True)
    stale_warehouse = tmp_path / ".warehouse.q1.tmp.duckdb"
    for path in (stale, young, stale_export, stale_warehouse):
        path.write_bytes(b"partial")
    old = time.time() - 7200
    for path in (stale, stale_export, stale_warehouse):
        os.utime(path, (old, old))
    gone = lake.sweep_temporaries()
    assert gone == sorted(["lake/gold/.t.abc123.tmp.parquet", "exports/reports/.52812.x.tmp.html", ".warehouse.q1.tmp.duckdb"])
    assert young.exists() and (folder / "t.parquet").exists()
    assert lake.read("gold", "t")["a"].tolist() == [1]


@pytest.mark.parametrize("geo", [False, True])
def test_frame_attrs_are_not_published(tmp_path, geo):
    """Readers keep the landing path in ``attrs``; pandas would store it in the Parquet
    metadata of the lake table (a local path in a published file)."""
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    if geo:
        frame = gpd.GeoDataFrame(frame, geometry=shapely.points([0, 1], [0, 1]), crs=4326)
    frame.attrs["source_file"] = "/home/someone/landing/kbo/establishment.csv"
    path = Lake(tmp_path).write(frame, "bronze", "t")
    metadata = b"".join(pq.read_schema(path).metadata.values())
    assert b"/home/someone" not in metadata
    assert frame.attrs["source_file"].startswith("/home")  # the caller's frame is untouched
    assert pq.read_table(path).num_rows == 2


def test_exports_written_from_bytes_stay_under_exports(tmp_path):
    lake = Lake(tmp_path / "data")
    written = lake.write_exports({"reports/index.html": b"<p>index</p>", "scores.csv": b"a\r\n1\r\n"})
    assert written == {"reports/index.html": tmp_path / "data" / "exports" / "reports" / "index.html",
                       "scores.csv": tmp_path / "data" / "exports" / "scores.csv"}
    assert written["scores.csv"].read_bytes() == b"a\r\n1\r\n"
    for name in ("../escape.html", "/tmp/escape.html", "reports//x.html", "reports/./x.html", "reports\\x.html", "", "reports/"):
        with pytest.raises(ConfigError):
            lake.write_exports({name: b"x"})
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "data/exports/reports/index.html", "data/exports/scores.csv"]


def test_latest_days_are_calendar_days_up_to_the_newest():
    from pipelines.lake import latest_days

    days = ["2025-01-01", "2026-02-27", "2026-03-01", "2026-03-27", "2026-03-28"]
    assert latest_days(days, 28) == ["2026-03-01", "2026-03-27", "2026-03-28"]  # 2026: no 29 February
    assert latest_days(days, 1) == ["2026-03-28"]
    assert latest_days(days, 10_000) == days
    assert latest_days([], 28) == [] and latest_days(days, 0) == []


def test_every_write_gives_freed_memory_back(tmp_path, monkeypatch):
    import platform

    import pipelines.lake as lake_module

    calls = []
    monkeypatch.setattr(lake_module, "release_memory", lambda: calls.append(1))
    lk = Lake(tmp_path)
    lk.write(pd.DataFrame({"a": [1, 2]}), "silver", "numbers")
    lk.write_with(lambda path: pd.DataFrame({"a": [3]}).to_parquet(path), "silver", "more")
    assert len(calls) == 2 and lk.read("silver", "more")["a"].tolist() == [3]
    monkeypatch.undo()  # the real one: glibc's malloc_trim where the C library is glibc
    assert (lake_module._malloc_trim() is not None) == (platform.libc_ver()[0] == "glibc")
    assert lake_module.release_memory() is None


def test_memory_is_released_at_most_once_a_second(monkeypatch):
    import pipelines.lake as lake_module

    trims = []
    monkeypatch.setattr(lake_module, "_malloc_trim", lambda: trims.append)
    monkeypatch.setattr(lake_module, "_released_at", [float("-inf")])
    clock = [1000.0]
    monkeypatch.setattr(lake_module.time, "monotonic", lambda: clock[0])
    for _ in range(5):  # a burst of daily files: one release
        lake_module.release_memory()
    clock[0] += lake_module.RELEASE_EVERY_S
    lake_module.release_memory()
    assert trims == [0, 0]


def test_release_at_a_step_start_frees_garbage_in_reference_cycles():
    """A frame kept alive only by a reference cycle is freed by ``release_memory(force=True)``
    (what every step calls before it reads), not at the collector's next pass."""
    import gc
    import weakref

    from pipelines.lake import release_memory

    class Holder:
        pass

    enabled = gc.isenabled()
    gc.disable()
    try:
        holder = Holder()
        holder.frame = pd.DataFrame({"a": range(1000)})
        holder.me = holder  # the cycle
        alive = weakref.ref(holder)
        del holder
        assert alive() is not None
        release_memory(force=True)
        assert alive() is None
    finally:
        if enabled:
            gc.enable()
