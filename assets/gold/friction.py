"""Gold: friction indicators ("points de friction") per commune and shopping district, and
the per-cell and per-stop friction layers, in two steps. ``friction_static`` computes what does
not depend on the day (routing, 2SFCA, public transport, the static families' rows, the static
cell columns, the stops) from no daily table, so the nightly refresh leaves it out;
``friction`` adds the day's families (congestion, flows, weekend hours, customer origin) and
writes gold.commune_indicators and gold.friction_cells. The engine is
``pipelines.friction.build`` (``build_static``, ``build_daily``)."""

import dagster as dg
import pyarrow.parquet as pq

from assets.common import OWNERS, describe, materialize
from assets.declared import Inputs
from assets.resources import LakeResource, SettingsResource
from pipelines import availability
from pipelines.constants import CURRENT_DAYS
from pipelines.friction.build import build_daily, build_static
from pipelines.friction.checks import (
    cells_check,
    conservation_check,
    indicator_checks,
    indicator_summary,
    stop_reports,
    stops_check,
)
from pipelines.friction.inputs import FrictionInputs, territory_communes, territory_districts
from pipelines.friction.table import indicator_arrow
from pipelines.lake import Lake, write_atomic
from pipelines.results import TableResult

INDICATORS_KEY = ["gold", "commune_indicators"]
CELLS_KEY = ["gold", "friction_cells"]
STOPS_KEY = ["gold", "friction_stops"]
STATIC_KEY = ["gold", "friction_static"]
STATIC_CELLS_KEY = ["gold", "friction_static_cells"]
STATIC_INPUTS = {
    "communes": "silver.communes", "cells": "gold.h3_cells", "districts": "gold.districts",
    "shops": "silver.shops", "parking": "silver.parking", "tourism": "silver.tourism",
    "stops": "silver.stops", "departures": "silver.departures",
    "service_dates": "silver.service_dates", "nodes": "silver.network_nodes",
    "edges": "silver.network_edges", "vacant_cells": "silver.vacant_cells",
}  # fmt: skip
"""Field of :class:`FrictionInputs` -> the lake table the static step reads (no daily table)."""
INPUTS = {
    "communes": "silver.communes", "cells": "gold.h3_cells", "districts": "gold.districts",
    "shops": "silver.shops", "merchants": "silver.merchants", "sectors": "silver.sectors",
    "od_flows": "silver.od_flows", "transactions": "silver.transactions",
    "footfall_estimated": "gold.footfall_estimated", "footfall_hourly": "gold.footfall_hourly",
}  # fmt: skip
"""Field of :class:`FrictionInputs` -> the lake table the day step reads."""
DAILY = frozenset({"silver.od_flows", "silver.transactions", "gold.footfall_hourly"})
"""Daily tables: the day step reads their current period (the latest CURRENT_DAYS days)."""
SOURCE_STATUS = "bronze.source_status"
"""Read for the source families held (not an input frame: the engine gets the set)."""
STATIC_TABLES = ("gold.friction_static", "gold.friction_static_cells")
STATIC_DECLARED = Inputs(
    *sorted({t for t in STATIC_INPUTS.values() if not t.startswith("silver.network_")} | {"silver.road_network"}),
    tables={"silver.road_network": ("silver.network_nodes", "silver.network_edges")},
)
"""Every table the static step reads, declared once: no daily table, so the nightly refresh
(downstream of the daily partitions) leaves it out."""
DECLARED = Inputs(*sorted(set(INPUTS.values()) | {SOURCE_STATUS, *STATIC_TABLES}))
"""Every table the day step reads, declared once: its Dagster deps and all it may read."""
DEPS = DECLARED.deps


def read_static_inputs(lk: Lake) -> FrictionInputs:
    """The static step's tables as frames (the daily ones stay empty)."""
    reader = STATIC_DECLARED.reader(lk)
    return FrictionInputs.from_frames({f: reader.read(t) for f, t in STATIC_INPUTS.items()})


