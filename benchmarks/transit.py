"""Benchmark of public-transport coverage on a TEC-size GTFS feed, against gtfs-kit.

**The feed.** The demo's 262-commune region (``generate --communes 262``, Wallonia-size)
has a TEC-like ``bus.zip`` of about 4,300 stops and 340,000 stop_times; the real TEC feed
has about 32,000 stops and 1.5 M stop_times. :func:`scale_feed` builds a feed of exactly
``stops`` stops and ``stop_times`` stop_times from it, deterministically (numpy, seeded):

* **stops**: copy 0 is the source feed's stops unchanged; copies 1, 2, ... repeat every stop
  under a new id (``<stop_id>_r<copy>``, likewise ``stop_code``) moved by a random offset of
  ``offset_m`` metres (20-300 m) in a random direction. As many copies are made as
  ``stops`` needs; the last one holds a random subset of the stops so that the total is
  exactly ``stops``.
* **trips**: every (copy, trip) pair is a candidate trip calling at that copy's stops
  (``<trip_id>_r<copy>``; copy 0 keeps the source ids and times). In the last, partial copy
  a trip skips the stops that copy lacks (valid GTFS: stop_sequence may have gaps), and a
  candidate left with fewer than two stop_times is dropped. Candidates are taken in a
  random order until ``stop_times`` rows are reached; the last one taken is cut after its
  first stops so that the total is exact (should one row be missing, another trip gives
  up its last stop, so that no trip has a single stop_time). Every copied trip is shifted by
  a random whole number of minutes in [-``shift_min``, +``shift_min``] (never before 00:00),
  and keeps its route, service, headsign and direction. So the scaled feed has fewer
  stop_times per stop than the source (about 47 against 79), as the real TEC has.
* **other files**: ``agency``, ``routes``, ``calendar``, ``calendar_dates``, ``feed_info``
  and ``shapes`` are copied byte for byte; files that name stops or trips otherwise
  (``transfers``, ``frequencies``, ...) are left out. The zip has the published layout
  (``.txt`` members at the root, written by :func:`pipelines.demo.writers.write_zip`).

The generated ``rail.zip`` (SNCB-like) is benchmarked with it unchanged, and with
``--sncb`` also the real SNCB GTFS test fixture of ``../shared/realdata/03_gtfs`` (2019,
2,635 stops, 19,017 trips, ``stop_times`` cut to 101 rows upstream; see its PROVENANCE.md).

**What is timed.** *Ours* is the path the friction engine takes from the GTFS zips to the
departures per stop: bronze (:func:`pipelines.sources.gtfs.read_feed` per zip, the
tables concatenated and written to Parquet), silver (``sql/silver/departures.sql`` and
``sql/silver/stop_service.sql`` in DuckDB, :func:`pipelines.sources.gtfs.service_dates`)
and :func:`pipelines.friction.build.public_transport`'s calls
(:func:`~pipelines.transit.feed_from_silver`, :func:`~pipelines.transit.busiest_weekday`,
:func:`~pipelines.transit.window_departures`, :func:`~pipelines.transit.departures_per_stop`).
*gtfs-kit* reads each zip with ``gtfs_kit.read_feed``, keeps the stop_times whose
departure lies in the same 06-20 h window (gtfs-kit has no counting window: its
``compute_stop_stats`` counts the whole service day, the window only bounds headways) and
runs ``compute_stop_stats`` for the same date; its ``num_trips`` is the number of
departures at the stop. The two must agree for every stop, up to one documented
difference: :func:`pipelines.sources.gtfs.departures_on` also counts the previous service
day's trips running past 24:00 (shifted by -24 h), gtfs-kit does not. Within a 06-20 h
window that only matters for times of 30:00:00 and later; they are counted and taken out
before comparing. Any other difference raises.

The **coverage** step builds the walk network of the generated region with the functions
silver uses (:func:`pipelines.sources.osm_extract.read_street_graph`,
:func:`pipelines.network.mode_network`) and its H3 res-9 cells (the covering cells of the
communes, :func:`pipelines.grid.covering_cells`, as :func:`pipelines.grid.territory_cells`
starts with); this set-up is cached in the work folder and timed apart. Then it times what
friction does: :func:`pipelines.catchment.area.mode_router` on the walk network, the cell
centres, :meth:`pipelines.routing.Router.travel_times` from the stops to every cell centre
with the cut-off friction uses (:data:`pipelines.friction.reach.STOP_WALK_S`, the
farthest walk a stop covers, ``sparse=True``) and :func:`pipelines.transit.cell_coverage`.
With ``walk_sample`` only a seeded sample of the stops is routed and the time is
extrapolated linearly to every stop (the destination snapping, timed apart, counted once);
the rows say so. By default every stop is routed.

Run: ``python -m benchmarks.transit [--workdir DIR] [--stops 32000]
[--stop-times 1500000] [--walk-sample 2000] [--sncb]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_STOPS = 32_000
"""Stops of the TEC feed (about 32,000 poles; 32,059 in the 2013 open-data release)."""
TARGET_STOP_TIMES = 1_500_000
"""Stop_times of the TEC feed (about 1.5 M)."""
TARGET_SECONDS = 30.0
"""The issue's target for public-transport coverage on the TEC-size feed (2 cores)."""
SEED = 20_261
REGION_COMMUNES = 262
"""Communes of the generated region (the size of Wallonia)."""
COPIED_MEMBERS = ("agency", "routes", "calendar", "calendar_dates", "feed_info", "shapes")
"""Members copied unchanged into the scaled feed (they name no stop nor trip)."""
SNCB_FIXTURE = Path("03_gtfs") / "sncb_gtfs_2019_testfixture.zip"
"""The real SNCB GTFS under ``../shared/realdata``."""
_KEYS = ["feed_id", "stop_id"]


