"""Typed bronze tables, so a missing source still gives typed tables.

The columns and types are declared once, with their source family, in
:data:`pipelines.sources.registry.FAMILIES`. When a territory does not hold an optional source
(no WiFi, no voucher scheme...), its bronze tables are written empty with these columns and
types: every downstream query runs, finds no rows and says so, instead of failing on a missing
file or an untyped column. A test checks that the readers produce exactly these columns on the
demo landing zone.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from pipelines.constants import CRS_WGS84
from pipelines.quarantine import ReadResult
from pipelines.sources import registry

_TYPES: dict[str, pa.DataType] = {
    "str": pa.large_string(),
    "f64": pa.float64(),
    "i64": pa.int64(),
    "i8": pa.int8(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "ts_ms": pa.timestamp("ms"),
    "ts_utc": pa.timestamp("us", tz="UTC"),
}

BRONZE: dict[str, tuple[tuple[str, str], ...]] = registry.schemas()
"""Bronze table -> (column, type) in order; ``geometry`` marks a GeoParquet table (EPSG:4326)."""


def empty(name: str) -> pd.DataFrame:
    """An empty bronze table ``name`` with its declared columns and types.

    Raises
    ------
    KeyError
        When ``name`` is not a declared bronze table.
    """
    columns = BRONZE[name]
    fields = [pa.field(c, _TYPES[t]) for c, t in columns if t != "geometry"]
    dates = {pa.date32(): pd.ArrowDtype(pa.date32())}  # a plain object column would lose its type
    frame = pa.schema(fields).empty_table().to_pandas(types_mapper=dates.get)
    if any(t == "geometry" for _, t in columns):
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS_WGS84), crs=CRS_WGS84)
        frame = frame[[c for c, _ in columns]]
    return frame


def columns(name: str) -> list[str]:
    """The declared column names of bronze table ``name``."""
    return [c for c, _ in BRONZE[name]]


def read_bronze(
    bronze: registry.Bronze, landing: Path, day: str | None = None, key: bytes = b""
) -> dict[str, ReadResult] | None:
    """Read the landing files of one bronze asset into its declared, typed tables.

    Every table the asset declares is in the result: as read, conformed to its declared
    columns when the reader's layout lacks some (the generic counter layout has no
    directions), or empty and typed when the territory holds no file for it. None when a
    daily asset has no file for ``day``.
    """
    results = bronze.read(landing, day, key)
    if results is None:
        return None
    out: dict[str, ReadResult] = {}
    for name in [*results, *(t for t in bronze.tables if t not in results)]:
        result = results.get(name)
        if name not in BRONZE:
            out[name] = result if result is not None else ReadResult(pd.DataFrame(), rows_in=0)
        elif result is None:
            out[name] = ReadResult(empty(name), rows_in=0)
        elif list(result.table.columns) != columns(name):
            table = empty(name) if result.table.empty else result.table.reindex(columns=columns(name))
            out[name] = ReadResult(table, result.quarantine, result.rows_in, result.encodings)
        else:
            out[name] = result
    return out
