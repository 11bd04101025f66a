"""The data root and atomic reads/writes of the Parquet lake, on a local folder or on
S3-compatible object storage.

Layout under the data root (``SMARTCOMMERCE_DATA``: a folder, default ``./data``, or
``s3://bucket/prefix``)::

    landing/<source>/...                 files as providers deliver them
    lake/<layer>/<name>.parquet          unpartitioned tables
    lake/<layer>/<name>/day=YYYY-MM-DD/part.parquet   daily-partitioned tables
    lake/bronze/quarantine/<source>.parquet           (or .../<source>/day=.../part.parquet)
    exports/<name>.parquet / <name>.gpkg
    warehouse.duckdb                     (local root; ``$SMARTCOMMERCE_WAREHOUSE`` overrides)

Every write is atomic. On a folder it goes to a temporary file beside the target, renamed into
place. On object storage the file is written locally, uploaded under a temporary key beside
the target and copied server-side onto the target key (then the temporary key is deleted): a
reader sees the old object or the new one, never a part.

Object storage is configured as AWS tools are, from the environment only:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION`` and, for a server that is not
AWS, ``AWS_ENDPOINT_URL`` (e.g. ``http://127.0.0.1:8333``). Nothing here writes them anywhere.
Readers of the landing zone take local folders: on object storage :attr:`Lake.landing` is a
local copy under ``$SMARTCOMMERCE_CACHE`` (default ``~/.cache/smartcommerce``), refreshed from
the bucket for new or changed files.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import gc
import hashlib
import io
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pyproj
import shapely

from pipelines.errors import ConfigError

DATA_ENV = "SMARTCOMMERCE_DATA"
WAREHOUSE_ENV = "SMARTCOMMERCE_WAREHOUSE"
CACHE_ENV = "SMARTCOMMERCE_CACHE"
LAYERS = ("bronze", "silver", "gold")
PART_FILE = "part.parquet"
"""The file of one daily partition, in ``<name>/day=<YYYY-MM-DD>/``."""
DAY_GLOB = f"day=*/{PART_FILE}"
"""Every daily partition of a table, relative to the table's folder."""


def partition_day(rel: str) -> str | None:
    """The day of a ``day=<YYYY-MM-DD>/part.parquet`` path relative to a table folder, else None."""
    head, _, tail = rel.partition("/")
    return head[len("day="):] if head.startswith("day=") and tail == PART_FILE else None
REMOTE_SCHEMES = ("s3://",)

Target = Path | str  # a local path or an ``s3://bucket/key`` URI


def is_remote(location: str | Path | None) -> bool:
    """True for an object-storage URI (``s3://...``)."""
    return isinstance(location, str) and location.startswith(REMOTE_SCHEMES)


def data_root_from_env(default: str | Path = "data") -> Path | str:
    """The data root: ``$SMARTCOMMERCE_DATA`` or ``default``, as :func:`data_root` gives it."""
    return data_root(os.environ.get(DATA_ENV) or default)


def data_root(raw: str | Path) -> Path | str:
    """A folder as an absolute :class:`Path`; an ``s3://bucket/prefix`` URI as a string
    without trailing slash."""
    if is_remote(str(raw)):
        return normalise_uri(str(raw))
    return Path(raw).expanduser().resolve()


def normalise_uri(uri: str) -> str:
    parsed = urlparse(uri)
    if not parsed.netloc:
        raise ConfigError(f"object-storage root {uri!r} names no bucket; expected s3://bucket/prefix")
    return f"s3://{parsed.netloc}/{parsed.path.strip('/')}".rstrip("/")


# --- object storage ---------------------------------------------------------------------------


def s3_settings() -> dict[str, str]:
    """Endpoint, region and URL style of the S3 server, from the standard AWS variables
    (no credentials: pyarrow and DuckDB read those from the environment themselves)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    out = {"region": region, "endpoint": "", "scheme": "https"}
    if endpoint:
        parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        out["endpoint"], out["scheme"] = parsed.netloc, parsed.scheme or "https"
    return out


@cache
def _s3(endpoint: str, scheme: str, region: str) -> pafs.S3FileSystem:
    # Credentials: the AWS default chain (environment variables, profile, instance role).
    kwargs: dict[str, object] = {"region": region}
    if endpoint:
        kwargs |= {"endpoint_override": endpoint, "scheme": scheme, "force_virtual_addressing": False}
    return pafs.S3FileSystem(**kwargs)


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem configured from the environment (cached per configuration)."""
    s = s3_settings()
    return _s3(s["endpoint"], s["scheme"], s["region"])


