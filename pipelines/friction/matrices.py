"""The travel-time matrices the network-measured families share (public transport, access,
parking, tourism, delivery) and the 2SFCA per mode: :func:`network`.

Travel times come from :class:`pipelines.routing.Router` (one bulk Dijkstra per batch of
origins). A shopping district is reached through the H3 cells holding its shops: the time
between a district and a place is the shortest time from any of those cells' centres. To
measure trips *towards* a district (customers) with one search per district cell, bike and
drive times are computed on the reversed network
(:func:`pipelines.catchment.area.mode_router` with ``reverse=True``), where a search from
the district gives the time from every cell to it; walking is symmetric. Thresholds are
inclusive. None of this depends on the day.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.arrays import distinct
from pipelines.catchment.area import mode_router
from pipelines.friction import reach
from pipelines.friction.families.access import MODE_THRESHOLD_MIN, shop_access
from pipelines.friction.families.delivery import DELIVERY_THRESHOLDS_MIN
from pipelines.friction.families.parking import PARKING_WALK_M
from pipelines.friction.families.tourism import TOURISM_WALK_MIN
from pipelines.friction.inputs import Network, Places, Prepared
from pipelines.routing import Router
from pipelines.sparse_times import SparseTimes
from pipelines.workers import fork_map

WALK_PLACES_S = max(reach.STOP_WALK_S, reach.walk_seconds(PARKING_WALK_M))
"""The longest walk between a cell or a shop and a stop or a car park an indicator reads."""


ROUTERS = ("walk", "bike_in", "drive_in", "bike")
"""The routers of the searches: per mode, and on the reversed bike and drive networks
(``<mode>_in``: times *to* a place; walking is symmetric)."""


def _router(inputs: Prepared, name: str) -> Router:
    """The router ``name`` of :data:`ROUTERS`."""
    mode = name.removesuffix("_in")
    return mode_router(inputs.frames.nodes, inputs.frames.edges, mode, reverse=name != mode)


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x, frame.geometry.y]).reshape(-1, 2)


def _split(times: SparseTimes, sizes: dict[str, int]) -> dict[str, SparseTimes]:
    """Rows of a stacked travel-time matrix back into one block per kind of origin."""
    bounds = np.cumsum([0, *sizes.values()])
    return {
        name: times.take_rows(np.arange(bounds[i], bounds[i + 1])) for i, name in enumerate(sizes)
    }


def _searches(inputs: Prepared, name: str, supply_xy: np.ndarray, district_xy: np.ndarray, cell_xy: np.ndarray) -> dict[str, object]:
    """Every search on router ``name`` (built here, in the process that runs them):

    * ``walk``: from the supply cells, stops and car parks to every cell (stacked: one
      search), from stops, car parks and attractions to the shops inside a district, and
      every cell's nearest district;
    * ``bike_in`` / ``drive_in``: from every cell to the supply cells, and every cell's
      nearest district;
    * ``bike``: from the districts' cells outwards (delivery rounds).

    ``district_xy``: the supply cells through which a district is reached; nearest
    districts are reported up to :data:`reach.CELL_TIME_CAP_MIN`.
    """
    router = _router(inputs, name)
    mode = name.removesuffix("_in")
    if name == "bike":
        return {"out": router.travel_times(district_xy, cell_xy, cutoff_s=max(DELIVERY_THRESHOLDS_MIN) * 60.0, sparse=True)}
    found: dict[str, object] = {"nearest": router.nearest_times(district_xy, cell_xy, cutoff_s=reach.CELL_TIME_CAP_MIN * 60.0)}
    if name == "walk":
        walk_cap = max(MODE_THRESHOLD_MIN["walk"] * 60.0, WALK_PLACES_S)
        sizes = {"supply": len(supply_xy), "stops": len(inputs.stops), "parking": len(inputs.parking)}
        stacked = np.vstack([supply_xy, _xy(inputs.stops), _xy(inputs.parking)])
        walks = _split(router.travel_times(stacked, cell_xy, cutoff_s=walk_cap, sparse=True), sizes)
        found |= {"to_cells": walks.pop("supply"), "walk_to_cells": walks, "walk_to_shops": _to_shops(inputs, router)}
    else:
        found["to_cells"] = router.travel_times(supply_xy, cell_xy, cutoff_s=MODE_THRESHOLD_MIN[mode] * 60.0, sparse=True)
    return found


def _to_shops(inputs: Prepared, walk: Router) -> dict[str, SparseTimes]:
    """Walks from stops, car parks and attractions to the shops inside a district."""
    shop_in = inputs.shops.dropna(subset=["district_id"])
    sizes = {"stops": len(inputs.stops), "parking": len(inputs.parking), "tourism": len(inputs.tourism)}
    places = np.vstack([_xy(inputs.stops), _xy(inputs.parking), _xy(inputs.tourism)])
    limit = max(WALK_PLACES_S, TOURISM_WALK_MIN * 60.0)
    return _split(walk.travel_times(places, _xy(shop_in), cutoff_s=limit, sparse=True), sizes)


def _district_rows(inputs: Prepared, supply_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(district, row of its supply cell) pairs: the cells through which a district is reached."""
    inside = inputs.shops.dropna(subset=["district_id"])[["h3", "district_id"]].drop_duplicates()
    row = pd.Series(np.arange(len(supply_cells)), index=supply_cells)
    inside = inside[inside["h3"].isin(row.index)]
    return inside["district_id"].to_numpy(), row.loc[inside["h3"]].to_numpy()


