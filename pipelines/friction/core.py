"""Friction indicators ("points de friction") per commune and per shopping district.

The ten indicators of ``docs/indicators/friction.md`` land in one long table,
``gold.commune_indicators``: ``nis, district_id (null for the commune as a whole),
indicator, value, unit, reference, computed_at``. This module holds their catalogue (codes,
French and English names, units), the district membership of points and the helpers that
turn per-place results into rows. The computations live in :mod:`pipelines.transit`
(public transport), :mod:`pipelines.friction.reach` (street-network reach) and
:mod:`pipelines.friction.stats` (tables of the lake). Pure pandas/geopandas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.privacy import below_k

__all__ = [
    "COMMUNE_ONLY",
    "INDICATORS",
    "OUTPUT_COLUMNS",
    "Indicator",
    "assign_districts",
    "indicator_rows",
    "indicator_table",
    "missing_rows",
    "suppress_small",
]

OUTPUT_COLUMNS = ("nis", "district_id", "indicator", "value", "unit", "reference", "computed_at")


@dataclass(frozen=True)
class Indicator:
    """One figure of the catalogue: which of the ten indicators, names, unit."""

    number: int
    name_fr: str
    name_en: str
    unit: str


CATALOGUE_CSV = Path(__file__).resolve().parents[2] / "geodata" / "friction_indicators.csv"
"""The catalogue: code, number (1-10), unit, name_fr, name_en (one row per indicator)."""


def read_catalogue(path: Path = CATALOGUE_CSV) -> dict[str, Indicator]:
    """Indicator code -> :class:`Indicator`, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Indicator(int(row["number"]), row["name_fr"], row["name_en"], row["unit"])
            for row in csv.DictReader(handle)
        }


INDICATORS: dict[str, Indicator] = read_catalogue()
"""Every indicator code of ``gold.commune_indicators`` with its names and unit."""

COMMUNE_ONLY = frozenset(
    {
        "pt_class_high_share",
        "pt_class_medium_share",
        "pt_class_low_share",
        "pt_class_none_share",
        "pt_stops_without_departures",
    }
)
"""Indicators given for communes only (the others also for every district)."""


def missing_rows(
    table: pd.DataFrame, communes: Iterable[str], districts: Iterable[str]
) -> list[str]:
    """(place, indicator) pairs absent from ``table``: every commune needs every indicator,
    every district every indicator except :data:`COMMUNE_ONLY`."""
    have = set(
        zip(
            table["nis"].astype(str),
            table["district_id"].fillna("").astype(str),
            table["indicator"],
            strict=True,
        )
    )
    by_district = dict(
        zip(
            table["district_id"].dropna().astype(str),
            table.loc[table["district_id"].notna(), "nis"].astype(str),
            strict=False,
        )
    )
    missing = [
        f"{nis}/{code}"
        for nis in communes
        for code in INDICATORS
        if (str(nis), "", code) not in have
    ]
    for district in districts:
        nis = by_district.get(str(district), "?")
        missing += [
            f"{district}/{code}"
            for code in INDICATORS
            if code not in COMMUNE_ONLY and (nis, str(district), code) not in have
        ]
    return missing


