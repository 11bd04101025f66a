"""``generate``: write the whole demo landing zone, deterministically.

Same seed, communes, start and days give byte-identical files. Every concern draws from its
own random stream (:func:`pipelines.demo._common.stream`), so changing one generator does
not shift the numbers of the others.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.demo import writers
from pipelines.demo._common import demo_days
from pipelines.demo.business import REGISTER_DATES, Business, build_business
from pipelines.demo.consultant import write_consultant
from pipelines.demo.flows import write_merchants, write_od, write_vouchers
from pipelines.demo.footfall import (
    HOURLY,
    MARKET_BOOST,
    MARKET_HOURS,
    PED_PER_SHOP,
    SHOP_RADIUS_M,
    WEEKDAY,
    Sensors,
    place_sensors,
    write_footfall,
)
from pipelines.demo.kbo import write_kbo
from pipelines.demo.region import MAX_COMMUNES
from pipelines.demo.streets import build_network, write_osm, write_osm_pbf
from pipelines.demo.survey import write_survey
from pipelines.demo.territory import RECIPE_COMMUNES, Territory, build_territory, write_statbel
from pipelines.demo.transit import write_gtfs
from pipelines.demo.vacant import write_vacant
from pipelines.errors import ConfigError

MAX_DAYS = 1100
"""Longest period (days): three years of history (a year-on-year change needs at least 392)."""
TRUTH_FILE = "_truth/demo_truth.json"
"""What the generator built in (not a provider file): for tests and calibration checks."""


def generate(
    landing: Path,
    *,
    seed: int = 42,
    scale: int | None = None,
    communes: int | None = None,
    start: date = date(2026, 10, 12),
    days: int = 28,
    osm_pbf: bool = False,
) -> dict[str, int]:
    """Write the demo landing zone under ``landing`` and return what was written.

    Parameters
    ----------
    landing : Path
        The landing folder (``$SMARTCOMMERCE_DATA/landing``); created if missing.
    seed : int, default 42
        Seed of every random stream.
    scale : int, optional
        Shorthand for ``communes = 10 * scale``.
    communes : int, optional
        Number of communes (1 to :data:`~pipelines.demo.region.MAX_COMMUNES`; default 10,
        or ``10 * scale``). Ten is the hand-written recipe of ``docs/demo-territory.md``;
        any other number a synthesised region (262 communes: the size of Wallonia).
    start : date, default 2026-10-12
        First local day of the period.
    days : int, default 28
        Number of days of the period (1 to 1100: three years, leap day and DST changes included), whatever the number of communes.
    osm_pbf : bool, default False
        Also write the OSM extract as PBF (``osm/territory.osm.pbf``, same elements as
        ``osm/territory.osm``), as Geofabrik delivers it.

    Returns
    -------
    dict[str, int]
        Relative path -> count: data rows of a CSV, features of a GeoJSON, elements (nodes
        plus ways) of the OSM file, stop_times of a GTFS zip.
    """
    n = resolve_communes(scale=scale, communes=communes)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    landing = Path(landing)
    period = demo_days(start, days)
    territory = build_territory(seed, n)
    network = build_network(territory, seed)
    business = build_business(territory, network, seed)
    summary: dict[str, int] = {}
    summary.update(write_statbel(territory, landing))
    osm = write_osm(
        landing / "osm" / "territory.osm", network, business.pois, bounds=territory.bbox
    )
    summary["osm/territory.osm"] = osm["nodes"] + osm["ways"]
    if osm_pbf:
        pbf = write_osm_pbf(
            landing / "osm" / "territory.osm.pbf", network, business.pois, bounds=territory.bbox
        )
        summary["osm/territory.osm.pbf"] = pbf["nodes"] + pbf["ways"]
    summary.update(write_kbo(business, landing, seed))
    summary.update(write_vacant(business, territory, landing))
    summary.update(write_merchants(business, landing))
    summary.update(write_survey(business, landing, seed))
    summary.update(write_consultant(territory, landing))
    gtfs, gtfs_facts = write_gtfs(
        territory, network, landing, seed, start=period[0], days=len(period)
    )
    summary.update(gtfs)
    sensors = place_sensors(territory, network, business, seed, start=period[0])
    summary.update(write_footfall(sensors, landing, seed, days=period))
    summary.update(write_od(territory, business, landing, seed, days=period))
    vouchers, huff = write_vouchers(territory, network, business, landing, seed, days=period)
    summary.update(vouchers)
    truth = _truth(
        territory, business, sensors, gtfs_facts, huff, osm, seed=seed, period=period
    )
    writers.write_json(landing / TRUTH_FILE, truth)
    summary[TRUTH_FILE] = len(truth["defects"])
    return dict(sorted(summary.items()))


def resolve_communes(*, scale: int | None = None, communes: int | None = None) -> int:
    """The number of communes asked for by ``scale`` (tens of communes) or ``communes``.

    Raises
    ------
    ConfigError
        If both are given, or the number is outside 1 to
        :data:`~pipelines.demo.region.MAX_COMMUNES`.
    """
    if scale is not None and communes is not None:
        raise ConfigError(f"give scale or communes, not both (scale={scale}, communes={communes})")
    if scale is not None and not 1 <= scale <= MAX_COMMUNES // 10:
        raise ConfigError(f"scale must be between 1 and {MAX_COMMUNES // 10}, got {scale}")
    n = RECIPE_COMMUNES if scale is None else 10 * scale
    n = n if communes is None else communes
    if not 1 <= n <= MAX_COMMUNES:
        raise ConfigError(f"communes must be between 1 and {MAX_COMMUNES}, got {n}")
    return n


def _truth(
    territory: Territory,
    business: Business,
    sensors: Sensors,
    gtfs_facts: dict,
    huff: dict,
    osm: dict[str, int],
    *,
    seed: int,
    period: list[date],
) -> dict:
    """What the generator built in, for ``_truth/demo_truth.json``."""
    c = territory.communes
    cells = business.cells
    vacancy = {}
    for nis, part in cells.groupby("nis", sort=True):
        vacancy[nis] = {
            d.isoformat(): round(sum(v[t] for v in part["vacant"]) / len(part), 4)
            for t, d in enumerate(REGISTER_DATES)
        }
    wifi = sensors.wifi
    counter_of = dict(
        zip(sensors.counters["sensor_id"], sensors.counters["counter_id"], strict=True)
    )
    est = business.establishments
    shops = est[est["kind"] == "shop"]
    return {
        "seed": seed,
        # the recipe demo keeps its historical "scale": 1; a region says its size
        **({"scale": 1} if len(c) == RECIPE_COMMUNES else {"n_communes": len(c)}),
        "period": [period[0].isoformat(), period[-1].isoformat()],
        "communes": [
            {
                "nis": r.nis,
                "name_fr": r.name_fr,
                "role": r.role,
                "population": int(r.population),
                "area_km2": round(r.geometry.area / 1e6, 2),
                "market_day": r.market_day,
                "postcodes": list(r.postcodes),
            }
            for r in c.itertuples()
        ],
        "shops": {
            "total": int(len(shops)),
            "kbo_and_osm": int((shops["in_kbo"] & shops["in_osm"]).sum()),
            "kbo_only": int((shops["in_kbo"] & ~shops["in_osm"]).sum()),
            "osm_only": int((~shops["in_kbo"] & shops["in_osm"]).sum()),
            "offices": int((est["kind"] == "office").sum()),
        },
        "vacancy": vacancy,
        "footfall": {
            "ped_per_shop": PED_PER_SHOP,
            "shop_radius_m": SHOP_RADIUS_M,
            "hourly": HOURLY.tolist(),
            "weekday": WEEKDAY.tolist(),
            "market_boost": MARKET_BOOST,
            "market_hours": list(MARKET_HOURS),
            "sensors": [
                {
                    "sensor_id": s.sensor_id,
                    "shops_150m": int(s.shops_150m),
                    "peak": float(s.peak),
                    "detect": float(s.detect),
                    "installed_on": s.installed_on.isoformat(),
                    "counter_id": counter_of.get(s.sensor_id, ""),
                }
                for s in wifi.itertuples()
            ],
        },
        "huff": {k: v for k, v in huff.items() if k != "defects"},
        "gtfs": gtfs_facts,
        "osm": osm,
        "defects": business.defects + sensors.defects + huff["defects"],
    }