def network(inputs: Prepared, places: Places) -> Network:
    """Travel times between the cells holding shops and every cell, per mode, and the walks
    from stops, car parks and attractions (stacked: one bulk search per router).

    Every matrix is :class:`~pipelines.sparse_times.SparseTimes` cut off at the largest
    time an indicator reads from it (the mode's access threshold, the longest walk to a stop
    or a car park, the longest delivery round): memory grows with the pairs within reach,
    not with the square of the region. The minutes from every cell to its nearest district
    (reported up to :data:`reach.CELL_TIME_CAP_MIN`) come from one search per mode
    (:meth:`Router.nearest_times`), not from a matrix. The searches of each router
    (:func:`_searches`) are shared among the worker processes
    (:func:`pipelines.workers.fork_map`).
    """
    cell_xy = reach.cell_centres(inputs.cells["h3"].to_numpy())
    counts = inputs.shops["h3"].value_counts()
    supply_cells = np.array(sorted(set(counts.index) & set(inputs.cells["h3"])), dtype="uint64")
    supply_xy = reach.cell_centres(supply_cells)
    labels, rows = _district_rows(inputs, supply_cells)
    unique = distinct(rows)
    found = dict(zip(ROUTERS, fork_map(lambda name: _searches(inputs, name, supply_xy, supply_xy[unique], cell_xy), ROUTERS), strict=True))
    towards = {"walk": found["walk"], "bike": found["bike_in"], "drive": found["drive_in"]}  # times to a place
    to_cells = {m: found_m["to_cells"] for m, found_m in towards.items()}
    to_district = {m: reach.group_min(t.take_rows(rows), labels)[1] for m, t in to_cells.items()}
    order = pd.Series(np.arange(len(unique)), index=unique)
    from_bike = reach.group_min(found["bike"]["out"].take_rows(order.loc[rows].to_numpy()), labels)[1]
    supply = counts.reindex(supply_cells).to_numpy(float)
    population = inputs.cells["population"].to_numpy(float)
    two_step = {
        m: shop_access(to_cells[m], supply, population, MODE_THRESHOLD_MIN[m]) for m in to_cells
    }
    return Network(
        supply_cells=supply_cells,
        supply=supply,
        to_cells=to_cells,
        district_ids=places.district_ids,
        district_nis=places.district_nis,
        to_district=to_district,
        nearest_district_s={m: found_m["nearest"] for m, found_m in towards.items()},
        from_district_bike=from_bike,
        two_step=two_step,
        walk_to_cells=found["walk"]["walk_to_cells"],
        walk_to_shops=found["walk"]["walk_to_shops"],
    )
