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

    def compute(part: pd.DataFrame) -> dict[str, float]:
        dates = pd.to_datetime(part["observed_on"])
        rates = (
            part.assign(vacant=part["status"].eq("vacant"), date=dates)
            .groupby("date")["vacant"]
            .mean()
            * 100
        )
        latest = rates.index.max()
        years = (rates.index - rates.index.min()).days.to_numpy() / 365.25
        trend = float(np.polyfit(years, rates.to_numpy(), 1)[0]) if len(rates) > 1 else float("nan")
        return {
            "vacancy_rate": float(rates[latest]),
            "vacancy_trend": trend,
            "cells": int((dates == latest).sum()),
            "observed_on": latest.date().isoformat(),
        }

    return by_commune_and_district(cells, compute, district_nis)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the vacancy indicators."""
    frame = vacancy(ctx.inputs.vacant_cells, ctx.district_nis)
    return figure_rows(frame, keys(ctx.places, ctx.communes), {i.code: i.reference() for i in INDICATORS})


FAMILY = Family(7, "vacancy", INDICATORS, static=rows)
