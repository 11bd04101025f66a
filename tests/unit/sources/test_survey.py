"""The merchant survey reader: hand-made rows, each bad value quarantined with its reason."""

from __future__ import annotations

from pipelines import tables
from pipelines.sources.registry import bronze_assets
from pipelines.sources.survey import read_survey

HEADER = "shop_ref,webshop,click_collect,delivery,marketplace,vouchers,loyalty,social,reviews_count,rating,surveyed_on\n"


def _write(tmp_path, rows: str, name: str = "92801.csv"):
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_good_rows_are_typed(tmp_path):
    path = _write(tmp_path, (
        "2.837.672.345,oui,non,,Ma Ville Shop,Cirklo; ,Joyn,facebook;instagram,12,\"4,5\",2026-10-01\n"
        "osm:node/7817,NON,x,yes,,,,,0,,2026-10-02\n"
    ))
    result = read_survey(path)
    assert result.balanced and len(result.table) == 2 and result.quarantine.empty
    t = result.table
    assert t["shop_ref"].tolist() == ["2.837.672.345", "node/7817"]
    assert t["webshop"].tolist() == [True, False] and t["click_collect"].tolist() == [False, True]
    assert t["delivery"].tolist() == [False, True]
    assert t["vouchers"].iloc[0] == "Cirklo" and t["social"].iloc[0] == "facebook;instagram"
    assert t["reviews_count"].tolist() == [12, 0] and t["rating"].iloc[0] == 4.5
    assert t["nis"].tolist() == ["92801", "92801"]


def test_bad_rows_are_quarantined_with_their_reason(tmp_path):
    path = _write(tmp_path, (
        ",oui,non,non,,,,,0,,2026-10-01\n"
        "shop 12,oui,non,non,,,,,0,,2026-10-01\n"
        "node/1,peut-être,non,non,,,,,0,,2026-10-01\n"
        "node/2,oui,non,non,,,,,-3,,2026-10-01\n"
        "node/3,oui,non,non,,,,,4,7,2026-10-01\n"
        "node/4,oui,non,non,,,,,0,4,2026-10-01\n"
        "node/5,oui,non,non,,,,,2.5,,2026-10-01\n"
        "node/6,oui,non,non,,,,,1,3,01/10/2026\n"
        "node/7,oui,non,non,,,,,1,3,2026-10-01\n"
        "node/7,non,non,non,,,,,1,3,2026-10-02\n"
    ))
    result = read_survey(path)
    assert result.balanced and result.rows_in == 10
    assert result.table["shop_ref"].tolist() == ["node/7"]
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert reasons[1] == "missing shop_ref"
    assert reasons[2].startswith("malformed shop_ref")
    assert reasons[3] == "webshop is not a yes/no answer (oui/non)"
    assert reasons[4] == "negative reviews_count"
    assert reasons[5] == "rating outside 0-5"
    assert reasons[6].startswith("rating without any review")
    assert reasons[7] == "reviews_count is not an integer"
    assert reasons[8].startswith("bad surveyed_on")
    assert reasons[10] == "duplicate shop_ref"


def test_the_registry_reads_every_commune_file_and_types_an_absent_survey(tmp_path):
    bronze = next(b for b in bronze_assets() if b.name == "merchant_survey")
    empty = tables.read_bronze(bronze, tmp_path)["merchant_survey"]
    assert empty.table.empty and list(empty.table.columns) == tables.columns("merchant_survey")
    (tmp_path / "survey").mkdir()
    _write(tmp_path / "survey", "node/1,oui,non,non,,,,,0,,2026-10-01\n", "92801.csv")
    _write(tmp_path / "survey", "node/2,non,non,non,,,,,0,,2026-10-01\n", "61857.csv")
    both = tables.read_bronze(bronze, tmp_path)["merchant_survey"]
    assert both.balanced and sorted(both.table["nis"]) == ["61857", "92801"]
    assert list(both.table.columns) == tables.columns("merchant_survey")
