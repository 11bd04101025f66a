"""gold.cell_sectors: the crosswalk between H3 cells and statistical sectors, and the weights
matrix the revealed catchment builds from it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines.catchment.revealed import sector_cell_weights
from pipelines.cells import cell_sectors
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.grid import cell_polygons, covering_cells


def _territory() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two sectors side by side (1 km x 1 km each, Lambert 72) and every cell that covers them."""
    west = shapely.box(150_000, 150_000, 151_000, 151_000)
    east = shapely.box(151_000, 150_000, 152_000, 151_000)
    sectors = gpd.GeoDataFrame({"sector_id": ["A", "B"]}, geometry=[west, east], crs=CRS_METRIC).to_crs(CRS_WGS84)
    h3 = covering_cells(shapely.union_all(sectors.geometry.values))
    cells = gpd.GeoDataFrame({"h3": h3}, geometry=cell_polygons(h3).values, crs=CRS_WGS84)
    return cells, sectors


def test_each_sector_is_shared_out_by_area_and_conserved() -> None:
    cells, sectors = _territory()
    table, checks = cell_sectors(cells, sectors)
    assert list(table.columns) == ["h3", "sector_id", "area_m2", "weight"]
    assert checks[0].name == "weights_sum_to_one" and checks[0].passed
    sums = table.groupby("sector_id")["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0, atol=1e-12)
    # the overlaps of a sector add up to its area (1 km2, up to the reprojection of its edges)
    area = table.groupby("sector_id")["area_m2"].sum()
    assert np.allclose(area.to_numpy(), 1e6, rtol=1e-3)
    # a cell on the line between the sectors appears once per sector, with its two parts
    both = table.groupby("h3")["sector_id"].nunique()
    assert (both == 2).any() and set(table["h3"]) == set(cells["h3"]) - set(_outside(cells, sectors))
    one = table[table["h3"] == both.idxmax()]
    cell = cells.loc[cells["h3"] == both.idxmax()].to_crs(CRS_METRIC).geometry.iloc[0]
    assert np.isclose(one["area_m2"].sum(), cell.area, rtol=1e-9)


def _outside(cells: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame) -> list[int]:
    """Cells that only touch the sectors (no area in common)."""
    metric = cells.to_crs(CRS_METRIC).geometry.values
    union = shapely.union_all(sectors.to_crs(CRS_METRIC).geometry.values)
    return [int(h) for h, g in zip(cells["h3"], metric, strict=True) if shapely.intersection(g, union).area == 0]


def test_weights_matrix_follows_the_given_orders_and_spreads_counts_exactly() -> None:
    cells, sectors = _territory()
    table, _ = cell_sectors(cells, sectors)
    order = cells["h3"].to_numpy()[::-1]  # any order of the cells, and of the sectors
    matrix = sector_cell_weights(table, order, np.array(["B", "A", "C"]))
    assert matrix.shape == (len(order), 3)
    counts = np.array([10.0, 30.0, 7.0])  # sector C meets no cell: its count has nowhere to go
    spread = matrix @ counts
    assert np.isclose(spread.sum(), 40.0)
    expected = pd.Series(table["weight"].to_numpy() * table["sector_id"].map({"A": 30.0, "B": 10.0}).to_numpy()).groupby(
        table["h3"].to_numpy()).sum()
    assert np.allclose(spread, expected.reindex(order).fillna(0.0).to_numpy())


def test_no_sectors_gives_an_empty_typed_crosswalk() -> None:
    cells, sectors = _territory()
    table, checks = cell_sectors(cells, sectors.iloc[0:0])
    assert table.empty and list(table.columns) == ["h3", "sector_id", "area_m2", "weight"] and checks[0].passed
    assert sector_cell_weights(table, cells["h3"].to_numpy(), np.array([], dtype=object)).shape == (len(cells), 0)
