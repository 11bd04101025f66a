"""The action plan (``gold.actions``): a plan, not a list.

An indicator action fires only on a **significant** shortfall of one of its trigger indicators
from its absolute reference (larger than the documented minimum difference and than the
interval of the value; see :mod:`pipelines.canvas.references`). Fired actions are ranked by
expected impact x local control / cost; the first :data:`MAX_PRIORITY` are the commune's
priority plan, the others "à considérer". Each carries its KPI baseline -> target value and
date, owner and partners, cost band, funding lines (``geodata/canvas/funding.yaml``), where
(district and streets from the commune's OSM network, streets of the empty cells), quick win or
structural, and the evidence that fired it. Then come the data actions of the inventory (a
missing or broken source family)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pipelines.canvas.catalogue import LEVELS, Catalogue
from pipelines.canvas.places import Place, where

OWNERS_FR = {
    "commune": "Commune", "adl": "Agence de développement local (ADL)", "tec_sncb": "TEC / SNCB",
    "commercants": "Association de commerçants", "gestionnaire_centre_ville": "Gestion centre-ville",
}  # fmt: skip
COST_FR = {"faible": "faible (< 10 k€)", "moyen": "moyen (10-100 k€)", "eleve": "élevé (> 100 k€)"}
COST_LEVEL = {"faible": 1.0, "moyen": 2.0, "eleve": 3.0}
HORIZON_FR = {"quick_win": "action rapide (< 6 mois)", "structural": "action structurelle"}
TIER_FR = {"priority": "prioritaire", "consider": "à considérer", "data": "données à acquérir"}
MAX_PRIORITY = 7
"""At most seven priority actions per commune; the others are "à considérer"."""
DATA_PRIORITY = 0.5
COLUMNS = ["nis", "commune", "kind", "action", "title_fr", "description_fr", "pillar", "owner",
           "owner_fr", "cost_band", "kpi", "kpi_fr", "practice", "evidence", "triggered_by", "priority", "rank",
           "tier", "tier_fr", "plan_rank", "lever", "impact", "local_control", "severity", "kpi_unit",
           "baseline", "target", "target_date", "reference_value", "reference_basis_fr", "horizon", "horizon_fr",
           "months", "partners", "partners_fr", "cost_fr", "funding", "funding_fr", "funding_sources",
           "where_fr", "districts", "streets", "evidence_fr"]


def fmt(value: float, unit: str = "") -> str:
    """A French number: comma decimal, thin space thousands, at most one decimal."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    whole = float(value).is_integer() and abs(value) >= 1
    text = f"{value:,.0f}" if abs(value) >= 100 or whole else f"{value:,.1f}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} {unit}".strip() if unit else text


def rule_fires(rule: dict[str, Any], row: Mapping[str, Any]) -> str | None:
    """The French evidence of a trigger rule on one scorecard row (column -> value), or None.

    Fires only when the row is computed and its shortfall from the absolute reference is
    significant (``row["significant"]``): beyond the minimum difference and the interval."""
    if row["status"] != "computed" or not bool(row.get("significant", False)):
        return None
    unit = str(row["unit"])
    sign = "≥" if row.get("threshold_kind") == "min" else "≤"
    hw = row.get("interval_half_width")
    hw_text = f"± {fmt(float(hw), unit)}" if hw is not None and pd.notna(hw) and np.isfinite(hw) else "—"
    gap_unit = "points" if unit == "%" else unit
    if hw is not None and pd.notna(hw) and np.isfinite(hw):
        hw_text = f"± {fmt(float(hw), gap_unit)}"
    return (f"{row['name_fr']} = {fmt(float(row['value']), unit)} ; référence {sign} {fmt(float(row['threshold']), unit)} "
            f"({row.get('reference_basis_fr') or 'référence'}) ; écart de {fmt(float(row['shortfall']), gap_unit)}, "
            f"au-delà de l'écart minimal ({fmt(float(row['min_difference']), gap_unit)}) et de l'incertitude ({hw_text})")


def month_end(start: date, months: int) -> date:
    """The last day of the month ``months`` after ``start``."""
    y, m = divmod(start.month - 1 + int(months), 12)
    year, month = start.year + y, m + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _target(row: Mapping[str, Any], share: float) -> float:
    """Baseline moved by ``share`` of its gap towards the reference (rounded to 0.1)."""
    base, ref = float(row["value"]), float(row["threshold"])
    return round(base + share * (ref - base), 1)


def _kpi(own: str, fired: list[str], rows: Mapping[str, Mapping[str, Any]]) -> str:
    """The action's own KPI when it fired, or when it is computed and short of its reference
    by more than the minimum difference (a loyalty scheme is followed on footfall even if only
    the catchment fired); otherwise the first indicator that fired."""
    if own in fired:
        return own
    row = rows.get(own)
    if (row is not None and row["status"] == "computed" and pd.notna(row.get("shortfall"))
            and float(row["shortfall"]) > float(row.get("min_difference") or 0.0)):
        return own
    return fired[0]


def _funding(keys: list[str], catalogue: Catalogue) -> tuple[str, str]:
    lines = [catalogue.funding.get(k, {}) for k in keys]
    names = " ; ".join(str(line.get("name_fr", k)) for line, k in zip(lines, keys, strict=True))
    sources = " ; ".join(f"{line.get('source', '')} ({line.get('year', '')})" for line in lines if line)
    return names, sources


