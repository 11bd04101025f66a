"""Friction indicators from mobile-operator OD flows: inflow to a shopping district, its
peak hour against a road-capacity proxy (congestion), and the share of trips from other
communes.

OD flows run between statistical sectors; a district receives the trips to each sector in
proportion to the share of the sector's area inside the district outline (area weighting,
which conserves trips). Hours are local (Europe/Brussels). The road capacity of a district
is a proxy: the sum, over the access roads that enter its outline, of a capacity per
direction by road class (:data:`ROAD_CAPACITY_VEH_H`). Person trips become vehicles
with :data:`CAR_SHARE` and :data:`CAR_OCCUPANCY`. ``docs/indicators/friction.md`` discusses
the limits.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.constants import CRS_METRIC, SHOPPING_HOURS
from pipelines.timeutil import to_local

ROAD_CAPACITY_VEH_H: dict[str, float] = {
    "motorway": 1800.0,
    "trunk": 1800.0,
    "primary": 1200.0,
    "secondary": 1000.0,
    "tertiary": 800.0,
    "unclassified": 600.0,
    "residential": 500.0,
    "living_street": 200.0,
    "service": 200.0,
    "road": 500.0,
}
"""Vehicles per hour and direction, one lane, urban conditions (link types count as their
road). Orders of magnitude of the Highway Capacity Manual for urban streets with junctions."""

DEFAULT_CAPACITY_VEH_H = 500.0
ACCESS_ROAD_CLASSES = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary", "unclassified"}
)
"""Road classes that carry traffic into a centre (the capacity proxy counts these)."""
CAR_SHARE = 0.65
"""Share of trips made by car (Wallonia: about two trips in three, SPW mobility surveys)."""
CAR_OCCUPANCY = 1.3


def sector_weights(sectors: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Share of each sector's area inside each district outline.

    Returns
    -------
    pandas.DataFrame
        ``sector_id, district_id, weight`` (0 < weight <= 1), one row per overlapping pair.
    """
    s = gpd.GeoDataFrame(
        {"sector_id": sectors["sector_id"].to_numpy()},
        geometry=sectors.geometry.to_crs(CRS_METRIC).to_numpy(),
        crs=CRS_METRIC,
    )
    d = gpd.GeoDataFrame(
        {"district_id": districts["district_id"].astype("string").to_numpy()},
        geometry=districts.geometry.to_crs(CRS_METRIC).to_numpy(),
        crs=CRS_METRIC,
    )
    s["sector_area"] = s.geometry.area
    pieces = gpd.overlay(s, d, how="intersection", keep_geom_type=True)
    pieces["weight"] = pieces.geometry.area / pieces["sector_area"]
    out = pieces.groupby(["sector_id", "district_id"], as_index=False)["weight"].sum()
    return out[out["weight"] > 0].reset_index(drop=True)


def with_local_hours(od: pd.DataFrame) -> pd.DataFrame:
    """OD flows with ``local_date``, ``weekday`` and ``hour`` (Europe/Brussels) from ``ts``."""
    local = to_local(pd.to_datetime(od["ts"], utc=True))
    return od.assign(
        local_date=local.dt.date.to_numpy(),
        weekday=local.dt.day_of_week.to_numpy(),
        hour=local.dt.hour.to_numpy(),
    )


def by_local_hour(od: pd.DataFrame) -> pd.DataFrame:
    """``silver.od_flows`` summed per destination sector, origin commune and local hour.

    Returns
    -------
    pandas.DataFrame
        ``destination_sector, origin_nis, local_date, weekday (0 = Monday), hour, trips``;
        the repeated hour of the autumn DST change adds up in its local hour.
    """
    keys = ["destination_sector", "origin_nis", "local_date", "weekday", "hour"]
    if od.empty:
        return pd.DataFrame({k: pd.Series([], dtype="object") for k in keys}).assign(
            trips=pd.Series([], dtype="float64")
        )
    local = with_local_hours(od[["ts", "destination_sector", "origin_nis", "trips"]])
    local["trips"] = pd.to_numeric(local["trips"]).astype("float64")
    out = local.groupby(keys, as_index=False, dropna=False)["trips"].sum()
    return out.sort_values(["local_date", "hour", "destination_sector", "origin_nis"]).reset_index(
        drop=True
    )


