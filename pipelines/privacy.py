"""Small-count suppression: no published figure may rest on fewer than k devices or people.

WiFi counts, mobile-phone flows and customer records are personal data. Before a figure
leaves the lake's private layers (gold tables, exports) every row carries the number of
devices (or customers) it was computed from; :func:`suppress` blanks the figures of the rows
below k and :func:`violations` proves afterwards that none slipped through. Usable by every
domain (footfall, OD flows, vouchers)::

    published = suppress(frame, "devices", k=10, value_cols=["footfall", "devices"])
    assert violations(published, "devices", k=10, value_cols=["footfall"]).empty
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipelines.constants import SUPPRESSION_K
from pipelines.errors import ConfigError

SUPPRESSED = "suppressed"
"""Name of the boolean column that says a row's figures were blanked."""


def check_k(k: int) -> int:
    """Validate a suppression threshold: an integer >= 1 (``True``/``False`` are refused)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"suppression k must be an integer >= 1, found {k!r}")
    return k


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"suppression: columns {missing} not in the table; found {list(frame.columns)}"
        )


def below_k(counts: pd.Series, k: int) -> pd.Series:
    """True where a count is missing or below ``k`` (a missing basis is never published)."""
    values = pd.to_numeric(counts, errors="coerce").astype("float64")
    return values.isna() | (values < check_k(k))


def suppress(
    frame: pd.DataFrame,
    count_col: str,
    k: int = SUPPRESSION_K,
    value_cols: Sequence[str] = (),
    *,
    flag_col: str = SUPPRESSED,
) -> pd.DataFrame:
    """Blank the figures of rows built from fewer than ``k`` devices/customers.

    Parameters
    ----------
    frame
        One row per published figure (or group of figures).
    count_col
        Number of devices, people or customers behind the row's figures.
    k
        Threshold: rows with ``count_col < k`` (or missing) are suppressed.
    value_cols
        The figures to blank (set to missing) on suppressed rows. ``count_col`` is always
        blanked too, since a small count is itself a small figure.
    flag_col
        Boolean column added (or combined with an existing one by OR) marking suppressed rows.

    Returns
    -------
    pandas.DataFrame
        A copy; integer columns become nullable (``Int64``) so that blanks stay typed.
    """
    cols = list(dict.fromkeys([*value_cols, count_col]))
    _require(frame, cols)
    out = frame.copy()
    mask = below_k(out[count_col], k)
    for col in cols:
        if pd.api.types.is_integer_dtype(out[col]) and not isinstance(
            out[col].dtype, pd.Int64Dtype
        ):
            out[col] = out[col].astype("Int64")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("boolean")
        out[col] = out[col].mask(mask)
    previous = out[flag_col].fillna(False).astype(bool) if flag_col in out.columns else False
    out[flag_col] = mask | previous
    return out


def violations(
    frame: pd.DataFrame,
    count_col: str,
    k: int = SUPPRESSION_K,
    value_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows that publish a figure although fewer than ``k`` devices stand behind it.

    A row breaks the rule when any of ``value_cols`` (or ``count_col`` itself) holds a value
    while ``count_col`` is missing or below ``k``. An empty result proves the table safe.
    """
    cols = list(dict.fromkeys([*value_cols, count_col]))
    _require(frame, cols)
    shown = frame[cols].notna().any(axis=1)
    return frame[shown & below_k(frame[count_col], k)]