@contextmanager
def _clock(out: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall time of the block to ``out[key]``."""
    start = time.perf_counter()
    yield
    out[key] = out.get(key, 0.0) + time.perf_counter() - start


# ------------------------------------------------------------------------- the scaled feed


def _read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {Path(m).stem: archive.read(m) for m in archive.namelist() if m.endswith(".txt")}


def _table(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _seconds(times: pd.Series) -> np.ndarray:
    """``H:MM:SS`` texts as seconds (NaN when empty), parsing each distinct text once."""
    codes, uniques = pd.factorize(times.to_numpy(dtype=object))
    parsed = np.full(len(uniques) + 1, np.nan)
    for i, text in enumerate(uniques):
        parts = str(text).strip().split(":")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            parsed[i] = int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    return parsed[np.where(codes < 0, len(uniques), codes)]


def _time_texts(seconds: np.ndarray) -> np.ndarray:
    """Seconds as ``HH:MM:SS`` (hours past 24 kept; NaN gives an empty text)."""
    codes, uniques = pd.factorize(seconds)
    texts = np.array(
        [
            ""
            if not np.isfinite(s)
            else f"{int(s) // 3600:02d}:{int(s) % 3600 // 60:02d}:{int(s) % 60:02d}"
            for s in uniques
        ]
        + [""],
        dtype=object,
    )
    return texts[np.where(codes < 0, len(uniques), codes)]


def _suffix(copies: np.ndarray) -> np.ndarray:
    """``""`` for copy 0, ``_r<copy>`` for the others."""
    labels = np.array([""] + [f"_r{c}" for c in range(1, int(copies.max(initial=0)) + 1)])
    return labels[copies]


def _renamed(values: pd.Series | np.ndarray, copies: np.ndarray) -> np.ndarray:
    text = np.asarray(values, dtype=object)
    return np.where(text == "", text, text + _suffix(copies).astype(object))


def scale_feed(
    source: Path,
    target: Path,
    *,
    stops: int = TARGET_STOPS,
    stop_times: int = TARGET_STOP_TIMES,
    seed: int = SEED,
    offset_m: tuple[float, float] = (20.0, 300.0),
    shift_min: int = 10,
) -> dict[str, int]:
    """Write a GTFS zip of exactly ``stops`` stops and ``stop_times`` stop_times.

    Replicates the stops and trips of ``source`` under new ids with small coordinate
    offsets and time shifts, as the module docstring describes.

    Parameters
    ----------
    source : Path
        A GTFS zip (e.g. the generated ``gtfs/bus.zip``); every stop_time must name a stop
        and a trip of the feed.
    target : Path
        The zip written.
    stops, stop_times : int
        Sizes of the scaled feed.
    seed : int
        Seed of every random choice.
    offset_m : (float, float)
        Range of the distance (metres) a copied stop is moved.
    shift_min : int
        Largest time shift (minutes) of a copied trip.

    Returns
    -------
    dict
        Rows per table (``stops``, ``trips``, ``stop_times``) and ``copies``.

    Raises
    ------
    ValueError
        On sizes the source cannot reach (fewer than two stop_times per trip left) or a
        stop_time naming an unknown stop or trip.
    """
    if stops < 1 or stop_times < 2:
        raise ValueError(f"need stops >= 1 and stop_times >= 2; found {stops}, {stop_times}")
    rng = np.random.default_rng(seed)
    members = _read_members(Path(source))
    stop_frame, trip_frame = _table(members["stops"]), _table(members["trips"])
    times = _table(members["stop_times"])
    n_stops, n_trips = len(stop_frame), len(trip_frame)
    stop_of = pd.Index(stop_frame["stop_id"]).get_indexer(times["stop_id"])
    trip_of = pd.Index(trip_frame["trip_id"]).get_indexer(times["trip_id"])
    if (stop_of < 0).any() or (trip_of < 0).any():
        raise ValueError(f"{source}: stop_times name stops or trips absent from the feed")
    order = np.lexsort((pd.to_numeric(times["stop_sequence"]).to_numpy(), trip_of))
    times, stop_of, trip_of = (
        times.iloc[order].reset_index(drop=True),
        stop_of[order],
        trip_of[order],
    )
    copies = math.ceil(stops / n_stops)
    last = copies - 1
    in_last = np.zeros(n_stops, dtype=bool)
    in_last[rng.choice(n_stops, stops - last * n_stops, replace=False)] = True

    # candidates k = copy * n_trips + trip, with the stop_times each would have
    length = np.bincount(trip_of, minlength=n_trips)
    first_row = np.cumsum(length) - length
    counts = np.tile(length, copies)
    counts[last * n_trips :] = np.bincount(trip_of, weights=in_last[stop_of], minlength=n_trips)
    shuffled = rng.permutation(np.flatnonzero(counts >= 2))
    total = np.cumsum(counts[shuffled])
    if not len(total) or total[-1] < stop_times:
        available = int(total[-1]) if len(total) else 0
        raise ValueError(f"{source} scaled to {stops} stops gives at most {available} stop_times")
    whole = int(np.searchsorted(total, stop_times, side="right"))
    chosen, take = shuffled[:whole], counts[shuffled[:whole]].copy()
    rest = stop_times - (int(total[whole - 1]) if whole else 0)
    if rest:
        if rest == 1:  # no single-stop trip: a trip of 3+ stop_times gives up its last one
            donors = np.flatnonzero(take >= 3)
            if not len(donors):
                raise ValueError(f"{source}: no trip of 3+ stop_times to reach {stop_times}")
            take[donors[0]] -= 1
            rest = 2
        chosen, take = np.append(chosen, shuffled[whole]), np.append(take, rest)
    keep_order = np.argsort(chosen)
    chosen, take = chosen[keep_order], take[keep_order]
    copy_of, trip = chosen // n_trips, chosen % n_trips

    # the stop_times rows of each chosen candidate, in stop_sequence order
    full = length[trip]
    owner = np.repeat(np.arange(len(chosen)), full)
    starts = np.cumsum(full) - full
    row = first_row[trip][owner] + np.arange(full.sum()) - np.repeat(starts, full)
    kept = (copy_of[owner] < last) | in_last[stop_of[row]]
    seen = np.cumsum(kept)
    before = np.repeat(np.concatenate([[0], seen[np.cumsum(full)[:-1] - 1]]), full)
    kept &= (seen - before - 1) < take[owner]
    owner, row = owner[kept], row[kept]

    departure = _seconds(times["departure_time"])
    arrival = _seconds(times["arrival_time"])
    earliest = (
        pd.Series(np.fmin(arrival, departure)[row]).groupby(owner).min().reindex(range(len(chosen)))
    )
    shift = rng.integers(-shift_min, shift_min + 1, len(chosen)) * 60.0
    shift = np.where(copy_of == 0, 0.0, np.maximum(shift, -earliest.fillna(0).to_numpy()))
    out_times = times.iloc[row].reset_index(drop=True)
    row_copy = copy_of[owner]
    out_times["trip_id"] = _renamed(out_times["trip_id"], row_copy)
    out_times["stop_id"] = _renamed(out_times["stop_id"], row_copy)
    out_times["arrival_time"] = _time_texts(arrival[row] + shift[owner])
    out_times["departure_time"] = _time_texts(departure[row] + shift[owner])

    out_trips = trip_frame.iloc[trip].reset_index(drop=True)
    out_trips["trip_id"] = _renamed(out_trips["trip_id"], copy_of)

    stop_copy = np.repeat(np.arange(copies), n_stops)
    stop_row = np.tile(np.arange(n_stops), copies)
    present = (stop_copy < last) | in_last[stop_row]
    stop_copy, stop_row = stop_copy[present], stop_row[present]
    out_stops = stop_frame.iloc[stop_row].reset_index(drop=True)
    for column in ("stop_id", "stop_code", "parent_station"):
        if column in out_stops.columns:
            out_stops[column] = _renamed(out_stops[column], stop_copy)
    lat = pd.to_numeric(out_stops["stop_lat"], errors="coerce").to_numpy()
    lon = pd.to_numeric(out_stops["stop_lon"], errors="coerce").to_numpy()
    angle = rng.uniform(0.0, 2.0 * np.pi, len(out_stops))
    metres = np.where(stop_copy == 0, 0.0, rng.uniform(*offset_m, len(out_stops)))
    moved = (stop_copy > 0) & np.isfinite(lat) & np.isfinite(lon)
    new_lat = lat + metres * np.sin(angle) / 111_320.0
    new_lon = lon + metres * np.cos(angle) / (111_320.0 * np.cos(np.radians(lat)))
    out_stops.loc[moved, "stop_lat"] = [f"{v:.7f}" for v in new_lat[moved]]
    out_stops.loc[moved, "stop_lon"] = [f"{v:.7f}" for v in new_lon[moved]]

    from pipelines.demo.writers import write_zip

    texts = {
        f"{name}.txt": members[name].decode("utf-8") for name in COPIED_MEMBERS if name in members
    }
    texts.update(
        {
            "stops.txt": _csv(out_stops),
            "trips.txt": _csv(out_trips),
            "stop_times.txt": _csv(out_times),
        }
    )
    write_zip(Path(target), texts)
    return {
        "stops": len(out_stops),
        "trips": len(out_trips),
        "stop_times": len(out_times),
        "copies": copies,
    }


def feed_sizes(path: Path) -> dict[str, int]:
    """Rows of ``stops.txt``, ``trips.txt`` and ``stop_times.txt`` of a GTFS zip."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: max(archive.read(f"{name}.txt").count(b"\n") - 1, 0)
            for name in ("stops", "trips", "stop_times")
        }


