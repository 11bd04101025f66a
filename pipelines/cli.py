"""``smartcommerce``: generate the demo territory, materialise every asset, summarise.

    smartcommerce generate [--seed 42] [--communes 10 | --scale 1] [--days 28] [--osm-pbf]
                                                     write the demo landing zone
    smartcommerce run                                materialise every asset for the data root
    smartcommerce demo                               both, then a summary
    smartcommerce warehouse                          rebuild warehouse.duckdb only

The data root is ``$SMARTCOMMERCE_DATA`` (default ``./data``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from pipelines.lake import Lake, data_root_from_env

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def landing_days(landing: Path) -> list[str]:
    """Every local day for which a daily landing file exists."""
    return sorted({p.stem for p in landing.rglob("*.csv") if DAY.match(p.stem)})


def cmd_generate(
    lake: Lake,
    seed: int,
    scale: int | None,
    communes: int | None = None,
    days: int = 28,
    *,
    osm_pbf: bool = False,
) -> dict[str, int]:
    from pipelines.demo import generate

    started = time.perf_counter()
    summary = generate(
        lake.landing, seed=seed, scale=scale, communes=communes, days=days, osm_pbf=osm_pbf
    )
    print(f"generated {len(summary)} landing files under {lake.landing} in {time.perf_counter() - started:.1f} s")
    return summary


def cmd_run(lake: Lake) -> bool:
    """Materialise every asset; daily partitions over the days present in the landing zone."""
    import dagster as dg

    from pipelines.definitions import all_assets
    from pipelines.partitions import daily
    from pipelines.resources import LakeResource, SettingsResource

    days = [d for d in landing_days(lake.landing) if d in set(daily.get_partition_keys())]
    tags = {}
    if days:
        tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = dg.materialize(
        all_assets,
        instance=instance,
        resources={"lake": LakeResource(root=str(lake.root)), "settings": SettingsResource(pseudonym_key=os.environ.get("SMARTCOMMERCE_PSEUDONYM_KEY", "demo-key-change-me"))},
        tags=tags,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - started
    checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_checks = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed]
    n_keys = sum(len(a.keys) for a in all_assets)
    period = f"{days[0]} .. {days[-1]}, {len(days)} days" if days else "no daily files"
    print(f"materialised {n_keys} assets ({period}) in {elapsed:.1f} s: {'success' if result.success else 'FAILED'}")
    print(f"asset checks: {len(checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    if failed_checks:
        print("failed checks: " + ", ".join(failed_checks))
    return result.success and not failed_checks


def summary(lake: Lake) -> str:
    """What was built: row counts per view, quarantined rows by source and reason, where to look."""
    from pipelines import db

    con = db.connect(lake.warehouse, read_only=True)
    views = con.execute(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2"
    ).fetchall()
    lines = ["", "Tables (warehouse views) and row counts:"]
    for schema, view in views:
        n = con.execute(f'SELECT count(*) FROM "{schema}"."{view}"').fetchone()[0]  # noqa: S608 (names from the catalog)
        lines.append(f"  {schema}.{view:<34} {n:>10,}")
    quarantine = con.execute(
        "SELECT source, reason, count(*) AS n FROM bronze.quarantine GROUP BY ALL ORDER BY source, n DESC"
    ).fetchall() if ("bronze", "quarantine") in views else []
    lines.append("")
    lines.append(f"Quarantined rows: {sum(r[2] for r in quarantine)} (query bronze.quarantine for file and row)")
    for source, reason, n in quarantine:
        lines.append(f"  {source:<22} {n:>5}  {reason}")
    lines += [
        "",
        f"Warehouse : {lake.warehouse}",
        f"            {Path(sys.executable).parent / 'duckdb'} -readonly {lake.warehouse}",
        f"Exports   : {lake.exports} (GeoParquet + GeoPackage; open the .gpkg in QGIS)",
        "Dagster UI: make dev, then http://127.0.0.1:3000",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartcommerce", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data root (default $SMARTCOMMERCE_DATA or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "demo"):
        p = sub.add_parser(name)
        p.add_argument("--seed", type=int, default=42)
        size = p.add_mutually_exclusive_group()
        size.add_argument("--communes", type=int, default=None, help="number of communes (default 10; 262 = Wallonia)")
        size.add_argument("--scale", type=int, default=None, help="shorthand for --communes 10*K")
        p.add_argument("--days", type=int, default=28, help="number of days (default 28)")
        p.add_argument("--osm-pbf", action="store_true", help="also write osm/territory.osm.pbf")
    sub.add_parser("run")
    sub.add_parser("warehouse")
    args = parser.parse_args(argv)

    lake = Lake(args.data.resolve() if args.data else data_root_from_env())
    os.environ["SMARTCOMMERCE_DATA"] = str(lake.root)
    ok = True
    started = time.perf_counter()
    if args.command in ("generate", "demo"):
        cmd_generate(lake, args.seed, args.scale, args.communes, args.days, osm_pbf=args.osm_pbf)
    if args.command in ("run", "demo"):
        ok = cmd_run(lake)
    if args.command == "warehouse":
        from assets.exports import lake_comments
        from pipelines.definitions import lake_assets
        from pipelines.warehouse import build_warehouse

        build_warehouse(lake, lake_comments(lake_assets))
    if args.command in ("run", "demo", "warehouse") and lake.warehouse.exists():
        print(summary(lake))
    if args.command == "demo":
        print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
