"""The per-cell and per-stop friction layers (``gold.friction_cells``, ``gold.friction_stops``)
and the footfall per cell they use.

Footfall comes from ``gold.footfall_estimated`` (one estimate per cell, calibrated; empty
when the commune holds no footfall source, and then no cell is measured) and, per hour,
from ``gold.footfall_hourly``. :func:`sensor_footfall` is the uncalibrated per-sensor
alternative for notebooks (WiFi devices are not pedestrians).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from pipelines.constants import CRS_WGS84
from pipelines.districts import CONTAINMENT, assign_districts
from pipelines.friction import reach
from pipelines.friction.families import parking
from pipelines.friction.families.flows import flow_status
from pipelines.friction.inputs import Network, Prepared, Service
from pipelines.friction.rows import suppress_small

CELL_COLUMNS = (
    "h3", "nis", "district_id", "population", "shops",
    "pt_class", "pt_departures_per_hour", "pt_walk_min", "sdg_11_2_1",
    "walk_min_to_district", "bike_min_to_district", "drive_min_to_district",
    "shop_access_walk", "shop_access_bike", "shop_access_drive",
    "parking_capacity_300m", "footfall_daily", "flow_status", "geometry",
)  # fmt: skip
"""Columns of ``gold.friction_cells`` (shop_access_*: 2SFCA shops per 1,000 inhabitants)."""

FOOTFALL_COLUMN = "footfall_daily"
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


def cell_footfall(estimated: pd.DataFrame) -> tuple[pd.Series, str]:
    """Mean daily footfall per cell (index h3) from ``gold.footfall_estimated`` and a
    sentence naming its source (empty without footfall sources: no cell is measured)."""
    values = estimated.groupby("h3")[FOOTFALL_COLUMN].mean()
    return values, "gold.footfall_estimated (pedestrians per day, measured or modelled)"


def hourly_footfall(hourly: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Hourly footfall per cell, ``h3, ts (UTC), footfall``, from ``gold.footfall_hourly``."""
    return hourly[["h3", "ts", "footfall"]].dropna(), "gold.footfall_hourly (pedestrians per hour)"


FOOTFALL_COLUMNS = ("footfall_daily", "flow_status")
"""Columns of ``gold.friction_cells`` that depend on the days (gold.footfall_estimated)."""


def static_cells(inputs: Prepared, net: Network, service: Service) -> gpd.GeoDataFrame:
    """``gold.friction_cells`` without :data:`FOOTFALL_COLUMNS`: one row per H3 cell with its
    district, public transport, minutes to the nearest district, 2SFCA and parking."""
    cells = inputs.cells
    centres = reach.cell_centres(cells["h3"].to_numpy())
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]), crs=CRS_WGS84
    )
    frame = pd.DataFrame(
        {"h3": cells["h3"].to_numpy(), "nis": cells["nis"].astype("string").to_numpy()}
    )
    frame["district_id"] = cell_districts(
        frame["h3"], inputs.shops, assign_districts(points, inputs.districts, policy=CONTAINMENT)
    ).to_numpy()
    frame["population"] = cells["population"].to_numpy(float)
    frame["shops"] = cells["shops"].to_numpy("int64")
    for column in ("pt_class", "pt_departures_per_hour", "pt_walk_min", "sdg_11_2_1"):
        frame[column] = service.coverage[column].to_numpy()
    for mode, seconds in net.nearest_district_s.items():
        frame[f"{mode}_min_to_district"] = reach.nearest_minutes(seconds)
    for mode, result in net.two_step.items():
        frame[f"shop_access_{mode}"] = result.accessibility * 1000.0
    frame["parking_capacity_300m"] = parking.per_cell(inputs, net)
    layer = gpd.GeoDataFrame(frame, geometry=cells.geometry.to_numpy(), crs=cells.crs).to_crs(
        CRS_WGS84
    )
    return layer[[c for c in CELL_COLUMNS if c not in FOOTFALL_COLUMNS]]


def with_footfall(
    static: gpd.GeoDataFrame, estimated: pd.DataFrame, *, k: int
) -> tuple[gpd.GeoDataFrame, str]:
    """``gold.friction_cells``: :func:`static_cells` with the daily footfall (suppressed
    below k) and the flow status of every cell, and the footfall's source."""
    footfall, source = cell_footfall(estimated)
    frame = static.copy()
    raw = pd.Series(frame["h3"].map(footfall).to_numpy(float))
    frame["footfall_daily"] = suppress_small(raw, raw, k).to_numpy()
    frame["flow_status"] = flow_status(frame["footfall_daily"], frame["shops"]).to_numpy()
    frame.loc[raw.notna().to_numpy() & frame["footfall_daily"].isna().to_numpy(), "flow_status"] = (
        "suppressed"
    )
    frame["flow_status"] = frame["flow_status"].astype("string")
    return frame[list(CELL_COLUMNS)], source


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


def stop_layer(stops: gpd.GeoDataFrame, service: Service) -> gpd.GeoDataFrame:
    """``gold.friction_stops``: every stop with its departures, DG REGIO class and report."""
    keys = ["feed_id", "stop_id"]
    base = stops.astype({"feed_id": "string", "stop_id": "string"})
    columns = [c for c in ("stop_name", "nis", "district_id", "n_stop_times") if c in base.columns]
    frame = base[keys + columns].merge(service.per_stop, on=keys, how="left")
    day = service.day
    frame["service_date"] = pd.Timestamp(day) if day else pd.NaT
    return gpd.GeoDataFrame(frame, geometry=base.geometry.to_numpy(), crs=stops.crs).to_crs(
        CRS_WGS84
    )
