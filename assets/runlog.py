"""What a person sees while ``smartcommerce run`` works: one line per finished step, the full
Dagster log in a file, and one line per failed step with its reason at the end."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from pathlib import Path

import dagster as dg

_STEP_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


class RunLog:
    """Progress on stdout and the full log in ``<folder>/run-<UTC time>.log``.

    Parameters
    ----------
    folder : pathlib.Path
        Where the log file goes (created if needed).
    steps : int
        How many steps the run has (for the ``[k/n]`` counter).
    """

    def __init__(self, folder: Path, steps: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = folder / f"run-{stamp}.log"
        self.steps = steps
        self.done = 0
        self.started: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.succeeded: set[str] = set()

    def run_config(self) -> dict[str, object]:
        """The ``loggers`` section of a run config using this log."""
        return {"smartcommerce_progress": {"config": {}}, "smartcommerce_file": {"config": {}}}

    def loggers(self) -> dict[str, dg.LoggerDefinition]:
        """The two Dagster loggers: progress on stdout, everything in the file."""
        return {"smartcommerce_progress": self._progress_logger(), "smartcommerce_file": self._file_logger()}

    def _file_logger(self) -> dg.LoggerDefinition:
        path = self.path

        @dg.logger(description="The whole run log in a file under the data root.")
        def file_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
            logger = logging.getLogger(f"smartcommerce.file.{path.name}")
            logger.setLevel(logging.DEBUG)
            if not logger.handlers:
                handler = logging.FileHandler(path, encoding="utf-8")
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
                logger.addHandler(handler)
            logger.propagate = False
            return logger

        return file_logger

    def _progress_logger(self) -> dg.LoggerDefinition:
        run_log = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                run_log.on_record(record)

        @dg.logger(description="One line per finished step on stdout.")
        def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
            logger = logging.getLogger(f"smartcommerce.progress.{run_log.path.name}")
            logger.setLevel(logging.DEBUG)
            if not logger.handlers:
                logger.addHandler(_Handler())
            logger.propagate = False
            return logger

        return progress_logger

    def on_record(self, record: logging.LogRecord) -> None:
        """Turn a step event into a progress line; remember why a step failed."""
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None or event.event_type_value not in _STEP_EVENTS:
            return
        step = meta.get("step_key") or event.step_key or "?"
        kind = event.event_type_value
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            return
        self.done += 1
        took = time.perf_counter() - self.started.get(step, time.perf_counter())
        status = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}[kind]
        if kind == "STEP_SUCCESS":
            self.succeeded.add(step)
        if kind == "STEP_FAILURE":
            self.failed[step] = _root_cause(getattr(event.event_specific_data, "error", None))
        print(f"[{self.done:>3}/{self.steps}] {step:<44} {status:<7} {took:6.1f} s", file=sys.stdout, flush=True)

    def failures(self) -> list[str]:
        """One line per failed step with its reason, and how many steps never ran."""
        lines = [f"FAILED {step}: {reason}" for step, reason in sorted(self.failed.items())]
        if self.done < self.steps:
            lines.append(f"not run (an upstream step failed): {self.steps - self.done} of {self.steps} steps")
        return lines


def _root_cause(error: object) -> str:
    """The innermost error's type and first line: what went wrong, not where Dagster caught it."""
    if error is None:
        return "failed (no error recorded)"
    while getattr(error, "cause", None) is not None:
        error = error.cause  # type: ignore[attr-defined]
    message = str(getattr(error, "message", error)).strip().splitlines()
    first = message[0] if message else str(getattr(error, "cls_name", "failed"))
    hint = next((h for k, h in _FAULT_HINTS.items() if k in first.lower()), "")
    return first + hint


_FAULT_HINTS = {
    "no space left on device": " (disk full: free space on that file system and run again)",
    "database or disk is full": " (disk full under $DAGSTER_HOME: free space there and run again)",
    "permission denied": " (make that path writable for this user and run again)",
    "read-only file system": " (that file system is read-only: choose another data root)",
}
"""Hints appended to a failed step's one line when the cause is the machine, not the data."""
