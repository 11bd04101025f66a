"""Hourly footfall per H3 cell from WiFi sensors and pedestrian counters.

The chain, each step a function testable on tiny frames:

1. :func:`pair_counters` pairs each pedestrian counter with the WiFi sensor standing within
   a few metres of it (they see the same pedestrians).
2. :func:`calibrate` turns each paired WiFi sensor's devices into pedestrians: the factor is
   the ratio of sums ``sum(counter pedestrians) / sum(WiFi devices)`` over the hours both
   report (SQL ``gold.footfall_calibration``); its inverse is the sensor's detection rate.
   Unpaired sensors take the territory median factor (flagged ``territory_median``).
3. :func:`site_hours` gives pedestrians per *site* and hour: a site is a counter (with its
   paired WiFi sensor as the fallback when the counter's hour is missing or incomplete) or a
   lone WiFi sensor. ``devices`` keeps the raw number counted, the basis of suppression.
4. :func:`cell_hours` averages the sites of each H3 cell per hour, marks hours where sensors
   expected that day are silent (``partial``) or all silent (``gap``: footfall missing,
   never zero) and says where the figure comes from (``sources``) and how good it is
   (``quality``).

Bike counters are not footfall and are left out. Times are UTC hour starts (``ts``) with
the local day; on the night summer time ends the two local 02:00 hours are two rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import db
from pipelines.constants import CRS_METRIC
from pipelines.errors import InputError
from pipelines.timeutil import TS_DTYPE, local_hours

PAIR_DISTANCE_M = 25.0
"""A counter and a WiFi sensor closer than this see the same pedestrians."""
MIN_CALIBRATION_HOURS = 24
"""Fewest hours seen by both a counter and its WiFi sensor for a sensor-specific factor."""
QUALITY = ("ok", "default_calibration", "partial", "gap")
"""Quality flags of an hourly cell figure, from best to worst."""
SITE_COLUMNS = (
    "site_id",
    "sensor_id",
    "h3",
    "nis",
    "ts",
    "day",
    "pedestrians",
    "devices",
    "source",
    "calibration",
    "complete",
)


def pair_counters(
    sensors: gpd.GeoDataFrame, max_distance_m: float = PAIR_DISTANCE_M
) -> pd.DataFrame:
    """Pair every pedestrian counter with its nearest WiFi sensor within ``max_distance_m``.

    Parameters
    ----------
    sensors
        ``silver.sensors``: ``sensor_id, kind`` (wifi, pedestrian, bike) and point geometry.

    Returns
    -------
    pandas.DataFrame
        ``sensor_id`` (WiFi), ``counter_id``, ``distance_m``; one row per paired WiFi sensor
        (a sensor near two counters keeps the nearest).
    """
    metric = sensors.to_crs(CRS_METRIC)
    wifi = metric.loc[metric["kind"] == "wifi", ["sensor_id", "geometry"]]
    counters = metric.loc[metric["kind"] == "pedestrian", ["sensor_id", "geometry"]]
    empty = pd.DataFrame(
        {
            "sensor_id": pd.Series(dtype="string"),
            "counter_id": pd.Series(dtype="string"),
            "distance_m": pd.Series(dtype="float64"),
        }
    )
    if wifi.empty or counters.empty:
        return empty
    joined = gpd.sjoin_nearest(
        counters.rename(columns={"sensor_id": "counter_id"}),
        wifi,
        max_distance=max_distance_m,
        distance_col="distance_m",
    )
    pairs = joined[["sensor_id", "counter_id", "distance_m"]].sort_values(
        ["distance_m", "counter_id"]
    )
    pairs = pairs.drop_duplicates("counter_id").drop_duplicates("sensor_id")
    return pairs.astype({"sensor_id": "string", "counter_id": "string"}).reset_index(drop=True)


def calibrate(
    counts: pd.DataFrame,
    pairs: pd.DataFrame,
    wifi_ids: Iterable[str],
    *,
    min_hours: int = MIN_CALIBRATION_HOURS,
) -> pd.DataFrame:
    """Devices-to-pedestrians factor of every WiFi sensor.

    Parameters
    ----------
    counts
        Hourly counts (``silver.sensor_counts``: sensor_id, ts, count, complete, source).
    pairs
        Output of :func:`pair_counters`.
    wifi_ids
        Every WiFi sensor to calibrate (paired or not).
    min_hours
        Fewest hours seen by both sides for a sensor's own factor.

    Returns
    -------
    pandas.DataFrame
        ``sensor_id, counter_id, hours_matched, wifi_devices, counter_pedestrians, factor,
        detection_rate, method`` with ``method`` ``counter`` (own factor),
        ``territory_median`` (median of the own factors) or ``none`` (no counter anywhere:
        factor 1, footfall then counts devices, a lower bound of pedestrians).
    """
    con = db.connect(spatial=False)
    con.register("counts", counts[["sensor_id", "ts", "count", "complete", "source"]])
    con.register("pairs", pairs[["sensor_id", "counter_id"]].astype(str))
    own = db.query(con, "gold.footfall_calibration")
    con.close()
    own = own[(own["hours_matched"] >= min_hours) & own["factor"].notna() & (own["factor"] > 0)]
    out = pd.DataFrame({"sensor_id": pd.Series(sorted(set(wifi_ids)), dtype="string")})
    out = out.merge(own.astype({"sensor_id": "string"}), on="sensor_id", how="left")
    default = float(own["factor"].median()) if len(own) else 1.0
    out["method"] = np.where(
        out["factor"].notna(), "counter", "territory_median" if len(own) else "none"
    )
    out["factor"] = out["factor"].fillna(default)
    out["detection_rate"] = 1.0 / out["factor"]
    out["counter_id"] = out["counter_id"].astype("string")
    for col in ("hours_matched", "wifi_devices", "counter_pedestrians"):
        out[col] = out[col].astype("Int64")
    return out[
        [
            "sensor_id",
            "counter_id",
            "hours_matched",
            "wifi_devices",
            "counter_pedestrians",
            "factor",
            "detection_rate",
            "method",
        ]
    ]


def sites(sensors: pd.DataFrame, calibration: pd.DataFrame) -> pd.DataFrame:
    """Measurement sites: pedestrian counters and the WiFi sensors not paired with one.

    Returns ``sensor_id, site_id, h3, nis, installed_on`` for every pedestrian counter and
    WiFi sensor (a paired sensor's ``site_id`` is its counter; the site's cell is the
    counter's).
    """
    foot = sensors[sensors["kind"].isin(["wifi", "pedestrian"])]
    paired = calibration.dropna(subset=["counter_id"]).set_index("sensor_id")["counter_id"]
    out = pd.DataFrame(
        {
            "sensor_id": foot["sensor_id"].astype("string").to_numpy(),
            "kind": foot["kind"].to_numpy(),
            "installed_on": pd.to_datetime(foot["installed_on"]).dt.date.to_numpy()
            if "installed_on" in foot
            else None,
        }
    )
    out["site_id"] = out["sensor_id"].map(paired).astype("string").fillna(out["sensor_id"])
    where = foot.set_index(foot["sensor_id"].astype("string"))[["h3", "nis"]]
    out = out.join(where.rename_axis("site_id"), on="site_id")
    lost = out[out["h3"].isna()]
    if len(lost):
        raise InputError(
            "paired counter missing from the sensors table",
            found=", ".join(lost["site_id"].astype(str)),
        )
    return out


def _check_unique(counts: pd.DataFrame) -> None:
    dupes = counts[counts.duplicated(["sensor_id", "ts"], keep=False)]
    if len(dupes):
        sample = ", ".join(
            f"{s} {t}" for s, t in dupes[["sensor_id", "ts"]].head(5).itertuples(index=False)
        )
        raise InputError(
            "duplicate (sensor, hour) in the hourly counts",
            expected="one row per sensor and hour",
            found=f"{len(dupes)} rows: {sample}",
        )


def site_hours(
    counts: pd.DataFrame, site_table: pd.DataFrame, calibration: pd.DataFrame
) -> pd.DataFrame:
    """Pedestrians per site and hour.

    A counter's complete hour is taken as counted; otherwise the paired WiFi sensor's
    calibrated count stands in; an incomplete counter hour without WiFi is kept with
    ``complete=False``. Lone WiFi sensors give ``devices * factor``.

    Returns
    -------
    pandas.DataFrame
        ``site_id, sensor_id, h3, nis, ts, day, pedestrians, devices, source, calibration,
        complete`` (``calibration``: ``counted`` for counter hours, else the WiFi method).
    """
    _check_unique(counts)
    meta = site_table.set_index("sensor_id")
    known = counts[counts["sensor_id"].isin(meta.index) & counts["count"].notna()].copy()
    known["site_id"] = known["sensor_id"].map(meta["site_id"])
    factor = calibration.set_index("sensor_id")
    is_wifi = known["source"] == "wifi"
    known["devices"] = known["count"].astype("int64")
    known["pedestrians"] = known["devices"] * np.where(
        is_wifi, known["sensor_id"].map(factor["factor"]).astype("float64"), 1.0
    )
    known["calibration"] = np.where(
        is_wifi, known["sensor_id"].map(factor["method"]).astype(object), "counted"
    )
    known["complete"] = known["complete"].astype(bool)
    known["_rank"] = np.where(is_wifi, 1, np.where(known["complete"], 0, 2))
    best = known.sort_values(["site_id", "ts", "_rank"]).drop_duplicates(["site_id", "ts"])
    best = best.join(
        meta.drop_duplicates("site_id").set_index("site_id")[["h3", "nis"]], on="site_id"
    )
    out = best[list(SITE_COLUMNS)].reset_index(drop=True)
    out["ts"] = out["ts"].astype(TS_DTYPE)
    return out.astype(
        {
            "site_id": "string",
            "sensor_id": "string",
            "nis": "string",
            "day": "string",
            "source": "string",
            "calibration": "string",
            "h3": "uint64",
        }
    )


def expected_sites(site_table: pd.DataFrame, days: Iterable[str]) -> pd.DataFrame:
    """Sites expected to report each local hour of ``days``: ``site_id, h3, nis, ts, day``.

    A site is expected from the day its first sensor was installed (unknown installation
    dates count as always installed).
    """
    frames = []
    for day in days:
        date = pd.Timestamp(day).date()
        installed = site_table["installed_on"].map(
            lambda d, date=date: d is None or pd.isna(d) or d <= date
        )
        active = site_table[installed].drop_duplicates("site_id")[["site_id", "h3", "nis"]]
        hours = pd.DataFrame({"ts": local_hours(day), "day": day})
        frames.append(active.merge(hours, how="cross"))
    if not frames:
        return pd.DataFrame(columns=["site_id", "h3", "nis", "ts", "day"])
    out = pd.concat(frames, ignore_index=True)
    out["ts"] = out["ts"].astype(TS_DTYPE)
    return out


def area_hours(hours: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Average the sites of each area per hour: ``by, ts, day, footfall, devices, n_sites``.

    ``footfall`` is the mean pedestrians per hour over the area's reporting sites (a
    typical street point of the area, not a sum that would count a walker twice);
    ``devices`` is the total counted, the basis of small-count suppression.
    """
    grouped = hours.groupby([*by, "ts", "day"], sort=True, observed=True)
    out = grouped.agg(
        footfall=("pedestrians", "mean"), devices=("devices", "sum"), n_sites=("site_id", "nunique")
    ).reset_index()
    return out


def _flags(hours: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per area-hour: the sources (``counter+wifi``), any incomplete hour, any default factor."""
    marks = hours[keys].assign(
        incomplete=~hours["complete"].astype(bool),
        default=hours["calibration"].isin(["territory_median", "none"]),
        counter=hours["source"] == "counter",
        wifi=hours["source"] == "wifi",
    )
    out = marks.groupby(keys, observed=True, sort=False).any().reset_index()
    names = np.array(["", "counter", "wifi", "counter+wifi"], dtype=object)
    out["sources"] = names[
        out["counter"].to_numpy().astype(int) + 2 * out["wifi"].to_numpy().astype(int)
    ]
    return out.drop(columns=["counter", "wifi"])


def cell_hours(hours: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Hourly footfall per H3 cell with its sources and a quality flag.

    Parameters
    ----------
    hours
        Output of :func:`site_hours`.
    expected
        Output of :func:`expected_sites` for the same days.

    Returns
    -------
    pandas.DataFrame
        ``h3, nis, ts, day, footfall, devices, n_sites, n_sites_expected, sources, quality``.
        ``quality``: ``gap`` (no site reported: footfall missing), ``partial`` (some expected
        site silent or a counter hour incomplete), ``default_calibration`` (a WiFi sensor
        without its own counter factor contributed), else ``ok``.
    """
    keys = ["h3", "nis", "ts", "day"]
    measured = area_hours(hours, ["h3", "nis"])
    measured = measured.merge(_flags(hours, keys), on=keys)
    wanted = (
        expected.groupby(keys, observed=True)["site_id"]
        .nunique()
        .rename("n_sites_expected")
        .reset_index()
    )
    out = wanted.merge(measured, on=keys, how="outer")
    out["n_sites_expected"] = out["n_sites_expected"].fillna(out["n_sites"]).astype("int64")
    out["n_sites"] = out["n_sites"].fillna(0).astype("int64")
    out["devices"] = out["devices"].astype("Int64")
    quality = np.select(
        [
            out["n_sites"] == 0,
            (out["n_sites"] < out["n_sites_expected"])
            | out["incomplete"].fillna(False).astype(bool),
            out["default"].fillna(False).astype(bool),
        ],
        ["gap", "partial", "default_calibration"],
        "ok",
    )
    out["quality"] = pd.Series(quality, index=out.index, dtype="string")
    out["sources"] = out["sources"].astype("string")
    out = out.sort_values(["h3", "ts"]).reset_index(drop=True)
    return out[
        [
            "h3",
            "nis",
            "ts",
            "day",
            "footfall",
            "devices",
            "n_sites",
            "n_sites_expected",
            "sources",
            "quality",
        ]
    ]
