"""The data root and atomic reads/writes of the Parquet lake.

Layout under the data root (``SMARTCOMMERCE_DATA``, default ``./data``)::

    landing/<source>/...                 files as providers deliver them
    lake/<layer>/<name>.parquet          unpartitioned tables
    lake/<layer>/<name>/day=YYYY-MM-DD/part.parquet   daily-partitioned tables
    lake/bronze/quarantine/<source>.parquet           (or .../<source>/day=.../part.parquet)
    exports/<name>.parquet / <name>.gpkg
    warehouse.duckdb

Every write goes to a temporary file in the same folder and is renamed into place, so a
reader never sees a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import ConfigError

DATA_ENV = "SMARTCOMMERCE_DATA"
LAYERS = ("bronze", "silver", "gold")


def data_root_from_env(default: str | Path = "data") -> Path:
    """The data root: ``$SMARTCOMMERCE_DATA`` or ``default``, made absolute."""
    return Path(os.environ.get(DATA_ENV) or default).expanduser().resolve()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(target: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then rename the result onto ``target``."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return target


def write_table(frame: pd.DataFrame, target: Path) -> Path:
    """Write a (Geo)DataFrame to Parquet atomically; GeoDataFrames as GeoParquet 1.1."""
    if isinstance(frame, gpd.GeoDataFrame):
        return write_atomic(
            target,
            lambda tmp: frame.to_parquet(tmp, index=False, schema_version="1.1.0", write_covering_bbox=True),
        )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_atomic(target, lambda tmp: pq.write_table(table, tmp))


def read_table(path: Path) -> pd.DataFrame:
    """Read a lake table; GeoParquet files come back as GeoDataFrames."""
    meta = pq.read_schema(path).metadata or {}
    if b"geo" in meta:
        return gpd.read_parquet(path)
    return pd.read_parquet(path)


@dataclass(frozen=True)
class Lake:
    """Paths of one data root."""

    root: Path

    def __post_init__(self) -> None:
        if not isinstance(self.root, Path):
            object.__setattr__(self, "root", Path(self.root))

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def table_path(self, layer: str, name: str, day: str | None = None) -> Path:
        """``lake/<layer>/<name>.parquet`` or, for a daily partition, ``.../day=<day>/part.parquet``."""
        if layer not in LAYERS:
            raise ConfigError(f"unknown layer {layer!r}; expected one of {LAYERS}")
        base = self.root / "lake" / layer
        if day is None:
            return base / f"{name}.parquet"
        return base / name / f"day={day}" / "part.parquet"

    def glob(self, layer: str, name: str) -> str:
        """A glob matching every partition of a daily-partitioned table (for DuckDB)."""
        return str(self.root / "lake" / layer / name / "day=*" / "part.parquet")

    def write(self, frame: pd.DataFrame, layer: str, name: str, day: str | None = None) -> Path:
        return write_table(frame, self.table_path(layer, name, day))

    def read(self, layer: str, name: str, day: str | None = None) -> pd.DataFrame:
        return read_table(self.table_path(layer, name, day))

    def read_days(self, layer: str, name: str) -> pd.DataFrame:
        """Concatenate every partition of a daily-partitioned table."""
        paths = sorted((self.root / "lake" / layer / name).glob("day=*/part.parquet"))
        if not paths:
            return pd.DataFrame()
        return pd.concat([read_table(p) for p in paths], ignore_index=True)

    def exists(self, layer: str, name: str, day: str | None = None) -> bool:
        return self.table_path(layer, name, day).exists()
