"""Ingestion throughput (records/s) of the bronze readers against a straightforward pandas loop.

For WiFi counts, counter counts (Ghent layout), OD flows and KBO, :func:`run` writes an
input in the published landing layout, then times **ours** (the reader bronze calls, called
the way bronze calls it: one call per day file, or per day for the counters, one call per
extract for KBO) and a **pandas loop** baseline: ``pd.read_csv`` of each file, then one
Python ``for row in df.itertuples()`` that applies the same row checks, in the same order,
to build the accepted and quarantined lists, the way a first version would be written.
Both must accept and quarantine the same rows (same files, same row numbers), else
:class:`AssertionError`: the baseline is a faithful re-implementation, not a strawman.

Inputs (deterministic, seed :data:`SEED`):

- WiFi counts, counters, OD: the demo generator writes :data:`DEMO_DAYS` days of the
  10-commune recipe; each day file is then *widened* by replicating its rows under new ids
  (sensor ``<id>-r007``, counter folder ``<id>-r007``, OD sectors of a new 5-digit NIS per
  replica) with the counts perturbed by numpy (``+0..2``, keeping ``Totaal`` = the sum of the
  directions), until the source holds about ``scale * records_per_scale`` records. The
  demo's own defects are replicated; a few more bad rows are appended to the first day
  (bad values, a wrong UTC offset, a duplicate key), so quarantine is exercised.
- KBO: :func:`pipelines.demo.kbo_synth.generate_full_extract` (the generator of the
  national-size KBO benchmark of ``docs/data-contracts.md``), a few bad rows appended.
  Ours is ``kbo.read_kbo`` (bronze's reader of ``kbo/*.csv``) and ``kbo_full.read_kbo_full``
  (bronze's reader of ``kbo/full/``, DuckDB) with every postcode in the territory, so
  both read every row; one baseline serves both.

Peak RSS: with ``isolate=True`` (the default) each measurement runs in a fresh Python
process and reports that process's peak resident memory (``resource.getrusage``, imports
included: about the ``base_mb`` it held before reading); in process it is not measured.

Run: ``python -m benchmarks.ingest [--scale 3] [--workdir DIR]`` (prints markdown).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipelines.constants import TIMEZONE
from pipelines.demo.kbo_synth import generate_full_extract
from pipelines.quarantine import ReadResult
from pipelines.sources import counters, kbo, kbo_full, od, wifi
from pipelines.timeutil import _ISO_WITH_OFFSET

TARGET = 1_500_000
"""Records per second the issue asks for (2 cores)."""
RECORDS_PER_SCALE = 250_000
"""Records per source at ``scale=1``."""
DEMO_DAYS = 7
SEED = 7
KBO_POSTCODES = [str(p) for p in range(5000, 5100, 2)]
"""The synthetic extract's postcodes: all of them are the territory of ``read_kbo_full``."""
SOURCES = ("wifi_counts", "counter_counts", "od_flows", "kbo", "kbo_full")
LABELS = {
    "wifi_counts": "WiFi counts (`wifi.read_counts`)",
    "counter_counts": "Counters, Ghent 5-min (`counters.read_ghent_files`)",
    "od_flows": "OD flows (`od.read_od`)",
    "kbo": "KBO (`kbo.read_kbo`)",
    "kbo_full": "KBO full extract (`kbo_full.read_kbo_full`, DuckDB)",
}
BASELINE_OF = {"kbo_full": "kbo"}
"""Sources whose pandas-loop baseline is another source's (same input)."""

Key = tuple[str, int]
"""(``parent/name`` of the file, 1-based data row) of a quarantined row."""


# ---------------------------------------------------------------------------- inputs


