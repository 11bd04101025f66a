"""Pieces of a step in forked worker processes: same results, same order, errors raised,
a killed worker's pieces computed in the parent."""

from __future__ import annotations

import logging
import os
import time

import pytest

from pipelines import workers
from pipelines.errors import ConfigError


def test_results_in_order_computed_in_children():
    parent = os.getpid()
    out = workers.fork_map(lambda x: (x * x, os.getpid()), list(range(37)), processes=2)
    assert [v for v, _ in out] == [x * x for x in range(37)]
    assert {pid for _, pid in out} - {parent}  # some pieces ran in another process


def test_children_see_the_parents_memory_without_pickling():
    big = {"rows": list(range(100_000))}
    unpicklable = lambda: None  # noqa: E731  (a lambda cannot be pickled: the child must inherit it)
    out = workers.fork_map(lambda k: (len(big["rows"]) + k, unpicklable() is None), [1, 2, 3], processes=2)
    assert out == [(100_001, True), (100_002, True), (100_003, True)]


def test_one_worker_or_one_piece_runs_here(monkeypatch):
    parent = os.getpid()
    monkeypatch.setenv(workers.WORKERS_ENV, "1")
    assert workers.fork_map(lambda _: os.getpid(), [1, 2, 3]) == [parent] * 3
    monkeypatch.setenv(workers.WORKERS_ENV, "4")
    assert workers.fork_map(lambda _: os.getpid(), [1]) == [parent]
    assert workers.fork_map(lambda _: os.getpid(), []) == []


def test_an_error_in_a_piece_is_raised_here():
    def piece(x: int) -> int:
        if x == 5:
            raise ValueError("piece 5 is bad")
        return x

    with pytest.raises(ValueError, match="piece 5 is bad"):
        workers.fork_map(piece, list(range(10)), processes=2)


def test_a_killed_worker_loses_nothing(caplog):
    parent = os.getpid()

    def piece(x: int) -> int:
        if os.getpid() != parent:
            os._exit(9)  # the out-of-memory killer, as the parent sees it
        return x + 1

    with caplog.at_level(logging.WARNING, logger="pipelines.workers"):
        assert workers.fork_map(piece, list(range(8)), processes=2) == list(range(1, 9))
    assert "died before returning its results" in caplog.text


def test_a_worker_killed_midway_sends_what_it_finished(caplog):
    """Chunks arrive as the child finishes them: killed at piece 10, the child has sent its
    chunks (2, 3) and (6, 7); only its 4 missing pieces are computed here."""
    parent = os.getpid()

    def piece(x: int) -> int:
        if x == 10 and os.getpid() != parent:
            os._exit(9)
        return x * 10

    with caplog.at_level(logging.WARNING, logger="pipelines.workers"):
        assert workers.fork_map(piece, list(range(16)), processes=2) == [x * 10 for x in range(16)]
    assert "computing its 4 missing pieces" in caplog.text


def test_large_results_travel_back_whole():
    """Results far larger than a pipe's buffer (arrays of 8 MB), read while this process
    computes its own share."""
    import numpy as np

    out = workers.fork_map(lambda k: np.full(1_000_000, k, dtype=np.float64), list(range(6)), processes=2)
    assert [float(a.sum()) for a in out] == [k * 1_000_000.0 for k in range(6)]


class _Broker:
    """Stands for a library that registers a hook for multiprocessing's children (kombu closes
    its broker connections from there, and blocked on the broker socket in a forked worker)."""


def test_multiprocessing_after_fork_hooks_do_not_run_in_the_workers(caplog):
    import multiprocessing.util

    broker = _Broker()
    multiprocessing.util.register_after_fork(broker, lambda _: os._exit(7))
    parent = os.getpid()
    with caplog.at_level(logging.WARNING, logger="pipelines.workers"):
        out = workers.fork_map(lambda x: (x, os.getpid()), list(range(8)), processes=2)
    assert [x for x, _ in out] == list(range(8))
    assert {pid for _, pid in out} - {parent} and "died" not in caplog.text
    del broker  # the hook goes with its object


def test_an_exception_that_cannot_travel_back_is_raised_with_its_traceback():
    class Unpicklable(Exception):
        def __init__(self, handle):
            super().__init__("bad piece")
            self.handle = handle

    parent = os.getpid()

    def piece(x: int) -> int:
        if os.getpid() != parent:
            raise Unpicklable(lambda: None)
        return x

    with pytest.raises(workers.WorkerError, match="bad piece"):
        workers.fork_map(piece, list(range(8)), processes=2)


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_setting_is_refused(monkeypatch, value):
    monkeypatch.setenv(workers.WORKERS_ENV, value)
    with pytest.raises(ConfigError, match=workers.WORKERS_ENV):
        workers.workers()


def test_default_is_the_usable_cores(monkeypatch):
    monkeypatch.delenv(workers.WORKERS_ENV, raising=False)
    assert workers.workers() == len(os.sched_getaffinity(0))


# -- beside: one piece of work in a child while this process does another ----------------------


def test_beside_runs_the_background_in_a_child_meanwhile(monkeypatch, tmp_path):
    monkeypatch.setenv(workers.WORKERS_ENV, "2")
    parent = os.getpid()
    started = tmp_path / "child-started"

    def background() -> int:
        started.write_text("yes")
        return os.getpid()

    def here() -> str:
        # this process works while the child runs: it sees the child's file appear
        for _ in range(500):
            if started.exists():
                return "saw the child"
            time.sleep(0.01)
        return "alone"

    child, mine = workers.beside(background, here)
    assert child != parent
    assert mine == "saw the child"


def test_beside_without_workers_runs_both_here(monkeypatch):
    monkeypatch.setenv(workers.WORKERS_ENV, "1")
    parent = os.getpid()
    assert workers.beside(os.getpid, os.getpid) == (parent, parent)


def test_beside_raises_the_background_error_after_here_has_finished(monkeypatch):
    monkeypatch.setenv(workers.WORKERS_ENV, "2")
    done = []

    def background() -> None:
        raise ValueError("the generator failed")

    with pytest.raises(ValueError, match="the generator failed"):
        workers.beside(background, lambda: done.append("here"))
    assert done == ["here"]


def test_beside_computes_a_killed_childs_work_here(monkeypatch, caplog):
    monkeypatch.setenv(workers.WORKERS_ENV, "2")
    parent = os.getpid()

    def background() -> int:
        if os.getpid() != parent:
            os._exit(9)
        return 7

    with caplog.at_level(logging.WARNING, logger="pipelines.workers"):
        assert workers.beside(background, lambda: "here") == (7, "here")
    assert "died before returning its result" in caplog.text
