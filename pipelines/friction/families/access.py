"""2 Access by mode and 2SFCA: residents within a walk, a bike ride and a drive of each
shopping district, and the two-step floating catchment accessibility of shops (Luo & Wang
2003) on the street network."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipelines.accessibility import TwoStepResult, two_step_fca
from pipelines.friction import reach
from pipelines.friction.inputs import Context
from pipelines.friction.rows import level_rows
from pipelines.friction.spec import Family, Indicator
from pipelines.sparse_times import SparseTimes, as_sparse

MODE_THRESHOLD_MIN: dict[str, float] = {"walk": 10.0, "bike": 15.0, "drive": 20.0}
"""Access by mode: residents within these minutes of a district, and the 2SFCA catchments."""
_MODE_FR = {"walk": ("à pied", "Residents within a {m:g} min walk", "Walking"),
            "bike": ("à vélo", "Residents within a {m:g} min bike ride", "Cycling"),
            "drive": ("en voiture", "Residents within a {m:g} min drive", "Driving")}  # fmt: skip

INDICATORS = (
    *(
        Indicator(
            f"pop_{mode}_{int(m)}min", "inhabitants", "osm",
            f"Habitants à {m:g} min {_MODE_FR[mode][0]}", _MODE_FR[mode][1].format(m=m),
            f"network {mode} times from every H3 cell centre to the district's shop cells "
            f"(inclusive {m:g} min); commune: any of its districts",
        )
        for mode, m in MODE_THRESHOLD_MIN.items()
    ),
    *(
        Indicator(
            f"shop_access_{mode}_2sfca", "shops per 1,000 inhabitants", "osm",
            f"Accessibilité aux commerces {_MODE_FR[mode][0]} (2SFCA, {m:g} min ; médiane des habitants)",
            f"{_MODE_FR[mode][2]} access to shops (2SFCA, {m:g} min; residents' median)",
            f"2SFCA (Luo & Wang 2003), supply = shops per H3 cell, {mode} {m:g} min; value half of "
            f"the commune's residents reach or exceed (district: residents within {m:g} min)",
        )
        for mode, m in MODE_THRESHOLD_MIN.items()
    ),
)  # fmt: skip


def access_by_mode(
    district_times: Mapping[str, np.ndarray], population: np.ndarray
) -> dict[str, np.ndarray]:
    """Residents within :data:`MODE_THRESHOLD_MIN` of each district, per mode.

    Parameters
    ----------
    district_times : mapping mode -> numpy.ndarray (n_districts, n_cells)
        Seconds from each cell to each district (:func:`reach.group_min` of cell times).
    population : numpy.ndarray, shape (n_cells,)
    """
    return {
        f"pop_{mode}_{int(minutes)}min": reach.totals_within(population, district_times[mode], minutes)
        for mode, minutes in MODE_THRESHOLD_MIN.items()
        if mode in district_times
    }


def shop_access(
    supply_times: np.ndarray | SparseTimes,
    supply: np.ndarray,
    population: np.ndarray,
    threshold_min: float,
) -> TwoStepResult:
    """2SFCA accessibility of shops for the residents of every cell (Luo & Wang 2003).

    Parameters
    ----------
    supply_times : SparseTimes or numpy.ndarray, shape (n_supply_cells, n_cells)
        Seconds from every cell (column) to every cell holding shops (row).
    supply : numpy.ndarray, shape (n_supply_cells,)
        Shops in each supply cell.
    population : numpy.ndarray, shape (n_cells,)
    threshold_min : float
        Catchment in minutes (inclusive).

    Returns
    -------
    TwoStepResult
        ``accessibility`` is shops per inhabitant (x 1,000 for shops per 1,000); the
        conservation law ``sum P_i A_i = served_supply`` holds.
    """
    return two_step_fca(population, supply, as_sparse(supply_times), threshold_min * 60.0, suppliers_first=True)


def _mode_rows(ctx: Context, mode: str, minutes: float) -> list[pd.DataFrame]:
    net, places, communes, cells = ctx.network(), ctx.places, ctx.communes, ctx.inputs.cells
    pop = cells["population"].to_numpy(float)
    code = f"pop_{mode}_{int(minutes)}min"
    district = reach.totals_within(pop, net.to_district[mode], minutes)
    ids, town_t = reach.group_min(net.to_district[mode], places.district_nis)
    town = pd.Series(reach.totals_within(pop, town_t, minutes), index=ids).reindex(communes).to_numpy()
    rows = [level_rows(places, communes, code, district, town, FAMILY[code].reference())]
    access = net.two_step[mode].accessibility * 1000.0
    town_cells = pd.Series(np.arange(len(cells))).groupby(cells["nis"].astype(str).to_numpy()).indices
    town_a = [
        reach.weighted_median(access[town_cells[n]], pop[town_cells[n]]) if n in town_cells else np.nan
        for n in communes
    ]
    district_a = reach.weighted_medians_within(net.to_district[mode], minutes * 60, access, pop)
    code = f"shop_access_{mode}_2sfca"
    rows.append(level_rows(places, communes, code, district_a, np.array(town_a), FAMILY[code].reference()))
    return rows


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the access indicators, mode by mode."""
    return [r for mode, m in MODE_THRESHOLD_MIN.items() for r in _mode_rows(ctx, mode, m)]


FAMILY = Family(2, "access by mode and 2SFCA", INDICATORS, static=rows)
