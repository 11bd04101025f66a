"""Gold: catchment areas (zones de chalandise) of the shopping districts.

Three views, side by side: network isochrones (drive-time areas), the Huff model calibrated
on observed customers (with its 60/80/95 % tiers), and the revealed catchment of voucher
transactions and mobile-operator OD flows, compared tier by tier. docs/catchment.md.

Each asset declares its inputs once (:class:`assets.declared.Inputs`), calls one
function of :mod:`pipelines.catchment.build` and writes what it returns.
"""

from collections.abc import Iterator

import dagster as dg

from assets.common import OWNERS, materialize
from assets.declared import Inputs
from assets.resources import LakeResource, SettingsResource
from pipelines import cells as cells_engine
from pipelines.catchment import build
from pipelines.catchment.area import JOBS_PER_ESTABLISHMENT
from pipelines.catchment.model import DEFAULT_BETA, TIER_SHARES
from pipelines.constants import CURRENT_DAYS, SHOPPING_HOURS

_TIERS = "/".join(f"{s:.0%}".rstrip("%") for s in TIER_SHARES) + " %"


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["gold", name])


def _asset(name: str, inputs: Inputs, description: str, checks: dict[str, str], kinds: set[str]) -> dict[str, object]:
    key = _key(name)
    return dict(
        key=key,
        deps=inputs.deps,
        group_name="gold",
        kinds={"python", "parquet"} | kinds,
        owners=OWNERS,
        description=description,
        check_specs=[dg.AssetCheckSpec(c, asset=key, description=d) for c, d in checks.items()],
    )


# -- travel times and isochrones -----------------------------------------------------------

TIMES_KEY, ISO_KEY = _key("travel_times"), _key("isochrones")
NETWORK = Inputs(
    "gold.districts", "gold.h3_cells", "silver.road_network",
    tables={"silver.road_network": ("silver.network_nodes", "silver.network_edges")},
)
@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            TIMES_KEY, deps=NETWORK.deps, group_name="gold", kinds={"python", "parquet", "scipy"}, owners=OWNERS,
            description=(
                "Travel cost from the centre of every H3 cell of the territory to every shopping "
                "district within reach: walk_min, bike_min, drive_min (fastest trip on each mode's "
                "street network, one-way streets respected, both ends snapped to their nearest "
                "street edge) and drive_km (shortest drive). One row per pair that some mode "
                "reaches within its largest isochrone (walk 15, bike 20, drive 30 min); inf on the "
                "modes that do not. One cut-off csgraph Dijkstra per district on the reversed "
                "network, stored sparse: the table grows with the territory, not its square."
            ),
        ),
        dg.AssetSpec(
            ISO_KEY, deps=NETWORK.deps, group_name="gold",
            kinds={"python", "parquet", "scipy", "shapely"}, owners=OWNERS,
            description=(
                "Street-network isochrones of every shopping district: 5/10/15 min walk (4.8 km/h), "
                "10/20 min bike (15 km/h), 10/20/30 min drive (OSM maxspeed or highway defaults), "
                "from the district's origin shop. The polygon is the area along the reached streets "
                "(25/40/100 m buffers), partial streets cut where the time runs out. population: "
                "residents of the H3 cells whose centre is reached; workers: a proxy, KBO "
                f"establishments (all activities) in those cells x {JOBS_PER_ESTABLISHMENT:.0f} jobs "
                "(no employment data)."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("complete", asset=TIMES_KEY, description="No (cell, district) pair twice; at least 95 % of the cells reach a district within a 30-minute drive."),
        dg.AssetCheckSpec("complete", asset=ISO_KEY, description="Every district has every mode and cutoff, with a non-empty valid polygon."),
        dg.AssetCheckSpec("nested", asset=ISO_KEY, description="Population, workers and area never shrink when the cutoff grows."),
    ],
)
def access(lake: LakeResource) -> Iterator[dg.MaterializeResult]:
    read = NETWORK.reader(lake.lake).read
    districts, cells = read("gold.districts"), read("gold.h3_cells", columns=("h3", "population", "establishments"))
    nodes, edges = read("silver.network_nodes"), read("silver.network_edges")
    times = build.travel_times(nodes, edges, cells, districts)
    yield materialize(lake.lake, TIMES_KEY, times, multi=True)
    totals = build.isochrone_totals(times.frame, cells, districts)
    del times  # 400 MB at 262 communes: not held while the isochrones are built
    yield materialize(lake.lake, ISO_KEY, build.isochrones(nodes, edges, districts, totals), multi=True)


