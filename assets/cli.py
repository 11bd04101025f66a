"""``smartcommerce``: generate the demo territory, materialise every asset, summarise.

    smartcommerce generate [--seed 42] [--communes 10 | --scale 1] [--days 28] [--osm-pbf]
                                                     write the demo landing zone
    smartcommerce run                                materialise every asset for the data root
    smartcommerce demo                               both, then a summary
    smartcommerce warehouse                          rebuild warehouse.duckdb only
    smartcommerce pdf                                print every commune report to PDF (Chromium)

The data root is ``$SMARTCOMMERCE_DATA`` (default ``./data``).

Exit codes (``docs/operations.md``): 0 completed (warnings, if any, are listed), 1 failed
(a step or a blocking check), 2 bad input or configuration, 3 the environment (Dagster
home missing, disk full, permission denied, object store unreachable): one line says what
to do.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.lake import Lake, data_root, data_root_from_env

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

EXIT_OK = 0
"""Completed; data-coverage warnings (a missing day, a quiet sensor, an empty daily file
already quarantined) are listed but do not fail the run."""
EXIT_FAILED = 1
"""A step failed or a blocking check (conservation, integrity) did not pass."""
EXIT_INPUT = 2
"""Bad input or configuration (required source missing, invalid option or setting)."""
EXIT_ENVIRONMENT = 3
"""The machine, not the data: Dagster home missing, disk full, permission denied, object
store unreachable."""


class EnvironmentFault(Exception):
    """A fault of the machine the run needs fixed first; its message is the one line to print."""


class RunOutcome:
    """What a run ended with: ``failed`` (steps and blocking checks) and ``warnings``."""

    def __init__(self, failed: list[str] | None = None, warnings: list[str] | None = None) -> None:
        self.failed = failed or []
        self.warnings = warnings or []

    def __bool__(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed else EXIT_OK


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
    beside: Callable[[], object] | None = None,
) -> dict[str, int]:
    """Write the demo landing zone and say so. ``beside``: work for this process meanwhile
    (the demo imports the code location while a forked child generates the files)."""
    def write_landing() -> tuple[dict[str, int], float]:
        from pipelines.demo import generate

        started = time.perf_counter()
        summary = generate(lake.landing, seed=seed, scale=scale, communes=communes, days=days, osm_pbf=osm_pbf)
        return summary, time.perf_counter() - started

    if beside is None:
        summary, seconds = write_landing()
    else:
        from pipelines.workers import beside as run_beside

        (summary, seconds), _ = run_beside(write_landing, beside)
    print(f"generated {len(summary)} landing files under {lake.landing} in {seconds:.1f} s")
    return summary


def import_code_location() -> None:
    """Import the Dagster code location (dagster, geopandas, osmnx, scikit-learn...: seconds)."""
    import assets.definitions  # noqa: F401


def dagster_instance() -> object:
    """The Dagster instance of ``$DAGSTER_HOME`` (ephemeral when unset); see
    :func:`check_dagster_home`."""
    import dagster as dg

    check_dagster_home()
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def check_dagster_home() -> None:
    """Raise :class:`EnvironmentFault` when ``$DAGSTER_HOME`` is set but is not an existing,
    writable folder (Dagster itself would end in a traceback)."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return
    where = Path(home)
    if not where.is_dir():
        raise EnvironmentFault(
            f"DAGSTER_HOME={home} does not exist or is not a folder: create it "
            f"(mkdir -p {home} && cp dagster.yaml {home}/) or unset DAGSTER_HOME for a throw-away instance"
        )
    if not os.access(where, os.W_OK | os.X_OK):
        raise EnvironmentFault(f"DAGSTER_HOME={home} is not writable by this user: fix its permissions or point DAGSTER_HOME elsewhere")


def check_failures(checks: list) -> tuple[list[str], list[str]]:
    """Failed asset checks split by severity: ``(blocking, warnings)`` as ``asset:check``.

    A check evaluated with severity WARN (data coverage: a missing day, a quiet sensor, a
    source not fresh) is a warning; every other failed check (ERROR: conservation,
    integrity, balance) fails the run.
    """
    import dagster as dg

    blocking, warnings = [], []
    for c in checks:
        if c.passed:
            continue
        name = f"{c.asset_key.to_user_string()}:{c.check_name}"
        (warnings if c.severity == dg.AssetCheckSeverity.WARN else blocking).append(name)
    return blocking, warnings


