"""The merchant survey reader and its join to the shops (hand-made files)."""

import datetime as dt

import pandas as pd
import pytest

from pipelines.sources.merchant_survey import match_shops, read_merchant_survey

HEADER = "nis,shop_ref,shop_name,webshop,click_collect,delivery,marketplace,vouchers,loyalty,reviews_count,reviews_rating,social_media,surveyed_on\n"
GOOD = [
    "92801,2.837.672.345,Au Pain du Parc,oui,non,oui,,Cirklo,Joyn,42,\"4,5\",oui,2026-11-03",
    "92801,node/7999,Le Relais,non,,non,non,aucun,,0,,Non,2026-11-03",
]
TODAY = dt.date(2026, 12, 6)


def _write(tmp_path, lines, name="92801.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_rows_are_typed(tmp_path):
    result = read_merchant_survey(_write(tmp_path, GOOD), today=TODAY)
    assert result.balanced and result.quarantine.empty and len(result.table) == 2
    first, second = result.table.iloc[0], result.table.iloc[1]
    assert first["webshop"] and not first["click_collect"] and first["delivery"] and first["social_media"]
    assert pd.isna(second["click_collect"])  # empty = not asked, not "no"
    assert first["vouchers"] == "Cirklo" and first["loyalty"] == "Joyn" and second["vouchers"] == "" and second["marketplace"] == ""
    assert first["reviews_count"] == 42 and first["reviews_rating"] == 4.5 and first["surveyed_on"] == dt.date(2026, 11, 3)
    assert result.table["source_row"].tolist() == [1, 2]


def test_semicolon_export_is_read(tmp_path):
    path = _write(tmp_path, [GOOD[1].replace(",", ";")], header=HEADER.replace(",", ";"))
    result = read_merchant_survey(path, today=TODAY)
    assert len(result.table) == 1 and result.quarantine.empty


@pytest.mark.parametrize(("line", "reason"), [
    ("9280,node/1,,oui,oui,oui,,,,1,4,oui,2026-11-03", "malformed NIS"),
    ("92813,node/1,,oui,oui,oui,,,,1,4,oui,2026-11-03", "NIS of another commune (the file is 92801)"),
    ("92801,BE0123456789,,oui,oui,oui,,,,1,4,oui,2026-11-03", "malformed shop_ref"),
    ("92801,node/1,,peut-être,oui,oui,,,,1,4,oui,2026-11-03", "webshop is not oui/non"),
    ("92801,node/1,,oui,oui,oui,,,,-3,4,oui,2026-11-03", "reviews_count is not a whole number >= 0"),
    ("92801,node/1,,oui,oui,oui,,,,3,6,oui,2026-11-03", "reviews_rating outside 0-5"),
    ("92801,node/1,,oui,oui,oui,,,,0,4,oui,2026-11-03", "reviews_rating given with no review"),
    ("92801,node/1,,oui,oui,oui,,,,1,4,oui,03/11/2026", "surveyed_on is not a date"),
    ("92801,node/1,,oui,oui,oui,,,,1,4,oui,2027-01-01", "surveyed_on in the future"),
])
def test_bad_rows_are_quarantined_with_their_reason(tmp_path, line, reason):
    result = read_merchant_survey(_write(tmp_path, [GOOD[0], line]), today=TODAY)
    assert result.balanced and len(result.table) == 1
    assert result.quarantine["row_number"].tolist() == [2] and result.quarantine["reason"].iloc[0].startswith(reason)


def test_a_shop_surveyed_twice_keeps_its_first_row(tmp_path):
    result = read_merchant_survey(_write(tmp_path, [GOOD[0], GOOD[0]]), today=TODAY)
    assert len(result.table) == 1 and result.quarantine["reason"].tolist() == ["shop surveyed twice in the file"]


def test_missing_column_is_one_file_problem(tmp_path):
    result = read_merchant_survey(_write(tmp_path, ["92801,node/1"], header="nis,shop_ref\n"), today=TODAY)
    assert result.table.empty and result.balanced and result.quarantine["row_number"].tolist() == [0]


def test_unknown_shops_and_shops_elsewhere_are_quarantined(tmp_path):
    lines = [*GOOD, "92801,node/5555,,oui,oui,oui,,,,1,4,oui,2026-11-03"]
    survey = read_merchant_survey(_write(tmp_path, lines), today=TODAY).table
    shops = pd.DataFrame({"shop_id": ["kbo:2.837.672.345", "osm:node/7999"], "establishment_number": ["2.837.672.345", None],
                          "osm_id": ["node/7817", "node/7999"], "nis": ["92801", "92813"]})
    result = match_shops(survey, shops, "merchant_survey/92801.csv")
    assert result.balanced and result.table["shop_id"].tolist() == ["kbo:2.837.672.345"]
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [2, "shop of another commune"], [3, "unknown shop (not among the commune's KBO or OSM shops)"]]