def district_inflow(od: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Trips into each district, by origin commune and local hour.

    Parameters
    ----------
    od : pandas.DataFrame
        ``silver.od_flows`` (ts in UTC, origin_nis, destination_sector, trips), optionally
        already through :func:`with_local_hours`.
    weights : pandas.DataFrame
        :func:`sector_weights` (or any sector_id, district_id, weight table).

    Returns
    -------
    pandas.DataFrame
        ``district_id, local_date, weekday, hour, origin_nis, trips`` (weighted trips).
    """
    if "hour" not in od.columns:
        od = with_local_hours(od)
    flows = od.merge(weights, left_on="destination_sector", right_on="sector_id")
    out = pd.DataFrame(
        {
            "district_id": flows["district_id"].to_numpy(),
            "local_date": flows["local_date"].to_numpy(),
            "weekday": flows["weekday"].to_numpy(),
            "hour": flows["hour"].to_numpy(),
            "origin_nis": flows["origin_nis"].astype("string").to_numpy(),
            "trips": flows["trips"].to_numpy(float) * flows["weight"].to_numpy(float),
        }
    )
    return out.groupby(
        ["district_id", "local_date", "weekday", "hour", "origin_nis"], as_index=False
    )["trips"].sum()


def peak_inflow(inflow: pd.DataFrame) -> tuple[float, int]:
    """Mean weekday inflow of the busiest local hour: (trips per hour, hour).

    The mean is over the weekdays (Monday-Friday) present in ``inflow``, counting a day
    without trips in that hour as 0. Returns (nan, -1) without weekday data.
    """
    weekdays = inflow[inflow["weekday"] < 5]
    n_days = weekdays["local_date"].nunique()
    if n_days == 0:
        return float("nan"), -1
    per_hour = weekdays.groupby("hour")["trips"].sum() / n_days
    hour = int(per_hour.idxmax())
    return float(per_hour[hour]), hour


def outside_share(
    inflow: pd.DataFrame, nis: str, hours: tuple[int, int] = SHOPPING_HOURS
) -> tuple[float, float]:
    """% of the inflow in ``hours`` coming from another commune than ``nis``; and the trips."""
    part = inflow[(inflow["hour"] >= hours[0]) & (inflow["hour"] < hours[1])]
    total = float(part["trips"].sum())
    outside = float(part.loc[part["origin_nis"] != nis, "trips"].sum())
    return (100.0 * outside / total if total > 0 else float("nan")), total


def _road_class(highway: object) -> str | None:
    for value in str(highway or "").split(";"):
        value = value.strip().removesuffix("_link")
        if value in ROAD_CAPACITY_VEH_H:
            return value
    return None


def entry_capacity(edges: pd.DataFrame, node_district: pd.Series) -> pd.Series:
    """Road capacity proxy of each district: vehicles per hour on the roads entering it.

    Parameters
    ----------
    edges : pandas.DataFrame
        Drive edges ``u, v, highway`` (directed, one-way streets once).
    node_district : pandas.Series
        District of each drive node (index: node id; NA outside every district).

    Returns
    -------
    pandas.Series
        Indexed by district_id: the sum of :data:`ROAD_CAPACITY_VEH_H` over the edges whose
        ``u`` is outside the district and ``v`` inside, counting only the access roads
        (:data:`ACCESS_ROAD_CLASSES`: residential streets serve the homes along them) when
        at least one enters the district, every entering street otherwise.
    """
    du = edges["u"].map(node_district).astype("string")
    dv = edges["v"].map(node_district).astype("string")
    entering = dv.notna() & (du.isna() | (du != dv))
    frame = pd.DataFrame(
        {
            "district_id": dv[entering].to_numpy(),
            "road": edges.loc[entering, "highway"].map(_road_class).to_numpy(),
        }
    )
    frame["capacity"] = frame["road"].map(ROAD_CAPACITY_VEH_H).fillna(DEFAULT_CAPACITY_VEH_H)
    frame["access"] = frame["road"].isin(ACCESS_ROAD_CLASSES)
    has_access = frame.groupby("district_id")["access"].transform("any")
    kept = frame[frame["access"] | ~has_access]
    return kept.groupby("district_id")["capacity"].sum().rename("congestion_road_capacity")


def vehicles(trips: float | np.ndarray) -> float | np.ndarray:
    """Person trips per hour to vehicles per hour (car share / occupancy)."""
    return np.asarray(trips, dtype=float) * CAR_SHARE / CAR_OCCUPANCY


def inflows(
    od_flows: pd.DataFrame,
    sectors: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    district_nis: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The inflows the congestion and customer-origin families read, computed once.

    Parameters
    ----------
    od_flows : pandas.DataFrame
        ``silver.od_flows``.
    sectors, districts : geopandas.GeoDataFrame
        Statistical sectors and the territory's district outlines.
    district_nis : pandas.Series
        Commune of each district the indicators are given for (index district_id).

    Returns
    -------
    tuple of pandas.DataFrame
        :func:`district_inflow` into each district; into each commune (``district_id`` = its
        NIS: every sector of the commune, weight 1); and into each commune's districts
        together (the district inflow with ``district_id`` replaced by the district's NIS).
    """
    flows = by_local_hour(od_flows)
    inflow = district_inflow(flows, sector_weights(sectors, districts))
    by_commune = pd.DataFrame(
        {"sector_id": sectors["sector_id"], "district_id": sectors["nis"].astype(str), "weight": 1.0}
    )
    town = district_inflow(flows, by_commune)
    union = inflow.assign(district_id=inflow["district_id"].map(district_nis.to_dict()))
    return inflow, town, union
