"""What the friction asset checks and reports, computed on frames (no Dagster).

Each function returns :class:`Check` values (check name, passed, metadata) or a metadata
dict; ``assets/gold/friction.py`` only wraps them in Dagster results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pipelines.accessibility import TwoStepResult
from pipelines.friction.build import FrictionResult
from pipelines.friction.catalogue import INDICATORS
from pipelines.friction.spec import SOURCE_FAMILIES
from pipelines.friction.table import (
    COMPUTED,
    KEYS,
    NOT_COMPUTABLE,
    STATUSES,
    SUPPRESSED,
    missing_rows,
)
from pipelines.results import Check

CONSERVATION_TOLERANCE = 1e-9


def _needs_length(table: pd.DataFrame) -> np.ndarray:
    return np.array([len(n) if n is not None else 0 for n in table["needs"]], dtype=int)


def status_problems(table: pd.DataFrame) -> list[str]:
    """Rows whose status contradicts their value or ``needs`` (first 20, as text)."""
    needs = _needs_length(table)
    status = table["status"].astype("string")
    value = table["value"]
    bad = (
        ~status.isin(STATUSES).fillna(False).to_numpy()
        | ((status == NOT_COMPUTABLE).fillna(False).to_numpy() & (value.notna().to_numpy() | (needs == 0)))
        | ((status != NOT_COMPUTABLE).fillna(True).to_numpy() & (needs > 0))
        | ((status == SUPPRESSED).fillna(False).to_numpy() & value.notna().to_numpy())
    )
    rows = table[bad]
    return [
        f"{r.nis}/{r.district_id if pd.notna(r.district_id) else ''}/{r.indicator}: {r.status}"
        for r in rows.head(20).itertuples()
    ]


def indicator_checks(
    result: FrictionResult, communes: Iterable[str], districts: Iterable[str], k: int
) -> list[Check]:
    """``all_indicators_everywhere`` and ``k_suppression``."""
    table = result.indicators
    missing = missing_rows(table, [str(c) for c in communes], [str(d) for d in districts])
    unique = not table.duplicated(KEYS).any()
    problems = status_problems(table)
    support = result.support.merge(table, on=KEYS)
    leaks = support[(support["support"] < k) & support["value"].notna()]
    suppressed = table[table["status"] == SUPPRESSED]
    return [
        Check(
            "all_indicators_everywhere",
            not missing and unique and not problems,
            {
                "missing": ", ".join(missing[:20]),
                "missing_count": len(missing),
                "unique": unique,
                "status_problems": "; ".join(problems),
            },
        ),
        Check(
            "k_suppression",
            leaks.empty and bool(suppressed["value"].isna().all()),
            {
                "k": k,
                "checked_figures": len(support),
                "violations": len(leaks),
                "suppressed_rows": len(suppressed),
            },
        ),
    ]


def conservation_check(cells: pd.DataFrame, two_step: Mapping[str, TwoStepResult]) -> Check:
    """``two_step_conservation``: per mode, the sum of population x 2SFCA accessibility of the
    cells equals the supply of the shops someone reaches."""
    conservation = {}
    for mode, result in two_step.items():
        total = float((cells["population"] * cells[f"shop_access_{mode}"] / 1000.0).sum())
        conservation[mode] = (total, result.served_supply)
    conserved = all(
        abs(a - b) <= CONSERVATION_TOLERANCE * max(b, 1.0) for a, b in conservation.values()
    )
    return Check(
        "two_step_conservation",
        conserved,
        {f"{m}_sum_PA": a for m, (a, _) in conservation.items()}
        | {f"{m}_served_supply": b for m, (_, b) in conservation.items()},
    )


def indicator_summary(result: FrictionResult) -> dict[str, object]:
    """Figures for the indicators' materialisation metadata."""
    table = result.indicators
    status = table["status"]
    found = {f for n in table["needs"] if n is not None for f in n}
    lacking = [f for f in SOURCE_FAMILIES if f in found]
    return {
        "footfall_source": result.footfall_source,
        "indicators": len(INDICATORS),
        "null_values": int(table["value"].isna().sum()),
        "computed": int((status == COMPUTED).sum()),
        "not_computable": int((status == NOT_COMPUTABLE).sum()),
        "suppressed": int((status == SUPPRESSED).sum()),
        "sources_missing": ", ".join(lacking) or "none",
    }


def cells_check(result: FrictionResult, h3_cells: Iterable[int], k: int) -> Check:
    """``one_row_per_cell``: one row per cell of gold.h3_cells, EPSG:4326, footfall >= k."""
    cells = result.cells
    expected = set(h3_cells)
    footfall = cells["footfall_daily"].dropna()
    passed = bool(
        cells["h3"].is_unique
        and set(cells["h3"]) == expected
        and cells.crs is not None
        and cells.crs.to_epsg() == 4326
        and (footfall >= k).all()
    )
    return Check(
        "one_row_per_cell",
        passed,
        {
            "rows": len(cells),
            "h3_cells": len(expected),
            "min_footfall": float(footfall.min()) if len(footfall) else np.nan,
        },
    )


def stops_check(stops: pd.DataFrame, n_stops: int) -> Check:
    """``every_stop_kept``: every stop of silver.stops, and a report on those without departures."""
    idle = (stops["departures"] == 0).fillna(False)
    reported = bool((stops.loc[idle, "report"] != "").all())
    return Check(
        "every_stop_kept",
        len(stops) == n_stops and reported,
        {
            "stops": len(stops),
            "silver_stops": n_stops,
            "without_departures": int(idle.sum()),
        },
    )


def stop_reports(stops: pd.DataFrame) -> dict[str, int]:
    """Stops without departures per report text."""
    idle = (stops["departures"] == 0).fillna(False)
    return {str(r): int(n) for r, n in stops.loc[idle, "report"].value_counts().items()}
