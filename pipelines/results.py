"""What an engine function hands back to the asset that called it: the one check type and a
built table with its figures.

An engine function computes its table and the figures of its own checks; the asset writes the
table and turns :class:`Check` into Dagster check results (``assets/common.py``). The engine
never sees Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Check:
    """The result of one asset check: its name, whether it passed, what it measured.

    ``warn`` marks a check whose failure is a warning (data coverage), not an error
    (integrity, conservation).
    """

    name: str
    passed: bool
    metadata: dict[str, object] = field(default_factory=dict)
    warn: bool = False


@dataclass
class TableResult:
    """A built table, the metadata of its materialisation and its checks."""

    frame: pd.DataFrame
    metadata: dict[str, object] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
