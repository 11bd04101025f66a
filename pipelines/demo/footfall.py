"""Footfall of the demo territory: WiFi sensors and hourly counts, raw probes, counters.

The truth is a number of pedestrians per hour in front of each WiFi sensor::

    lambda(s, t) = A_s * HOURLY[h(t)] * WEEKDAY[dow(t)] * market(s, t) * weather(commune, day)
    A_s = PED_PER_SHOP * (shops within 150 m of s + 2)

with ``h`` the local wall-clock hour (both 02:00 hours of the night summer time ends use
``HOURLY[2]``), a market boost on the commune's market day (08:00-13:00) and a daily
log-normal weather factor shared by the sensors of a commune. Pedestrians are Poisson;
the WiFi sensor sees each pedestrian's phone with a sensor-specific probability
``detect_s`` in [0.3, 0.6] (so counts are binomial thinnings of the pedestrians), and the
pedestrian counters co-located with some sensors count the very same pedestrians in
5-minute bins, split between two directions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from pipelines.demo import writers
from pipelines.demo._common import holidays_of, iso_with_offset, local_steps, stream, to_lonlat
from pipelines.demo.business import Business
from pipelines.demo.streets import Network
from pipelines.demo.territory import Territory
from pipelines.sources.counters import GHENT_COLUMNS

HOURLY = np.array(
    [
        0.02,
        0.01,
        0.01,
        0.01,
        0.01,
        0.02,
        0.06,
        0.15,
        0.30,
        0.50,
        0.75,
        0.95,
        1.00,
        0.80,
        0.75,
        0.85,
        0.95,
        0.95,
        0.70,
        0.40,
        0.25,
        0.15,
        0.08,
        0.04,
    ]
)
"""Pedestrians per hour relative to the weekday peak, by local wall-clock hour."""
WEEKDAY = np.array([0.75, 0.85, 0.95, 0.90, 1.05, 1.35, 0.30])
"""Day factors Monday..Sunday (public holidays count as Sundays)."""
MARKET_BOOST, MARKET_HOURS = 1.6, (8, 13)
PED_PER_SHOP = 30.0
SHOP_RADIUS_M = 150.0
WEATHER_SIGMA = 0.08
BIKE_HOURLY = np.array(
    [
        0.02,
        0.01,
        0.01,
        0.01,
        0.02,
        0.05,
        0.25,
        0.80,
        1.00,
        0.45,
        0.30,
        0.30,
        0.35,
        0.30,
        0.30,
        0.40,
        0.70,
        1.00,
        0.60,
        0.35,
        0.20,
        0.12,
        0.07,
        0.04,
    ]
)
BIKE_PEAK = 70.0
BIKE_WEEKDAY = np.array([1.0, 1.05, 0.95, 1.0, 0.9, 0.55, 0.5])
MARKET_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass
class Sensors:
    """WiFi sensors and counters with their hidden truths."""

    wifi: pd.DataFrame
    counters: pd.DataFrame
    defects: list[dict] = field(default_factory=list)


def place_sensors(
    territory: Territory, network: Network, business: Business, seed: int, *, start: date
) -> Sensors:
    """Place the WiFi sensors on shopping streets and the counters beside some of them."""
    rng = stream(seed, "wifi-sensors")
    st = territory.settlements
    main_nodes = {n for w in network.ways if w.kind == "grid" and w.main for n in w.nodes}
    streets = _street_index(network)
    shops = business.shops()
    tree = cKDTree(shops[["x", "y"]].to_numpy())
    rows = []
    for c in territory.communes.itertuples():
        n = int(c.wifi_sensors)
        if not n:
            continue
        centre = st[(st["nis"] == c.nis) & (st["kind"] == "centre")].iloc[0]
        nodes = network.grid_nodes[int(centre.settlement_id)]
        d = np.hypot(network.x[nodes] - centre.x, network.y[nodes] - centre.y)
        cand = nodes[d <= 0.7 * centre.radius]
        weight = np.array([4.0 if k in main_nodes else 1.0 for k in cand])
        order = rng.choice(len(cand), size=len(cand), replace=False, p=weight / weight.sum())
        chosen: list[int] = []
        for k in order:
            node = int(cand[k])
            if all(
                np.hypot(network.x[node] - network.x[o], network.y[node] - network.y[o]) > 120
                for o in chosen
            ):
                chosen.append(node)
            if len(chosen) == n:
                break
        for k, node in enumerate(chosen):
            x, y = network.x[node] + rng.uniform(-5, 5), network.y[node] + rng.uniform(-5, 5)
            n_shops = len(tree.query_ball_point([x, y], SHOP_RADIUS_M))
            rows.append(
                dict(
                    sensor_id=f"wifi-{c.nis}-{k + 1:02d}",
                    nis=c.nis,
                    node=node,
                    x=x,
                    y=y,
                    name=f"{_street_of(streets, node)}, {c.name_fr}",
                    shops_150m=n_shops,
                    peak=PED_PER_SHOP * (n_shops + 2),
                    detect=round(float(rng.uniform(0.3, 0.6)), 3),
                    market=MARKET_DAYS.get(c.market_day, -1),
                    commune_role=c.role,
                    installed_on=date(2023, 1, 1).toordinal() + int(rng.integers(0, 1200)),
                )
            )
    wifi = pd.DataFrame(rows)
    wifi["installed_on"] = wifi["installed_on"].map(date.fromordinal)
    late = int(rng.integers(len(wifi)))
    wifi.loc[late, "installed_on"] = date.fromordinal(start.toordinal() + 8)
    counters = _counters(rng, territory, network, wifi, streets)
    return Sensors(wifi, counters)


def _street_index(network: Network) -> dict[int, tuple[bool, str]]:
    """Node -> (not main, name) of the first street through it (a main street first)."""
    best: dict[int, tuple[bool, str]] = {}
    for w in network.ways:
        if w.kind != "grid" or "name" not in w.tags:
            continue
        key = (not w.main, w.tags["name"])
        for n in w.nodes:
            if n not in best or key < best[n]:
                best[n] = key
    return best


def _street_of(streets: dict[int, tuple[bool, str]], node: int) -> str:
    """The name of a street through a node, a main street first."""
    return streets[node][1] if node in streets else "Rue"


def _counters(
    rng: np.random.Generator,
    territory: Territory,
    network: Network,
    wifi: pd.DataFrame,
    streets: dict[int, tuple[bool, str]],
) -> pd.DataFrame:
    rows = []
    st = territory.settlements
    station_streets: dict[int, set[int]] = {}
    for w in network.ways:
        if w.tags.get("name") == "Rue de la Station":
            station_streets.setdefault(w.settlement, set()).update(w.nodes)
    for c in territory.communes.itertuples():
        mine = wifi[(wifi["nis"] == c.nis)].sort_values("shops_150m", ascending=False)
        for k, s in enumerate(mine.head(int(c.ped_counters)).itertuples()):
            ang = rng.uniform(0, 2 * np.pi)
            rows.append(
                dict(
                    counter_id=f"ped-{c.nis}-{k + 1}",
                    nis=c.nis,
                    kind="pedestrian",
                    name=f"Comptage piétons {s.name}",
                    x=s.x + 8 * np.cos(ang),
                    y=s.y + 8 * np.sin(ang),
                    sensor_id=s.sensor_id,
                )
            )
        centre = st[(st["nis"] == c.nis) & (st["kind"] == "centre")].iloc[0]
        station_street = np.array(sorted(station_streets.get(int(centre.settlement_id), set())))
        for k in range(int(c.bike_counters)):
            nodes = (
                station_street
                if len(station_street)
                else network.grid_nodes[int(centre.settlement_id)]
            )
            d = np.hypot(network.x[nodes] - centre.x, network.y[nodes] - centre.y)
            node = int(nodes[np.argmin(np.abs(d - (0.4 + 0.1 * k) * centre.radius))])
            rows.append(
                dict(
                    counter_id=f"bike-{c.nis}-{k + 1}",
                    nis=c.nis,
                    kind="bike",
                    name=f"Comptage vélos {_street_of(streets, node)}, {c.name_fr}",
                    x=network.x[node] + 4,
                    y=network.y[node] + 4,
                    sensor_id="",
                )
            )
    return pd.DataFrame(rows)


def _pedestrians(
    rng: np.random.Generator,
    wifi: pd.DataFrame,
    stamps: pd.DatetimeIndex,
    day: date,
    weather: dict[str, float],
    holiday: bool,
) -> np.ndarray:
    """Pedestrians per sensor and hour of one day (Poisson draws), shape (sensors, hours)."""
    hour = stamps.hour.to_numpy()
    dow = 6 if holiday else day.weekday()
    lam = wifi["peak"].to_numpy()[:, None] * HOURLY[hour][None, :] * WEEKDAY[dow]
    market = (wifi["market"].to_numpy() == day.weekday())[:, None] & (
        (hour >= MARKET_HOURS[0]) & (hour < MARKET_HOURS[1])
    )[None, :]
    lam = lam * np.where(market, MARKET_BOOST, 1.0)
    lam = lam * wifi["nis"].map(weather).to_numpy()[:, None]
    return rng.poisson(lam)


def write_footfall(
    sensors: Sensors, landing: Path, seed: int, *, days: list[date]
) -> dict[str, int]:
    """Write the WiFi registry, daily counts, one probe file and the counters."""
    rng = stream(seed, "footfall")
    wifi, counters = sensors.wifi, sensors.counters
    holidays = holidays_of(days)
    out: dict[str, int] = {}
    lon, lat = to_lonlat(wifi["x"].to_numpy(), wifi["y"].to_numpy())
    out["wifi/sensors.csv"] = writers.write_csv(
        landing / "wifi" / "sensors.csv",
        ("sensor_id", "nis", "name", "lon", "lat", "installed_on"),
        zip(
            wifi["sensor_id"],
            wifi["nis"],
            wifi["name"],
            [f"{v:.7f}" for v in lon],
            [f"{v:.7f}" for v in lat],
            [d.isoformat() for d in wifi["installed_on"]],
            strict=True,
        ),
    )
    clon, clat = to_lonlat(counters["x"].to_numpy(), counters["y"].to_numpy())
    out["counters/counters.csv"] = writers.write_csv(
        landing / "counters" / "counters.csv",
        ("counter_id", "nis", "name", "kind", "lon", "lat"),
        zip(
            counters["counter_id"],
            counters["nis"],
            counters["name"],
            counters["kind"],
            [f"{v:.7f}" for v in clon],
            [f"{v:.7f}" for v in clat],
            strict=True,
        ),
    )
    plan = _incident_plan(rng, wifi, counters, days)
    communes = sorted(wifi["nis"].unique())
    sensor_row = {s: k for k, s in enumerate(wifi["sensor_id"])}
    for day in days:
        stamps = local_steps(day, 60)
        iso = iso_with_offset(stamps)
        weather = dict(
            zip(communes, np.exp(rng.normal(0, WEATHER_SIGMA, len(communes))), strict=True)
        )
        ped = _pedestrians(rng, wifi, stamps, day, weather, day in holidays)
        seen = rng.binomial(ped, wifi["detect"].to_numpy()[:, None])
        out.update(_write_wifi_day(landing, day, wifi, iso, seen, plan))
        if day == plan["probe_day"]:
            k = sensor_row[plan["probe_sensor"]]
            out.update(_write_probes(rng, landing, day, plan["probe_sensor"], stamps, iso, seen[k]))
        out.update(
            _write_counters_day(
                rng, landing, day, counters, wifi, ped, stamps, plan, holiday=day in holidays
            )
        )
    sensors.defects.extend(plan["documented"])
    return out


def _incident_plan(
    rng: np.random.Generator, wifi: pd.DataFrame, counters: pd.DataFrame, days: list[date]
) -> dict:
    """Outages and defective rows, chosen away from the summer-time night."""
    ids = list(wifi["sensor_id"])
    picks = rng.permutation(len(ids))
    normal_days = [d for d in days if len(local_steps(d, 60)) == 24]
    d = lambda k: normal_days[min(k, len(normal_days) - 1)]  # noqa: E731
    late = wifi.loc[wifi["installed_on"] > days[0]]
    # the probe sensor: the one whose peak is closest to 600 pedestrians/hour (a few
    # thousand probes a day)
    probe_sensor = wifi["sensor_id"].iloc[int(np.argmin(np.abs(wifi["peak"].to_numpy() - 600)))]
    plan = {
        "gap_hours": (ids[picks[0]], d(7), list(range(10, 16))),
        "gap_day": (ids[picks[1]], d(20)),
        "negative": (ids[picks[2]], d(2), 11),
        "no_offset": (ids[picks[3]], d(3), 15),
        "probe_sensor": probe_sensor,
        "probe_day": d(1),
        "bad_total": {},
        "documented": [],
    }
    ped = counters[counters["kind"] == "pedestrian"]["counter_id"].tolist()
    plan["bad_total"] = {(ped[0], d(1)): 140, (ped[-1], d(4)): 200}
    docs = plan["documented"]
    s, day, hours = plan["gap_hours"]
    docs.append(
        {
            "file": f"wifi/counts/{day.isoformat()}.csv",
            "row": None,
            "reason": "(gap) hours absent",
            "key": s,
            "detail": f"{hours[0]:02d}:00-{hours[-1]:02d}:59 missing",
            "defect": False,
        }
    )
    s, day = plan["gap_day"]
    docs.append(
        {
            "file": f"wifi/counts/{day.isoformat()}.csv",
            "row": None,
            "reason": "(gap) day absent",
            "key": s,
            "detail": "no row that day",
            "defect": False,
        }
    )
    for _, r in late.iterrows():
        docs.append(
            {
                "file": "wifi/sensors.csv",
                "row": None,
                "reason": "(valid) late install",
                "key": r.sensor_id,
                "detail": f"installed {r.installed_on}; no counts before",
                "defect": False,
            }
        )
    return plan


def _write_wifi_day(
    landing: Path, day: date, wifi: pd.DataFrame, iso: np.ndarray, seen: np.ndarray, plan: dict
) -> dict[str, int]:
    rows = []
    wall_hours = np.array([int(t[11:13]) for t in iso])
    for k, s in enumerate(wifi.itertuples()):
        if s.installed_on > day:
            continue
        if plan["gap_day"] == (s.sensor_id, day):
            continue
        for h in range(len(iso)):
            gs, gday, ghours = plan["gap_hours"]
            if (gs, gday) == (s.sensor_id, day) and wall_hours[h] in ghours:
                continue
            stamp, value = iso[h], str(int(seen[k, h]))
            if plan["negative"] == (s.sensor_id, day, wall_hours[h]):
                value = "-3"
                plan["documented"].append(
                    _doc(
                        f"wifi/counts/{day}.csv",
                        len(rows) + 1,
                        "negative count",
                        s.sensor_id,
                        stamp,
                    )
                )
            if plan["no_offset"] == (s.sensor_id, day, wall_hours[h]):
                stamp = stamp[:19]
                plan["documented"].append(
                    _doc(
                        f"wifi/counts/{day}.csv",
                        len(rows) + 1,
                        "timestamp without UTC offset",
                        s.sensor_id,
                        stamp,
                    )
                )
            rows.append((s.sensor_id, stamp, value))
    name = f"wifi/counts/{day.isoformat()}.csv"
    return {
        name: writers.write_csv(landing / name, ("sensor_id", "timestamp", "unique_devices"), rows)
    }


def _doc(file: str, row: int, reason: str, key: str, detail: str) -> dict:
    return {
        "file": file,
        "row": int(row),
        "reason": reason,
        "key": key,
        "detail": detail,
        "defect": True,
    }


def _mac(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fake MAC addresses; about 40 % randomised (locally administered bit set)."""
    octets = rng.integers(0, 256, (n, 6))
    random_mac = rng.random(n) < 0.4
    octets[:, 0] = np.where(random_mac, (octets[:, 0] | 0x02) & 0xFE, octets[:, 0] & 0xFC)
    return np.array([":".join(f"{o:02x}" for o in row) for row in octets])


