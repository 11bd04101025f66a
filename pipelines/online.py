"""The online half of the customer journey: the merchant survey matched to the shops, and the
indicators of buying and being recommended online per commune.

The journey runs from intention (being found: website, published opening hours, from OSM and
the survey), through purchase on any channel (webshop, click & collect, delivery, a local
marketplace, vouchers and loyalty schemes) to the review after the purchase (reviews, rating,
social networks). A commune without a survey gets every survey indicator
``not_computable`` with ``needs = ['survey']``; the OSM ones (social links, payment, delivery
or takeaway, and how recently mappers checked the shops) are computed for every commune with
shops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipelines.quarantine import empty_quarantine, quarantine_rows
from pipelines.results import Check, TableResult

FRESH_YEARS = 2
"""A shop whose OSM ``check_date`` is less than this many years old counts as checked recently."""
REVIEWED_MIN = 5
"""Reviews from which a shop counts as reviewed online (a handful of reviews already shows on
a map search result)."""


@dataclass(frozen=True)
class OnlineIndicator:
    code: str
    name_fr: str
    unit: str
    needs: tuple[str, ...]
    stage: str
    """intention | purchase | review: where in the online journey it sits."""


INDICATORS = (
    OnlineIndicator("online_survey_coverage", "Commerces interrogés par l'enquête", "%", ("survey",), "intention"),
    OnlineIndicator("online_webshop_share", "Commerces avec une boutique en ligne", "%", ("survey",), "purchase"),
    OnlineIndicator("online_click_collect_share", "Commerces proposant le click & collect", "%", ("survey",), "purchase"),
    OnlineIndicator("online_delivery_share", "Commerces qui livrent", "%", ("survey",), "purchase"),
    OnlineIndicator("online_marketplace_share", "Commerces présents sur une place de marché locale", "%", ("survey",), "purchase"),
    OnlineIndicator("online_voucher_share", "Commerces acceptant un chèque commerce (type Cirklo)", "%", ("survey",), "purchase"),
    OnlineIndicator("online_loyalty_share", "Commerces membres d'un programme de fidélité (type Joyn)", "%", ("survey",), "purchase"),
    OnlineIndicator("online_reviewed_share", f"Commerces avec au moins {REVIEWED_MIN} avis en ligne", "%", ("survey",), "review"),
    OnlineIndicator("online_mean_rating", "Note moyenne des avis en ligne (pondérée par le nombre d'avis)", "/5", ("survey",), "review"),
    OnlineIndicator("online_social_share", "Commerces actifs sur un réseau social", "%", ("survey",), "review"),
)
"""The survey indicators, in journey order."""

OSM_INDICATORS = (
    OnlineIndicator("online_osm_fresh_share", f"Commerces vérifiés sur place depuis moins de {FRESH_YEARS} ans (OSM)", "%", ("osm",), "intention"),
    OnlineIndicator("online_osm_payment_share", "Commerces dont les moyens de paiement sont renseignés (OSM)", "%", ("osm",), "purchase"),
    OnlineIndicator("online_osm_delivery_share", "Commerces qui livrent ou vendent à emporter (OSM)", "%", ("osm",), "purchase"),
    OnlineIndicator("online_osm_social_share", "Commerces avec un réseau social renseigné (OSM)", "%", ("osm",), "review"),
)
"""The indicators OpenStreetMap gives for every commune (tags of the shops' POIs)."""

COLUMNS = ("nis", "indicator", "stage", "value", "unit", "respondents", "shops", "status", "needs")


def match_survey(survey: pd.DataFrame, shops: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join each survey row to its shop by KBO establishment number or OSM id.

    Returns
    -------
    (matched, quarantine)
        ``matched``: the survey rows with the shop's ``shop_id``, ``nis`` (the shop's commune)
        and ``category``; ``quarantine``: rows whose ``shop_ref`` matches no shop of the
        territory (reason given), in the quarantine layout (``source = survey``, the survey
        file and its data row).
    """
    keys = pd.concat([
        shops[["establishment_number", "shop_id", "nis", "category"]].rename(columns={"establishment_number": "shop_ref"}),
        shops[["osm_id", "shop_id", "nis", "category"]].rename(columns={"osm_id": "shop_ref"}),
    ], ignore_index=True).dropna(subset=["shop_ref"]).drop_duplicates("shop_ref")  # fmt: skip
    keys = keys.astype({"shop_ref": "string"})
    joined = survey.drop(columns=["nis"]).astype({"shop_ref": "string"}).merge(keys, on="shop_ref", how="left")
    unknown = joined["shop_id"].isna().to_numpy()
    bad = survey.loc[unknown]
    raws = bad.drop(columns=["source_file", "source_row"]).astype(str).to_dict(orient="records")
    quarantine = quarantine_rows(
        "survey", bad["source_file"], bad["source_row"],
        ["shop_ref matches no shop of the territory (KBO establishment or OSM id)"] * len(bad), raws,
    ) if unknown.any() else empty_quarantine()
    matched = joined.loc[~unknown].drop_duplicates("shop_id").reset_index(drop=True)
    return matched, quarantine


def _shares(matched: pd.DataFrame) -> dict[str, float]:
    n = len(matched)
    count = matched["reviews_count"].to_numpy(float)
    rating = matched["rating"].to_numpy(float)
    rated = np.isfinite(rating) & (count > 0)
    return {
        "online_webshop_share": 100 * matched["webshop"].mean(),
        "online_click_collect_share": 100 * matched["click_collect"].mean(),
        "online_delivery_share": 100 * matched["delivery"].mean(),
        "online_marketplace_share": 100 * matched["marketplace"].notna().sum() / n,
        "online_voucher_share": 100 * matched["vouchers"].notna().sum() / n,
        "online_loyalty_share": 100 * matched["loyalty"].notna().sum() / n,
        "online_reviewed_share": 100 * float((count >= REVIEWED_MIN).sum()) / n,
        "online_mean_rating": float(np.average(rating[rated], weights=count[rated])) if rated.any() else np.nan,
        "online_social_share": 100 * matched["social"].notna().sum() / n,
    }


def _osm_shares(shops: pd.DataFrame, as_of: date) -> dict[str, float]:
    n = len(shops)
    col = lambda c: shops[c] if c in shops.columns else pd.Series(pd.NA, index=shops.index, dtype="string")  # noqa: E731
    checked = pd.to_datetime(col("check_date"), format="%Y-%m-%d", errors="coerce")
    since = pd.Timestamp(as_of) - pd.DateOffset(years=FRESH_YEARS)
    sells = col("delivery").isin(["yes", "only"]) | col("takeaway").isin(["yes", "only"])
    return {
        "online_osm_fresh_share": 100 * float((checked >= since).sum()) / n,
        "online_osm_payment_share": 100 * float(col("payment").notna().sum()) / n,
        "online_osm_delivery_share": 100 * float(sells.fillna(False).sum()) / n,
        "online_osm_social_share": 100 * float(col("social").notna().sum()) / n,
    }


def _row(nis: str, ind: OnlineIndicator, value: float, respondents: int, shops: int, available: bool) -> dict[str, object]:
    computed = available and bool(np.isfinite(value))
    return {
        "nis": nis, "indicator": ind.code, "stage": ind.stage, "value": value if computed else np.nan,
        "unit": ind.unit, "respondents": respondents, "shops": shops,
        "status": "computed" if computed else "not_computable",
        "needs": [] if available or "survey" not in ind.needs else list(ind.needs),
    }  # fmt: skip


def online_journey(matched: pd.DataFrame, shops: pd.DataFrame, communes: pd.DataFrame,
                   as_of: date | None = None) -> TableResult:
    """gold.online_journey: one row per commune and online indicator.

    Survey indicators: ``value`` is a share of the surveyed shops (``respondents``), except
    the survey coverage (share of the commune's shops surveyed) and the mean rating; a commune
    without any surveyed shop has ``status = 'not_computable'``, ``needs = ['survey']`` and no
    value. OSM indicators: shares of the commune's ``shops`` (``check_date`` counted fresh when
    less than :data:`FRESH_YEARS` before ``as_of``, default today).
    """
    as_of = as_of or date.today()
    by_nis = {str(k): g for k, g in shops.groupby(shops["nis"].astype(str))} if len(shops) else {}
    rows = []
    for nis in communes["nis"].astype(str):
        mine = matched[matched["nis"].astype(str) == nis]
        own_shops = by_nis.get(nis, shops.iloc[0:0])
        n, n_shops = len(mine), len(own_shops)
        values = _shares(mine) if n else {}
        if n:
            values["online_survey_coverage"] = 100 * n / max(n_shops, n)
        osm = _osm_shares(own_shops, as_of) if n_shops else {}
        rows += [_row(nis, ind, values.get(ind.code, np.nan), n, n_shops, bool(n)) for ind in INDICATORS]
        rows += [_row(nis, ind, osm.get(ind.code, np.nan), n, n_shops, bool(n_shops)) for ind in OSM_INDICATORS]
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"nis": "string", "indicator": "string", "stage": "string", "value": "float64", "unit": "string",
         "respondents": "int64", "shops": "int64", "status": "string"}
    )  # fmt: skip
    shares = frame.loc[frame["unit"] == "%", "value"].dropna()
    checks = [
        Check("one_row_per_commune_indicator", not frame.duplicated(["nis", "indicator"]).any()
              and len(frame) == len(communes) * (len(INDICATORS) + len(OSM_INDICATORS)), {"rows": len(frame)}),
        Check("shares_in_range", bool(shares.between(0, 100).all()), {"values": len(shares)}),
    ]
    surveyed = sorted(frame.loc[frame["respondents"] > 0, "nis"].unique())
    meta = {"communes_surveyed": len(surveyed), "shops_surveyed": len(matched)}
    return TableResult(frame, meta, checks)


def canvas_rows(journey: pd.DataFrame) -> pd.DataFrame:
    """gold.online_journey as commune-level indicator rows (the layout of
    ``gold.commune_indicators``) for the Canvas."""
    if journey.empty:
        return pd.DataFrame(columns=["nis", "district_id", "indicator", "value", "unit", "status", "needs", "reference"])
    survey = journey["indicator"].isin([i.code for i in INDICATORS])
    reference = ("enquête commerçants : " + journey["respondents"].astype(str) + " commerces interrogés").where(
        survey, "OpenStreetMap : tags de " + journey["shops"].astype(str) + " commerces")
    return journey.assign(district_id=pd.NA, reference=reference)[
        ["nis", "district_id", "indicator", "value", "unit", "status", "needs", "reference"]
    ]


def respondents(journey: pd.DataFrame) -> dict[str, float]:
    """nis -> shops surveyed (the sample size of the survey shares)."""
    if journey.empty:
        return {}
    return journey.groupby(journey["nis"].astype(str))["respondents"].max().astype(float).to_dict()
