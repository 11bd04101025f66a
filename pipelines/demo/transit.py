"""Public transport of the demo territory: a TEC-like bus feed and an SNCB-like rail feed.

Bus lines follow shortest paths on the street network, with a stop at a street node every
~350 m in the settlements and every ~1.5 km between them: urban lines through the regional
centre every 10-15 minutes on weekdays, town lines every 20 minutes, regional lines
between communes every hour, rural lines every two hours and one rural commune with two
school-day buses only. ``bus.zip`` has ``calendar.txt`` (weekday, Saturday, Sunday) plus the
public holidays in ``calendar_dates.txt`` (Sunday service). ``rail.zip`` has one line
through three or four centres, every 30-60 minutes, with only ``calendar_dates.txt`` listing
every service date. Some late trips end after midnight (``24:10:00``), and a few bus poles
have no stop_time at all (disused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from pipelines.demo import writers
from pipelines.demo._common import belgian_holidays, stream, to_lonlat
from pipelines.demo.streets import Network
from pipelines.demo.territory import Territory

URBAN_SPACING_M, RURAL_SPACING_M = 350.0, 1500.0
BUS_KMH_URBAN, BUS_KMH_RURAL, TRAIN_KMH = 17.0, 45.0, 75.0

# (first hour, last hour, headway minutes) per service and line class
TIMETABLES: dict[str, dict[str, list[tuple[int, int, int]]]] = {
    "urban_main": {
        "WEEK": [(6, 7, 30), (7, 9, 10), (9, 16, 15), (16, 18, 10), (18, 20, 15), (20, 23, 30)],
        "SAT": [(7, 8, 30), (8, 20, 20), (20, 23, 30)],
        "SUN": [(9, 20, 30)],
    },
    "urban_town": {
        "WEEK": [(6, 7, 30), (7, 19, 20), (19, 21, 30)],
        "SAT": [(8, 19, 30)],
        "SUN": [(9, 19, 60)],
    },
    "regional": {"WEEK": [(6, 21, 60)], "SAT": [(7, 20, 120)], "SUN": [(9, 19, 180)]},
    "rural": {"WEEK": [(6, 20, 120)], "SAT": [(8, 18, 240)], "SUN": []},
    "school": {"WEEK": [], "SAT": [], "SUN": []},
}
SCHOOL_DEPARTURES = (7 * 60 + 10, 16 * 60 + 30)


def feed_period(start: date, days: int) -> tuple[date, date]:
    """The validity of the feeds: whole months around the demo period."""
    last = start + timedelta(days=days - 1)
    first = start.replace(day=1)
    nxt = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _gtfs_time(seconds: int) -> str:
    """``HH:MM:SS``, with hours past 24 for trips after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class _Line:
    route_id: str
    short: str
    long: str
    cls: str
    nodes: list[int]  # stop nodes in order (direction 0)
    gaps_s: list[int]  # running time between consecutive stops