def _write_probes(
    rng: np.random.Generator,
    landing: Path,
    day: date,
    sensor: str,
    stamps: pd.DatetimeIndex,
    iso: np.ndarray,
    seen: np.ndarray,
) -> dict[str, int]:
    """Raw probe requests of one sensor and one day; unique devices per hour = the counts."""
    residents = _mac(rng, 150)
    rows = []
    for h, n in enumerate(seen):
        n = int(n)
        if not n:
            continue
        n_res = min(int(rng.binomial(n, 0.3)), len(residents))
        devices = np.r_[rng.choice(residents, n_res, replace=False), _mac(rng, n - n_res)]
        k = 1 + rng.poisson(0.6, n)
        dev = np.repeat(devices, k)
        sec = np.sort(rng.integers(0, 3600, len(dev)))
        order = rng.permutation(len(dev))
        dev = dev[order]
        rssi = np.clip(rng.normal(-72, 9, len(dev)).round(), -95, -35).astype(int)
        base = stamps[h]
        times = base + pd.to_timedelta(sec, unit="s")
        text = iso_with_offset(pd.DatetimeIndex(times))
        rows.extend(zip([sensor] * len(dev), text, dev, rssi.astype(str), strict=True))
    name = f"wifi/probes/{day.isoformat()}.csv"
    return {
        name: writers.write_csv(
            landing / name, ("sensor_id", "timestamp", "device_id", "rssi"), rows
        )
    }


