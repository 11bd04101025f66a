"""Rows of ``gold.commune_indicators`` measured on the street network (indicators 1, 2, 3,
8a and 9), from the inputs and network of :mod:`pipelines.friction.build`.

A commune row describes the commune as a whole: its residents (shares, 2SFCA), its shops,
registers and customers, or, for indicators about shopping districts (reach, parking,
tourism, delivery, congestion), all its districts together (each place counted once). A
district row describes one district. ``reference`` says how and from what.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines import transit
from pipelines.friction import reach
from pipelines.friction.core import indicator_rows
from pipelines.friction.inputs import Network, Prepared


def _levels(
    net: Network,
    per_district: dict[str, np.ndarray],
    per_commune: dict[str, np.ndarray],
    communes: np.ndarray,
) -> pd.DataFrame:
    """One frame with district rows then commune rows (district_id NA)."""
    districts = pd.DataFrame(
        {"nis": net.district_nis, "district_id": net.district_ids, **per_district}
    )
    towns = pd.DataFrame({"nis": communes, "district_id": pd.NA, **per_commune})
    return pd.concat([towns, districts], ignore_index=True)


def _by_commune(times: np.ndarray, net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Times grouped by the commune of the districts (min over its districts)."""
    return reach.group_min(times, net.district_nis)


