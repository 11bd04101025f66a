"""Footfall profiles: the week's rhythm, day-parts, peak hour, weekday/weekend, year-on-year.

Input is an hourly table of an area (a cell, a commune) as :func:`pipelines.footfall.area_hours`
gives it: ``<by>, ts, footfall, devices``. Everything is computed on the **weekly curve**,
the mean footfall of each (local weekday, local hour) slot over the days observed, so that
a missing hour lowers no total: a day's footfall is the sum of its 24 slot means.

- ``footfall_daily``: mean over the seven weekdays of the daily sums (pedestrians per day at
  a typical measurement point of the area);
- ``weekday_weekend_ratio``: mean daily footfall Monday-Friday over Saturday-Sunday;
- ``peak_hour``: the local hour with the highest mean (all weekdays together);
- ``share_<part>``: share of the day's footfall in each day-part (:data:`DAY_PARTS`);
- :func:`year_on_year`: footfall of the latest weeks against the same weekdays 364 days
  earlier, on the hours present in both years only; missing (with a reason) otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.constants import CURRENT_DAYS, TIMEZONE

DAY_PARTS = {"morning": (6, 10), "midday": (10, 14), "afternoon": (14, 18), "evening": (18, 22)}
"""Local hours [start, end) of each day-part; 22:00-06:00 is the night."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
YOY_SHIFT_DAYS = 364
"""52 weeks: the same weekdays one year earlier."""
YOY_WINDOW_DAYS = CURRENT_DAYS
YOY_MIN_OVERLAP = 0.5


def year_before(window: list[str], days: list[str]) -> list[str]:
    """The ``days`` (ISO dates) a year-on-year comparison of ``window`` needs: each day of the
    window :data:`YOY_SHIFT_DAYS` earlier, and one day either side (a local day's first and
    last hours may sit in the neighbouring daily file)."""
    if not window:
        return []
    first = pd.Timestamp(min(window)) - pd.Timedelta(days=YOY_SHIFT_DAYS + 1)
    last = pd.Timestamp(max(window)) - pd.Timedelta(days=YOY_SHIFT_DAYS - 1)
    return [d for d in days if first <= pd.Timestamp(d) <= last]


def _local(hours: pd.DataFrame) -> pd.DataFrame:
    local = hours["ts"].dt.tz_convert(TIMEZONE)
    return hours.assign(
        date=local.dt.date,
        weekday=local.dt.day_of_week.astype("int64"),
        hour=local.dt.hour.astype("int64"),
    )


def weekly_curve(hours: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean footfall and devices per (local weekday, local hour) slot of each area.

    Returns
    -------
    pandas.DataFrame
        ``<by>, weekday (0 = Monday), hour (local), footfall, devices, n_days`` where
        ``footfall``/``devices`` are means over the observed days of that weekday (per hour:
        the two 02:00 hours of the night summer time ends are averaged into that day's 02:00
        slot; the missing 02:00 of the spring night leaves the slot to the other days) and
        ``n_days`` is the number of those days.
    """
    frame = _local(hours.dropna(subset=["footfall"]))
    daily = (
        frame.groupby([*by, "date", "weekday", "hour"], observed=True)
        .agg(footfall=("footfall", "mean"), devices=("devices", "mean"))
        .reset_index()
    )
    out = (
        daily.groupby([*by, "weekday", "hour"], observed=True)
        .agg(
            footfall=("footfall", "mean"),
            devices=("devices", "mean"),
            n_days=("date", "nunique"),
        )
        .reset_index()
    )
    return out.astype({"n_days": "int64"})


def _wide(curve: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """(area x weekday) rows, 24 hour columns; NaN where a slot was never observed."""
    wide = curve.pivot_table(index=[*by, "weekday"], columns="hour", values=value, aggfunc="first")
    return wide.reindex(columns=range(24))


def summarise(curve: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Daily footfall, weekday/weekend ratio, peak hour and day-part shares of each area.

    A weekday's daily total needs all 24 slots; figures needing missing weekdays are NaN.

    Returns
    -------
    pandas.DataFrame
        ``<by>, footfall_daily, footfall_weekday, footfall_weekend, weekday_weekend_ratio,
        peak_hour, peak_hour_footfall, peak_weekday, share_morning, share_midday,
        share_afternoon, share_evening, devices_daily, n_days``.
    """
    wide = _wide(curve, by, "footfall")
    daily = wide.sum(axis=1, min_count=24).where(wide.notna().all(axis=1))
    devices = _wide(curve, by, "devices").sum(axis=1, min_count=24)
    frame = pd.DataFrame({"daily": daily, "devices": devices}).reset_index()
    weekday = frame["weekday"] < 5
    groups = frame.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "footfall_daily": groups["daily"].mean(),
            "footfall_weekday": frame[weekday].groupby(by, observed=True)["daily"].mean(),
            "footfall_weekend": frame[~weekday].groupby(by, observed=True)["daily"].mean(),
            "devices_daily": groups["devices"].mean(),
        }
    )
    complete_week = groups["daily"].count() == 7
    out["footfall_daily"] = out["footfall_daily"].where(complete_week)
    out["weekday_weekend_ratio"] = out["footfall_weekday"] / out["footfall_weekend"]
    peak = (
        frame.loc[frame["daily"].notna()].sort_values("daily", ascending=False).drop_duplicates(by)
    )
    out["peak_weekday"] = peak.set_index(by)["weekday"].map(dict(enumerate(WEEKDAYS)))
    hourly = wide.groupby(level=by, observed=True).mean()
    out["peak_hour"] = hourly.idxmax(axis=1).astype("Int64")
    out["peak_hour_footfall"] = hourly.max(axis=1)
    total = hourly.sum(axis=1)
    for part, (start, end) in DAY_PARTS.items():
        out[f"share_{part}"] = hourly.loc[:, start : end - 1].sum(axis=1) / total
    per_weekday = curve.groupby([*by, "weekday"], observed=True)["n_days"].max()
    out["n_days"] = per_weekday.groupby(level=by, observed=True).sum()
    return out.reset_index()