def cmd_run(lake: Lake) -> RunOutcome:
    """Materialise every asset; daily partitions over the days present in the landing zone.

    Progress goes to the terminal one line per finished step; the full Dagster log goes to
    ``<data root>/logs/run-<time>.log``. Returns the outcome: failed steps and blocking
    checks (the run failed) and warning checks (listed; the run completed).
    """
    from assets.runlog import RunLog
    from pipelines import availability

    availability.require(availability.scan_landing(lake.landing))
    sweep(lake)
    selection, days = run_selection(lake)
    log = RunLog(lake.logs, steps=len(selection))
    started = time.perf_counter()
    result = execute(lake, selection, days, log)
    elapsed = time.perf_counter() - started
    checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_checks, warning_checks = check_failures(checks)
    n_keys = sum(len(a.keys) for a in selection)
    period = f"{days[0]} .. {days[-1]}, {len(days)} days" if days else "no daily files"
    print(f"materialised {n_keys} assets ({period}) in {elapsed:.1f} s: {'success' if result.success else 'FAILED'}")
    n_passed = len(checks) - len(failed_checks) - len(warning_checks)
    print(f"asset checks: {n_passed} passed, {len(failed_checks)} failed, {len(warning_checks)} warnings")
    if failed_checks:
        print("failed checks (blocking): " + ", ".join(failed_checks))
    if warning_checks:
        print("warnings (data coverage, the run completed): " + ", ".join(warning_checks))
    for line in log.failures():
        print(line)
    for line in _machine_faults(lake, log.failed.values()):
        print(line)
    if WAREHOUSE_STEP not in log.succeeded:
        rebuild_warehouse(lake)
    print(f"full log: {log.path}")
    steps = [f"step {step}" for step in sorted(log.failed)]
    if not result.success and not steps:
        steps = ["run"]
    return RunOutcome(steps + failed_checks, warning_checks)


def sweep(lake: Lake) -> None:
    """Remove the temporary files a killed run left behind, and say so."""
    swept = lake.sweep_temporaries()
    if swept:
        print(f"removed {len(swept)} temporary file(s) a killed run left behind: " + ", ".join(swept[:5]))


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
    defs = dg.Definitions(
        jobs=[dg.define_asset_job("smartcommerce_run")],
        assets=selection,
        resources={"lake": LakeResource(root=str(lake.root)), "settings": SettingsResource(pseudonym_key=pseudonym_key())},
        loggers=log.loggers(),
    )
    with dagster_instance() as instance:  # disposed at the end: the held event-log index is closed
        return defs.resolve_job_def("smartcommerce_run").execute_in_process(
            instance=instance, tags=tags, run_config={"loggers": log.run_config()}, raise_on_error=False
        )


WAREHOUSE_STEP = "exports__warehouse"


def _machine_faults(lake: Lake, reasons: object) -> list[str]:
    """One line per kind of machine fault behind failed steps, naming where to act (a step's
    error may not name its file: pyarrow's "Error writing bytes to file" does not)."""
    text = " ".join(str(r).lower() for r in reasons)  # type: ignore[union-attr]
    lines = []
    if "no space left on device" in text or "disk quota exceeded" in text:
        where = lake.location("lake") if lake.remote else Path(lake.location("lake")).resolve()
        lines.append(f"disk full while writing the lake: free space on the file system of {where} (df -h {where}) and run again")
    if "permission denied" in text or "read-only file system" in text:
        where = lake.root if lake.remote else Path(lake.root).resolve()
        lines.append(f"permission denied under {where}: make the data root writable for this user and run again")
    return lines


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


def cmd_pdf(lake: Lake) -> bool:
    """PDF of every commune report, after a run (2-3 s a commune: not in the run itself).
    Without Chromium the PDFs are skipped with a message, and that is not a failure."""
    from pipelines.canvas.pdf import write_pdfs

    folder = lake.exports_local / "reports"
    if not folder.is_dir():
        print(f"no reports under {folder}: run `smartcommerce run` first")
        return False
    status = write_pdfs(folder)
    print(status.message)
    if status.written:
        lake.publish_exports(lake.exports_local)  # nothing to do on a local data root
    return not status.failed


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
        "pdf": "print every commune report (exports/reports/<nis>.html) to <nis>.pdf with headless Chromium",
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


