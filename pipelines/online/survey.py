"""Commune indicators of the online journey from the merchant survey, in the rows of
``gold.commune_indicators`` (``nis, district_id, indicator, value, unit, status, needs,
reference``).

A commune without a survey gets every indicator ``not_computable`` with
``needs = ["merchant_survey"]`` and no value (never imputed). Shares are computed among the
surveyed shops that answered the question (an empty answer is "not asked", not "no"); the
coverage says how many of the commune's shops were surveyed.

Not wired yet: the Canvas catalogue entries (``geodata/canvas/indicators.yaml``), their
references, thresholds and actions, and the asset that adds these rows, are the next step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NEEDS = ["merchant_survey"]


@dataclass(frozen=True)
class Indicator:
    code: str
    unit: str
    reference: str


INDICATORS = (
    Indicator("survey_coverage", "%", "Commerces enquêtés / commerces de la commune (silver.shops)"),
    Indicator("survey_webshop_share", "%", "Commerces enquêtés vendant en ligne (boutique en ligne)"),
    Indicator("survey_click_collect_share", "%", "Commerces enquêtés proposant le click & collect"),
    Indicator("survey_delivery_share", "%", "Commerces enquêtés livrant leurs clients"),
    Indicator("survey_marketplace_share", "%", "Commerces enquêtés présents sur une place de marché locale"),
    Indicator("survey_vouchers_share", "%", "Commerces enquêtés acceptant un chèque commerce local"),
    Indicator("survey_loyalty_share", "%", "Commerces enquêtés membres d'un programme de fidélité"),
    Indicator("survey_social_share", "%", "Commerces enquêtés actifs sur un réseau social"),
    Indicator("survey_reviews_median", "avis", "Nombre médian d'avis en ligne par commerce enquêté"),
    Indicator("survey_rating_mean", "/5", "Note moyenne des commerces enquêtés ayant au moins un avis"),
)
FLAGS = {"survey_webshop_share": "webshop", "survey_click_collect_share": "click_collect",
         "survey_delivery_share": "delivery", "survey_social_share": "social_media"}
LISTS = {"survey_marketplace_share": "marketplace", "survey_vouchers_share": "vouchers", "survey_loyalty_share": "loyalty"}


def _values(rows: pd.DataFrame, n_shops: int) -> dict[str, float]:
    out: dict[str, float] = {"survey_coverage": 100.0 * rows["shop_id"].nunique() / n_shops if n_shops else np.nan}
    for code, column in FLAGS.items():
        answered = rows[column].dropna()
        out[code] = 100.0 * float(answered.astype(bool).mean()) if len(answered) else np.nan
    for code, column in LISTS.items():
        out[code] = 100.0 * float((rows[column].fillna("") != "").mean()) if len(rows) else np.nan
    counts = rows["reviews_count"].dropna()
    out["survey_reviews_median"] = float(counts.median()) if len(counts) else np.nan
    rated = rows[rows["reviews_count"].fillna(0) > 0]["reviews_rating"].dropna()
    out["survey_rating_mean"] = float(rated.mean()) if len(rated) else np.nan
    return out


def survey_indicators(survey: pd.DataFrame, shops: pd.DataFrame, communes: list[str]) -> pd.DataFrame:
    """One row per commune and indicator; ``survey`` is the output of
    :func:`pipelines.sources.merchant_survey.match_shops` (rows with ``shop_id``)."""
    survey = survey.assign(nis=survey["nis"].astype(str)) if len(survey) else survey
    n_shops = shops.assign(nis=shops["nis"].astype(str)).groupby("nis")["shop_id"].nunique() if len(shops) else pd.Series(dtype=int)
    rows = []
    for nis in communes:
        own = survey[survey["nis"] == nis] if len(survey) else survey
        held = len(own) > 0
        values = _values(own, int(n_shops.get(nis, 0))) if held else {}
        for ind in INDICATORS:
            value = values.get(ind.code, np.nan)
            status = "computed" if held and value == value else "not_computable"
            rows.append({"nis": nis, "district_id": pd.NA, "indicator": ind.code, "value": value if status == "computed" else np.nan,
                         "unit": ind.unit, "status": status, "needs": [] if held else list(NEEDS), "reference": ind.reference})
    return pd.DataFrame(rows).astype({"nis": "string", "district_id": "string", "indicator": "string", "unit": "string",
                                      "status": "string", "reference": "string", "value": "float64"})
