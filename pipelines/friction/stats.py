"""Friction indicators computed from lake tables without routing: vacancy, online
visibility, customer origins, OD inflow and congestion, pedestrian flows, weekend hours.

Every function takes plain frames in which each row already carries its commune ``nis``
and its ``district_id`` (``<NA>`` outside every district, see
:func:`pipelines.friction.assign_districts`) and returns one row per commune (district_id
NA: all its rows) and per district. Pure pandas/numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

GroupFunction = Callable[[pd.DataFrame], dict[str, float]]


def by_commune_and_district(
    frame: pd.DataFrame, compute: GroupFunction, district_nis: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Apply ``compute`` to every commune (all its rows) and every district (its rows).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``nis`` (the row's own commune) and ``district_id``.
    compute : callable
        Sub-frame -> dict of figures.
    district_nis : mapping, optional
        Commune of each district (a district straddling a border stays one district); by
        default the most frequent ``nis`` of its rows.

    Returns
    -------
    pandas.DataFrame
        ``nis, district_id`` and the keys of the dicts ``compute`` returns.
    """
    rows = []
    for nis, part in frame.groupby("nis", sort=True):
        rows.append({"nis": nis, "district_id": pd.NA, **compute(part)})
    inside = frame[frame["district_id"].notna()]
    unknown = set(inside["district_id"]) - set(district_nis or ())
    if district_nis is not None and unknown:
        raise ValueError(
            f"districts {sorted(unknown)[:5]} have no commune in district_nis; expected the "
            "districts of gold.districts inside the territory (friction.inputs.prepare)"
        )
    for district, part in inside.groupby("district_id", sort=True):
        nis = district_nis[district] if district_nis is not None else part["nis"].mode().iloc[0]
        rows.append({"nis": nis, "district_id": district, **compute(part)})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["nis", "district_id"])
    return out.astype({"nis": "string", "district_id": "string"})


def _share(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator if denominator > 0 else float("nan")


# -- 7 vacancy ------------------------------------------------------------------------------


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


# -- 6 online visibility --------------------------------------------------------------------


def _present(values: pd.Series) -> pd.Series:
    return values.notna() & values.astype("string").str.strip().ne("").fillna(False)


def online_visibility(
    shops: pd.DataFrame, district_nis: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Shares of shops with a website, with opening hours, and of registry shops in OSM.

    Parameters
    ----------
    shops : pandas.DataFrame
        ``silver.shops``: nis, district_id, source (``kbo``, ``osm`` or ``kbo+osm``),
        website, opening_hours.

    Returns
    -------
    pandas.DataFrame
        ``online_website_share`` and ``online_opening_hours_share`` (% of all shops),
        ``online_osm_match_share`` (% of the KBO/BCE shops that have a matching OSM record,
        i.e. source ``kbo+osm`` among ``kbo`` and ``kbo+osm``), ``shops``.
    """

    def compute(part: pd.DataFrame) -> dict[str, float]:
        registry = part["source"].isin(["kbo", "kbo+osm"])
        return {
            "online_website_share": _share(_present(part["website"]).sum(), len(part)),
            "online_opening_hours_share": _share(_present(part["opening_hours"]).sum(), len(part)),
            "online_osm_match_share": _share((part["source"] == "kbo+osm").sum(), registry.sum()),
            "shops": len(part),
        }

    return by_commune_and_district(shops, compute, district_nis)


# -- 10 customer origin ---------------------------------------------------------------------


def customer_communes(transactions: pd.DataFrame, sector_nis: pd.Series) -> pd.Series:
    """Commune NIS of each transaction's customer (``<NA>`` when unknown).

    From ``customer_sector`` through ``sector_nis`` (sector_id -> nis); without a sector,
    from ``customer_postcode``, mapped to the commune most customers of that postcode
    with a known sector live in.
    """
    nis = transactions["customer_sector"].map(sector_nis).astype("string")
    known = transactions.assign(nis=nis).dropna(subset=["nis", "customer_postcode"])
    if not known.empty:
        counts = known.groupby(["customer_postcode", "nis"]).size().rename("n").reset_index()
        counts = counts.sort_values(
            ["customer_postcode", "n", "nis"], ascending=[True, False, True]
        )
        postcode_nis = counts.drop_duplicates("customer_postcode").set_index("customer_postcode")[
            "nis"
        ]
        nis = nis.fillna(transactions["customer_postcode"].map(postcode_nis).astype("string"))
    return nis


def customer_origins(
    transactions: pd.DataFrame, district_nis: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Share of customers (transactions) from another commune than the merchant's.

    Parameters
    ----------
    transactions : pandas.DataFrame
        nis (the merchant's commune), district_id, customer_nis (NA = unknown origin).

    Returns
    -------
    pandas.DataFrame
        ``customers_outside_share`` (% of the transactions with a known origin),
        ``customers_known`` and ``customers_unknown`` (counts).
    """

    def compute(part: pd.DataFrame) -> dict[str, float]:
        known = part["customer_nis"].notna()
        outside = (part.loc[known, "customer_nis"] != part.loc[known, "nis"]).sum()
        return {
            "customers_outside_share": _share(outside, known.sum()),
            "customers_known": int(known.sum()),
            "customers_unknown": int((~known).sum()),
        }

    return by_commune_and_district(transactions, compute, district_nis)


# -- 5 pedestrian flows ---------------------------------------------------------------------

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


# -- 8 weekend visitors and opening hours ---------------------------------------------------

WEEKEND = (5, 6)
DEFAULT_VISITOR_HOURS = (10, 18)
"""Without footfall measures, weekend visitors are spread evenly over 10:00-18:00."""


def default_visitor_profile() -> np.ndarray:
    """(7, 24) weights: Saturday and Sunday, 10:00-18:00, evenly."""
    profile = np.zeros((7, 24))
    start, end = DEFAULT_VISITOR_HOURS
    profile[list(WEEKEND), start:end] = 1.0
    return profile


def hours_overlap(visitors: np.ndarray, open_share: np.ndarray) -> float:
    """% of visitors arriving while shops are open: ``sum V * O / sum V`` over the week.

    Parameters
    ----------
    visitors : numpy.ndarray, shape (7, 24)
        Visitors per weekday (Monday first) and hour.
    open_share : numpy.ndarray, shape (7, 24)
        Share of the shops open in that hour (0-1).
    """
    v, o = np.asarray(visitors, dtype=float), np.asarray(open_share, dtype=float)
    if v.shape != (7, 24) or o.shape != (7, 24):
        raise ValueError(
            f"visitors and open_share must have shape (7, 24); found {v.shape}, {o.shape}"
        )
    total = v.sum()
    return float(100.0 * (v * o).sum() / total) if total > 0 else float("nan")


def weekend_profile(local_ts: pd.Series, counts: pd.Series) -> np.ndarray:
    """(7, 24) mean count per weekday and hour, kept for Saturday and Sunday only.

    ``local_ts`` are Europe/Brussels timestamps of hourly counts.
    """
    frame = pd.DataFrame(
        {
            "d": local_ts.dt.day_of_week.to_numpy(),
            "h": local_ts.dt.hour.to_numpy(),
            "c": pd.to_numeric(counts).to_numpy(float),
        }
    )
    means = frame[frame["d"].isin(WEEKEND)].groupby(["d", "h"])["c"].mean()
    profile = np.zeros((7, 24))
    for (d, h), value in means.items():
        profile[int(d), int(h)] = value
    return profile