# -- observed customers, Huff, modelled tiers ----------------------------------------------

ORIGINS = Inputs("silver.transactions", "silver.merchants", "gold.districts")


@dg.asset(**_asset(
    "voucher_origins", ORIGINS,
    "Voucher/loyalty customers per customer sector, customer postcode and merchant over the "
    "current period (the latest 28 days of silver.transactions), with the merchant's commune and shopping district (the "
    "district whose outline holds the merchant, the rule of the customer-origin indicator too). "
    "Rows without a customer sector or district are kept (null) so they are counted. Empty with "
    "status not_computable when the commune has no voucher scheme. Computed once for the Huff "
    "calibration, the revealed catchment and the customer-origin indicator.",
    {}, set(),
))
def voucher_origins(lake: LakeResource) -> dg.MaterializeResult:
    reader = ORIGINS.reader(lake.lake)
    result = build.voucher_origins(
        reader.read_days("silver.transactions", latest=CURRENT_DAYS), reader.read("silver.merchants"), reader.read("gold.districts")
    )
    return materialize(lake.lake, _key("voucher_origins"), result)


CELL_COLUMNS = ("h3", "population")
"""What the Huff model, the tiers and the comparison read of gold.h3_cells (not its hexagons:
most of the time it takes to read it)."""
HUFF = Inputs("gold.districts", "gold.travel_times", "gold.h3_cells", "silver.sectors", "gold.voucher_origins")


@dg.asset(**_asset(
    "huff", HUFF,
    "Huff model per H3 cell and shopping district: probability that a resident of the cell shops "
    "in the district (attractiveness = shops in the district, alpha = 1, cost = shortest drive in "
    "km, at least 0.5 km; choice set = the districts within a 30-minute drive) and expected "
    "customers = cell population x probability. beta is "
    "calibrated by maximum likelihood on gold.voucher_origins (customer sector -> sector point -> "
    "its H3 cell -> drive km to the merchant's district, the costs the model uses); the fitted "
    "beta, McFadden pseudo-R2 and the time-based alternative are in the metadata. Without "
    f"observed customers beta = {DEFAULT_BETA:g} (documented default) and the metadata says "
    "calibrated = false.",
    {
        "shares_sum_to_one": "Per cell, the probabilities sum to 1 (cells that reach a district).",
        "customers_conserved": "Sum of expected customers equals the population of the cells that reach a district.",
        "beta_fitted": "The calibration converged inside its bounds (passes with calibrated = false when there are no observations); a warning when it did not (the observations do not determine beta).",
    },
    {"scipy"},
))
def huff(lake: LakeResource) -> dg.MaterializeResult:
    read = HUFF.reader(lake.lake).read
    result = build.huff(
        read("gold.districts"), read("gold.travel_times", columns=build.HUFF_TIME_COLUMNS),
        read("gold.h3_cells", columns=CELL_COLUMNS),
        read("silver.sectors"), read("gold.voucher_origins"),
    )
    return materialize(lake.lake, _key("huff"), result)


TIERS = Inputs("gold.huff", "gold.h3_cells")


@dg.asset(**_asset(
    "catchment", TIERS,
    "Modelled catchment tiers of every shopping district: primary (1), secondary (2) and "
    f"tertiary (3) areas, the H3 cells that bring {_TIERS} of the district's Huff expected "
    "customers (cells sorted by expected customers), as polygons with their population.",
    {"tier_shares": f"Tiers 1, 2, 3 hold at least {_TIERS} of expected customers cumulatively."},
    {"h3"},
))
def catchment(lake: LakeResource) -> dg.MaterializeResult:
    read = TIERS.reader(lake.lake).read
    huff_frame = read("gold.huff", columns=build.TIER_INPUT_COLUMNS)
    return materialize(lake.lake, _key("catchment"), build.catchment(huff_frame, read("gold.h3_cells", columns=CELL_COLUMNS)))


