"""One base exception; bad input raises a ValueError subclass with file, row and problem."""

from __future__ import annotations

from pathlib import Path


class SmartCommerceError(Exception):
    """Base class of every error raised on purpose by smartcommerce."""


class InputError(SmartCommerceError, ValueError):
    """A reader was called wrongly: its file or folder does not exist (whether a source is
    delivered is the caller's decision), or an argument is invalid.

    Bad *content* does not raise: a bad row goes to quarantine with its reason, and a file
    that cannot be read at all (empty, header only, not a zip, not JSON, a required column
    missing) is one file-level quarantine row (``row_number`` 0). Readers build such rows
    from an ``InputError``'s :attr:`detail` (the message without the path).
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
        self.detail = "; ".join(parts)
        self.path = None if path is None else str(path)
        self.row = row
        self.problem = problem


class ConfigError(SmartCommerceError, ValueError):
    """A setting (environment variable, config file, CLI flag) is invalid."""
