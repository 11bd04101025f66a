"""Hostile landing files and faults (issue 19): one test per class, from the demo landing zone.

Each test breaks the demo territory's landing zone (or the machine) in one way and asserts the
expected quarantine row or one-line error, and that the other sources still load through the
bronze loaders. Classes: rows that lie about their day, boundaries (self-intersecting commune,
Lambert 72 labelled WGS 84), spreadsheet exports, severities and exit codes, one-line faults,
probes read in bounded batches (same rows as the old reader).
"""

from __future__ import annotations

import errno
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assets import cli
from benchmarks.probes import read_probes_old
from pipelines import grid, tables
from pipelines.constants import DEMO_PSEUDONYM_KEY
from pipelines.demo import generate
from pipelines.exports import spreadsheet_safe, write_csv
from pipelines.quarantine import ReadResult
from pipelines.sources import counts_csv, od, statbel, vouchers, wifi
from pipelines.sources.registry import bronze_assets
from pipelines.timeutil import day_problems, file_day

ROOT = Path(__file__).resolve().parents[2]
BRONZE = {b.name: b for b in bronze_assets()}
KEY = DEMO_PSEUDONYM_KEY.encode()
KEY = b"hostile-test-key"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing, seed=42, days=2)
    return landing


@pytest.fixture
def landing(demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(demo, copy)
    return copy


def _days(landing: Path) -> list[str]:
    return sorted(p.stem for p in (landing / "wifi" / "counts").glob("*.csv"))


def _daily(landing: Path, day: str) -> dict[str, ReadResult]:
    out: dict[str, ReadResult] = {}
    for asset in (b for b in BRONZE.values() if b.daily):
        out.update(tables.read_bronze(asset, landing, day, KEY) or {})
    return out


def _assert_other_daily_sources_load(landing: Path, day: str, broken: str) -> None:
    for name, result in _daily(landing, day).items():
        assert result.balanced, name
        if name != broken:
            assert len(result.table) > 0, name


# -- 1. rows that lie about their day ------------------------------------------------------


def test_rows_of_another_day_or_implausible_dates_are_quarantined(landing: Path) -> None:
    first, second = _days(landing)[:2]
    counts = landing / "wifi" / "counts"
    borrowed = (counts / f"{second}.csv").read_text().splitlines()[1]  # a sensor-hour of day 2
    sensor = borrowed.split(",")[0]
    with open(counts / f"{first}.csv", "a", encoding="utf-8") as out:
        out.write(borrowed + "\n")
        out.write(f"{sensor},2031-10-12T10:00:00+02:00,40\n")
        out.write(f"{sensor},1999-10-12T10:00:00+02:00,40\n")
    day1 = _daily(landing, first)["wifi_counts"]
    reasons = day1.quarantine["reason"].tolist()
    stamp = borrowed.split(",")[1]
    assert f"timestamp on local day {second}, not the file's day {first}: {stamp}" in reasons
    assert any(r.startswith("implausible timestamp (after the run date + 1 day, ") and r.endswith("2031-10-12T10:00:00+02:00") for r in reasons)
    assert "implausible timestamp (before 2000-01-01): 1999-10-12T10:00:00+02:00" in reasons
    assert day1.balanced and (day1.table["day"] == first).all()
    # the duplicate sensor-hour that made footfall_hourly fail cannot reach the lake any more
    both = pd.concat([day1.table, _daily(landing, second)["wifi_counts"].table])
    assert not both.duplicated(["sensor_id", "ts"]).any()
    _assert_other_daily_sources_load(landing, first, "wifi_counts")


@pytest.mark.parametrize(
    ("folder", "sep", "column"),
    [("od", ";", 0), ("vouchers/transactions", ",", 2), ("counters/generic", ",", 1)],
)
def test_every_daily_reader_checks_the_day(landing: Path, folder: str, sep: str, column: int) -> None:
    first, second = _days(landing)[:2]
    files = landing / folder
    if not (files / f"{first}.csv").exists():
        files.mkdir(parents=True, exist_ok=True)
        (files / f"{first}.csv").write_text(f"counter_id,timestamp,count\nC1,{first}T10:00:00+02:00,3\n")
        (files / f"{second}.csv").write_text(f"counter_id,timestamp,count\nC1,{second}T10:00:00+02:00,3\n")
    line = (files / f"{second}.csv").read_text().splitlines()[1]
    if folder.startswith("vouchers"):
        line = "X" + line  # a new transaction id: only the day is wrong
    with open(files / f"{first}.csv", "a", encoding="utf-8") as out:
        out.write(line + "\n")
    reader = {"od": od.read_od, "vouchers/transactions": vouchers.read_transactions, "counters/generic": counts_csv.read_generic}[folder]
    result = reader(files / f"{first}.csv")
    last = result.quarantine.iloc[-1]
    assert last["reason"] == f"timestamp on local day {second}, not the file's day {first}: {line.split(sep)[column]}"
    assert result.balanced and len(result.table) > 0


def test_probes_of_another_day_are_quarantined(landing: Path) -> None:
    probes = sorted((landing / "wifi" / "probes").glob("*.csv"))[0]
    day = probes.stem
    with open(probes, "a", encoding="utf-8") as out:
        out.write("wifi-x,2030-01-01T10:00:00+01:00,aa:bb:cc:dd:ee:ff,-60\n")
    result = wifi.read_probes(probes, KEY)
    assert result.quarantine["reason"].iloc[-1].startswith("implausible timestamp (after the run date + 1 day")
    assert (result.table["day"] == day).all() and result.balanced


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-10-12", 24)])
def test_dst_days_keep_every_local_hour_and_only_those(tmp_path: Path, day: str, hours: int) -> None:
    start = pd.Timestamp(day).tz_localize("Europe/Brussels")
    stamps = [t.isoformat() for t in pd.date_range(start, periods=hours, freq="h").tz_convert("Europe/Brussels")]
    before = (start - pd.Timedelta(hours=1)).isoformat()
    after = (start + pd.Timedelta(hours=hours)).tz_convert("Europe/Brussels").isoformat()
    lines = ["sensor_id,timestamp,unique_devices", *(f"W1,{s},5" for s in [*stamps, before, after])]
    path = tmp_path / f"{day}.csv"
    path.write_text("\n".join(lines) + "\n")
    result = wifi.read_counts(path)
    assert len(result.table) == hours and (result.table["day"] == day).all()
    assert [r.split(",")[0] for r in result.quarantine["reason"]] == [
        f"timestamp on local day {(pd.Timestamp(day) - pd.Timedelta(days=1)).date()}",
        f"timestamp on local day {(pd.Timestamp(day) + pd.Timedelta(days=1)).date()}",
    ]


def test_file_day_and_plausible_range() -> None:
    assert file_day("od/2026-10-20.csv") == "2026-10-20"
    assert file_day("od/2026-02-30.csv") is None and file_day("transactions.csv") is None
    ts = pd.Series(pd.to_datetime(["2026-12-07T22:00:00Z", "2026-12-08T00:00:00Z"], utc=True))
    problems = day_problems(ts, pd.Series(["a", "b"]), None, today=pd.Timestamp("2026-12-06").date())
    assert pd.isna(problems.iloc[0])  # 23:00 local on the 7th: the run date + 1 day
    assert problems.iloc[1].startswith("implausible timestamp (after the run date + 1 day, 2026-12-07)")


# -- 2. boundaries -------------------------------------------------------------------------


def _figure_eight(polygon: shapely.Polygon) -> shapely.Polygon:
    ring = list(polygon.exterior.coords)[:-1]
    ring[10], ring[len(ring) // 2] = ring[len(ring) // 2], ring[10]
    return shapely.Polygon(ring)


def test_self_intersecting_commune_is_repaired_with_its_area_change_and_cells_stay_unique(landing: Path) -> None:
    path = landing / "statbel" / "communes.geojson"
    frame = gpd.read_file(path)
    frame.loc[0, "geometry"] = _figure_eight(frame.geometry.iloc[0])
    assert not frame.geometry.iloc[0].is_valid
    frame.to_file(path, driver="GeoJSON")
    result = tables.read_bronze(BRONZE["statbel_communes"], landing)["statbel_communes"]
    table = result.table
    assert len(table) == len(frame) and result.quarantine.empty and table.geometry.is_valid.all()
    change = table.set_index("nis")["repaired_area_change"]
    repaired = change[str(frame.iloc[0]["CD_MUNTY_REFNIS"])]
    assert np.isfinite(repaired) and repaired != 0
    assert change.drop(str(frame.iloc[0]["CD_MUNTY_REFNIS"])).isna().all()
    cells = grid.territory_cells(table)  # raised "Length of values ... does not match" before
    assert cells["h3"].is_unique
    assert cells["population"].sum() == pytest.approx(float(table["population"].sum()))
    sectors = tables.read_bronze(BRONZE["statbel_sectors"], landing)["statbel_sectors"]
    assert sectors.balanced and len(sectors.table) > 0


def test_covering_cells_of_touching_parts_are_unique() -> None:
    a = shapely.box(4.80, 50.40, 4.81, 50.41)
    b = shapely.box(4.81, 50.41, 4.82, 50.42)  # touches a at one corner
    cells = grid.covering_cells(shapely.MultiPolygon([a, b]))
    assert len(cells) == len(np.unique(cells))


def test_lambert72_labelled_wgs84_fails_at_bronze_in_one_line(landing: Path) -> None:
    path = landing / "statbel" / "communes.geojson"
    frame = gpd.read_file(path).to_crs(31370)
    data = json.loads(frame.to_json())
    data.pop("crs", None)  # GeoJSON without a crs member is WGS 84 by definition
    path.write_text(json.dumps(data))
    with pytest.raises(statbel.CRSMismatchError) as raised:
        tables.read_bronze(BRONZE["statbel_communes"], landing)
    message = str(raised.value)
    assert "\n" not in message
    assert str(path) in message and "declared CRS EPSG:4326" in message
    assert "likely CRS: EPSG:31370 (Belgian Lambert 72)" in message
    sectors = tables.read_bronze(BRONZE["statbel_sectors"], landing)["statbel_sectors"]
    assert sectors.balanced and len(sectors.table) > 0
    _assert_other_daily_sources_load(landing, _days(landing)[0], "")


def test_swapped_axes_are_named(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"nis": ["92094"]}, geometry=[shapely.box(50.40, 4.80, 50.45, 4.85)], crs=4326)
    with pytest.raises(statbel.CRSMismatchError, match="lat/lon written as lon/lat"):
        statbel.check_belgian_extent(frame, tmp_path / "x.geojson")


# -- 3. spreadsheet exports ----------------------------------------------------------------


def test_csv_exports_neutralise_formula_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "commune": ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1:A2)", "\tTab", "\rCR", "Namur", "-12,5"],
            "score": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, -8.0],
        }
    )
    path = write_csv(frame, tmp_path / "out.csv", encoding="utf-8")
    back = pd.read_csv(path, dtype={"commune": str})
    assert back["commune"].tolist()[:6] == ["'" + v for v in frame["commune"][:6]]
    assert back["commune"].tolist()[6:] == ["Namur", "-12,5"]  # plain text, a plain number
    assert back["score"].tolist() == frame["score"].tolist()  # numeric column untouched
    assert spreadsheet_safe(frame)["score"].dtype == frame["score"].dtype


