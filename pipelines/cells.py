"""The H3 grid of the territory with what each cell holds: population (from statistical sectors,
or spread over the commune when the territory holds no sectors), shops by commerce category,
KBO establishments (workplaces), public-transport stops and parking capacity."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import db
from pipelines.constants import CRS_METRIC, SHOP_CATEGORIES
from pipelines.grid import _intersection_areas, territory_cells
from pipelines.results import Check

POPULATION_SOURCES = ("sectors", "communes")
"""``population_source`` of a cell: interpolated from statistical sectors, or (coarse) from the
commune total spread by area when the territory holds no sectors."""


@dataclass(frozen=True)
class CellChecks:
    """Conservation figures of :func:`h3_cells`."""

    population_expected: float
    population_cells: float
    shops_in_territory: int
    shops_in_cells: int
    unique: bool

    @property
    def population_conserved(self) -> bool:
        return abs(self.population_cells - self.population_expected) <= 1e-9 * max(self.population_expected, 1.0)

    @property
    def shops_conserved(self) -> bool:
        return self.shops_in_cells == self.shops_in_territory

    def checks(self) -> list[Check]:
        """The checks of gold.h3_cells: population and shops conserved, one row per cell."""
        return [
            Check("population_conserved", self.population_conserved,
                  {"expected": self.population_expected, "cells": self.population_cells}),
            Check("unique_h3", self.unique),
            Check("shops_conserved", self.shops_conserved,
                  {"shops_in_cells": self.shops_in_cells, "shops_in_territory": self.shops_in_territory}),
        ]


def h3_cells(
    communes: gpd.GeoDataFrame,
    sectors: gpd.GeoDataFrame,
    shops: gpd.GeoDataFrame,
    establishments: pd.DataFrame,
    stops: pd.DataFrame,
    parking: pd.DataFrame,
) -> tuple[gpd.GeoDataFrame, CellChecks]:
    """Every res-9 cell of the territory with its counts, and the figures its checks need.

    Parameters
    ----------
    communes, sectors : GeoDataFrame
        Silver communes and statistical sectors (``sectors`` may be empty: population then
        comes from the communes, and ``population_source`` says ``communes``).
    shops, establishments, stops, parking : DataFrame
        Silver points with their ``h3`` cell (``category``; ``n_stop_times``; ``capacity``).

    Returns
    -------
    (GeoDataFrame, CellChecks)
        The cells (columns of ``sql/gold/h3_cells.sql`` plus ``shops_<category>`` for every
        commerce category and ``population_source``) and the conservation figures.
    """
    use_sectors = len(sectors) > 0
    base = territory_cells(communes, sectors if use_sectors else None)
    con = db.connect(spatial=False)
    for name, frame in {"cells": base.drop(columns="geometry"), "shops": shops[["h3"]],
                        "establishments": establishments[["h3"]],
                        "stops": stops[["h3", "n_stop_times"]], "parking": parking[["h3", "capacity"]]}.items():  # fmt: skip
        con.register(name, pd.DataFrame(frame))
    counts = db.query(con, "gold.h3_cells")
    by_category = pd.crosstab(shops["h3"], shops["category"]) if len(shops) else pd.DataFrame()
    by_category = by_category.reindex(index=counts["h3"], columns=list(SHOP_CATEGORIES), fill_value=0)
    at = counts.columns.get_loc("shops") + 1
    for offset, category in enumerate(SHOP_CATEGORIES):
        counts.insert(at + offset, f"shops_{category}", by_category[category].to_numpy("int64"))
    counts["population_source"] = "sectors" if use_sectors else "communes"
    geometry = base.set_index("h3").loc[counts["h3"], "geometry"].values
    cells = gpd.GeoDataFrame(counts, geometry=geometry, crs=base.crs)
    expected = float((sectors if use_sectors else communes)["population"].sum())
    checks = CellChecks(
        population_expected=expected,
        population_cells=float(cells["population"].sum()),
        shops_in_territory=int(shops["h3"].isin(cells["h3"]).sum()),
        shops_in_cells=int(cells["shops"].sum()),
        unique=bool(cells["h3"].is_unique),
    )
    return cells, checks


def cell_sectors(cells: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[Check]]:
    """``gold.cell_sectors``: the crosswalk between the H3 cells and the statistical sectors.

    One row per (cell, sector) that overlap: ``h3``, ``sector_id``, ``area_m2`` (of the
    overlap, EPSG:31370) and ``weight``, the overlap's share of the sector's area within the
    cells (a sector's weights sum to 1). It spreads a sector's counts over its cells as
    ``gold.h3_cells`` spreads its population; static, so the nightly refresh reads it instead
    of intersecting the polygons again. Check ``weights_sum_to_one`` (per sector)."""
    if not len(cells) or not len(sectors):
        table = pd.DataFrame({"h3": pd.Series(dtype="uint64"), "sector_id": pd.Series(dtype="string"),
                              "area_m2": pd.Series(dtype="float64"), "weight": pd.Series(dtype="float64")})
    else:
        cell_idx, zone_idx, areas = _intersection_areas(cells.to_crs(CRS_METRIC).geometry.reset_index(drop=True),
                                                        sectors.to_crs(CRS_METRIC).geometry.reset_index(drop=True))
        per_sector = np.bincount(zone_idx, weights=areas, minlength=len(sectors))
        table = pd.DataFrame({"h3": cells["h3"].to_numpy(dtype="uint64")[cell_idx],
                              "sector_id": pd.array(sectors["sector_id"].astype(str).to_numpy()[zone_idx], dtype="string"),
                              "area_m2": areas, "weight": areas / per_sector[zone_idx]})
        table = table.sort_values(["sector_id", "h3"], ignore_index=True)
    sums = table.groupby("sector_id")["weight"].sum()
    worst = float((sums - 1.0).abs().max()) if len(sums) else 0.0
    outside = int((~sectors["sector_id"].astype(str).isin(sums.index)).sum()) if len(sectors) else 0
    return table, [Check("weights_sum_to_one", worst <= 1e-9,
                         {"max_abs_error": worst, "sectors": int(len(sums)), "sectors_meeting_no_cell": outside})]
