"""GIS exports: every layer as GeoParquet 1.1 (with ``geo`` metadata and PROJJSON CRS) and
as GeoPackage (for GDAL < 3.8 and the QGIS Debian ships, which cannot read GeoParquet).

The folder is local or an ``s3://`` URI; on object storage GDAL (pyogrio) is pointed at the
same endpoint as the lake, so ``pyogrio.read_info("s3://...")`` opens the published file."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyogrio

from pipelines.lake import Target, is_remote, s3_settings, write_atomic, write_table
from pipelines.results import Check

UINT64_COLUMNS = ("h3", "h3_r8", "h3_r7", "merchant_h3")

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""
_SIGNED_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?$")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with a single quote.

    Only ``str`` values change, and only when they start with one of
    :data:`FORMULA_LEADS` and are not a plain signed number (``-3``, ``+0,5``: a number,
    never a formula, left as is). Numbers, dates, missing values pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS) and not _SIGNED_NUMBER.match(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-leading text cell neutralised (:func:`neutralise_cell`).

    Text columns only (``object`` or ``string`` dtype): a negative number in a numeric column
    is never touched. The OWASP recommendation for CSV files opened in a spreadsheet.
    """
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise_cell, na_action="ignore").astype(dtype)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8", **options: object) -> bytes:
    """A spreadsheet-bound CSV as bytes, its text cells neutralised first
    (:func:`spreadsheet_safe`); every CSV export goes through here.

    Lines end with CRLF (RFC 4180): a cell holding a carriage return is then quoted, where
    with ``\n`` line ends pandas writes it bare and a reader splits the row there.
    """
    options = {"lineterminator": "\r\n", **options}
    return spreadsheet_safe(frame).to_csv(index=False, **options).encode(encoding)


def write_csv(frame: pd.DataFrame, target: Target, **options: object) -> Target:
    """Write :func:`csv_bytes` atomically (a local path or an ``s3://`` URI)."""
    content = csv_bytes(frame, **options)
    return write_atomic(target, lambda tmp: tmp.write_bytes(content))


def for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage has no unsigned 64-bit integers: H3 cells become int64 plus a hex string."""
    out = frame.copy()
    for col in UINT64_COLUMNS:
        if col in out.columns:
            values = out[col].to_numpy(dtype="uint64")
            out[col] = values.astype("int64")
            if col == "h3":
                out.insert(out.columns.get_loc(col) + 1, "h3_hex", [h3.int_to_str(int(v)) for v in values])
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].astype(object)
        elif out[col].dtype == np.dtype("uint64"):
            out[col] = out[col].astype("int64")
    return out


def gpkg_bytes(layers: Sequence[tuple[str, pd.DataFrame]]) -> bytes:
    """A GeoPackage of every ``(name, frame)`` layer, as bytes, written without a file.

    GDAL (pyogrio) writes each layer into its own in-memory GeoPackage (it cannot append to
    one); the tables, indexes, R-tree and triggers of each are then copied into the first
    one in SQLite, the ``gpkg_*`` rows they add merged in. The result holds the same schema
    and rows as GDAL appending the layers to one file (tested), ``last_change`` aside.
    """
    if not layers:
        raise ValueError("a GeoPackage needs at least one layer")
    con = sqlite3.connect(":memory:")
    try:
        for i, (name, frame) in enumerate(layers):
            buffer = io.BytesIO()
            pyogrio.write_dataframe(frame, buffer, layer=name, driver="GPKG")
            if i == 0:
                con.deserialize(buffer.getvalue())
            else:
                _merge_gpkg(con, buffer.getvalue())
        return con.serialize()
    finally:
        con.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _merge_gpkg(con: sqlite3.Connection, data: bytes) -> None:
    """Copy the GeoPackage ``data`` into ``con``'s: new tables with their rows (an R-tree
    through its virtual table, never its shadow tables), then their indexes and triggers
    (after the rows: GDAL's triggers call functions plain SQLite lacks), and the rows of the
    shared ``gpkg_*`` tables that ``con`` does not hold yet."""
    con.execute("ATTACH ':memory:' AS src")
    con.deserialize(data, name="src")
    held = {row[0] for row in con.execute("SELECT name FROM main.sqlite_master")}
    objects = con.execute("SELECT type, name, sql FROM src.sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
    rtrees = [name for kind, name, sql in objects if kind == "table" and sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shadows = {f"{tree}_{part}" for tree in rtrees for part in ("node", "parent", "rowid")}
    tables = [(name, sql) for kind, name, sql in objects if kind == "table" and name not in shadows]
    for name, sql in tables:
        if name not in held and not name.startswith("sqlite_"):  # sqlite_sequence comes with AUTOINCREMENT
            con.execute(sql)
        source, target = f"src.{_quoted(name)}", f"main.{_quoted(name)}"
        con.execute(f"INSERT OR IGNORE INTO {target} SELECT * FROM {source} EXCEPT SELECT * FROM {target}")  # noqa: S608 (quoted table names GDAL wrote)
    for kind, name, sql in objects:
        if kind in ("index", "trigger", "view") and name not in held:
            con.execute(sql)
    con.commit()
    con.execute("DETACH src")


def configure_gdal_s3() -> None:
    """Point GDAL's /vsis3/ at the lake's S3 endpoint (credentials stay in the environment,
    where GDAL reads ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` itself)."""
    import pyogrio

    settings = s3_settings()
    options = {"AWS_REGION": settings["region"]}
    if settings["endpoint"]:
        options |= {"AWS_S3_ENDPOINT": settings["endpoint"], "AWS_VIRTUAL_HOSTING": "FALSE",
                    "AWS_HTTPS": "YES" if settings["scheme"] == "https" else "NO"}
    pyogrio.set_gdal_config_options(options)


def _join(folder: Target, name: str) -> Target:
    if is_remote(folder):
        return f"{str(folder).rstrip('/')}/{name}"
    return Path(folder) / name


def export_layer(frame: gpd.GeoDataFrame, folder: Target, name: str) -> dict[str, Target]:
    """Write ``<name>.parquet`` (GeoParquet 1.1) and ``<name>.gpkg`` atomically, into a local
    folder or under an ``s3://`` prefix."""
    if is_remote(folder):
        configure_gdal_s3()
    parquet = write_table(frame, _join(folder, f"{name}.parquet"))
    gpkg_frame = for_gpkg(frame)
    gpkg = write_atomic(
        _join(folder, f"{name}.gpkg"),
        lambda tmp: gpkg_frame.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio"),
    )
    return {"geoparquet": parquet, "geopackage": gpkg}


def export_check(frame: pd.DataFrame, geopackage: Path, layer: str) -> Check:
    """``crs_and_rows``: the GeoPackage holds every row of ``frame``, both in EPSG:4326."""
    info = pyogrio.read_info(geopackage, layer=layer)
    passed = info["features"] == len(frame) and frame.crs.to_epsg() == 4326 and "4326" in info["crs"]
    return Check("crs_and_rows", bool(passed), {"gpkg_features": int(info["features"]), "gpkg_crs": str(info["crs"])})
