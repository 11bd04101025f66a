"""The per-cell and per-stop friction layers (``gold.friction_cells``, ``gold.friction_stops``)
and the footfall per cell they use.

Footfall comes from the footfall tables when they exist (``gold.footfall_estimated``, one
estimate per cell), otherwise from ``silver.sensor_counts``: the mean hourly count of the
pedestrian counters and WiFi sensors of the cell (WiFi devices, not calibrated to
pedestrians). The ``source`` string says which and goes into the ``reference`` column.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.constants import CRS_WGS84
from pipelines.friction import reach
from pipelines.friction.core import assign_districts, suppress_small
from pipelines.friction.stats import flow_status
from pipelines.lake import Lake

if TYPE_CHECKING:
    from pipelines.friction.build import Inputs, Network

FOOTFALL_TABLE = ("gold", "footfall_estimated")
FOOTFALL_COLUMN = "footfall_daily"
HOURLY_TABLE = ("gold", "footfall_hourly")
PEDESTRIAN_KINDS = ("wifi", "pedestrian")
"""Sensor kinds counting people on foot (bike counters are left out)."""


def sensor_footfall(counts: pd.DataFrame, sensors: pd.DataFrame) -> pd.DataFrame:
    """Mean daily count per H3 cell from the pedestrian sensors in it.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``silver.sensor_counts``: sensor_id, count (hourly; gaps are absent rows).
    sensors : pandas.DataFrame
        ``silver.sensors``: sensor_id, kind, h3.

    Returns
    -------
    pandas.DataFrame
        ``h3, footfall_daily, sensors, hours``: 24 x the sum over the cell's sensors of
        each sensor's mean hourly count (gaps do not pull the mean down).
    """
    walkers = sensors[sensors["kind"].isin(PEDESTRIAN_KINDS)][["sensor_id", "h3"]]
    per_sensor = counts.groupby("sensor_id")["count"].agg(mean="mean", hours="size").reset_index()
    per_sensor = per_sensor.merge(walkers, on="sensor_id")
    out = per_sensor.groupby("h3").agg(
        mean=("mean", "sum"), sensors=("sensor_id", "size"), hours=("hours", "sum")
    )
    out["footfall_daily"] = 24.0 * out.pop("mean")
    return out.reset_index()[["h3", "footfall_daily", "sensors", "hours"]]


def cell_footfall(lake: Lake, counts: pd.DataFrame) -> tuple[pd.Series, str]:
    """Mean daily footfall per cell (index h3) and a sentence naming its source.

    ``counts`` (``silver.sensor_counts`` of every day) is used when ``gold.footfall_estimated``
    is absent.
    """
    if lake.exists(*FOOTFALL_TABLE):
        table = lake.read(*FOOTFALL_TABLE)
        if {FOOTFALL_COLUMN, "h3"} <= set(table.columns):
            values = table.groupby("h3")[FOOTFALL_COLUMN].mean()
            return values, "gold.footfall_estimated (pedestrians per day, measured or modelled)"
    per_cell = sensor_footfall(counts, lake.read("silver", "sensors"))
    source = "silver.sensor_counts (24 x mean hourly count of the pedestrian counters and WiFi sensors of the cell; WiFi not calibrated)"
    return per_cell.set_index("h3")["footfall_daily"], source


def hourly_footfall(lake: Lake, counts: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Hourly footfall per cell: ``h3, ts (UTC), footfall``, from ``gold.footfall_hourly``
    when it exists, else from the pedestrian sensors of ``silver.sensor_counts``."""
    table = lake.read_days(*HOURLY_TABLE)
    if {"h3", "ts", "footfall"} <= set(table.columns):
        return table[
            ["h3", "ts", "footfall"]
        ].dropna(), "gold.footfall_hourly (pedestrians per hour)"
    sensors = lake.read("silver", "sensors")
    walkers = sensors[sensors["kind"].isin(PEDESTRIAN_KINDS)][["sensor_id", "h3"]]
    frame = counts.merge(walkers, on="sensor_id")
    return frame[["h3", "ts"]].assign(
        footfall=frame["count"].astype("float64")
    ).dropna(), "silver.sensor_counts"


