"""Every commune gets an audit: a hand-made village (tests/fixtures/village, not generated)
with one commune, one statistical sector, one shop, no bus stop and no shopping district
runs to the end, and its report says what could and could not be judged.

The fixture holds only the two required families (boundaries, OSM) and the sectors: no KBO,
GTFS, sensors, OD, vouchers or vacancy register. About 30-50 s.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path

import pytest
from report_text import map_svgs, slips, street_names

from assets import cli
from pipelines.lake import Lake

pytestmark = pytest.mark.slow
VILLAGE = Path(__file__).resolve().parents[1] / "fixtures" / "village"


@pytest.fixture(scope="module")
def village(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("village")
    shutil.copytree(VILLAGE, root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["--data", str(root), "run"]) == 0  # every step and every check passed
    return Lake(root)


def _text(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_village_has_no_district_and_still_gets_gold(village):
    assert len(village.read("silver", "shops")) == 1
    assert len(village.read("silver", "stops")) == 0
    assert len(village.read("silver", "sectors")) == 1
    districts = village.read("gold", "districts")
    assert len(districts) == 0 and {"district_id", "nis", "n_shops", "geometry"} <= set(districts.columns)
    for table in ("isochrones", "huff", "catchment", "catchment_comparison"):
        assert len(village.read("gold", table)) == 0, table
    canvas = village.read("gold", "canvas")
    assert set(canvas["nis"]) == {"61990"} and (canvas["status"] == "computed").any()


def test_the_village_report_says_what_could_and_could_not_be_judged(village):
    page = (village.exports / "reports" / "61990.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "Sartinvaux" in text and "Plan d'action" in text
    assert "Aucun noyau commercial" in text  # why the district indicators are missing
    assert "Ce qui a pu être jugé" in text and "Ce qui n'a pas pu être jugé" in text
    maps = map_svgs(page)
    assert len(maps) == 4 and all("Rue du Village" in street_names(m) for m in maps)  # its own streets
    assert all("Sartinvaux" in m and "Les Forges" in m for m in maps)  # its OSM place names
    assert slips(page) == []
