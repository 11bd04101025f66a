"""Gold: friction indicators ("points de friction") per commune and shopping district, and
the per-cell and per-stop friction layers. The engine is ``pipelines.friction.build``."""

import dagster as dg
import numpy as np

from assets.common import OWNERS, table_metadata
from pipelines.friction.build import FrictionResult, build
from pipelines.friction.core import INDICATORS, missing_rows
from pipelines.resources import LakeResource, SettingsResource

INDICATORS_KEY = ["gold", "commune_indicators"]
CELLS_KEY = ["gold", "friction_cells"]
STOPS_KEY = ["gold", "friction_stops"]
UPSTREAM = [
    "gold.h3_cells", "gold.districts", "gold.footfall_estimated", "gold.footfall_hourly",
    "silver.shops", "silver.parking", "silver.tourism", "silver.stops", "silver.departures",
    "silver.service_dates", "silver.road_network", "silver.vacant_cells", "silver.sensors",
    "silver.sensor_counts", "silver.od_flows", "silver.transactions", "silver.merchants",
    "silver.sectors", "bronze.kbo",
]  # fmt: skip
DEPS = [dg.AssetKey(name.split(".")) for name in UPSTREAM]
CONSERVATION_TOLERANCE = 1e-9


def _spec(key: list[str], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        deps=DEPS,
        group_name="gold",
        kinds={"python", "parquet", "h3"},
        owners=OWNERS,
        description=description,
    )


@dg.multi_asset(
    specs=[
        _spec(
            INDICATORS_KEY,
            "The ten friction indicators of the Smart Commerce audit for every commune "
            "(district_id null) and shopping district, in long form: nis, district_id, indicator "
            "(code; French and English names in docs/indicators/friction.md), value, unit, "
            "reference (method and source; 'suppressed' when fewer than k people are behind the "
            "figure), computed_at. 1 public transport (SDG 11.2.1, DG REGIO classes), 2 access by "
            "mode and 2SFCA, 3 parking, 4 congestion, 5 unexploited pedestrian flows, 6 online "
            "visibility, 7 vacancy and trend, 8 tourism, 9 cargo-bike delivery reach, 10 customer "
            "origin.",
        ),
        _spec(
            CELLS_KEY,
            "Friction per H3 resolution-9 cell (hexagons, EPSG:4326): DG REGIO public-transport "
            "class and departures/h of the best stop within walking distance, walk minutes to it, "
            "SDG 11.2.1 access, minutes to the nearest shopping district on foot / by bike / by "
            "car (up to 30), 2SFCA access to shops (shops per 1,000 inhabitants; 10 min walk, "
            "15 min bike, 20 min drive), parking places within a 300 m walk, daily footfall and "
            "flow status (unexploited / underused / balanced).",
        ),
        _spec(
            STOPS_KEY,
            "Every public-transport stop with its departures between 06:00 and 20:00 on the "
            "service date (the busiest weekday of the feeds), departures per hour, EU DG REGIO "
            "class, high-capacity flag and SDG walking radius; stops without departures are kept "
            "with a report saying why.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "all_indicators_everywhere",
            asset=INDICATORS_KEY,
            description="Every commune has all indicators and every district all district-level ones; each (nis, district_id, indicator) once.",
        ),
        dg.AssetCheckSpec(
            "two_step_conservation",
            asset=INDICATORS_KEY,
            description="2SFCA per mode: sum of population x accessibility in gold.friction_cells equals the supply of the shops someone reaches (relative error < 1e-9).",
        ),
        dg.AssetCheckSpec(
            "k_suppression",
            asset=INDICATORS_KEY,
            description="No figure computed from fewer than k customers, trips or devices is published.",
        ),
        dg.AssetCheckSpec(
            "one_row_per_cell",
            asset=CELLS_KEY,
            description="One row per H3 cell of gold.h3_cells, EPSG:4326, footfall never below k.",
        ),
        dg.AssetCheckSpec(
            "every_stop_kept",
            asset=STOPS_KEY,
            description="Every stop of silver.stops is present; stops without departures carry a report.",
        ),
    ],
)
def friction(lake: LakeResource, settings: SettingsResource):  # noqa: ANN201
    lk, k = lake.lake, settings.suppression_k
    districts = lk.read("gold", "districts")
    result = build(lk, districts, k=k)
    paths = {
        "indicators": lk.write(result.indicators, *INDICATORS_KEY),
        "cells": lk.write(result.cells, *CELLS_KEY),
        "stops": lk.write(result.stops, *STOPS_KEY),
    }
    communes = lk.read("silver", "communes")["nis"].astype(str)
    yield _indicators_result(
        result,
        communes.tolist(),
        districts["district_id"].astype(str).tolist(),
        k,
        str(paths["indicators"]),
    )
    yield _cells_result(result, lk.read("gold", "h3_cells")["h3"], k, str(paths["cells"]))
    yield _stops_result(result, len(lk.read("silver", "stops")), str(paths["stops"]))


