"""The rows helpers every indicator family uses: one row per commune (``district_id`` NA,
the commune as a whole) and per shopping district, and the privacy suppression.

A commune row describes the commune as a whole: its residents (shares, 2SFCA), its shops,
registers and customers, or, for indicators about shopping districts (reach, parking,
tourism, delivery, congestion), all its districts together (each place counted once). A
district row describes one district. The rows carry ``nis, district_id, indicator, value,
reference`` (and ``support``, the people behind a privacy-sensitive figure);
:func:`pipelines.friction.table.indicator_table` adds the unit, status and needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from pipelines.friction.inputs import Places
from pipelines.privacy import below_k

GroupFunction = Callable[[pd.DataFrame], dict[str, float]]


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


def share(numerator: float, denominator: float) -> float:
    """``100 * numerator / denominator`` (NaN when the denominator is not positive)."""
    return 100.0 * numerator / denominator if denominator > 0 else float("nan")


def place_rows(
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
        An indicator code.
    value : str or iterable of float
        Column of ``frame`` holding the value, or the values themselves (NaN = no value).
    reference : str or pandas.Series
        Method and data source in a few words (a series gives one text per row).
    """
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
            "reference": reference.to_numpy() if isinstance(reference, pd.Series) else reference,
        }
    )


def levels(
    places: Places,
    per_district: Mapping[str, np.ndarray],
    per_commune: Mapping[str, np.ndarray],
    communes: np.ndarray,
) -> pd.DataFrame:
    """One frame with commune rows (district_id NA) then district rows."""
    districts = pd.DataFrame(
        {"nis": places.district_nis, "district_id": places.district_ids, **per_district}
    )
    towns = pd.DataFrame({"nis": communes, "district_id": pd.NA, **per_commune})
    return pd.concat([towns, districts], ignore_index=True)


def level_rows(
    places: Places,
    communes: np.ndarray,
    code: str,
    district: np.ndarray,
    commune: np.ndarray,
    reference: str,
) -> pd.DataFrame:
    """:func:`place_rows` of one indicator from its district and commune values."""
    frame = levels(places, {"v": np.asarray(district)}, {"v": np.asarray(commune)}, communes)
    return place_rows(frame, code, "v", reference)


def keys(places: Places, communes: np.ndarray) -> pd.DataFrame:
    """``nis, district_id`` of every commune (district NA) then every district."""
    towns = pd.DataFrame({"nis": communes, "district_id": pd.NA})
    districts = pd.DataFrame({"nis": places.district_nis, "district_id": places.district_ids})
    return pd.concat([towns, districts], ignore_index=True).astype("string")


def complete(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Every commune and district of ``keys``, NaN where ``frame`` has no row."""
    frame = frame.astype({"nis": "string", "district_id": "string"})
    return keys.merge(frame, on=["nis", "district_id"], how="left")


def figure_rows(
    frame: pd.DataFrame,
    keys: pd.DataFrame,
    codes: Mapping[str, str],
    k: int | None = None,
    count: str | None = None,
) -> list[pd.DataFrame]:
    """Rows of each code (a column of ``frame``, with its reference text) for every key.

    With ``k`` and ``count``, values from fewer than k people (column ``count``) are blanked,
    their reference starts with "suppressed", and the rows carry a ``support`` column.
    """
    full = complete(frame, keys)
    out = []
    for code, reference in codes.items():
        values = full[code] if code in full.columns else pd.Series(np.nan, index=full.index)
        ref = pd.Series(reference, index=full.index, dtype="string")
        if k is None or count is None:
            out.append(place_rows(full.assign(_v=values), code, "_v", ref))
            continue
        people = full[count] if count in full.columns else pd.Series(np.nan, index=full.index)
        kept = suppress_small(values, people, k)
        ref = ref.where(kept.notna() | values.isna(), f"suppressed (fewer than {k}); " + reference)
        rows = place_rows(full.assign(_v=kept), code, "_v", ref)
        rows["support"] = people.fillna(0).to_numpy(float)
        out.append(rows)
    return out


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


def split_by(frame: pd.DataFrame, column: str) -> Callable[[object], pd.DataFrame]:
    """``key -> frame[frame[column] == key]`` (rows in their order; no row: the empty frame),
    the frame split once: a family that takes the rows of every district and commune does
    not search the whole frame for each one."""
    parts = {key: rows for key, rows in frame.groupby(column, sort=False)} if len(frame) else {}
    return lambda key: parts.get(key, frame.iloc[0:0])
