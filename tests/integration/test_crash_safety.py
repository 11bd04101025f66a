"""kill -9 in the middle of a run, then a rerun, gives the same lake as a clean run, and no
reader ever sees a half-written table.

A real subprocess (``python -m assets.cli run``) is killed with SIGKILL when its log shows
that a step of the target layer has started; the test checks that every visible Parquet file
opens, starts the next run (killed at the next point) from that state, and finally reruns to
the end and compares every table with the clean run's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets import cli
from pipelines.demo import generate

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
AUDIT_COLUMNS = ["computed_at"]
KILL_POINTS = {
    "mid-bronze": 'step "bronze__kbo"',
    "mid-silver": 'step "silver__road_network"',
    "mid-gold": 'step "friction"',
    "mid-export": 'step "exports__h3_cells"',
    "mid-warehouse": 'step "exports__warehouse"',
}
"""Where to kill: the run is killed as soon as its log shows this step started."""


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["SMARTCOMMERCE_DATA"] = str(root)
    return env


def _run_and_kill(root: Path, marker: str, timeout: float = 300) -> None:
    logs = root / "logs"
    before = set(logs.glob("*.log")) if logs.exists() else set()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assets.cli", "--data", str(root), "run"],
        cwd=REPO, env=_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            new = [p for p in logs.glob("*.log") if p not in before] if logs.exists() else []
            if new and f"Started execution of {marker}" in new[0].read_text(errors="replace"):
                time.sleep(0.3)  # let the step get into its writes
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
                return
            if proc.poll() is not None:
                pytest.fail(f"the run ended (code {proc.returncode}) before {marker} started")
            time.sleep(0.05)
        pytest.fail(f"{marker} never started")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for path in sorted((root / "lake").rglob("*.parquet")):
        if path.name.startswith("."):
            continue
        out[str(path.relative_to(root))] = pd.read_parquet(path).drop(columns=AUDIT_COLUMNS, errors="ignore")
    return out


def _assert_readable(root: Path) -> None:
    """Every file a reader can see (not hidden temporary files) is complete."""
    for path in (root / "lake").rglob("*.parquet"):
        if not path.name.startswith("."):
            pq.read_metadata(path)
    exports = root / "exports"
    for path in exports.glob("*.parquet") if exports.exists() else []:
        pq.read_metadata(path)
    if (root / "warehouse.duckdb").exists():
        duckdb.connect(str(root / "warehouse.duckdb"), read_only=True).close()


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("clean")
    generate(root / "landing", seed=42, days=2)
    os.environ.pop("DAGSTER_HOME", None)
    assert cli.main(["--data", str(root), "run"]) == 0
    return root, _tables(root)


def test_kills_at_five_points_then_a_rerun_give_the_clean_result(clean_run, tmp_path, monkeypatch):
    """SIGKILL mid-bronze, then (rerunning from that state) mid-silver, mid-gold, mid-export and
    mid-warehouse; after each kill every visible file is whole; the final rerun equals a clean run."""
    clean_root, clean = clean_run
    root = tmp_path / "data"
    shutil.copytree(clean_root / "landing", root / "landing")
    for point, marker in KILL_POINTS.items():
        _run_and_kill(root, marker)
        try:
            _assert_readable(root)
        except Exception as exc:  # pragma: no cover - the message says where
            raise AssertionError(f"a half-written file is visible after the kill {point}") from exc
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert cli.main(["--data", str(root), "run"]) == 0
    _assert_readable(root)
    again = _tables(root)
    assert sorted(again) == sorted(clean)
    for name, frame in clean.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