# -- revealed catchment --------------------------------------------------------------------

REVEALED_KEY, COMPARISON_KEY = _key("revealed_catchment"), _key("catchment_comparison")
OBSERVED = Inputs("gold.districts", "silver.sectors", "gold.voucher_origins", "silver.od_flows")
MODELLED = Inputs("gold.huff", "gold.h3_cells", "gold.cell_sectors")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            REVEALED_KEY, deps=OBSERVED.deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
            description=(
                "Revealed (observed) catchment of every shopping district by statistical sector of "
                "origin, over the current period (the latest 28 days): source 'vouchers' = voucher/loyalty "
                "customers with a customer sector, at merchants inside the district's outline; source 'od' = "
                f"mobile-operator trips arriving {SHOPPING_HOURS[0]:02d}:00-{SHOPPING_HOURS[1] - 1:02d}:59 "
                "local time in the sector the district overlaps most. customers, share (of the "
                f"district's observed total) and tier (sectors bringing {_TIERS}) are null and "
                "suppressed = true where fewer than k (settings.suppression_k) customers were seen. "
                "Empty, with status not_computable in the metadata, without vouchers and OD data."
            ),
        ),
        dg.AssetSpec(
            COMPARISON_KEY, deps=(OBSERVED + MODELLED).deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS,
            description=(
                "Modelled versus observed catchment per district and modelled tier (1, 2, 3 and "
                "0 = outside): modelled_share = share of the district's Huff expected customers "
                "living in the tier's cells; vouchers_share / od_share = share of the observed "
                "customers (voucher transactions, OD trips) coming from those cells (each "
                "sector's count spread over its cells by area, like population: gold.cell_sectors). Null below k "
                "and when the source is missing."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("suppressed_below_k", asset=REVEALED_KEY, description="No published customer count is below k."),
        dg.AssetCheckSpec("shares_sum_to_one", asset=REVEALED_KEY, description="Per district and source, published shares make 1 unless some rows are suppressed."),
        dg.AssetCheckSpec("modelled_shares_sum_to_one", asset=COMPARISON_KEY, description="Per district, modelled shares over the four tiers sum to 1."),
    ],
)
def revealed_catchment(context: dg.AssetExecutionContext, lake: LakeResource, settings: SettingsResource) -> Iterator[dg.MaterializeResult]:
    reader = (OBSERVED + MODELLED).reader(lake.lake)
    read = reader.read
    od_trips = build.od_shopping_trips(reader.read_days("silver.od_flows", latest=CURRENT_DAYS))
    sectors, cells = read("silver.sectors"), read("gold.h3_cells", columns=CELL_COLUMNS)
    if reader.exists("gold.cell_sectors"):
        crosswalk = read("gold.cell_sectors")
    else:  # a lake built before the crosswalk existed: the nightly still runs, the slow way
        context.log.warning("gold.cell_sectors is not materialised yet (materialise refresh_static): intersecting cells and sectors here")
        crosswalk, _ = cells_engine.cell_sectors(read("gold.h3_cells"), sectors)
    revealed, comparison = build.revealed(
        read("gold.districts"), sectors, cells, crosswalk, read("gold.huff", columns=build.TIER_INPUT_COLUMNS),
        read("gold.voucher_origins"), od_trips, settings.suppression_k,
    )
    yield materialize(lake.lake, REVEALED_KEY, revealed, multi=True)
    yield materialize(lake.lake, COMPARISON_KEY, comparison, multi=True)


assets = [access, voucher_origins, huff, catchment, revealed_catchment]
EXPORTS = {
    "isochrones": "Walk/bike/drive isochrones of every shopping district with population and workers reached.",
    "catchment": "Modelled (Huff) primary/secondary/tertiary catchment of every shopping district.",
}
