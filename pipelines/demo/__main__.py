"""``python -m pipelines.demo LANDING [--seed N] [--communes N | --scale K] [--days D] [--osm-pbf]``.

Also ``--start YYYY-MM-DD`` (first day, default 2026-10-12).
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from pipelines.demo import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--communes", type=int, default=None, help="number of communes (default 10)")
    size.add_argument("--scale", type=int, default=None, help="shorthand for --communes 10*K")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 12))
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--osm-pbf", action="store_true", help="also write osm/territory.osm.pbf")
    args = parser.parse_args(argv)
    clock = time.perf_counter()
    summary = generate(
        args.landing,
        seed=args.seed,
        scale=args.scale,
        communes=args.communes,
        start=args.start,
        days=args.days,
        osm_pbf=args.osm_pbf,
    )
    elapsed = time.perf_counter() - clock
    print(
        f"{len(summary)} files, {sum(summary.values())} rows in {elapsed:.1f} s -> {args.landing}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
