"""DuckDB connections with the spatial extension loaded offline, and the SQL-file runner.

SQL lives in ``sql/<layer>/<relation>.sql``; values are bound as named parameters
(``$name``), never formatted into the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

SQL_ROOT = Path(__file__).resolve().parents[1] / "sql"


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Install (from the pinned wheel, no network) and load the spatial extension."""
    try:
        con.execute("LOAD spatial")
    except duckdb.Error:
        from duckdb_extensions import import_extension

        import_extension("spatial", con=con)
        con.execute("LOAD spatial")


def connect(
    path: str | Path = ":memory:", *, read_only: bool = False, spatial: bool = True
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with spatial loaded (``spatial=False`` skips it: loading costs
    about 0.4 s, wasted on queries without geometry)."""
    con = duckdb.connect(str(path), read_only=read_only)
    if spatial:
        load_spatial(con)
    return con


def sql_text(relation: str) -> str:
    """The SQL of ``relation`` given as ``layer.name`` (file ``sql/<layer>/<name>.sql``)."""
    layer, name = relation.split(".", 1)
    return (SQL_ROOT / layer / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, relation: str, **params: Any) -> pd.DataFrame:
    """Run the SQL file of ``relation`` with named parameters and return a DataFrame."""
    return con.execute(sql_text(relation), params).df()
