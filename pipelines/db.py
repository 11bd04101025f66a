"""DuckDB connections with the spatial extension loaded offline, and the SQL-file runner.

SQL lives in ``sql/<layer>/<relation>.sql``; values are bound as named parameters
(``$name``), never formatted into the text.

The engine never reads the environment here: a caller whose lake is on object storage asks for
``s3=True`` (the lake knows, :attr:`pipelines.lake.Lake.remote`); such a connection loads ``httpfs`` (offline, from its wheel) and creates a *temporary* S3 secret from
the standard AWS variables: it lives in memory only, never in a database file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.lake import s3_settings

SQL_ROOT = Path(__file__).resolve().parents[1] / "sql"


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install (from the pinned wheel, no network) and load a DuckDB extension."""
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error:
        from duckdb_extensions import import_extension

        import_extension(name, con=con)
        con.execute(f"LOAD {name}")


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Install (from the pinned wheel, no network) and load the spatial extension."""
    load_extension(con, "spatial")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def enable_s3(con: duckdb.DuckDBPyConnection) -> None:
    """Load httpfs and create a temporary (in-memory) S3 secret from the AWS variables."""
    load_extension(con, "httpfs")
    settings = s3_settings()
    options = {"TYPE": "s3", "REGION": _literal(settings["region"])}
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        options |= {"KEY_ID": _literal(key), "SECRET": _literal(secret)}
        if os.environ.get("AWS_SESSION_TOKEN"):
            options["SESSION_TOKEN"] = _literal(os.environ["AWS_SESSION_TOKEN"])
    if settings["endpoint"]:
        options |= {"ENDPOINT": _literal(settings["endpoint"]), "URL_STYLE": "'path'",
                    "USE_SSL": "true" if settings["scheme"] == "https" else "false"}
    body = ", ".join(f"{k} {v}" for k, v in options.items())
    # CREATE SECRET takes no bound parameters; the values are quoted as literals. TEMPORARY:
    # kept in this connection's memory, never persisted.
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET smartcommerce_lake ({body})")


def connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    spatial: bool = True,
    s3: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with spatial loaded (``spatial=False`` skips it: loading costs
    about 0.4 s, wasted on queries without geometry).

    ``s3``: enable object storage (httpfs and a temporary secret), for a lake under ``s3://``.
    """
    con = duckdb.connect(str(path), read_only=read_only)
    if spatial:
        load_spatial(con)
    if s3:
        enable_s3(con)
    return con


def sql_text(relation: str) -> str:
    """The SQL of ``relation`` given as ``layer.name`` (file ``sql/<layer>/<name>.sql``)."""
    layer, name = relation.split(".", 1)
    return (SQL_ROOT / layer / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, relation: str, **params: Any) -> pd.DataFrame:
    """Run the SQL file of ``relation`` with named parameters and return a DataFrame."""
    return con.execute(sql_text(relation), params).df()
