"""WiFi footfall sensors: registry, hourly counts and (optional) raw probes.

Counts are ``sensor_id,timestamp,unique_devices`` with the hour start in ISO 8601 *with*
its UTC offset: ``2026-10-25T02:00:00+02:00`` and ``...+01:00`` are the two hours of the
night summer time ends. Probe device ids (MAC addresses) are personal data: they are
replaced by a keyed hash at ingestion and appear neither in the table nor in the
quarantine.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import hmac
import io
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import ConfigError, InputError
from pipelines.quarantine import ReadResult, empty_quarantine
from pipelines.sources._rowchecks import (
    BELGIUM_BBOX,
    Reasons,
    coordinate_problems,
    duplicate_problems,
    isin_text,
    nis_problems,
    parse_count,
    path_opener,
    read_result,
    read_text_table,
)
from pipelines.timeutil import day_problems, file_day, local_day, parse_timestamps

SOURCE = "wifi"
SENSOR_COLUMNS = ("sensor_id", "nis", "name", "lon", "lat", "installed_on")
COUNT_COLUMNS = ("sensor_id", "timestamp", "unique_devices")
PROBE_COLUMNS = ("sensor_id", "timestamp", "device_id", "rssi")
HASH_CHARS = 16
REDACTED = "[redacted: malformed probe row may hold a device id]"


def _unknown_sensors(ids: pd.Series, sensors: Collection[str] | None, reasons: Reasons) -> None:
    if sensors is not None:
        unknown = ~isin_text(ids, pd.Series(list(sensors), dtype="string"))
        reasons.add(unknown, "unknown sensor_id '" + ids + "' (not in wifi/sensors.csv)")


def _read(path: Path, required: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    return read_text_table(path_opener(path), label=str(path), source=SOURCE, required=required)


def read_sensors(path: Path) -> ReadResult:
    """Read ``wifi/sensors.csv`` (``sensor_id,nis,name,lon,lat,installed_on``).

    Quarantined: missing sensor_id, NIS not 5 digits, non-numeric or out-of-Belgium
    coordinates, unparsable ``installed_on`` (``YYYY-MM-DD``; empty means unknown),
    repeated sensor_id.
    """
    frame, malformed, rows_in = _read(path, SENSOR_COLUMNS)
    reasons = Reasons(frame.index)
    ids = frame["sensor_id"].str.strip()
    reasons.add(ids == "", "missing sensor_id")
    reasons.add_problems(nis_problems(frame["nis"]))
    lon, lat, problem = coordinate_problems(frame["lon"], frame["lat"], bbox=BELGIUM_BBOX)
    reasons.add_problems(problem)
    text = frame["installed_on"].str.strip()
    installed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    reasons.add((text != "") & installed.isna(), "unparsable installed_on: '" + text + "'")
    valid = frame.assign(sensor_id=ids)[~reasons.invalid]
    reasons.add_problems(duplicate_problems(valid, ["sensor_id"], "sensor_id"))
    table = pd.DataFrame(
        {
            "sensor_id": ids.astype("string"),
            "nis": frame["nis"].str.strip().astype("string"),
            "name": frame["name"].str.strip().astype("string"),
            "lon": lon,
            "lat": lat,
            "installed_on": installed.dt.date,
        }
    )
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=SENSOR_COLUMNS,
    )


def read_counts(
    path: Path,
    *,
    sensors: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Read one ``wifi/counts/<YYYY-MM-DD>.csv`` file of hourly unique-device counts.

    Returns
    -------
    ReadResult
        ``sensor_id, ts, day, unique_devices`` (Int64). Quarantined: missing sensor_id,
        timestamps without UTC offset (ambiguous on the autumn night), unparsable or with
        an offset Brussels does not use at that instant, not on an hour boundary,
        missing/non-numeric/negative/non-integer counts, repeated (sensor_id, ts); with
        ``sensors`` (the ids of ``wifi/sensors.csv``), an unknown sensor_id; a timestamp
        outside the file's local day (``day``, by default the file name's ``YYYY-MM-DD``)
        or implausible (before 2000, after the run date ``today`` + 1 day).
    """
    frame, malformed, rows_in = _read(path, COUNT_COLUMNS)
    reasons = Reasons(frame.index)
    ids = frame["sensor_id"].str.strip()
    reasons.add(ids == "", "missing sensor_id")
    _unknown_sensors(ids, sensors, reasons)
    ts, problem = parse_timestamps(frame["timestamp"])
    reasons.add_problems(problem)
    reasons.add(
        ts.notna() & (ts != ts.dt.floor("h")),
        "timestamp not on an hour boundary: " + frame["timestamp"],
    )
    reasons.add_problems(day_problems(ts, frame["timestamp"], day or file_day(path), today=today))
    devices, problem = parse_count(frame["unique_devices"], "unique_devices")
    reasons.add_problems(problem)
    table = pd.DataFrame({"sensor_id": ids.astype("string"), "ts": ts})
    valid = table[~reasons.invalid]
    reasons.add_problems(duplicate_problems(valid, ["sensor_id", "ts"], "sensor_id+timestamp"))
    table["day"] = local_day(ts)
    table["unique_devices"] = devices
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=COUNT_COLUMNS,
    )


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) == 0:
        found = "empty bytes" if isinstance(key, bytes | bytearray) else type(key).__name__
        raise ConfigError(f"the pseudonymisation key must be non-empty bytes; found {found}")


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """Keyed hash of device ids: HMAC-SHA256 hex truncated to 16 characters.

    Ids are normalised first (trimmed, lower case, ``:``/``-``/``.`` removed) so that
    ``AA:BB:CC:00:11:22`` and ``aa-bb-cc-00-11-22`` give the same pseudonym. Missing or
    empty ids give NA. Hashing runs once per distinct id.

    Raises
    ------
    ConfigError
        If ``key`` is not non-empty bytes.
    """
    _check_key(key)
    norm = ids.astype("string").str.strip().str.lower().str.replace(r"[:\-.]", "", regex=True)
    codes, uniques = pd.factorize(norm.replace("", pd.NA))
    digests = [
        hmac.new(bytes(key), u.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]
        for u in uniques
    ]
    table = np.array([*digests, None], dtype=object)
    return pd.Series(table[codes], index=ids.index, dtype="string")


