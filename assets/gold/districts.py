"""Gold: shopping districts (noyaux commerciaux) detected from the shops, or drawn by communes."""


import dagster as dg

from assets.common import OWNERS, materialize
from assets.declared import Inputs
from assets.resources import LakeResource
from pipelines.district_table import (
    DISTRICT_EPS_M,
    DISTRICT_MIN_SHOPS,
    build_districts,
    district_checks,
    districts_from_polygons,
)
from pipelines.results import TableResult

DISTRICTS_KEY = ["gold", "districts"]
INPUTS = Inputs("silver.shops", "bronze.district_outlines")


@dg.asset(
    key=DISTRICTS_KEY,
    deps=INPUTS.deps,
    group_name="gold",
    kinds={"python", "parquet", "scikitlearn"},
    owners=OWNERS,
    description=(
        "Shopping districts: clusters of shops found by DBSCAN on Lambert-72 coordinates "
        f"(eps {DISTRICT_EPS_M:.0f} m, at least {DISTRICT_MIN_SHOPS} shops), outlined by the "
        "concave hull of their shops buffered by 50 m, or the outlines a commune drew itself "
        "(bronze.district_outlines) when it supplies them. Columns: district_id "
        "(<nis>-D01, by decreasing size within the commune), nis, n_shops, shops per "
        "category, retail_floor_proxy_m2 (assumed sales area per category or format, see "
        "docs/catchment.md), area_m2, origin_lon/origin_lat (the shop nearest to the "
        "district's centre of gravity: where isochrones start), geometry."
    ),
    check_specs=[
        dg.AssetCheckSpec("unique_district_id", asset=DISTRICTS_KEY, description="One row per district_id."),
        dg.AssetCheckSpec("valid_polygons", asset=DISTRICTS_KEY, description="Valid (Multi)Polygons in EPSG:4326."),
        dg.AssetCheckSpec("shops_conserved", asset=DISTRICTS_KEY, description="n_shops equals the sum of the category counts, and every district shop is counted once."),
    ],
)
def districts(lake: LakeResource) -> dg.MaterializeResult:
    lk, reader = lake.lake, INPUTS.reader(lake.lake)
    shops, outlines = reader.read("silver.shops"), reader.read("bronze.district_outlines")
    if len(outlines):
        frame, membership = districts_from_polygons(shops, outlines)
        source = "bronze.district_outlines"
    else:
        frame, membership = build_districts(shops)
        source = "dbscan"
    in_districts = int(membership.notna().sum())
    meta = {
        "source": source,
        "shops_in_districts": in_districts,
        "shops_outside_districts": int(len(shops) - in_districts),
        "communes_with_district": int(frame["nis"].nunique()),
    }
    checks = district_checks(frame, membership, len(shops))
    return materialize(lk, dg.AssetKey(DISTRICTS_KEY), TableResult(frame, meta, checks))


assets = [districts]
EXPORTS = {"districts": "Shopping districts with shop counts by category and a retail floor proxy."}
