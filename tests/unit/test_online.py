"""The online journey: the survey matched to the shops, and its indicators computed by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.online import INDICATORS, OSM_INDICATORS, match_survey, online_journey


def _shops():
    return pd.DataFrame({
        "shop_id": ["kbo:1", "kbo:2", "osm:node/3", "kbo:4", "kbo:5"],
        "establishment_number": ["2.000.000.001", "2.000.000.002", None, "2.000.000.004", "2.000.000.005"],
        "osm_id": [None, "node/2", "node/3", None, None],
        "nis": ["11111", "11111", "11111", "11111", "22222"],
        "category": ["food"] * 5,
        "social": ["facebook", None, "facebook;instagram", None, None],
        "payment": ["cash;cards", None, None, None, None],
        "delivery": ["yes", "no", None, None, None],
        "takeaway": [None, "only", "yes", None, None],
        "check_date": ["2026-01-10", "2023-05-01", "not a date", None, None],
    })  # fmt: skip


def _survey():
    return pd.DataFrame({
        "shop_ref": ["2.000.000.001", "node/2", "node/3", "9.999.999.999"],
        "webshop": [True, False, True, True], "click_collect": [False, False, True, False],
        "delivery": [True, False, False, False], "marketplace": ["Ma Ville", None, None, None],
        "vouchers": ["Cirklo", "Cirklo", None, None], "loyalty": [None, None, None, None],
        "social": ["facebook", None, "instagram", None], "reviews_count": [10, 0, 2, 0],
        "rating": [4.0, float("nan"), 5.0, float("nan")],
        "surveyed_on": pd.to_datetime(["2026-09-01"] * 4).date, "nis": ["11111"] * 4,
        "source_file": ["survey/11111.csv"] * 4, "source_row": [1, 2, 3, 4],
    })  # fmt: skip


def test_survey_rows_match_by_kbo_number_or_osm_id_and_unknown_ones_are_quarantined():
    matched, quarantine = match_survey(_survey(), _shops())
    assert matched["shop_id"].tolist() == ["kbo:1", "kbo:2", "osm:node/3"]
    assert len(quarantine) == 1 and "9.999.999.999" in quarantine["raw"].iloc[0]
    assert quarantine["reason"].iloc[0].startswith("shop_ref matches no shop")
    assert quarantine[["source_file", "row_number"]].values.tolist() == [["survey/11111.csv", 4]]


def test_indicators_by_hand():
    matched, _ = match_survey(_survey(), _shops())
    communes = pd.DataFrame({"nis": ["11111", "22222"]})
    out = online_journey(matched, _shops(), communes, as_of=date(2026, 12, 6))
    assert all(c.passed for c in out.checks)
    v = out.frame[out.frame["nis"] == "11111"].set_index("indicator")["value"]
    assert v["online_survey_coverage"] == pytest.approx(100 * 3 / 4)  # 3 of the commune's 4 shops
    assert v["online_webshop_share"] == pytest.approx(100 * 2 / 3)
    assert v["online_click_collect_share"] == pytest.approx(100 / 3)
    assert v["online_marketplace_share"] == pytest.approx(100 / 3)
    assert v["online_voucher_share"] == pytest.approx(200 / 3)
    assert v["online_loyalty_share"] == 0
    assert v["online_reviewed_share"] == pytest.approx(100 / 3)  # 10 reviews >= 5; 2 < 5
    assert v["online_mean_rating"] == pytest.approx((4.0 * 10 + 5.0 * 2) / 12)
    assert v["online_social_share"] == pytest.approx(200 / 3)
    # OSM, over the commune's 4 shops: one checked since 2024-12-06, one with payment,
    # three that deliver or take away (delivery=yes; takeaway=only; takeaway=yes), two social
    assert v["online_osm_fresh_share"] == 25 and v["online_osm_payment_share"] == 25
    assert v["online_osm_delivery_share"] == 75 and v["online_osm_social_share"] == 50
    other = out.frame[out.frame["nis"] == "22222"].set_index("indicator")
    survey = other.loc[[i.code for i in INDICATORS]]
    assert set(survey["status"]) == {"not_computable"} and survey["value"].isna().all()
    assert all(n == ["survey"] for n in survey["needs"])
    osm = other.loc[[i.code for i in OSM_INDICATORS]]
    assert set(osm["status"]) == {"computed"} and osm["value"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_without_any_survey_everything_is_not_computable_with_its_need():
    empty = _survey().iloc[0:0]
    matched, quarantine = match_survey(empty, _shops())
    out = online_journey(matched, _shops(), pd.DataFrame({"nis": ["11111"]}))
    survey = out.frame[out.frame["indicator"].isin([i.code for i in INDICATORS])]
    assert quarantine.empty and set(survey["status"]) == {"not_computable"}
    assert out.metadata == {"communes_surveyed": 0, "shops_surveyed": 0}
