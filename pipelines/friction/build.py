"""Assemble the friction indicators from frames: routing matrices, per-cell layer, rows.

:func:`build` takes a :class:`~pipelines.friction.inputs.FrictionInputs` (one frame per
upstream table and the source families held), computes the ten indicators for every
commune and shopping district and returns the three gold tables (``commune_indicators``,
``friction_cells``, ``friction_stops``) with the figures the asset checks need
(:mod:`pipelines.friction.checks`). No Dagster and no lake: a notebook can call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import transit
from pipelines.accessibility import TwoStepResult
from pipelines.catchment.area import mode_router
from pipelines.constants import SUPPRESSION_K
from pipelines.friction import reach
from pipelines.friction.core import apply_needs, indicator_table
from pipelines.friction.inputs import FrictionInputs, Network, Prepared, prepare
from pipelines.friction.layers import cell_layer, stop_layer
from pipelines.friction.rows import network_rows
from pipelines.friction.table_rows import table_rows
from pipelines.routing import Router
from pipelines.sparse_times import SparseTimes


@dataclass
class FrictionResult:
    """The three gold tables and what the checks need."""

    indicators: pd.DataFrame
    support: pd.DataFrame
    """nis, district_id, indicator, support: people behind each privacy-sensitive figure."""
    cells: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    two_step: dict[str, TwoStepResult]
    service_date: dt.date | None
    footfall_source: str


def _routers(inputs: Prepared) -> dict[str, Router]:
    """Routers per mode, and on the reversed bike and drive networks (``<mode>_in``: times
    *to* a place; walking is symmetric)."""
    out: dict[str, Router] = {}
    for mode in ("walk", "bike", "drive"):
        out[mode] = mode_router(inputs.frames.nodes, inputs.frames.edges, mode)
        out[f"{mode}_in"] = (
            out[mode]
            if mode == "walk"
            else mode_router(inputs.frames.nodes, inputs.frames.edges, mode, reverse=True)
        )
    return out


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x, frame.geometry.y]).reshape(-1, 2)


def _split(times: SparseTimes, sizes: dict[str, int]) -> dict[str, SparseTimes]:
    """Rows of a stacked travel-time matrix back into one block per kind of origin."""
    bounds = np.cumsum([0, *sizes.values()])
    return {
        name: times.take_rows(np.arange(bounds[i], bounds[i + 1])) for i, name in enumerate(sizes)
    }


def network(inputs: Prepared) -> Network:
    """Travel times between the cells holding shops and every cell, per mode, and the walks
    from stops, car parks and attractions (stacked: one bulk search per router).

    Every matrix is :class:`~pipelines.sparse_times.SparseTimes` cut off at the largest
    time an indicator reads from it (the mode's access threshold, the longest walk to a stop
    or a car park, the longest delivery round): memory grows with the pairs within reach,
    not with the square of the region. The minutes from every cell to its nearest district
    (reported up to :data:`reach.CELL_TIME_CAP_MIN`) come from one search per mode
    (:meth:`Router.nearest_times`), not from a matrix.
    """
    routers = _routers(inputs)
    cell_xy = reach.cell_centres(inputs.cells["h3"].to_numpy())
    counts = inputs.shops["h3"].value_counts()
    supply_cells = np.array(sorted(set(counts.index) & set(inputs.cells["h3"])), dtype="uint64")
    supply_xy = reach.cell_centres(supply_cells)
    cap = reach.CELL_TIME_CAP_MIN * 60.0
    walk_places = max(reach.STOP_WALK_S, reach.walk_seconds(reach.PARKING_WALK_M))
    walk_cap = max(reach.MODE_THRESHOLD_MIN["walk"] * 60.0, walk_places)
    walk_sizes = {
        "supply": len(supply_cells),
        "stops": len(inputs.stops),
        "parking": len(inputs.parking),
    }
    stacked = np.vstack([supply_xy, _xy(inputs.stops), _xy(inputs.parking)])
    walk = _split(
        routers["walk"].travel_times(stacked, cell_xy, cutoff_s=walk_cap, sparse=True), walk_sizes
    )
    to_cells = {"walk": walk.pop("supply")}
    to_cells.update(
        {
            m: routers[f"{m}_in"].travel_times(
                supply_xy, cell_xy, cutoff_s=reach.MODE_THRESHOLD_MIN[m] * 60.0, sparse=True
            )
            for m in ("bike", "drive")
        }
    )
    shop_in = inputs.shops.dropna(subset=["district_id"])
    place_sizes = {
        "stops": len(inputs.stops),
        "parking": len(inputs.parking),
        "tourism": len(inputs.tourism),
    }
    places = np.vstack([_xy(inputs.stops), _xy(inputs.parking), _xy(inputs.tourism)])
    limit = max(walk_places, reach.TOURISM_WALK_MIN * 60.0)
    to_shops = _split(
        routers["walk"].travel_times(places, _xy(shop_in), cutoff_s=limit, sparse=True),
        place_sizes,
    )
    inside = shop_in[["h3", "district_id"]].drop_duplicates()
    row = pd.Series(np.arange(len(supply_cells)), index=supply_cells)
    inside = inside[inside["h3"].isin(row.index)]
    labels, rows = inside["district_id"].to_numpy(), row.loc[inside["h3"]].to_numpy()
    ids = np.array(sorted(set(labels.tolist())), dtype=object)
    to_district = {m: reach.group_min(t.take_rows(rows), labels)[1] for m, t in to_cells.items()}
    unique = np.unique(rows)
    delivery = max(reach.DELIVERY_THRESHOLDS_MIN) * 60.0
    out_bike = routers["bike"].travel_times(supply_xy[unique], cell_xy, cutoff_s=delivery, sparse=True)
    nearest = {
        m: routers[f"{m}_in"].nearest_times(supply_xy[unique], cell_xy, cutoff_s=cap)
        for m in ("walk", "bike", "drive")
    }
    order = pd.Series(np.arange(len(unique)), index=unique)
    from_bike = reach.group_min(out_bike.take_rows(order.loc[rows].to_numpy()), labels)[1]
    supply = counts.reindex(supply_cells).to_numpy(float)
    population = inputs.cells["population"].to_numpy(float)
    two_step = {
        m: reach.shop_access(to_cells[m], supply, population, reach.MODE_THRESHOLD_MIN[m])
        for m in to_cells
    }
    nis = inputs.districts.set_index("district_id")["nis"].astype("string")
    return Network(
        supply_cells=supply_cells,
        supply=supply,
        to_cells=to_cells,
        district_ids=ids.astype(str),
        district_nis=nis.reindex(ids.astype(str)).to_numpy(),
        to_district=to_district,
        nearest_district_s=nearest,
        from_district_bike=from_bike,
        two_step=two_step,
        routers=routers,
        walk_to_cells=walk,
        walk_to_shops=to_shops,
    )


NO_SERVICE_DATE = dt.date(2000, 1, 3)
"""A Monday evaluated when no GTFS service runs on a weekday (every stop then has no
departure; the service date reported is None)."""


def public_transport(
    inputs: Prepared, net: Network
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dt.date | None]:
    """Per-stop frequencies, per-cell coverage, window departures and the service date
    (None when no service runs on a weekday, e.g. without GTFS)."""
    frames = inputs.frames
    feed = transit.feed_from_silver(frames.departures, frames.service_dates)
    try:
        day: dt.date | None = transit.busiest_weekday(frames.service_dates, frames.departures)
    except ValueError:
        day = None
    when = day or NO_SERVICE_DATE
    timed = transit.window_departures(feed, when)
    per_stop = transit.departures_per_stop(feed, inputs.stops, when, timed=timed)
    coverage = transit.cell_coverage(net.walk_to_cells["stops"], per_stop)
    return per_stop, coverage, timed, day


def build(
    inputs: FrictionInputs,
    *,
    k: int = SUPPRESSION_K,
    computed_at: pd.Timestamp | None = None,
) -> FrictionResult:
    """Compute the ten friction indicators and the per-cell and per-stop layers.

    Parameters
    ----------
    inputs : FrictionInputs
        Every upstream table as a frame, and the source families the commune holds.
    k : int
        Privacy threshold: figures from fewer than k customers, trips or devices are
        suppressed (NaN, status ``suppressed``).
    computed_at : pandas.Timestamp, optional
        Timestamp written in every row (default: now, UTC).

    Returns
    -------
    FrictionResult
        ``indicators`` has one row per commune / district and indicator with ``status``
        (``computed``, ``not_computable``: a needed source family is not held, listed in
        ``needs``; ``suppressed``: fewer than k people) and a null value unless computed.
    """
    computed_at = computed_at or pd.Timestamp.now(tz="UTC")
    prepared = prepare(inputs)
    net = network(prepared)
    per_stop, coverage, timed, day = public_transport(prepared, net)
    cells, footfall_source = cell_layer(prepared, net, coverage, k=k)
    parts = [
        *network_rows(prepared, net, per_stop, coverage, timed, day),
        *table_rows(prepared, net, cells, k=k, footfall_source=footfall_source),
    ]
    keys = ["nis", "district_id", "indicator"]
    support = pd.concat(
        [p[[*keys, "support"]] for p in parts if "support" in p.columns], ignore_index=True
    )
    table = indicator_table(
        [p.drop(columns="support", errors="ignore") for p in parts], computed_at
    )
    return FrictionResult(
        indicators=apply_needs(table, inputs.held),
        support=support.astype({"nis": "string", "district_id": "string", "indicator": "string"}),
        cells=cells,
        stops=stop_layer(prepared.stops, per_stop, day),
        two_step=net.two_step,
        service_date=day,
        footfall_source=footfall_source,
    )