def assign_districts(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """The district holding each point (``<NA>`` outside every district).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points (any CRS with a definition).
    districts : geopandas.GeoDataFrame
        ``district_id`` and polygon ``geometry``. Where outlines overlap, a point goes to the
        first district in table order.

    Returns
    -------
    pandas.Series of string, aligned with ``points``.
    """
    if points.crs is None or districts.crs is None:
        raise ValueError("points and districts need a CRS (EPSG:4326 in the lake)")
    out = pd.Series(pd.NA, index=points.index, dtype="string")
    if points.empty or districts.empty:
        return out
    left = gpd.GeoDataFrame(geometry=points.geometry.to_crs(CRS_METRIC).to_numpy(), crs=CRS_METRIC)
    left["row"] = np.arange(len(points))
    right = gpd.GeoDataFrame(
        {
            "district_id": districts["district_id"].astype("string").to_numpy(),
            "order": np.arange(len(districts)),
        },
        geometry=districts.geometry.to_crs(CRS_METRIC).to_numpy(),
        crs=CRS_METRIC,
    )
    hits = (
        gpd.sjoin(left, right, predicate="within")
        .sort_values(["row", "order"])
        .drop_duplicates("row")
    )
    out.iloc[hits["row"].to_numpy()] = hits["district_id"].to_numpy()
    return out


def indicator_rows(
    frame: pd.DataFrame,
    indicator: str,
    value: str | Iterable[float],
    reference: str | pd.Series,
) -> pd.DataFrame:
    """Rows of one indicator from a frame with ``nis`` and optional ``district_id`` columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per commune (``district_id`` absent or NA) or district.
    indicator : str
        A code of :data:`INDICATORS` (its unit is taken from there).
    value : str or iterable of float
        Column of ``frame`` holding the value, or the values themselves (NaN = no value).
    reference : str or pandas.Series
        Method and data source in a few words (a series gives one text per row).
    """
    if indicator not in INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r}; expected one of {sorted(INDICATORS)}")
    values = frame[value] if isinstance(value, str) else pd.Series(list(value), index=frame.index)
    district = (
        frame["district_id"]
        if "district_id" in frame.columns
        else pd.Series(pd.NA, index=frame.index)
    )
    return pd.DataFrame(
        {
            "nis": frame["nis"].astype("string").to_numpy(),
            "district_id": district.astype("string").to_numpy(),
            "indicator": indicator,
            "value": pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(),
            "unit": INDICATORS[indicator].unit,
            "reference": reference.to_numpy() if isinstance(reference, pd.Series) else reference,
        }
    )


def indicator_table(parts: Iterable[pd.DataFrame], computed_at: pd.Timestamp) -> pd.DataFrame:
    """Concatenate indicator rows into ``gold.commune_indicators`` (typed, sorted, unique).

    Raises
    ------
    ValueError
        If a (nis, district_id, indicator) key appears twice.
    """
    table = pd.concat(list(parts), ignore_index=True)
    table["computed_at"] = (
        pd.Timestamp(computed_at).tz_convert("UTC")
        if pd.Timestamp(computed_at).tzinfo
        else pd.Timestamp(computed_at).tz_localize("UTC")
    )
    table = table.astype(
        {
            "nis": "string",
            "district_id": "string",
            "indicator": "string",
            "unit": "string",
            "reference": "string",
        }
    )
    keys = ["nis", "district_id", "indicator"]
    dupes = table[table.duplicated(keys, keep=False)]
    if not dupes.empty:
        first = dupes.iloc[0]
        raise ValueError(
            f"indicator {first['indicator']} appears twice for nis {first['nis']}, district {first['district_id']}"
        )
    order = {code: i for i, code in enumerate(INDICATORS)}
    table["_order"] = table["indicator"].map(order)
    table = table.sort_values(["nis", "district_id", "_order"], na_position="first").drop(
        columns="_order"
    )
    return table[list(OUTPUT_COLUMNS)].reset_index(drop=True)


def suppress_small(values: pd.Series, counts: pd.Series, k: int) -> pd.Series:
    """Values computed from fewer than ``k`` people (devices, customers, trips) become NaN.

    Parameters
    ----------
    values, counts : pandas.Series
        Aligned: each value and the number of people behind it.
    k : int
        Suppression threshold (``SettingsResource.suppression_k``, default 10); a missing
        count is below it (:func:`pipelines.privacy.below_k`).
    """
    return values.where(~below_k(counts, k).to_numpy())


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 (the lake's CRS)."""
    return (
        frame if frame.crs is not None and frame.crs.to_epsg() == 4326 else frame.to_crs(CRS_WGS84)
    )
