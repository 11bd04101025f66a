"""Silver: conformed entities in EPSG:4326, each with its commune ``nis`` and ``h3`` cell.

The assets are thin: they read bronze tables, call the engine (``pipelines.conform``,
``pipelines.shops``, ``pipelines.network``, SQL in ``sql/silver``) and write one table each.
"""


from collections.abc import Callable

import dagster as dg
import pandas as pd

from assets import bronze
from assets.common import OWNERS, materialize
from assets.declared import Inputs, Reader
from assets.partitions import daily, single_run
from assets.resources import LakeResource
from pipelines.conform import area_km2, conform_points, entity_checks, points_from_lonlat, with_h3
from pipelines.footfall.build import sensor_counts as hourly_sensor_counts
from pipelines.lake import Lake
from pipelines.network import mode_networks
from pipelines.online import match_survey
from pipelines.results import TableResult
from pipelines.shops import conflate_shops
from pipelines.sources import crosswalk, gtfs, loaders, osm_extract

NON_COMMERCIAL = "other"


DECLARED: dict[str, Inputs] = {}
"""Silver asset name -> its declared inputs (its Dagster deps and all that it may read)."""
WRITTEN = {f"bronze.{name}": tuple(f"bronze.{t}" for t in tables) for name, tables in bronze.WRITES.items()}
WRITTEN["silver.road_network"] = ("silver.network_nodes", "silver.network_edges")


def _declare(name: str, deps: list[str]) -> list[dg.AssetKey]:
    DECLARED[name] = Inputs(*deps, tables={d: WRITTEN[d] for d in deps if d in WRITTEN})
    return DECLARED[name].deps


def _reader(lake: LakeResource, name: str) -> Reader:
    """The reader of ``name``'s declared inputs: anything else is refused."""
    return DECLARED[name].reader(lake.lake)


def _spec(name: str, deps: list[str], description: str, **kw: object) -> dict[str, object]:
    key = ["silver", name]
    checks = [
        dg.AssetCheckSpec("unique_key", asset=key, description="The entity key is unique."),
        dg.AssetCheckSpec("valid_geometry", asset=key, description="Geometries are valid, in EPSG:4326, with an h3 cell."),
    ]
    return dict(
        key=key,
        deps=_declare(name, deps),
        group_name="silver",
        kinds={"python", "parquet"} | set(kw.pop("extra_kinds", set())),  # type: ignore[arg-type]
        owners=OWNERS,
        description=description,
        check_specs=checks if kw.pop("geo", True) else [checks[0]],
        **kw,
    )


def _write(lake: Lake, name: str, frame: pd.DataFrame, key_cols: list[str], *, geo: bool = True) -> dg.MaterializeResult:
    result = TableResult(frame, checks=entity_checks(frame, key_cols, geo=geo))
    return materialize(lake, dg.AssetKey(["silver", name]), result)


@dg.asset(**_spec("communes", ["bronze.statbel_communes"], "Today's communes (NIS, names, population, area) with the h3 cell of their representative point: an older Statbel file's communes are merged by the 2019 and 2025 crosswalk (geodata/commune_mergers.csv)."))
def communes(lake: LakeResource) -> dg.MaterializeResult:
    frame = crosswalk.current_communes(_reader(lake, "communes").read("bronze.statbel_communes"))
    frame["area_km2"] = area_km2(frame)
    return _write(lake.lake, "communes", with_h3(frame), ["nis"])


@dg.asset(**_spec("sectors", ["bronze.statbel_sectors", "silver.communes"], "Statistical sectors with population, area and commune."))
def sectors(lake: LakeResource) -> dg.MaterializeResult:
    frame = crosswalk.current_sectors(_reader(lake, "sectors").read("bronze.statbel_sectors"))
    frame["area_km2"] = area_km2(frame)
    return _write(lake.lake, "sectors", with_h3(frame), ["sector_id"])


@dg.asset(**_spec("establishments", ["bronze.kbo", "silver.communes"], "Every located KBO/BCE establishment (all activities: the workplaces of the territory) with NACE code, commerce category, geocoding precision, commune and cell."))
def establishments(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "establishments").read
    frame = conform_points(points_from_lonlat(read("bronze.kbo_establishments_located")), read("silver.communes"))
    return _write(lake.lake, "establishments", frame, ["establishment_number"])