def test_every_csv_writer_goes_through_write_csv() -> None:
    """No ``to_csv``/``COPY`` outside ``pipelines/exports.py`` and the demo's landing generator."""
    pattern = re.compile(r"\.to_csv\(|\bCOPY\b")
    offenders = []
    for path in [*ROOT.joinpath("pipelines").rglob("*.py"), *ROOT.joinpath("assets").rglob("*.py")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel == "pipelines/exports.py" or rel.startswith("pipelines/demo/"):
            continue
        offenders += [f"{rel}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


# -- 4. severities and exit codes ----------------------------------------------------------


class _Eval:
    def __init__(self, name: str, passed: bool, severity: object) -> None:
        import dagster as dg

        self.asset_key = dg.AssetKey(["gold", "footfall_hourly"])
        self.check_name = name
        self.passed = passed
        self.severity = severity


def test_warning_checks_do_not_fail_the_run() -> None:
    import dagster as dg

    checks = [
        _Eval("day_coverage", False, dg.AssetCheckSeverity.WARN),
        _Eval("unique_sensor_hour", True, dg.AssetCheckSeverity.ERROR),
    ]
    blocking, warnings = cli.check_failures(checks)
    assert blocking == [] and warnings == ["gold/footfall_hourly:day_coverage"]
    assert cli.RunOutcome([], warnings).exit_code == cli.EXIT_OK
    checks.append(_Eval("counts_non_negative", False, dg.AssetCheckSeverity.ERROR))
    blocking, _ = cli.check_failures(checks)
    assert blocking == ["gold/footfall_hourly:counts_non_negative"]
    assert cli.RunOutcome(blocking, warnings).exit_code == cli.EXIT_FAILED


def test_empty_daily_file_is_a_quarantined_gap_not_an_error(landing: Path) -> None:
    day = _days(landing)[0]
    (landing / "wifi" / "counts" / f"{day}.csv").write_bytes(b"")
    result = _daily(landing, day)["wifi_counts"]
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[0, "empty file"]]
    assert result.balanced  # the blocking bronze check passes; footfall's day_coverage warns
    _assert_other_daily_sources_load(landing, day, "wifi_counts")


# -- 5. one-line faults --------------------------------------------------------------------


def test_missing_dagster_home_is_one_line(landing: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    root = landing.parent
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "no-such-home"))
    assert cli.main(["run", "--data", str(root)]) == cli.EXIT_ENVIRONMENT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"DAGSTER_HOME={tmp_path / 'no-such-home'} does not exist" in err and "mkdir -p" in err


