"""Where the steps of a run execute: in the run's process (the default of ``materialize`` and
of the demo), in one subprocess per step on the same machine (Dagster's multiprocess executor),
on Celery workers of other machines (dagster-celery, redis as broker), or in Kubernetes jobs
(dagster-k8s; configuration in docs/deployment.md).

``SMARTCOMMERCE_EXECUTOR`` (``in_process``, ``multiprocess``, ``celery``) picks the executor of
the code location; the broker is ``$SMARTCOMMERCE_CELERY_BROKER`` (default
``redis://127.0.0.1:6379/0``), also used as result backend. Multi-step executors need a job a
worker can rebuild from code (:func:`reconstructable_assets_job`) and a persistent instance
(``$DAGSTER_HOME``) that every worker shares.

``python -m benchmarks.executors --data DIR`` measures demo assets under each executor.
"""

from __future__ import annotations

import os

import dagster as dg

EXECUTOR_ENV = "SMARTCOMMERCE_EXECUTOR"
BROKER_ENV = "SMARTCOMMERCE_CELERY_BROKER"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"

# Eight demo assets of the static refresh: readers and their silver conformance.
DEMO_PART = (
    "bronze/statbel_communes", "bronze/statbel_sectors", "bronze/osm_pois", "bronze/gtfs",
    "silver/communes", "silver/sectors", "silver/departures", "silver/service_dates",
)


def executor_def(name: str) -> dg.ExecutorDefinition:
    """The executor called ``name``: ``in_process``, ``multiprocess`` (or ``forkserver``, the
    same executor with another start method) or ``celery``."""
    if name == "in_process":
        return dg.in_process_executor
    if name in ("multiprocess", "forkserver"):
        return dg.multiprocess_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"unknown executor {name!r}; expected in_process, multiprocess, forkserver or celery")


def executor_from_env() -> dg.ExecutorDefinition | None:
    """The executor named by ``$SMARTCOMMERCE_EXECUTOR`` (None: Dagster's default)."""
    name = os.environ.get(EXECUTOR_ENV)
    if not name:
        return None
    executor = executor_def(name)
    if name == "forkserver":
        return executor.configured({"start_method": FORKSERVER})
    if name == "celery":
        broker = os.environ.get(BROKER_ENV, DEFAULT_BROKER)
        return executor.configured({"broker": broker, "backend": broker})
    return executor


# The multiprocess executor with a forkserver that imported the code location once: each step
# forks from it instead of starting a fresh interpreter that imports the whole stack.
FORKSERVER = {"forkserver": {"preload_modules": ["assets.definitions"]}}


def run_config(executor: str, broker: str | None = None, max_concurrent: int | None = None) -> dict:
    """Run config of the executor (quiet console logger). ``multiprocess`` spawns a fresh
    interpreter per step; ``forkserver`` is the multiprocess executor forking from a server
    that preloaded the code location."""
    config: dict = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if executor == "celery":
        broker = broker or os.environ.get(BROKER_ENV, DEFAULT_BROKER)
        config["execution"] = {"config": {"broker": broker, "backend": broker}}
    elif executor in ("multiprocess", "forkserver"):
        options: dict = {"max_concurrent": max_concurrent} if max_concurrent else {}
        if executor == "forkserver":
            options["start_method"] = FORKSERVER
        if options:
            config["execution"] = {"config": options}
    return config
