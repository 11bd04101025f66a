"""The SQL-file runner returns the frame DuckDB's own ``.df()`` returns (the reference),
through Arrow: type by type, with and without nulls, and for an empty result."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines import db

COLUMNS = {
    "i": "1::INTEGER", "ni": "NULL::INTEGER", "bi": "3::BIGINT", "nbi": "NULL::BIGINT",
    "ti": "2::TINYINT", "ui": "4::UINTEGER", "s": "'a'", "ns": "NULL::VARCHAR",
    "d": "DATE '2026-10-25'", "nd": "NULL::DATE",
    "tz": "TIMESTAMPTZ '2026-10-25 01:00:00+02'", "ntz": "NULL::TIMESTAMPTZ",
    "ts": "TIMESTAMP '2026-01-01 10:00'", "dec": "1.5::DECIMAL(10, 2)", "ndec": "NULL::DECIMAL(38, 0)",
    "hi": "7::HUGEINT", "b": "true", "nb": "NULL::BOOLEAN", "f": "2.5::DOUBLE", "r": "2.5::REAL",
    "nf": "NULL::DOUBLE",
}
SECOND_ROW = {  # every column valued in the second row (i = 2: a stable order), so "n..." columns hold one null
    "i": "2", "ni": "5", "nbi": "6", "ns": "'z'", "nd": "DATE '2026-10-26'", "ntz": "TIMESTAMPTZ '2026-10-26 00:00:00+01'",
    "ndec": "8", "nb": "false", "nf": "1.0",
}


def _sql(rows: int) -> str:
    first = ", ".join(f"{expr} AS {name}" for name, expr in COLUMNS.items())
    second = ", ".join(f"{SECOND_ROW.get(name, expr)}::{_type(expr)} AS {name}" for name, expr in COLUMNS.items())
    union = f"SELECT {first} UNION ALL SELECT {second}"
    return f"SELECT * FROM ({union}) ORDER BY i LIMIT {rows}"  # noqa: S608 (the test's own constants)


def _type(expr: str) -> str:
    con = duckdb.connect()
    return con.execute(f"SELECT typeof({expr})").fetchone()[0]


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_same_frame_as_duckdb(rows: int) -> None:
    con = duckdb.connect()
    sql = _sql(rows)
    expected = con.execute(sql).df()
    got = db.arrow_frame(con.execute(sql).to_arrow_table())
    assert got is not None
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == rows


@pytest.mark.parametrize("expr", ["[1, 2]", "{'x': 1}", "INTERVAL 1 HOUR", "'\\x00'::BLOB"])
def test_other_types_are_left_to_duckdb(expr: str) -> None:
    con = duckdb.connect()
    assert db.arrow_frame(con.execute(f"SELECT 1 AS a, {expr} AS b").to_arrow_table()) is None


def test_query_equals_duckdb_on_a_sql_file(tmp_path) -> None:
    """silver.od_flows (dates, time zones, text, a null commune) through db.query and .df()."""
    od = pd.DataFrame({
        "ts": pd.to_datetime(["2026-10-25T00:00:00+02:00", "2026-10-25T02:00:00+01:00"], utc=True),
        "day": pd.to_datetime(["2026-10-25", "2026-10-25"]).date,
        "origin_sector": ["62063A00-", "62063A01-"], "destination_sector": ["62063A01-", "99999A00-"],
        "trips": [3, 4],
    })
    sectors = pd.DataFrame({"sector_id": ["62063A00-", "62063A01-"], "nis": ["62063", "62063"]})
    od.to_parquet(tmp_path / "od.parquet")
    sectors.to_parquet(tmp_path / "sectors.parquet")
    params = {"od": str(tmp_path / "od.parquet"), "sectors": str(tmp_path / "sectors.parquet")}
    con = duckdb.connect()
    got = db.query(con, "silver.od_flows", **params)
    expected = con.execute(db.sql_text("silver.od_flows"), params).df()
    pd.testing.assert_frame_equal(got, expected)
    assert got["destination_nis"].isna().tolist() == [False, True]


@pytest.mark.parametrize("expr", ["[1, 2]", "INTERVAL 1 HOUR"])
def test_query_falls_back_to_duckdb_on_the_fetched_table(expr: str, tmp_path, monkeypatch) -> None:
    """Other types: the one fetched result, converted by DuckDB, equals .df() of the query."""
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "q.sql").write_text(f"SELECT $n AS a, {expr} AS b, DATE '2026-01-01' AS d")
    monkeypatch.setattr(db, "SQL_ROOT", tmp_path)
    con = duckdb.connect()
    expected = con.execute(db.sql_text("layer.q"), {"n": 3}).df()
    pd.testing.assert_frame_equal(db.query(con, "layer.q", n=3), expected)
