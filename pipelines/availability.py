"""Which sources a territory holds: a scan of the landing zone into ``bronze.source_status``,
one row per family of :data:`pipelines.sources.registry.FAMILIES`.

A commune holds some sources, not all. Only commune boundaries and a street network (OSM) are
required; every other family may be missing, and then its bronze tables are empty and typed,
and the indicators that need it say so (``status = 'not_computable'``, ``needs = [...]``).
The scan only looks at files (presence, size, SHA-256, days covered), leaving out the files
the landing zone refuses (:mod:`pipelines.landing`: links, duplicates, misnamed daily files),
which it counts in ``refused_files`` and quarantines; whether a held file could be read is the
bronze readers' business (their quarantine).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines import landing as landing_zone
from pipelines.errors import InputError
from pipelines.sources.registry import FAMILIES, Family, family_of_bronze

__all__ = ["FAMILIES", "STATUS_COLUMNS", "Family", "family_files", "family_of_bronze", "held", "require", "scan_landing"]


STATUS_COLUMNS = (
    "source", "status", "required", "provider", "licence", "files", "bytes",
    "first_day", "last_day", "days", "file_hashes", "reason", "refused_files",
)  # fmt: skip
"""Columns of ``bronze.source_status``."""

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def family_files(landing: Path, family: Family, refused: frozenset[str] = frozenset()) -> list[Path]:
    """The landing files of ``family`` (sorted, hidden and temporary files ignored), without
    the ``refused`` ones (landing-relative paths, see :func:`refused_files`)."""
    found: set[Path] = set()
    for pattern in family.patterns:
        found.update(p for p in landing.glob(pattern) if p.is_file() and not p.name.startswith("."))
    return sorted(p for p in found if p.relative_to(landing).as_posix() not in refused)


def refused_files(landing: Path) -> pd.DataFrame:
    """Quarantine rows of the landing files that are never read (links, paths outside the
    zone, misnamed daily files, duplicates): :func:`pipelines.landing.refused`."""
    return landing_zone.refused(landing, {f.name: f.patterns for f in FAMILIES.values()})


def _row(landing: Path, family: Family, files: list[Path]) -> dict[str, object]:
    days = sorted({m.group(1) for p in files if (m := _DAY.search(p.stem))})
    held = bool(files) and any(p.stat().st_size > 0 for p in files)
    if held:
        reason = None
    elif files:
        reason = "every file is empty"
    else:
        reason = "no file at " + " or ".join(f"landing/{p}" for p in family.patterns)
    return {
        "source": family.name,
        "status": "held" if held else "missing",
        "required": family.required,
        "provider": family.provider,
        "licence": family.licence,
        "files": len(files),
        "bytes": int(sum(p.stat().st_size for p in files)),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "days": len(days),
        "file_hashes": [f"{p.relative_to(landing).as_posix()} {landing_zone.sha256(p)}" for p in files],
        "reason": reason,
    }


def scan_landing(landing: Path) -> pd.DataFrame:
    """One row per source family: held or missing, files, bytes, days covered, file hashes.

    Parameters
    ----------
    landing : pathlib.Path
        The landing zone (``<data root>/landing``); it may not exist (everything missing).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`STATUS_COLUMNS`, one row per family of :data:`FAMILIES`.
    """
    rows: dict[str, dict[str, object]] = {}
    refused = refused_files(landing)
    skipped = frozenset(refused["source_file"])
    for family in FAMILIES.values():
        if family.derived_from is None:
            rows[family.name] = _row(landing, family, family_files(landing, family, skipped) if landing.is_dir() else [])
            rows[family.name]["refused_files"] = int(refused["reason"].str.startswith(family.name + ":").sum())
    for family in FAMILIES.values():
        if family.derived_from is not None:
            parent = rows[family.derived_from]
            rows[family.name] = {
                **parent, "source": family.name, "required": family.required,
                "provider": family.provider, "licence": family.licence, "files": 0, "bytes": 0,
                "file_hashes": [], "refused_files": 0,
                "reason": None if parent["status"] == "held" else f"derived from {family.derived_from}, which is missing",
            }  # fmt: skip
    frame = pd.DataFrame([rows[name] for name in FAMILIES], columns=list(STATUS_COLUMNS))
    return frame.astype({"files": "int64", "bytes": "int64", "days": "int64", "required": "bool", "refused_files": "int64"})


def held(status: pd.DataFrame) -> set[str]:
    """The families a ``bronze.source_status`` frame marks as held."""
    return set(status.loc[status["status"] == "held", "source"])


def require(status: pd.DataFrame) -> None:
    """Raise one clear :class:`InputError` naming every required family that is missing."""
    missing = status[status["required"] & (status["status"] != "held")]
    if len(missing):
        detail = "; ".join(f"{r.source} ({r.reason})" for r in missing.itertuples())
        raise InputError(
            "required source missing: " + detail,
            expected="commune boundaries (statbel/communes.geojson) and an OSM extract (osm/territory.osm[.pbf])",
        )
