"""Public-transport coverage from GTFS: departures per stop, EU DG REGIO classes, SDG 11.2.1.

Departures are counted for one service date with
:func:`pipelines.sources.gtfs.departures_on`, which applies ``calendar.txt`` **and**
``calendar_dates.txt`` and adds the previous day's trips running past midnight.

* **EU DG REGIO frequency classes** (Poelman & Dijkstra 2015): departures per hour at a stop
  between 06:00 and 20:00 on a weekday; ``high`` > 10, ``medium`` 4-10, ``low`` < 4 (and
  ``none`` for a stop without any departure in the window).
* **UN SDG 11.2.1**: a resident has convenient access when a stop lies within a 500 m walk
  along the street network (bus, tram: low capacity) or 1 km (rail, metro, ferry: high
  capacity), with frequent service (here: at least ``min_departures_per_hour``, by default
  the lower bound of the DG REGIO ``medium`` class).

Every stop of the feed stays in the output: stops without any timed stop_time and stops
without a departure on the chosen date are flagged in ``report``, never dropped.
Pure pandas/numpy; ``docs/indicators/friction.md`` explains the indicator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipelines.network import WALK_SPEED_KMH
from pipelines.sources.gtfs import WEEKDAYS, departures_on
from pipelines.sparse_times import SparseTimes, as_sparse

WINDOW_HOURS = (6, 20)
"""DG REGIO counting window, local service-day hours [06:00, 20:00)."""

CLASS_LABELS = ("high", "medium", "low", "none")
"""DG REGIO classes from best to worst (``none``: no departure in the window)."""

FREQUENT_DEPARTURES_PER_HOUR = 4.0
"""Default SDG 11.2.1 "frequent service" threshold (the DG REGIO ``medium`` lower bound)."""

LOW_CAPACITY_RADIUS_M = 500.0
HIGH_CAPACITY_RADIUS_M = 1000.0

HIGH_CAPACITY_ROUTE_TYPES = frozenset({1, 2, 4, 12})
"""Basic GTFS route types of high-capacity systems: metro, rail, ferry, monorail."""
_HIGH_CAPACITY_RANGES = ((100, 200), (400, 500), (500, 600), (1000, 1100), (1200, 1300))
"""Extended route types: railway, urban railway, metro, water transport, ferry."""

STOP_COLUMNS = (
    "feed_id",
    "stop_id",
    "departures",
    "departures_per_hour",
    "dg_regio_class",
    "high_capacity",
    "radius_m",
    "report",
)


def is_high_capacity(route_type: object) -> bool:
    """Whether a GTFS ``route_type`` (basic or extended) is a high-capacity system."""
    try:
        value = int(route_type)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return value in HIGH_CAPACITY_ROUTE_TYPES or any(
        lo <= value < hi for lo, hi in _HIGH_CAPACITY_RANGES
    )


def dg_regio_class(departures_per_hour: object) -> np.ndarray:
    """DG REGIO class of each value: ``high`` > 10, ``medium`` 4-10, ``low`` (0, 4), ``none`` 0.

    Raises
    ------
    ValueError
        On a negative or non-finite value.
    """
    dph = np.atleast_1d(np.asarray(departures_per_hour, dtype=float))
    if (~np.isfinite(dph) | (dph < 0)).any():
        bad = dph[~np.isfinite(dph) | (dph < 0)][0]
        raise ValueError(f"departures per hour must be finite and >= 0; found {bad}")
    return np.select([dph > 10, dph >= 4, dph > 0], ["high", "medium", "low"], "none")


def feed_from_silver(
    departures: pd.DataFrame, service_dates: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """GTFS-like tables for :func:`~pipelines.sources.gtfs.departures_on` from silver tables.

    ``silver.service_dates`` already expands calendar.txt and calendar_dates.txt, so it
    becomes a calendar_dates table of additions (exception_type 1) with an empty calendar.

    Parameters
    ----------
    departures : pandas.DataFrame
        ``silver.departures``: feed_id, stop_id, trip_id, route_id, route_type, service_id,
        departure_s.
    service_dates : pandas.DataFrame
        ``silver.service_dates``: feed_id, service_id, date.
    """
    trips = departures[["feed_id", "trip_id", "route_id", "service_id"]].drop_duplicates()
    calendar = pd.DataFrame(
        {
            c: pd.Series(dtype="string")
            for c in ("feed_id", "service_id", *WEEKDAYS, "start_date", "end_date")
        }
    )
    additions = service_dates[["feed_id", "service_id", "date"]].assign(exception_type=1)
    return {
        "calendar": calendar,
        "calendar_dates": additions,
        "trips": trips,
        "stop_times": departures[["feed_id", "trip_id", "stop_id", "departure_s"]],
        "routes": departures[["feed_id", "route_id", "route_type"]].drop_duplicates(),
    }


def busiest_weekday(service_dates: pd.DataFrame, departures: pd.DataFrame) -> dt.date:
    """The Monday-Friday date with the most scheduled stop departures (ties: the earliest).

    Parameters
    ----------
    service_dates : pandas.DataFrame
        feed_id, service_id, date (as from :func:`pipelines.sources.gtfs.service_dates`).
    departures : pandas.DataFrame
        One row per scheduled stop departure with feed_id and service_id.

    Raises
    ------
    ValueError
        If no service runs on any weekday.
    """
    per_service = departures.groupby(["feed_id", "service_id"]).size().rename("n").reset_index()
    dates = service_dates.merge(per_service, on=["feed_id", "service_id"])
    dates = dates[pd.to_datetime(dates["date"]).dt.day_of_week < 5]
    if dates.empty:
        raise ValueError(
            "no GTFS service runs on a weekday (Monday-Friday): cannot pick a service date"
        )
    per_day = dates.groupby("date")["n"].sum()
    best = per_day[per_day == per_day.max()].index.min()
    return pd.Timestamp(best).date()


def window_departures(
    feed: Mapping[str, pd.DataFrame], date: dt.date | str, *, window: tuple[int, int] = WINDOW_HOURS
) -> pd.DataFrame:
    """The departures of :func:`~pipelines.sources.gtfs.departures_on` within ``window``.

    ``window`` is (start, end) hours of the service day, end excluded; departures without a
    time cannot be placed in it and are left out (their stops are reported by
    :func:`departures_per_stop`).
    """
    start, end = window
    if not 0 <= start < end <= 48:
        raise ValueError(
            f"window must be (start, end) hours with 0 <= start < end <= 48; found {window}"
        )
    out = departures_on(feed, date)
    seconds = out["departure_s"].astype("float64")
    out = out[(seconds >= start * 3600) & (seconds < end * 3600)].reset_index(drop=True)
    return out.astype({"feed_id": "string", "stop_id": "string"})


def trips_per_hour(
    timed: pd.DataFrame, stops: pd.DataFrame, window: tuple[int, int] = WINDOW_HOURS
) -> float:
    """Distinct trips per hour calling at any of ``stops`` (feed_id, stop_id) in ``timed``.

    A bus calling at three stops of a district counts once: the figure is the service the
    place gets, not the sum of the stops' departures.
    """
    one_group = pd.DataFrame({"group": 0, "place": np.arange(len(stops))})
    return float(trips_per_hour_by_group(timed, stops, one_group, window).get(0, 0.0))


def trips_per_hour_by_group(
    timed: pd.DataFrame, stops: pd.DataFrame, places: pd.DataFrame, window: tuple[int, int] = WINDOW_HOURS
) -> pd.Series:
    """:func:`trips_per_hour` of many groups of stops in one join.

    ``places`` holds ``group, place`` pairs, ``place`` a row position in ``stops``
    (feed_id, stop_id). Returns trips per hour indexed by group (groups without a call: 0).
    """
    keys = stops[["feed_id", "stop_id"]].astype("string").assign(place=np.arange(len(stops)))
    keys = keys.merge(places[["group", "place"]], on="place")[["feed_id", "stop_id", "group"]]
    if not all(pd.api.types.is_string_dtype(timed[c]) for c in ("feed_id", "stop_id")):
        timed = timed.astype({"feed_id": "string", "stop_id": "string"})
    calls = timed.merge(keys, on=["feed_id", "stop_id"])
    trips = calls[["group", "feed_id", "trip_id", "service_date"]].drop_duplicates()
    counts = trips.groupby("group").size().reindex(pd.unique(places["group"]), fill_value=0)
    return counts / float(window[1] - window[0])


def departures_per_stop(
    feed: Mapping[str, pd.DataFrame],
    stops: pd.DataFrame,
    date: dt.date | str,
    *,
    window: tuple[int, int] = WINDOW_HOURS,
    timed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Departures of every stop in the window of one service date, with its DG REGIO class.

    Parameters
    ----------
    feed : mapping
        Tables accepted by :func:`~pipelines.sources.gtfs.departures_on` (a read feed, or
        :func:`feed_from_silver`).
    stops : pandas.DataFrame
        Every stop (feed_id, stop_id; optional ``n_stop_times`` and ``location_type``).
    date : datetime.date or str
        Service date (overnight trips of the day before are included).
    window : (int, int)
        Hours [start, end) of the service day; departures per hour = departures / hours.
    timed : pandas.DataFrame, optional
        :func:`window_departures` of the same date and window, when already computed.

    Returns
    -------
    pandas.DataFrame
        One row per input stop, columns :data:`STOP_COLUMNS`. ``report`` says why a stop
        has no departure ("no timed stop_time in the feed", "no departure on <date>
        06-20 h") and is empty otherwise; ``high_capacity`` is True when a route of a
        high-capacity type serves the stop, ``radius_m`` the SDG walking radius.
    """
    start, end = window
    if timed is None:
        timed = window_departures(feed, date, window=window)
    keys = ["feed_id", "stop_id"]
    high = timed.assign(high=timed["route_type"].map(is_high_capacity)).groupby(keys)["high"].any()
    per_stop = pd.concat([timed.groupby(keys).size().rename("departures"), high], axis=1)
    per_stop = per_stop.reset_index().astype({"feed_id": "string", "stop_id": "string"})
    frame = stops[keys].drop_duplicates().astype({"feed_id": "string", "stop_id": "string"})
    frame = frame.merge(per_stop, on=keys, how="left").reset_index(drop=True)
    frame["departures"] = frame["departures"].fillna(0).astype("int64")
    frame["departures_per_hour"] = frame["departures"] / float(end - start)
    frame["dg_regio_class"] = dg_regio_class(frame["departures_per_hour"].to_numpy())
    frame["high_capacity"] = frame["high"].fillna(False).astype(bool)
    frame["radius_m"] = np.where(
        frame["high_capacity"], HIGH_CAPACITY_RADIUS_M, LOW_CAPACITY_RADIUS_M
    )
    frame["report"] = _reports(frame, stops, date, window)
    return frame[list(STOP_COLUMNS)]