# ------------------------------------------------------------------------ departures per stop


@dataclass
class Departures:
    """Departures per stop of one tool, and the seconds of each of its steps."""

    per_stop: pd.DataFrame
    seconds: dict[str, float]
    stops: pd.DataFrame | None = None
    """Ours: silver-like stops with coordinates, aligned with ``per_stop``."""
    timed: pd.DataFrame | None = None
    """Ours: the window departures (:func:`pipelines.transit.window_departures`)."""
    day: dt.date | None = None
    """Ours: the busiest weekday."""


def ours_departures(
    feeds: Sequence[Path], lake_dir: Path, *, window: tuple[int, int] | None = None
) -> Departures:
    """Our path from GTFS zips to the departures per stop of the busiest weekday.

    Bronze reads every zip and writes the tables to Parquet under ``lake_dir``; silver
    derives departures, service dates and stops from them; the friction calls count the
    departures per stop in ``window`` (default :data:`pipelines.transit.WINDOW_HOURS`).

    Returns
    -------
    Departures
        ``per_stop`` from :func:`pipelines.transit.departures_per_stop`, with ``stops``,
        ``timed``, ``day`` and the seconds of ``read``, ``silver`` and ``departures``.
    """
    from pipelines import db, transit
    from pipelines.lake import read_table, write_table
    from pipelines.quarantine import ReadResult
    from pipelines.sources import gtfs

    window = window or transit.WINDOW_HOURS
    lake_dir = Path(lake_dir)
    lake_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}

    def path(name: str) -> str:
        return str(lake_dir / f"{name}.parquet")

    with _clock(seconds, "read"):
        per_feed = [gtfs.read_feed(Path(p)) for p in feeds]
        for name in per_feed[0]:
            write_table(ReadResult.concat(f[name] for f in per_feed).table, path(f"gtfs_{name}"))
    with _clock(seconds, "silver"):
        con = db.connect(spatial=False)
        frame = db.query(
            con,
            "silver.departures",
            stop_times=path("gtfs_stop_times"),
            trips=path("gtfs_trips"),
            routes=path("gtfs_routes"),
        )
        write_table(frame, path("departures"))
        dates = gtfs.service_dates(
            read_table(path("gtfs_calendar")), read_table(path("gtfs_calendar_dates"))
        )
        write_table(dates, path("service_dates"))
        service = db.query(
            con, "silver.stop_service", stops=path("gtfs_stops"), departures=path("departures")
        )
        stops = read_table(path("gtfs_stops")).merge(service, on=_KEYS, how="left")
        departures, dates = read_table(path("departures")), read_table(path("service_dates"))
        con.close()
    with _clock(seconds, "departures"):
        feed = transit.feed_from_silver(departures, dates)
        day = transit.busiest_weekday(dates, departures)
        timed = transit.window_departures(feed, day, window=window)
        per_stop = transit.departures_per_stop(feed, stops, day, window=window, timed=timed)
    stops = stops.astype({"feed_id": "string", "stop_id": "string"})
    stops = per_stop[_KEYS].merge(stops.drop_duplicates(_KEYS), on=_KEYS, how="left")
    return Departures(per_stop, seconds, stops=stops, timed=timed, day=day)


