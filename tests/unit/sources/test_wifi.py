"""WiFi: sensor registry, hourly counts across the autumn night, pseudonymised probes."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pandas as pd
import pytest

from pipelines.errors import ConfigError
from pipelines.sources import wifi

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "sources_b"
KEY = b"test-key-not-secret"


def _write(tmp_path: Path, header: str, lines: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


# -- sensors ---------------------------------------------------------------------------------


def test_sensors_fixture() -> None:
    result = wifi.read_sensors(FIXTURES / "wifi_sensors.csv")
    assert result.quarantine.empty and result.balanced
    table = result.table
    assert table["sensor_id"].tolist() == ["W1", "W2"]
    assert table["installed_on"].iloc[0] == pd.Timestamp("2025-03-01").date()
    assert pd.isna(table["installed_on"].iloc[1])  # empty = unknown, not an error


SENSOR_HEADER = "sensor_id,nis,name,lon,lat,installed_on"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("W9,9209,x,4.86,50.46,2025-01-01", "NIS code is not 5 digits: '9209'"),
        ("W9,92094,x,50.46,4.86,2025-01-01", "lat/lon swapped"),
        ("W9,92094,x,abc,50.46,2025-01-01", "missing or non-numeric coordinates"),
        ("W9,92094,x,4.86,50.46,01/03/2025", "unparsable installed_on: '01/03/2025'"),
        ("W1,92094,x,4.86,50.46,2025-01-01", "duplicate sensor_id (first at row 1)"),
        (",92094,x,4.86,50.46,2025-01-01", "missing sensor_id"),
    ],
)
def test_sensor_quarantine(tmp_path: Path, line: str, reason: str) -> None:
    ok = "W1,92094,ok,4.86,50.46,2025-01-01"
    result = wifi.read_sensors(_write(tmp_path, SENSOR_HEADER, [ok, line]))
    assert len(result.table) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert row["row_number"] == 2 and row["reason"].startswith(reason), row["reason"]


# -- counts ----------------------------------------------------------------------------------


def test_counts_autumn_night_keeps_both_02h_hours() -> None:
    result = wifi.read_counts(FIXTURES / "wifi_counts_2026-10-25.csv")
    assert result.quarantine.empty and result.rows_in == 5
    table = result.table
    assert list(table.columns) == ["sensor_id", "ts", "day", "unique_devices"]
    w1 = table[table["sensor_id"] == "W1"]
    assert w1["ts"].dt.strftime("%Y-%m-%dT%H:%MZ").tolist() == [
        "2026-10-24T23:00Z",
        "2026-10-25T00:00Z",
        "2026-10-25T01:00Z",
        "2026-10-25T02:00Z",
    ]
    assert w1["unique_devices"].tolist() == [10, 12, 15, 9]
    assert (table["day"] == "2026-10-25").all()
    assert str(table["unique_devices"].dtype) == "Int64"
    assert str(table["ts"].dtype) == "datetime64[us, UTC]"


COUNT_HEADER = "sensor_id,timestamp,unique_devices"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("W1,2026-10-25T02:00:00,5", "timestamp without UTC offset (ambiguous local time)"),
        ("W1,2026-10-25T04:30:00+01:00,5", "timestamp not on an hour boundary"),
        ("W1,2026-10-25T04:00:00+02:00,5", "UTC offset +02:00 is not the Europe/Brussels offset"),
        ("W1,25/10/2026 04:00,5", "unparsable timestamp"),
        ("W1,2026-10-25T04:00:00+01:00,-1", "negative unique_devices: -1"),
        ("W1,2026-10-25T04:00:00+01:00,many", "non-numeric unique_devices: 'many'"),
        ("W1,2026-10-25T04:00:00+01:00,2.5", "non-integer unique_devices: 2.5"),
        ("W1,2026-10-25T04:00:00+01:00,", "missing unique_devices"),
        ("W1,2026-10-25T02:00:00+02:00,7", "duplicate sensor_id+timestamp (first at row 1)"),
        (",2026-10-25T04:00:00+01:00,5", "missing sensor_id"),
    ],
)
def test_counts_quarantine(tmp_path: Path, line: str, reason: str) -> None:
    ok = "W1,2026-10-25T02:00:00+02:00,12"
    result = wifi.read_counts(_write(tmp_path, COUNT_HEADER, [ok, line], "2026-10-25.csv"))
    assert result.rows_in == 2 and len(result.table) == 1 and result.balanced
    row = result.quarantine.iloc[0]
    assert row["row_number"] == 2 and row["reason"].startswith(reason), row["reason"]
    assert row["source"] == "wifi"


def test_same_wall_clock_with_two_offsets_is_not_a_duplicate(tmp_path: Path) -> None:
    lines = ["W1,2026-10-25T02:00:00+02:00,12", "W1,2026-10-25T02:00:00+01:00,15"]
    result = wifi.read_counts(_write(tmp_path, COUNT_HEADER, lines))
    assert len(result.table) == 2 and result.quarantine.empty


def test_counts_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "sensor_id,time,unique_devices", ["W1,2026-10-25T02:00:00+02:00,1"])
    result = wifi.read_counts(path)
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    q = result.quarantine
    assert q["row_number"].tolist() == [0] and q["source_file"].tolist() == [str(path)]
    assert q["reason"].iloc[0].startswith("missing required column 'timestamp'"), q["reason"].iloc[0]
    assert len(result.table) == 0 and result.rows_in == 1
    assert list(result.table.columns) == ["sensor_id", "ts", "day", "unique_devices"]


# -- pseudonymisation ------------------------------------------------------------------------


def test_pseudonymise_is_keyed_hmac_sha256_truncated() -> None:
    ids = pd.Series(["AA:BB:CC:00:11:22", "aa-bb-cc-00-11-22", "aabb.cc00.1122", "", None])
    out = wifi.pseudonymise(ids, KEY)
    expected = hmac.new(KEY, b"aabbcc001122", hashlib.sha256).hexdigest()[:16]
    assert out.iloc[:3].tolist() == [expected] * 3
    assert out.iloc[3:].isna().all()
    other = wifi.pseudonymise(ids, b"another key")
    assert other.iloc[0] != expected and len(other.iloc[0]) == 16
    assert all(c in "0123456789abcdef" for c in expected)


@pytest.mark.parametrize("key", [b"", "text-key", None, 42])
def test_pseudonymise_rejects_bad_keys(key) -> None:
    with pytest.raises(ConfigError, match="non-empty bytes"):
        wifi.pseudonymise(pd.Series(["aa:bb"]), key)


PROBE_MACS = ["AA:BB:CC:00:11:22", "DE:AD:BE:EF:00:01", "12:34:56:78:9A:BC", "FE:DC:BA:98:76:54"]


def test_probes_never_leak_device_ids(tmp_path: Path) -> None:
    lines = [
        f"W1,2026-10-25T02:12:31+02:00,{PROBE_MACS[0]},-67",
        f"W1,2026-10-25T02:12:31+01:00,{PROBE_MACS[1]},-71",
        f"W1,2026-10-25T02:13:00+01:00,{PROBE_MACS[2]},loud",  # bad rssi
        f"W1,2026-10-25T02:13:00,{PROBE_MACS[3]},-50",  # no offset
        f"W1,2026-10-25T02:14:00+01:00,{PROBE_MACS[0]},-60,extra",  # malformed
        f"W1,2026-10-25T02:15:00+01:00,{PROBE_MACS[3]}",  # too few fields
    ]
    path = _write(tmp_path, "sensor_id,timestamp,device_id,rssi", lines)
    result = wifi.read_probes(path, KEY)
    assert result.rows_in == 6 and len(result.table) == 2 and result.balanced
    assert list(result.table.columns) == ["sensor_id", "ts", "day", "device_hash", "rssi"]
    assert result.table["rssi"].tolist() == [-67, -71]
    assert (
        result.table["device_hash"].tolist()
        == wifi.pseudonymise(pd.Series(PROBE_MACS[:2]), KEY).tolist()
    )
    dump = result.table.astype(str).to_csv() + result.quarantine.astype(str).to_csv()
    for mac in PROBE_MACS:
        for form in (mac, mac.lower(), mac.replace(":", "").lower(), mac.replace(":", "-")):
            assert form not in dump
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert reasons[3].startswith("rssi not an integer in -120..0 dBm: 'loud'")
    assert reasons[4].startswith("timestamp without UTC offset")
    assert reasons[5] == "expected 4 fields, found 5"
    assert reasons[6] == "expected 4 fields, found 3"
    raw3 = result.quarantine.loc[result.quarantine["row_number"] == 3, "raw"].iloc[0]
    assert wifi.pseudonymise(pd.Series([PROBE_MACS[2]]), KEY).iloc[0] in raw3


def test_probes_need_a_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "sensor_id,timestamp,device_id,rssi", [])
    with pytest.raises(ConfigError):
        wifi.read_probes(path, b"")


def test_an_invalid_first_copy_does_not_push_out_a_valid_second(tmp_path: Path) -> None:
    lines = ["W1,2026-10-25T02:00:00+02:00,-3", "W1,2026-10-25T02:00:00+02:00,12"]
    result = wifi.read_counts(_write(tmp_path, COUNT_HEADER, lines))
    assert result.table["unique_devices"].tolist() == [12]
    assert result.quarantine["reason"].tolist() == ["negative unique_devices: -3"]
