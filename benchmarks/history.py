"""A year of history at region size (issue 21): the backfill and the analysts' year query.

``python -m benchmarks.history --communes 262 --days 365 --out docs/performance.md``:

1. generates a region of ``--communes`` communes with ``--days`` days of time series
   (WiFi probes, counters, OD flows, transactions), ending the day before yesterday;
2. materialises every asset over the whole range as **one run** (the daily assets have a
   single-run backfill policy: one run per range, not one per day), in process, with the
   peak resident memory sampled every 0.1 s, exactly as ``benchmarks.pipeline --pipeline``;
3. opens the warehouse it built with a plain ``duckdb.connect(path, read_only=True)`` (what
   an analyst does) and times the year of hourly footfall of one commune
   (``sql/analyst/footfall_year.sql``: one row per hour), median of repeated runs, against
   the obvious alternative: pandas reading the table's daily Parquet files and filtering.

The section "History" of the Markdown file is replaced.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from benchmarks.pipeline import pipeline_run
from pipelines.lake import DAY_GLOB, Lake

YEAR_SQL = Path(__file__).resolve().parents[1] / "sql" / "analyst" / "footfall_year.sql"


def _median_time(work, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def year_query(lake: Lake, runs: int = 5) -> dict[str, object]:
    """Time a year of hourly footfall for the commune with the most footfall rows: the
    warehouse view from a plain read-only DuckDB connection, and pandas over the files."""
    sql = YEAR_SQL.read_text(encoding="utf-8")
    con = duckdb.connect(str(lake.warehouse), read_only=True)
    try:
        nis, rows = con.execute(
            "SELECT nis, count(*) FROM gold.footfall_hourly GROUP BY nis ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        total = con.execute("SELECT count(*) FROM gold.footfall_hourly").fetchone()[0]
        cold_started = time.perf_counter()
        con.execute(sql, {"nis": nis}).fetch_df()
        cold = time.perf_counter() - cold_started
        warm, frame = _median_time(lambda: con.execute(sql, {"nis": nis}).fetch_df(), runs)
    finally:
        con.close()
    folder = Path(lake.location("lake")) / "gold" / "footfall_hourly"
    files = sorted(folder.glob(DAY_GLOB))

    def with_pandas() -> pd.DataFrame:
        table = pd.concat([pd.read_parquet(f, columns=["nis", "ts", "footfall"]) for f in files])
        table = table[table["nis"] == nis]
        return table.groupby("ts", as_index=False)["footfall"].sum().sort_values("ts")

    alt, alt_frame = _median_time(with_pandas, max(1, runs // 2))
    ours, theirs = frame["footfall"].fillna(0).to_numpy(), alt_frame["footfall"].fillna(0).to_numpy()
    same = len(theirs) == len(ours) and bool(np.allclose(ours, theirs, rtol=1e-9, atol=1e-9))
    return {
        "nis": nis, "commune_rows": rows, "table_rows": total, "days": len(files),
        "hours": len(frame), "cold_s": cold, "warm_s": warm, "pandas_s": alt, "same": same,
    }  # fmt: skip


def markdown(run: dict, query: dict) -> str:
    steps = sorted(run["steps"].items(), key=lambda kv: -kv[1]["seconds"])[:8]
    nightly = sorted(run.get("nightly_steps", {}).items(), key=lambda kv: -kv[1]["seconds"])[:8]
    lines = [
        "## History: a year at region size",
        f"- {run['communes']} communes, {run['days']} days of time series ending the day before yesterday "
        f"(`python -m benchmarks.history`); every asset materialised over the range as one run, "
        "in process (ephemeral Dagster instance)",
        "",
        "| figure | value | target |",
        "|---|---:|---:|",
        f"| generate the landing zone | {run['generate_s']:.0f} s | - |",
        f"| backfill: every asset over {run['days']} days, one run | {run['materialise_s'] / 60:.1f} min "
        f"({'success' if run['success'] else 'FAILED'}, {run['checks'] - run['failed_checks']} / {run['checks']} checks) | <= 30 min |",
        f"| peak RSS of the backfill | {run['peak_mb'] / 1024:.2f} GiB | - |",
        f"| nightly refresh of the last day after it | {run['nightly_s']:.1f} s | <= 30 s |",
        f"| year of hourly footfall, one commune: warehouse view, plain read-only DuckDB, first query | {query['cold_s'] * 1000:.0f} ms | <= 1 s |",
        f"| same, median of 5 | {query['warm_s'] * 1000:.0f} ms | <= 1 s |",
        f"| same with pandas over the {query['days']} daily files (median) | {query['pandas_s'] * 1000:.0f} ms | - |",
        f"| ratio DuckDB / pandas | {query['warm_s'] / query['pandas_s']:.3f} | - |",
        "",
        f"The query returns {query['hours']:,} hours for commune {query['nis']} "
        f"({query['commune_rows']:,} of the table's {query['table_rows']:,} rows); pandas gives the "
        f"same hours and sums: {'yes' if query['same'] else 'NO'}.",
        "",
        "Slowest steps of the backfill:",
        "",
        "| step | s | peak RSS (MB) |",
        "|---|---:|---:|",
        *[f"| {k} | {v['seconds']:.1f} | {v['peak_mb']:.0f} |" for k, v in steps],
        "",
        "Slowest steps of the nightly refresh after the year:",
        "",
        "| step | s | peak RSS (MB) |",
        "|---|---:|---:|",
        *[f"| {k} | {v['seconds']:.1f} | {v['peak_mb']:.0f} |" for k, v in nightly],
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=262)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", type=Path, default=None, help="write the section 'history' of this Markdown file")
    args = parser.parse_args(argv)
    start = date.today() - timedelta(days=args.days + 1)  # ends the day before yesterday
    run = pipeline_run(args.communes, args.days, start=start, probe=year_query)
    text = markdown(run, run.pop("probe"))
    print(text)
    if args.out:
        from benchmarks.report import replace_section

        replace_section(args.out, "history", text)


if __name__ == "__main__":
    main()