def _reports(
    frame: pd.DataFrame, stops: pd.DataFrame, date: dt.date | str, window: tuple[int, int]
) -> pd.Series:
    """Why a stop has no departure in the window (empty string when it has some)."""
    keys = ["feed_id", "stop_id"]
    info = stops.astype({"feed_id": "string", "stop_id": "string"}).drop_duplicates(keys)
    info = frame[keys].merge(info, on=keys, how="left")
    never = pd.Series(False, index=frame.index)
    if "n_stop_times" in info.columns:
        never = info["n_stop_times"].fillna(0).astype("int64").eq(0).to_numpy()
    report = np.where(
        frame["departures"].to_numpy() > 0,
        "",
        f"no departure on {str(date)[:10]} {window[0]:02d}-{window[1]:02d} h",
    )
    report = np.where(never, "no timed stop_time in the feed", report)
    if "location_type" in info.columns:
        kind = (
            pd.to_numeric(info["location_type"], errors="coerce")
            .fillna(0)
            .astype("int64")
            .to_numpy()
        )
        report = np.where(
            kind > 0, "not a boarding stop (location_type " + kind.astype(str) + ")", report
        )
    return pd.Series(report, index=frame.index, dtype="string")


def cell_coverage(
    walk_s: np.ndarray | SparseTimes,
    stops: pd.DataFrame,
    *,
    min_departures_per_hour: float = FREQUENT_DEPARTURES_PER_HOUR,
    walk_speed_kmh: float = WALK_SPEED_KMH,
) -> pd.DataFrame:
    """Public-transport class and SDG 11.2.1 access of every cell (or home).

    Parameters
    ----------
    walk_s : SparseTimes or numpy.ndarray, shape (n_stops, n_cells)
        Walking times from each stop to each cell along the street network (``inf`` or
        absent = beyond reach); walking is symmetric, so stops may be the origins.
    stops : pandas.DataFrame
        Rows aligned with ``walk_s``: ``departures_per_hour`` and ``radius_m`` (see
        :func:`departures_per_stop`).
    min_departures_per_hour : float
        Frequency a stop needs to count for SDG 11.2.1.
    walk_speed_kmh : float
        Converts the radius (metres) into a walking time.

    Returns
    -------
    pandas.DataFrame
        Per cell: ``pt_departures_per_hour`` (the best stop within its radius, 0 if none),
        ``pt_class`` (DG REGIO class of that stop, ``none`` without a stop),
        ``pt_walk_min`` (minutes to the nearest stop with a departure, NaN beyond every
        radius) and ``sdg_11_2_1`` (a frequent stop within its radius).
    """
    times = as_sparse(walk_s)
    if times.shape[0] != len(stops):
        raise ValueError(
            f"walk_s must have shape (n_stops={len(stops)}, n_cells); found {times.shape}"
        )
    dph = stops["departures_per_hour"].to_numpy(float)
    limit_s = stops["radius_m"].to_numpy(float) / (walk_speed_kmh / 3.6)
    limit_s = np.where(dph > 0, limit_s, -1.0)  # a stop without departures covers nothing
    stop, cell, seconds = times.triplets()
    keep = seconds <= limit_s[stop]
    stop, cell, seconds = stop[keep], cell[keep], seconds[keep]
    n_cells = times.shape[1]
    best, nearest = np.zeros(n_cells), np.full(n_cells, np.inf)
    np.maximum.at(best, cell, dph[stop])
    np.minimum.at(nearest, cell, seconds)
    frequent = np.zeros(n_cells, dtype=bool)
    frequent[cell[dph[stop] >= min_departures_per_hour]] = True
    return pd.DataFrame(
        {
            "pt_departures_per_hour": best,
            "pt_class": dg_regio_class(best),
            "pt_walk_min": np.where(np.isfinite(nearest), nearest / 60.0, np.nan),
            "sdg_11_2_1": frequent,
        }
    )


def population_shares(population: pd.Series, groups: pd.Series, values: pd.Series) -> pd.DataFrame:
    """Share (%) of the population of each group in each value (e.g. commune x PT class).

    Returns a frame indexed by group with one column per value; rows sum to 100 (0 for a
    group without inhabitants).
    """
    frame = pd.DataFrame(
        {"group": groups.to_numpy(), "value": values.to_numpy(), "pop": population.to_numpy(float)}
    )
    table = frame.pivot_table(
        index="group", columns="value", values="pop", aggfunc="sum", fill_value=0.0
    )
    totals = table.sum(axis=1)
    return table.div(totals.where(totals > 0, 1.0), axis=0) * 100.0