def gtfs_kit_departures(
    feeds: Sequence[Path], day: dt.date, *, window: tuple[int, int] | None = None
) -> Departures:
    """Departures per stop with gtfs-kit: ``compute_stop_stats`` on the window's stop_times.

    Returns
    -------
    Departures
        ``per_stop``: feed_id, stop_id, departures (gtfs-kit's ``num_trips``; only stops
        with a departure), and the seconds of ``read`` and ``stop_stats``.
    """
    import gtfs_kit as gk

    from pipelines import transit

    start, end = window or transit.WINDOW_HOURS
    date = day.strftime("%Y%m%d")
    seconds: dict[str, float] = {}
    parts = []
    for path in feeds:
        with _clock(seconds, "read"):
            feed = gk.read_feed(Path(path), dist_units="km")
        with _clock(seconds, "stop_stats"):
            secs = feed.stop_times["departure_time"].map(gk.helpers.timestr_to_seconds)
            secs = pd.to_numeric(secs, errors="coerce")
            feed.stop_times = feed.stop_times[(secs >= start * 3600) & (secs < end * 3600)]
            stats = gk.compute_stop_stats(feed, [date])
        parts.append(
            pd.DataFrame(
                {
                    "feed_id": Path(path).stem,
                    "stop_id": stats["stop_id"].astype(str).to_numpy(),
                    "departures": pd.to_numeric(stats["num_trips"]).astype("int64").to_numpy(),
                }
            )
        )
    per_stop = pd.concat(parts, ignore_index=True).astype(
        {"feed_id": "string", "stop_id": "string"}
    )
    return Departures(per_stop, seconds)