PROBE_TABLE_COLUMNS = ("sensor_id", "ts", "day", "device_hash", "rssi")
PROBE_BATCH_BYTES = 16 * 2**20
"""Bytes of landing text parsed at once by the streaming probes reader (about 250,000
probe lines): peak memory depends on it, not on the size of the file."""


def read_probes(
    path: Path,
    key: bytes,
    *,
    sensors: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
    batch_bytes: int = PROBE_BATCH_BYTES,
) -> ReadResult:
    """Read raw probes ``sensor_id,timestamp,device_id,rssi`` and pseudonymise device ids.

    The file is parsed in batches of ``batch_bytes`` (see :func:`iter_probes`); this
    function concatenates them, so its result grows with the file. To ingest a large day
    in bounded memory, write the batches as they come (:func:`write_probes_parquet`).

    Returns
    -------
    ReadResult
        ``sensor_id, ts, day, device_hash, rssi`` (Int64 dBm). Quarantined: missing ids,
        bad timestamps (as for counts, but any second is allowed), a timestamp outside
        the file's local day (``day``, by default the file name's ``YYYY-MM-DD``) or
        implausible (before 2000, after the run date ``today`` + 1 day), non-integer rssi
        or rssi outside -120..0, unknown sensors (with ``sensors``). The quarantine
        ``raw`` text carries ``device_hash`` instead of ``device_id``; malformed rows are
        redacted whole.
    """
    batches = list(iter_probes(path, key, sensors=sensors, day=day, today=today, batch_bytes=batch_bytes))
    if len(batches) == 1:
        return batches[0]
    result = ReadResult.concat(batches)
    result.table = result.table.reset_index(drop=True)
    return result


def iter_probes(
    path: Path,
    key: bytes,
    *,
    sensors: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
    batch_bytes: int = PROBE_BATCH_BYTES,
) -> Iterator[ReadResult]:
    """The probes of one file as :class:`ReadResult` batches of about ``batch_bytes`` of text.

    Each batch is read by the same text reader and row checks as a whole file, with
    file-wide row numbers; the batches together give the same accepted rows and quarantine
    as reading the file at once. A file that cannot be split safely (empty, blank or
    unreadable header, a required column missing, header only, NUL bytes anywhere: one
    screening pass over the bytes) is read at once, as before (its result is then a single
    file-level quarantine row, or small). Device ids are hashed per batch: identical pseudonyms.
    Lines are split on ``\n`` only: a quoted field holding a line break (never seen in
    probe exports) may be split across two batches and quarantined as malformed.
    """
    _check_key(key)
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    day = day or file_day(path)
    batches = _probe_blocks(path, batch_bytes)
    header = next(batches, None)
    if header is None:
        yield _probe_result(*_read(path, PROBE_COLUMNS), key, path, sensors, day, today)
        return
    offset = 0
    for block in batches:
        frame, malformed, rows_in = read_text_table(
            lambda block=block: io.BytesIO(header + block),
            label=str(path),
            source=SOURCE,
            required=PROBE_COLUMNS,
            allow_header_only=True,
        )
        if rows_in == 0:
            continue
        if (malformed["row_number"] == 0).any():
            reasons = ", ".join(malformed["reason"])
            raise AssertionError(f"a probes batch gave a file-level problem after the file was screened: {reasons}")
        frame.index = frame.index + offset
        malformed = malformed.assign(row_number=malformed["row_number"] + offset)
        offset += rows_in
        yield _probe_result(frame, malformed, rows_in, key, path, sensors, day, today)
    if offset == 0:
        yield _probe_result(*_read(path, PROBE_COLUMNS), key, path, sensors, day, today)


