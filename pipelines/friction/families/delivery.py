"""9 Cargo-bike delivery: residents and workplaces a cargo bike reaches from a shopping
district within a 15 and a 30 min round (bike network, ~15 km/h)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.friction import reach
from pipelines.friction.inputs import Context
from pipelines.friction.rows import level_rows
from pipelines.friction.spec import Family, Indicator

DELIVERY_THRESHOLDS_MIN = (15.0, 30.0)
"""Cargo-bike delivery rounds (bike network, ~15 km/h)."""
_FROM = "reached on the bike network at 15 km/h from the district's shop cells; commune: any of its districts"

INDICATORS = (
    *(
        Indicator(f"delivery_pop_{int(m)}min", "inhabitants", "osm",
                  f"Habitants livrables en {m:g} min en vélo-cargo",
                  f"Residents reachable by cargo bike in {m:g} min",
                  "residents (gold.h3_cells) " + _FROM)
        for m in DELIVERY_THRESHOLDS_MIN
    ),
    *(
        Indicator(f"delivery_workplaces_{int(m)}min", "establishments", "kbo+osm",
                  f"Établissements livrables en {m:g} min en vélo-cargo",
                  f"Workplaces reachable by cargo bike in {m:g} min",
                  "KBO/BCE establishments (all activities) " + _FROM)
        for m in DELIVERY_THRESHOLDS_MIN
    ),
)  # fmt: skip


def delivery_reach(
    district_times: np.ndarray,
    population: np.ndarray,
    workplaces: np.ndarray,
    thresholds_min: Sequence[float] = DELIVERY_THRESHOLDS_MIN,
) -> pd.DataFrame:
    """Residents and workplaces a cargo bike reaches from each district.

    Parameters
    ----------
    district_times : numpy.ndarray, shape (n_districts, n_cells)
        Bike seconds *from* each district to each cell.
    population, workplaces : numpy.ndarray, shape (n_cells,)
        Residents and establishments per cell.

    Returns
    -------
    pandas.DataFrame
        One row per district: ``delivery_pop_<m>min`` and ``delivery_workplaces_<m>min``.
    """
    out = {}
    for minutes in thresholds_min:
        out[f"delivery_pop_{int(minutes)}min"] = reach.totals_within(population, district_times, minutes)
        out[f"delivery_workplaces_{int(minutes)}min"] = reach.totals_within(
            workplaces, district_times, minutes
        )
    return pd.DataFrame(out)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the delivery indicators, from the district outwards."""
    net, places, communes = ctx.network(), ctx.places, ctx.communes
    pop, workplaces = ctx.inputs.cells["population"].to_numpy(float), ctx.inputs.workplaces
    district = delivery_reach(net.from_district_bike, pop, workplaces)
    ids, town_t = reach.group_min(net.from_district_bike, places.district_nis)
    town = delivery_reach(town_t, pop, workplaces).set_index(ids).reindex(communes)
    return [
        level_rows(places, communes, c, district[c].to_numpy(), town[c].to_numpy(), FAMILY[c].reference())
        for c in district.columns
    ]


FAMILY = Family(9, "cargo-bike delivery", INDICATORS, static=rows)