def read_inputs(lk: Lake) -> FrictionInputs:
    """The day step's tables as frames (the daily ones: their current period), and the source
    families held."""
    reader = DECLARED.reader(lk)
    frames = {f: reader.read_days(t, latest=CURRENT_DAYS) if t in DAILY else reader.read(t) for f, t in INPUTS.items()}
    held = frozenset(availability.held(reader.read(SOURCE_STATUS)))
    return FrictionInputs.from_frames(frames, held=held)


def _spec(key: list[str], description: str, deps=DEPS) -> dg.AssetSpec:  # noqa: ANN001
    return dg.AssetSpec(
        key,
        deps=deps,
        group_name="gold",
        kinds={"python", "parquet", "h3"},
        owners=OWNERS,
        description=description,
    )


@dg.multi_asset(
    specs=[
        _spec(
            STATIC_KEY,
            "The friction indicator rows that do not depend on the day, before their status: nis, "
            "district_id, indicator, value, reference; families 1 public transport, 2 access by "
            "mode and 2SFCA, 3 parking, 4 road capacity, 6 online visibility, 7 vacancy, 8 tourism "
            "attractions, 9 cargo-bike delivery. Reads no daily table: the nightly refresh leaves it "
            "out; gold.commune_indicators adds the day's families to it.",
            STATIC_DECLARED.deps,
        ),
        _spec(
            STATIC_CELLS_KEY,
            "The day-independent columns of gold.friction_cells (every column but footfall_daily "
            "and flow_status): district, public transport, minutes to the nearest district by mode, "
            "2SFCA access to shops per mode, parking within a 300 m walk.",
            STATIC_DECLARED.deps,
        ),
        _spec(
            STOPS_KEY,
            "Every public-transport stop with its departures between 06:00 and 20:00 on the "
            "service date (the busiest weekday of the feeds), departures per hour, EU DG REGIO "
            "class, high-capacity flag and SDG walking radius; stops without departures are kept "
            "with a report saying why.",
            STATIC_DECLARED.deps,
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "two_step_conservation",
            asset=STATIC_CELLS_KEY,
            description="2SFCA per mode: sum of population x accessibility of the cells equals the supply of the shops someone reaches (relative error < 1e-9).",
        ),
        dg.AssetCheckSpec(
            "every_stop_kept",
            asset=STOPS_KEY,
            description="Every stop of silver.stops is present; stops without departures carry a report.",
        ),
    ],
)
def friction_static(lake: LakeResource):  # noqa: ANN201
    lk = lake.lake
    inputs = read_static_inputs(lk)
    result = build_static(inputs)
    meta = {"indicators": int(result.rows["indicator"].nunique())}
    yield materialize(lk, dg.AssetKey(STATIC_KEY), TableResult(result.rows, meta), multi=True)
    check = conservation_check(result.cells, result.two_step)
    meta = {"cells_with_sdg_access": int(result.cells["sdg_11_2_1"].sum())}
    yield materialize(lk, dg.AssetKey(STATIC_CELLS_KEY), TableResult(result.cells, meta, [check]), multi=True)
    reports = stop_reports(result.stops)
    meta = {
        "service_date": result.service_date.isoformat() if result.service_date else "none",
        "stops_reported": dg.MetadataValue.md(
            "\n".join(f"- {r}: {n}" for r, n in reports.items()) or "none"
        ),
    }
    check = stops_check(result.stops, len(inputs.stops))
    yield materialize(lk, dg.AssetKey(STOPS_KEY), TableResult(result.stops, meta, [check]), multi=True)


