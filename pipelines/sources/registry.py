"""The one registry of source families: what a commune may hold, where it lands, who provides
it, which bronze assets read it (loader, tables and their column types) and what it feeds.

Everything else derives from :data:`FAMILIES`: the bronze assets (``assets/bronze.py``), the
landing scan into ``bronze.source_status`` (:mod:`pipelines.availability`), the typed empty
tables of a missing source (:mod:`pipelines.tables`), the Canvas's data inventory
(:mod:`pipelines.canvas.cadastre`) and the table of ``docs/data-contracts.md``
(:func:`contracts_table`, checked by a test). Adding a source is one reader module under
``pipelines/sources/``, one :class:`Family` here, its test and its contract section.

Column types: ``name`` alone is a string; ``name:i64``, ``:f64``, ``:i8``, ``:bool``, ``:date``, ``:ts_ms``
(naive timestamp), ``:ts_utc`` (timestamp, UTC); ``geometry`` marks a GeoParquet table
(EPSG:4326).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.quarantine import ReadResult
from pipelines.sources import consultant, loaders, od, typology, vacant, vouchers, wifi
from pipelines.sources import counts_csv as counts
from pipelines.sources.counters import read_registry

Results = dict[str, ReadResult]


def columns(spec: str) -> tuple[tuple[str, str], ...]:
    """``"nis population:i64 geometry"`` -> ``(("nis", "str"), ("population", "i64"), ("geometry", "geometry"))``."""
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append((name, kind or ("geometry" if name == "geometry" else "str")))
    return tuple(out)


@dataclass(frozen=True)
class Bronze:
    """One bronze asset: the landing files it reads (``load``) and the tables it writes.

    ``load(landing)`` for a static asset; ``load(landing, day)`` for a daily one (None when the
    day has no file); ``load(landing, day, key)`` when it pseudonymises (``keyed``).
    """

    name: str
    description: str
    load: Callable[..., Results | None]
    tables: dict[str, str] = field(default_factory=dict)
    """Table name -> column spec; a table without a spec (``""``) is not written empty."""
    daily: bool = False
    keyed: bool = False
    every_day: bool = True
    """A daily source expected every day (a missing day is a warning); False for raw probes."""
    stream: Callable[[Path, str, bytes], Callable[[Path], object] | None] | None = None
    """For a table too large to hold in memory (raw probes): ``stream(landing, day, key)``
    gives a writer of the day's Parquet file (its result has ``rows_in``, ``rows_accepted``,
    ``quarantine``), or None without a file; bronze then writes in bounded memory."""

    def schemas(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {t: columns(spec) for t, spec in self.tables.items() if spec}

    def read(self, landing: Path, day: str | None = None, key: bytes = b"") -> Results | None:
        if self.keyed:
            return self.load(landing, day, key)
        return self.load(landing, day) if self.daily else self.load(landing)


@dataclass(frozen=True)
class Family:
    """A source family: what a commune may hold, who provides it, where it lands."""

    name: str
    label_fr: str
    provider: str
    licence: str
    patterns: tuple[str, ...]
    """Globs under ``landing/`` whose files make up the family."""
    feeds: str
    """What it feeds (silver and gold tables, indicators), for the docs and the inventory."""
    assets: tuple[Bronze, ...] = ()
    required: bool = False
    derived_from: str | None = None
    """A family with no landing file of its own, held when this one is (parking from OSM)."""
    holds: tuple[str, ...] = ()
    """Bronze tables of this family written by another family's asset (address points are
    read with the KBO, which they locate)."""

    @property
    def bronze(self) -> tuple[str, ...]:
        """The bronze assets and tables holding the family's rows (their quarantine included)."""
        held_elsewhere = {t for f in FAMILIES.values() if f is not self for t in f.holds}
        names = [b.name for b in self.assets] + [t for b in self.assets for t in b.tables]
        return tuple(dict.fromkeys(n for n in [*names, *self.holds] if n not in held_elsewhere))


_GTFS = {
    "gtfs_agency": "feed_id agency_id agency_name agency_url agency_timezone agency_lang",
    "gtfs_calendar": "feed_id service_id monday:i8 tuesday:i8 wednesday:i8 thursday:i8 friday:i8 "
                     "saturday:i8 sunday:i8 start_date:ts_ms end_date:ts_ms",
    "gtfs_calendar_dates": "feed_id service_id date:ts_ms exception_type:i8",
    "gtfs_routes": "feed_id route_id agency_id route_short_name route_long_name route_type:i64",
    "gtfs_stop_times": "feed_id trip_id arrival_time departure_time stop_id stop_sequence:i64 arrival_s:i64 departure_s:i64",
    "gtfs_stops": "feed_id stop_id stop_code stop_name stop_lat:f64 stop_lon:f64 location_type:i64",
    "gtfs_trips": "feed_id route_id service_id trip_id trip_headsign direction_id",
}  # fmt: skip

