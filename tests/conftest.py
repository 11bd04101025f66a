"""Shared fixtures: the real data folder (fails under CI when missing, never skips there)."""

from __future__ import annotations

import pytest
from support import realdata_path


@pytest.fixture
def realdata():
    return realdata_path
