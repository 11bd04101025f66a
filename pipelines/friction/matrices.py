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

from dataclasses import dataclass

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


ROUTERS = (("drive_in",), ("walk", "bike_in", "bike"))
"""The routers of the searches: per mode, and on the reversed bike and drive networks
(``<mode>_in``: times *to* a place; walking is symmetric), in two shares of about equal
work for two processes (262 communes, alone: drive_in 14.6 s; walk 4.0, bike_in 3.4 and
bike 3.4 s); the first share runs in the step's own process."""


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


@dataclass(frozen=True)
class _Supply:
    """The cells holding shops (the 2SFCA's suppliers) and the districts reached through them."""

    xy: np.ndarray
    """Their centres (lon, lat)."""
    shops: np.ndarray
    """Shops per cell (the supply)."""
    rows: np.ndarray
    labels: np.ndarray
    """(row of a supply cell, its district) pairs: the cells through which a district is reached."""

    @property
    def unique(self) -> np.ndarray:
        """The distinct ``rows``: the supply cells of some district."""
        return distinct(self.rows)


def _searches(inputs: Prepared, name: str, supply: _Supply, cell_xy: np.ndarray) -> dict[str, object]:
    """Every search on router ``name`` (built here, in the process that runs them), and what
    the indicators read of the times from the supply cells to every cell, reduced here:

    * ``walk``: from the supply cells, stops and car parks to every cell (stacked: one
      search), from stops, car parks and attractions to the shops inside a district, and
      every cell's nearest district;
    * ``bike_in`` / ``drive_in``: from every cell to the supply cells, and every cell's
      nearest district;
    * ``bike``: from the districts' cells outwards (delivery rounds).

    The supply cells' matrix itself does not leave this function: its 2SFCA and its minimum
    per district are computed here (at 262 communes the drive matrix holds 33 M pairs, 400 MB,
    against 60 MB for what is read of it). Nearest districts are reported up to
    :data:`reach.CELL_TIME_CAP_MIN`.
    """
    router = _router(inputs, name)
    mode = name.removesuffix("_in")
    unique = supply.unique
    district_xy = supply.xy[unique]
    if name == "bike":
        out = router.travel_times(district_xy, cell_xy, cutoff_s=max(DELIVERY_THRESHOLDS_MIN) * 60.0, sparse=True)
        return {"from_district": out.group_min(supply.labels, rows=np.searchsorted(unique, supply.rows))[1]}
    found: dict[str, object] = {"nearest": router.nearest_times(district_xy, cell_xy, cutoff_s=reach.CELL_TIME_CAP_MIN * 60.0)}
    if name == "walk":
        walk_cap = max(MODE_THRESHOLD_MIN["walk"] * 60.0, WALK_PLACES_S)
        sizes = {"supply": len(supply.xy), "stops": len(inputs.stops), "parking": len(inputs.parking)}
        stacked = np.vstack([supply.xy, _xy(inputs.stops), _xy(inputs.parking)])
        walks = _split(router.travel_times(stacked, cell_xy, cutoff_s=walk_cap, sparse=True), sizes)
        to_cells = walks.pop("supply")
        found |= {"walk_to_cells": walks, "walk_to_shops": _to_shops(inputs, router)}
    else:
        to_cells = router.travel_times(supply.xy, cell_xy, cutoff_s=MODE_THRESHOLD_MIN[mode] * 60.0, sparse=True)
    population = inputs.cells["population"].to_numpy(float)
    found["to_district"] = to_cells.group_min(supply.labels, rows=supply.rows)[1]
    found["two_step"] = shop_access(to_cells, supply.shops, population, MODE_THRESHOLD_MIN[mode])
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
    labels, rows = _district_rows(inputs, supply_cells)
    supply = _Supply(
        xy=reach.cell_centres(supply_cells), shops=counts.reindex(supply_cells).to_numpy(float),
        rows=rows, labels=labels,
    )  # fmt: skip
    shares = fork_map(lambda share: [_searches(inputs, name, supply, cell_xy) for name in share], ROUTERS)
    found = {name: got for share, results in zip(ROUTERS, shares, strict=True) for name, got in zip(share, results, strict=True)}
    towards = {"walk": found["walk"], "bike": found["bike_in"], "drive": found["drive_in"]}  # times to a place
    return Network(
        supply_cells=supply_cells,
        supply=supply.shops,
        district_ids=places.district_ids,
        district_nis=places.district_nis,
        to_district={m: found_m["to_district"] for m, found_m in towards.items()},
        nearest_district_s={m: found_m["nearest"] for m, found_m in towards.items()},
        from_district_bike=found["bike"]["from_district"],
        two_step={m: found_m["two_step"] for m, found_m in towards.items()},
        walk_to_cells=found["walk"]["walk_to_cells"],
        walk_to_shops=found["walk"]["walk_to_shops"],
    )