def _write_counters_day(
    rng: np.random.Generator,
    landing: Path,
    day: date,
    counters: pd.DataFrame,
    wifi: pd.DataFrame,
    ped: np.ndarray,
    hours: pd.DatetimeIndex,
    plan: dict,
    *,
    holiday: bool,
) -> dict[str, int]:
    steps = local_steps(day, 5)
    iso = iso_with_offset(steps)
    clock = np.array([f"{h}:{m:02d}:00" for h, m in zip(steps.hour, steps.minute, strict=True)])
    datum = day.isoformat()
    row_of = {s: k for k, s in enumerate(wifi["sensor_id"])}
    out = {}
    shape = np.array([1.0, 1.05, 1.1, 1.05, 1.0, 0.95, 1.0, 1.05, 1.0, 0.95, 0.9, 0.95])
    shape = shape / shape.sum()
    dow = 6 if holiday else day.weekday()
    for c in counters.itertuples():
        if c.kind == "pedestrian":
            hourly = ped[row_of[c.sensor_id]]
        else:
            lam = BIKE_PEAK * BIKE_HOURLY[hours.hour.to_numpy()] * BIKE_WEEKDAY[dow]
            hourly = rng.poisson(lam)
        five = np.concatenate([rng.multinomial(int(n), shape) for n in hourly])
        main_share = 0.4 + 0.2 * ((hash_str(c.counter_id) % 100) / 100.0)
        main = rng.binomial(five, main_share)
        other = five - main
        total = five.copy()
        bad = plan["bad_total"].get((c.counter_id, day))
        if bad is not None:
            total[bad] += 3
            plan["documented"].append(
                _doc(
                    f"counters/{c.counter_id}/{datum}.csv",
                    bad + 1,
                    "Totaal != Hoofdrichting + Tegenrichting",
                    c.counter_id,
                    iso[bad],
                )
            )
        n = len(five)
        columns = [
            np.full(n, c.counter_id, dtype=object),
            np.full(n, c.name, dtype=object),
            np.full(n, datum, dtype=object),
            clock,
            iso,
            total,
            other,
            main,
        ]
        name = f"counters/{c.counter_id}/{datum}.csv"
        out[name] = writers.write_columns(landing / name, GHENT_COLUMNS, columns, sep=";", bom=True)
    return out


def hash_str(text: str) -> int:
    """A stable small hash of a text (Python's ``hash`` is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))
