"""Peak memory and throughput of the WiFi probes reader: the streaming one against the old one.

A probes day (``sensor_id,timestamp,device_id,rssi``, one row per device sighting) of
``--rows`` rows is generated (numpy, seed :data:`SEED`, written in chunks: the generator
itself holds one chunk), with a few bad rows (unparsable timestamp,
rssi out of range, a line with a field too many). Then each reader runs **in a fresh Python
process** and reports its peak resident memory (``VmHWM`` of ``/proc/self/status``, imports
included: ``base_mb`` is the process before reading) and its throughput. ``ru_maxrss`` is not
used: Linux keeps it across ``fork``/``execve``, so a child would report at least the
parent's memory (the generator's), while ``VmHWM`` belongs to the new address space:

- ``old``: the reader before the streaming work (:func:`read_probes_old`, kept verbatim
  below): the whole file as text in pandas, then the checks and the pseudonymisation.
- ``stream``: :func:`pipelines.sources.wifi.write_probes_parquet`, batches of
  ``PROBE_BATCH_BYTES`` parsed, checked, pseudonymised and appended to one Parquet file.
- ``read``: :func:`pipelines.sources.wifi.read_probes`: the same batches concatenated into
  one frame (what a caller that wants the frame pays).

Both readers must give the same accepted-row count, quarantine and pseudonyms (checked
when both ran on the same file, else :class:`AssertionError`).

Run: ``python -m benchmarks.probes --rows 10000000 [--old-rows 2000000] [--workdir DIR]``
(prints markdown). The old reader needs about 1.5 GiB per million rows: ``--old-rows``
runs it on a smaller file of the same generator (``0`` skips it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import Reasons, read_result
from pipelines.sources.wifi import (
    PROBE_COLUMNS,
    REDACTED,
    SOURCE,
    _check_key,
    _read,
    _unknown_sensors,
    pseudonymise,
    write_probes_parquet,
)
from pipelines.timeutil import local_day, parse_timestamps

SEED = 19
KEY = b"benchmark-pseudonym-key"
DAY = "2026-10-25"  # the autumn night: 25 local hours
CHUNK = 1_000_000


def read_probes_old(path: Path, key: bytes, *, sensors: Collection[str] | None = None) -> ReadResult:
    """The probes reader as it was before the streaming work (kept for comparison only).

    It checks no file day (that check came with the streaming reader); everything else
    (parsing, checks, pseudonyms, quarantine) is the same as the streaming one.
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
        table, frame, reasons, malformed, rows_in,
        source=SOURCE, source_file=str(path), raw_columns=("sensor_id", "timestamp", "device_hash", "rssi"),
    )  # fmt: skip


BAD_LINES = (
    "wifi-92801-01,not-a-time,aa:bb:cc:00:00:01,-60",
    "wifi-92801-01,2026-10-25T09:00:00+01:00,aa:bb:cc:00:00:02,-200",
    "wifi-92801-01,2026-10-25T09:00:00+01:00,aa:bb:cc:00:00:03,-60,extra",
)
"""Bad rows appended to every generated file (the same reasons whatever the size)."""


def generate(path: Path, rows: int, *, seed: int = SEED) -> Path:
    """Write a probes day of ``rows`` rows (plus :data:`BAD_LINES`) in chunks.

    Timestamps (every second of the 25-hour day, as Brussels wall clock with offset) and
    device ids (a pool of up to 500,000 MAC addresses) are formatted once and indexed.
    """
    rng = np.random.default_rng(seed)
    sensors = np.array([f"wifi-{n:05d}-{i:02d}" for n in (92801, 92813, 52812, 56835, 61824) for i in range(1, 5)])
    start = pd.Timestamp(DAY).tz_localize("Europe/Brussels").tz_convert("UTC")
    stamps = (start + pd.to_timedelta(np.arange(25 * 3600), unit="s")).tz_convert("Europe/Brussels")
    stamps = stamps.strftime("%Y-%m-%dT%H:%M:%S%z")
    stamps = np.array([t[:-2] + ":" + t[-2:] for t in stamps], dtype=object)
    pool = min(rows // 8 + 1, 500_000)
    macs = np.array([":".join(f"{b:02x}" for b in (0xA4_00_00_00_00_00 + d).to_bytes(6, "big")) for d in range(pool)], dtype=object)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(PROBE_COLUMNS) + "\n")
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            frame = pd.DataFrame({
                "sensor_id": sensors[rng.integers(0, len(sensors), n)],
                "timestamp": stamps[np.sort(rng.integers(0, len(stamps), n))],
                "device_id": macs[rng.integers(0, pool, n)], "rssi": rng.integers(-100, -30, n),
            })  # fmt: skip
            frame.to_csv(out, header=False, index=False)
            done += n
        out.write("\n".join(BAD_LINES) + "\n")
    return path


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB): ``VmHWM``, else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, path: str, workdir: str) -> dict[str, object]:
    """Run one reader in this process; return rows, seconds, peak RSS and a digest."""
    base = peak_rss_mb()
    started = time.perf_counter()
    if kind == "old":
        result = read_probes_old(Path(path), KEY)
        accepted, quarantine, rows_in = len(result.table), result.quarantine, result.rows_in
    elif kind == "read":
        from pipelines.sources.wifi import read_probes

        result = read_probes(Path(path), KEY, day=DAY)
        accepted, quarantine, rows_in = len(result.table), result.quarantine, result.rows_in
    else:
        written = write_probes_parquet(Path(path), KEY, Path(workdir) / "probes.parquet", day=DAY)
        accepted, quarantine, rows_in = written.rows_accepted, written.quarantine, written.rows_in
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()  # before the digest below, which is the benchmark's, not the reader's
    digest = hashlib.sha256()
    if kind == "stream":
        for batch in pq.ParquetFile(written.dest).iter_batches(columns=["device_hash"], batch_size=500_000):
            digest.update("\n".join(batch.column(0).to_pylist()).encode() + b"\n")
    else:
        for start in range(0, len(result.table), 500_000):
            chunk = result.table["device_hash"].iloc[start : start + 500_000].astype(str)
            digest.update("\n".join(chunk).encode() + b"\n")
    digest = digest.hexdigest()[:16]
    return {
        "reader": kind, "rows_in": int(rows_in or 0), "accepted": int(accepted), "quarantined": len(quarantine),
        "quarantine": quarantine[["row_number", "reason"]].astype(str).values.tolist(),
        "seconds": round(seconds, 2), "rows_per_s": round((rows_in or 0) / seconds),
        "base_mb": round(base), "peak_rss_mb": round(peak), "hash_digest": digest,
    }  # fmt: skip


