"""The analysts' DuckDB warehouse: schemas ``bronze``, ``silver``, ``gold`` of views over the
Parquet lake, each with a ``COMMENT ON``, plus ``bronze.quarantine`` over every quarantine row.

The file is rebuilt whole (in a temporary file, then renamed) at every run, so readers never
see a half-built warehouse. On a local data root the views name the lake files by absolute
path, so the file opens from any folder in any DuckDB client of the same version (the CLI, a
notebook, DBeaver) and every view answers. After moving or copying the data root,
``smartcommerce warehouse`` rebuilds the views in place for the new location (seconds: it only
lists the lake). On object storage the views name ``s3://`` URIs, read through httpfs with a
temporary secret from the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from pipelines import db
from pipelines.lake import DAY_GLOB, LAYERS, Lake, partition_day, write_atomic

QUARANTINE_VIEW = "quarantine"
QUARANTINE_COMMENT = (
    "Every row rejected at ingestion, all sources: source, source_file, row_number (1-based "
    "data row), reason, raw record."
)


IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def _literal(text: str) -> str:
    """A SQL string literal (DDL cannot take bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def comment_for(relation: str, comments: Mapping[str, str], source: str) -> str:
    """The comment of ``relation``: its own, else that of the asset it was written by
    (the longest ``layer.asset`` prefix, e.g. ``bronze.gtfs`` for ``bronze.gtfs_stops``)."""
    if relation.endswith("." + QUARANTINE_VIEW):
        return QUARANTINE_COMMENT
    if comments.get(relation):
        return comments[relation]
    owners = [k for k in comments if relation.startswith(k + "_") and comments[k]]
    if owners:
        owner = max(owners, key=len)
        return f"{comments[owner]} (table {relation.split('.', 1)[1]})"
    return f"Parquet: {source}"


def discover(lake: Lake) -> dict[tuple[str, str], str]:
    """Map (layer, relation) to the Parquet file or glob that backs it: an absolute path on a
    local root (the warehouse opens from any folder), an ``s3://`` URI on object storage."""
    base = lake.location("lake")
    prefix = str(base) if lake.remote else Path(base).resolve().as_posix()
    found: dict[tuple[str, str], str] = {}
    partitioned: set[tuple[str, str]] = set()
    quarantine = False
    for rel in lake.list_files(base):
        parts = PurePosixPath(rel).parts
        if len(parts) < 2 or parts[0] not in LAYERS or parts[-1].startswith("."):
            continue
        layer = parts[0]
        if parts[1] == QUARANTINE_VIEW:  # bronze rows, and silver rows (a survey's unknown shops)
            quarantine = quarantine or rel.endswith(".parquet")
        elif len(parts) == 2 and rel.endswith(".parquet"):
            found[(layer, PurePosixPath(parts[1]).stem)] = f"{prefix}/{rel}"
        elif len(parts) == 4 and partition_day("/".join(parts[2:])):
            partitioned.add((layer, parts[1]))
    for layer, name in sorted(partitioned):
        found[(layer, name)] = f"{prefix}/{layer}/{name}/{DAY_GLOB}"
    if quarantine:
        found[("bronze", QUARANTINE_VIEW)] = f"{prefix}/*/{QUARANTINE_VIEW}/**/*.parquet"
    return dict(sorted(found.items()))


def build_warehouse(lake: Lake, comments: Mapping[str, str]) -> dict[str, int]:
    """(Re)build ``warehouse.duckdb``; return the row count of every view.

    ``comments`` maps ``layer.relation`` to its description; a relation without one gets a
    generic comment naming its source path.
    """
    relations = discover(lake)
    bad = [name for _, name in relations if not IDENTIFIER.match(name)]
    if bad:
        raise ValueError(f"lake tables with names unfit for SQL identifiers: {bad}")
    counts: dict[str, int] = {}

    def build(tmp: Path) -> None:
        con = db.connect(tmp, s3=lake.remote)
        try:
            for layer in LAYERS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
            for (layer, name), source in relations.items():
                relation = f"{layer}.{name}"
                # DDL takes no bound parameters: the identifiers are checked against IDENTIFIER
                # and the path is quoted as a literal.
                con.execute(
                    f"CREATE OR REPLACE VIEW {relation} AS "  # noqa: S608
                    f"SELECT * FROM read_parquet({_literal(source)}, union_by_name = true)"
                )
                comment = comment_for(relation, comments, source)
                con.execute(f"COMMENT ON VIEW {relation} IS {_literal(comment)}")
                counts[relation] = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]  # noqa: S608
        finally:
            con.close()

    write_atomic(lake.warehouse, build)
    return counts
