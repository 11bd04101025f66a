"""The action plan (``gold.actions``): the declarative catalogue evaluated on each commune's
scorecard, with the evidence that triggered every action, plus the data actions of its
inventory (a missing or broken source family)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipelines.canvas.catalogue import Catalogue

OWNERS_FR = {
    "commune": "Commune", "adl": "Agence de développement local (ADL)", "tec_sncb": "TEC / SNCB",
    "commercants": "Association de commerçants", "gestionnaire_centre_ville": "Gestion centre-ville",
}  # fmt: skip
COST_FR = {"faible": "faible (< 10 k€)", "moyen": "moyen (10-100 k€)", "eleve": "élevé (> 100 k€)"}
DATA_PRIORITY = 0.5
COLUMNS = ["nis", "commune", "kind", "action", "title_fr", "description_fr", "pillar", "owner",
           "owner_fr", "cost_band", "kpi", "kpi_fr", "practice", "evidence", "triggered_by", "priority", "rank"]


def fmt(value: float, unit: str = "") -> str:
    """A French number: comma decimal, thin space thousands, at most one decimal."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    whole = float(value).is_integer() and abs(value) >= 1
    text = f"{value:,.0f}" if abs(value) >= 100 or whole else f"{value:,.1f}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} {unit}".strip() if unit else text


def rule_fires(rule: dict[str, Any], row: Mapping[str, Any]) -> str | None:
    """The French evidence of a trigger rule on one scorecard row (column -> value), or None
    if it does not fire."""
    if row["status"] != "computed":
        return None
    value, unit = float(row["value"]), str(row["unit"])
    shown = f"{row['name_fr']} = {fmt(value, unit)}"
    if "below" in rule and value < float(rule["below"]):
        return f"{shown} (< {fmt(float(rule['below']), unit)})"
    if "above" in rule and value > float(rule["above"]):
        return f"{shown} (> {fmt(float(rule['above']), unit)})"
    pct = row["percentile_all"]
    if "percentile_below" in rule and pd.notna(pct) and pct < float(rule["percentile_below"]):
        return f"{shown} (percentile {fmt(float(pct))} parmi les communes)"
    if rule.get("threshold_missed") and row["threshold_met"] is False:
        return f"{shown} (seuil {fmt(float(row['threshold']), unit)} non atteint)"
    return None


def _indicator_actions(nis: str, card: pd.DataFrame, catalogue: Catalogue) -> list[dict[str, Any]]:
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
        prio = pd.Series([rows[c]["priority"] for c in codes], dtype=float).max()
        out.append({"kind": "indicator", "action": key, "pillar": action["pillar"],
                    "evidence": " ; ".join(evidence), "triggered_by": codes,
                    "priority": float(prio) if pd.notna(prio) else 0.0, **_common(action)})
    return out


def _common(action: dict[str, Any]) -> dict[str, Any]:
    return {"title_fr": action["title_fr"], "description_fr": action["description_fr"],
            "owner": action["owner"], "owner_fr": OWNERS_FR.get(action["owner"], action["owner"]),
            "cost_band": action["cost_band"], "kpi": action["kpi"], "practice": action["practice"]}


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
        out.append({"kind": "data", "action": key, "pillar": None, "evidence": evidence,
                    "triggered_by": [f for _, f in hits], "priority": DATA_PRIORITY * (1 + len(unlocks.get(hits[0][1], []))),
                    **_common(action)})
    return out


def build_actions(canvas: pd.DataFrame, cadastre: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Every commune's actions: indicator actions first by the priority of their weakest
    triggering indicator, then data actions by the number of indicators they would unlock."""
    inventories = dict(tuple(cadastre.groupby("nis", sort=False))) if len(cadastre) else {}
    rows = []
    for nis, card in canvas.groupby("nis", sort=False):
        commune = str(card["commune"].iloc[0])
        acts = sorted(_indicator_actions(str(nis), card, catalogue), key=lambda a: (-a["priority"], a["action"]))
        acts += sorted(_data_actions(inventories.get(nis, cadastre.iloc[0:0]), catalogue), key=lambda a: (-a["priority"], a["action"]))
        for i, a in enumerate(acts, start=1):
            kpi = catalogue.indicators.get(a["kpi"])
            rows.append({"nis": str(nis), "commune": commune, "rank": i, "kpi_fr": kpi.name_fr if kpi else a["kpi"], **a})
    return pd.DataFrame(rows, columns=COLUMNS)