@dg.multi_asset(
    specs=[
        _spec(
            INDICATORS_KEY,
            "The ten friction indicators of the Smart Commerce audit for every commune "
            "(district_id null) and shopping district, in long form: nis, district_id, indicator "
            "(code; French and English names in docs/indicators/friction.md), value, unit, "
            "status (computed / not_computable / suppressed), needs (source families missing), "
            "reference (method and source; 'suppressed' when fewer than k people are behind the "
            "figure), computed_at. 1 public transport (SDG 11.2.1, DG REGIO classes), 2 access by "
            "mode and 2SFCA, 3 parking, 4 congestion, 5 unexploited pedestrian flows, 6 online "
            "visibility, 7 vacancy and trend, 8 tourism, 9 cargo-bike delivery reach, 10 customer "
            "origin. The day-independent rows come from gold.friction_static; this asset computes "
            "the day's families (4 congestion, 5 flows, 8 weekend hours, 10 customer origin).",
        ),
        _spec(
            CELLS_KEY,
            "Friction per H3 resolution-9 cell (hexagons, EPSG:4326): DG REGIO public-transport "
            "class and departures/h of the best stop within walking distance, walk minutes to it, "
            "SDG 11.2.1 access, minutes to the nearest shopping district on foot / by bike / by "
            "car (up to 30), 2SFCA access to shops (shops per 1,000 inhabitants; 10 min walk, "
            "15 min bike, 20 min drive), parking places within a 300 m walk (these from "
            "gold.friction_static_cells), daily footfall and flow status (unexploited / underused / "
            "balanced).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "all_indicators_everywhere",
            asset=INDICATORS_KEY,
            description="Every commune has all indicators and every district all district-level ones; each (nis, district_id, indicator) once; status is computed, not_computable (null value, needs = the missing source families) or suppressed (null value).",
        ),
        dg.AssetCheckSpec(
            "k_suppression",
            asset=INDICATORS_KEY,
            description="No figure computed from fewer than k customers, trips or devices is published; suppressed rows have a null value.",
        ),
        dg.AssetCheckSpec(
            "one_row_per_cell",
            asset=CELLS_KEY,
            description="One row per H3 cell of gold.h3_cells, EPSG:4326, footfall never below k.",
        ),
    ],
)
def friction(lake: LakeResource, settings: SettingsResource):  # noqa: ANN201
    lk, k = lake.lake, settings.suppression_k
    inputs = read_inputs(lk)
    reader = DECLARED.reader(lk)
    result = build_daily(inputs, reader.read(STATIC_TABLES[0]), reader.read(STATIC_TABLES[1]), k=k)
    communes = territory_communes(inputs)
    districts = territory_districts(inputs.districts, communes)["district_id"].astype(str)
    outside = sorted(set(inputs.districts["district_id"].astype(str)) - set(districts))
    summary = indicator_summary(result) | {"districts_outside_territory": ", ".join(outside) or "none"}
    indicators = TableResult(result.indicators, summary, indicator_checks(result, communes, districts, k))
    yield describe(indicators, _write_indicators(lk, result.indicators), dg.AssetKey(INDICATORS_KEY))
    cells = cells_check(result, inputs.cells["h3"], k)
    flow = result.cells["flow_status"].value_counts().items()
    meta = {
        "cells_with_sdg_access": int(result.cells["sdg_11_2_1"].sum()),
        "flow_status": dg.MetadataValue.md("\n".join(f"- {s}: {n}" for s, n in flow) or "none"),
    }
    yield materialize(lk, dg.AssetKey(CELLS_KEY), TableResult(result.cells, meta, [cells]), multi=True)


def _write_indicators(lk: Lake, table):  # noqa: ANN001, ANN202
    """Write with the explicit schema (``needs`` stays list<string> when all lists are empty)."""
    arrow = indicator_arrow(table)
    return write_atomic(lk.table_path(*INDICATORS_KEY), lambda tmp: pq.write_table(arrow, tmp))


assets = [friction_static, friction]
EXPORTS = {
    "friction_cells": "Friction per H3 cell: public-transport class, SDG 11.2.1, minutes to the nearest shopping district by mode, 2SFCA access to shops, parking, footfall and flow status.",
    "friction_stops": "Public-transport stops with departures per hour (06-20 h, busiest weekday), EU DG REGIO class and the report of stops without departures.",
}