def measure(kind: str, path: Path, workdir: Path) -> dict[str, object]:
    """:func:`_measure` in a fresh Python process (its own peak RSS)."""
    code = "import json,sys; from benchmarks.probes import _measure; print(json.dumps(_measure(*sys.argv[1:])))"
    out = subprocess.run(
        [sys.executable, "-c", code, kind, str(path), str(workdir)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rows: int, old_rows: int, workdir: Path, *, read: bool = False) -> list[dict[str, object]]:
    """Generate the files and measure each reader; check that they agree where comparable."""
    results = []
    big = generate(workdir / f"{DAY}.csv", rows)
    size_mb = big.stat().st_size / 2**20
    results.append({**measure("stream", big, workdir), "rows": rows, "file_mb": round(size_mb)})
    if read:
        results.append({**measure("read", big, workdir), "rows": rows, "file_mb": round(size_mb)})
    if old_rows:
        small_dir = workdir / "small"
        small_dir.mkdir(exist_ok=True)
        small = generate(small_dir / f"{DAY}.csv", old_rows)
        small_mb = small.stat().st_size / 2**20
        old = {**measure("old", small, small_dir), "rows": old_rows, "file_mb": round(small_mb)}
        new = {**measure("stream", small, small_dir), "rows": old_rows, "file_mb": round(small_mb)}
        for field in ("rows_in", "accepted", "quarantine", "hash_digest"):
            if old[field] != new[field]:
                raise AssertionError(f"old and streaming readers differ on {field}: {old[field]} != {new[field]}")
        results += [old, new]
    return results


def markdown(results: list[dict[str, object]]) -> str:
    """The results as a markdown table (no heading: see :func:`section`)."""
    lines = [
        "| reader | rows | file MB | seconds | rows/s | base MB | peak RSS MB | accepted | quarantined |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['reader']} | {r['rows']:,} | {r['file_mb']} | {r['seconds']} | {r['rows_per_s']:,} | "
            f"{r['base_mb']} | {r['peak_rss_mb']} | {r['accepted']:,} | {r['quarantined']} |"
        )
    return "\n".join(lines)


def section(results: list[dict[str, object]]) -> str:
    """The docs/performance.md section: heading, table, what the readers are."""
    stream = max((r for r in results if r["reader"] == "stream"), key=lambda r: r["rows"])
    verdict = "meets" if stream["peak_rss_mb"] < 1024 else "misses"
    return (
        "## WiFi probes reader: peak memory (streaming vs the old reader)\n\n"
        + markdown(results)
        + "\n\n`stream` is `wifi.write_probes_parquet` (batches of ~16 MiB of text checked, "
        "pseudonymised and appended to one Parquet file); `old` the reader before it (the whole "
        "file in pandas; kept in `benchmarks/probes.py`), run on a smaller file of the same "
        "generator because it needs about 1 GB per million rows. Peak RSS is `VmHWM` of a fresh "
        "process per reader, imports (`base MB`) included. Both give the same rows, quarantine "
        f"and pseudonyms on the smaller file. Target peak RSS < 1 GiB at {stream['rows']:,} rows: "
        f"the streaming reader {verdict} it ({stream['peak_rss_mb']} MB)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--old-rows", type=int, default=2_000_000)
    parser.add_argument("--read", action="store_true", help="also measure read_probes (one frame)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the section into this file (docs/performance.md)")
    args = parser.parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = run(args.rows, args.old_rows, args.workdir, read=args.read)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            results = run(args.rows, args.old_rows, Path(tmp), read=args.read)
    print(markdown(results))
    print(f"\n(cpu count {os.cpu_count()}; peak RSS of a fresh process per reader, imports included)")
    if args.out is not None:
        from benchmarks.report import replace_section

        replace_section(args.out, "probes", section(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
