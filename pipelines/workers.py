"""Independent pieces of one step on the machine's other cores, in forked processes.

A step whose work splits into independent pieces that read the same large inputs (the
commune reports: one page per commune from the same prepared tables) runs the pieces in
forked children: a child sees the parent's memory as it was at the fork, so nothing is
pickled on the way in; only each piece's result travels back.

``SMARTCOMMERCE_WORKERS`` sets the number of processes (default: the cores this process may
run on; ``1`` computes everything in this process). The pieces also run in this process when
there are fewer than two of them, when the platform cannot fork, or when this process is a
daemon (a Celery prefork worker may not have children). A child killed from outside (the
kernel's out-of-memory killer) does not lose the work: the pieces are computed here instead,
and a warning says so. An exception raised by a piece is raised here, as without workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipelines.errors import ConfigError

WORKERS_ENV = "SMARTCOMMERCE_WORKERS"
CHUNKS_PER_WORKER = 4
"""Pieces are handed out in this many chunks per process, so a slow chunk does not leave the
other processes idle at the end."""

log = logging.getLogger(__name__)

_task: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""The function and the pieces of the running :func:`fork_map`, inherited by the children."""


def workers() -> int:
    """The number of processes a step may use: ``SMARTCOMMERCE_WORKERS``, else the cores
    this process may run on."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"{WORKERS_ENV}={value!r}: expected a whole number of processes, 1 or more (1: no worker processes)")
    return n


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], processes: int | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, the pieces shared among up to ``processes`` forked
    processes (default :func:`workers`), in the order of ``items``."""
    n = min(workers() if processes is None else processes, len(items))
    if n < 2 or not _can_fork():
        return [fn(x) for x in items]
    global _task
    size = max(1, -(-len(items) // (n * CHUNKS_PER_WORKER)))
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _task = (fn, items)
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_run, chunks))
    except BrokenProcessPool as error:
        log.warning("a worker process died (%s): computing the %d pieces in this process", error, len(items))
        return [fn(x) for x in items]
    finally:
        _task = None
    return [result for part in parts for result in part]


def _run(chunk: range) -> list[Any]:
    fn, items = _task  # type: ignore[misc]  # set by fork_map before the fork
    return [fn(items[i]) for i in chunk]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
