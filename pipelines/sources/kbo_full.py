"""The KBO/BCE full extract at national size, streamed with DuckDB and cut to a territory.

The full extract holds about 2 M establishments, 1.9 M enterprises, 20+ M activity rows
and 3+ M addresses and denominations. :func:`read_kbo_full` never loads it: DuckDB scans
each CSV once with explicit VARCHAR columns (no type sniffing), a bounded memory limit and
the territory filter applied during the scan:

1. ``address.csv``: rows whose ``Zipcode`` is one of the territory's postcodes;
2. ``establishment.csv``: establishments with an address in (1);
3. ``enterprise.csv``: their enterprises, and enterprises whose own address is in (1);
4. ``activity.csv`` and ``denomination.csv``: rows of the entities of (2) and (3).

Only those rows reach pandas, where the same row checks as :func:`kbo.read_kbo` run, so
the result has the same tables, columns and quarantine reasons; the located table comes
from :func:`kbo.locate_establishments` as before. Daily update extracts
(``<name>_delete.csv`` then ``<name>_insert.csv``) are applied on top, in order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows
from pipelines.sources import kbo

SOURCE = kbo.SOURCE
TABLES = kbo.TABLES
_DELETE_KEY = {"enterprise": "EnterpriseNumber", "establishment": "EstablishmentNumber"}


def read_kbo_full(
    folder: Path,
    *,
    postcodes: Iterable[str],
    updates: Sequence[Path] = (),
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> dict[str, ReadResult]:
    """Read a KBO full extract cut to the territory's postcodes, with updates applied.

    Parameters
    ----------
    folder
        The unzipped full extract (``enterprise.csv, establishment.csv, activity.csv,
        address.csv, denomination.csv``; ``code.csv`` is read by ``kbo.nace_labels``).
    postcodes
        The territory's 4-digit postcodes (e.g. those of ``kbo/postcodes.csv`` inside the
        communes, or a list the intercommunale keeps). Entities elsewhere are not read.
    updates
        Update extract folders (``KboOpenData_<n>_<date>_Update``), oldest first. Each
        ``<name>_delete.csv`` removes every row of the listed entities, then
        ``<name>_insert.csv`` adds rows; an entity whose inserted address lies outside
        the territory leaves it.
    memory_limit, threads
        DuckDB settings; memory stays bounded by ``memory_limit`` plus the territory's rows.

    Returns
    -------
    dict[str, ReadResult]
        As :func:`kbo.read_kbo`: per table the accepted rows (snake_case columns, strings,
        dates parsed, ``source_row`` the 1-based data row in its file) and the quarantine
        (same reasons; lines DuckDB cannot parse, e.g. a wrong number of fields, are
        ``expected N fields, found M`` or DuckDB's reason, anywhere in the file). Rows
        outside the territory are neither accepted nor quarantined: ``rows_in`` counts the
        territory's rows. Rows removed by an update's delete file are not counted.

    Raises
    ------
    InputError
        If ``folder`` or an update folder is not a folder.
    """
    folder = Path(folder)
    for path in (folder, *map(Path, updates)):
        if not path.is_dir():
            raise InputError("KBO folder not found", path=path)
    territory = sorted({str(p).strip() for p in postcodes})
    config: dict[str, object] = {
        "memory_limit": memory_limit, "preserve_insertion_order": True,
    }  # fmt: skip
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    try:
        return _read(con, folder, territory, [Path(u) for u in updates])
    finally:
        con.close()


def read_and_locate(
    folder: Path,
    *,
    postcodes: Iterable[str],
    updates: Sequence[Path] = (),
    points: pd.DataFrame | ReadResult | None = None,
    postcode_list: pd.DataFrame | ReadResult | None = None,
    memory_limit: str = "1GB",
) -> tuple[dict[str, ReadResult], ReadResult]:
    """:func:`read_kbo_full` then :func:`kbo.locate_establishments` (``points`` are the
    address points, e.g. ``best.read_best_addresses``; ``postcode_list`` the fallback)."""
    tables = read_kbo_full(folder, postcodes=postcodes, updates=updates, memory_limit=memory_limit)
    located = kbo.locate_establishments(tables, points, postcode_list)
    return tables, located


def territory_postcodes(
    postcodes: pd.DataFrame | ReadResult, communes: pd.DataFrame, *, buffer_m: float = 0.0
) -> list[str]:
    """The postcodes of a territory: those with a locality point inside its communes.

    ``postcodes`` is ``kbo.read_postcodes`` (``zipcode-belgium.csv`` layout), ``communes``
    the commune GeoDataFrame (EPSG:4326). A postcode straddling the territory's edge is in
    when one of its localities is; ``buffer_m`` (metres, Lambert 72) widens the territory.
    """
    import geopandas as gpd

    table = postcodes.table if isinstance(postcodes, ReadResult) else postcodes
    area = gpd.GeoSeries(communes.geometry, crs=communes.crs).to_crs(31370).union_all()
    if buffer_m:
        area = area.buffer(buffer_m)
    points = gpd.GeoSeries(gpd.points_from_xy(table["lon"], table["lat"]), crs=4326).to_crs(31370)
    inside = points.within(area).to_numpy()
    return sorted(set(table.loc[inside, "postcode"].astype(str)))


# --- the scan ------------------------------------------------------------------------


def _read(
    con: duckdb.DuckDBPyConnection, folder: Path, territory: list[str], updates: list[Path]
) -> dict[str, ReadResult]:
    update_parts = [_read_update(u) for u in updates]
    con.execute("CREATE TEMP TABLE terr_pc AS SELECT unnest($p::VARCHAR[]) AS zipcode", {"p": territory})
    moved_in: set[str] = set()  # entities an update gives an address in the territory
    moved_out: set[str] = set()  # ... and those whose last inserted address lies outside
    for part in update_parts:  # oldest first: a later update wins
        addr = part["insert"]["address"]
        inside = addr["zipcode"].isin(territory)
        now_in = set(addr.loc[inside, "entity_number"].dropna())
        now_out = set(addr.loc[~inside, "entity_number"].dropna()) - now_in
        moved_in = (moved_in | now_in) - now_out
        moved_out = (moved_out | now_out) - now_in
    parts: dict[str, tuple[pd.DataFrame, pd.DataFrame, int, Path]] = {}

    parts["address"] = _scan(con, folder, "address", ("terr_pc", "{Zipcode}", "zipcode"))
    con.execute("CREATE TEMP TABLE terr_ent (e VARCHAR)")
    con.execute("INSERT INTO terr_ent SELECT DISTINCT entity_number FROM part_address")
    con.execute("INSERT INTO terr_ent SELECT unnest($e::VARCHAR[])", {"e": sorted(moved_in)})
    parts["establishment"] = _scan(
        con, folder, "establishment", ("terr_ent", "{EstablishmentNumber}", "e")
    )
    inserted_est = [p["insert"]["establishment"] for p in update_parts]
    extra_ent = set().union(*(set(e["enterprise_number"].dropna()) for e in inserted_est))
    con.execute("CREATE TEMP TABLE keep_ent (e VARCHAR)")
    con.execute("INSERT INTO keep_ent SELECT e FROM terr_ent")
    con.execute("INSERT INTO keep_ent SELECT DISTINCT enterprise_number FROM part_establishment")
    con.execute("INSERT INTO keep_ent SELECT unnest($e::VARCHAR[])", {"e": sorted(extra_ent)})
    parts["enterprise"] = _scan(con, folder, "enterprise", ("keep_ent", "{EnterpriseNumber}", "e"))
    for name in ("activity", "denomination"):
        parts[name] = _scan(con, folder, name, ("keep_ent", "{EntityNumber}", "e"))

    keep_set = {r[0] for r in con.execute("SELECT DISTINCT e FROM keep_ent").fetchall()}
    terr_set = {r[0] for r in con.execute("SELECT DISTINCT e FROM terr_ent").fetchall()}
    results = {}
    for name in TABLES:
        frame, quarantine, _, path = parts[name]
        frames, quarantines = [frame.assign(_file=str(path))], [quarantine]
        for part in update_parts:
            deleted = part["delete"][name]
            key = kbo._KEYS.get(name, "entity_number")
            frames = [f[~f[key].isin(deleted)] for f in frames]
            ins = part["insert"][name]
            quarantines.append(part["quarantine"][name])
            frames.append(_in_territory(name, ins, territory, terr_set, keep_set).assign(_file=part["files"][name]))
        combined = pd.concat(frames, ignore_index=True)
        key = kbo._KEYS.get(name, "entity_number")
        if moved_out:
            combined = combined[~combined[key].isin(moved_out)]
        results[name] = _finish(name, combined.reset_index(drop=True), pd.concat(quarantines, ignore_index=True), path)
    return results


def _in_territory(
    name: str, frame: pd.DataFrame, territory: list[str], terr: set[str], keep: set[str]
) -> pd.DataFrame:
    if name == "address":
        return frame[frame["zipcode"].isin(territory)]
    if name == "establishment":
        return frame[frame["establishment_number"].isin(terr)]
    column = "enterprise_number" if name == "enterprise" else "entity_number"
    return frame[frame[column].isin(keep)]


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _scan(
    con: duckdb.DuckDBPyConnection, folder: Path, name: str, where: tuple[str, str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, int, Path]:
    """Scan one table, keep the rows matching ``where``; store them as ``part_<name>``.

    ``where`` is ``(keys table, file column, key column)``: a semi join of the file column,
    as written (published values are quoted without spaces), on the keys. Measured on 20 M
    activity rows: ``IN (SELECT ...)`` (a mark join) and ``trim()`` on the probe side each
    made the scan 2-4 times slower.

    Returns ``(frame, quarantine, rows_scanned, path)``: ``frame`` in snake_case strings
    ('' -> NA) with ``_row`` (1-based data row), ``quarantine`` the lines DuckDB rejected
    (or the file-level row). ``where`` is built from code constants only.
    """
    expected = kbo._HEADERS[name].split()
    snake = list(kbo._snake(pd.DataFrame(columns=expected)).columns)
    path = folder / f"{name}.csv"
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in snake}).assign(_row=pd.Series(dtype="int64"))
    con.execute(f"CREATE TEMP TABLE part_{name} AS SELECT * FROM empty")  # noqa: S608 (typed, empty)
    if not path.is_file():
        why = f"missing KBO table {name} (expected {name}.csv or {name}_insert.csv)"
        return empty, file_quarantine(SOURCE, str(path), why), 1, path
    header = _header(path)
    missing = [c for c in expected if c not in header]
    if missing:
        why = (f"missing required column {missing[0]!r} (expected {', '.join(expected)}; "
               f"found {', '.join(header) or 'no columns'})")  # fmt: skip
        return empty, file_quarantine(SOURCE, str(path), why), 1, path
    # the file's header names never enter the SQL: columns are positional (c0, c1, ...)
    position = {c: f"c{header.index(c)}" for c in expected}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    select = ", ".join(f"nullif(trim({position[c]}), '') AS {s}" for c, s in zip(expected, snake, strict=True))
    keys, column, key = where
    column = column.format(**position)
    rejects = f"rej_{name}"
    scan = (
        f"read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {columns}, store_rejects = true, rejects_table = '{rejects}', "
        f"rejects_scan = 'scan_{name}')"
    )
    # identifiers and filters come from code constants; the path is a bound parameter
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE part_{name} AS SELECT {select}, _ord AS _row FROM "  # noqa: S608
        f"(SELECT *, row_number() OVER () AS _ord FROM {scan}) AS s "
        f"SEMI JOIN (SELECT DISTINCT {key} AS k FROM {keys}) AS t ON s.{column} = t.k",
        {"path": str(path)},
    )
    rej = con.execute(f"SELECT line, error_type, error_message, csv_line FROM {rejects} ORDER BY line, column_idx").df()  # noqa: S608
    # one line missing k columns gives k rejects: keep the first
    rej = rej.drop_duplicates("line").reset_index(drop=True)
    frame = con.execute(f"SELECT * FROM part_{name}").df()  # noqa: S608
    frame = frame.astype({c: "string" for c in snake}).assign(_row=frame["_row"].astype("int64"))
    if len(rej):  # ordinals skip rejected lines: shift them back to data rows
        data_rows = (rej["line"].to_numpy(dtype="int64") - 1)
        shift = data_rows - np.arange(len(data_rows))
        frame["_row"] = frame["_row"] + np.searchsorted(shift, frame["_row"].to_numpy(), side="right")
    reasons = [_reject_reason(t, m, len(expected)) for t, m in zip(rej["error_type"], rej["error_message"], strict=True)]
    lines = rej["csv_line"].astype(str).tolist()
    quarantine = quarantine_rows(SOURCE, str(path), (rej["line"] - 1).tolist(), reasons, lines)
    return frame, quarantine, 0, path


def _reject_reason(error_type: str, message: str, expected: int) -> str:
    if error_type == "TOO MANY COLUMNS" or error_type == "MISSING COLUMNS":
        found = message.rsplit("Found:", 1)[-1].strip() if "Found:" in message else "?"
        return f"expected {expected} fields, found {found}"
    if error_type == "INVALID ENCODING" or "unicode" in message.lower():
        return "not valid UTF-8"
    return f"unparseable line ({error_type.lower()})"


# --- updates and the row checks --------------------------------------------------------


def _read_update(folder: Path) -> dict[str, dict]:
    """The delete keys and insert rows (checked) of one update extract, per table."""
    out: dict[str, dict] = {"delete": {}, "insert": {}, "quarantine": {}, "files": {}}
    for name in TABLES:
        delete_path = folder / f"{name}_delete.csv"
        keys: set[str] = set()
        if delete_path.is_file():
            column = _DELETE_KEY.get(name, "EntityNumber")
            frame = pd.read_csv(delete_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            if column in frame:
                keys = set(frame[column].str.strip()) - {""}
        out["delete"][name] = keys
        insert_path = folder / f"{name}_insert.csv"
        out["files"][name] = str(insert_path)
        if insert_path.is_file():
            frame, quarantine, _ = kbo._read_csv(insert_path, kbo._HEADERS[name].split(), SOURCE)
        else:
            frame = kbo._snake(pd.DataFrame(columns=kbo._HEADERS[name].split(), dtype="string"))
            frame["_row"] = pd.Series(dtype="int64")
            quarantine = quarantine_rows(SOURCE, str(insert_path), [], [], [])
        out["insert"][name] = frame
        out["quarantine"][name] = quarantine
    return out


def _finish(name: str, frame: pd.DataFrame, quarantine: pd.DataFrame, path: Path) -> ReadResult:
    """The row checks of :func:`kbo.read_kbo` on the territory's rows of every file."""
    files = frame.pop("_file") if "_file" in frame else pd.Series(str(path), index=frame.index)
    reason = kbo._table_reasons(name, frame)
    bad = reason.notna()
    raws = frame.loc[bad].drop(columns="_row").astype(str).to_dict(orient="records")
    q = quarantine_rows(SOURCE, files[bad].tolist(), frame.loc[bad, "_row"].tolist(), reason[bad].tolist(), raws)
    q = pd.concat([quarantine, q], ignore_index=True)
    table = frame.loc[~bad].rename(columns={"_row": "source_row"}).reset_index(drop=True)
    result = ReadResult(table, q.reset_index(drop=True))
    result.table.attrs["source_file"] = str(path)
    # the file of each accepted row (the full extract or an update's insert file), as
    # runs (file, count): attrs are deep-copied by every pandas operation, keep them small
    kept = files[~bad].to_numpy()
    starts = np.flatnonzero(np.r_[True, kept[1:] != kept[:-1]]) if len(kept) else np.array([], int)
    counts = np.diff(np.r_[starts, len(kept)])
    result.table.attrs["source_file_runs"] = [(str(kept[i]), int(n)) for i, n in zip(starts, counts, strict=True)]
    return result
