"""A small part of the demo through Dagster's Celery executor: a real redis on loopback as broker
and result backend, a real Celery worker process, the steps executed in the worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from assets import executors
from benchmarks import executors as executor_bench

REPO = Path(__file__).resolve().parents[2]
PART = ("bronze/statbel_communes", "bronze/statbel_sectors", "silver/communes", "silver/sectors")

pytestmark = pytest.mark.slow


@pytest.fixture
def celery_worker(redis_server, demo_root, tmp_path, monkeypatch):
    """A Celery worker of dagster_celery.app (two processes) consuming the test's redis, set up
    as docs/deployment.md tells a worker machine."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SMARTCOMMERCE_DATA": str(demo_root),
        "SMARTCOMMERCE_CELERY_BROKER": redis_server,
        # the checkout and the shipped worker settings (docs/deployment/cluster/dagster_celery_config.py)
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "docs" / "deployment" / "cluster")]),
    }
    for name in ("DAGSTER_HOME", "SMARTCOMMERCE_DATA"):
        monkeypatch.setenv(name, env[name])
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "dagster_celery.app", "worker",
         "--prefetch-multiplier=1", "--concurrency=2", "--loglevel=INFO", "-n", "smartcommerce-test@%h"],
        env=env, cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_worker(redis_server, worker, log)
        yield {"broker": redis_server, "home": home, "log": log, "pid": worker.pid}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for_worker(broker: str, worker: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    from celery import Celery

    app = Celery(broker=broker, backend=broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{log.read_text()[-3000:]}")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError(f"celery worker not ready after {timeout} s:\n{log.read_text()[-3000:]}")


# raised inside dagster_celery when the executor builds its task signature
@pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered")
def test_demo_part_runs_on_a_celery_worker(celery_worker, demo_root):
    with dg.DagsterInstance.get() as instance:
        baseline, in_process_s = executor_bench.run("in_process", instance, PART)
        assert baseline.success
        result, celery_s = executor_bench.run("celery", instance, PART, broker=celery_worker["broker"])
        assert result.success, celery_worker["log"].read_text()[-3000:]
        starts = [e for e in instance.all_logs(result.run_id)
                  if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"]
        assert len(starts) == len(PART)
        # every step ran in a worker process, none in this one
        assert {e.dagster_event.pid for e in starts}.isdisjoint({os.getpid()})
        materialised = {e.dagster_event.asset_key.to_user_string() for e in instance.all_logs(result.run_id)
                        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"}
        assert materialised == set(PART)
    assert "execute_plan" in celery_worker["log"].read_text()
    assert (demo_root / "lake" / "silver" / "sectors.parquet").exists()
    print(f"\n{len(PART)} assets: in-process {in_process_s:.1f} s, celery {celery_s:.1f} s")


def test_executor_chosen_by_environment(monkeypatch):
    monkeypatch.delenv(executors.EXECUTOR_ENV, raising=False)
    assert executors.executor_from_env() is None
    monkeypatch.setenv(executors.EXECUTOR_ENV, "multiprocess")
    assert executors.executor_from_env() is dg.multiprocess_executor
    monkeypatch.setenv(executors.EXECUTOR_ENV, "celery")
    monkeypatch.setenv(executors.BROKER_ENV, "redis://127.0.0.1:1/0")
    assert executors.executor_from_env().name == "celery"
    monkeypatch.setenv(executors.EXECUTOR_ENV, "dask")
    with pytest.raises(ValueError, match="unknown executor"):
        executors.executor_from_env()
    forkserver = executors.run_config("forkserver", max_concurrent=2)["execution"]["config"]
    assert forkserver == {"max_concurrent": 2, "start_method": executors.FORKSERVER}
