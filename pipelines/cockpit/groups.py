"""Communes grouped by intercommunale for economic development and by province.

The reference is ``geodata/intercommunales.csv`` (one row per Walloon NIS code, see
``docs/cockpit.md``). A code that is not in it (the fictional codes of the demo and of the
region-size generator) is placed by the same rule the reference was built with:

* the province from the code's first digit (5 Hainaut, 6 Liège, 8 Luxembourg, 9 Namur)
  or its first two for Brabant wallon (25: 21 is Brussels, 23 and 24 Flemish Brabant);
* Brabant wallon -> InBW, Liège -> SPI, Luxembourg -> IDELUX Développement, Namur -> BEP;
* Hainaut by arrondissement (first two digits): 51 Ath, 54 Mouscron, 57 Tournai -> IDETA
  (Wallonie picarde); 53 Mons, 55 Soignies, 58 La Louvière -> IDEA (Cœur du Hainaut);
  52 Charleroi, 56 Thuin -> IGRETEC (Charleroi – Sud-Hainaut);
* anything else -> the fallback group ``hors-referentiel`` ("non attribuée").

Regenerate the reference from Statbel's commune list (NIS code, French name, arrondissement,
province, region) with::

    python -m pipelines.cockpit.groups ../shared/realdata/06_other/belgian_municipalities_2020.csv \
        > geodata/intercommunales.csv
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.errors import InputError

REFERENCE = Path(__file__).resolve().parents[2] / "geodata" / "intercommunales.csv"
COLUMNS = ("nis", "commune", "arrondissement", "province", "intercommunale", "basis", "to_verify", "note")


@dataclass(frozen=True)
class Group:
    slug: str
    name: str
    territory_fr: str


GROUPS: dict[str, Group] = {g.slug: g for g in (
    Group("inbw", "InBW", "Brabant wallon"),
    Group("ideta", "IDETA", "Wallonie picarde"),
    Group("idea", "IDEA", "Cœur du Hainaut (Mons-Borinage et Centre)"),
    Group("igretec", "IGRETEC", "Charleroi et Sud-Hainaut"),
    Group("spi", "SPI", "province de Liège"),
    Group("idelux", "IDELUX Développement", "province de Luxembourg"),
    Group("bep", "BEP", "province de Namur"),
    Group("hors-referentiel", "Non attribuée", "codes INS hors des provinces wallonnes"),
)}
FALLBACK = "hors-referentiel"
PROVINCES = {"25": "Brabant wallon", "5": "Hainaut", "6": "Liège", "8": "Luxembourg", "9": "Namur"}
"""Walloon provinces by NIS prefix: the first digit, except Brabant (2), split into Brussels
(21), Flemish Brabant (23, 24) and Walloon Brabant (25)."""
BY_PROVINCE = {"Brabant wallon": "inbw", "Liège": "spi", "Luxembourg": "idelux", "Namur": "bep"}
HAINAUT_ARRONDISSEMENTS = {"51": "ideta", "54": "ideta", "57": "ideta", "53": "idea", "55": "idea", "58": "idea",
                           "52": "igretec", "56": "igretec"}
TO_VERIFY = {
    "52010": "peut relever d'IDEA (Cœur du Hainaut) plutôt que d'IGRETEC",
    "56001": "peut relever d'IDEA (Cœur du Hainaut) plutôt que d'IGRETEC",
}
"""Codes where the arrondissement rule may be wrong (not verified: no internet here)."""


def province_of(nis: str) -> str | None:
    """The Walloon province of a 5-digit NIS code, from its first digit (``25`` for Brabant
    wallon; None outside Wallonia)."""
    code = str(nis)
    if len(code) != 5 or not code.isdigit():
        return None
    return PROVINCES.get(code[:2], PROVINCES.get(code[:1]))


def rule_group(nis: str) -> tuple[str, str]:
    """(group slug, basis) by the province / arrondissement rule."""
    province = province_of(nis)
    if province is None:
        return FALLBACK, "hors règle"
    if province == "Hainaut":
        slug = HAINAUT_ARRONDISSEMENTS.get(str(nis)[:2])
        return (slug, "arrondissement") if slug else (FALLBACK, "hors règle")
    return BY_PROVINCE[province], "province"


def load_reference(path: Path = REFERENCE) -> pd.DataFrame:
    """The reference file, validated: 5-digit unique codes, known groups."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: expected columns {list(COLUMNS)}, missing {missing}")
    bad = frame[~frame["nis"].str.fullmatch(r"\d{5}")]
    if len(bad):
        raise InputError(f"{path}: row {bad.index[0] + 2}: NIS code {bad['nis'].iloc[0]!r} is not 5 digits")
    dup = frame[frame["nis"].duplicated()]
    if len(dup):
        raise InputError(f"{path}: row {dup.index[0] + 2}: NIS code {dup['nis'].iloc[0]} appears twice")
    unknown = frame[~frame["intercommunale"].isin(GROUPS)]
    if len(unknown):
        raise InputError(f"{path}: row {unknown.index[0] + 2}: unknown intercommunale {unknown['intercommunale'].iloc[0]!r} "
                         f"(expected one of {', '.join(GROUPS)})")
    return frame


def assign_groups(communes: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per commune (``nis``, ``commune``): its ``group`` slug, ``group_name``,
    ``province``, ``arrondissement`` (two-digit prefix) and ``basis`` ("référentiel" when the
    code is in the reference file, else the rule applied)."""
    reference = load_reference() if reference is None else reference
    ref = reference.set_index("nis")
    rows = []
    for nis, name in zip(communes["nis"].astype(str), communes["commune"], strict=True):
        if nis in ref.index:
            slug, basis = ref.at[nis, "intercommunale"], "référentiel"
        else:
            slug, basis = rule_group(nis)
        rows.append({"nis": nis, "commune": name, "group": slug, "group_name": GROUPS[slug].name,
                     "province": province_of(nis) or "hors Wallonie", "arrondissement": nis[:2], "basis": basis})
    return pd.DataFrame(rows, columns=["nis", "commune", "group", "group_name", "province", "arrondissement", "basis"])


def reference_from_statbel(path: Path) -> pd.DataFrame:
    """The reference table built from Statbel's commune list (columns ``NIS_code``,
    ``municipality_FR``, ``arrondissement_FR``, ``province_FR``, ``region_FR``): the Walloon
    communes, each placed by :func:`rule_group`, the doubtful ones flagged."""
    src = pd.read_csv(path, dtype=str)
    wal = src[src["region_FR"] == "Région wallonne"].sort_values("NIS_code")
    rows = []
    for r in wal.itertuples():
        slug, basis = rule_group(r.NIS_code)
        rows.append({"nis": r.NIS_code, "commune": r.municipality_FR, "arrondissement": r.arrondissement_FR,
                     "province": r.province_FR, "intercommunale": slug, "basis": basis,
                     "to_verify": "oui" if r.NIS_code in TO_VERIFY else "non", "note": TO_VERIFY.get(r.NIS_code, "")})
    return pd.DataFrame(rows, columns=list(COLUMNS))


if __name__ == "__main__":  # pragma: no cover - a one-off regeneration tool
    from pipelines.exports import write_csv

    write_csv(reference_from_statbel(Path(sys.argv[1])), Path(sys.argv[2]), lineterminator="\n")
