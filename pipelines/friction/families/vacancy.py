"""7 Vacancy: the share of observed commercial cells that are vacant on the latest date of
the register, and its trend over every date."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipelines.friction.inputs import Context
from pipelines.friction.rows import by_commune_and_district, figure_rows, keys
from pipelines.friction.spec import Family, Indicator

INDICATORS = (
    Indicator("vacancy_rate", "%", "vacancy", "Taux de cellules commerciales vides",
              "Vacancy rate of commercial cells",
              "silver.vacant_cells: vacant / observed commercial cells on the latest register date"),
    Indicator("vacancy_trend", "percentage points/year", "vacancy",
              "Évolution du taux de cellules vides", "Trend of the vacancy rate",
              "least-squares slope of the vacancy rate over every register date"),
)  # fmt: skip


def vacancy(cells: pd.DataFrame, district_nis: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Vacancy rate on the latest register date and its trend.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``silver.vacant_cells`` rows: nis, district_id, observed_on, status (``vacant`` or
        ``occupied``), one row per cell and date.

    Returns
    -------
    pandas.DataFrame
        ``vacancy_rate`` (% of the cells observed on the latest date that are vacant),
        ``vacancy_trend`` (least-squares slope of the rate against time over every date,
        percentage points per year; NaN with a single date), ``cells``, ``observed_on``.
    """
    unknown = set(cells["status"].dropna().unique()) - {"vacant", "occupied"}
    if unknown:
        raise ValueError(f"status must be 'vacant' or 'occupied'; found {sorted(unknown)}")

    # the day and the status of every row once; each commune and district then in numpy
    day = pd.to_datetime(cells["observed_on"]).to_numpy().astype("datetime64[D]")
    status = cells["status"]
    frame = cells.assign(
        _day=day.astype("int64"),
        _dated=~np.isnat(day),
        _known=status.notna().to_numpy(float),  # a rate is over the cells with a status
        _vacant=status.eq("vacant").to_numpy(dtype=float, na_value=0.0),
    )

    def compute(part: pd.DataFrame) -> dict[str, float]:
        dated = part["_dated"].to_numpy()
        days, at = np.unique(part["_day"].to_numpy()[dated], return_inverse=True)
        if not len(days):
            return {"vacancy_rate": np.nan, "vacancy_trend": np.nan, "cells": 0, "observed_on": None}
        observed = np.bincount(at)
        vacant = np.bincount(at, weights=part["_vacant"].to_numpy()[dated])
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = vacant / np.bincount(at, weights=part["_known"].to_numpy()[dated]) * 100
        years = (days - days[0]) / 365.25
        trend = float(np.polyfit(years, rates, 1)[0]) if len(days) > 1 else float("nan")
        return {
            "vacancy_rate": float(rates[-1]),
            "vacancy_trend": trend,
            "cells": int(observed[-1]),
            "observed_on": str(np.datetime64(int(days[-1]), "D")),
        }

    return by_commune_and_district(frame, compute, district_nis)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the vacancy indicators."""
    frame = vacancy(ctx.inputs.vacant_cells, ctx.district_nis)
    return figure_rows(frame, keys(ctx.places, ctx.communes), {i.code: i.reference() for i in INDICATORS})


FAMILY = Family(7, "vacancy", INDICATORS, static=rows)
