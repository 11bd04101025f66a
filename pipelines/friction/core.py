"""Friction indicators ("points de friction") per commune and per shopping district.

The ten indicators of ``docs/indicators/friction.md`` land in one long table,
``gold.commune_indicators``: ``nis, district_id (null for the commune as a whole),
indicator, value, unit, status, needs, reference, computed_at``. This module holds their
catalogue (codes, French and English names, units, the source families each needs) and the
helpers that turn per-place results into rows and say whether each was computed. The computations live in :mod:`pipelines.transit`
(public transport), :mod:`pipelines.friction.reach` (street-network reach) and
:mod:`pipelines.friction.stats` (tables of the lake). Pure pandas/geopandas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.availability import FAMILIES
from pipelines.privacy import below_k

__all__ = [
    "COMMUNE_ONLY",
    "INDICATORS",
    "OUTPUT_COLUMNS",
    "SOURCE_FAMILIES",
    "STATUSES",
    "Indicator",
    "apply_needs",
    "indicator_rows",
    "indicator_table",
    "missing_families",
    "missing_rows",
    "suppress_small",
]

OUTPUT_COLUMNS = (
    "nis", "district_id", "indicator", "value", "unit", "status", "needs", "reference",
    "computed_at",
)  # fmt: skip
"""Columns of ``gold.commune_indicators``."""

SOURCE_FAMILIES = tuple(FAMILIES)
"""Canonical source families (:data:`pipelines.availability.FAMILIES`, the ``source``
column of ``bronze.source_status``), in report order."""

COMPUTED, NOT_COMPUTABLE, SUPPRESSED = "computed", "not_computable", "suppressed"
STATUSES = (COMPUTED, NOT_COMPUTABLE, SUPPRESSED)
"""``status`` of a row: computed (the value may still be null, e.g. a commune without a
shopping district), not computable (a needed source family is not held: ``needs`` lists
them, the value is null, never imputed), suppressed (fewer than k people behind it)."""
SCHEMA = pa.schema(
    [
        ("nis", pa.string()),
        ("district_id", pa.string()),
        ("indicator", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("status", pa.string()),
        ("needs", pa.list_(pa.string())),
        ("reference", pa.string()),
        ("computed_at", pa.timestamp("ns", tz="UTC")),
    ]
)
"""Arrow schema of ``gold.commune_indicators`` (``needs`` is list<string> even when every
list is empty, which type inference would make list<null>)."""


@dataclass(frozen=True)
class Indicator:
    """One figure of the catalogue: which of the ten indicators, names, unit, and the
    source families it needs: every group must be held, a group by any of its families
    (``(("wifi", "counters"),)``: WiFi sensors or counters)."""

    number: int
    name_fr: str
    name_en: str
    unit: str
    needs: tuple[tuple[str, ...], ...] = ()


def parse_needs(text: str) -> tuple[tuple[str, ...], ...]:
    """``"gtfs+osm"`` -> ``(("gtfs",), ("osm",))``; ``"wifi|counters"`` -> one group of two.

    Raises
    ------
    ValueError
        If a family is not one of :data:`SOURCE_FAMILIES`.
    """
    groups = tuple(
        tuple(f.strip() for f in group.split("|")) for group in text.split("+") if group.strip()
    )
    unknown = {f for g in groups for f in g} - set(SOURCE_FAMILIES)
    if unknown:
        raise ValueError(
            f"unknown source families {sorted(unknown)} in {text!r}; expected {SOURCE_FAMILIES}"
        )
    return groups


CATALOGUE_CSV = Path(__file__).resolve().parents[2] / "geodata" / "friction_indicators.csv"
"""The catalogue: code, number (1-10), unit, needs (source families, ``+`` = and,
``|`` = or), name_fr, name_en (one row per indicator)."""


def read_catalogue(path: Path = CATALOGUE_CSV) -> dict[str, Indicator]:
    """Indicator code -> :class:`Indicator`, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Indicator(
                int(row["number"]),
                row["name_fr"],
                row["name_en"],
                row["unit"],
                parse_needs(row.get("needs") or ""),
            )
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
    if table.empty:
        table = table.reindex(
            columns=["nis", "district_id", "indicator", "value", "unit", "reference"]
        )
        table["value"] = table["value"].astype("float64")
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
    suppressed = table["reference"].str.startswith("suppressed").fillna(False)
    table["status"] = pd.Series(
        np.where(suppressed.to_numpy(), SUPPRESSED, COMPUTED), index=table.index, dtype="string"
    )
    table["needs"] = pd.Series([[] for _ in range(len(table))], index=table.index, dtype="object")
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


def missing_families(code: str, held: Iterable[str]) -> list[str]:
    """Source families indicator ``code`` needs that are not held (in
    :data:`SOURCE_FAMILIES` order; empty when it can be computed)."""
    have = set(held)
    missing = {f for group in INDICATORS[code].needs if not have & set(group) for f in group}
    return [f for f in SOURCE_FAMILIES if f in missing]


def apply_needs(table: pd.DataFrame, held: Iterable[str]) -> pd.DataFrame:
    """Rows of indicators whose sources are not all held become ``not_computable``: null
    value, ``needs`` = the missing families, the reference says so. Never imputed.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`indicator_table` output.
    held : iterable of str
        Source families the commune holds (``bronze.source_status`` with status held).
    """
    held = frozenset(held)
    out = table.copy()
    missing = {code: missing_families(code, held) for code in INDICATORS}
    lacking = out["indicator"].map(lambda c: bool(missing[c])).astype(bool).to_numpy()
    if not lacking.any():
        return out
    out.loc[lacking, "value"] = np.nan
    out.loc[lacking, "status"] = NOT_COMPUTABLE
    out["needs"] = pd.Series(
        [missing[c] if bad else [] for c, bad in zip(out["indicator"], lacking, strict=True)],
        index=out.index,
        dtype="object",
    )
    out.loc[lacking, "reference"] = [
        f"not computable: needs {', '.join(missing[c])}; " + str(r)
        for c, r in zip(out.loc[lacking, "indicator"], out.loc[lacking, "reference"], strict=True)
    ]
    return out


def indicator_arrow(table: pd.DataFrame) -> pa.Table:
    """``gold.commune_indicators`` as an Arrow table with :data:`SCHEMA` (for writing)."""
    frame = table[list(OUTPUT_COLUMNS)].copy()
    frame["needs"] = [list(n) if n is not None else [] for n in frame["needs"]]
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