def year_on_year(
    hours: pd.DataFrame,
    by: list[str],
    *,
    window_days: int = YOY_WINDOW_DAYS,
    min_overlap: float = YOY_MIN_OVERLAP,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Change of footfall against the same weeks one year (364 days) earlier.

    The window is the last ``window_days`` local days up to ``end`` (default: the latest
    day in ``hours``). Each (area, local day, local hour) of the window is matched with the
    same weekday and hour 364 days earlier; only hours present in both years count, so
    gaps bias neither side. ``yoy_change = sum(now) / sum(a year earlier) - 1``.

    Returns
    -------
    pandas.DataFrame
        ``<by>, yoy_change, yoy_hours, yoy_period, yoy_reason`` with ``yoy_change`` missing
        and ``yoy_reason`` saying why when fewer than ``min_overlap`` of the window's hours
        have a match.
    """
    frame = _local(hours.dropna(subset=["footfall"]))
    frame = frame.groupby([*by, "date", "hour"], observed=True)["footfall"].sum().reset_index()
    frame["date"] = pd.to_datetime(frame["date"])
    last = pd.Timestamp(end) if end is not None else frame["date"].max()
    first = last - pd.Timedelta(days=window_days - 1)
    shift = pd.Timedelta(days=YOY_SHIFT_DAYS)
    now = frame[(frame["date"] >= first) & (frame["date"] <= last)]
    before = frame.assign(date=frame["date"] + shift).rename(columns={"footfall": "before"})
    pairs = now.merge(before, on=[*by, "date", "hour"], how="left")
    pairs["matched"] = pairs["before"].notna()
    matched = pairs[pairs["matched"]]
    out = pairs.groupby(by, observed=True).agg(
        hours=("matched", "size"), yoy_hours=("matched", "sum")
    )
    sums = matched.groupby(by, observed=True)[["footfall", "before"]].sum()
    out = out.join(sums)
    overlap = out["yoy_hours"] / out["hours"]
    ok = (overlap >= min_overlap) & (out["before"] > 0)
    out["yoy_change"] = (out["footfall"] / out["before"] - 1).where(ok)
    then = f"{(first - shift).date()}..{(last - shift).date()}"
    out["yoy_period"] = f"{first.date()}..{last.date()} vs {then}"
    reason = np.where(
        out["yoy_hours"] == 0,
        f"no data for the same weeks one year earlier ({then})",
        np.where(
            overlap < min_overlap,
            "only "
            + (100 * overlap).round().astype("Int64").astype(str)
            + f" % of the hours have a match one year earlier (need {100 * min_overlap:.0f} %)",
            "no footfall one year earlier",
        ),
    )
    out["yoy_reason"] = pd.Series(reason, index=out.index, dtype="string").where(~ok)
    out["yoy_hours"] = out["yoy_hours"].astype("int64")
    return out.reset_index()[[*by, "yoy_change", "yoy_hours", "yoy_period", "yoy_reason"]]


LEVELS = {"commune": ["nis"], "cell": ["h3", "nis"], "site": ["site_id", "h3", "nis"]}
"""Areas profiled and their keys: each commune, each H3 cell, each measurement site."""
PROFILE_FIGURES = (
    "footfall_daily",
    "footfall_weekday",
    "footfall_weekend",
    "weekday_weekend_ratio",
    "peak_weekday",
    "peak_hour",
    "peak_hour_footfall",
    *(f"share_{p}" for p in DAY_PARTS),
    "yoy_change",
    "yoy_hours",
)
NO_SENSOR = "no footfall sensor in the commune: see gold.footfall_estimated"


def _area_id(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "commune":
        return frame["nis"].astype("string")
    if level == "cell":
        return frame["h3"].map(lambda c: f"{int(c):x}").astype("string")
    return frame["site_id"].astype("string")


def profiles(
    site_hours: pd.DataFrame, k: int, *, communes: pd.DataFrame | None = None, earlier: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profile and weekly curve of every commune, cell and site, small counts suppressed.

    Parameters
    ----------
    site_hours
        Output of :func:`pipelines.footfall.site_hours` over the whole period.
    k
        Suppression threshold: a profile whose mean daily devices (a curve slot whose mean
        hourly devices) is below ``k`` has its figures blanked.
    communes
        ``nis, name_fr`` of every commune: communes without a sensor get a row saying so.
    earlier
        Site-hours of the same weeks a year earlier (:func:`year_before`), read only for the
        year-on-year change when ``site_hours`` is the current period.

    Returns
    -------
    (profile, curve)
        ``profile``: ``level, area_id, nis, h3, site_id, n_sites, n_days`` + the figures of
        :func:`summarise` and :func:`year_on_year`, ``devices_daily, suppressed, note``.
        ``curve``: ``level, area_id, nis, h3, site_id, weekday, weekday_name, hour,
        footfall, devices, n_days, suppressed``.
    """
    from pipelines.footfall.hourly import area_hours
    from pipelines.privacy import suppress

    summaries, curves = [], []
    for level, by in LEVELS.items():
        hours = area_hours(site_hours, by)
        curve = weekly_curve(hours, by)
        history = hours if earlier is None or earlier.empty else pd.concat([area_hours(earlier, by), hours], ignore_index=True)
        summary = summarise(curve, by).merge(year_on_year(history, by), on=by, how="left")
        n_sites = site_hours.groupby(by, observed=True)["site_id"].nunique().rename("n_sites")
        summary = summary.join(n_sites, on=by)
        for frame in (summary, curve):
            frame.insert(0, "area_id", _area_id(frame, level))
            frame.insert(0, "level", level)
            # typed before concatenation: a UInt64 column never passes through float64
            frame["h3"] = frame["h3"].astype("UInt64") if "h3" in frame else pd.NA
            frame["h3"] = frame["h3"].astype("UInt64")
        summaries.append(summary)
        curves.append(curve)
    profile = pd.concat(summaries, ignore_index=True)
    profile["note"] = pd.Series(pd.NA, index=profile.index, dtype="string")
    if communes is not None:
        silent = communes.loc[~communes["nis"].isin(profile["nis"]), ["nis"]]
        empty = silent.assign(
            level="commune", area_id=silent["nis"], n_sites=0, n_days=0, note=NO_SENSOR
        )
        empty["h3"] = pd.array([pd.NA] * len(empty), dtype="UInt64")
        profile = pd.concat([profile, empty], ignore_index=True)
    profile = suppress(profile, "devices_daily", k, PROFILE_FIGURES)
    profile.loc[profile["n_sites"] == 0, "suppressed"] = False  # nothing measured, nothing hidden
    curve = pd.concat(curves, ignore_index=True)
    curve["weekday_name"] = curve["weekday"].map(dict(enumerate(WEEKDAYS)))
    curve = suppress(curve, "devices", k, ["footfall"])
    return _tidy(profile), _tidy(curve)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns first and typed (``h3`` UBIGINT, missing for communes)."""
    out = frame.copy()
    out["h3"] = out["h3"].astype("UInt64")
    for col in ("level", "area_id", "nis", "site_id", "peak_weekday", "yoy_period", "weekday_name"):
        if col not in out:
            continue
        out[col] = out[col].astype("string")
    for col in ("n_sites", "n_days", "peak_hour", "yoy_hours"):
        if col in out:
            out[col] = out[col].astype("Int64")
    keys = [
        c for c in ("level", "area_id", "nis", "h3", "site_id", "n_sites", "n_days") if c in out
    ]
    return out[keys + [c for c in out.columns if c not in keys]]
