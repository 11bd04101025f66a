"""WiFi footfall sensors: registry, hourly counts and (optional) raw probes.

Counts are ``sensor_id,timestamp,unique_devices`` with the hour start in ISO 8601 *with*
its UTC offset: ``2026-10-25T02:00:00+02:00`` and ``...+01:00`` are the two hours of the
night summer time ends. Probe device ids (MAC addresses) are personal data: they are
replaced by a keyed hash at ingestion and appear neither in the table nor in the
quarantine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import ConfigError, InputError
from pipelines.quarantine import ReadResult
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


def read_probes(
    path: Path, key: bytes, *, sensors: Collection[str] | None = None
) -> ReadResult:
    """Read raw probes ``sensor_id,timestamp,device_id,rssi`` and pseudonymise device ids.

    Returns
    -------
    ReadResult
        ``sensor_id, ts, day, device_hash, rssi`` (Int64 dBm). Quarantined: missing ids,
        bad timestamps (as for counts, but any second is allowed), non-integer rssi or
        rssi outside -120..0, unknown sensors (with ``sensors``). The quarantine ``raw`` text carries ``device_hash`` instead
        of ``device_id``; malformed rows are redacted whole.
    """
    _check_key(key)
    frame, malformed, rows_in = _read(path, PROBE_COLUMNS)
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
