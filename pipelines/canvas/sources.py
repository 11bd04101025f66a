"""Source families: who provides them, under which licence, where they land, and how bronze
tables and quarantine sources map onto them.

The canonical registry is ``pipelines.availability.FAMILIES`` (source availability, issue 9)
when it exists; until then this module's ``FALLBACK`` describes the same families, and
:func:`status_from_landing` derives a ``bronze.source_status``-shaped frame from the landing
folder (files, bytes, days, sha256 hashes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.canvas.catalogue import FAMILIES


@dataclass(frozen=True)
class FamilyInfo:
    provider: str
    licence: str
    landing: tuple[str, ...]
    required: bool = False
    label_fr: str = ""


FALLBACK: dict[str, FamilyInfo] = {
    "boundaries": FamilyInfo("Statbel", "Licence ouverte Statbel", ("statbel/communes.geojson",), True, "Limites communales"),
    "sectors": FamilyInfo("Statbel", "Licence ouverte Statbel", ("statbel/sectors.geojson",), False, "Secteurs statistiques et population"),
    "osm": FamilyInfo("OpenStreetMap", "ODbL 1.0", ("osm",), True, "Rues et points d'intérêt OpenStreetMap"),
    "gtfs": FamilyInfo("TEC / SNCB", "Licence de données ouvertes TEC/SNCB", ("gtfs",), False, "Horaires des transports publics (GTFS)"),
    "kbo": FamilyInfo("SPF Économie (BCE/KBO)", "Données ouvertes BCE", ("kbo",), False, "Registre des établissements (BCE)"),
    "addresses": FamilyInfo("Points d'adresse (BOSA/ICAR)", "CC BY 4.0", ("kbo/address_points.csv",), False, "Points d'adresse"),
    "wifi": FamilyInfo("Commune (capteurs WiFi)", "Données de la commune", ("wifi",), False, "Capteurs de passage WiFi"),
    "counters": FamilyInfo("Commune (compteurs piétons/vélos)", "Données de la commune", ("counters",), False, "Compteurs piétons et vélos"),
    "od": FamilyInfo("Opérateur mobile", "Licence commerciale", ("od",), False, "Flux origine-destination (opérateur mobile)"),
    "vouchers": FamilyInfo("Système de chèques / fidélité", "Données de la commune", ("vouchers",), False, "Chèques commerces et fidélité"),
    "vacancy": FamilyInfo("Commune / ADL", "Données de la commune", ("vacant",), False, "Registre des cellules vides"),
    "parking": FamilyInfo("Commune (parkings)", "Données de la commune", ("parking",), False, "Inventaire des parkings"),
}

def labels_fr() -> dict[str, str]:
    """French label of every family."""
    return {f: info.label_fr for f, info in family_info().items()}

_PREFIXES = (
    ("statbel_communes", "boundaries"), ("statbel_sectors", "sectors"), ("address_points", "addresses"),
    ("kbo", "kbo"), ("osm", "osm"), ("gtfs", "gtfs"), ("wifi", "wifi"), ("counter", "counters"),
    ("od", "od"), ("transactions", "vouchers"), ("voucher", "vouchers"), ("vacan", "vacancy"),
    ("parking", "parking"), ("statbel", "boundaries"),
)  # fmt: skip


def family_of(name: str) -> str | None:
    """The source family of a bronze table or quarantine source name (``wifi_counts`` -> wifi)."""
    for prefix, family in _PREFIXES:
        if name.startswith(prefix):
            return family
    return None


def family_info() -> dict[str, FamilyInfo]:
    """Provider, licence, landing globs, required flag and French label per family: from
    ``pipelines.availability.FAMILIES`` when present, else :data:`FALLBACK`."""
    try:
        from pipelines import availability
    except ImportError:  # pragma: no cover - before source availability landed
        return dict(FALLBACK)
    out = dict(FALLBACK)
    for name, fam in availability.FAMILIES.items():
        base = FALLBACK.get(name, FamilyInfo("", "", ()))
        out[name] = FamilyInfo(fam.provider or base.provider, fam.licence or base.licence,
                               tuple(fam.patterns) or base.landing, bool(fam.required), fam.label_fr or base.label_fr)
    return out


_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _files(landing: Path, rel: str, exclude: set[str]) -> list[Path]:
    target = landing / rel
    if target.is_file():
        return [target]
    if not target.is_dir():
        return []
    return sorted(p for p in target.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and str(p.relative_to(landing)) not in exclude)


def status_from_landing(landing: Path, infos: dict[str, FamilyInfo] | None = None) -> pd.DataFrame:
    """A ``bronze.source_status``-shaped frame derived from the landing folder.

    Used when the ``bronze.source_status`` table does not exist: the scan of
    ``pipelines.availability`` when present, else one row per family from :data:`FALLBACK`
    (status held/missing, files, bytes, first/last day found in the file names, days,
    ``file_hashes`` "relpath sha256").
    """
    if infos is None:
        try:
            from pipelines.availability import scan_landing
        except ImportError:  # pragma: no cover - before source availability landed
            pass
        else:
            return scan_landing(landing)
    infos = infos or dict(FALLBACK)
    explicit = {p for info in infos.values() for p in info.landing if Path(p).suffix}
    rows = []
    for family in FAMILIES:
        info = infos.get(family, FALLBACK[family])
        files: list[Path] = []
        for rel in info.landing:
            files += _files(landing, rel, explicit - set(info.landing))
        days = sorted({m.group(1) for p in files if (m := _DAY.search(str(p.relative_to(landing))))})
        hashes = [f"{p.relative_to(landing)} {hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files]
        rows.append({
            "source": family,
            "status": "held" if files else "missing",
            "required": info.required,
            "files": len(files),
            "bytes": int(sum(p.stat().st_size for p in files)),
            "first_day": days[0] if days else None,
            "last_day": days[-1] if days else None,
            "days": len(days),
            "file_hashes": hashes,
            "reason": None if files else f"no file under landing/{', landing/'.join(info.landing)}",
        })
    return pd.DataFrame(rows)