_NO_SPACE = ("no space left on device", "database or disk is full", "disk quota exceeded")
_NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)


def fault_line(exc: BaseException) -> str | None:
    """One line saying what to do about a fault of the environment, or ``None`` if ``exc``
    is not one (a bug keeps its traceback).

    Recognised: :class:`EnvironmentFault`; a full disk (``ENOSPC``/``EDQUOT``, or SQLite's
    "database or disk is full" from the Dagster instance) naming the file and its folder;
    permission denied or a read-only file system naming the path; an object store that
    cannot be reached, naming the endpoint.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        line = _one_fault(current)
        if line is not None:
            return line
        current = current.__cause__ or current.__context__
    return None


def _one_fault(exc: BaseException) -> str | None:
    if isinstance(exc, EnvironmentFault):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) or any(s in text.lower() for s in _NO_SPACE):
        place = where or _dagster_db_hint(text)
        folder = str(Path(place).parent) if place else "the data root or $DAGSTER_HOME"
        return f"disk full while writing {place or 'a file'}: free space on the file system of {folder} (df -h {folder}) and run again"
    if isinstance(exc, OSError) and exc.errno in _NO_PERMISSION:
        what = "read-only file system" if exc.errno == errno.EROFS else "permission denied"
        return f"{what}: {where or text}: make it writable for this user (or choose another --data root / DAGSTER_HOME) and run again"
    lowered = text.lower()
    remote = type(exc).__module__.startswith(("botocore", "pyarrow", "s3fs", "fsspec")) or isinstance(exc, ConnectionError)
    remote = remote or any(s in lowered for s in ("aws error", "s3://", "bucket", "curlcode"))
    if remote and any(s in lowered for s in _UNREACHABLE):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "the default AWS S3 endpoint"
        return f"object store unreachable at {endpoint} ({_short(text)}): check the endpoint, the network and the credentials, then run again"
    return None


_UNREACHABLE = (
    "could not connect", "connection refused", "unreachable", "failed to connect", "network_connection",
    "name or service not known", "could not resolve host", "timed out", "connection reset",
)  # fmt: skip


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dagster_db_hint(text: str) -> str | None:
    home = os.environ.get("DAGSTER_HOME")
    if home and "database or disk is full" in text.lower():
        return str(Path(home) / "storage")
    return None


def main(argv: list[str] | None = None) -> int:
    from pipelines.errors import SmartCommerceError

    args = _parser().parse_args(argv)
    data = getattr(args, "data", None)
    lake = Lake(data_root(data) if data else data_root_from_env())
    started = time.perf_counter()
    try:
        outcome = _dispatch(args, lake)
    except SmartCommerceError as exc:
        print(f"smartcommerce {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        line = fault_line(exc)
        if line is None:
            raise
        print(f"smartcommerce {args.command}: error: {line}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if args.command == "demo":
        print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    if outcome.failed:
        print(f"smartcommerce {args.command}: FAILED ({len(outcome.failed)}): " + ", ".join(outcome.failed), file=sys.stderr)
    elif outcome.warnings:
        print(f"smartcommerce {args.command}: completed with {len(outcome.warnings)} warning(s): " + ", ".join(outcome.warnings))
    return outcome.exit_code


def _dispatch(args: argparse.Namespace, lake: Lake) -> RunOutcome:
    if args.command in ("run", "demo"):
        check_dagster_home()  # a missing Dagster home is said before anything is generated
    ok = RunOutcome()
    if args.command in ("generate", "demo"):
        # the demo imports the code location while the files are generated (local landing only)
        meanwhile = import_code_location if args.command == "demo" and not lake.remote else None
        cmd_generate(lake, args.seed, args.scale, args.communes, args.days, osm_pbf=args.osm_pbf, beside=meanwhile)
    if args.command in ("run", "demo"):
        ok = cmd_run(lake)
    if args.command == "warehouse":
        rebuild_warehouse(lake)
    if args.command == "goalposts":
        cmd_goalposts(lake, args.goalposts_version, args.reference_set, args.out)
    if args.command == "pdf" and not cmd_pdf(lake):
        ok = RunOutcome(["pdf"])
    if args.command in ("run", "demo", "warehouse") and lake.warehouse.exists():
        print(summary(lake))
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
