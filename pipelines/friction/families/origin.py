"""10 Customer origin: the share of customers (voucher and loyalty transactions) and of
inbound trips (mobile-operator OD flows, 09-19 h) from another commune."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipelines.friction import od
from pipelines.friction.inputs import Context
from pipelines.friction.rows import by_commune_and_district, figure_rows, keys, share, split_by
from pipelines.friction.spec import Family, Indicator

INDICATORS = (
    Indicator("customers_outside_share", "%", "vouchers+sectors",
              "Clients venant d'une autre commune (chèques, fidélité)",
              "Customers from another commune (vouchers, loyalty)",
              "silver.transactions: customers (sector, else postcode) living in another commune "
              "than the merchant, among those with a known origin"),
    Indicator("od_inflow_outside_share", "%", "od+sectors",
              "Déplacements entrants venant d'une autre commune (09-19 h)",
              "Inbound trips from another commune (09-19 h)",
              "silver.od_flows 09-19 h: trips into the district (commune: into the commune) "
              "from sectors of another commune"),
)  # fmt: skip


def customer_communes(transactions: pd.DataFrame, sector_nis: pd.Series) -> pd.Series:
    """Commune NIS of each transaction's customer (``<NA>`` when unknown).

    From ``customer_sector`` through ``sector_nis`` (sector_id -> nis); without a sector,
    from ``customer_postcode``, mapped to the commune most customers of that postcode
    with a known sector live in.
    """
    nis = transactions["customer_sector"].map(sector_nis).astype("string")
    known = transactions.assign(nis=nis).dropna(subset=["nis", "customer_postcode"])
    if not known.empty:
        counts = known.groupby(["customer_postcode", "nis"]).size().rename("n").reset_index()
        counts = counts.sort_values(
            ["customer_postcode", "n", "nis"], ascending=[True, False, True]
        )
        postcode_nis = counts.drop_duplicates("customer_postcode").set_index("customer_postcode")[
            "nis"
        ]
        nis = nis.fillna(transactions["customer_postcode"].map(postcode_nis).astype("string"))
    return nis


def customer_origins(
    transactions: pd.DataFrame, district_nis: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Share of customers (transactions) from another commune than the merchant's.

    Parameters
    ----------
    transactions : pandas.DataFrame
        nis (the merchant's commune), district_id, customer_nis (NA = unknown origin).

    Returns
    -------
    pandas.DataFrame
        ``customers_outside_share`` (% of the transactions with a known origin),
        ``customers_known`` and ``customers_unknown`` (counts).
    """

    def compute(part: pd.DataFrame) -> dict[str, float]:
        known = part["customer_nis"].notna()
        outside = (part.loc[known, "customer_nis"] != part.loc[known, "nis"]).sum()
        return {
            "customers_outside_share": share(outside, known.sum()),
            "customers_known": int(known.sum()),
            "customers_unknown": int((~known).sum()),
        }

    return by_commune_and_district(transactions, compute, district_nis)


def _customers(ctx: Context) -> pd.DataFrame:
    """:func:`customer_origins` of the territory's transactions."""
    tx, merchants, sectors = ctx.inputs.frames.transactions, ctx.inputs.merchants, ctx.inputs.frames.sectors
    frame = pd.DataFrame(
        {
            "nis": tx["merchant_nis"].astype("string"),
            "district_id": tx["merchant_id"]
            .map(merchants.set_index("merchant_id")["district_id"])
            .astype("string"),
            "customer_nis": customer_communes(
                tx, sectors.set_index("sector_id")["nis"].astype("string")
            ),
        }
    )
    return customer_origins(frame, ctx.district_nis)


def _trips(ctx: Context) -> pd.DataFrame:
    """Share of the inflow from another commune: into each district, into each commune."""
    inflow, town, _ = ctx.od_inflow
    places, records = ctx.places, []
    of, of_commune = split_by(inflow, "district_id"), split_by(town, "district_id")
    for district, nis in [*zip(places.district_ids, places.district_nis, strict=True),
                          *((pd.NA, str(n)) for n in ctx.communes)]:  # fmt: skip
        part = of_commune(nis) if district is pd.NA else of(district)
        value, trips = od.outside_share(part, nis)
        records.append({"nis": nis, "district_id": district, "od_inflow_outside_share": value, "trips": trips})
    return pd.DataFrame(records)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the origin indicators (suppressed below k customers or trips)."""
    text = {i.code: i.reference() for i in INDICATORS}
    places = keys(ctx.places, ctx.communes)
    code = "customers_outside_share"
    out = figure_rows(_customers(ctx), places, {code: text[code]}, ctx.k, "customers_known")
    code = "od_inflow_outside_share"
    return out + figure_rows(_trips(ctx), places, {code: text[code]}, ctx.k, "trips")


FAMILY = Family(10, "customer origin", INDICATORS, daily=rows)
