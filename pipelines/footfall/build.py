"""The footfall gold tables, built from frames: one function per asset.

``assets/gold/footfall.py`` reads the tables an asset declares, calls one function here and
writes what it returns (:class:`~pipelines.catchment.build.TableResult`: table, metadata,
check outcomes). Sensors and counters are optional sources: without them every function
returns empty typed tables with ``status = not_computable`` and what they need, and the
profile still has one row per commune saying so; nothing is imputed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.catchment.build import COMPUTED, NOT_COMPUTABLE
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.footfall import hourly as ff
from pipelines.footfall import model as fm
from pipelines.footfall import profile as fp
from pipelines.grid import cell_polygons
from pipelines.privacy import suppress, violations
from pipelines.results import Check, TableResult
from pipelines.timeutil import TS_DTYPE

COVERAGE_MIN = 0.9
"""Share of the expected site-hours a day must report (check ``day_coverage``)."""

IDLE = "nothing to do: no sensor counts on these days"
NEEDS_SENSORS = "wifi or counters (silver.sensors with hourly counts)"

SENSOR_COUNT_TYPES = {
    "sensor_id": "object",
    "ts": TS_DTYPE,
    "day": "object",
    "count": "Int64",
    "n_intervals": "int64",
    "complete": "bool",
    "source": "object",
}
"""Columns of silver.sensor_counts."""

LAYER_FIGURES = (
    "measured_daily",
    "devices_daily",
    "peak_hour",
    "peak_weekday",
    "weekday_weekend_ratio",
    *(f"share_{p}" for p in fp.DAY_PARTS),
)
"""Figures of gold.footfall blanked below k."""


def _status(computed: bool) -> dict[str, object]:
    return {"status": COMPUTED} if computed else {"status": NOT_COMPUTABLE, "needs": NEEDS_SENSORS}


def _empty(types: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in types.items()})


def k_check(frame: pd.DataFrame, count_col: str, k: int, figures: tuple[str, ...] | list[str]) -> Check:
    """``k_suppressed``: every row rests on at least k devices or has its figures blanked."""
    bad = violations(frame, count_col, k, figures)
    meta = {"k": k, "violations": len(bad), "suppressed_rows": int(frame["suppressed"].sum())}
    return Check("k_suppressed", bad.empty, meta)


# -- silver.sensor_counts (the lead's silver asset calls this) ----------------------------


def sensor_counts(wifi: pd.DataFrame | None, counters: pd.DataFrame | None) -> pd.DataFrame:
    """Hourly counts of every sensor for one day: WiFi unique devices, counters summed.

    Parameters
    ----------
    wifi : pandas.DataFrame or None
        One day of ``bronze.wifi_counts`` (None: no file that day).
    counters : pandas.DataFrame or None
        One day of ``bronze.counter_counts`` (5-minute rows; None: no file that day).

    Returns
    -------
    pandas.DataFrame
        ``sensor_id, ts, day, count, n_intervals, complete, source`` (typed, possibly empty).
    """
    from pipelines.sources import counters as counter_source

    parts = []
    if wifi is not None and len(wifi):
        parts.append(pd.DataFrame({"sensor_id": wifi["sensor_id"], "ts": wifi["ts"], "day": wifi["day"], "count": wifi["unique_devices"], "n_intervals": 1, "complete": True, "source": "wifi"}))
    if counters is not None and len(counters):
        hourly = counter_source.to_hourly(counters)
        parts.append(pd.DataFrame({"sensor_id": hourly["counter_id"], "ts": hourly["ts"], "day": hourly["day"], "count": hourly["total"], "n_intervals": hourly["n_intervals"], "complete": hourly["complete"], "source": "counter"}))
    if not parts:
        return _empty(SENSOR_COUNT_TYPES)
    frame = pd.concat(parts, ignore_index=True)
    return frame.astype({"count": "Int64", "n_intervals": "int64", "complete": "bool"})


def _counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` with the silver.sensor_counts columns even when no day had a file."""
    return _empty(SENSOR_COUNT_TYPES) if counts.empty and not len(counts.columns) else counts


# -- gold.footfall_calibration -------------------------------------------------------------


def calibration(sensors: pd.DataFrame, counts: pd.DataFrame) -> TableResult:
    """gold.footfall_calibration: pedestrians per detected device of every WiFi sensor.

    ``sensors`` is silver.sensors, ``counts`` the current period of silver.sensor_counts.
    """
    pairs = ff.pair_counters(sensors)
    frame = ff.calibrate(_counts(counts), pairs, sensors.loc[sensors["kind"] == "wifi", "sensor_id"])
    frame = frame.merge(pairs[["sensor_id", "distance_m"]], on="sensor_id", how="left")
    own = frame[frame["method"] == "counter"]
    n_counters = int((sensors["kind"] == "pedestrian").sum())
    rate = own["detection_rate"]
    meta = {**_status(len(frame) > 0), "median_factor": float(own["factor"].median()) if len(own) else None}
    checks = [
        Check("counters_paired", len(own) == n_counters, {"pedestrian_counters": n_counters, "calibrated_sensors": len(own)}, warn=True),
        Check(
            "detection_plausible",
            bool(rate.between(0, 1, inclusive="right").all()),
            {"min": float(rate.min()) if len(own) else None, "max": float(rate.max()) if len(own) else None},
        ),
    ]
    return TableResult(frame, meta, checks)


