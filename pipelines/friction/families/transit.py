"""1 Public transport: UN SDG 11.2.1 and EU DG REGIO classes of the residents, trips per hour
at the shopping districts, stops without departures (:mod:`pipelines.transit` computes the
frequencies; GTFS on the busiest weekday, 06-20 h)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines import transit
from pipelines.friction import reach
from pipelines.friction.inputs import Context, Network, Prepared, Service
from pipelines.friction.rows import level_rows, place_rows
from pipelines.friction.spec import Family, Indicator

NO_SERVICE_DATE = dt.date(2000, 1, 3)
"""A Monday evaluated when no GTFS service runs on a weekday (every stop then has no
departure; the service date reported is None)."""
WALK_DISTRICT_MIN = 10.0
"""District rows of the SDG share: the residents within this walk of the district."""

_CLASS = "EU DG REGIO class of the best stop within walking distance, GTFS {service} 06-20 h"
_CLASS_NAMES = {
    "high": ("Population desservie en classe haute (>10 départs/h)", "Population served at high frequency (>10 departures/h)"),
    "medium": ("Population desservie en classe moyenne (4-10 départs/h)", "Population served at medium frequency (4-10 departures/h)"),
    "low": ("Population desservie en classe basse (<4 départs/h)", "Population served at low frequency (<4 departures/h)"),
    "none": ("Population sans arrêt desservi à distance de marche", "Population without a served stop within walking distance"),
}  # fmt: skip
INDICATORS = (
    Indicator(
        "pt_sdg_11_2_1_share", "%", "gtfs+osm",
        "Population avec un arrêt fréquent à distance de marche (ODD 11.2.1)",
        "Population with a frequent stop within walking distance (SDG 11.2.1)",
        "GTFS {service} (busiest weekday), 06-20 h; 500 m walk to bus/tram, 1 km to rail; "
        f"frequent = {transit.FREQUENT_DEPARTURES_PER_HOUR:g}+ departures/h; districts: residents "
        f"within {WALK_DISTRICT_MIN:g} min walk",
    ),
    *(
        Indicator(f"pt_class_{label}_share", "%", "gtfs+osm", *_CLASS_NAMES[label], _CLASS, commune_only=True)
        for label in transit.CLASS_LABELS
    ),
    Indicator(
        "pt_district_trips_per_hour", "trips/h", "gtfs+osm",
        "Passages de bus/trains par heure au noyau (06-20 h)",
        "Bus/train trips per hour serving the district (06-20 h)",
        "distinct trips calling within 500 m (rail 1 km) walk of the district's shops, GTFS "
        "{service} 06-20 h; commune: all its districts",
    ),
    Indicator(
        "pt_stops_without_departures", "stops", "gtfs+osm",
        "Arrêts sans aucun horaire", "Stops without any timed departure",
        "silver.stops with no timed stop_time (kept and reported in gold.friction_stops)",
        commune_only=True,
    ),
)  # fmt: skip


def service(inputs: Prepared, net: Network) -> Service:
    """Per-stop frequencies, per-cell coverage, window departures and the service date (None
    when no service runs on a weekday, e.g. without GTFS)."""
    frames = inputs.frames
    feed = transit.feed_from_silver(frames.departures, frames.service_dates)
    try:
        day: dt.date | None = transit.busiest_weekday(frames.service_dates, frames.departures)
    except ValueError:
        day = None
    when = day or NO_SERVICE_DATE
    timed = transit.window_departures(feed, when)
    per_stop = transit.departures_per_stop(feed, inputs.stops, when, timed=timed)
    coverage = transit.cell_coverage(net.walk_to_cells["stops"], per_stop)
    return Service(per_stop=per_stop, coverage=coverage, timed=timed, day=day)


def _shares(ctx: Context, text: str) -> list[pd.DataFrame]:
    """SDG 11.2.1 (communes and districts) and DG REGIO class shares (communes)."""
    cells, coverage, communes = ctx.inputs.cells, ctx.transit().coverage, ctx.communes
    nis = cells["nis"].astype(str)
    sdg = transit.population_shares(cells["population"], nis, coverage["sdg_11_2_1"].astype(str))
    district = reach.weighted_means_within(
        ctx.network().to_district["walk"],
        WALK_DISTRICT_MIN * 60,
        coverage["sdg_11_2_1"].to_numpy(float) * 100,
        cells["population"].to_numpy(float),
    )
    town = sdg.reindex(communes).get("True", pd.Series(0.0, index=communes)).fillna(0).to_numpy()
    code = "pt_sdg_11_2_1_share"
    rows = [level_rows(ctx.places, communes, code, district, town, FAMILY[code].reference(service=text))]
    classes = transit.population_shares(cells["population"], nis, coverage["pt_class"])
    for label in transit.CLASS_LABELS:
        share = classes[label] if label in classes.columns else pd.Series(0.0, index=classes.index)
        frame = pd.DataFrame({"nis": communes, "v": share.reindex(communes).fillna(0).to_numpy()})
        code = f"pt_class_{label}_share"
        rows.append(place_rows(frame, code, "v", FAMILY[code].reference(service=text)))
    return rows


def _trips(ctx: Context, text: str) -> pd.DataFrame:
    """Distinct trips per hour calling near each district's shops (commune: all its districts)."""
    pt, net, places, communes = ctx.transit(), ctx.network(), ctx.places, ctx.communes
    radius_s = pt.per_stop["radius_m"].to_numpy(float) * reach.walk_seconds(1.0)
    shop_in = ctx.inputs.shops.dropna(subset=["district_id"])
    near = reach.places_near_groups(
        net.walk_to_shops["stops"], shop_in["district_id"].astype(str).tolist(), radius_s
    )
    by_district = transit.trips_per_hour_by_group(pt.timed, pt.per_stop, near)
    trips = by_district.reindex(places.district_ids, fill_value=0.0).to_numpy(float)
    nis_of = pd.Series(places.district_nis, index=places.district_ids)
    town_near = near.assign(group=near["group"].map(nis_of)).drop_duplicates()
    by_town = transit.trips_per_hour_by_group(pt.timed, pt.per_stop, town_near)
    with_district = set(places.district_nis)
    town = [float(by_town.get(n, 0.0)) if n in with_district else np.nan for n in communes]
    code = "pt_district_trips_per_hour"
    return level_rows(places, communes, code, trips, np.array(town), FAMILY[code].reference(service=text))


def _unserved(ctx: Context) -> pd.DataFrame:
    per_stop, communes = ctx.transit().per_stop, ctx.communes
    unserved = per_stop.assign(nis=ctx.inputs.stops["nis"].astype(str).to_numpy())
    unserved = unserved[unserved["report"] == "no timed stop_time in the feed"].groupby("nis").size()
    frame = pd.DataFrame({"nis": communes, "v": unserved.reindex(communes).fillna(0).to_numpy()})
    code = "pt_stops_without_departures"
    return place_rows(frame, code, "v", FAMILY[code].reference())


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the public-transport indicators."""
    day = ctx.transit().day
    text = day.isoformat() if day else "without weekday service"
    return [*_shares(ctx, text), _trips(ctx, text), _unserved(ctx)]


FAMILY = Family(1, "public transport", INDICATORS, static=rows)
