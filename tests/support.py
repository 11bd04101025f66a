"""Helpers every test may import (``from support import realdata_path``): the real data
folder, which fails the test under CI when it is missing and never skips there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = (REPO / ".." / "shared" / "realdata").resolve()


def realdata_path(sub: str) -> Path:
    """Path of a file or folder under ../shared/realdata; fail under CI when it is missing."""
    path = REALDATA / sub
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"real data missing under CI: {path}")
        pytest.skip(f"real data missing: {path}")
    return path
