"""Rows of ``gold.commune_indicators`` computed from lake tables (indicators 4, 5, 6, 7, 8b
and 10), from the inputs and network of :mod:`pipelines.friction.build`.

Figures from people (transactions, OD trips, sensor devices) below the privacy threshold
``k`` are suppressed (NaN, with "suppressed" in ``reference``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.districts import CONTAINMENT, assign_districts
from pipelines.friction import od, stats
from pipelines.friction.core import indicator_rows, suppress_small
from pipelines.friction.inputs import Network, Prepared
from pipelines.friction.layers import hourly_footfall
from pipelines.friction.opening_hours import weekly_open
from pipelines.timeutil import to_local


def _keys(net: Network, communes: np.ndarray) -> pd.DataFrame:
    towns = pd.DataFrame({"nis": communes, "district_id": pd.NA})
    districts = pd.DataFrame({"nis": net.district_nis, "district_id": net.district_ids})
    return pd.concat([towns, districts], ignore_index=True).astype("string")


def _complete(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Every commune and district, NaN where ``frame`` has no row."""
    frame = frame.astype({"nis": "string", "district_id": "string"})
    return keys.merge(frame, on=["nis", "district_id"], how="left")


def _rows(
    frame: pd.DataFrame,
    keys: pd.DataFrame,
    codes: dict[str, str],
    k: int | None = None,
    count: str | None = None,
) -> list[pd.DataFrame]:
    """Indicator rows for every key; with ``k`` and ``count``, values from fewer than k
    people are blanked and the rows carry a ``support`` column (the people behind each)."""
    full = _complete(frame, keys)
    out = []
    for code, reference in codes.items():
        values = full[code] if code in full.columns else pd.Series(np.nan, index=full.index)
        ref = pd.Series(reference, index=full.index, dtype="string")
        rows = None
        if k is not None and count is not None:
            people = full[count] if count in full.columns else pd.Series(np.nan, index=full.index)
            kept = suppress_small(values, people, k)
            ref = ref.where(
                kept.notna() | values.isna(), f"suppressed (fewer than {k}); " + reference
            )
            rows = indicator_rows(full.assign(_v=kept), code, "_v", ref)
            rows["support"] = people.fillna(0).to_numpy(float)
        out.append(
            rows if rows is not None else indicator_rows(full.assign(_v=values), code, "_v", ref)
        )
    return out


def table_rows(
    inputs: Prepared,
    net: Network,
    cells: gpd.GeoDataFrame,
    *,
    k: int,
    footfall_source: str,
) -> list[pd.DataFrame]:
    """Indicators 4 (congestion), 5 (flows), 6 (visibility), 7 (vacancy), 8b (weekend
    hours) and 10 (customer origins)."""
    communes = inputs.communes
    keys = _keys(net, communes)
    district_nis = inputs.districts.set_index("district_id")["nis"].astype(str).to_dict()
    rows: list[pd.DataFrame] = []

    rows += _rows(
        stats.flow_counts(pd.DataFrame(cells.drop(columns="geometry")), district_nis),
        keys,
        {
            "flows_unexploited_cells": f"cells with footfall >= median and footfall per shop front >= {stats.FLOW_RATIO:g} x median; footfall: {footfall_source}",
            "flows_underused_shop_cells": f"cells with shops, footfall < median and footfall per shop front <= median / {stats.FLOW_RATIO:g}; footfall: {footfall_source}",
            "flows_measured_cells": f"cells with a footfall figure; footfall: {footfall_source}",
        },
    )
    rows += _rows(
        stats.online_visibility(inputs.shops, district_nis),
        keys,
        {
            "online_website_share": "silver.shops with a website (OSM tag)",
            "online_opening_hours_share": "silver.shops with opening_hours (OSM tag)",
            "online_osm_match_share": "KBO/BCE shops conflated with an OSM shop (source kbo+osm) among KBO/BCE shops",
        },
    )
    result = stats.vacancy(inputs.vacant_cells, district_nis)
    rows += _rows(
        result,
        keys,
        {
            "vacancy_rate": "silver.vacant_cells: vacant / observed commercial cells on the latest register date",
            "vacancy_trend": "least-squares slope of the vacancy rate over every register date",
        },
    )
    rows += _rows(
        _origins(inputs),
        keys,
        {
            "customers_outside_share": "silver.transactions: customers (sector, else postcode) living in another commune than the merchant, among those with a known origin"
        },
        k,
        "customers_known",
    )
    rows += _od_rows(inputs, net, keys, k)
    overlap, source = _weekend_overlap(
        inputs, net, pd.DataFrame(cells.drop(columns="geometry")), communes
    )
    rows += _rows(
        overlap,
        keys,
        {
            "tourism_hours_overlap": f"weekend footfall of the district's cells ({source}; without any: Sat-Sun 10-18 h) weighted by the share of its shops open (OSM opening_hours)"
        },
    )
    return rows


def _origins(inputs: Prepared) -> pd.DataFrame:
    tx = inputs.frames.transactions
    merchants = inputs.merchants
    sectors = inputs.frames.sectors
    frame = pd.DataFrame(
        {
            "nis": tx["merchant_nis"].astype("string"),
            "district_id": tx["merchant_id"]
            .map(merchants.set_index("merchant_id")["district_id"])
            .astype("string"),
            "customer_nis": stats.customer_communes(
                tx, sectors.set_index("sector_id")["nis"].astype("string")
            ),
        }
    )
    district_nis = inputs.districts.set_index("district_id")["nis"].astype(str).to_dict()
    return stats.customer_origins(frame, district_nis)