def test_read_only_data_folder_is_one_line(landing: Path, monkeypatch, capsys) -> None:
    root = landing.parent
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    logs = root / "logs"
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        # chmod does not stop root (the CI user here): refuse writes under the data root
        if self == logs or logs in self.parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert cli.main(["run", "--data", str(root)]) == cli.EXIT_ENVIRONMENT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err == f"smartcommerce run: error: permission denied: {logs}: make it writable for this user (or choose another --data root / DAGSTER_HOME) and run again"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/lake/bronze/x.parquet"),
         "disk full while writing /data/lake/bronze/x.parquet: free space on the file system of /data/lake/bronze"),
        (RuntimeError("(sqlite3.OperationalError) database or disk is full"),
         "disk full while writing /dh/storage: free space on the file system of /dh"),
        (OSError(errno.EROFS, "Read-only file system", "/data/lake"), "read-only file system: /data/lake: make it writable"),
        (OSError("When listing objects under key 'p/landing/' in bucket 'b': AWS Error NETWORK_CONNECTION during "
                 "ListObjectsV2 operation: curlCode: 7, Could not connect to server"),
         "object store unreachable at http://127.0.0.1:9 (When listing objects"),
    ],
)
def test_faults_become_one_line(exc: BaseException, expected: str, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", "/dh")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    wrapped = RuntimeError("step failed")
    wrapped.__cause__ = exc
    line = cli.fault_line(wrapped)
    assert line is not None and line.startswith(expected) and "\n" not in line
    assert cli.fault_line(ValueError("a bug")) is None  # a bug keeps its traceback


# -- 6. probes in bounded batches ----------------------------------------------------------

MESSY = (
    b"\xef\xbb\xbfsensor_id,timestamp,device_id,rssi\r\n"
    b"W1,2026-10-25T02:30:00+02:00,AA:BB:CC:00:11:22,-60\r\n"
    b"\r\n"
    b"W1,2026-10-25T02:30:00+01:00,aa-bb-cc-00-11-22,-61\r\n"
    b"W2,2026-10-25T03:00:00+01:00,AA:BB:CC:00:11:\xff3,-62\r\n"
    b"W2,2026-10-25T03:00:00+01:00,AA:BB:CC:00:11:24,-62,extra\r\n"
    b"W2,2026-10-26T03:00:00+01:00,AA:BB:CC:00:11:25,-62\r\n"
    b",2026-10-25T04:00:00+01:00,AA:BB:CC:00:11:26,-62\r\n"
    b"W3,2026-10-25T04:00:00,AA:BB:CC:00:11:27,-62\r\n"
    b"W3,2026-10-25T04:00:00+01:00,,-62\r\n"
    b"W3,2026-10-25T04:00:00+01:00,AA:BB:CC:00:11:28,-130\r\n"
    b"W3,2026-10-25T05:00:00+01:00,AA:BB:CC:00:11:29,-40\r\n"
    b"W3,2026-10-25T05:00:00+01:00,AA:BB"
)


@pytest.mark.parametrize("batch_bytes", [1, 64, 200, 1 << 20])
def test_streamed_probes_equal_the_old_reader(tmp_path: Path, batch_bytes: int) -> None:
    path = tmp_path / "2026-10-25.csv"
    path.write_bytes(MESSY)
    old = read_probes_old(path, KEY)
    new = wifi.read_probes(path, KEY, batch_bytes=batch_bytes)
    day_row = 5  # the 2026-10-26 row (the blank line is not a data row): only the new reader checks the file's day
    kept = old.table.drop(index=old.table.index[old.table["day"] != "2026-10-25"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(new.table, kept)
    q_new = new.quarantine.drop(columns="raw")
    q_old = old.quarantine.drop(columns="raw")
    assert q_new[q_new["row_number"] != day_row].reset_index(drop=True).equals(q_old.reset_index(drop=True))
    assert new.quarantine.loc[new.quarantine["row_number"] == day_row, "reason"].iloc[0].startswith(
        "timestamp on local day 2026-10-26, not the file's day 2026-10-25"
    )
    assert new.rows_in == old.rows_in and new.balanced
    assert set(new.quarantine["raw"]) >= {wifi.REDACTED} and not any("11:2" in r for r in new.quarantine["raw"])
    written = wifi.write_probes_parquet(path, KEY, tmp_path / "out.parquet", batch_bytes=batch_bytes)
    assert written.balanced and written.rows_accepted == len(new.table)
    back = pd.read_parquet(written.dest)
    assert back["device_hash"].tolist() == new.table["device_hash"].tolist()
    assert not list(tmp_path.glob(".*.tmp"))


NUL_LATE = MESSY.replace(b"\r\n\r\n", b"\r\n").replace(b"AA:BB:CC:00:11:29", b"AA:BB:CC:00:11:\x009")


@pytest.mark.parametrize(
    "data", [b"", b"sensor_id,timestamp,device_id,rssi\n", b"\x00\x01binary", b"a,b\n1,2\n", NUL_LATE]
)
def test_files_that_cannot_be_split_are_read_at_once_as_before(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "2026-10-25.csv"
    path.write_bytes(data)
    old, new = read_probes_old(path, KEY), wifi.read_probes(path, KEY, batch_bytes=8)
    assert new.quarantine.drop(columns="raw").equals(old.quarantine.drop(columns="raw"))
    keep = old.table["day"] == "2026-10-25" if len(old.table) else slice(None)
    pd.testing.assert_frame_equal(new.table, old.table[keep].reset_index(drop=True))
    written = wifi.write_probes_parquet(path, KEY, tmp_path / "out.parquet", batch_bytes=8)
    assert written.rows_accepted == len(new.table) and written.balanced
    assert pq_rows(written.dest) == len(new.table)


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def test_a_step_that_hits_a_full_disk_says_what_to_do() -> None:
    from types import SimpleNamespace

    from assets.runlog import _root_cause

    inner = SimpleNamespace(message="OSError: [Errno 28] No space left on device: '/d/lake/x.parquet'\n  File ...", cause=None)
    outer = SimpleNamespace(message="Error in step", cause=inner)
    assert _root_cause(outer) == (
        "OSError: [Errno 28] No space left on device: '/d/lake/x.parquet' (disk full: free space on that file system and run again)"
    )


def test_a_day_file_copied_under_another_days_name_is_not_counted_twice(landing: Path) -> None:
    """Twice kept out: the landing boundary refuses the copy as a duplicate (SHA-256) before any
    reader sees it, and the day rule alone would quarantine its rows (each names its own day)."""
    first, second = _days(landing)[:2]
    for folder in ("wifi/counts", "od"):
        shutil.copy(landing / folder / f"{first}.csv", landing / folder / f"{second}.csv")
    loaded = _daily(landing, second)
    assert "wifi_counts" not in loaded and "od_flows" not in loaded
    for name, reader, folder in (("wifi_counts", wifi.read_counts, "wifi/counts"), ("od_flows", od.read_od, "od")):
        result = reader(landing / folder / f"{second}.csv")
        assert len(result.table) == 0 and result.balanced, name
        assert result.quarantine["reason"].str.contains(f"not the file's day {second}").all(), name
