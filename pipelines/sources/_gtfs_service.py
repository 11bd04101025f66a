"""GTFS service semantics: which services run on which dates, departures on a day.

Public through :mod:`pipelines.sources.gtfs`. The functions take the typed tables that
:func:`pipelines.sources.gtfs.read_feed` returns (``ReadResult`` or their ``table``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_DTYPE = "datetime64[s]"
DAY_SECONDS = 86400
SERVICE_KEYS = ["feed_id", "service_id", "date"]
DEPARTURE_COLUMNS = [
    "feed_id",
    "stop_id",
    "trip_id",
    "route_id",
    "route_type",
    "departure_s",
    "service_date",
]


def _with_feed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "feed_id" in frame.columns else frame.assign(feed_id="")


def _as_dates(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.astype(DATE_DTYPE)
    return pd.to_datetime(column.astype("string").str.strip(), format="%Y%m%d").astype(DATE_DTYPE)


def _expand_calendar(calendar: pd.DataFrame) -> pd.DataFrame:
    """One row per date between start_date and end_date whose weekday flag is 1."""
    start = _as_dates(calendar["start_date"]).to_numpy().astype("datetime64[D]")
    end = _as_dates(calendar["end_date"]).to_numpy().astype("datetime64[D]")
    span = np.clip((end - start).astype("int64") + 1, 0, None)
    owner = np.repeat(np.arange(len(calendar)), span)
    step = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    dates = start[owner] + step.astype("timedelta64[D]")
    weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    flags = calendar[list(WEEKDAYS)].apply(pd.to_numeric).fillna(0).to_numpy("int64")
    runs = flags[owner, weekday] == 1 if len(owner) else np.zeros(0, dtype=bool)
    return pd.DataFrame(
        {
            "feed_id": calendar["feed_id"].to_numpy()[owner[runs]],
            "service_id": calendar["service_id"].to_numpy()[owner[runs]],
            "date": dates[runs].astype(DATE_DTYPE),
        }
    )


def service_dates(calendar: pd.DataFrame, calendar_dates: pd.DataFrame) -> pd.DataFrame:
    """Dates on which each service runs: calendar weekdays, minus removals, plus additions.

    Parameters
    ----------
    calendar, calendar_dates
        Typed tables (either may be empty, as GTFS allows either file alone). Dates may
        also be ``YYYYMMDD`` text.

    Returns
    -------
    pandas.DataFrame
        ``feed_id, service_id, date`` (``datetime64[s]``), sorted and unique. An
        exception_type 2 removes a date of the calendar; type 1 adds a date. (GTFS forbids
        both on one service and date; should both occur, the addition wins.)
    """
    calendar = _with_feed(calendar)
    exceptions = _with_feed(calendar_dates)
    base = _expand_calendar(calendar)
    exceptions = pd.DataFrame(
        {
            "feed_id": exceptions["feed_id"],
            "service_id": exceptions["service_id"],
            "date": _as_dates(exceptions["date"]),
            "kind": pd.to_numeric(exceptions["exception_type"]),
        }
    )
    removed = exceptions.loc[exceptions["kind"] == 2, SERVICE_KEYS]
    added = exceptions.loc[exceptions["kind"] == 1, SERVICE_KEYS]
    marked = base.merge(removed.drop_duplicates(), on=SERVICE_KEYS, how="left", indicator=True)
    base = marked.loc[marked["_merge"] == "left_only", SERVICE_KEYS]
    out = pd.concat([base, added], ignore_index=True).drop_duplicates()
    out = out.astype({"feed_id": "string", "service_id": "string", "date": DATE_DTYPE})
    return out.sort_values(SERVICE_KEYS).reset_index(drop=True)


def _tables(feed: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    return {name: _with_feed(getattr(value, "table", value)) for name, value in feed.items()}


def _services_on(tables: dict[str, pd.DataFrame], day: pd.Timestamp) -> pd.DataFrame:
    calendar = tables["calendar"]
    exceptions = tables["calendar_dates"]
    if len(calendar):
        covers = (_as_dates(calendar["start_date"]) <= day) & (
            _as_dates(calendar["end_date"]) >= day
        )
        calendar = calendar[covers]
    if len(exceptions):
        exceptions = exceptions[_as_dates(exceptions["date"]) == day]
    active = service_dates(calendar, exceptions)
    return active.loc[active["date"] == day, ["feed_id", "service_id"]]


def _departures_of_service_day(tables: dict[str, pd.DataFrame], day: pd.Timestamp) -> pd.DataFrame:
    services = _services_on(tables, day)
    trips = tables["trips"].merge(services, on=["feed_id", "service_id"])
    times = tables["stop_times"][["feed_id", "trip_id", "stop_id", "departure_s"]]
    out = times.merge(trips[["feed_id", "trip_id", "route_id"]], on=["feed_id", "trip_id"])
    routes = tables["routes"][["feed_id", "route_id", "route_type"]]
    out = out.merge(routes, on=["feed_id", "route_id"], how="left")
    out["service_date"] = day
    return out


def departures_on(
    feed: Mapping[str, Any], date: dt.date | str, *, include_overnight: bool = True
) -> pd.DataFrame:
    """Every (stop, trip) departure of the service date ``date``.

    A departure is a stop_time of a trip whose service runs on ``date``; every stop of the
    trip counts (GTFS ``pickup_type`` is not applied), and stop_times without a time keep
    ``departure_s`` NA. ``departure_s`` counts seconds from the service-day origin and
    may exceed 86400. With ``include_overnight`` the trips of the previous service date
    that depart at or after 24:00:00 are added, shifted by -86400 s (so a 25:10:00
    departure of yesterday appears as 01:10:00 today, ``service_date`` yesterday).

    Returns
    -------
    pandas.DataFrame
        ``feed_id, stop_id, trip_id, route_id, route_type, departure_s, service_date``.
    """
    tables = _tables(feed)
    day = pd.Timestamp(str(date)[:10]).as_unit("s")
    parts = [_departures_of_service_day(tables, day)]
    if include_overnight:
        before = _departures_of_service_day(tables, day - pd.Timedelta(days=1))
        before = before[before["departure_s"] >= DAY_SECONDS]
        parts.append(before.assign(departure_s=before["departure_s"] - DAY_SECONDS))
    out = pd.concat(parts, ignore_index=True)[DEPARTURE_COLUMNS]
    out = out.astype({"departure_s": "Int64", "service_date": DATE_DTYPE})
    return out.sort_values(["feed_id", "stop_id", "departure_s", "trip_id"]).reset_index(drop=True)


def stops_without_departures(feed: Mapping[str, Any]) -> pd.DataFrame:
    """Stops or platforms (location_type 0 or empty) that no stop_time serves.

    They are kept in the stops table and reported here, never dropped.
    """
    tables = _tables(feed)
    stops = tables["stops"]
    kind = pd.Series(0, index=stops.index)
    if "location_type" in stops.columns:
        kind = pd.to_numeric(stops["location_type"], errors="coerce").fillna(0)
    served = tables["stop_times"][["feed_id", "stop_id"]].drop_duplicates()
    marked = stops.merge(served, on=["feed_id", "stop_id"], how="left", indicator=True)
    unserved = (marked["_merge"] == "left_only").to_numpy() & (kind == 0).to_numpy()
    columns = [
        c for c in ("feed_id", "stop_id", "stop_name", "stop_lat", "stop_lon") if c in stops.columns
    ]
    return stops.loc[unserved, columns].reset_index(drop=True)
