"""3 Parking: car parks within a 300 m network walk of a shopping district's shops, their
known capacity per shop and per catchment resident, and those without a known capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.friction import reach
from pipelines.friction.families.access import MODE_THRESHOLD_MIN
from pipelines.friction.inputs import Context, Network, Prepared
from pipelines.friction.rows import level_rows
from pipelines.friction.spec import Family, Indicator

PARKING_WALK_M = 300.0
"""A car park serves the shops within this network walk."""
_NEAR = "OSM car parks (silver.parking) within a 300 m network walk of a shop of the district"

INDICATORS = (
    Indicator("parking_capacity_300m", "places", "osm",
              "Places de parking à 300 m à pied du noyau",
              "Parking places within a 300 m walk of the district",
              _NEAR + "; known capacities summed"),
    Indicator("parking_per_shop", "places/shop", "osm",
              "Places de parking à 300 m par commerce", "Parking places within 300 m per shop",
              _NEAR + " / shops of the district"),
    Indicator("parking_per_1000_catchment", "places per 1,000 inhabitants", "osm",
              "Places de parking pour 1 000 habitants de la zone de chalandise",
              "Parking places per 1,000 catchment residents",
              _NEAR + " / residents within a 20 min drive (catchment)"),
    Indicator("parking_lots_unknown_capacity", "car parks", "osm",
              "Parkings sans capacité connue (à 300 m)",
              "Car parks without a known capacity (within 300 m)",
              _NEAR + " whose capacity is missing or unreadable"),
)  # fmt: skip


def parking_near(pairs: pd.DataFrame, capacity: pd.Series) -> pd.DataFrame:
    """Parking capacity per group from (car park, group) pairs of
    :func:`pipelines.friction.reach.places_near_groups`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``parking_capacity_300m`` (known capacities summed),
        ``parking_lots`` and ``parking_lots_unknown_capacity`` (capacity missing or
        unreadable: reported, never counted as zero silently).
    """
    cap = pd.to_numeric(pd.Series(capacity).reset_index(drop=True), errors="coerce")
    frame = pairs.assign(capacity=cap.to_numpy()[pairs["place"].to_numpy()] if len(pairs) else [])
    return frame.groupby("group").agg(
        parking_capacity_300m=("capacity", lambda c: float(np.nansum(c))),
        parking_lots=("place", "size"),
        parking_lots_unknown_capacity=("capacity", lambda c: int(c.isna().sum())),
    )


def near_pairs(ctx: Context, kind: str, limit_s: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(place, district) and (place, commune) pairs within ``limit_s`` walk of a district's
    shops, for the places of ``kind`` (``parking`` or ``tourism``)."""
    shop_in = ctx.inputs.shops.dropna(subset=["district_id"])
    by_district = reach.places_near_groups(
        ctx.network().walk_to_shops[kind], shop_in["district_id"].astype(str).tolist(), limit_s
    )
    nis = pd.Series(ctx.places.district_nis, index=ctx.places.district_ids)
    by_commune = by_district.assign(group=by_district["group"].map(nis)).drop_duplicates()
    return by_district, by_commune


def per_cell(inputs: Prepared, net: Network) -> np.ndarray:
    """Known parking capacity within a 300 m walk of each cell centre (gold.friction_cells)."""
    capacity = pd.to_numeric(inputs.parking["capacity"], errors="coerce").to_numpy(float)
    limit_min = reach.walk_seconds(PARKING_WALK_M) / 60.0
    return reach.totals_within(np.nan_to_num(capacity), net.walk_to_cells["parking"].T, limit_min)


def _catchment(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Residents within a drive of each district and of each commune's districts."""
    pop, net = ctx.inputs.cells["population"].to_numpy(float), ctx.network()
    minutes = MODE_THRESHOLD_MIN["drive"]
    district = reach.totals_within(pop, net.to_district["drive"], minutes)
    ids, town_t = reach.group_min(net.to_district["drive"], ctx.places.district_nis)
    town = pd.Series(reach.totals_within(pop, town_t, minutes), index=ids)
    return district, town.reindex(ctx.communes).to_numpy()


def _shops(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Shops of each district and of each commune's districts."""
    places = ctx.places
    district = ctx.inputs.districts.set_index("district_id")["n_shops"].reindex(places.district_ids)
    d = district.to_numpy(float)
    town = pd.Series(d, index=places.district_nis).groupby(level=0).sum()
    return d, town.reindex(ctx.communes).to_numpy(float)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the parking indicators."""
    inputs, places, communes = ctx.inputs, ctx.places, ctx.communes
    by_district, by_commune = near_pairs(ctx, "parking", reach.walk_seconds(PARKING_WALK_M))
    capacity = inputs.parking["capacity"] if "capacity" in inputs.parking.columns else pd.Series(dtype=float)
    d = parking_near(by_district, capacity).reindex(places.district_ids)
    c = parking_near(by_commune, capacity).reindex(communes)
    has_district = np.isin(communes, places.district_nis)
    d_cap = d["parking_capacity_300m"].fillna(0).to_numpy()
    c_cap = np.where(has_district, c["parking_capacity_300m"].fillna(0).to_numpy(), np.nan)
    d_shops, c_shops = _shops(ctx)
    d_pop, c_pop = _catchment(ctx)
    unknown = "parking_lots_unknown_capacity"
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "parking_capacity_300m": (d_cap, c_cap),
            "parking_per_shop": (d_cap / d_shops, c_cap / c_shops),
            "parking_per_1000_catchment": (1000 * d_cap / d_pop, 1000 * c_cap / c_pop),
            unknown: (
                d[unknown].fillna(0).to_numpy(),
                np.where(has_district, c[unknown].fillna(0).to_numpy(), np.nan),
            ),
        }
    return [
        level_rows(places, communes, code, dv, cv, FAMILY[code].reference())
        for code, (dv, cv) in values.items()
    ]


FAMILY = Family(3, "parking", INDICATORS, static=rows)