def _key(uri: str) -> str:
    """``s3://bucket/key`` -> ``bucket/key`` (pyarrow's path form)."""
    return uri[len("s3://"):]


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "smartcommerce").expanduser()


# --- atomic writes -----------------------------------------------------------------------------


@contextmanager
def atomic_path(target: Target) -> Iterator[Path]:
    """Yield a local temporary path; on success publish it onto ``target`` atomically (rename
    beside a local target; upload under a temporary key, then server-side copy, on S3)."""
    if is_remote(target):
        suffix = Path(urlparse(str(target)).path).suffix
        with tempfile.TemporaryDirectory(prefix="smartcommerce-") as folder:
            tmp = Path(folder) / f"part{suffix}"
            yield tmp
            publish(tmp, str(target))
        return
    target = Path(target)
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


def _temporary(name: str) -> bool:
    """A temporary file's name: ``.<name>.<random>.tmp<suffix>`` (local), ``.<name>.<hex>.tmp``
    (object storage), ``.<name>.<pid>.tmp`` (the streamed probes)."""
    return name.startswith(".") and ".tmp" in name


def publish(local: Path, uri: str) -> str:
    """Upload ``local`` under a temporary key beside ``uri``, copy it onto ``uri`` (S3
    CopyObject: the target changes in one step) and delete the temporary key."""
    fs = s3_filesystem()
    target = _key(uri)
    parent, _, name = target.rpartition("/")
    tmp = f"{parent}/.{name}.{secrets.token_hex(6)}.tmp"
    try:
        pafs.copy_files(str(local), tmp, destination_filesystem=fs)
        fs.copy_file(tmp, target)
    finally:
        with suppress(FileNotFoundError, OSError):
            fs.delete_file(tmp)
    return uri


def latest_days(days: list[str], n: int) -> list[str]:
    """The ``days`` (ISO dates) within the ``n`` calendar days ending at the newest one: the
    current period of a daily table (a gap in the data does not reach further back)."""
    if not days or n <= 0:
        return []
    newest = dt.date.fromisoformat(max(days))
    first = (newest - dt.timedelta(days=n - 1)).isoformat()
    return sorted(d for d in days if d >= first)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


RELEASE_EVERY_S = 1.0
"""``release_memory`` walks the whole heap (about 6 ms with 2 GB live): at most once a second,
so that the hundreds of daily files of a backfill do not each pay it."""
_released_at = [float("-inf")]


def _collect_cycles() -> None:
    """Free the garbage held in reference cycles now, not at the collector's next full pass
    (262 communes, Huff then the tiers, two runs each: the tiers peaked at 1,465-1,496 MB
    with it, 1,588-1,595 MB without). The objects alive at the first call (the imported
    stack, Dagster's definitions) are frozen (:func:`gc.freeze`), so that each later
    collection scans only what came after: about 1 ms instead of 170 ms."""
    gc.collect()
    if not gc.get_freeze_count():
        gc.freeze()


