"""Online-journey indicators from the merchant survey, hand-computed."""

import pandas as pd
import pytest

from pipelines.online.survey import INDICATORS, survey_indicators


def test_hand_computed_shares_and_not_computable_without_survey():
    survey = pd.DataFrame({
        "nis": ["92801"] * 3, "shop_id": ["a", "b", "c"],
        "webshop": pd.array([True, False, None], dtype="boolean"),  # c not asked: 1 of 2 answered
        "click_collect": pd.array([True, True, False], dtype="boolean"),
        "delivery": pd.array([None, None, None], dtype="boolean"),  # nobody asked: not computable
        "social_media": pd.array([True, True, True], dtype="boolean"),
        "marketplace": ["", "Ici Namur", ""], "vouchers": ["Cirklo", "Cirklo", ""], "loyalty": ["", "", ""],
        "reviews_count": pd.array([10, 0, 4], dtype="Int64"), "reviews_rating": pd.array([4.0, None, 3.0], dtype="Float64"),
    })
    shops = pd.DataFrame({"nis": ["92801"] * 4 + ["92813"] * 2, "shop_id": list("abcdef")})
    out = survey_indicators(survey, shops, ["92801", "92813"]).set_index(["nis", "indicator"])
    v = out["value"]
    assert v["92801", "survey_coverage"] == pytest.approx(75.0)  # 3 of 4 shops
    assert v["92801", "survey_webshop_share"] == pytest.approx(50.0)
    assert v["92801", "survey_click_collect_share"] == pytest.approx(200 / 3)
    assert out.loc[("92801", "survey_delivery_share"), "status"] == "not_computable"
    assert v["92801", "survey_marketplace_share"] == pytest.approx(100 / 3) and v["92801", "survey_vouchers_share"] == pytest.approx(200 / 3)
    assert v["92801", "survey_loyalty_share"] == 0.0 and v["92801", "survey_social_share"] == 100.0
    assert v["92801", "survey_reviews_median"] == 4.0 and v["92801", "survey_rating_mean"] == pytest.approx(3.5)
    other = out.loc["92813"]
    assert len(other) == len(INDICATORS) and (other["status"] == "not_computable").all() and other["value"].isna().all()
    assert all(n == ["merchant_survey"] for n in other["needs"])