def cell_layer(
    lake: Lake, inputs: Inputs, net: Network, coverage: pd.DataFrame, *, k: int
) -> tuple[gpd.GeoDataFrame, str]:
    """``gold.friction_cells``: one row per H3 cell with its friction figures."""
    from pipelines.friction.build import CELL_COLUMNS

    cells = inputs.cells
    centres = reach.cell_centres(cells["h3"].to_numpy())
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]), crs=CRS_WGS84
    )
    frame = pd.DataFrame(
        {"h3": cells["h3"].to_numpy(), "nis": cells["nis"].astype("string").to_numpy()}
    )
    frame["district_id"] = cell_districts(
        frame["h3"], inputs.shops, assign_districts(points, inputs.districts)
    ).to_numpy()
    frame["population"] = cells["population"].to_numpy(float)
    frame["shops"] = cells["shops"].to_numpy("int64")
    for column in ("pt_class", "pt_departures_per_hour", "pt_walk_min", "sdg_11_2_1"):
        frame[column] = coverage[column].to_numpy()
    for mode, times in net.to_district.items():
        frame[f"{mode}_min_to_district"] = reach.nearest_minutes(times)
    for mode, result in net.two_step.items():
        frame[f"shop_access_{mode}"] = result.accessibility * 1000.0
    frame["parking_capacity_300m"] = _parking_per_cell(inputs, net)
    footfall, source = cell_footfall(lake, inputs.sensor_counts)
    raw = pd.Series(frame["h3"].map(footfall).to_numpy(float))
    frame["footfall_daily"] = suppress_small(raw, raw, k).to_numpy()
    frame["flow_status"] = flow_status(frame["footfall_daily"], frame["shops"]).to_numpy()
    frame.loc[raw.notna().to_numpy() & frame["footfall_daily"].isna().to_numpy(), "flow_status"] = (
        "suppressed"
    )
    frame["flow_status"] = frame["flow_status"].astype("string")
    layer = gpd.GeoDataFrame(frame, geometry=cells.geometry.to_numpy(), crs=cells.crs).to_crs(
        CRS_WGS84
    )
    return layer[list(CELL_COLUMNS)], source


def cell_districts(h3: pd.Series, shops: pd.DataFrame, by_centre: pd.Series) -> pd.Series:
    """District of each cell: the district most of the cell's shops belong to, else the
    district holding the cell's centre (``by_centre``), else NA.

    Parameters
    ----------
    h3 : pandas.Series
        Cell ids.
    shops : pandas.DataFrame
        ``h3`` and ``district_id`` of every shop.
    by_centre : pandas.Series
        District of each cell's centre, aligned with ``h3``.
    """
    inside = shops.dropna(subset=["district_id"])
    counts = inside.groupby(["h3", "district_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["h3", "n", "district_id"], ascending=[True, False, True]
    ).drop_duplicates("h3")
    by_shops = h3.map(counts.set_index("h3")["district_id"]).astype("string")
    return by_shops.fillna(pd.Series(by_centre.to_numpy(), index=h3.index, dtype="string"))


def _parking_per_cell(inputs: Inputs, net: Network) -> np.ndarray:
    """Known parking capacity within a 300 m walk of each cell centre."""
    capacity = pd.to_numeric(inputs.parking["capacity"], errors="coerce").to_numpy(float)
    limit_min = reach.walk_seconds(reach.PARKING_WALK_M) / 60.0
    return reach.totals_within(np.nan_to_num(capacity), net.walk_to_cells["parking"].T, limit_min)


def stop_layer(stops: gpd.GeoDataFrame, per_stop: pd.DataFrame, day: dt.date) -> gpd.GeoDataFrame:
    """``gold.friction_stops``: every stop with its departures, DG REGIO class and report."""
    keys = ["feed_id", "stop_id"]
    base = stops.astype({"feed_id": "string", "stop_id": "string"})
    columns = [c for c in ("stop_name", "nis", "district_id", "n_stop_times") if c in base.columns]
    frame = base[keys + columns].merge(per_stop, on=keys, how="left")
    frame["service_date"] = pd.Timestamp(day)
    return gpd.GeoDataFrame(frame, geometry=base.geometry.to_numpy(), crs=stops.crs).to_crs(
        CRS_WGS84
    )