def _indicator_actions(card: pd.DataFrame, catalogue: Catalogue, place: Place | None, as_of: date) -> list[dict[str, Any]]:
    rows = {row["indicator"]: row for row in card.to_dict("records")}
    out = []
    for key, action in catalogue.actions.items():
        evidence, codes = [], []
        for rule in action["trigger"]:
            code = rule["indicator"]
            if code in rows and code not in codes and (why := rule_fires(rule, rows[code])):
                evidence.append(why)
                codes.append(code)
        if not evidence:
            continue
        severity = float(np.nanmax([rows[c].get("severity", 0.0) or 0.0 for c in codes]))
        impact, control, cost = LEVELS[action["impact"]], LEVELS[action["control"]], COST_LEVEL[action["cost_band"]]
        score = impact * (0.5 + severity) * control / cost
        kpi = _kpi(action["kpi"], codes, rows)
        k = rows[kpi]
        where_fr, districts, streets = where(place, action["place"])
        funding_fr, sources = _funding(list(action["funding"]), catalogue)
        out.append({
            "kind": "indicator", "action": key, "pillar": action["pillar"], "evidence": " | ".join(evidence),
            "triggered_by": codes, "priority": float(score), "lever": action.get("lever"),
            "impact": action["impact"], "local_control": action["control"], "severity": severity,
            "kpi": kpi, "kpi_fr": catalogue.indicators[kpi].name_fr, "kpi_unit": catalogue.indicators[kpi].unit,
            "baseline": float(k["value"]), "target": _target(k, float(action.get("target_gap_share", 1.0))),
            "target_date": month_end(as_of, int(action["months"])).isoformat(),
            "reference_value": float(k["threshold"]), "reference_basis_fr": k.get("reference_basis_fr"),
            "horizon": action["horizon"], "horizon_fr": HORIZON_FR[action["horizon"]], "months": int(action["months"]),
            "partners": list(action["partners"]), "partners_fr": ", ".join(action["partners"]),
            "funding": list(action["funding"]), "funding_fr": funding_fr, "funding_sources": sources,
            "where_fr": where_fr, "districts": districts, "streets": streets, "evidence_fr": action.get("evidence_fr", ""),
            **_common(action)})
    return out


def _common(action: dict[str, Any]) -> dict[str, Any]:
    return {"title_fr": action["title_fr"], "description_fr": action["description_fr"],
            "owner": action["owner"], "owner_fr": OWNERS_FR.get(action["owner"], action["owner"]),
            "cost_band": action["cost_band"], "cost_fr": COST_FR.get(action["cost_band"], action["cost_band"]),
            "practice": action["practice"]}


def _data_actions(inventory: pd.DataFrame, catalogue: Catalogue) -> list[dict[str, Any]]:
    status = dict(zip(inventory["source"], inventory["status"], strict=True))
    unlocks = dict(zip(inventory["source"], inventory["unlocks"], strict=True))
    out = []
    for key, action in catalogue.data_actions.items():
        hits = [(k, f) for rule in action["trigger"] for k, f in rule.items() if status.get(f) == k]
        if not hits:
            continue
        words = {"missing": "absente", "broken": "inutilisable (fichiers en quarantaine)"}
        names = {c: s.name_fr for c, s in catalogue.indicators.items()}
        evidence = " ; ".join(
            f"source « {f} » {words[k]} : débloquerait {', '.join(names.get(c, c) for c in unlocks.get(f, [])) or 'aucun indicateur du Canvas'}"
            for k, f in hits)
        kpi = catalogue.indicators.get(action["kpi"])
        funding_fr, sources = _funding(list(action.get("funding", [])), catalogue)
        out.append({"kind": "data", "action": key, "pillar": None, "evidence": evidence,
                    "triggered_by": [f for _, f in hits], "priority": DATA_PRIORITY * (1 + len(unlocks.get(hits[0][1], []))),
                    "kpi": action["kpi"], "kpi_fr": kpi.name_fr if kpi else action["kpi"], "kpi_unit": kpi.unit if kpi else "",
                    "partners": [], "funding": list(action.get("funding", [])), "funding_fr": funding_fr, "funding_sources": sources,
                    "districts": [], "streets": [], **_common(action)})
    return out


def build_actions(canvas: pd.DataFrame, cadastre: pd.DataFrame, catalogue: Catalogue,
                  places: Mapping[str, Place] | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Every commune's plan: indicator actions ranked by expected impact x local control /
    cost (the first :data:`MAX_PRIORITY` are ``priority``, the others ``consider``), then the
    data actions by the number of indicators they would unlock. ``as_of`` (default today) dates
    the targets."""
    as_of = as_of or date.today()
    places = places or {}
    inventories = dict(tuple(cadastre.groupby("nis", sort=False))) if len(cadastre) else {}
    rows = []
    for nis, card in canvas.groupby("nis", sort=False):
        commune = str(card["commune"].iloc[0])
        acts = sorted(_indicator_actions(card, catalogue, places.get(str(nis)), as_of), key=lambda a: (-a["priority"], a["action"]))
        for i, a in enumerate(acts, start=1):
            a["tier"] = "priority" if i <= MAX_PRIORITY else "consider"
            a["plan_rank"] = i
        data = sorted(_data_actions(inventories.get(nis, cadastre.iloc[0:0]), catalogue), key=lambda a: (-a["priority"], a["action"]))
        for a in data:
            a["tier"] = "data"
        for i, a in enumerate(acts + data, start=1):
            rows.append({"nis": str(nis), "commune": commune, "rank": i, "tier_fr": TIER_FR[a["tier"]], **a})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame
