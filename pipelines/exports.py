"""GIS exports: every layer as GeoParquet 1.1 (with ``geo`` metadata and PROJJSON CRS) and
as GeoPackage (for GDAL < 3.8 and the QGIS Debian ships, which cannot read GeoParquet).

The folder is local or an ``s3://`` URI; on object storage GDAL (pyogrio) is pointed at the
same endpoint as the lake, so ``pyogrio.read_info("s3://...")`` opens the published file."""

from __future__ import annotations

import re
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


def write_csv(frame: pd.DataFrame, target: Target, **options: object) -> Target:
    """Write a spreadsheet-bound CSV atomically, its text cells neutralised first
    (:func:`spreadsheet_safe`); every CSV export goes through here.

    Lines end with CRLF (RFC 4180): a cell holding a carriage return is then quoted, where
    with ``\n`` line ends pandas writes it bare and a reader splits the row there.
    """
    safe = spreadsheet_safe(frame)
    options = {"lineterminator": "\r\n", **options}
    return write_atomic(target, lambda tmp: safe.to_csv(tmp, index=False, **options))


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
