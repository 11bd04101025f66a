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
import threading
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
    receivers = [_Receiver(*child) for child in children]  # threads started once every child is forked
    results: dict[int, list[Any]] = {}
    try:
        for chunk in shares[0]:
            results[chunk.start] = [fn(items[i]) for i in chunk]
    finally:
        for receiver in receivers:
            receiver.join()
    for receiver in receivers:
        results.update(receiver.outcome(fn, items))
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
    receiver = _Receiver(*_start(lambda _: background(), [None], [range(1)]))
    try:
        mine = here()
    finally:
        receiver.join()
    return receiver.outcome(lambda _: background(), [None])[0][0], mine


def _chunks(count: int, n: int) -> list[range]:
    size = max(1, -(-count // (n * CHUNKS_PER_WORKER)))
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _start(fn: Callable[[Any], Any], items: Sequence[Any], share: list[range]) -> tuple[int, int, list[range]]:
    """Fork a child computing ``share``; ``(pid, read end of its pipe, share)``.

    The child sends each chunk's results as soon as they are computed (``(start, results)``,
    pickled straight into the pipe, protocol 5) and frees them: it never holds its whole
    share's results, nor a copy of them as bytes. An exception is sent as ``(None, error)``."""
    read, write = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # not written twice by the child
    pid = os.fork()
    if pid == 0:  # the child: compute, send, exit without the parent's exit handlers
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                try:
                    for chunk in share:
                        done = (chunk.start, [fn(items[i]) for i in chunk])
                        pickle.dump(done, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                        pipe.flush()
                        del done
                    code = 0
                except BaseException as error:  # noqa: BLE001  (sent to the parent, raised there)
                    pickle.dump((None, _portable(error)), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(code)
    os.close(write)
    return pid, read, share


class _Receiver:
    """Reads a child's results as they arrive, in a thread of this process (unpickled from
    the pipe, an array's bytes read straight into its buffer), so the child can send and
    free each chunk while this process computes its own share."""

    def __init__(self, pid: int, read: int, share: list[range]) -> None:
        self.pid, self.share = pid, share
        self.got: dict[int, list[Any]] = {}
        self.error: BaseException | None = None
        self.unreadable = False
        self.status = 0
        self._thread = threading.Thread(target=self._read, args=(read,), name=f"worker-{pid}", daemon=True)
        self._thread.start()

    def _read(self, read: int) -> None:
        with os.fdopen(read, "rb") as pipe:
            try:
                while pipe.peek(1):
                    start, value = pickle.load(pipe)
                    if start is None:
                        self.error = value
                    else:
                        self.got[start] = value
            except Exception:  # noqa: BLE001  (cut short: the child was killed while writing)
                self.unreadable = True
                while pipe.read(1 << 20):  # drain, so that a child still writing can end
                    pass

    def join(self) -> None:
        """Wait for the child's last result and for the child to end."""
        self._thread.join()
        _, self.status = os.waitpid(self.pid, 0)

    def outcome(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> dict[int, list[Any]]:
        """The child's results by chunk; its exception raised; the chunks of a child killed
        from outside computed here, with a warning."""
        if self.error is not None:
            raise self.error
        if self.unreadable and not os.WIFSIGNALED(self.status):
            raise WorkerError(f"worker process {self.pid} sent results that could not be read")
        missing = [chunk for chunk in self.share if chunk.start not in self.got]
        if missing:
            log.warning("worker process %d died before returning its results: computing its %d missing pieces in this process",
                        self.pid, sum(len(c) for c in missing))
            for chunk in missing:
                self.got[chunk.start] = [fn(items[i]) for i in chunk]
        return self.got


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a :class:`WorkerError` with its traceback."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001
        return WorkerError("".join(traceback.format_exception(error)))


def _can_fork() -> bool:
    return hasattr(os, "fork") and not multiprocessing.current_process().daemon