_KBO = {
    "kbo_enterprise": "enterprise_number status juridical_situation type_of_enterprise juridical_form "
                      "juridical_form_cac start_date:date source_row:i64",
    "kbo_establishment": "establishment_number start_date:date enterprise_number source_row:i64",
    "kbo_activity": "entity_number activity_group nace_version nace_code classification source_row:i64",
    "kbo_address": "entity_number type_of_address country_nl country_fr zipcode municipality_nl "
                   "municipality_fr street_nl street_fr house_number box extra_address_info "
                   "date_striking_off:date source_row:i64",
    "kbo_denomination": "entity_number language type_of_denomination denomination source_row:i64",
    "address_points": "postcode municipality_fr street_fr street_nl house_number lon:f64 lat:f64 source_row:i64",
    "kbo_postcodes": "postcode locality lon:f64 lat:f64",
    "kbo_establishments_located": "establishment_number enterprise_number name nace_code nace_version "
                                  "category zipcode street_fr house_number lon:f64 lat:f64 geocode_precision",
}  # fmt: skip

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "boundaries", "Limites communales", "Statbel", "Licence ouverte Statbel",
            ("statbel/communes.geojson", "statbel/communes.gpkg", "statbel/communes.shp.zip", "statbel/communes.shp"),
            "silver.communes, the H3 grid and every indicator", required=True,
            assets=(Bronze(
                "statbel_communes",
                "Commune boundaries with NIS code and population, as Statbel publishes them (GeoJSON, "
                "GeoPackage or shapefile in any CRS; population from OPENDATA_SECTOREN when given). "
                "NIS codes as in the file: silver maps them to today's communes (2019 and 2025 mergers).",
                loaders.load_communes,
                {"statbel_communes": "nis name_fr name_nl population:i64 repaired_area_change:f64 geometry"},
            ),),
        ),
        Family(
            "sectors", "Secteurs statistiques et population", "Statbel", "Licence ouverte Statbel",
            ("statbel/sectors.geojson", "statbel/sectors.gpkg", "statbel/sectors.shp.zip", "statbel/sectors.shp",
             "statbel/OPENDATA_SECTOREN_*"),
            "population on the H3 grid (by sector instead of by commune), OD flows, catchments",
            assets=(Bronze(
                "statbel_sectors",
                "Statistical sectors with population, as Statbel publishes them (GeoJSON, GeoPackage or "
                "shapefile joined on CD_SECTOR to OPENDATA_SECTOREN).",
                loaders.load_sectors,
                {"statbel_sectors": "sector_id name_fr nis population:i64 repaired_area_change:f64 geometry"},
            ),),
        ),
        Family(
            "osm", "Réseau de rues et points d'intérêt", "OpenStreetMap", "ODbL 1.0",
            ("osm/territory.osm", "osm/territory.osm.pbf"),
            "the street networks (silver.road_network), shops, parking, tourism; every access indicator",
            required=True,
            assets=(Bronze(
                "osm_pois",
                "Shops, parking and tourism POIs parsed from the OpenStreetMap extract (PBF as "
                "Geofabrik delivers it, clipped to the territory plus 2 km, or a small XML extract).",
                loaders.load_osm_pois,
                {"osm_pois": "osm_id kind subtype name website opening_hours capacity:i64 addr_street "
                             "addr_housenumber addr_postcode social payment delivery takeaway check_date geometry"},
            ),),
        ),
        Family(
            "gtfs", "Horaires des transports en commun (GTFS)", "TEC / SNCB", "Licence ouverte TEC / SNCB",
            ("gtfs/*.zip",), "silver.stops, departures; public-transport indicators (SDG 11.2.1, DG REGIO)",
            assets=(Bronze(
                "gtfs", "Every GTFS feed of the landing zone, table by table, with its feed_id.",
                loaders.load_gtfs, _GTFS,
            ),),
        ),
        Family(
            "kbo", "Banque-Carrefour des Entreprises", "SPF Économie (BCE/KBO Open Data)",
            "Réutilisation libre après enregistrement",
            ("kbo/enterprise.csv", "kbo/establishment.csv", "kbo/activity.csv", "kbo/address.csv",
             "kbo/denomination.csv", "kbo/code.csv", "kbo/full/*.csv", "kbo/updates/*/*.csv"),
            "silver.establishments and the shops (KBO x OSM); commerce mix and density indicators",
            assets=(Bronze(
                "kbo", "KBO/BCE open-data tables, address points, and establishments located on address points.",
                loaders.load_kbo, _KBO,
            ),),
        ),
        Family(
            "addresses", "Points d'adresse", "BOSA BeST Address / bpost (centroïdes)", "Licence ouverte",
            ("kbo/address_points.csv", "kbo/postcodes.csv", "best/*"),
            "the location of KBO establishments (read by the kbo asset: bronze.address_points, bronze.kbo_postcodes)",
            holds=("address_points", "kbo_postcodes"),
        ),
        Family(
            "wifi", "Capteurs WiFi de fréquentation", "Commune / opérateur WiFi", "Données de la commune",
            ("wifi/sensors.csv", "wifi/counts/*.csv", "wifi/probes/*.csv"),
            "silver.sensors, sensor counts; footfall and its hourly profile",
            assets=(
                Bronze("wifi_sensors", "Registry of WiFi footfall sensors.",
                       loaders.single("wifi_sensors", wifi.read_sensors, "wifi/sensors.csv"),
                       {"wifi_sensors": "sensor_id nis name lon:f64 lat:f64 installed_on:date"}),
                Bronze("wifi_counts", "Hourly unique-device counts of the WiFi sensors, one partition per local day.",
                       loaders.day_file("wifi_counts", wifi.read_counts, "wifi/counts"),
                       {"wifi_counts": "sensor_id ts:ts_utc day unique_devices:i64"}, daily=True),
                Bronze("wifi_probes",
                       "Raw WiFi probe events with device ids pseudonymised by a keyed hash at ingestion "
                       "(never leave bronze).",
                       loaders.load_probes_day, {"wifi_probes": ""}, daily=True, keyed=True, every_day=False,
                       stream=loaders.stream_probes_day),
            ),
        ),
        Family(
            "counters", "Compteurs piétons et vélos", "Commune / SPW Mobilité", "Données de la commune",
            ("counters/counters.csv", "counters/*/*.csv", "sncb/boardings.csv"),
            "silver.sensors, sensor counts; footfall calibration; station footfall (SNCB)",
            assets=(
                Bronze("counter_registry", "Registry of pedestrian and bike counters.",
                       loaders.single("counter_registry", read_registry, "counters/counters.csv"),
                       {"counter_registry": "counter_id nis name kind lon:f64 lat:f64"}),
                Bronze("counter_counts",
                       "Pedestrian/bike counts of every counter per local day: 5-minute Ghent-layout files "
                       "(one folder per counter) and the generic layout (counters/generic/<day>.csv).",
                       loaders.load_counter_day,
                       {"counter_counts": "counter_id ts:ts_utc day total:i64 direction_main:i64 direction_opposite:i64"},
                       daily=True),
                Bronze("sncb_boardings",
                       "SNCB average boardings per station (weekday, Saturday, Sunday): a station footfall proxy.",
                       loaders.single("sncb_boardings", counts.read_sncb_boardings, "sncb/boardings.csv"),
                       {"sncb_boardings": "station name uri weekday:i64 saturday:i64 sunday:i64"}),
            ),
        ),
        Family(
            "od", "Flux de mobilité d'opérateur mobile", "Opérateur mobile", "Contrat de licence",
            ("od/*.csv",), "silver.od_flows; observed catchments and trips to the districts",
            assets=(Bronze("od_flows", "Mobile-operator hourly trips between statistical sectors, per local day.",
                           loaders.day_file("od_flows", od.read_od, "od"),
                           {"od_flows": "ts:ts_utc day origin_sector destination_sector trips:i64"}, daily=True),),
        ),
        Family(
            "vouchers", "Chèques commerces et fidélité", "Gestionnaire du système de chèques",
            "Données de la commune", ("vouchers/merchants.csv", "vouchers/transactions/*.csv"),
            "silver.merchants, transactions; revealed catchments (customer origins)",
            assets=(
                Bronze("voucher_merchants", "Merchants of the local voucher/loyalty scheme.",
                       loaders.single("voucher_merchants", vouchers.read_merchants, "vouchers/merchants.csv"),
                       {"voucher_merchants": "merchant_id name establishment_number nis lon:f64 lat:f64 category"}),
                Bronze("transactions", "Voucher/loyalty transactions with customer origin, per local day.",
                       loaders.day_file("transactions", vouchers.read_transactions, "vouchers/transactions"),
                       {"transactions": "transaction_id merchant_id ts:ts_utc day amount_eur:f64 "
                                        "customer_postcode customer_sector"}, daily=True),
            ),
        ),
        Family(
            "vacancy", "Cellules commerciales vides", "Commune / ADL", "Données de la commune",
            ("vacant/vacant_cells.csv",), "silver.vacant_cells; the vacancy rate",
            assets=(Bronze("vacant_cells", "The commune's register of commercial cells (vacant/occupied) by observation date.",
                           loaders.single("vacant_cells", vacant.read_vacant_cells, "vacant/vacant_cells.csv"),
                           {"vacant_cells": "cell_id nis address lon:f64 lat:f64 floor_area_m2:f64 status observed_on:date"}),),
        ),
        Family(
            "parking", "Parkings", "OpenStreetMap (amenity=parking)", "ODbL 1.0", (),
            "silver.parking; parking indicators", derived_from="osm",
        ),
        Family(
            "districts", "Périmètres des noyaux commerciaux", "Commune / ADL", "Données de la commune",
            ("districts/districts.geojson",),
            "gold.districts (the commune's own outlines instead of the detected clusters)",
            assets=(Bronze("district_outlines",
                           "Shopping-district outlines drawn by the commune (landing/districts/districts.geojson), "
                           "one polygon per district, in EPSG:4326; when present they replace the detected clusters.",
                           loaders.load_district_outlines, {"district_outlines": "outline:i64 name geometry"}),),
        ),
        Family(
            "survey", "Enquête auprès des commerçants (parcours en ligne)",
            "Agence de développement local / consultant", "Données de la commune",
            ("survey/*.csv",),
            "silver.merchant_survey; the online journey (webshop, click & collect, delivery, "
            "marketplace, vouchers, loyalty, reviews, social media)",
            assets=(Bronze("merchant_survey",
                           "The merchant survey of the online journey, one CSV per commune (survey/<nis>.csv): "
                           "per shop (KBO establishment number or OSM id) webshop, click & collect, delivery, "
                           "marketplace, vouchers and loyalty schemes accepted, online reviews and rating, "
                           "social networks, survey date.",
                           loaders.load_survey,
                           {"merchant_survey": "shop_ref webshop:bool click_collect:bool delivery:bool marketplace "
                                               "vouchers loyalty social reviews_count:i64 rating:f64 surveyed_on:date nis "
                                               "source_file source_row:i64"}),),
        ),
        Family(
            "consultant", "Validation et constats du consultant", "Consultant / ADL", "Données de la commune",
            ("consultant/*.yaml", "consultant/*.yml"),
            "the consultant's hand in the Canvas: gold.actions (accepted, rejected with a reason, added), "
            "gold.canvas (reference overrides with their justification), gold.consultant_findings "
            "(qualitative checklist, digital tools in place)",
            assets=(Bronze("consultant",
                           "The consultant's file of each commune (consultant/<nis>.yaml): decisions on the action "
                           "plan (accept, reject with a reason, add), reference overrides with their justification, "
                           "the qualitative checklist (safety, appearance, markets, anchor stores, vision, "
                           "partnerships...) and the digital tools already in place. A malformed file is quarantined "
                           "whole with a one-line reason naming its line; the others apply.",
                           loaders.load_consultant,
                           {"consultant_decisions": consultant.DECISION_COLUMNS,
                            "consultant_references": consultant.REFERENCE_COLUMNS,
                            "consultant_findings": consultant.FINDING_COLUMNS}),),
        ),
        Family(
            "typology", "Typologie des communes", "Fournie par l'utilisateur (p. ex. Belfius)",
            "Selon la publication", ("typology.csv",),
            "the fourth peer lens of the Canvas",
            assets=(Bronze("typology",
                           "A user-supplied commune typology (nis, typology), e.g. a published classification of "
                           "communes: the fourth peer lens of the Canvas. Optional.",
                           loaders.single("typology", typology.read_typology, "typology.csv"),
                           {"typology": "nis typology"}),),
        ),
    )
}  # fmt: skip
"""Every source family, keyed by its canonical name."""


