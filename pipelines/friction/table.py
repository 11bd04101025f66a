"""``gold.commune_indicators``: its columns and schema, the statuses, and the assembly of
the families' rows into the table (unit from the catalogue, status, needs).

``gold.commune_indicators``: ``nis, district_id (null for the commune as a whole),
indicator, value, unit, status, needs, reference, computed_at``, one row per commune or
district and indicator of :data:`pipelines.friction.catalogue.INDICATORS`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.friction.catalogue import INDICATORS
from pipelines.friction.rows import place_rows
from pipelines.friction.spec import SOURCE_FAMILIES

__all__ = [
    "COMPUTED",
    "NOT_COMPUTABLE",
    "OUTPUT_COLUMNS",
    "SCHEMA",
    "STATUSES",
    "SUPPRESSED",
    "apply_needs",
    "indicator_arrow",
    "indicator_rows",
    "indicator_table",
    "missing_families",
    "missing_rows",
]

OUTPUT_COLUMNS = (
    "nis", "district_id", "indicator", "value", "unit", "status", "needs", "reference",
    "computed_at",
)  # fmt: skip
"""Columns of ``gold.commune_indicators``."""

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
KEYS = ["nis", "district_id", "indicator"]


def _known(codes: Iterable[str]) -> None:
    unknown = sorted(set(codes) - set(INDICATORS))
    if unknown:
        raise ValueError(f"unknown indicators {unknown}; expected one of {sorted(INDICATORS)}")


def indicator_rows(
    frame: pd.DataFrame,
    indicator: str,
    value: str | Iterable[float],
    reference: str | pd.Series,
) -> pd.DataFrame:
    """:func:`pipelines.friction.rows.place_rows` of a catalogue indicator, with its unit.

    Raises
    ------
    ValueError
        If ``indicator`` is not in the catalogue.
    """
    _known([indicator])
    rows = place_rows(frame, indicator, value, reference)
    rows.insert(4, "unit", INDICATORS[indicator].unit)
    return rows


def _stamp(computed_at: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(computed_at)
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


def indicator_table(parts: Iterable[pd.DataFrame], computed_at: pd.Timestamp) -> pd.DataFrame:
    """Concatenate indicator rows into ``gold.commune_indicators`` (typed, sorted, unique;
    the unit of each row is its indicator's).

    Raises
    ------
    ValueError
        If an indicator is not in the catalogue or a (nis, district_id, indicator) key
        appears twice.
    """
    table = pd.concat(list(parts), ignore_index=True)
    if table.empty:
        table = table.reindex(columns=["nis", "district_id", "indicator", "value", "reference"])
        table["value"] = table["value"].astype("float64")
    _known(table["indicator"])
    table["unit"] = table["indicator"].map({c: i.unit for c, i in INDICATORS.items()})
    table["computed_at"] = _stamp(computed_at)
    text = ("nis", "district_id", "indicator", "unit", "reference")
    table = table.astype(dict.fromkeys(text, "string"))
    dupes = table[table.duplicated(KEYS, keep=False)]
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


def missing_families(code: str, held: Iterable[str]) -> list[str]:
    """Source families indicator ``code`` needs that are not held (in
    :data:`SOURCE_FAMILIES` order; empty when it can be computed)."""
    have = set(held)
    missing = {f for group in INDICATORS[code].need_groups if not have & set(group) for f in group}
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


def missing_rows(
    table: pd.DataFrame, communes: Iterable[str], districts: Iterable[str]
) -> list[str]:
    """(place, indicator) pairs absent from ``table``: every commune needs every indicator,
    every district every indicator that is not ``commune_only``."""
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
        f"{nis}/{code}" for nis in communes for code in INDICATORS if (str(nis), "", code) not in have
    ]
    for district in districts:
        nis = by_district.get(str(district), "?")
        missing += [
            f"{district}/{code}"
            for code, indicator in INDICATORS.items()
            if not indicator.commune_only and (nis, str(district), code) not in have
        ]
    return missing


def indicator_arrow(table: pd.DataFrame) -> pa.Table:
    """``gold.commune_indicators`` as an Arrow table with :data:`SCHEMA` (for writing)."""
    frame = table[list(OUTPUT_COLUMNS)].copy()
    frame["needs"] = [list(n) if n is not None else [] for n in frame["needs"]]
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
