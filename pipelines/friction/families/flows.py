"""5 Unexploited pedestrian flows: H3 cells with many passers-by and few shops, shop cells
few people walk past (footfall from gold.footfall_estimated, per day)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipelines.friction.inputs import Context
from pipelines.friction.rows import by_commune_and_district, figure_rows, keys
from pipelines.friction.spec import Family, Indicator

FLOW_RATIO = 2.0
"""A cell's footfall per shop front must be this many times the median to count as an
unexploited flow (or this many times smaller to count as under-used shops)."""


def flow_status(footfall: pd.Series, shops: pd.Series, *, ratio: float = FLOW_RATIO) -> pd.Series:
    """Classify measured cells: ``unexploited``, ``underused``, ``balanced`` (NA: no measure).

    ``index_i = footfall_i / (shops_i + 1)`` (passers-by per shop front, +1 so that a cell
    without shops has a finite index). With ``m`` the median index and ``f`` the median
    footfall of the measured cells:

    * ``unexploited``: ``footfall_i >= f`` and ``index_i >= ratio * m`` (many passers-by,
      few shops: room for shops or for the existing ones to capture the flow);
    * ``underused``: ``shops_i >= 1``, ``footfall_i < f`` and ``index_i <= m / ratio``
      (shops that few people walk past);
    * ``balanced`` otherwise.
    """
    if ratio <= 1:
        raise ValueError(f"ratio must be > 1; found {ratio}")
    f = pd.to_numeric(footfall, errors="coerce")
    s = pd.to_numeric(shops, errors="coerce").fillna(0)
    measured = f.notna()
    out = pd.Series(pd.NA, index=f.index, dtype="string")
    if not measured.any():
        return out
    index = f / (s + 1)
    m, median_f = index[measured].median(), f[measured].median()
    out[measured] = "balanced"
    out[measured & (f >= median_f) & (index >= ratio * m)] = "unexploited"
    out[measured & (s >= 1) & (f < median_f) & (index <= m / ratio)] = "underused"
    return out


def flow_counts(cells: pd.DataFrame, district_nis: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cells per flow status (nis, district_id, flow_status) per commune and district."""

    def compute(part: pd.DataFrame) -> dict[str, float]:
        status = part["flow_status"]
        return {
            "flows_unexploited_cells": int((status == "unexploited").sum()),
            "flows_underused_shop_cells": int((status == "underused").sum()),
            "flows_measured_cells": int(status.notna().sum()),
        }

    return by_commune_and_district(cells, compute, district_nis)


INDICATORS = (
    Indicator("flows_unexploited_cells", "cells", "wifi|counters",
              "Cellules à fort passage et peu de commerces", "Cells with high footfall and few shops",
              f"cells with footfall >= median and footfall per shop front >= {FLOW_RATIO:g} x "
              "median; footfall: {footfall_source}"),
    Indicator("flows_underused_shop_cells", "cells", "wifi|counters",
              "Cellules commerçantes à faible passage", "Shop cells with low footfall",
              "cells with shops, footfall < median and footfall per shop front <= median / "
              f"{FLOW_RATIO:g}; footfall: {{footfall_source}}"),
    Indicator("flows_measured_cells", "cells", "wifi|counters",
              "Cellules avec une mesure de passage", "Cells with a footfall measure",
              "cells with a footfall figure; footfall: {footfall_source}"),
)  # fmt: skip


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the flow indicators, from the flow status of the cell layer."""
    text = {i.code: i.reference(footfall_source=ctx.footfall_source) for i in INDICATORS}
    counts = flow_counts(pd.DataFrame(ctx.cells.drop(columns="geometry", errors="ignore")), ctx.district_nis)
    return figure_rows(counts, keys(ctx.places, ctx.communes), text)


FAMILY = Family(5, "unexploited flows", INDICATORS, daily=rows)