def bronze_assets() -> list[Bronze]:
    """Every bronze asset of every family, in registry order."""
    return [b for f in FAMILIES.values() for b in f.assets]


def family_of_bronze(name: str) -> str | None:
    """The family of a bronze asset or table name (``wifi_counts`` -> ``wifi``), else None."""
    return next((f.name for f in FAMILIES.values() if name in f.bronze), None)


def schemas() -> dict[str, tuple[tuple[str, str], ...]]:
    """Bronze table -> (column, type) in order, for every table the registry types."""
    return {t: cols for b in bronze_assets() for t, cols in b.schemas().items()}


def contracts_table() -> str:
    """The Markdown table of ``docs/data-contracts.md``: one row per family."""
    lines = [
        "| family | landing files | bronze tables | provider | licence | feeds |",
        "|---|---|---|---|---|---|",
    ]
    for f in FAMILIES.values():
        files = ", ".join(f"`{p}`" for p in f.patterns) or f"(derived from {f.derived_from})"
        tables = ", ".join(f"`{t}`" for b in f.assets for t in b.tables) or "—"
        required = " (required)" if f.required else ""
        lines.append(f"| {f.name}{required} | {files} | {tables} | {f.provider} | {f.licence} | {f.feeds} |")
    return "\n".join(lines)