def _text_frame(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _replicas(n_rows: int, n_days: int, target: int) -> int:
    return max(1, round(target / max(1, n_rows * n_days)))


def _bump(text: pd.Series, step: np.ndarray) -> pd.Series:
    """Plain non-negative integers of ``text`` plus ``step``; other values unchanged."""
    plain = text.str.fullmatch(r"\d+").fillna(False).astype(bool).to_numpy()
    out = text.to_numpy(dtype=object).copy()
    values = pd.to_numeric(text.where(plain), errors="coerce").to_numpy()
    out[plain] = (values[plain].astype(np.int64) + step[plain]).astype(str)
    return pd.Series(out, index=text.index, dtype=object)


def _suffix(ids: np.ndarray, reps: int) -> np.ndarray:
    k = np.repeat(np.arange(reps), len(ids))
    return np.char.add(np.char.add(np.tile(ids.astype(str), reps), "-r"), np.char.zfill(k.astype(str), 3))


def _append(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    with open(path, "a", encoding=encoding, newline="") as handle:
        handle.write("".join(line + "\n" for line in lines))


def _prepare_wifi(landing: Path, out: Path, days: list[str], target: int, rng: np.random.Generator) -> list[str]:
    files = []
    frames = {d: _text_frame(landing / "wifi" / "counts" / f"{d}.csv") for d in days}
    reps = _replicas(int(np.mean([len(f) for f in frames.values()])), len(days), target)
    for i, (day, frame) in enumerate(frames.items()):
        wide = pd.DataFrame({
            "sensor_id": _suffix(frame["sensor_id"].to_numpy(), reps),
            "timestamp": np.tile(frame["timestamp"].to_numpy(dtype=object), reps),
            "unique_devices": np.tile(frame["unique_devices"].to_numpy(dtype=object), reps),
        })  # fmt: skip
        wide["unique_devices"] = _bump(wide["unique_devices"].astype(str), rng.integers(0, 3, len(wide)))
        path = out / "wifi" / "counts" / f"{day}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        wide.to_csv(path, index=False, lineterminator="\n")
        if i == 0:
            first = ",".join(wide.iloc[0])
            sid = wide["sensor_id"].iloc[0]
            _append(path, [
                first,  # duplicate sensor_id + timestamp
                f"{sid},{day}T10:00:00+01:00,4",  # not the Brussels offset in October
                f"{sid},{day}T10:30:00+02:00,4",  # not on an hour boundary
                f"{sid},{day}T11:00:00+02:00,abc",  # non-numeric count
                f",{day}T12:00:00+02:00,3",  # missing sensor_id
                f"{sid},{day}T13:00:00+02:00,2.5",  # non-integer count
            ])  # fmt: skip
        files.append(str(path))
    return files


def _prepare_counters(
    landing: Path, out: Path, days: list[str], target: int, rng: np.random.Generator
) -> list[list[tuple[str, str]]]:
    folders = sorted(p for p in (landing / "counters").iterdir() if p.is_dir())
    per_day = sum(len(_text_frame(f / f"{days[0]}.csv", ";")) for f in folders if (f / f"{days[0]}.csv").is_file())
    reps = _replicas(per_day, len(days), target)
    groups: list[list[tuple[str, str]]] = []
    for i, day in enumerate(days):
        group = []
        for folder in folders:
            src = folder / f"{day}.csv"
            if not src.is_file():
                continue
            frame = _text_frame(src, ";")
            for k in range(reps):
                cid = f"{folder.name}-r{k:03d}"
                copy = frame.copy()
                copy["Code"] = cid
                main, opposite = (rng.integers(0, 3, len(copy)) for _ in range(2))
                plain = copy[["Totaal", "Hoofdrichting", "Tegenrichting"]].apply(
                    lambda c: c.str.fullmatch(r"\d+")
                ).all(axis=1).to_numpy()
                copy["Hoofdrichting"] = _bump(copy["Hoofdrichting"], main * plain)
                copy["Tegenrichting"] = _bump(copy["Tegenrichting"], opposite * plain)
                copy["Totaal"] = _bump(copy["Totaal"], (main + opposite) * plain)
                path = out / "counters" / cid / f"{day}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                copy.to_csv(path, sep=";", index=False, lineterminator="\n", encoding="utf-8-sig")
                if i == 0 and not group:
                    row = list(copy.iloc[3])
                    bad_total = [*row[:5], "abc", *row[6:]]
                    bad_ts = [*row[:4], row[4].replace("+02:00", ""), *row[5:]]
                    _append(path, [";".join(row), ";".join(bad_total), ";".join(bad_ts)])
                group.append((str(path), cid))
        groups.append(group)
    return groups


def _prepare_od(landing: Path, out: Path, days: list[str], target: int, rng: np.random.Generator) -> list[str]:
    files = []
    frames = {d: _text_frame(landing / "od" / f"{d}.csv", ";") for d in days}
    reps = _replicas(int(np.mean([len(f) for f in frames.values()])), len(days), target)
    nis = sorted({c[:5] for f in frames.values() for col in ("origin_sector", "destination_sector") for c in f[col]})
    for i, (day, frame) in enumerate(frames.items()):
        k = np.repeat(np.arange(reps), len(frame))
        wide = {"hour_start": np.tile(frame["hour_start"].to_numpy(dtype=object), reps)}
        for col in ("origin_sector", "destination_sector"):
            code = np.tile(frame[col].to_numpy(dtype=str), reps)
            index = np.array([nis.index(c[:5]) for c in frame[col]] * reps)
            prefix = np.char.add(np.char.zfill(k.astype(str), 3), np.char.zfill(index.astype(str), 2))
            renamed = np.char.add(prefix, np.array([c[5:] for c in code]))
            wide[col] = np.where(k == 0, code, renamed)
        trips = pd.Series(np.tile(frame["trips"].to_numpy(dtype=object), reps)).astype(str)
        wide["trips"] = _bump(trips, rng.integers(0, 3, len(trips)))
        table = pd.DataFrame(wide)
        path = out / "od" / f"{day}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, sep=";", index=False, lineterminator="\n")
        if i == 0:
            ts, o, d, _ = table.iloc[0]
            _append(path, [
                ";".join(table.iloc[0]),  # duplicate hour_start + origin + destination
                f"{ts};ABC;{d};5",  # not a CD_SECTOR code
                f"{ts};{o};{d}x;5",  # destination too long
                f"{ts[:14]}30{ts[16:]};{o};{d};5",  # not on an hour boundary
                f"{ts};{o};{d};-1",  # negative trips
            ])  # fmt: skip
        files.append(str(path))
    return files


def _prepare_kbo(out: Path, target: int) -> str:
    folder = out / "kbo"
    generate_full_extract(folder, KBO_POSTCODES, establishments=max(200, target // 11), seed=SEED)

    def first_rows(name: str, n: int = 2) -> list[list[str]]:
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            return [next(reader) for _ in range(n)]

    def add(name: str, rows: list[list[str]]) -> None:
        with open(folder / f"{name}.csv", "a", encoding="utf-8", newline="") as handle:
            csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)

    ent, est, act, adr, den = (first_rows(n) for n in kbo.TABLES)
    add("enterprise", [ent[0]])  # duplicate enterprise_number
    add("establishment", [[est[0][0], "31-02-2020", est[0][2]], [est[1][0], est[1][1], "0123.456.789"]])
    add("activity", [[*act[0][:3], "4711", act[0][4]], [*act[1][:4], "XXXX"]])
    add("address", [[*adr[0][:12], "2020-01-01"]])  # date not dd-mm-yyyy
    add("denomination", [[*den[0][:3], ""]])  # missing denomination
    return str(folder)


def prepare(workdir: Path, *, scale: int, records_per_scale: int = RECORDS_PER_SCALE) -> dict:
    """Write every input under ``workdir/input`` and return (and save) its manifest."""
    from pipelines.demo.generator import generate

    workdir = Path(workdir)
    target = scale * records_per_scale
    landing = workdir / "demo" / "landing"
    days = [f"2026-10-{12 + i:02d}" for i in range(DEMO_DAYS)]
    if not (landing / "od" / f"{days[-1]}.csv").is_file():
        generate(landing, communes=10, days=DEMO_DAYS)
    out = workdir / "input"
    rng = np.random.default_rng(SEED)
    manifest = {
        "wifi_counts": _prepare_wifi(landing, out, days, target, rng),
        "counter_counts": _prepare_counters(landing, out, days, target, rng),
        "od_flows": _prepare_od(landing, out, days, target, rng),
        "kbo": _prepare_kbo(out, target),
    }
    manifest["kbo_full"] = manifest["kbo"]
    (workdir / "manifest.json").write_text(json.dumps(manifest))
    return manifest


# ---------------------------------------------------------------------------- ours


def _key(path: str, row: int) -> Key:
    p = Path(path)
    return (f"{p.parent.name}/{p.name}", int(row))


def _outcome(results: list[ReadResult]) -> dict:
    keys = [
        _key(f, r)
        for res in results
        for f, r in zip(res.quarantine["source_file"], res.quarantine["row_number"], strict=True)
    ]
    return {
        "rows_in": sum(int(r.rows_in or 0) for r in results),
        "accepted": sum(len(r.table) for r in results),
        "quarantined": sorted(keys),
    }


def _ours(source: str, spec: object) -> dict:
    if source == "wifi_counts":
        return _outcome([wifi.read_counts(Path(p)) for p in spec])
    if source == "counter_counts":
        return _outcome([counters.read_ghent_files([(Path(p), c) for p, c in day]) for day in spec])
    if source == "od_flows":
        return _outcome([od.read_od(Path(p)) for p in spec])
    if source == "kbo":
        return _outcome(list(kbo.read_kbo(Path(spec)).values()))
    if source == "kbo_full":
        tables = kbo_full.read_kbo_full(Path(spec), postcodes=KBO_POSTCODES)
        return _outcome(list(tables.values()))
    raise ValueError(f"unknown source {source!r}")


# ---------------------------------------------------------------------------- pandas loop

_ISO = re.compile(_ISO_WITH_OFFSET)
_ZONE = ZoneInfo(TIMEZONE)
_SECTOR = re.compile(od.SECTOR_PATTERN)
_HMS = re.compile(r"^(\d+):(\d{2}):(\d{2})$")


def _timestamp(text: str) -> tuple[datetime | None, str | None]:
    """One ISO timestamp with a Brussels (or UTC) offset, or why not."""
    text = text.strip()
    if not text:
        return None, "missing timestamp"
    if not _ISO.match(text):
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:
            return None, f"unparsable timestamp: {text}"
        if naive.tzinfo is None:
            return None, f"timestamp without UTC offset (ambiguous local time): {text}"
        return None, f"unparsable timestamp: {text}"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None, f"unparsable timestamp: {text}"
    given = ts.utcoffset()
    if given and given != ts.astimezone(_ZONE).utcoffset():
        return None, f"UTC offset of {text} is not the {TIMEZONE} offset at that instant"
    return ts, None


def _on_hour(ts: datetime) -> bool:
    return ts.minute == 0 and ts.second == 0 and ts.microsecond == 0


def _count(text: str, column: str) -> tuple[int | None, str | None]:
    """A non-negative integer count (``7`` or ``7.0``), or why not."""
    text = text.strip()
    if not text:
        return None, "missing " + column
    try:
        value = float(text)
    except ValueError:
        return None, f"non-numeric {column}: '{text}'"
    if value != value:
        return None, f"non-numeric {column}: '{text}'"
    if value < 0:
        return None, f"negative {column}: {text}"
    if value % 1 != 0:
        return None, f"non-integer {column}: {text}"
    return round(value), None


def _loop_wifi(files: list[str]) -> dict:
    rows_in, accepted, quarantined = 0, [], []
    for path in files:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        seen = set()
        for i, row in enumerate(df.itertuples(index=False)):
            rows_in += 1
            sensor = row.sensor_id.strip()
            reason = None
            ts, problem = _timestamp(row.timestamp)
            devices, count_problem = _count(row.unique_devices, "unique_devices")
            if not sensor:
                reason = "missing sensor_id"
            elif problem:
                reason = problem
            elif not _on_hour(ts):
                reason = "timestamp not on an hour boundary"
            elif count_problem:
                reason = count_problem
            elif (sensor, ts) in seen:
                reason = "duplicate sensor_id+timestamp"
            if reason:
                quarantined.append((_key(path, i + 1), reason))
                continue
            seen.add((sensor, ts))
            accepted.append((sensor, ts, devices))
    return {"rows_in": rows_in, "accepted": len(accepted), "quarantined": sorted(k for k, _ in quarantined)}


def _clock_matches(ts: datetime, datum: str, clock: str) -> bool:
    local = ts.astimezone(_ZONE)
    found = _HMS.match(clock.strip())
    if found is None or datum.strip() != local.strftime("%Y-%m-%d"):
        return False
    hours, minutes, seconds = (int(g) for g in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds) == timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second
    )


def _loop_counters(days: list[list[tuple[str, str]]]) -> dict:
    rows_in, accepted, quarantined = 0, 0, []
    for day in days:
        best: dict[tuple[str, datetime], tuple[bool, int, Key]] = {}
        position = 0
        for path, counter_id in day:
            df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            for i, row in enumerate(df.itertuples(index=False)):
                rows_in += 1
                position += 1
                key = _key(path, i + 1)
                ts, reason = _timestamp(row.Ordening)
                values = {}
                if not counter_id:
                    reason = "missing Code (counter id)"
                for column in ("Totaal", "Hoofdrichting", "Tegenrichting"):
                    values[column], problem = _count(getattr(row, column), column)
                    reason = reason or problem
                if reason is None and values["Totaal"] != values["Hoofdrichting"] + values["Tegenrichting"]:
                    reason = "Totaal != Hoofdrichting + Tegenrichting"
                if reason:
                    quarantined.append(key)
                    continue
                miss = not _clock_matches(ts, row.Datum, row.Uur5Minuten)
                candidate = (miss, position, key)
                kept = best.get((counter_id, ts))
                if kept is None:
                    best[(counter_id, ts)] = candidate
                elif candidate[:2] < kept[:2]:
                    quarantined.append(kept[2])
                    best[(counter_id, ts)] = candidate
                else:
                    quarantined.append(key)
        accepted += len(best)
    return {"rows_in": rows_in, "accepted": accepted, "quarantined": sorted(quarantined)}


def _sector(text: str, column: str) -> tuple[str, str | None]:
    code = text.strip().upper()
    if not _SECTOR.match(code):
        return code, f"invalid {column} (expected a CD_SECTOR code): '{text}'"
    return code, None


def _loop_od(files: list[str]) -> dict:
    rows_in, accepted, quarantined = 0, [], []
    for path in files:
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        seen = set()
        for i, row in enumerate(df.itertuples(index=False)):
            rows_in += 1
            ts, reason = _timestamp(row.hour_start)
            if reason is None and not _on_hour(ts):
                reason = "hour_start not on an hour boundary"
            origin, problem = _sector(row.origin_sector, "origin_sector")
            reason = reason or problem
            destination, problem = _sector(row.destination_sector, "destination_sector")
            reason = reason or problem
            trips, problem = _count(row.trips, "trips")
            reason = reason or problem
            if reason is None and (ts, origin, destination) in seen:
                reason = "duplicate hour_start+origin+destination"
            if reason:
                quarantined.append(_key(path, i + 1))
                continue
            seen.add((ts, origin, destination))
            accepted.append((ts, origin, destination, trips))
    return {"rows_in": rows_in, "accepted": len(accepted), "quarantined": sorted(quarantined)}


_ENTERPRISE = re.compile(r"\d{4}\.\d{3}\.\d{3}")
_ESTABLISHMENT = re.compile(r"[2-8]\.\d{3}\.\d{3}\.\d{3}")
_NACE = re.compile(r"\d{5}|\d{7}")


def _mod97(value: str | None, pattern: re.Pattern[str]) -> bool:
    if value is None or not pattern.fullmatch(value):
        return False
    digits = int(value.replace(".", ""))
    return 97 - (digits // 100) % 97 == digits % 100


def _date(value: str | None) -> bool:
    try:
        datetime.strptime(value, "%d-%m-%Y")
    except ValueError:
        return False
    return True


def _kbo_reason(name: str, row: dict[str, str | None], seen: set[str]) -> str | None:
    key = {"enterprise": "EnterpriseNumber", "establishment": "EstablishmentNumber"}.get(name, "EntityNumber")
    number = row[key]
    if number is None:
        return f"missing {key}"
    if name == "enterprise":
        ok = _mod97(number, _ENTERPRISE)
    elif name == "establishment":
        ok = _mod97(number, _ESTABLISHMENT)
    else:
        ok = _mod97(number, _ENTERPRISE) or _mod97(number, _ESTABLISHMENT)
    if not ok:
        return f"malformed {key}"
    if name == "establishment" and not _mod97(row["EnterpriseNumber"], _ENTERPRISE):
        return "malformed enterprise_number"
    for column in ("StartDate", "DateStrikingOff"):
        if row.get(column) is not None and not _date(row[column]):
            return f"bad {column}"
    if name == "activity":
        if row["NaceVersion"] not in kbo.NACE_VERSIONS:
            return "unknown nace_version"
        if row["NaceCode"] is None or not _NACE.fullmatch(row["NaceCode"]):
            return "malformed nace_code"
        if row["Classification"] not in ("MAIN", "SECO", "ANCI"):
            return "unknown classification"
    if name == "denomination" and row["Denomination"] is None:
        return "missing denomination"
    if name in ("enterprise", "establishment"):
        if number in seen:
            return f"duplicate {key}"
        seen.add(number)
    return None


def _loop_kbo(folder: str) -> dict:
    rows_in, accepted, quarantined = 0, [], []
    for name in kbo.TABLES:
        path = str(Path(folder) / f"{name}.csv")
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        seen: set[str] = set()
        for i, values in enumerate(df.itertuples(index=False)):
            rows_in += 1
            row = {c: (v.strip() or None) for c, v in zip(df.columns, values, strict=True)}
            if _kbo_reason(name, row, seen):
                quarantined.append(_key(path, i + 1))
            else:
                accepted.append(row)
    return {"rows_in": rows_in, "accepted": len(accepted), "quarantined": sorted(quarantined)}


BASELINES: dict[str, Callable[[object], dict]] = {
    "wifi_counts": _loop_wifi,
    "counter_counts": _loop_counters,
    "od_flows": _loop_od,
    "kbo": _loop_kbo,
}


# ---------------------------------------------------------------------------- timing


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(source: str, impl: str, manifest: dict) -> dict:
    """Time one reader (``impl`` 'ours' or 'loop') on its input, in this process."""
    spec = manifest[source]
    before = _rss_mb()
    start = time.perf_counter()
    outcome = _ours(source, spec) if impl == "ours" else BASELINES[source](spec)
    outcome["seconds"] = time.perf_counter() - start
    outcome["rss_mb"], outcome["base_mb"] = _rss_mb(), before
    return outcome


def _measure_isolated(source: str, impl: str, workdir: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    )}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--workdir", str(workdir),
         "--measure", source, impl],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    outcome["quarantined"] = [tuple(k) for k in outcome["quarantined"]]
    return outcome


def _agree(source: str, ours: dict, loop: dict) -> None:
    for what in ("rows_in", "accepted", "quarantined"):
        if ours[what] != loop[what]:
            a, b = ours[what], loop[what]
            if isinstance(a, list):
                only = sorted(set(a) ^ set(b))[:5]
                a, b = f"{len(a)} rows", f"{len(b)} rows (differing: {only})"
            raise AssertionError(f"{source}: ours and the pandas loop differ in {what}: {a} vs {b}")


def run(
    workdir: Path,
    *,
    scale: int,
    records_per_scale: int = RECORDS_PER_SCALE,
    isolate: bool = True,
    sources: tuple[str, ...] = SOURCES,
) -> list[dict]:
    """Prepare the inputs under ``workdir`` and time ours against the pandas loop.

    Parameters
    ----------
    workdir
        Scratch folder (the demo template, the inputs, ``manifest.json``).
    scale
        Each source holds about ``scale * records_per_scale`` records.
    isolate
        Run each measurement in a fresh process (peak RSS measured); else in this one.
    sources
        A subset of :data:`SOURCES`.

    Returns
    -------
    list[dict]
        Per source: ``source, label, records, accepted, quarantined, ours_s, ours_rps,
        loop_s, loop_rps, ratio`` (ours records/s over the loop's) and ``ours_rss_mb,
        loop_rss_mb`` (``None`` in process).

    Raises
    ------
    AssertionError
        If ours and the pandas loop do not read, accept and quarantine the same rows.
    """
    workdir = Path(workdir)
    manifest = prepare(workdir, scale=scale, records_per_scale=records_per_scale)
    loops: dict[str, dict] = {}
    rows = []
    for source in sources:
        base = BASELINE_OF.get(source, source)

        def timed(impl: str, src: str) -> dict:
            return _measure_isolated(src, impl, workdir) if isolate else measure(src, impl, manifest)

        ours = timed("ours", source)
        if base not in loops:
            loops[base] = timed("loop", base)
        loop = loops[base]
        _agree(source, ours, loop)
        rows.append({
            "source": source, "label": LABELS[source], "records": ours["rows_in"],
            "accepted": ours["accepted"], "quarantined": len(ours["quarantined"]),
            "ours_s": ours["seconds"], "ours_rps": ours["rows_in"] / ours["seconds"],
            "loop_s": loop["seconds"], "loop_rps": loop["rows_in"] / loop["seconds"],
            "ratio": loop["seconds"] / ours["seconds"],
            "ours_rss_mb": ours["rss_mb"] if isolate else None,
            "loop_rss_mb": loop["rss_mb"] if isolate else None,
            "base_mb": ours["base_mb"] if isolate else None,
        })  # fmt: skip
    return rows


# ---------------------------------------------------------------------------- report

BOUNDS = {
    "wifi_counts": "pandas string work per row check (timestamp parsing, the string "
    "Series of reasons)",
    "counter_counts": "one small file (288 rows) per counter and day to open and check, "
    "then the same pandas checks",
    "od_flows": "pandas string work per row check (timestamp parsing, sector regex)",
    "kbo": "the text pass (strip every field, '' -> NA) and the regex checks of pandas",
    "kbo_full": "DuckDB's CSV scan plus the same pandas checks on the rows it returns",
}
"""What bounds each reader below the target, as profiled (cProfile) when the bench was written."""


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def markdown(rows: list[dict]) -> str:
    """The ``## Ingestion throughput`` section: the table and the 1.5 M records/s verdicts."""
    rss = any(r.get("ours_rss_mb") is not None for r in rows)
    head = ["source", "records", "ours (s)", "ours (records/s)", "pandas loop (s)",
            "pandas loop (records/s)", "ratio"]  # fmt: skip
    if rss:
        head += ["ours peak RSS (MB)", "pandas loop peak RSS (MB)"]
        base = max(r.get("base_mb") or 0 for r in rows)
    lines = [
        "## Ingestion throughput",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|",
    ]
    for r in rows:
        cells = [r["label"], f"{r['records']:,}", f"{r['ours_s']:.2f}", f"{r['ours_rps']:,.0f}",
                 f"{r['loop_s']:.2f}", f"{r['loop_rps']:,.0f}", f"{r['ratio']:.1f}×"]  # fmt: skip
        if rss:
            cells += [_mb(r["ours_rss_mb"]), _mb(r["loop_rss_mb"])]
        lines.append("| " + " | ".join(cells) + " |")
    verdicts = []
    for r in rows:
        if r["ours_rps"] >= TARGET:
            verdicts.append(f"{r['source']} reaches it")
        else:
            verdicts.append(
                f"{r['source']} does not ({r['ours_rps'] / 1e6:.2f} M; bound by {BOUNDS[r['source']]})"
            )
    lines += ["", f"Target {TARGET / 1e6:.1f} M records/s: " + "; ".join(verdicts) + "."]
    if rss:
        lines += ["", f"Peak RSS is that of a fresh process per run, {base:,.0f} MB of imports included."]
    return "\n".join(lines) + "\n"


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    """``path`` (created), or a temporary folder removed afterwards."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=3, help=f"records per source / {RECORDS_PER_SCALE:,}")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--in-process", action="store_true", help="no fresh process per measurement (no RSS)")
    parser.add_argument("--measure", nargs=2, metavar=("SOURCE", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=None, help="also write the section into this file (docs/performance.md)"
    )
    args = parser.parse_args(argv)
    if args.measure:
        manifest = json.loads((args.workdir / "manifest.json").read_text())
        print(json.dumps(measure(*args.measure, manifest)))
        return 0
    with _workdir(args.workdir) as workdir:
        rows = run(workdir, scale=args.scale, isolate=not args.in_process)
    print(markdown(rows))
    if args.out is not None:
        from benchmarks.report import replace_section

        replace_section(args.out, "ingestion", markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