@dg.asset(**_spec("shops", ["silver.establishments", "bronze.osm_pois", "silver.communes"], "Shops: KBO/BCE establishments with a commerce NACE code conflated with OSM shops; `source` says kbo, osm or kbo+osm."))
def shops(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "shops").read
    located = read("silver.establishments")
    kbo_shops = located[located["category"] != NON_COMMERCIAL].drop(columns=["nis", "h3"])
    pois = read("bronze.osm_pois")
    frame = conflate_shops(kbo_shops, pois[pois["kind"] == "shop"])
    frame = conform_points(frame, read("silver.communes"))
    return _write(lake.lake, "shops", frame, ["shop_id"])


@dg.asset(**_spec("merchant_survey", ["bronze.merchant_survey", "silver.shops"], "The merchant survey matched to the shops by KBO establishment number or OSM id, with the shop's shop_id, commune and category; a survey row whose shop_ref matches no shop is quarantined (lake silver/quarantine/merchant_survey, in bronze.quarantine of the warehouse, source 'survey').", geo=False))
def merchant_survey(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "merchant_survey").read
    matched, unknown = match_survey(read("bronze.merchant_survey"), read("silver.shops"))
    lake.lake.write(unknown, "silver", "quarantine/merchant_survey")
    result = TableResult(matched, {"quarantined": len(unknown)}, entity_checks(matched, ["shop_id"], geo=False))
    return materialize(lake.lake, dg.AssetKey(["silver", "merchant_survey"]), result)


def _poi_asset(name: str, kind: str, description: str) -> dg.AssetsDefinition:
    @dg.asset(**_spec(name, ["bronze.osm_pois", "silver.communes"], description))
    def _asset(lake: LakeResource) -> dg.MaterializeResult:
        read = _reader(lake, name).read
        pois = read("bronze.osm_pois")
        frame = conform_points(pois[pois["kind"] == kind].reset_index(drop=True), read("silver.communes"))
        return _write(lake.lake, name, frame, ["osm_id"])

    return _asset


parking = _poi_asset("parking", "parking", "Car parks from OSM with their capacity (null when not tagged).")
tourism = _poi_asset("tourism", "tourism", "Tourism attractions, museums, viewpoints and information points from OSM.")


@dg.asset(**_spec("departures", ["bronze.gtfs"], "Every scheduled departure (feed, stop, trip, route type, service, seconds after service-day midnight).", geo=False))
def departures(lake: LakeResource) -> dg.MaterializeResult:
    reader = _reader(lake, "departures")
    path = reader.path
    frame = reader.query(
        "silver.departures",
        stop_times=path("bronze.gtfs_stop_times"), trips=path("bronze.gtfs_trips"), routes=path("bronze.gtfs_routes"),
    )
    return _write(lake.lake, "departures", frame, ["feed_id", "trip_id", "stop_sequence"], geo=False)


@dg.asset(**_spec("service_dates", ["bronze.gtfs"], "Dates each GTFS service runs, from calendar.txt and calendar_dates.txt.", geo=False))
def service_dates(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "service_dates").read
    frame = gtfs.service_dates(read("bronze.gtfs_calendar"), read("bronze.gtfs_calendar_dates"))
    return _write(lake.lake, "service_dates", frame, ["feed_id", "service_id", "date"], geo=False)


@dg.asset(**_spec("stops", ["bronze.gtfs", "silver.departures", "silver.communes"], "Public-transport stops with the number of scheduled stop_times and route types; stops without any departure are kept (n_stop_times = 0)."))
def stops(lake: LakeResource) -> dg.MaterializeResult:
    reader = _reader(lake, "stops")
    service = reader.query(
        "silver.stop_service",
        stops=reader.path("bronze.gtfs_stops"), departures=reader.path("silver.departures"),
    )
    raw = reader.read("bronze.gtfs_stops").merge(service, on=["feed_id", "stop_id"], how="left")
    frame = conform_points(points_from_lonlat(raw, "stop_lon", "stop_lat"), reader.read("silver.communes"))
    return _write(lake.lake, "stops", frame, ["feed_id", "stop_id"])


@dg.asset(
    key=["silver", "road_network"],
    deps=_declare("road_network", ["landing.osm", "silver.communes"]),
    group_name="silver",
    kinds={"python", "parquet", "osmnx"},
    owners=OWNERS,
    description="Street network per mode (walk, bike, drive): nodes and edges with length, speed and travel time, parsed with osmnx from the OSM extract of the landing zone (PBF clipped to the communes plus 2 km, or XML), the file bronze.osm_pois reads its POIs from.",
    metadata={"lake_tables": "silver.network_nodes, silver.network_edges"},
)
def road_network(lake: LakeResource) -> dg.MaterializeResult:
    lk, reader = lake.lake, _reader(lake, "road_network")
    bbox = tuple(float(v) for v in reader.read("silver.communes").total_bounds)
    graph = osm_extract.read_street_graph(loaders.osm_file(reader.landing("osm")), bbox=bbox)
    nodes, edges, sizes = mode_networks(graph)
    lk.write(with_h3(nodes), "silver", "network_nodes")
    lk.write(edges, "silver", "network_edges")
    return dg.MaterializeResult(metadata={**sizes, "dagster/row_count": len(edges)})