def release_memory(*, force: bool = False) -> None:
    """Give the memory freed so far back to the system: Arrow's pool (mimalloc) and glibc's
    heap. A step writes its tables once its work is done; without this the process keeps the
    high-water mark of every step, and the next one starts from it (after ``access`` at 262
    communes: 3,280 MB resident, 935 MB once released). Each write calls it, and each step
    before it reads (``force``: the frames of the step before are gone by then, while at its
    last write they were still held; the garbage in reference cycles is collected first);
    a write's call acts at most every :data:`RELEASE_EVERY_S`."""
    now = time.monotonic()
    if not force and now - _released_at[0] < RELEASE_EVERY_S:
        return
    _released_at[0] = now
    if force:
        _collect_cycles()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def write_atomic(target: Target, writer: Callable[[Path], None]) -> Target:
    """Call ``writer(tmp_path)`` then publish the result onto ``target``."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return target


def _parquet(frame: pd.DataFrame) -> Callable[[Path | io.BytesIO], None]:
    """A writer of ``frame`` as Parquet; GeoDataFrames as GeoParquet 1.1 (bbox covering).

    ``frame.attrs`` (readers keep the landing file's path and encoding there) is not written:
    pandas would store it in the file's metadata, publishing a local path."""
    if frame.attrs:
        frame = frame.copy(deep=False)
        frame.attrs = {}
    if isinstance(frame, gpd.GeoDataFrame):
        rows = _geo_row_group_rows(frame)
        if rows is None:
            return lambda where: frame.to_parquet(where, index=False, schema_version="1.1.0", write_covering_bbox=True)
        return lambda where: _write_geo_row_groups(frame, where, rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return lambda where: pq.write_table(table, where)


def _write_geo_row_groups(frame: gpd.GeoDataFrame, where: Path | io.BytesIO, rows: int) -> None:
    """``frame.to_parquet(where, index=False, schema_version="1.1.0", write_covering_bbox=True,
    row_group_size=rows)``, the same file, converted to WKB one row group at a time: geopandas
    converts the whole geometry column first, then copies it into Arrow (the 262-commune
    isochrones: 390 MB of WKB held twice beside their polygons). The file's ``geo`` metadata
    (bounding box, geometry types) is geopandas' own, computed on the whole frame, by the
    private helpers its ``to_parquet`` calls: requirements.lock pins the version, and a test
    compares the file with geopandas' byte for byte, so an upgrade that changes them fails
    there."""
    from geopandas.io.arrow import _create_metadata, _encode_metadata, _geopandas_to_arrow

    encoding = {str(c): "WKB" for c in frame.columns[frame.dtypes == "geometry"]}
    geo = _encode_metadata(_create_metadata(frame, "1.1.0", encoding, write_covering_bbox=True))
    writer = None
    try:
        for start in range(0, len(frame), rows):
            table = _geopandas_to_arrow(frame.iloc[start : start + rows], index=False, schema_version="1.1.0", write_covering_bbox=True)
            table = table.replace_schema_metadata({**table.schema.metadata, b"geo": geo})
            if writer is None:
                writer = pq.ParquetWriter(where, table.schema)
            writer.write_table(table, row_group_size=rows)
            del table
    finally:
        if writer is not None:
            writer.close()


GEO_ROW_GROUP_BYTES = 32 * 2**20
"""About this many bytes of geometry per row group of a GeoParquet file. Arrow reads a row
group whole: the 262-commune isochrones (390 MB of WKB in 2,120 rows) in one row group took
2.8 GB and 6.7 s to read, in row groups of about 30 MB 1.2 GB and 2.2 s
(:func:`read_table` converts them one at a time)."""


def _geo_row_group_rows(frame: gpd.GeoDataFrame) -> int | None:
    """Rows per row group so that each holds about :data:`GEO_ROW_GROUP_BYTES` of WKB (16
    bytes a vertex); None (Arrow's default) for a table lighter than that."""
    vertices = int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()) if len(frame) else 0
    size = 16 * vertices + 32 * len(frame)
    if size <= GEO_ROW_GROUP_BYTES:
        return None
    return max(1, int(len(frame) * GEO_ROW_GROUP_BYTES / size))


def write_table(frame: pd.DataFrame, target: Target) -> Target:
    """Write a (Geo)DataFrame to Parquet atomically; GeoDataFrames as GeoParquet 1.1."""
    return write_atomic(target, _parquet(frame))


def table_bytes(frame: pd.DataFrame) -> bytes:
    """The file :func:`write_table` writes, as bytes (for an export written by
    :meth:`Lake.write_exports`)."""
    buffer = io.BytesIO()
    _parquet(frame)(buffer)
    return buffer.getvalue()


def read_table(path: Target, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a lake table; GeoParquet files come back as GeoDataFrames.

    ``columns`` reads only those columns, in that order: the others are neither read nor
    decoded (a table's geometry, when a step needs its attributes only, is most of the time
    of reading it). A GeoParquet file read without any of its geometry columns comes back as
    a DataFrame. A column the file does not hold raises :class:`KeyError` naming it."""
    source = pq.ParquetFile(_key(str(path)), filesystem=s3_filesystem()) if is_remote(path) else pq.ParquetFile(path)
    with source:
        names = source.schema_arrow.names
        if columns is not None:
            columns = list(columns)
            if missing := [c for c in columns if c not in names]:
                raise KeyError(f"{path} has no column {', '.join(map(repr, missing))} (it has {', '.join(names)})")
        geo = json.loads((source.schema_arrow.metadata or {}).get(b"geo", b"null"))
        if geo is not None and (columns is None or any(c in geo["columns"] for c in columns)):
            return _geo_frame(source, geo, columns)
        return source.read(columns=columns).to_pandas()


def _geo_frame(source: pq.ParquetFile, geo: dict[str, Any], selected: list[str] | None = None) -> gpd.GeoDataFrame:
    """A GeoParquet file (WKB geometry columns, as :func:`write_table` writes them; ``geo``
    its parsed metadata) as a GeoDataFrame, equal to what ``geopandas.read_parquet`` returns
    (the bbox covering columns left out; only the ``selected`` columns, in that order, when
    given), with each column's CRS parsed once per process (:func:`_crs`). The row groups
    are read and their geometry parsed one at a time: Arrow's buffers for one row group, not
    the whole file's, are held beside the geometries."""
    schema = source.schema_arrow
    coverings = {m["covering"]["bbox"]["xmin"][0] for m in geo["columns"].values() if "bbox" in m.get("covering", {})}
    kept = [c for c in schema.names if c not in coverings] if selected is None else selected
    columns = [c for c in kept if c in geo["columns"]]
    other = [c for c in columns if geo["columns"][c].get("encoding") != "WKB"]
    if other:
        raise ValueError(f"geometry columns {other} are not WKB-encoded: the lake writes WKB GeoParquet only")
    shapes: dict[str, list[np.ndarray]] = {name: [] for name in columns}
    rest = []
    for group in range(source.num_row_groups):
        table = source.read_row_group(group, columns=kept)
        for name in columns:
            shapes[name].append(shapely.from_wkb(np.asarray(table[name])))
        rest.append(table.drop_columns(columns))
        del table
    plain = [c for c in kept if c not in columns]
    frame = (pa.concat_tables(rest) if rest else schema.empty_table().select(plain)).to_pandas()
    for name in columns:
        crs = geo["columns"][name].get("crs", "OGC:CRS84")
        values = np.concatenate(shapes.pop(name)) if source.num_row_groups else np.array([], dtype=object)
        frame.insert(kept.index(name), name, gpd.GeoSeries(values, crs=None if crs is None else _crs(json.dumps(crs))))
    primary = geo["primary_column"] if geo["primary_column"] in columns else columns[0]
    return gpd.GeoDataFrame(frame, geometry=primary)


@functools.lru_cache(maxsize=64)
def _crs(text: str) -> pyproj.CRS:
    """The CRS of a GeoParquet column from its PROJJSON text, parsed once: PROJ takes about
    50 ms to parse WGS 84's PROJJSON (its datum ensemble), and a run reads hundreds of files."""
    return pyproj.CRS.from_user_input(json.loads(text))


# --- the lake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lake:
    """Locations of one data root: a local folder (``root`` is a :class:`Path`) or an
    ``s3://bucket/prefix`` URI (``root`` stays a string)."""

    root: Path | str

    def __post_init__(self) -> None:
        if is_remote(str(self.root)):
            object.__setattr__(self, "root", normalise_uri(str(self.root)))
        elif not isinstance(self.root, Path):
            object.__setattr__(self, "root", Path(self.root))

    @property
    def remote(self) -> bool:
        return isinstance(self.root, str)

    def location(self, *parts: str) -> Target:
        """``root/part/...``: a Path on a folder, an ``s3://`` URI on object storage."""
        if self.remote:
            return "/".join([str(self.root), *parts])
        return self.root.joinpath(*parts)

    # where things live

    @functools.cached_property
    def landing(self) -> Path:
        """The landing zone as a local folder (on object storage: a local copy, synced once
        per lake object)."""
        if self.remote:
            return self.stage_landing()
        return self.root / "landing"

    @property
    def exports(self) -> Target:
        return self.location("exports")

    @property
    def warehouse(self) -> Path:
        """The warehouse file: ``$SMARTCOMMERCE_WAREHOUSE``, else ``<root>/warehouse.duckdb``
        on a folder, else ``<cache>/<bucket>/<prefix>/warehouse.duckdb`` (DuckDB files are local)."""
        explicit = os.environ.get(WAREHOUSE_ENV)
        if explicit:
            return Path(explicit).expanduser().resolve()
        if self.remote:
            return self.cache / "warehouse.duckdb"
        return self.root / "warehouse.duckdb"

    @property
    def exports_local(self) -> Path:
        """A local folder for exports that tools write as files (HTML reports, GeoPackage):
        the exports folder itself, or a staging folder published by :meth:`publish_exports`."""
        return (self.cache / "exports") if self.remote else self.root / "exports"

    def write_exports(self, files: Mapping[str, bytes]) -> dict[str, Target]:
        """Write each ``name -> content`` under ``exports/`` (``name`` relative, ``/``-separated,
        e.g. ``reports/index.html``), each file atomically, and return where each went. On
        object storage the file is written into the local staging folder (:attr:`exports_local`,
        which the cockpit pages and ``smartcommerce pdf`` read) and published under the
        bucket's ``exports/``."""
        written: dict[str, Target] = {}
        for name, content in files.items():
            parts = _relative_parts(name)
            local = write_atomic(self.exports_local.joinpath(*parts), lambda tmp, c=content: tmp.write_bytes(c))
            if self.remote:
                publish(Path(local), str(self.location("exports", *parts)))
            written[name] = self.location("exports", *parts)
        return written

    def publish_exports(self, local: Path) -> None:
        """Upload every file of a staging folder under ``exports/`` (nothing to do locally)."""
        if not self.remote:
            return
        for path in sorted(p for p in local.rglob("*") if p.is_file() and not p.name.startswith(".")):
            publish(path, f"{self.exports}/{path.relative_to(local).as_posix()}")

    @property
    def logs(self) -> Path:
        """Run logs: ``<root>/logs`` on a folder, ``<cache>/logs`` for an object-storage root."""
        return (self.cache if self.remote else self.root) / "logs"

    @property
    def cache(self) -> Path:
        """Local working folder of a remote root."""
        return cache_root() / _key(str(self.root))

    def table_path(self, layer: str, name: str, day: str | None = None) -> Target:
        """``lake/<layer>/<name>.parquet`` or, for a daily partition, ``.../day=<day>/part.parquet``."""
        if layer not in LAYERS:
            raise ConfigError(f"unknown layer {layer!r}; expected one of {LAYERS}")
        if day is None:
            return self.location("lake", layer, f"{name}.parquet")
        return self.location("lake", layer, name, f"day={day}", PART_FILE)

    def glob(self, layer: str, name: str) -> str:
        """A glob matching every partition of a daily-partitioned table (for DuckDB)."""
        return str(self.location("lake", layer, name, *DAY_GLOB.split("/")))

    # reading and writing

    def write(self, frame: pd.DataFrame, layer: str, name: str, day: str | None = None) -> Target:
        target = write_table(frame, self.table_path(layer, name, day))
        release_memory()
        return target

    def write_with(self, writer: Callable[[Path], None], layer: str, name: str, day: str | None = None) -> Target:
        """Let ``writer`` write the table's Parquet file itself (streamed, in bounded memory),
        atomically, onto the table's place (a folder or object storage)."""
        target = write_atomic(self.table_path(layer, name, day), writer)
        release_memory()
        return target

    def read(self, layer: str, name: str, day: str | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """A table (one day of a daily one); only ``columns`` when given (:func:`read_table`)."""
        return read_table(self.table_path(layer, name, day), columns)

    def days(self, layer: str, name: str) -> list[str]:
        """The days present in a daily-partitioned table, sorted."""
        folder = self.location("lake", layer, name)
        return sorted(day for rel in self.list_files(folder) if (day := partition_day(rel)))

    def read_days(self, layer: str, name: str) -> pd.DataFrame:
        """Concatenate every partition of a daily-partitioned table."""
        days = self.days(layer, name)
        if not days:
            return pd.DataFrame()
        return pd.concat([self.read(layer, name, d) for d in days], ignore_index=True)

    def exists(self, layer: str, name: str, day: str | None = None) -> bool:
        return self.file_exists(self.table_path(layer, name, day))

    def files(self, layer: str, name: str) -> list[Target]:
        """The file of a table, or the file of every day of a daily-partitioned one."""
        if self.exists(layer, name):
            return [self.table_path(layer, name)]
        return [self.table_path(layer, name, d) for d in self.days(layer, name)]

    def num_rows(self, layer: str, name: str) -> int:
        """Rows of a table (every day of a daily one) from the Parquet footers alone."""
        total = 0
        for target in self.files(layer, name):
            if is_remote(target):
                total += pq.read_metadata(_key(str(target)), filesystem=s3_filesystem()).num_rows
            else:
                total += pq.read_metadata(target).num_rows
        return total

    # files and listings (local or remote)

    def file_exists(self, target: Target) -> bool:
        if is_remote(target):
            return s3_filesystem().get_file_info(_key(str(target))).type == pafs.FileType.File
        return Path(target).is_file()

    def list_files(self, folder: Target) -> list[str]:
        """Every file under ``folder``, as sorted ``/``-separated paths relative to it."""
        if is_remote(folder):
            base = _key(str(folder)).rstrip("/")
            selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
            infos = s3_filesystem().get_file_info(selector)
            return sorted(i.path[len(base) + 1:] for i in infos if i.type == pafs.FileType.File)
        folder = Path(folder)
        if not folder.is_dir():
            return []
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())

    def sweep_temporaries(self, older_than_s: float = 3600.0) -> list[str]:
        """Delete the temporary files and keys a killed run left behind (``.<name>.<...>.tmp...``
        beside a lake table, an export or the warehouse) when older than ``older_than_s``
        seconds (a running writer's own temporary file is younger); return what was deleted,
        relative to the data root."""
        now = time.time()
        gone = []
        for area in ("lake", "exports"):
            base = self.location(area)
            if self.remote:
                root = _key(str(base)).rstrip("/")
                selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
                infos = s3_filesystem().get_file_info(selector)
                stale = [i.path for i in infos if i.type == pafs.FileType.File and _temporary(i.base_name)
                         and i.mtime is not None and now - i.mtime.timestamp() > older_than_s]
                for key in stale:
                    s3_filesystem().delete_file(key)
                gone += [f"{area}/{k[len(root) + 1:]}" for k in stale]
            elif Path(base).is_dir():
                for path in Path(base).rglob(".*"):
                    if path.is_file() and _temporary(path.name) and now - path.stat().st_mtime > older_than_s:
                        path.unlink(missing_ok=True)
                        gone.append(path.relative_to(self.root).as_posix())
        warehouse_dir = self.warehouse.parent
        if warehouse_dir.is_dir():
            for path in warehouse_dir.glob(".*.tmp*"):
                if path.is_file() and now - path.stat().st_mtime > older_than_s:
                    path.unlink(missing_ok=True)
                    gone.append(path.name)
        return sorted(gone)

    def landing_listing(self) -> dict[str, float]:
        """``relative path -> modification time`` of every landing file (the sensor's view)."""
        if not self.remote:
            landing = self.root / "landing"
            if not landing.exists():
                return {}
            return {p.relative_to(landing).as_posix(): p.stat().st_mtime for p in landing.rglob("*") if p.is_file()}
        base = _key(str(self.location("landing")))
        infos = s3_filesystem().get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        return {i.path[len(base) + 1:]: i.mtime.timestamp() for i in infos if i.type == pafs.FileType.File}

    def stage_landing(self) -> Path:
        """Copy new or changed landing files of a remote root into the local cache; return it."""
        local = self.cache / "landing"
        fs = s3_filesystem()
        base = _key(str(self.location("landing")))
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        wanted = set()
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            rel = info.path[len(base) + 1:]
            wanted.add(rel)
            dest = local / rel
            stamp = self.cache / "landing-stamps" / rel
            fingerprint = _fingerprint(info)
            if dest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
                continue
            with atomic_path(dest) as tmp:
                pafs.copy_files(info.path, str(tmp), source_filesystem=fs)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(fingerprint)
        if local.exists():  # files deleted from the bucket leave the copy too
            for p in local.rglob("*"):
                if p.is_file() and p.relative_to(local).as_posix() not in wanted:
                    p.unlink()
        local.mkdir(parents=True, exist_ok=True)
        return local


def _relative_parts(name: str) -> tuple[str, ...]:
    """The ``/``-separated parts of an export's name; an absolute name, ``.``, ``..``, a
    backslash or an empty part is refused (an export never lands outside ``exports/``)."""
    parts = tuple(name.split("/"))
    if "\\" in name or any(part in ("", ".", "..") for part in parts):
        raise ConfigError(f"export name {name!r} must be a relative path under exports/ (no '..')")
    return parts


def _fingerprint(info: pafs.FileInfo) -> str:
    return hashlib.sha256(f"{info.size}:{info.mtime_ns}".encode()).hexdigest()[:16]
