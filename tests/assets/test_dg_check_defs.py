"""`dg check defs`, what `make validate` and a deployment run, loads the code location that
pyproject.toml's `[tool.dg]` names, from this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_dg_check_defs_passes(tmp_path):
    dg = Path(sys.executable).parent / "dg"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run([str(dg), "check", "defs"], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "All definitions loaded successfully" in out