def _od_record(
    district: object, nis: str, inflow: pd.DataFrame, commune_inflow: pd.DataFrame, capacity: float
) -> dict[str, object]:
    peak, hour = od.peak_inflow(inflow)
    share, trips = od.outside_share(inflow if district is not pd.NA else commune_inflow, nis)
    ratio = (
        float(od.vehicles(peak)) / capacity
        if capacity and capacity > 0 and np.isfinite(peak)
        else np.nan
    )
    return {
        "nis": nis,
        "district_id": district,
        "congestion_peak_inflow": peak,
        "congestion_road_capacity": capacity,
        "congestion_ratio": ratio,
        "congestion_peak_hour": hour if hour >= 0 else np.nan,
        "od_inflow_outside_share": share,
        "trips": trips,
    }


def _od_rows(inputs: Prepared, net: Network, keys: pd.DataFrame, k: int) -> list[pd.DataFrame]:
    flows = od.by_local_hour(inputs.frames.od_flows)
    sectors = inputs.frames.sectors
    inflow = od.district_inflow(flows, od.sector_weights(sectors, inputs.districts))
    by_commune = pd.DataFrame(
        {
            "sector_id": sectors["sector_id"],
            "district_id": sectors["nis"].astype(str),
            "weight": 1.0,
        }
    )
    town_inflow = od.district_inflow(flows, by_commune)
    nodes, edges = inputs.frames.nodes, inputs.frames.edges
    nodes = nodes[nodes["mode"] == "drive"]
    node_district = pd.Series(
        assign_districts(nodes, inputs.districts, policy=CONTAINMENT).to_numpy(),
        index=nodes["node_id"].to_numpy(),
    )
    capacity = od.entry_capacity(edges[edges["mode"] == "drive"], node_district)
    union = inflow.assign(
        district_id=inflow["district_id"].map(
            dict(zip(net.district_ids, net.district_nis, strict=True))
        )
    )
    records = [
        _od_record(
            d,
            n,
            inflow[inflow["district_id"] == d],
            town_inflow[town_inflow["district_id"] == n],
            float(capacity.get(d, np.nan)),
        )
        for d, n in zip(net.district_ids, net.district_nis, strict=True)
    ]
    for n in keys.loc[keys["district_id"].isna(), "nis"]:
        cap = float(capacity.reindex(net.district_ids[net.district_nis == n]).sum(min_count=1))
        records.append(
            _od_record(
                pd.NA,
                str(n),
                union[union["district_id"] == n],
                town_inflow[town_inflow["district_id"] == n],
                cap,
            )
        )
    frame = pd.DataFrame(records)
    congestion = {
        "congestion_peak_inflow": "silver.od_flows: mean weekday trips per hour into the district (sectors area-weighted) at the peak hour; commune: all its districts",
        "congestion_road_capacity": "sum of per-direction capacities by road class of the drive edges entering the district outline (proxy)",
        "congestion_ratio": f"peak inflow x {od.CAR_SHARE:g} car share / {od.CAR_OCCUPANCY:g} occupancy / road capacity proxy",
        "congestion_peak_hour": "local hour (Europe/Brussels) of the weekday peak of inflow",
    }
    capacity_code = "congestion_road_capacity"
    rows = _rows(frame, keys, {capacity_code: congestion.pop(capacity_code)})
    rows += _rows(frame, keys, congestion, k, "congestion_peak_inflow")
    share = {
        "od_inflow_outside_share": "silver.od_flows 09-19 h: trips into the district (commune: into the commune) from sectors of another commune"
    }
    return rows + _rows(frame, keys, share, k, "trips")


def _weekend_overlap(
    inputs: Prepared, net: Network, cells: pd.DataFrame, communes: np.ndarray
) -> tuple[pd.DataFrame, str]:
    shops = inputs.shops.dropna(subset=["district_id"])
    weeks = shops["opening_hours"].map(weekly_open)
    hourly, source = hourly_footfall(inputs.frames.footfall_hourly)
    hourly = hourly.assign(district_id=hourly["h3"].map(cells.set_index("h3")["district_id"]))
    hourly = hourly.dropna(subset=["district_id"])
    hourly["local"] = to_local(pd.to_datetime(hourly["ts"], utc=True))
    groups = [(d, n, [d]) for d, n in zip(net.district_ids, net.district_nis, strict=True)]
    groups += [(pd.NA, n, list(net.district_ids[net.district_nis == n])) for n in communes]
    records = []
    for key, nis, members in groups:
        parsed = [w for w in weeks[shops["district_id"].isin(members)] if w is not None]
        mine = hourly[hourly["district_id"].isin(members)]
        visitors = (
            stats.weekend_profile(mine["local"], mine["footfall"])
            if len(mine)
            else stats.default_visitor_profile()
        )
        value = stats.hours_overlap(visitors, np.mean(parsed, axis=0)) if parsed else np.nan
        records.append({"nis": nis, "district_id": key, "tourism_hours_overlap": value})
    return pd.DataFrame(records), source