class _Paths:
    """Shortest paths on the undirected drive network."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.graph = network.graph(drive_only=True)
        self.cache: dict[int, np.ndarray] = {}

    def path(self, a: int, b: int) -> list[int]:
        if a not in self.cache:
            _, pred = dijkstra(self.graph, directed=False, indices=a, return_predecessors=True)
            self.cache[a] = pred
        pred = self.cache[a]
        out = [b]
        while out[-1] != a:
            p = int(pred[out[-1]])
            if p < 0:
                raise RuntimeError(f"no path from node {a} to node {b}")  # pragma: no cover
            out.append(p)
        return out[::-1]


def _stops_on(path: list[int], network: Network, urban: np.ndarray) -> tuple[list[int], list[int]]:
    """Stop nodes along a path and the running time (s) between consecutive stops."""
    x, y = network.x[path], network.y[path]
    seg = np.hypot(np.diff(x), np.diff(y))
    speed = np.where(urban[path[1:]], BUS_KMH_URBAN, BUS_KMH_RURAL) / 3.6
    stops, gaps = [path[0]], []
    since, t = 0.0, 0.0
    for k in range(1, len(path)):
        since += seg[k - 1]
        t += seg[k - 1] / speed[k - 1]
        spacing = URBAN_SPACING_M if urban[path[k]] else RURAL_SPACING_M
        if since >= spacing or k == len(path) - 1:
            stops.append(path[k])
            gaps.append(max(60, int(math.ceil(t / 60.0)) * 60))
            since, t = 0.0, 0.0
    return stops, gaps


def _urban_mask(territory: Territory, network: Network) -> np.ndarray:
    mask = np.zeros(len(network.x), dtype=bool)
    for st in territory.settlements.itertuples():
        d = np.hypot(network.x - st.x, network.y - st.y)
        mask |= d <= st.radius * 1.1
    return mask


def _lines(territory: Territory, network: Network, rng: np.random.Generator) -> list[_Line]:
    paths = _Paths(network)
    urban = _urban_mask(territory, network)
    st = territory.settlements
    centres = st[st["kind"] == "centre"].set_index("nis")
    lines: list[_Line] = []
    xs, ys = network.x, network.y

    def grid_node(sid: int, angle: float, frac: float) -> int:
        s = st.loc[st["settlement_id"] == sid].iloc[0]
        nodes = network.grid_nodes[sid]
        tx, ty = s.x + frac * s.radius * np.cos(angle), s.y + frac * s.radius * np.sin(angle)
        return int(nodes[np.argmin(np.hypot(xs[nodes] - tx, ys[nodes] - ty))])

    def add(route_id: str, short: str, long: str, cls: str, waypoints: list[int]) -> None:
        full: list[int] = []
        for a, b in zip(waypoints[:-1], waypoints[1:], strict=True):
            part = paths.path(a, b)
            full.extend(part if not full else part[1:])
        stops, gaps = _stops_on(full, network, urban)
        if len(stops) >= 2:
            lines.append(_Line(route_id, short, long, cls, stops, gaps))

    for tile, part in territory.communes.groupby("tile", sort=True):
        prefix = f"T{int(tile)}" if tile else ""
        number = 1
        for c in part.itertuples():
            if c.role == "rural":
                continue
            sid = int(centres.loc[c.nis, "settlement_id"])
            n_lines = 5 if c.role == "regional_centre" else (2 if c.population > 20000 else 1)
            cls = "urban_main" if c.role == "regional_centre" else "urban_town"
            base = rng.uniform(0, np.pi)
            for k in range(n_lines):
                ang = base + k * np.pi / n_lines + rng.normal(0, 0.1)
                a = grid_node(sid, ang, 0.92)
                b = grid_node(sid, ang + np.pi, 0.92)
                add(
                    f"{prefix}B{number}",
                    str(number),
                    f"{c.name_fr} - ligne urbaine {k + 1}",
                    cls,
                    [a, network.centre_node[sid], b],
                )
                number += 1
        main = part.loc[part["population"].idxmax()]  # the hub of the group
        main_node = network.centre_node[int(centres.loc[main.nis, "settlement_id"])]
        towns = part[(part["role"] == "town") & (part["nis"] != main.nis)]
        rural = part[(part["role"] == "rural") & (part["nis"] != main.nis)]
        rural = rural.sort_values("population", ascending=False)
        for t in towns.itertuples():
            node = network.centre_node[int(centres.loc[t.nis, "settlement_id"])]
            add(
                f"{prefix}B{number}",
                str(number),
                f"{main.name_fr} - {t.name_fr}",
                "regional",
                [main_node, node],
            )
            number += 1
        # two town-to-town lines between the closest pairs
        tp = towns[["x", "y"]].to_numpy()
        pairs = sorted(
            (float(np.hypot(*(tp[i] - tp[j]))), i, j)
            for i in range(len(tp))
            for j in range(i + 1, len(tp))
        )[:2]
        for _, i, j in pairs:
            ti, tj = towns.iloc[i], towns.iloc[j]
            add(
                f"{prefix}B{number}",
                str(number),
                f"{ti.name_fr} - {tj.name_fr}",
                "regional",
                [
                    network.centre_node[int(centres.loc[ti.nis, "settlement_id"])],
                    network.centre_node[int(centres.loc[tj.nis, "settlement_id"])],
                ],
            )
            number += 1
        for k, r in enumerate(rural.itertuples()):
            node = network.centre_node[int(centres.loc[r.nis, "settlement_id"])]
            hubs = part[(part["role"] != "rural") | (part["nis"] == main.nis)]
            d = np.hypot(hubs["x"] - r.x, hubs["y"] - r.y).to_numpy()
            hub = hubs.iloc[int(np.argmin(d))]
            hub_node = network.centre_node[int(centres.loc[hub.nis, "settlement_id"])]
            village = st[(st["nis"] == r.nis) & (st["kind"] == "village")]
            waypoints = [hub_node, node]
            if len(village):
                waypoints.append(network.centre_node[int(village.iloc[0]["settlement_id"])])
            cls = "regional" if k < 2 else ("school" if k == len(rural) - 1 else "rural")
            add(f"{prefix}B{number}", str(number), f"{hub.name_fr} - {r.name_fr}", cls, waypoints)
            number += 1
    return lines


def _departures(cls: str, service: str) -> list[int]:
    """Departure minutes after midnight of one direction of a line."""
    if cls == "school":
        return list(SCHOOL_DEPARTURES) if service == "WEEK" else []
    out: list[int] = []
    for first, last, headway in TIMETABLES[cls][service]:
        out.extend(range(first * 60, last * 60, headway))
    return sorted(set(out))


def _bus_feed(
    lines: list[_Line],
    network: Network,
    territory: Territory,
    rng: np.random.Generator,
    period: tuple[date, date],
) -> tuple[dict[str, str], dict]:
    names = _node_street_names(network)
    commune_of = _node_commune(territory, network)
    stop_id: dict[int, str] = {}
    for line in lines:
        for n in line.nodes:
            stop_id.setdefault(n, f"X{len(stop_id) + 1:05d}")
    trips, times = [], []
    for line in lines:
        for service in ("WEEK", "SAT", "SUN"):
            deps = _departures(line.cls, service)
            if service == "WEEK" and line.cls == "urban_main":
                deps = deps + [23 * 60 + 50]  # the last bus runs past midnight
            for direction in (0, 1):
                nodes = line.nodes if direction == 0 else line.nodes[::-1]
                gaps = line.gaps_s if direction == 0 else line.gaps_s[::-1]
                offset = 0 if direction == 0 else 5
                for dep in deps:
                    trip_id = f"{line.route_id}-{service}-{direction}-{dep + offset:04d}"
                    head = commune_of[nodes[-1]] + " " + names.get(nodes[-1], "")
                    trips.append((line.route_id, service, trip_id, head.strip(), str(direction)))
                    t = (dep + offset) * 60
                    for seq, n in enumerate(nodes):
                        if seq:
                            t += gaps[seq - 1]
                        stamp = _gtfs_time(t)
                        times.append((trip_id, stamp, stamp, stop_id[n], str(seq + 1)))
    # a few disused poles in villages: stops without any stop_time
    villages = territory.settlements[territory.settlements["kind"] == "village"]
    unused = []
    for v in villages.head(4).itertuples():
        nodes = network.grid_nodes[v.settlement_id]
        n = int(nodes[len(nodes) // 3])
        if n not in stop_id:
            stop_id[n] = f"X{len(stop_id) + 1:05d}"
            unused.append(stop_id[n])
    stop_rows = []
    nodes = np.array(list(stop_id))
    jitter = rng.uniform(3.0, 6.0, (len(nodes), 2)) * rng.choice([-1, 1], (len(nodes), 2))
    lon, lat = to_lonlat(network.x[nodes] + jitter[:, 0], network.y[nodes] + jitter[:, 1])
    for k, n in enumerate(nodes):
        name = f"{commune_of[n]} {names.get(int(n), 'Arrêt')}".strip()
        stop_rows.append(
            (stop_id[int(n)], stop_id[int(n)][1:], name, f"{lat[k]:.7f}", f"{lon[k]:.7f}", "0")
        )
    routes = [(line.route_id, "DEMO-TEC", line.short, line.long, "3") for line in lines]
    first, last = period
    calendar = [
        (
            "WEEK",
            "1",
            "1",
            "1",
            "1",
            "1",
            "0",
            "0",
            first.strftime("%Y%m%d"),
            last.strftime("%Y%m%d"),
        ),
        (
            "SAT",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            "0",
            first.strftime("%Y%m%d"),
            last.strftime("%Y%m%d"),
        ),
        (
            "SUN",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            first.strftime("%Y%m%d"),
            last.strftime("%Y%m%d"),
        ),
    ]
    exceptions = []
    for year in range(first.year, last.year + 1):
        for h in belgian_holidays(year):
            if not first <= h <= last:
                continue
            day = h.strftime("%Y%m%d")
            if h.weekday() < 5:
                exceptions.append(("WEEK", day, "2"))
            elif h.weekday() == 5:
                exceptions.append(("SAT", day, "2"))
            exceptions.append(("SUN", day, "1"))
    members = {
        "agency.txt": writers.csv_member(
            ("agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"),
            [("DEMO-TEC", "Demo TEC", "https://example.org/demo-tec", "Europe/Brussels", "fr")],
        ),
        "stops.txt": writers.csv_member(
            ("stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type"),
            stop_rows,
        ),
        "routes.txt": writers.csv_member(
            ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type"), routes
        ),
        "trips.txt": writers.csv_member(
            ("route_id", "service_id", "trip_id", "trip_headsign", "direction_id"), trips
        ),
        "stop_times.txt": writers.csv_member(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"), times
        ),
        "calendar.txt": writers.csv_member(
            (
                "service_id",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "start_date",
                "end_date",
            ),
            calendar,
        ),
        "calendar_dates.txt": writers.csv_member(
            ("service_id", "date", "exception_type"), exceptions
        ),
    }
    counts = {
        "stops": len(stop_rows),
        "routes": len(routes),
        "trips": len(trips),
        "stop_times": len(times),
        "unused_stops": unused,
    }
    return members, counts


def _node_street_names(network: Network) -> dict[int, str]:
    out: dict[int, str] = {}
    for way in network.ways:
        name = way.tags.get("name")
        if name and way.tags.get("highway") not in (None, "footway", "cycleway"):
            for n in way.nodes:
                out.setdefault(n, name)
    return out


def _node_commune(territory: Territory, network: Network) -> dict[int, str]:
    """Name of the settlement nearest to every node (for stop names)."""
    st = territory.settlements
    tree = cKDTree(st[["x", "y"]].to_numpy())
    _, nearest = tree.query(np.column_stack([network.x, network.y]))
    names = st["name"].to_numpy()[nearest]
    return dict(enumerate(names.tolist()))


def _rail_feed(network: Network, period: tuple[date, date]) -> tuple[dict[str, str], dict]:
    stations = network.stations
    rail_ways = [w for w in network.ways if w.kind == "rail"]
    trips, times, routes, stops = [], [], [], []
    for tile, part in stations.groupby("tile", sort=True):
        way = rail_ways[int(tile)]
        pos = {n: k for k, n in enumerate(way.nodes)}
        xs, ys = network.x[way.nodes], network.y[way.nodes]
        cum = np.r_[0.0, np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))]
        part = part.sort_values("order")
        ids = [f"88{90 + int(tile):02d}{k + 1:03d}" for k in range(len(part))]
        lon, lat = to_lonlat(part["x"].to_numpy(), part["y"].to_numpy())
        for k, r in enumerate(part.itertuples()):
            stops.append((ids[k], r.name, f"{lat[k]:.7f}", f"{lon[k]:.7f}", "0"))
        at = np.array([cum[pos[int(n)]] for n in part["node"]])
        run = [
            max(120, int(round((at[k + 1] - at[k]) / (TRAIN_KMH / 3.6) / 60.0)) * 60)
            for k in range(len(at) - 1)
        ]
        route_id = f"L{int(tile) + 1}"
        routes.append(
            (route_id, "DEMO-SNCB", "L", f"{part.iloc[0]['name']} - {part.iloc[-1]['name']}", "2")
        )
        for service, deps in _rail_departures().items():
            for direction in (0, 1):
                order = list(range(len(ids))) if direction == 0 else list(range(len(ids)))[::-1]
                gaps = run if direction == 0 else run[::-1]
                for dep in deps:
                    trip_id = f"{route_id}-{service}-{direction}-{dep:04d}"
                    trips.append(
                        (route_id, service, trip_id, part.iloc[order[-1]]["name"], str(direction))
                    )
                    t = dep * 60
                    for seq, k in enumerate(order):
                        dwell = 60 if 0 < seq < len(order) - 1 else 0
                        times.append(
                            (trip_id, _gtfs_time(t), _gtfs_time(t + dwell), ids[k], str(seq + 1))
                        )
                        if seq < len(order) - 1:
                            t += dwell + gaps[seq]
    first, last = period
    dates = []
    day = first
    holidays = {h for y in range(first.year, last.year + 1) for h in belgian_holidays(y)}
    while day <= last:
        service = (
            "RU"
            if day.weekday() == 6 or day in holidays
            else ("RS" if day.weekday() == 5 else "RW")
        )
        dates.append((service, day.strftime("%Y%m%d"), "1"))
        day += timedelta(days=1)
    members = {
        "agency.txt": writers.csv_member(
            ("agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"),
            [("DEMO-SNCB", "Demo SNCB", "https://example.org/demo-sncb", "Europe/Brussels", "fr")],
        ),
        "stops.txt": writers.csv_member(
            ("stop_id", "stop_name", "stop_lat", "stop_lon", "location_type"), stops
        ),
        "routes.txt": writers.csv_member(
            ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type"), routes
        ),
        "trips.txt": writers.csv_member(
            ("route_id", "service_id", "trip_id", "trip_headsign", "direction_id"), trips
        ),
        "stop_times.txt": writers.csv_member(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"), times
        ),
        "calendar_dates.txt": writers.csv_member(("service_id", "date", "exception_type"), dates),
    }
    return members, {"stops": len(stops), "trips": len(trips), "stop_times": len(times)}


def _rail_departures() -> dict[str, list[int]]:
    week = list(range(5 * 60 + 30, 6 * 60, 60)) + list(range(6 * 60, 9 * 60, 30))
    week += list(range(9 * 60, 16 * 60, 60)) + list(range(16 * 60, 19 * 60, 30))
    week += list(range(19 * 60, 23 * 60 + 1, 60)) + [23 * 60 + 45]
    weekend = list(range(7 * 60, 23 * 60 + 1, 60)) + [23 * 60 + 45]
    return {"RW": sorted(set(week)), "RS": weekend, "RU": weekend}


def write_gtfs(
    territory: Territory, network: Network, landing: Path, seed: int, *, start: date, days: int
) -> tuple[dict[str, int], dict]:
    """Write ``gtfs/bus.zip`` and ``gtfs/rail.zip``; return counts and facts for the docs."""
    rng = stream(seed, "transit")
    period = feed_period(start, days)
    lines = _lines(territory, network, rng)
    bus, bus_counts = _bus_feed(lines, network, territory, rng, period)
    rail, rail_counts = _rail_feed(network, period)
    writers.write_zip(landing / "gtfs" / "bus.zip", bus)
    writers.write_zip(landing / "gtfs" / "rail.zip", rail)
    summary = {"gtfs/bus.zip": bus_counts["stop_times"], "gtfs/rail.zip": rail_counts["stop_times"]}
    facts = {
        "bus": {k: v for k, v in bus_counts.items()},
        "rail": rail_counts,
        "period": [period[0].isoformat(), period[1].isoformat()],
        "lines": pd.DataFrame(
            [(ln.route_id, ln.long, ln.cls, len(ln.nodes)) for ln in lines],
            columns=["route_id", "name", "class", "stops"],
        ).to_dict("records"),
    }
    return summary, facts
