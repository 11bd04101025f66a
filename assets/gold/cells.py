"""Gold: the H3 grid of the territory (population, shops, establishments, stops, parking per cell)."""


import dagster as dg

from assets.common import OWNERS, materialize
from assets.declared import Inputs
from assets.resources import LakeResource
from pipelines import cells as engine
from pipelines.results import TableResult

H3_CELLS_KEY = ["gold", "h3_cells"]
FRAMES = ("communes", "sectors", "shops", "establishments", "stops", "parking")
INPUTS = Inputs(*(f"silver.{name}" for name in FRAMES))


@dg.asset(
    key=H3_CELLS_KEY,
    deps=INPUTS.deps,
    group_name="gold",
    kinds={"python", "duckdb", "parquet", "h3"},
    owners=OWNERS,
    description=(
        "Every H3 resolution-9 cell of the territory: commune NIS (the commune holding most of "
        "the cell), exact cell area, population interpolated from statistical sectors by "
        "area weighting (conserving each sector's total; without sectors, the commune total "
        "spread by area and population_source = 'communes', a coarse estimate), shops by "
        "commerce category, KBO establishments (workplaces), public-transport stops and parking "
        "capacity."
    ),
    check_specs=[
        dg.AssetCheckSpec("population_conserved", asset=H3_CELLS_KEY, description="Sum of cell population equals the sum of sector (or, without sectors, commune) population (relative error < 1e-9)."),
        dg.AssetCheckSpec("unique_h3", asset=H3_CELLS_KEY, description="One row per cell."),
        dg.AssetCheckSpec("shops_conserved", asset=H3_CELLS_KEY, description="Every silver shop inside the territory is counted in exactly one cell."),
    ],
)
def h3_cells(lake: LakeResource) -> dg.MaterializeResult:
    reader = INPUTS.reader(lake.lake)
    frames = {name: reader.read(f"silver.{name}") for name in FRAMES}
    cells, figures = engine.h3_cells(**frames)
    meta = {
        "population": figures.population_cells,
        "population_source": str(cells["population_source"].iloc[0]) if len(cells) else "none",
        "communes": int(cells["nis"].nunique()),
    }
    return materialize(lake.lake, dg.AssetKey(H3_CELLS_KEY), TableResult(cells, meta, figures.checks()))


CELL_SECTORS_KEY = ["gold", "cell_sectors"]
CROSSWALK = Inputs("gold.h3_cells", "silver.sectors")


@dg.asset(
    key=CELL_SECTORS_KEY,
    deps=CROSSWALK.deps,
    group_name="gold",
    kinds={"python", "parquet", "h3"},
    owners=OWNERS,
    description=(
        "Crosswalk between the H3 cells and the statistical sectors: one row per (h3, sector_id) "
        "that overlap, with the overlap's area_m2 (EPSG:31370) and weight, its share of the "
        "sector's area within the cells (a sector's weights sum to 1). Spreads a sector's counts "
        "over its cells as gold.h3_cells spreads its population (the revealed catchment's "
        "comparison uses it); static, so the nightly refresh does not intersect the polygons again."
    ),
    check_specs=[
        dg.AssetCheckSpec("weights_sum_to_one", asset=CELL_SECTORS_KEY, description="Every sector's weights over its cells sum to 1 (within 1e-9)."),
    ],
)
def cell_sectors(lake: LakeResource) -> dg.MaterializeResult:
    reader = CROSSWALK.reader(lake.lake)
    cells = reader.read("gold.h3_cells")
    table, checks = engine.cell_sectors(cells, reader.read("silver.sectors"))
    meta = {"pairs": len(table), "sectors": int(table["sector_id"].nunique()), "cells": int(table["h3"].nunique())}
    return materialize(lake.lake, dg.AssetKey(CELL_SECTORS_KEY), TableResult(table, meta, checks))


assets = [h3_cells, cell_sectors]
EXPORTS = {"h3_cells": "H3 resolution-9 cells with population, shops, establishments, stops and parking."}