def network_rows(
    inputs: Prepared,
    net: Network,
    per_stop: pd.DataFrame,
    coverage: pd.DataFrame,
    timed: pd.DataFrame,
    day: dt.date | None,
) -> list[pd.DataFrame]:
    """Indicators 1 (public transport), 2 (access), 3 (parking), 8a (tourism), 9 (delivery)."""
    cells = inputs.cells
    pop = cells["population"].to_numpy(float)
    communes = inputs.communes
    walk_c_ids, walk_c = _by_commune(net.to_district["walk"], net)
    rows: list[pd.DataFrame] = []
    service = day.isoformat() if day else "without weekday service"

    # 1 public transport: commune residents, and residents within a 10 min walk of a district
    classes = transit.population_shares(
        cells["population"], cells["nis"].astype(str), coverage["pt_class"]
    )
    sdg = transit.population_shares(
        cells["population"], cells["nis"].astype(str), coverage["sdg_11_2_1"].astype(str)
    )
    walk_limit = reach.MODE_THRESHOLD_MIN["walk"] * 60
    district_sdg = reach.weighted_means_within(
        net.to_district["walk"], walk_limit, coverage["sdg_11_2_1"].to_numpy(float) * 100, pop
    )
    level = _levels(
        net,
        {"v": district_sdg},
        {
            "v": sdg.reindex(communes)
            .get("True", pd.Series(0.0, index=communes))
            .fillna(0)
            .to_numpy()
        },
        communes,
    )
    ref = f"GTFS {service} (busiest weekday), 06-20 h; 500 m walk to bus/tram, 1 km to rail; frequent = {transit.FREQUENT_DEPARTURES_PER_HOUR:g}+ departures/h; districts: residents within 10 min walk"
    rows.append(indicator_rows(level, "pt_sdg_11_2_1_share", "v", ref))
    for label in transit.CLASS_LABELS:
        share = classes[label] if label in classes.columns else pd.Series(0.0, index=classes.index)
        frame = pd.DataFrame({"nis": communes, "v": share.reindex(communes).fillna(0).to_numpy()})
        rows.append(
            indicator_rows(
                frame,
                f"pt_class_{label}_share",
                "v",
                f"EU DG REGIO class of the best stop within walking distance, GTFS {service} 06-20 h",
            )
        )
    radius_s = per_stop["radius_m"].to_numpy(float) * reach.walk_seconds(1.0)
    shop_in = inputs.shops.dropna(subset=["district_id"])
    near = reach.places_near_groups(
        net.walk_to_shops["stops"], shop_in["district_id"].astype(str).tolist(), radius_s
    )
    by_district = transit.trips_per_hour_by_group(timed, per_stop, near)
    trips = by_district.reindex(net.district_ids, fill_value=0.0).to_numpy(float)
    nis_of = pd.Series(net.district_nis, index=net.district_ids)
    town_near = near.assign(group=near["group"].map(nis_of)).drop_duplicates()
    by_town = transit.trips_per_hour_by_group(timed, per_stop, town_near)
    with_district = set(net.district_nis)
    town_trips = [float(by_town.get(n, 0.0)) if n in with_district else np.nan for n in communes]
    level = _levels(net, {"v": np.array(trips)}, {"v": np.array(town_trips)}, communes)
    rows.append(
        indicator_rows(
            level,
            "pt_district_trips_per_hour",
            "v",
            f"distinct trips calling within 500 m (rail 1 km) walk of the district's shops, GTFS {service} 06-20 h; commune: all its districts",
        )
    )
    unserved = per_stop.assign(nis=inputs.stops["nis"].astype(str).to_numpy())
    unserved = (
        unserved[unserved["report"] == "no timed stop_time in the feed"].groupby("nis").size()
    )
    rows.append(
        indicator_rows(
            pd.DataFrame({"nis": communes, "v": unserved.reindex(communes).fillna(0).to_numpy()}),
            "pt_stops_without_departures",
            "v",
            "silver.stops with no timed stop_time (kept and reported in gold.friction_stops)",
        )
    )

    # 2 access by mode and 2SFCA
    town_cells = pd.Series(np.arange(len(cells))).groupby(cells["nis"].astype(str).to_numpy()).indices
    for mode, minutes in reach.MODE_THRESHOLD_MIN.items():
        code = f"pop_{mode}_{int(minutes)}min"
        district = reach.totals_within(pop, net.to_district[mode], minutes)
        ids, town_t = _by_commune(net.to_district[mode], net)
        town = (
            pd.Series(reach.totals_within(pop, town_t, minutes), index=ids)
            .reindex(communes)
            .to_numpy()
        )
        ref = f"network {mode} times from every H3 cell centre to the district's shop cells (inclusive {minutes:g} min); commune: any of its districts"
        rows.append(
            indicator_rows(_levels(net, {"v": district}, {"v": town}, communes), code, "v", ref)
        )
        access = net.two_step[mode].accessibility * 1000.0
        town_a = [
            reach.weighted_median(access[town_cells[n]], pop[town_cells[n]]) if n in town_cells else np.nan
            for n in communes
        ]
        district_a = reach.weighted_medians_within(net.to_district[mode], minutes * 60, access, pop)
        ref = f"2SFCA (Luo & Wang 2003), supply = shops per H3 cell, {mode} {minutes:g} min; value half of the commune's residents reach or exceed (district: residents within {minutes:g} min)"
        rows.append(
            indicator_rows(
                _levels(net, {"v": np.array(district_a)}, {"v": np.array(town_a)}, communes),
                f"shop_access_{mode}_2sfca",
                "v",
                ref,
            )
        )

    rows.extend(_parking_rows(inputs, net, communes))
    rows.append(_tourism_count_rows(inputs, net, communes))

    # 9 delivery by cargo bike (bike network, ~15 km/h), from the district outwards
    district = reach.delivery_reach(net.from_district_bike, pop, inputs.workplaces)
    ids, town_t = reach.group_min(net.from_district_bike, net.district_nis)
    town = reach.delivery_reach(town_t, pop, inputs.workplaces).set_index(ids).reindex(communes)
    for column in district.columns:
        level = _levels(
            net, {"v": district[column].to_numpy()}, {"v": town[column].to_numpy()}, communes
        )
        what = (
            "residents (gold.h3_cells)"
            if "pop" in column
            else "KBO/BCE establishments (all activities)"
        )
        rows.append(
            indicator_rows(
                level,
                column,
                "v",
                f"{what} reached on the bike network at 15 km/h from the district's shop cells; commune: any of its districts",
            )
        )
    return rows


