"""Any commune, any sources: the demo territory with optional sources removed, and with broken
files, still runs to the end; what cannot be computed says which source it needs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from pipelines import cli
from pipelines.demo import generate
from pipelines.lake import Lake

pytestmark = pytest.mark.slow

OPTIONAL = ("wifi", "counters", "od", "vouchers", "vacant")


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
    assert set(status[status == "missing"].index) == {"wifi", "counters", "od", "vouchers", "vacancy"}
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