def _probe_blocks(path: Path, batch_bytes: int) -> Iterator[bytes]:
    """The header line, then blocks of whole lines of about ``batch_bytes``; nothing when
    the file must be read at once (see :func:`iter_probes`)."""
    with open(path, "rb") as handle:
        header = handle.readline()
        text = header.removeprefix(codecs.BOM_UTF8)
        try:
            names = [c.strip() for c in text.decode("utf-8").rstrip("\r\n").split(",")]
        except UnicodeDecodeError:
            return
        if not header.endswith(b"\n") or b"\x00" in header or b'"' in header:
            return
        if any(c not in names for c in PROBE_COLUMNS):
            return
        head = handle.read(8192)
        if not head.strip(b" \t\r\n"):
            return  # header only: the whole-file reader says so in one row
        while chunk := head or handle.read(PROBE_BATCH_BYTES):
            if b"\x00" in chunk:
                return  # NUL bytes (binary?): the whole-file reader decides, as before
            head = b""
        handle.seek(len(header))
        yield header
        while lines := handle.readlines(batch_bytes):
            yield b"".join(lines)


def _probe_result(
    frame: pd.DataFrame,
    malformed: pd.DataFrame,
    rows_in: int,
    key: bytes,
    path: Path,
    sensors: Collection[str] | None,
    day: str | None,
    today: dt.date | None,
) -> ReadResult:
    """The row checks of probes (one file or one batch of it)."""
    malformed = malformed.assign(raw=pd.Series(REDACTED, index=malformed.index, dtype="string"))
    frame["device_hash"] = pseudonymise(frame["device_id"], key).fillna("")
    frame = frame.drop(columns=["device_id"])
    reasons = Reasons(frame.index)
    ids = frame["sensor_id"].str.strip()
    reasons.add(ids == "", "missing sensor_id")
    _unknown_sensors(ids, sensors, reasons)
    reasons.add(frame["device_hash"] == "", "missing device_id")
    ts, problem = parse_timestamps(frame["timestamp"])
    reasons.add_problems(problem)
    reasons.add_problems(day_problems(ts, frame["timestamp"], day, today=today))
    rssi = pd.to_numeric(frame["rssi"].str.strip(), errors="coerce")
    bad = rssi.isna() | (rssi % 1 != 0) | (rssi < -120) | (rssi > 0)
    reasons.add(bad, "rssi not an integer in -120..0 dBm: '" + frame["rssi"] + "'")
    table = pd.DataFrame(
        {
            "sensor_id": ids.astype("string"),
            "ts": ts,
            "day": local_day(ts),
            "device_hash": frame["device_hash"].astype("string"),
            "rssi": rssi.where(~bad).round().astype("Int64"),
        }
    )
    return read_result(
        table,
        frame,
        reasons,
        malformed,
        rows_in,
        source=SOURCE,
        source_file=str(path),
        raw_columns=("sensor_id", "timestamp", "device_hash", "rssi"),
    )


def probe_schema() -> pa.Schema:
    """The Arrow schema of the probes table (as the lake writes a pandas frame of it)."""
    empty = pd.DataFrame(
        {
            "sensor_id": pd.Series(dtype="string"),
            "ts": pd.Series(dtype="datetime64[us, UTC]"),
            "day": pd.Series(dtype="string"),
            "device_hash": pd.Series(dtype="string"),
            "rssi": pd.Series(dtype="Int64"),
        }
    )
    return pa.Schema.from_pandas(empty, preserve_index=False)


@dataclass
class ProbesWritten:
    """What :func:`write_probes_parquet` wrote: accepted rows in ``dest``, the quarantine."""

    dest: Path
    rows_in: int
    rows_accepted: int
    quarantine: pd.DataFrame
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_accepted + len(self.quarantine)


def write_probes_parquet(
    path: Path,
    key: bytes,
    dest: Path,
    *,
    sensors: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
    batch_bytes: int = PROBE_BATCH_BYTES,
) -> ProbesWritten:
    """Read a probes file batch by batch and write the accepted rows to Parquet at ``dest``.

    Peak memory is that of one batch (plus the quarantine), whatever the size of the file.
    The file appears at ``dest`` only once complete (written beside it, then renamed).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    schema = probe_schema()
    quarantines: list[pd.DataFrame] = []
    rows_in = accepted = 0
    encodings: dict[str, str] = {}
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            results: Iterable[ReadResult] = iter_probes(
                path, key, sensors=sensors, day=day, today=today, batch_bytes=batch_bytes
            )
            for result in results:
                writer.write_table(pa.Table.from_pandas(result.table, schema=schema, preserve_index=False))
                quarantines.append(result.quarantine)
                rows_in += int(result.rows_in or 0)
                accepted += len(result.table)
                encodings.update(result.encodings)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else empty_quarantine()
    return ProbesWritten(dest, rows_in, accepted, quarantine, encodings)
