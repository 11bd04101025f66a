"""One base exception; bad input raises a ValueError subclass with file, row and problem."""

from __future__ import annotations

from pathlib import Path


class SmartCommerceError(Exception):
    """Base class of every error raised on purpose by smartcommerce."""


class InputError(SmartCommerceError, ValueError):
    """A landing file cannot be read at all (missing, wrong format, missing columns).

    Row-level problems do not raise: the row goes to quarantine with its reason.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        parts = [problem]
        if expected is not None:
            parts.append(f"expected {expected}")
        if found is not None:
            parts.append(f"found {found}")
        where = ""
        if path is not None:
            where = f"{path}"
            if row is not None:
                where += f", row {row}"
            where += ": "
        super().__init__(where + "; ".join(parts))
        self.path = None if path is None else str(path)
        self.row = row
        self.problem = problem


class ConfigError(SmartCommerceError, ValueError):
    """A setting (environment variable, config file, CLI flag) is invalid."""
