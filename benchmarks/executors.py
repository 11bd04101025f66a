"""Run and time a part of the demo under each executor (in-process, multiprocess, Celery).

    python -m benchmarks.executors --data DIR [--executors in_process,multiprocess] [--repeat 2]

Workers rebuild the job from this module (:func:`reconstructable_assets_job`), so it lives
apart from :mod:`assets.executors`, which the code location imports.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

import dagster as dg

from assets.executors import DEMO_PART, executor_def, run_config


def assets_job(executor: str, selection: Sequence[str] = DEMO_PART, name: str = "demo_part") -> dg.JobDefinition:
    """A job over ``selection`` (asset keys as ``layer/name``) run by ``executor``, with the
    resources of the environment (``$SMARTCOMMERCE_DATA``)."""
    from assets.definitions import all_assets
    from assets.resources import default_resources

    job = dg.define_asset_job(name, selection=list(selection), executor_def=executor_def(executor))
    defs = dg.Definitions(assets=all_assets, jobs=[job], resources=default_resources())
    return defs.resolve_job_def(name)


def reconstructable_assets_job(executor: str, selection: Sequence[str] = DEMO_PART):
    """:func:`assets_job` as workers rebuild it: by module, function and arguments."""
    return dg.build_reconstructable_job(
        "benchmarks.executors", "assets_job", reconstructable_args=(executor, tuple(selection))
    )


def run(executor: str, instance: dg.DagsterInstance, selection: Sequence[str] = DEMO_PART,
        broker: str | None = None) -> tuple[dg.ExecuteJobResult, float]:
    """Execute the assets of ``selection`` with ``executor``; return the result and seconds."""
    started = time.perf_counter()
    result = dg.execute_job(
        reconstructable_assets_job(executor, selection), instance=instance,
        run_config=run_config(executor, broker),
    )
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the demo assets under each executor.")
    parser.add_argument("--data", required=True, help="data root with the demo landing zone")
    parser.add_argument("--executors", default="in_process,multiprocess")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ["SMARTCOMMERCE_DATA"] = args.data
    with dg.instance_for_test() if not os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.get() as instance:
        for name in args.executors.split(","):
            for i in range(args.repeat):
                result, seconds = run(name, instance)
                print(f"{name:<13} run {i + 1}: {seconds:6.1f} s  success={result.success}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
