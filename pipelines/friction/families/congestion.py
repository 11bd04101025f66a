"""4 Congestion: the weekday peak-hour inflow into a shopping district (mobile-operator OD
flows, sectors area-weighted), a road-capacity proxy of the roads entering it, their ratio
and the peak hour (:mod:`pipelines.friction.od`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.districts import CONTAINMENT, assign_districts
from pipelines.friction import od
from pipelines.friction.inputs import Context
from pipelines.friction.rows import figure_rows, keys, split_by
from pipelines.friction.spec import Family, Indicator

INDICATORS = (
    Indicator("congestion_peak_inflow", "trips/h", "od+sectors",
              "Flux entrant à l'heure de pointe", "Peak-hour inflow",
              "silver.od_flows: mean weekday trips per hour into the district (sectors "
              "area-weighted) at the peak hour; commune: all its districts"),
    Indicator("congestion_road_capacity", "vehicles/h", "osm",
              "Capacité routière d'accès (approximation)", "Access road capacity (proxy)",
              "sum of per-direction capacities by road class of the drive edges entering the "
              "district outline (proxy)"),
    Indicator("congestion_ratio", "ratio", "od+sectors+osm",
              "Taux de saturation des accès à l'heure de pointe",
              "Peak-hour volume/capacity ratio of the access roads",
              f"peak inflow x {od.CAR_SHARE:g} car share / {od.CAR_OCCUPANCY:g} occupancy / road "
              "capacity proxy"),
    Indicator("congestion_peak_hour", "hour", "od+sectors",
              "Heure de pointe des arrivées (jours ouvrables)", "Peak arrival hour (weekdays)",
              "local hour (Europe/Brussels) of the weekday peak of inflow"),
)  # fmt: skip


CAPACITY = "congestion_road_capacity"
"""The static indicator of the family (the drive network only)."""


def road_capacity(ctx: Context) -> pd.Series:
    """:func:`od.entry_capacity` of every district (index district_id), from the drive network."""
    inputs = ctx.inputs
    nodes, edges = inputs.frames.nodes, inputs.frames.edges
    nodes = nodes[nodes["mode"] == "drive"]
    node_district = pd.Series(
        assign_districts(nodes, inputs.districts, policy=CONTAINMENT).to_numpy(),
        index=nodes["node_id"].to_numpy(),
    )
    return od.entry_capacity(edges[edges["mode"] == "drive"], node_district)


def capacity_rows(ctx: Context) -> list[pd.DataFrame]:
    """The road-capacity proxy of every district and commune (all its districts): static."""
    capacity, places = road_capacity(ctx), ctx.places
    records = [
        {"nis": n, "district_id": d, CAPACITY: float(capacity.get(d, np.nan))}
        for d, n in zip(places.district_ids, places.district_nis, strict=True)
    ]
    for n in ctx.communes:
        mine = places.district_ids[places.district_nis == n]
        records.append({"nis": str(n), "district_id": pd.NA, CAPACITY: float(capacity.reindex(mine).sum(min_count=1))})
    frame = pd.DataFrame(records, columns=["nis", "district_id", CAPACITY])
    return figure_rows(frame, keys(places, ctx.communes), {CAPACITY: FAMILY[CAPACITY].reference()})


def _record(district: object, nis: str, inflow: pd.DataFrame, capacity: float) -> dict[str, object]:
    peak, hour = od.peak_inflow(inflow)
    ratio = (
        float(od.vehicles(peak)) / capacity
        if capacity and capacity > 0 and np.isfinite(peak)
        else np.nan
    )
    return {
        "nis": nis,
        "district_id": district,
        "congestion_peak_inflow": peak,
        "congestion_ratio": ratio,
        "congestion_peak_hour": hour if hour >= 0 else np.nan,
    }


def figures(ctx: Context) -> pd.DataFrame:
    """The congestion figures of every district, then of every commune (all its districts),
    against the road capacity of the static rows (:func:`capacity_rows`)."""
    inflow, _, union = ctx.od_inflow
    capacity = ctx.static_values(CAPACITY)
    places = ctx.places
    of, of_commune = split_by(inflow, "district_id"), split_by(union, "district_id")
    records = [
        _record(d, n, of(d), capacity.get((n, d), np.nan))
        for d, n in zip(places.district_ids, places.district_nis, strict=True)
    ]
    for n in ctx.communes:
        records.append(_record(pd.NA, str(n), of_commune(n), capacity.get((str(n), None), np.nan)))
    return pd.DataFrame(records)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the day-dependent congestion indicators (suppressed below k trips)."""
    text = {i.code: i.reference() for i in INDICATORS if i.code != CAPACITY}
    return figure_rows(figures(ctx), keys(ctx.places, ctx.communes), text, ctx.k, "congestion_peak_inflow")


FAMILY = Family(4, "congestion", INDICATORS, static=capacity_rows, daily=rows)