def compare_departures(
    ours: pd.DataFrame, timed: pd.DataFrame, day: dt.date, kit: pd.DataFrame
) -> dict[str, int]:
    """Check that our departures per stop equal gtfs-kit's, stop by stop.

    Our count includes the previous service day's trips past 24:00 that fall in the
    window (see the module docstring); they are taken out before comparing.

    Returns
    -------
    dict
        ``stops`` compared, ``departures`` (ours), ``overnight`` departures taken out.

    Raises
    ------
    AssertionError
        When any stop's count differs (the first stops are named).
    """
    service_day = pd.to_datetime(timed["service_date"]).dt.date
    overnight = timed[service_day != day].groupby(_KEYS).size().rename("overnight")
    frame = ours[[*_KEYS, "departures"]].merge(overnight.reset_index(), on=_KEYS, how="left")
    frame = frame.merge(
        kit.rename(columns={"departures": "gtfs_kit"}), on=_KEYS, how="outer", indicator=True
    )
    frame["overnight"] = frame["overnight"].fillna(0).astype("int64")
    expected = frame["departures"].fillna(0).astype("int64") - frame["overnight"]
    bad = frame[
        (expected != frame["gtfs_kit"].fillna(0).astype("int64"))
        | (frame["_merge"] == "right_only")
    ]
    if len(bad):
        raise AssertionError(
            f"departures per stop differ from gtfs-kit at {len(bad)} stops, e.g.\n"
            + bad.head(5).to_string(index=False)
        )
    return {
        "stops": int(len(ours)),
        "departures": int(ours["departures"].sum()),
        "overnight": int(frame["overnight"].sum()),
    }


# ------------------------------------------------------------------------------ coverage


