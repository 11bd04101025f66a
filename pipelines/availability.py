"""Which sources a territory holds: the source families, where each lands, and a scan of the
landing zone into the ``bronze.source_status`` table.

A commune holds some sources, not all. Only commune boundaries and a street network (OSM) are
required; every other family may be missing, and then its bronze tables are empty and typed,
and the indicators that need it say so (``status = 'not_computable'``, ``needs = [...]``).
The scan only looks at files (presence, size, SHA-256, days covered); whether a held file
could be read is the bronze readers' business (their quarantine).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.errors import InputError


@dataclass(frozen=True)
class Family:
    """A source family: what a commune may hold, who provides it, where it lands."""

    name: str
    label_fr: str
    provider: str
    licence: str
    patterns: tuple[str, ...]
    """Globs under ``landing/`` whose files make up the family."""
    required: bool = False
    derived_from: str | None = None
    """A family with no landing file of its own, held when this one is (parking from OSM)."""
    bronze: tuple[str, ...] = ()
    """The bronze assets and tables holding the family's rows (their quarantine included)."""


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("boundaries", "Limites communales", "Statbel", "Licence ouverte Statbel",
               ("statbel/communes.geojson", "statbel/communes.gpkg", "statbel/communes.shp.zip", "statbel/communes.shp"),
               required=True,
               bronze=("statbel_communes",)),
        Family("sectors", "Secteurs statistiques et population", "Statbel", "Licence ouverte Statbel",
               ("statbel/sectors.geojson", "statbel/sectors.gpkg", "statbel/sectors.shp.zip", "statbel/sectors.shp",
                "statbel/OPENDATA_SECTOREN_*"), bronze=("statbel_sectors",)),
        Family("osm", "Réseau de rues et points d'intérêt", "OpenStreetMap", "ODbL 1.0",
               ("osm/territory.osm", "osm/territory.osm.pbf"), required=True, bronze=("osm_pois",)),
        Family("gtfs", "Horaires des transports en commun (GTFS)", "TEC / SNCB", "Licence ouverte TEC / SNCB",
               ("gtfs/*.zip",),
               bronze=("gtfs", *(f"gtfs_{t}" for t in ("agency", "calendar", "calendar_dates", "routes", "stop_times", "stops", "trips")))),
        Family("kbo", "Banque-Carrefour des Entreprises", "SPF Économie (BCE/KBO Open Data)",
               "Réutilisation libre après enregistrement",
               ("kbo/enterprise.csv", "kbo/establishment.csv", "kbo/activity.csv", "kbo/address.csv",
                "kbo/denomination.csv", "kbo/code.csv", "kbo/full/*.csv", "kbo/updates/*/*.csv"),
               bronze=("kbo", "kbo_enterprise", "kbo_establishment", "kbo_activity", "kbo_address",
                       "kbo_denomination", "kbo_establishments_located")),
        Family("addresses", "Points d'adresse", "BOSA BeST Address / bpost (centroïdes)", "Licence ouverte",
               ("kbo/address_points.csv", "kbo/postcodes.csv", "best/*"), bronze=("address_points", "kbo_postcodes")),
        Family("wifi", "Capteurs WiFi de fréquentation", "Commune / opérateur WiFi", "Données de la commune",
               ("wifi/sensors.csv", "wifi/counts/*.csv", "wifi/probes/*.csv"),
               bronze=("wifi_sensors", "wifi_counts", "wifi_probes")),
        Family("counters", "Compteurs piétons et vélos", "Commune / SPW Mobilité", "Données de la commune",
               ("counters/counters.csv", "counters/*/*.csv", "sncb/boardings.csv"),
               bronze=("counter_registry", "counter_counts", "sncb_boardings")),
        Family("od", "Flux de mobilité d'opérateur mobile", "Opérateur mobile", "Contrat de licence",
               ("od/*.csv",), bronze=("od_flows",)),
        Family("vouchers", "Chèques commerces et fidélité", "Gestionnaire du système de chèques",
               "Données de la commune", ("vouchers/merchants.csv", "vouchers/transactions/*.csv"),
               bronze=("voucher_merchants", "transactions")),
        Family("vacancy", "Cellules commerciales vides", "Commune / ADL", "Données de la commune",
               ("vacant/vacant_cells.csv",), bronze=("vacant_cells",)),
        Family("parking", "Parkings", "OpenStreetMap (amenity=parking)", "ODbL 1.0", (),
               derived_from="osm"),
    )
}  # fmt: skip
"""Every source family, keyed by its canonical name."""

STATUS_COLUMNS = (
    "source", "status", "required", "provider", "licence", "files", "bytes",
    "first_day", "last_day", "days", "file_hashes", "reason",
)  # fmt: skip
"""Columns of ``bronze.source_status``."""

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def family_of_bronze(name: str) -> str | None:
    """The family of a bronze asset or table name (``wifi_counts`` -> ``wifi``), else None."""
    return next((f.name for f in FAMILIES.values() if name in f.bronze), None)


def family_files(landing: Path, family: Family) -> list[Path]:
    """The landing files of ``family`` (sorted, hidden and temporary files ignored)."""
    found: set[Path] = set()
    for pattern in family.patterns:
        found.update(p for p in landing.glob(pattern) if p.is_file() and not p.name.startswith("."))
    return sorted(found)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        "file_hashes": [f"{p.relative_to(landing).as_posix()} {_sha256(p)}" for p in files],
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
    for family in FAMILIES.values():
        if family.derived_from is None:
            rows[family.name] = _row(landing, family, family_files(landing, family) if landing.is_dir() else [])
    for family in FAMILIES.values():
        if family.derived_from is not None:
            parent = rows[family.derived_from]
            rows[family.name] = {
                **parent, "source": family.name, "required": family.required,
                "provider": family.provider, "licence": family.licence, "files": 0, "bytes": 0,
                "file_hashes": [],
                "reason": None if parent["status"] == "held" else f"derived from {family.derived_from}, which is missing",
            }  # fmt: skip
    frame = pd.DataFrame([rows[name] for name in FAMILIES], columns=list(STATUS_COLUMNS))
    return frame.astype({"files": "int64", "bytes": "int64", "days": "int64", "required": "bool"})


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
