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

from pipelines.lake import Lake, data_root, data_root_from_env

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
    """Materialise every asset; daily partitions over the days present in the landing zone.

    Progress goes to the terminal one line per finished step; the full Dagster log goes to
    ``<data root>/logs/run-<time>.log``. Returns True when every step and check passed.
    """
    from assets.runlog import RunLog
    from pipelines import availability

    availability.require(availability.scan_landing(lake.landing))
    selection, days = run_selection(lake)
    log = RunLog(lake.logs, steps=len(selection))
    started = time.perf_counter()
    result = execute(lake, selection, days, log)
    elapsed = time.perf_counter() - started
    checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_checks = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed]
    n_keys = sum(len(a.keys) for a in selection)
    period = f"{days[0]} .. {days[-1]}, {len(days)} days" if days else "no daily files"
    print(f"materialised {n_keys} assets ({period}) in {elapsed:.1f} s: {'success' if result.success else 'FAILED'}")
    print(f"asset checks: {len(checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    if failed_checks:
        print("failed checks: " + ", ".join(failed_checks))
    for line in log.failures():
        print(line)
    if WAREHOUSE_STEP not in log.succeeded:
        rebuild_warehouse(lake)
    print(f"full log: {log.path}")
    return result.success and not failed_checks


def run_selection(lake: Lake) -> tuple[list, list[str]]:
    """The assets to materialise and the local days of the landing zone's daily files
    (without any, the daily-partitioned assets are left out and the run says so)."""
    from assets.definitions import all_assets
    from assets.partitions import daily

    valid = set(daily.get_partition_keys())
    days = [d for d in landing_days(lake.landing) if d in valid]
    if days:
        return list(all_assets), days
    selection = [a for a in all_assets if a.partitions_def is None]
    print(f"no daily files in {lake.landing}: the {len(all_assets) - len(selection)} daily-partitioned assets are skipped")
    return selection, days


def execute(lake: Lake, selection: list, days: list[str], log: object) -> object:
    """One in-process Dagster run of ``selection`` over ``days`` (a partition range)."""
    import dagster as dg

    from assets.resources import LakeResource, SettingsResource

    tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]} if days else {}
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    defs = dg.Definitions(
        jobs=[dg.define_asset_job("smartcommerce_run")],
        assets=selection,
        resources={"lake": LakeResource(root=str(lake.root)), "settings": SettingsResource(pseudonym_key=pseudonym_key())},
        loggers=log.loggers(),
    )
    return defs.resolve_job_def("smartcommerce_run").execute_in_process(
        instance=instance, tags=tags, run_config={"loggers": log.run_config()}, raise_on_error=False
    )


WAREHOUSE_STEP = "exports__warehouse"


def rebuild_warehouse(lake: Lake) -> None:
    """After a run that could not reach the warehouse step: rebuild it from the tables that
    exist, and say which lake tables are missing (analysts keep what did succeed)."""
    from assets.definitions import lake_assets
    from assets.exports import lake_comments, written_tables
    from pipelines.warehouse import build_warehouse

    views = build_warehouse(lake, lake_comments(lake_assets))
    missing = sorted(
        asset for asset, tables in written_tables(lake_assets).items()
        if not any(t in views for t in tables)
    )
    print(f"warehouse rebuilt from the {len(views)} tables that exist: {lake.warehouse}")
    if missing:
        print(f"missing from the warehouse ({len(missing)}): " + ", ".join(missing))


def pseudonym_key() -> str:
    """The pseudonymisation key: ``$SMARTCOMMERCE_PSEUDONYM_KEY``, else the demo's built-in key
    (the bronze WiFi-probe asset accepts it only for the generated demo territory)."""
    from pipelines.constants import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV

    return os.environ.get(PSEUDONYM_KEY_ENV) or DEMO_PSEUDONYM_KEY


