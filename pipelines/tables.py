"""Declared column types of the bronze tables, so a missing source still gives typed tables.

When a territory does not hold an optional source (no WiFi, no voucher scheme...), its bronze
tables are written empty with these columns and types: every downstream query runs, finds no
rows and says so, instead of failing on a missing file or an untyped column. A test checks
that the readers produce exactly these columns on the demo landing zone.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from pipelines.constants import CRS_WGS84, GEOMETRY_COLUMN

_TYPES: dict[str, pa.DataType] = {
    "str": pa.large_string(),
    "f64": pa.float64(),
    "i64": pa.int64(),
    "i8": pa.int8(),
    "date": pa.date32(),
    "ts_ms": pa.timestamp("ms"),
    "ts_utc": pa.timestamp("us", tz="UTC"),
}

_S, _F, _I = "str", "f64", "i64"

BRONZE: dict[str, tuple[tuple[str, str], ...]] = {
    "statbel_communes": (("nis", _S), ("name_fr", _S), ("name_nl", _S), ("population", _I), ("repaired_area_change", _F), (GEOMETRY_COLUMN, "geometry")),
    "statbel_sectors": (("sector_id", _S), ("name_fr", _S), ("nis", _S), ("population", _I), ("repaired_area_change", _F), (GEOMETRY_COLUMN, "geometry")),
    "osm_pois": (
        ("osm_id", _S), ("kind", _S), ("subtype", _S), ("name", _S), ("website", _S),
        ("opening_hours", _S), ("capacity", _I), ("addr_street", _S), ("addr_housenumber", _S),
        ("addr_postcode", _S), (GEOMETRY_COLUMN, "geometry"),
    ),
    "gtfs_agency": (("feed_id", _S), ("agency_id", _S), ("agency_name", _S), ("agency_url", _S), ("agency_timezone", _S), ("agency_lang", _S)),
    "gtfs_calendar": (
        ("feed_id", _S), ("service_id", _S), ("monday", "i8"), ("tuesday", "i8"), ("wednesday", "i8"),
        ("thursday", "i8"), ("friday", "i8"), ("saturday", "i8"), ("sunday", "i8"),
        ("start_date", "ts_ms"), ("end_date", "ts_ms"),
    ),
    "gtfs_calendar_dates": (("feed_id", _S), ("service_id", _S), ("date", "ts_ms"), ("exception_type", "i8")),
    "gtfs_routes": (("feed_id", _S), ("route_id", _S), ("agency_id", _S), ("route_short_name", _S), ("route_long_name", _S), ("route_type", _I)),
    "gtfs_stop_times": (
        ("feed_id", _S), ("trip_id", _S), ("arrival_time", _S), ("departure_time", _S), ("stop_id", _S),
        ("stop_sequence", _I), ("arrival_s", _I), ("departure_s", _I),
    ),
    "gtfs_stops": (("feed_id", _S), ("stop_id", _S), ("stop_code", _S), ("stop_name", _S), ("stop_lat", _F), ("stop_lon", _F), ("location_type", _I)),
    "gtfs_trips": (("feed_id", _S), ("route_id", _S), ("service_id", _S), ("trip_id", _S), ("trip_headsign", _S), ("direction_id", _S)),
    "kbo_activity": (("entity_number", _S), ("activity_group", _S), ("nace_version", _S), ("nace_code", _S), ("classification", _S), ("source_row", _I)),
    "kbo_address": (
        ("entity_number", _S), ("type_of_address", _S), ("country_nl", _S), ("country_fr", _S), ("zipcode", _S),
        ("municipality_nl", _S), ("municipality_fr", _S), ("street_nl", _S), ("street_fr", _S),
        ("house_number", _S), ("box", _S), ("extra_address_info", _S), ("date_striking_off", "date"), ("source_row", _I),
    ),
    "kbo_denomination": (("entity_number", _S), ("language", _S), ("type_of_denomination", _S), ("denomination", _S), ("source_row", _I)),
    "kbo_enterprise": (
        ("enterprise_number", _S), ("status", _S), ("juridical_situation", _S), ("type_of_enterprise", _S),
        ("juridical_form", _S), ("juridical_form_cac", _S), ("start_date", "date"), ("source_row", _I),
    ),
    "kbo_establishment": (("establishment_number", _S), ("start_date", "date"), ("enterprise_number", _S), ("source_row", _I)),
    "kbo_establishments_located": (
        ("establishment_number", _S), ("enterprise_number", _S), ("name", _S), ("nace_code", _S), ("nace_version", _S),
        ("category", _S), ("zipcode", _S), ("street_fr", _S), ("house_number", _S), ("lon", _F), ("lat", _F),
        ("geocode_precision", _S),
    ),
    "typology": (("nis", _S), ("typology", _S)),
    "kbo_postcodes": (("postcode", _S), ("locality", _S), ("lon", _F), ("lat", _F)),
    "sncb_boardings": (("station", _S), ("name", _S), ("uri", _S), ("weekday", _I), ("saturday", _I), ("sunday", _I)),
    "address_points": (
        ("postcode", _S), ("municipality_fr", _S), ("street_fr", _S), ("street_nl", _S), ("house_number", _S),
        ("lon", _F), ("lat", _F), ("source_row", _I),
    ),
    "vacant_cells": (
        ("cell_id", _S), ("nis", _S), ("address", _S), ("lon", _F), ("lat", _F), ("floor_area_m2", _F),
        ("status", _S), ("observed_on", "date"),
    ),
    "wifi_sensors": (("sensor_id", _S), ("nis", _S), ("name", _S), ("lon", _F), ("lat", _F), ("installed_on", "date")),
    "counter_registry": (("counter_id", _S), ("nis", _S), ("name", _S), ("kind", _S), ("lon", _F), ("lat", _F)),
    "voucher_merchants": (("merchant_id", _S), ("name", _S), ("establishment_number", _S), ("nis", _S), ("lon", _F), ("lat", _F), ("category", _S)),
    "wifi_counts": (("sensor_id", _S), ("ts", "ts_utc"), ("day", _S), ("unique_devices", _I)),
    "counter_counts": (
        ("counter_id", _S), ("ts", "ts_utc"), ("day", _S), ("total", _I), ("direction_main", _I), ("direction_opposite", _I),
    ),
    "od_flows": (("ts", "ts_utc"), ("day", _S), ("origin_sector", _S), ("destination_sector", _S), ("trips", _I)),
    "transactions": (
        ("transaction_id", _S), ("merchant_id", _S), ("ts", "ts_utc"), ("day", _S), ("amount_eur", _F),
        ("customer_postcode", _S), ("customer_sector", _S),
    ),
}  # fmt: skip
"""Bronze table -> (column, type) in order; ``geometry`` marks a GeoParquet table (EPSG:4326)."""


def empty(name: str) -> pd.DataFrame:
    """An empty bronze table ``name`` with its declared columns and types.

    Raises
    ------
    KeyError
        When ``name`` is not a declared bronze table.
    """
    columns = BRONZE[name]
    fields = [pa.field(c, _TYPES[t]) for c, t in columns if t != "geometry"]
    dates = {pa.date32(): pd.ArrowDtype(pa.date32())}  # a plain object column would lose its type
    frame = pa.schema(fields).empty_table().to_pandas(types_mapper=dates.get)
    if any(t == "geometry" for _, t in columns):
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS_WGS84), crs=CRS_WGS84)
        frame = frame[[c for c, _ in columns]]
    return frame


def columns(name: str) -> list[str]:
    """The declared column names of bronze table ``name``."""
    return [c for c, _ in BRONZE[name]]