def _near_pairs(
    inputs: Prepared, net: Network, kind: str, limit_s: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(place, district) and (place, commune) pairs within ``limit_s`` walk of a district's
    shops, for the places of ``kind`` (``parking`` or ``tourism``)."""
    shop_in = inputs.shops.dropna(subset=["district_id"])
    by_district = reach.places_near_groups(
        net.walk_to_shops[kind], shop_in["district_id"].astype(str).tolist(), limit_s
    )
    nis = pd.Series(net.district_nis, index=net.district_ids)
    by_commune = by_district.assign(group=by_district["group"].map(nis)).drop_duplicates()
    return by_district, by_commune


def _parking_rows(inputs: Prepared, net: Network, communes: np.ndarray) -> list[pd.DataFrame]:
    limit = reach.walk_seconds(reach.PARKING_WALK_M)
    by_district, by_commune = _near_pairs(inputs, net, "parking", limit)
    capacity = (
        inputs.parking["capacity"]
        if "capacity" in inputs.parking.columns
        else pd.Series(dtype=float)
    )
    d = reach.parking_near(by_district, capacity).reindex(net.district_ids)
    c = reach.parking_near(by_commune, capacity).reindex(communes)
    d_shops = (
        inputs.districts.set_index("district_id")["n_shops"]
        .reindex(net.district_ids)
        .to_numpy(float)
    )
    c_shops = (
        pd.Series(d_shops, index=net.district_nis)
        .groupby(level=0)
        .sum()
        .reindex(communes)
        .to_numpy(float)
    )
    d_cap = d["parking_capacity_300m"].fillna(0).to_numpy()
    has_district = np.isin(communes, net.district_nis)
    c_cap = np.where(has_district, c["parking_capacity_300m"].fillna(0).to_numpy(), np.nan)
    pop = inputs.cells["population"].to_numpy(float)
    d_pop = reach.totals_within(pop, net.to_district["drive"], reach.MODE_THRESHOLD_MIN["drive"])
    ids, town_t = _by_commune(net.to_district["drive"], net)
    c_pop = (
        pd.Series(reach.totals_within(pop, town_t, reach.MODE_THRESHOLD_MIN["drive"]), index=ids)
        .reindex(communes)
        .to_numpy()
    )
    ref = "OSM car parks (silver.parking) within a 300 m network walk of a shop of the district"
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "parking_capacity_300m": (d_cap, c_cap, ref + "; known capacities summed"),
            "parking_per_shop": (
                d_cap / d_shops,
                c_cap / c_shops,
                ref + " / shops of the district",
            ),
            "parking_per_1000_catchment": (
                1000 * d_cap / d_pop,
                1000 * c_cap / c_pop,
                ref + " / residents within a 20 min drive (catchment)",
            ),
            "parking_lots_unknown_capacity": (
                d["parking_lots_unknown_capacity"].fillna(0).to_numpy(),
                np.where(
                    has_district, c["parking_lots_unknown_capacity"].fillna(0).to_numpy(), np.nan
                ),
                ref + " whose capacity is missing or unreadable",
            ),
        }
    return [
        indicator_rows(_levels(net, {"v": dv}, {"v": cv}, communes), code, "v", text)
        for code, (dv, cv, text) in values.items()
    ]


def _tourism_count_rows(inputs: Prepared, net: Network, communes: np.ndarray) -> pd.DataFrame:
    by_district, by_commune = _near_pairs(inputs, net, "tourism", reach.TOURISM_WALK_MIN * 60)
    d = by_district.groupby("group").size().reindex(net.district_ids).fillna(0).to_numpy(float)
    c = by_commune.groupby("group").size().reindex(communes).fillna(0).to_numpy(float)
    c = np.where(np.isin(communes, net.district_nis), c, np.nan)
    ref = "OSM tourism POIs (attraction, museum, viewpoint, information) within a 10 min network walk of a shop of the district"
    return indicator_rows(
        _levels(net, {"v": d}, {"v": c}, communes), "tourism_attractions_10min", "v", ref
    )
