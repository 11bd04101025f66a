"""The landing zone is a boundary: which of its files may be read, and why the others are not.

The landing zone is a shared drop folder that communes, operators and consultants write into.
A file of a family (:data:`pipelines.sources.registry.FAMILIES` patterns) is refused, never
read, when:

- it, or a folder on its way from the landing root, is a symbolic link (a link could point at
  any file the process can read: nothing outside the zone may enter the lake);
- its resolved path lies outside the landing zone;
- it sits in a daily folder but is not named ``<YYYY-MM-DD>.csv`` (``2026-10-12 (1).csv``, an
  accented or otherwise mistyped name): no reader would pick it up, so it is said, not lost;
- it holds the same bytes as an earlier-named file of the same folder (SHA-256; empty files
  excepted): a day copied under another day's name is not counted twice.

:func:`refused` gives one quarantine row per refused file of the given families (``row_number``
0, the reason naming the other file for a duplicate); the loaders ask :func:`readable` before
they hand a path to a reader. Only files of equal size are hashed, each once per version.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from pipelines.quarantine import empty_quarantine, quarantine_rows

DAILY_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.csv$")
DAILY_FOLDERS = ("wifi/counts", "wifi/probes", "od", "vouchers/transactions", "counters/*")
"""Folders whose files are one local day each, named ``<YYYY-MM-DD>.csv``."""
_DAILY = [re.compile("^" + re.escape(f).replace(r"\*", "[^/]+") + "/[^/]+$") for f in DAILY_FOLDERS]


def _display(rel: str) -> str:
    """A path fit for a Parquet string (undecodable bytes shown as escapes)."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _linked(landing: Path, path: Path) -> bool:
    """True when ``path`` or a folder between the landing root and it is a symbolic link."""
    current = landing
    for part in path.relative_to(landing).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _family_matches(landing: Path, patterns: Iterable[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in landing.glob(pattern) if not p.name.startswith(".") and (p.is_file() or p.is_symlink()))
    return sorted(found)


def _reason(landing: Path, root: Path, path: Path) -> str | None:
    rel = path.relative_to(landing).as_posix()
    if _linked(landing, path):
        return "symbolic link refused: the landing zone is a boundary, links are not followed"
    if not path.resolve().is_relative_to(root):
        return "path outside the landing zone refused"
    if any(d.match(rel) for d in _DAILY) and not DAILY_NAME.match(path.name):
        return "file name is not <YYYY-MM-DD>.csv: a daily file must be named by its local day; not read"
    return None


@functools.lru_cache(maxsize=4096)
def _hash(path: Path, _size: int, _mtime_ns: int) -> str:
    return sha256(path)


_Entry = tuple[str, int, int]
"""(name, size, mtime_ns) of a regular file of a folder (links left out)."""


@functools.lru_cache(maxsize=256)
def _folder_index(folder: Path, _mtime_ns: int) -> dict[str, _Entry]:
    """The regular files of ``folder`` by name, read once per version of the folder (one
    ``scandir``): a daily folder of two years is listed once, not once per day."""
    out = {}
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_file(follow_symlinks=False):
                st = e.stat(follow_symlinks=False)
                out[e.name] = (e.name, st.st_size, st.st_mtime_ns)
    return out


def _index(path: Path) -> dict[str, _Entry]:
    """The index of ``path``'s folder, read again when the folder changed or when ``path``
    itself was rewritten in place (its size or time differ from the index: rare, so the
    whole cache is dropped)."""
    folder, st = path.parent, path.stat()
    index = _folder_index(folder, folder.stat().st_mtime_ns)
    if index.get(path.name, (None, -1, -1))[1:] != (st.st_size, st.st_mtime_ns):
        _folder_index.cache_clear()
        index = _folder_index(folder, folder.stat().st_mtime_ns)
    return index


def duplicate_of(path: Path) -> Path | None:
    """The earlier-named file of the same folder with the same bytes, or None (empty files
    are never duplicates: an empty day is a known gap, reported as such). Only files of the
    same size are hashed, each once per version."""
    st = path.stat()
    if not st.st_size:
        return None
    same_size = sorted(
        name for name, size, _ in _index(path).values() if size == st.st_size and name < path.name
    )
    digest = _hash(path, st.st_size, st.st_mtime_ns) if same_size else None
    for name in same_size:
        other = path.parent / name
        so = other.stat()
        if so.st_size == st.st_size and _hash(other, so.st_size, so.st_mtime_ns) == digest:
            return other
    return None


def _file_reason(landing: Path, root: Path, path: Path) -> str | None:
    reason = _reason(landing, root, path)
    if reason is None and path.is_file() and (other := duplicate_of(path)) is not None:
        reason = f"duplicate: same content (SHA-256) as {_display(other.relative_to(landing).as_posix())}; not read"
    return reason


def refused(landing: Path, families: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """One quarantine row per landing file of ``families`` (name -> landing globs) that is not
    read, with its reason (see the module); ``source`` is ``landing``, the reason starts with
    the family."""
    landing = Path(landing)
    if not landing.is_dir():
        return empty_quarantine()
    root = landing.resolve()
    rows = [
        (name, path.relative_to(landing).as_posix(), reason)
        for name, patterns in families.items()
        for path in _family_matches(landing, patterns)
        if (reason := _file_reason(landing, root, path))
    ]
    if not rows:
        return empty_quarantine()
    names, files, reasons = zip(*rows, strict=True)
    return quarantine_rows(
        "landing", [_display(f) for f in files], [0] * len(rows),
        [f"{n}: {r}" for n, r in zip(names, reasons, strict=True)], [""] * len(rows),
    )


def readable(landing: Path, path: Path) -> bool:
    """True when ``path`` exists inside the landing zone, is reached without a symbolic link,
    and is not a duplicate; a folder when no file below it is a link."""
    landing = Path(landing)
    if not path.exists() or not path.is_relative_to(landing) or _linked(landing, path):
        return False
    if not path.resolve().is_relative_to(landing.resolve()):
        return False
    if path.is_dir():
        return not any(p.is_symlink() for p in path.rglob("*"))
    return duplicate_of(path) is None