# -- gold.footfall_site_hours and gold.footfall_hourly -------------------------------------


def _hourly_checks(
    counts: pd.DataFrame, cells: pd.DataFrame, k: int, days: list[str]
) -> list[Check]:
    negatives = int((counts["count"] < 0).sum()) + int((cells["footfall"] < 0).sum())
    dupes = int(counts.duplicated(["sensor_id", "ts"]).sum())
    out_dupes = int(cells.duplicated(["h3", "ts"]).sum())
    last_day = counts[counts["count"].notna()].groupby("source")["day"].max().astype(str).to_dict()
    per_day = cells.groupby("day", observed=True)
    coverage = (per_day["n_sites"].sum() / per_day["n_sites_expected"].sum().clip(lower=1)).to_dict()
    latest = max(days) if days else None
    stale = {s: d for s, d in last_day.items() if d != latest}
    worst = min(coverage, key=coverage.get) if coverage else None
    return [
        Check("counts_non_negative", negatives == 0, {"negative_values": negatives}),
        Check("unique_sensor_hour", dupes == 0 and out_dupes == 0, {"duplicate_sensor_hours": dupes, "duplicate_cell_hours": out_dupes}),
        Check(
            "day_coverage",
            all(v >= COVERAGE_MIN for v in coverage.values()),
            {"worst_day": worst, "worst_coverage": coverage.get(worst) if worst else None, "days": len(coverage)},
            warn=True,
        ),
        Check(
            "source_freshness",
            bool(last_day) and not stale,
            {"latest_day": latest, **{f"last_day_{s}": d for s, d in last_day.items()}},
            warn=True,
        ),
        k_check(cells, "devices", k, ["footfall"]),
    ]


def _idle_checks(status: str) -> list[Check]:
    """Checks of a partition with nothing to do: they pass and say why."""
    names = ("counts_non_negative", "unique_sensor_hour", "day_coverage", "source_freshness", "k_suppressed")
    return [Check(n, True, {"status": status}) for n in names]


def hourly(
    counts: pd.DataFrame, sensors: pd.DataFrame, calibration: pd.DataFrame, k: int
) -> tuple[TableResult, TableResult]:
    """Calibrated site-hours and hourly footfall per cell for the days of ``counts``.

    Parameters
    ----------
    counts : pandas.DataFrame
        The run's days of silver.sensor_counts (may be empty: nothing to do).
    sensors, calibration : pandas.DataFrame
        silver.sensors and gold.footfall_calibration.
    k : int
        Suppression threshold.

    Returns
    -------
    (site_hours, cell_hours)
        ``site_hours``: :func:`pipelines.footfall.hourly.site_hours` (persisted so the
        profile reads it instead of computing it again); ``cell_hours``: footfall per H3 cell
        and hour, suppressed below k, carrying the checks. Both have a ``day`` column: the
        asset writes one file per day.
    """
    counts = _counts(counts)
    if counts.empty:
        idle = {"status": IDLE, "days_written": 0}
        return TableResult(pd.DataFrame(), idle), TableResult(pd.DataFrame(), idle, _idle_checks(IDLE))
    site_table = ff.sites(sensors, calibration)
    days = sorted(counts["day"].astype(str).unique())
    hours = ff.site_hours(counts, site_table, calibration)
    cells = ff.cell_hours(hours, ff.expected_sites(site_table, days))
    cells = suppress(cells, "devices", k, ["footfall"])
    written = sorted(cells["day"].astype(str).unique())
    meta = {**_status(True), "days_written": len(written), "suppressed_rows": int(cells["suppressed"].sum())}
    return (
        TableResult(hours, {**_status(True), "days_written": len(written)}),
        TableResult(cells, meta, _hourly_checks(counts, cells, k, written)),
    )


# -- gold.footfall_profile and gold.footfall_curve ----------------------------------------


def profile(
    site_hours: pd.DataFrame, communes: pd.DataFrame, k: int, earlier: pd.DataFrame | None = None
) -> tuple[TableResult, TableResult]:
    """Profiles and week curves of every commune, cell and site from the persisted site-hours.

    ``site_hours`` is the current period of gold.footfall_site_hours (empty without sensors:
    every commune then has a row saying it has no sensor); ``earlier`` its days a year
    before (:func:`pipelines.footfall.profile.year_before`), for the year-on-year change;
    ``communes`` is silver.communes.
    """
    if site_hours.empty:
        site_hours = _empty_site_hours()
    prof, curve = fp.profiles(site_hours, k, communes=communes[["nis"]], earlier=earlier)
    prof.insert(2, "commune", prof["nis"].map(communes.set_index("nis")["name_fr"]).astype("string"))
    missing = sorted(set(communes["nis"]) - set(prof.loc[prof["level"] == "commune", "nis"]))
    status = _status(len(site_hours) > 0)
    prof_meta = {**status, "yoy_available": int(prof["yoy_change"].notna().sum())}
    prof_checks = [
        k_check(prof, "devices_daily", k, fp.PROFILE_FIGURES),
        Check("every_commune", not missing, {"missing": ", ".join(missing)}),
    ]
    return (
        TableResult(prof, prof_meta, prof_checks),
        TableResult(curve, dict(status), [k_check(curve, "devices", k, ["footfall"])]),
    )