def _indicators_result(
    result: FrictionResult, communes: list[str], districts: list[str], k: int, path: str
) -> dg.MaterializeResult:
    table = result.indicators
    missing = missing_rows(table, communes, districts)
    unique = not table.duplicated(["nis", "district_id", "indicator"]).any()
    cells = result.cells
    conservation = {}
    for mode, two_step in result.two_step.items():
        total = float((cells["population"] * cells[f"shop_access_{mode}"] / 1000.0).sum())
        conservation[mode] = (total, two_step.served_supply)
    conserved = all(
        abs(a - b) <= CONSERVATION_TOLERANCE * max(b, 1.0) for a, b in conservation.values()
    )
    support = result.support.merge(table, on=["nis", "district_id", "indicator"])
    leaks = support[(support["support"] < k) & support["value"].notna()]
    meta = table_metadata(table, path)
    meta.update(
        service_date=result.service_date.isoformat(),
        footfall_source=result.footfall_source,
        indicators=len(INDICATORS),
        null_values=int(table["value"].isna().sum()),
        suppressed=int(table["reference"].str.startswith("suppressed").sum()),
    )
    checks = [
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(INDICATORS_KEY),
            check_name="all_indicators_everywhere",
            passed=not missing and unique,
            metadata={
                "missing": ", ".join(missing[:20]),
                "missing_count": len(missing),
                "unique": unique,
            },
        ),
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(INDICATORS_KEY),
            check_name="two_step_conservation",
            passed=conserved,
            metadata={f"{m}_sum_PA": a for m, (a, _) in conservation.items()}
            | {f"{m}_served_supply": b for m, (_, b) in conservation.items()},
        ),
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(INDICATORS_KEY),
            check_name="k_suppression",
            passed=leaks.empty,
            metadata={"k": k, "checked_figures": len(support), "violations": len(leaks)},
        ),
    ]
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(INDICATORS_KEY), metadata=meta, check_results=checks
    )


def _cells_result(result: FrictionResult, h3_cells, k: int, path: str) -> dg.MaterializeResult:  # noqa: ANN001
    cells = result.cells
    footfall = cells["footfall_daily"].dropna()
    passed = bool(
        cells["h3"].is_unique
        and set(cells["h3"]) == set(h3_cells)
        and cells.crs.to_epsg() == 4326
        and (footfall >= k).all()
    )
    meta = table_metadata(cells, path)
    meta["cells_with_sdg_access"] = int(cells["sdg_11_2_1"].sum())
    meta["flow_status"] = dg.MetadataValue.md(
        "\n".join(f"- {s}: {n}" for s, n in cells["flow_status"].value_counts().items())
    )
    check = dg.AssetCheckResult(
        asset_key=dg.AssetKey(CELLS_KEY),
        check_name="one_row_per_cell",
        passed=passed,
        metadata={
            "rows": len(cells),
            "h3_cells": len(h3_cells),
            "min_footfall": float(footfall.min()) if len(footfall) else np.nan,
        },
    )
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(CELLS_KEY), metadata=meta, check_results=[check]
    )


def _stops_result(result: FrictionResult, n_stops: int, path: str) -> dg.MaterializeResult:
    stops = result.stops
    idle = stops["departures"] == 0
    reported = bool((stops.loc[idle, "report"] != "").all())
    meta = table_metadata(stops, path)
    meta["service_date"] = result.service_date.isoformat()
    meta["stops_reported"] = dg.MetadataValue.md(
        "\n".join(f"- {r}: {n}" for r, n in stops.loc[idle, "report"].value_counts().items())
        or "none"
    )
    check = dg.AssetCheckResult(
        asset_key=dg.AssetKey(STOPS_KEY),
        check_name="every_stop_kept",
        passed=len(stops) == n_stops and reported,
        metadata={
            "stops": len(stops),
            "silver_stops": n_stops,
            "without_departures": int(idle.sum()),
        },
    )
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(STOPS_KEY), metadata=meta, check_results=[check]
    )


assets = [friction]
EXPORTS = {
    "friction_cells": "Friction per H3 cell: public-transport class, SDG 11.2.1, minutes to the nearest shopping district by mode, 2SFCA access to shops, parking, footfall and flow status.",
    "friction_stops": "Public-transport stops with departures per hour (06-20 h, busiest weekday), EU DG REGIO class and the report of stops without departures.",
}