def region(
    workdir: Path, *, communes: int = REGION_COMMUNES, days: int = 2, seed: int = 42
) -> Path:
    """The landing folder of the generated region under ``workdir`` (generated if absent)."""
    landing = Path(workdir) / f"region{communes}" / "landing"
    if not (landing / "gtfs" / "bus.zip").is_file():
        from pipelines.demo import generate

        generate(landing, seed=seed, communes=communes, days=days)
    return landing


def walk_network(
    landing: Path, cache: Path
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, dict[str, float]]:
    """The region's walk network (nodes, edges) and its H3 res-9 cells, cached in ``cache``.

    Built as silver builds ``road_network`` (the street graph of the landing OSM extract,
    clipped to the communes' bounds) and as the grid starts (covering cells of the
    communes). Returns the seconds of each set-up step (``network``, ``cells``), or
    ``cached``.
    """
    from pipelines.grid import covering_cells
    from pipelines.lake import read_table, write_table
    from pipelines.network import mode_network
    from pipelines.sources import osm_extract, statbel

    cache = Path(cache)
    files = [cache / f"{n}.parquet" for n in ("walk_nodes", "walk_edges", "cells")]
    seconds: dict[str, float] = {}
    if all(f.is_file() for f in files):
        with _clock(seconds, "cached"):
            nodes, edges, cells = (read_table(f) for f in files)
        return nodes, edges, cells["h3"].to_numpy("uint64"), seconds
    import shapely

    communes = statbel.read_communes(Path(landing) / "statbel" / "communes.geojson").table
    with _clock(seconds, "network"):
        bbox = tuple(float(v) for v in communes.total_bounds)
        graph = osm_extract.read_street_graph(osm_extract.find(Path(landing)), bbox=bbox)
        nodes, edges = mode_network(graph, "walk")
    with _clock(seconds, "cells"):
        cells = covering_cells(shapely.union_all(communes.geometry.values))
    cache.mkdir(parents=True, exist_ok=True)
    write_table(nodes, files[0])
    write_table(edges, files[1])
    write_table(pd.DataFrame({"h3": cells}), files[2])
    return nodes, edges, cells, seconds


@dataclass
class Coverage:
    """Timings of the coverage step (see :func:`time_coverage`)."""

    seconds: dict[str, float]
    """Measured: ``router``, ``centres``, ``snap_cells``, ``walk``, ``coverage``."""
    estimate: dict[str, float]
    """The same for every stop (extrapolated when only a sample was routed)."""
    routed: int
    pairs: int
    """Stop-cell pairs within the cut-off."""
    covered: int
    """Cells with a stop with a departure within its radius."""


def time_coverage(
    per_stop: pd.DataFrame,
    stops: pd.DataFrame,
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    cells: np.ndarray,
    *,
    walk_sample: int | None = None,
    seed: int = SEED,
) -> Coverage:
    """Time the walk matrix from stops to cell centres and :func:`cell_coverage`.

    With ``walk_sample`` only that many stops (seeded choice) are routed; ``estimate``
    then extrapolates the routing (less the destination snapping, counted once) and the
    coverage linearly to every stop.

    Returns
    -------
    Coverage
    """
    from pipelines import transit
    from pipelines.catchment.area import mode_router
    from pipelines.friction import reach

    n = len(per_stop)
    routed = np.arange(n)
    if walk_sample and walk_sample < n:
        rng = np.random.default_rng(seed)
        routed = np.sort(rng.choice(n, walk_sample, replace=False))
    seconds: dict[str, float] = {}
    with _clock(seconds, "router"):
        router = mode_router(nodes, edges, "walk")
    with _clock(seconds, "centres"):
        centres = reach.cell_centres(cells)
    with _clock(seconds, "snap_cells"):  # done again inside travel_times: its fixed cost
        router.snap(centres[:, 0], centres[:, 1])
    xy = stops[["stop_lon", "stop_lat"]].to_numpy(float)[routed]
    with _clock(seconds, "walk"):
        walk = router.travel_times(
            xy, centres, cutoff_s=reach.STOP_WALK_S, sparse=True
        )
    with _clock(seconds, "coverage"):
        coverage = transit.cell_coverage(walk, per_stop.iloc[routed].reset_index(drop=True))
    scale = n / max(len(routed), 1)
    estimate = dict(seconds)
    snap = min(seconds["snap_cells"], seconds["walk"])
    estimate["walk"] = snap + (seconds["walk"] - snap) * scale
    estimate["coverage"] = seconds["coverage"] * scale
    covered = int((coverage["pt_class"] != "none").sum())
    return Coverage(seconds, estimate, len(routed), walk.nnz, covered)


