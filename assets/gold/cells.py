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


assets = [h3_cells]
EXPORTS = {"h3_cells": "H3 resolution-9 cells with population, shops, establishments, stops and parking."}