def _empty_site_hours() -> pd.DataFrame:
    """No site-hours, typed (text as object: empty Arrow strings cannot be joined on)."""
    text = "object"
    types = {
        "site_id": text, "sensor_id": text, "h3": "uint64", "nis": text, "ts": TS_DTYPE,
        "day": text, "pedestrians": "float64", "devices": "int64", "source": text,
        "calibration": text, "complete": "bool",
    }
    return _empty(types)[list(ff.SITE_COLUMNS)]


# -- gold.footfall_estimated ---------------------------------------------------------------

ESTIMATE_TYPES = {
    "h3": "uint64", "nis": "string", "footfall_daily": "float64", "basis": "string",
    "estimate": "float64", "low": "float64", "high": "float64", "extrapolated": "bool",
    "measured_daily": "float64", "n_sites": "int64",
}


def _estimate_checks(frame: pd.DataFrame, cells: pd.DataFrame, computed: bool) -> list[Check]:
    missing = sorted(set(cells["nis"]) - set(frame["nis"]))
    ordered = bool(((frame["low"] > 0) & (frame["low"] <= frame["estimate"]) & (frame["estimate"] <= frame["high"])).all())
    every = Check("every_commune", not missing or not computed, {"missing": ", ".join(missing), "computed": computed})
    return [every, Check("interval_ordered", ordered)]


def estimated(
    cells: pd.DataFrame,
    shops: pd.DataFrame,
    stops: pd.DataFrame,
    parking: pd.DataFrame,
    sensors: pd.DataFrame,
    profile_frame: pd.DataFrame,
) -> TableResult:
    """gold.footfall_estimated: measured or modelled mean daily footfall per commercial cell.

    Fewer than :data:`pipelines.footfall.model.MIN_TRAINING_SITES` measured sites: no model
    is fitted, the table is empty and the metadata says ``not_computable`` and what it needs.
    """
    sites = profile_frame[(profile_frame["level"] == "site") & profile_frame["footfall_daily"].notna()]
    if len(sites) < fm.MIN_TRAINING_SITES:
        meta = {**_status(False), "training_sites": len(sites), "needs": f"{NEEDS_SENSORS}: at least {fm.MIN_TRAINING_SITES} measured sites"}
        frame = _empty(ESTIMATE_TYPES)
        return TableResult(frame, meta, _estimate_checks(frame, cells, False))
    ctx = fm.FeatureContext.from_lake(cells, shops, stops, parking)
    where = sensors.to_crs(CRS_METRIC).set_index("sensor_id").geometry.loc[sites["site_id"]]
    features = fm.point_features(ctx, where.x.to_numpy(), where.y.to_numpy(), sites["h3"].to_numpy(), sites["nis"].to_numpy())
    model = fm.fit_footfall_model(features, sites["footfall_daily"])
    measured = profile_frame[profile_frame["level"] == "cell"]
    frame = fm.estimate_cells(model, ctx, cells[["h3", "nis"]], measured[["h3", "footfall_daily", "n_sites"]])
    coef = model.coefficients().round(3)
    meta: dict[str, object] = {**_status(True), **{f"model/{k}": round(v, 4) for k, v in model.metrics.items()}}
    meta["model/coefficients"] = "| feature | coefficient |\n|---|---|\n" + "\n".join(f"| {n} | {v} |" for n, v in coef.items())
    meta["extrapolated_cells"] = int(frame["extrapolated"].sum())
    return TableResult(frame, meta, _estimate_checks(frame, cells, True))


# -- gold.footfall (map layer) -------------------------------------------------------------


def layer(estimated_frame: pd.DataFrame, profile_frame: pd.DataFrame, communes: pd.DataFrame, k: int) -> TableResult:
    """gold.footfall: the estimates joined with the measured cells' rhythm, as hexagons."""
    rhythm = ["devices_daily", "peak_hour", "peak_weekday", "weekday_weekend_ratio", *(f"share_{p}" for p in fp.DAY_PARTS), "suppressed"]
    measured = profile_frame.loc[profile_frame["level"] == "cell", ["h3", *rhythm]]
    frame = estimated_frame.merge(measured.astype({"h3": "uint64"}), on="h3", how="left")
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    frame.insert(2, "commune", frame["nis"].map(communes.set_index("nis")["name_fr"]).astype("string"))
    out = gpd.GeoDataFrame(frame, geometry=cell_polygons(frame["h3"].to_numpy(dtype=np.uint64)).values, crs=CRS_WGS84)
    meta = {**_status(len(out) > 0), "measured_cells": int((out["basis"] == "measured").sum())}
    checks = [k_check(out, "devices_daily", k, LAYER_FIGURES), Check("unique_h3", bool(out["h3"].is_unique))]
    return TableResult(out, meta, checks)