def summary(lake: Lake) -> str:
    """What was built: row counts per view, quarantined rows by source and reason, where to look."""
    from pipelines import db

    con = db.connect(lake.warehouse, read_only=True, s3=lake.remote)
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
        f"            {Path(sys.executable).parent / 'duckdb'} -readonly {lake.warehouse} (opens from any folder)",
        f"Exports   : {lake.exports} (GeoParquet + GeoPackage; open the .gpkg in QGIS)",
        "Dagster UI: make dev, then http://127.0.0.1:3000",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--data", default=argparse.SUPPRESS,
        help="data root holding landing/, lake/, exports/: a folder or s3://bucket/prefix "
        "(default $SMARTCOMMERCE_DATA or ./data)",
    )
    parser = argparse.ArgumentParser(
        prog="smartcommerce", parents=[data],
        description="Smart Commerce pipeline: generate the demo territory, materialise every asset, summarise.",
        epilog="Example: smartcommerce --data ./data demo    (or: smartcommerce demo --data ./data)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "generate": "write the demo territory's landing zone",
        "demo": "generate the demo territory, materialise every asset, print a summary",
        "run": "materialise every asset for the landing zone of the data root",
        "warehouse": "rebuild warehouse.duckdb from the lake",
        "goalposts": "recompute the Canvas goalposts (geodata/canvas/goalposts.yaml) from the data root's communes",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, parents=[data], help=text, description=text[0].upper() + text[1:] + ".")
        if name in ("generate", "demo"):
            p.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same files (default 42)")
            size = p.add_mutually_exclusive_group()
            size.add_argument("--communes", type=int, default=None, help="number of communes (default 10, the demo recipe; 262 = a Wallonia-size region)")
            size.add_argument("--scale", type=int, default=None, help="shorthand for --communes 10*SCALE")
            p.add_argument("--days", type=int, default=28, help="number of days of time series (default 28)")
            p.add_argument("--osm-pbf", action="store_true", help="also write the OSM extract as osm/territory.osm.pbf")
        if name == "goalposts":
            p.add_argument("--version", dest="goalposts_version", required=True, help="the new goalposts version (e.g. 2027.01-wallonie)")
            p.add_argument("--reference-set", required=True, help="what the communes of the data root are (shown in the file)")
            p.add_argument("--out", default=None, help="where to write (default geodata/canvas/goalposts.yaml)")
    return parser


def cmd_goalposts(lake: Lake, version: str, reference_set: str, out: str | None) -> Path:
    """Recompute the Canvas goalposts from the communes of ``lake`` (its lake must hold the
    Canvas inputs, e.g. after ``run``) and write them, versioned."""
    from datetime import date

    from assets.gold.canvas import CANVAS_INPUTS, read_frames
    from pipelines.canvas.build import reference_values
    from pipelines.canvas.catalogue import GOALPOSTS_YAML, load_catalogue
    from pipelines.canvas.references import compute_goalposts, goalposts_yaml
    from pipelines.lake import write_atomic

    catalogue = load_catalogue()
    frames = read_frames(lake)
    values = reference_values(frames, CANVAS_INPUTS.reader(lake).read("gold.data_cadastre"), catalogue)
    names = dict(zip(frames.communes["nis"].astype(str), frames.communes["name_fr"], strict=True))
    communes = [f"{n} {names.get(n, '')}".strip() for n in sorted(values["nis"].unique())]
    text = goalposts_yaml(compute_goalposts(values, catalogue), version, reference_set, communes, date.today())
    path = Path(out) if out else GOALPOSTS_YAML
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"goalposts {version} from {len(communes)} communes written to {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    from pipelines.errors import SmartCommerceError

    args = _parser().parse_args(argv)
    data = getattr(args, "data", None)
    lake = Lake(data_root(data) if data else data_root_from_env())
    started = time.perf_counter()
    try:
        ok = _dispatch(args, lake)
    except SmartCommerceError as exc:
        print(f"smartcommerce {args.command}: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "demo":
        print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


def _dispatch(args: argparse.Namespace, lake: Lake) -> bool:
    ok = True
    if args.command in ("generate", "demo"):
        cmd_generate(lake, args.seed, args.scale, args.communes, args.days, osm_pbf=args.osm_pbf)
    if args.command in ("run", "demo"):
        ok = cmd_run(lake)
    if args.command == "warehouse":
        rebuild_warehouse(lake)
    if args.command == "goalposts":
        cmd_goalposts(lake, args.goalposts_version, args.reference_set, args.out)
    if args.command in ("run", "demo", "warehouse") and lake.warehouse.exists():
        print(summary(lake))
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
