"""Gold: the H3 grid of the territory (population, shops, stops, parking per cell)."""


import dagster as dg
import geopandas as gpd

from assets.common import OWNERS, table_metadata
from pipelines import db
from pipelines.grid import territory_cells
from pipelines.resources import LakeResource

H3_CELLS_KEY = ["gold", "h3_cells"]


@dg.asset(
    key=H3_CELLS_KEY,
    deps=[dg.AssetKey(["silver", n]) for n in ("communes", "sectors", "shops", "stops", "parking")],
    group_name="gold",
    kinds={"python", "duckdb", "parquet", "h3"},
    owners=OWNERS,
    description=(
        "Every H3 resolution-9 cell of the territory: commune NIS (the commune holding most of "
        "the cell), exact cell area, population interpolated from statistical sectors by "
        "area weighting (conserving each sector's total), shops by commerce category, "
        "public-transport stops and parking capacity."
    ),
    check_specs=[
        dg.AssetCheckSpec("population_conserved", asset=H3_CELLS_KEY, description="Sum of cell population equals the sum of sector population (relative error < 1e-9)."),
        dg.AssetCheckSpec("unique_h3", asset=H3_CELLS_KEY, description="One row per cell."),
        dg.AssetCheckSpec("shops_conserved", asset=H3_CELLS_KEY, description="Every silver shop inside the territory is counted in exactly one cell."),
    ],
)
def h3_cells(lake: LakeResource) -> dg.MaterializeResult:
    lk = lake.lake
    communes = lk.read("silver", "communes")
    sectors = lk.read("silver", "sectors")
    base = territory_cells(communes, sectors)
    con = db.connect(spatial=False)
    con.register("cells", base.drop(columns="geometry"))
    counts = db.query(
        con, "gold.h3_cells",
        shops=str(lk.table_path("silver", "shops")),
        stops=str(lk.table_path("silver", "stops")),
        parking=str(lk.table_path("silver", "parking")),
    )
    frame = gpd.GeoDataFrame(counts, geometry=base.set_index("h3").loc[counts["h3"], "geometry"].values, crs=base.crs)
    path = lk.write(frame, "gold", "h3_cells")

    expected_pop = float(sectors["population"].sum())
    got_pop = float(frame["population"].sum())
    shops_in = int(lk.read("silver", "shops")["h3"].isin(frame["h3"]).sum())
    checks = [
        dg.AssetCheckResult(check_name="population_conserved", passed=abs(got_pop - expected_pop) <= 1e-9 * max(expected_pop, 1), metadata={"sectors": expected_pop, "cells": got_pop}),
        dg.AssetCheckResult(check_name="unique_h3", passed=bool(frame["h3"].is_unique)),
        dg.AssetCheckResult(check_name="shops_conserved", passed=int(frame["shops"].sum()) == shops_in, metadata={"shops_in_cells": int(frame["shops"].sum()), "shops_in_territory": shops_in}),
    ]
    meta = table_metadata(frame, str(path))
    meta["population"] = got_pop
    meta["communes"] = int(frame["nis"].nunique())
    return dg.MaterializeResult(metadata=meta, check_results=checks)


assets = [h3_cells]
EXPORTS = {"h3_cells": "H3 resolution-9 cells with population, shops, stops and parking."}
