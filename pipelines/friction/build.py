"""Assemble the friction indicators from the lake: routing matrices, per-cell layer, rows.

:func:`build` reads the silver and gold tables it needs from a :class:`~pipelines.lake.Lake`,
computes the ten indicators for every commune and shopping district and returns the three
gold tables (``commune_indicators``, ``friction_cells``, ``friction_stops``) with the figures
the asset checks need. No Dagster: a notebook can call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import transit
from pipelines.accessibility import TwoStepResult
from pipelines.catchment.area import mode_router
from pipelines.constants import SUPPRESSION_K
from pipelines.friction import reach
from pipelines.friction.core import assign_districts
from pipelines.friction.rows import network_rows
from pipelines.friction.table_rows import table_rows
from pipelines.grid import latlng_to_cells
from pipelines.lake import Lake
from pipelines.routing import Router

CELL_COLUMNS = (
    "h3", "nis", "district_id", "population", "shops",
    "pt_class", "pt_departures_per_hour", "pt_walk_min", "sdg_11_2_1",
    "walk_min_to_district", "bike_min_to_district", "drive_min_to_district",
    "shop_access_walk", "shop_access_bike", "shop_access_drive",
    "parking_capacity_300m", "footfall_daily", "flow_status", "geometry",
)  # fmt: skip
"""Columns of ``gold.friction_cells`` (shop_access_*: 2SFCA shops per 1,000 inhabitants)."""


@dataclass
class Inputs:
    """The lake tables the indicators use, with district membership attached."""

    cells: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    shops: gpd.GeoDataFrame
    parking: gpd.GeoDataFrame
    tourism: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    departures: pd.DataFrame
    service_dates: pd.DataFrame
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    workplaces: np.ndarray
    sensor_counts: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Network:
    """Travel times (seconds) and their district aggregates, shared by several indicators."""

    supply_cells: np.ndarray
    supply: np.ndarray
    to_cells: dict[str, np.ndarray]
    district_ids: np.ndarray
    district_nis: np.ndarray
    to_district: dict[str, np.ndarray]
    from_district_bike: np.ndarray
    two_step: dict[str, TwoStepResult]
    routers: dict[str, Router]
    walk_to_cells: dict[str, np.ndarray]
    walk_to_shops: dict[str, np.ndarray]


@dataclass
class FrictionResult:
    """The three gold tables and what the checks need."""

    indicators: pd.DataFrame
    support: pd.DataFrame
    """nis, district_id, indicator, support: people behind each privacy-sensitive figure."""
    cells: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    two_step: dict[str, TwoStepResult]
    service_date: dt.date
    footfall_source: str


def read_inputs(lake: Lake, districts: gpd.GeoDataFrame) -> Inputs:
    """Read every table :func:`build` needs and attach ``district_id`` to the points."""
    cells = lake.read("gold", "h3_cells")
    points = {name: lake.read("silver", name) for name in ("shops", "parking", "tourism", "stops")}
    for frame in points.values():
        frame["district_id"] = assign_districts(frame, districts)
    nodes, edges = lake.read("silver", "network_nodes"), lake.read("silver", "network_edges")
    located = lake.read("bronze", "kbo_establishments_located")
    work_cells = latlng_to_cells(located["lat"].to_numpy(), located["lon"].to_numpy())
    workplaces = (
        pd.Series(work_cells)
        .value_counts()
        .reindex(cells["h3"].to_numpy(), fill_value=0)
        .to_numpy(float)
    )
    return Inputs(
        cells=cells,
        districts=districts,
        shops=points["shops"],
        parking=points["parking"],
        tourism=points["tourism"],
        stops=points["stops"],
        departures=lake.read("silver", "departures"),
        service_dates=lake.read("silver", "service_dates"),
        nodes=nodes,
        edges=edges,
        workplaces=workplaces,
        sensor_counts=lake.read_days("silver", "sensor_counts"),
    )


def _routers(inputs: Inputs) -> dict[str, Router]:
    """Routers per mode, and on the reversed bike and drive networks (``<mode>_in``: times
    *to* a place; walking is symmetric)."""
    out: dict[str, Router] = {}
    for mode in ("walk", "bike", "drive"):
        out[mode] = mode_router(inputs.nodes, inputs.edges, mode)
        out[f"{mode}_in"] = (
            out[mode]
            if mode == "walk"
            else mode_router(inputs.nodes, inputs.edges, mode, reverse=True)
        )
    return out


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x, frame.geometry.y]).reshape(-1, 2)


def _split(times: np.ndarray, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    """Rows of a stacked travel-time matrix back into one block per kind of origin."""
    bounds = np.cumsum([0, *sizes.values()])
    return {name: times[bounds[i] : bounds[i + 1]] for i, name in enumerate(sizes)}


def network(inputs: Inputs) -> Network:
    """Travel times between the cells holding shops and every cell, per mode, and the walks
    from stops, car parks and attractions (stacked: one bulk search per router)."""
    routers = _routers(inputs)
    cell_xy = reach.cell_centres(inputs.cells["h3"].to_numpy())
    counts = inputs.shops["h3"].value_counts()
    supply_cells = np.array(sorted(set(counts.index) & set(inputs.cells["h3"])), dtype="uint64")
    supply_xy = reach.cell_centres(supply_cells)
    cap = reach.CELL_TIME_CAP_MIN * 60.0
    walk_sizes = {
        "supply": len(supply_cells),
        "stops": len(inputs.stops),
        "parking": len(inputs.parking),
    }
    stacked = np.vstack([supply_xy, _xy(inputs.stops), _xy(inputs.parking)])
    walk = _split(routers["walk"].travel_times(stacked, cell_xy, cutoff_s=cap), walk_sizes)
    to_cells = {"walk": walk.pop("supply")}
    to_cells.update(
        {
            m: routers[f"{m}_in"].travel_times(supply_xy, cell_xy, cutoff_s=cap)
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
    limit = reach.walk_seconds(max(transit.HIGH_CAPACITY_RADIUS_M, reach.PARKING_WALK_M))
    limit = max(limit, reach.TOURISM_WALK_MIN * 60.0)
    to_shops = _split(
        routers["walk"].travel_times(places, _xy(shop_in), cutoff_s=limit), place_sizes
    )
    inside = shop_in[["h3", "district_id"]].drop_duplicates()
    row = pd.Series(np.arange(len(supply_cells)), index=supply_cells)
    inside = inside[inside["h3"].isin(row.index)]
    labels, rows = inside["district_id"].to_numpy(), row.loc[inside["h3"]].to_numpy()
    ids, _ = reach.group_min(np.zeros((len(rows), 1)), labels)
    to_district = {m: reach.group_min(t[rows], labels)[1] for m, t in to_cells.items()}
    unique = np.unique(rows)
    out_bike = routers["bike"].travel_times(supply_xy[unique], cell_xy, cutoff_s=cap)
    order = pd.Series(np.arange(len(unique)), index=unique)
    from_bike = reach.group_min(out_bike[order.loc[rows].to_numpy()], labels)[1]
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
        from_district_bike=from_bike,
        two_step=two_step,
        routers=routers,
        walk_to_cells=walk,
        walk_to_shops=to_shops,
    )


def public_transport(
    inputs: Inputs, net: Network
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dt.date]:
    """Per-stop frequencies, per-cell coverage, window departures and the service date."""
    feed = transit.feed_from_silver(inputs.departures, inputs.service_dates)
    day = transit.busiest_weekday(inputs.service_dates, inputs.departures)
    timed = transit.window_departures(feed, day)
    per_stop = transit.departures_per_stop(feed, inputs.stops, day, timed=timed)
    coverage = transit.cell_coverage(net.walk_to_cells["stops"], per_stop)
    return per_stop, coverage, timed, day


def build(
    lake: Lake,
    districts: gpd.GeoDataFrame,
    *,
    k: int = SUPPRESSION_K,
    computed_at: pd.Timestamp | None = None,
) -> FrictionResult:
    """Compute the ten friction indicators and the per-cell and per-stop layers.

    Parameters
    ----------
    lake : Lake
        Data root with the silver tables, ``gold.h3_cells`` and the daily partitions.
    districts : geopandas.GeoDataFrame
        ``district_id, nis, geometry`` (EPSG:4326), e.g. ``gold.districts``.
    k : int
        Privacy threshold: figures from fewer than k customers, trips or devices are
        suppressed (NaN).
    computed_at : pandas.Timestamp, optional
        Timestamp written in every row (default: now, UTC).
    """
    from pipelines.friction.core import indicator_table
    from pipelines.friction.layers import cell_layer, stop_layer

    computed_at = computed_at or pd.Timestamp.now(tz="UTC")
    inputs = read_inputs(lake, districts)
    net = network(inputs)
    per_stop, coverage, timed, day = public_transport(inputs, net)
    cells, footfall_source = cell_layer(lake, inputs, net, coverage, k=k)
    parts = [
        *network_rows(inputs, net, per_stop, coverage, timed, day),
        *table_rows(lake, inputs, net, cells, k=k, footfall_source=footfall_source),
    ]
    keys = ["nis", "district_id", "indicator"]
    support = pd.concat(
        [p[[*keys, "support"]] for p in parts if "support" in p.columns], ignore_index=True
    )
    return FrictionResult(
        indicators=indicator_table(
            [p.drop(columns="support", errors="ignore") for p in parts], computed_at
        ),
        support=support.astype({"nis": "string", "district_id": "string", "indicator": "string"}),
        cells=cells,
        stops=stop_layer(inputs.stops, per_stop, day),
        two_step=net.two_step,
        service_date=day,
        footfall_source=footfall_source,
    )