# --------------------------------------------------------------------------------- run


def reach_cap_min() -> float:
    """The walking cut-off friction uses from stops to cells (minutes)."""
    from pipelines.friction import reach

    return reach.STOP_WALK_S / 60.0


def run(
    workdir: Path,
    *,
    stops: int = TARGET_STOPS,
    stop_times: int = TARGET_STOP_TIMES,
    bus: Path | None = None,
    rail: Path | None = None,
    sncb: Path | None = None,
    landing: Path | None = None,
    coverage: bool = True,
    walk_sample: int | None = None,
    communes: int = REGION_COMMUNES,
    seed: int = SEED,
) -> list[dict[str, object]]:
    """Build the TEC-size feed, time our departures, gtfs-kit's and the coverage step.

    Parameters
    ----------
    workdir : Path
        Holds the generated region, the scaled feeds, the Parquet tables and the cached
        walk network (reused by later runs).
    stops, stop_times : int
        Sizes of the scaled bus feed.
    bus, rail : Path, optional
        Source feeds (default: ``gtfs/bus.zip`` and ``gtfs/rail.zip`` of the generated
        region of ``communes`` communes, generated into ``workdir`` if absent).
    sncb : Path, optional
        A further real feed benchmarked as it is (e.g. the SNCB fixture).
    landing : Path, optional
        The landing folder of an already generated region (default: generate one).
    coverage : bool
        Also time the coverage step (needs the generated region's OSM).
    walk_sample : int, optional
        Stops routed for the walk matrix (None or 0: every stop).

    Returns
    -------
    list of dict
        One record per step: ``step``, ``stops``, ``stop_times``, ``ours_s``,
        ``gtfs_kit_s``, ``ratio`` (gtfs-kit / ours), ``target_met``, ``note``.

    Raises
    ------
    AssertionError
        If our departures per stop differ from gtfs-kit's.
    """
    workdir = Path(workdir)
    feeds_dir = workdir / "feeds"
    feeds_dir.mkdir(parents=True, exist_ok=True)
    if landing is None and (bus is None or rail is None or coverage):
        landing = region(workdir, communes=communes)
    bus = Path(bus) if bus else Path(landing or "") / "gtfs" / "bus.zip"
    rail = Path(rail) if rail else Path(landing or "") / "gtfs" / "rail.zip"
    setup_s: dict[str, float] = {}
    with _clock(setup_s, "scale"):
        scale_feed(bus, feeds_dir / "bus.zip", stops=stops, stop_times=stop_times, seed=seed)
    feeds = [feeds_dir / "bus.zip", rail] + ([Path(sncb)] if sncb else [])
    sizes = [feed_sizes(f) for f in feeds]
    n_stops = sum(s["stops"] for s in sizes)
    n_times = sum(s["stop_times"] for s in sizes)

    ours = ours_departures(feeds, workdir / "lake")
    assert ours.day is not None and ours.timed is not None and ours.stops is not None
    kit = gtfs_kit_departures(feeds, ours.day)
    check = compare_departures(ours.per_stop, ours.timed, ours.day, kit.per_stop)
    ours_s, kit_s = sum(ours.seconds.values()), sum(kit.seconds.values())
    size = {"stops": n_stops, "stop_times": n_times}
    step = {f"ours {k}": v for k, v in ours.seconds.items()}
    step.update({f"gtfs-kit {k}": v for k, v in kit.seconds.items()})
    rows: list[dict[str, object]] = [
        {
            "step": "GTFS zips -> departures per stop",
            **size,
            "ours_s": ours_s,
            "gtfs_kit_s": kit_s,
            "ratio": kit_s / ours_s,
            "steps": step,
            "note": (
                f"{' + '.join(f.name for f in feeds)}; busiest weekday {ours.day}, 06-20 h; "
                + ", ".join(f"{k} {v:.1f} s" for k, v in step.items())
                + f"; {check['departures']:,} departures at {check['stops']:,} stops, equal "
                f"stop by stop ({check['overnight']} overnight departures of the day before)"
            ),
        }
    ]
    total = ours_s
    if coverage:
        assert landing is not None
        nodes, edges, cells, built = walk_network(landing, workdir / "network")
        cov = time_coverage(
            ours.per_stop, ours.stops, nodes, edges, cells, walk_sample=walk_sample, seed=seed
        )
        sampled = cov.routed < n_stops
        walk_s = cov.estimate["walk"] + cov.estimate["router"] + cov.estimate["centres"]
        how = (
            f"measured on {cov.routed:,} stops ({cov.seconds['walk']:.1f} s), extrapolated"
            if sampled
            else "every stop routed"
        )
        setup = ", ".join(f"{k} {v:.0f} s" for k, v in built.items())
        rows.append(
            {
                "step": "walk times stops -> H3 cells",
                **size,
                "ours_s": walk_s,
                "steps": dict(cov.seconds),
                "note": (
                    f"{len(cells):,} res-9 cells, {len(nodes):,} walk nodes, cut-off "
                    f"{reach_cap_min():.0f} min, {cov.pairs:,} pairs; {how}; router "
                    f"{cov.seconds['router']:.1f} s, cell centres {cov.seconds['centres']:.1f} s, "
                    f"cell snapping {cov.seconds['snap_cells']:.1f} s (set-up not counted: "
                    f"{setup})"
                ),
            }
        )
        rows.append(
            {
                "step": "cell_coverage",
                **size,
                "ours_s": cov.estimate["coverage"],
                "note": f"{cov.covered:,} cells covered by the routed stops"
                + (f"; measured {cov.seconds['coverage']:.2f} s, extrapolated" if sampled else ""),
            }
        )
        total += walk_s + cov.estimate["coverage"]
    rows.append(
        {
            "step": "PT coverage, total" if coverage else "departures, total",
            **size,
            "ours_s": total,
            "target_met": total <= TARGET_SECONDS,
            "note": f"target <= {TARGET_SECONDS:.0f} s; feed scaling {setup_s['scale']:.1f} s "
            "not counted",
        }
    )
    return rows


