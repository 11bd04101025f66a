"""Any commune, any sources: the demo territory with optional sources removed, and with broken
files, still runs to the end; what cannot be computed says which source it needs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from assets import cli
from pipelines.demo import generate
from pipelines.lake import Lake

pytestmark = pytest.mark.slow

OPTIONAL = ("wifi", "counters", "od", "vouchers", "vacant", "survey")


@pytest.fixture(scope="module")
def open_data_only(tmp_path_factory) -> Lake:
    """The demo landing zone without WiFi, counters, OD, vouchers and vacancy: open data only."""
    root = tmp_path_factory.mktemp("open_data_only")
    generate(root / "landing", seed=42, days=2)
    for folder in OPTIONAL:
        shutil.rmtree(root / "landing" / folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["--data", str(root), "run"]) == 0
    return Lake(root)


def test_missing_sources_are_recorded(open_data_only):
    status = open_data_only.read("bronze", "source_status").set_index("source")["status"]
    assert set(status[status == "missing"].index) == {"wifi", "counters", "od", "vouchers", "vacancy", "survey", "districts", "typology"}
    assert status[["boundaries", "sectors", "osm", "gtfs", "kbo", "addresses", "parking"]].eq("held").all()


def test_gold_is_filled_for_every_commune(open_data_only):
    lk = open_data_only
    communes = set(lk.read("silver", "communes")["nis"])
    assert len(communes) == 10
    assert set(lk.read("gold", "h3_cells")["nis"]) == communes
    districts = lk.read("gold", "districts")
    assert set(districts["nis"]) == communes
    for table in ("isochrones", "huff"):
        frame = lk.read("gold", table)
        assert len(frame) > 0 and set(frame["district_id"]) == set(districts["district_id"]), table
    indicators = lk.read("gold", "commune_indicators")
    assert set(indicators["nis"].dropna()) == communes


def test_indicators_that_need_a_missing_source_say_which(open_data_only):
    rows = open_data_only.read("gold", "commune_indicators")
    assert {"status", "needs"} <= set(rows.columns)
    blocked = rows[rows["status"] == "not_computable"]
    assert len(blocked) > 0
    assert blocked["value"].isna().all()  # never imputed
    needs = {n for row in blocked["needs"] for n in row}
    assert needs and needs <= {"wifi", "counters", "od", "vouchers", "vacancy"}
    computed = rows[rows["status"] == "computed"]
    assert len(computed) > 0 and all(len(n) == 0 for n in computed["needs"])


def test_empty_optional_tables_are_typed(open_data_only):
    frame = open_data_only.read("bronze", "wifi_sensors")
    assert len(frame) == 0 and "sensor_id" in frame.columns
    assert pd.api.types.is_float_dtype(frame["lon"])


def _append(path, line: bytes) -> None:
    data = path.read_bytes()
    path.write_bytes(data + (b"" if data.endswith(b"\n") else b"\n") + line)


BROKEN_ROWS = {
    # marker: (landing file, raw line appended to it)
    "BROKEN01": ("kbo/activity.csv", b'"0281.405.413","001","2008","4771\xff1","BROKEN01"\n'),
    "BROKEN02": ("kbo/enterprise.csv", b'"BROKEN02","AC","000"\n'),
    "BROKEN03": ("wifi/counts/2026-10-12.csv", b"wifi-BROKEN03,2026-10-12T10:00:00+02:00,-5\n"),
    "BROKEN04": ("wifi/sensors.csv", b"wifi-BROKEN04,92801,Nowhere\n"),
    "BROKEN05": ("od/2026-10-12.csv", b"2026-10-12T10:00:00+02:00;92801A00-;BROKEN05;many\n"),
    "BROKEN06": ("vouchers/transactions/2026-10-12.csv", b"BROKEN06,M00001,2026-10-12T10:00:00,12.50,5800,92801A00-\n"),
    "BROKEN07": ("vouchers/merchants.csv", b"BROKEN07,Far Away,2.837.672.399,92801,-74.0060,40.7128,bakery\n"),
    "BROKEN08": ("vacant/vacant_cells.csv", b"BROKEN08,92801,Somewhere,50.4468113,4.9022102,51,vacant,2025-10-01\n"),
    "BROKEN09": ("counters/counters.csv", b"BROKEN09,92801,Counter,pedestrian,not-a-number,50.44\n"),
    "BROKEN10": ("od/2026-10-13.csv", b"2026-10-13T10:00:00+02:00;92801A00-;92801A01-;BROKEN10;7\n"),
    "BROKEN11": ("vouchers/transactions/2026-10-13.csv", b"BROKEN11,M00001,yesterday,12.50,5800,92801A00-\n"),
    "BROKEN12": ("wifi/counts/2026-10-13.csv", b"wifi-92801-01,BROKEN12,3\n"),
}
EMPTY_DAILY = "counters/ped-52812-1/2026-10-13.csv"


@pytest.fixture(scope="module")
def broken_inputs(tmp_path_factory) -> Lake:
    """The demo landing zone with a dozen broken rows in different sources and an empty day."""
    root = tmp_path_factory.mktemp("broken")
    generate(root / "landing", seed=42, days=2)
    for relpath, line in BROKEN_ROWS.values():
        _append(root / "landing" / relpath, line)
    (root / "landing" / EMPTY_DAILY).write_bytes(b"")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["--data", str(root), "run"]) == 0  # every step and check passed
    return root


def _quarantine(root) -> pd.DataFrame:
    parts = [pd.read_parquet(p) for p in (root / "lake" / "bronze" / "quarantine").rglob("*.parquet") if not p.name.startswith(".")]
    return pd.concat(parts, ignore_index=True)


def test_every_broken_row_is_quarantined_with_its_file_and_row(broken_inputs):
    quarantine = _quarantine(broken_inputs)
    for marker, (relpath, _line) in BROKEN_ROWS.items():
        rows = quarantine[quarantine["raw"].str.contains(marker, na=False)]
        assert len(rows) == 1, (marker, relpath)
        assert rows["source_file"].iloc[0] == relpath, (marker, rows["source_file"].iloc[0])  # landing-relative
        assert rows["row_number"].iloc[0] >= 1 and rows["reason"].iloc[0], marker


def test_the_empty_daily_file_is_a_file_level_row_and_its_day_goes_on(broken_inputs):
    quarantine = _quarantine(broken_inputs)
    rows = quarantine[quarantine["source_file"] == EMPTY_DAILY]
    assert len(rows) == 1 and rows["row_number"].iloc[0] == 0 and "empty" in rows["reason"].iloc[0]
    counts = pd.read_parquet(broken_inputs / "lake" / "bronze" / "counter_counts" / "day=2026-10-13" / "part.parquet")
    assert counts["counter_id"].nunique() > 1  # the other counters of that day were read


def test_gold_is_complete_despite_the_broken_rows(broken_inputs):
    lk = Lake(broken_inputs)
    communes = set(lk.read("silver", "communes")["nis"])
    assert len(communes) == 10
    assert set(lk.read("gold", "h3_cells")["nis"]) == communes
    indicators = lk.read("gold", "commune_indicators")
    assert set(indicators["nis"].dropna()) == communes
    assert (indicators["status"] == "computed").sum() > 0
    assert lk.warehouse.exists()


def test_a_territory_twice_the_demo_runs_to_the_end(tmp_path, monkeypatch):
    """A generated region of 20 communes (the demo has 10), its OSM as PBF, two days."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    root = tmp_path / "region"
    assert cli.main(["generate", "--data", str(root), "--communes", "20", "--days", "2", "--osm-pbf"]) == 0
    (root / "landing" / "osm" / "territory.osm").unlink()  # the PBF alone, as Geofabrik delivers it
    assert cli.main(["run", "--data", str(root)]) == 0  # every step and every check passed
    lk = Lake(root)
    communes = set(lk.read("silver", "communes")["nis"])
    assert len(communes) == 20
    assert set(lk.read("gold", "h3_cells")["nis"]) == communes
    assert set(lk.read("gold", "commune_indicators")["nis"].dropna()) == communes
    assert set(lk.read("gold", "canvas")["nis"]) == communes
