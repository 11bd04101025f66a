"""Independent pieces of one step on the machine's other cores, in forked processes.

A step whose work splits into independent pieces that read the same large inputs (the
commune reports: one page per commune from the same prepared tables) runs the pieces in
forked children: a child sees the parent's memory as it was at the fork, so nothing is
pickled on the way in; only each piece's result travels back, through a pipe.

The children are plain ``os.fork`` children, not ``multiprocessing`` processes: the hooks
libraries register with ``multiprocessing`` for its children do not run in them (kombu's,
once Celery is imported, closes the parent's broker connections from the child and blocks
on the broker socket). This process computes its own share of the pieces meanwhile.

``SMARTCOMMERCE_WORKERS`` sets the number of processes, this one included (default: the
cores this process may run on; ``1`` computes everything here). The pieces also run here
when there are fewer than two of them, when the platform cannot fork, or when this process
is a daemon (a Celery prefork worker). A child killed from outside (the kernel's
out-of-memory killer) does not lose the work: its pieces are computed here instead, and a
warning says so. An exception raised by a piece is raised here, as without workers.

A piece computes from memory and returns its result: it must not read or write the lake,
nor use any client the parent opened (an S3 or database connection is not safe to share
with a forked child). The step reads its inputs before and writes the results after.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from pipelines.errors import ConfigError

WORKERS_ENV = "SMARTCOMMERCE_WORKERS"
CHUNKS_PER_WORKER = 4
"""Each process takes this many interleaved chunks of the pieces, so that pieces of unequal
cost (communes of different sizes) spread evenly."""

log = logging.getLogger(__name__)


class WorkerError(RuntimeError):
    """A piece failed in a worker process with an exception that could not travel back."""


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
    """``[fn(x) for x in items]``, the pieces shared among up to ``processes`` processes
    (default :func:`workers`): this one and forked children, in the order of ``items``."""
    n = min(workers() if processes is None else processes, len(items))
    if n < 2 or not _can_fork():
        return [fn(x) for x in items]
    chunks = _chunks(len(items), n)
    shares = [chunks[w::n] for w in range(n)]  # interleaved: each process gets early and late pieces
    children = [_start(fn, items, share) for share in shares[1:]]
    results: dict[int, list[Any]] = {}
    try:
        for chunk in shares[0]:
            results[chunk.start] = [fn(items[i]) for i in chunk]
    finally:
        collected = [_collect(child) for child in children]
    for child, got in zip(children, collected, strict=True):
        if isinstance(got, BaseException):
            raise got
        if got is None:
            log.warning("worker process %d died before returning its results: computing its %d pieces in this process",
                        child[0], sum(len(c) for c in child[2]))
            got = {chunk.start: [fn(items[i]) for i in chunk] for chunk in child[2]}
        results.update(got)
    return [value for start in sorted(results) for value in results[start]]


def beside(background: Callable[[], Any], here: Callable[[], Any]) -> tuple[Any, Any]:
    """``(background(), here())``, ``background`` computed in a forked child while this
    process computes ``here`` (what must happen in this process: imports, clients it keeps).

    The same rules as :func:`fork_map`: both run here, one after the other, when it would not
    fork; an exception of ``background`` is raised here (after ``here`` has finished); a child
    killed from outside has its work done here instead, with a warning. ``background`` must
    not print (a child's buffered output is not flushed) nor use a client this process opened.
    """
    if workers() < 2 or not _can_fork():
        return background(), here()
    child = _start(lambda _: background(), [None], [range(1)])
    try:
        mine = here()
    finally:
        got = _collect(child)
    if isinstance(got, BaseException):
        raise got
    if got is None:
        log.warning("worker process %d died before returning its result: computing it in this process", child[0])
        return background(), mine
    return got[0][0], mine


def _chunks(count: int, n: int) -> list[range]:
    size = max(1, -(-count // (n * CHUNKS_PER_WORKER)))
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _start(fn: Callable[[Any], Any], items: Sequence[Any], share: list[range]) -> tuple[int, int, list[range]]:
    """Fork a child computing ``share``; ``(pid, read end of its pipe, share)``."""
    read, write = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # not written twice by the child
    pid = os.fork()
    if pid == 0:  # the child: compute, send, exit without the parent's exit handlers
        code = 1
        try:
            os.close(read)
            try:
                payload: object = {chunk.start: [fn(items[i]) for i in chunk] for chunk in share}
                code = 0
            except BaseException as error:  # noqa: BLE001  (sent to the parent, raised there)
                payload = _portable(error)
            with os.fdopen(write, "wb") as pipe:  # streamed: no copy of the whole payload
                pickle.dump(payload, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(code)
    os.close(write)
    return pid, read, share


def _collect(child: tuple[int, int, list[range]]) -> dict[int, list[Any]] | BaseException | None:
    """The child's results, its exception, or None when it died without sending them.

    The results are unpickled as they arrive (protocol 5: an array's bytes are read straight
    into its buffer), never held whole as bytes beside them: the travel times of the
    262-commune region send 19 M pairs (310 MB) this way."""
    pid, read, _ = child
    with os.fdopen(read, "rb") as pipe:
        sent = bool(pipe.peek(1))
        try:
            got: Any = pickle.load(pipe) if sent else None
        except Exception:  # noqa: BLE001  (cut short: the child was killed while writing)
            got = _UNREADABLE
            while pipe.read(1 << 20):  # drain, so that a child still writing can end
                pass
    _, status = os.waitpid(pid, 0)
    if got is _UNREADABLE:
        return None if os.WIFSIGNALED(status) else WorkerError(f"worker process {pid} sent results that could not be read")
    return got


_UNREADABLE = object()


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a :class:`WorkerError` with its traceback."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001
        return WorkerError("".join(traceback.format_exception(error)))


def _can_fork() -> bool:
    return hasattr(os, "fork") and not multiprocessing.current_process().daemon
