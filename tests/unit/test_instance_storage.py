"""The instance storage of dagster.yaml (assets/storage.py): Dagster's SQLite storage whose
event-log index stays open. Same records as Dagster's own storage, seen across processes and
forks, and one index connection per process instead of one per event."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from assets.storage import HeldIndexEventLogStorage, LocalStorage

ROOT = Path(__file__).resolve().parents[2]


@dg.asset
def upstream() -> int:
    return 1


@dg.asset
def downstream(upstream: int) -> int:
    return upstream + 1


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def materialise(instance: dg.DagsterInstance) -> None:
    assert dg.materialize([upstream, downstream], instance=instance).success


def latest_run(instance: dg.DagsterInstance, key: str) -> str | None:
    found = instance.get_latest_materialization_event(dg.AssetKey(key))
    return found.run_id if found else None


def test_the_project_instance_uses_it_and_records_every_materialisation(home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        assert instance.get_ref().storage_data.class_name == LocalStorage.__name__
        assert isinstance(instance.event_log_storage, HeldIndexEventLogStorage)
        materialise(instance)
        run = instance.get_runs()[0]
        assert latest_run(instance, "upstream") == latest_run(instance, "downstream") == run.run_id
        events = instance.all_logs(run.run_id)  # the run's own database, as Dagster writes it
        assert sum(e.dagster_event is not None and e.dagster_event.is_step_materialization for e in events) == 2
    # where Dagster's default SQLite storage keeps them, so an existing DAGSTER_HOME carries on
    assert (home / "history" / "runs" / "index.db").is_file()
    assert (home / "history" / "runs" / f"{run.run_id}.db").is_file()
    assert (home / "history" / "runs.db").is_file()


def test_one_index_connection_per_process(home: Path) -> None:
    opened: list[str] = []

    def count(dbapi_conn: object, record: object) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            opened.append(dbapi_conn.execute("PRAGMA database_list").fetchone()[2])

    event.listen(Engine, "connect", count)
    try:
        with dg.DagsterInstance.get() as instance:
            materialise(instance)
            opened.clear()
            materialise(instance)
            materialise(instance)
    finally:
        event.remove(Engine, "connect", count)
    index = str(home / "history" / "runs" / "index.db")
    run_shards = [p for p in opened if p.endswith(".db") and "/runs/" in p and p != index]
    assert opened.count(index) == 0  # held since the first run
    assert len(run_shards) > 20  # each run's own database: opened per write, as Dagster does


def test_a_held_index_sees_what_another_process_writes(home: Path) -> None:
    with dg.DagsterInstance.get() as first, dg.DagsterInstance.get() as second:
        materialise(first)
        assert latest_run(second, "downstream") == latest_run(first, "downstream")
        materialise(second)
        newest = second.get_runs(limit=1)[0].run_id
        assert latest_run(first, "downstream") == newest


def test_a_forked_child_opens_its_own_index_connection(home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        materialise(instance)
        storage = instance.event_log_storage
        parent_engine = storage._index()  # noqa: SLF001
        before = instance.get_latest_materialization_event(dg.AssetKey("upstream")).timestamp
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: read and write through the inherited storage object
            try:
                fresh = storage._index() is not parent_engine  # noqa: SLF001
                seen = latest_run(instance, "upstream")
                instance.report_runless_asset_event(dg.AssetMaterialization("upstream"))
                os.write(write, pickle.dumps((fresh, seen)))
            finally:
                os._exit(0)
        os.close(write)
        deadline = time.monotonic() + 120
        while os.waitpid(pid, os.WNOHANG) == (0, 0):  # never hang the suite on a stuck child
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail("the forked child did not finish within 120 s")
            time.sleep(0.05)
        with os.fdopen(read, "rb") as pipe:
            fresh, seen = pickle.loads(pipe.read())
        assert fresh
        assert seen == instance.get_runs(limit=1)[0].run_id  # the child read the parent's run
        # the parent's held connection still works and sees the child's write
        assert storage._index() is parent_engine  # noqa: SLF001
        assert instance.get_latest_materialization_event(dg.AssetKey("upstream")).timestamp > before


def test_wipe_and_reference_round_trip(home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        materialise(instance)
        ref = instance.get_ref()
        with dg.DagsterInstance.from_ref(ref) as again:  # how run workers rebuild the instance
            assert isinstance(again.event_log_storage, HeldIndexEventLogStorage)
            assert latest_run(again, "upstream") == latest_run(instance, "upstream")
        instance.wipe()
        assert latest_run(instance, "upstream") is None
        materialise(instance)
        assert latest_run(instance, "upstream") is not None