@dg.asset(**_spec("vacant_cells", ["bronze.vacant_cells", "silver.communes"], "Commercial cells of the commune register (vacant/occupied) by observation date."))
def vacant_cells(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "vacant_cells").read
    frame = conform_points(points_from_lonlat(read("bronze.vacant_cells")), read("silver.communes"))
    return _write(lake.lake, "vacant_cells", frame, ["cell_id", "observed_on"])


@dg.asset(**_spec("sensors", ["bronze.wifi_sensors", "bronze.counter_registry", "silver.communes"], "Footfall sensors: WiFi sensors and pedestrian/bike counters in one table (`kind`)."))
def sensors(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "sensors").read
    wifi = read("bronze.wifi_sensors").assign(kind="wifi")
    counter = read("bronze.counter_registry").rename(columns={"counter_id": "sensor_id"})
    frame = pd.concat([wifi, counter], ignore_index=True)
    frame = conform_points(points_from_lonlat(frame), read("silver.communes"))
    return _write(lake.lake, "sensors", frame, ["sensor_id"])


@dg.asset(**_spec("merchants", ["bronze.voucher_merchants", "silver.communes"], "Merchants of the voucher scheme with commune and cell."))
def merchants(lake: LakeResource) -> dg.MaterializeResult:
    read = _reader(lake, "merchants").read
    frame = conform_points(points_from_lonlat(read("bronze.voucher_merchants")), read("silver.communes"))
    return _write(lake.lake, "merchants", frame, ["merchant_id"])


def _daily_spec(name: str, deps: list[str], description: str) -> dict[str, object]:
    return dict(
        key=["silver", name],
        deps=_declare(name, deps),
        group_name="silver",
        kinds={"python", "parquet"},
        owners=OWNERS,
        description=description,
        partitions_def=daily,
        backfill_policy=single_run,
    )


def _for_days(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    name: str,
    build: Callable[[Reader, str], pd.DataFrame],
) -> dg.MaterializeResult:
    """Build and write ``silver/<name>`` for each requested day that has a daily bronze input."""
    reader = _reader(lake, name)
    daily_inputs = [k for k in DECLARED[name].keys if k.startswith("bronze.")]
    rows, days = 0, 0
    for day in context.partition_keys:
        if not any(reader.exists(table, day) for table in daily_inputs):
            continue
        frame = build(reader, day)
        lake.lake.write(frame, "silver", name, day)
        rows, days = rows + len(frame), days + 1
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "days_written": days, "days_requested": len(context.partition_keys)}
    )


def _hourly_counts(reader: Reader, day: str) -> pd.DataFrame:
    tables = ("bronze.wifi_counts", "bronze.counter_counts")
    return hourly_sensor_counts(*(reader.read(t, day) if reader.exists(t, day) else None for t in tables))


def _od_flows(reader: Reader, day: str) -> pd.DataFrame:
    return reader.query("silver.od_flows", od=reader.path("bronze.od_flows", day), sectors=reader.path("silver.sectors"))


def _transactions(reader: Reader, day: str) -> pd.DataFrame:
    return reader.query(
        "silver.transactions",
        transactions=reader.path("bronze.transactions", day), merchants=reader.path("silver.merchants"),
    )


@dg.asset(**_daily_spec("sensor_counts", ["bronze.wifi_counts", "bronze.counter_counts"], "Hourly counts of every sensor (WiFi unique devices; counters summed from 5-minute intervals with a completeness flag), per local day."))
def sensor_counts(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return _for_days(context, lake, "sensor_counts", _hourly_counts)


@dg.asset(**_daily_spec("od_flows", ["bronze.od_flows", "silver.sectors"], "Hourly mobile-operator trips between sectors with the communes of origin and destination."))
def od_flows(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return _for_days(context, lake, "od_flows", _od_flows)


@dg.asset(**_daily_spec("transactions", ["bronze.transactions", "silver.merchants"], "Voucher/loyalty transactions with the merchant's category, commune and cell, and the customer's origin."))
def transactions(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return _for_days(context, lake, "transactions", _transactions)


assets = [communes, sectors, establishments, shops, parking, tourism, departures, service_dates, stops, road_network, vacant_cells, sensors, merchants, merchant_survey, sensor_counts, od_flows, transactions]