def markdown(rows: Sequence[dict[str, object]]) -> str:
    """The benchmark as a Markdown section with one table."""

    def num(value: object, fmt: str) -> str:
        return (
            ""
            if value is None or (isinstance(value, float) and math.isnan(value))
            else format(value, fmt)
        )

    lines = [
        "## Public-transport coverage (TEC-size feed)",
        "",
        "| step | stops | stop_times | ours (s) | gtfs-kit (s) | gtfs-kit / ours | <= 30 s | notes |",
        "|---|---:|---:|---:|---:|---:|:---:|---|",
    ]
    for row in rows:
        met = row.get("target_met")
        lines.append(
            "| {step} | {stops} | {times} | {ours} | {kit} | {ratio} | {met} | {note} |".format(
                step=row["step"],
                stops=num(row.get("stops"), ","),
                times=num(row.get("stop_times"), ","),
                ours=num(row.get("ours_s"), ".1f"),
                kit=num(row.get("gtfs_kit_s"), ".1f"),
                ratio=num(row.get("ratio"), ".1f"),
                met="" if met is None else ("yes" if met else "no"),
                note=row.get("note", ""),
            )
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, default=None, help="reused between runs (default: a temp dir)"
    )
    parser.add_argument("--stops", type=int, default=TARGET_STOPS)
    parser.add_argument("--stop-times", type=int, default=TARGET_STOP_TIMES)
    parser.add_argument("--communes", type=int, default=REGION_COMMUNES)
    parser.add_argument(
        "--landing", type=Path, default=None, help="landing folder of a generated region"
    )
    parser.add_argument("--bus", type=Path, default=None, help="source bus feed to scale")
    parser.add_argument("--rail", type=Path, default=None)
    parser.add_argument(
        "--walk-sample", type=int, default=0, help="stops routed for the walk matrix (0: all)"
    )
    parser.add_argument("--no-coverage", action="store_true", help="time departures only")
    parser.add_argument(
        "--sncb",
        nargs="?",
        const=Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / SNCB_FIXTURE,
        type=Path,
        default=None,
        help="also the real SNCB GTFS fixture (or the zip given)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--out", type=Path, default=None, help="also write the section into this file (docs/performance.md)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_transit_") as tmp:
        rows = run(
            args.workdir or Path(tmp),
            stops=args.stops,
            stop_times=args.stop_times,
            bus=args.bus,
            rail=args.rail,
            sncb=args.sncb,
            landing=args.landing,
            coverage=not args.no_coverage,
            walk_sample=args.walk_sample or None,
            communes=args.communes,
            seed=args.seed,
        )
    print(markdown(rows))
    if args.out is not None:
        from benchmarks.report import replace_section

        replace_section(args.out, "public transport", markdown(rows))


if __name__ == "__main__":
    main()
