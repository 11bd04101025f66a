"""The consultant's hand on the audit (frames in, frames out).

The bronze tables of the consultant's files (``pipelines.sources.consultant``) change three
things, for their commune only:

* :func:`overrides` — a reference override replaces the indicator's absolute reference in
  the judgement (``gold.canvas``: ``reference_override``, ``reference_original``, the
  justification, who and when); the action plan follows from the new judgement.
* :func:`apply_decisions` — on ``gold.actions``: every row gets a ``status``
  (``proposed`` by the method, ``validated``, ``rejected`` or ``added`` by the consultant),
  ``decided_by``, ``decided_on``, ``decision_reason``, ``decision_comment``. A rejected action
  leaves the plan (``tier = rejected``, no ``plan_rank``) but stays in the table with its
  reason. The plan is then re-ranked: validated actions first (by priority), then added ones
  (file order), then the proposed ones (by priority); the first
  :data:`~pipelines.canvas.actions.MAX_PRIORITY` are ``priority``, the others ``consider``.
* :func:`findings_table` — ``gold.consultant_findings``: the checklist and the digital tools,
  plus one ``validation`` row per commune (who, when, how many decisions) for the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.canvas.actions import COLUMNS, COST_FR, HORIZON_FR, MAX_PRIORITY, OWNERS_FR, TIER_FR
from pipelines.canvas.catalogue import Catalogue
from pipelines.canvas.scorecard import Override
from pipelines.tables import empty

STATUS_FR = {"proposed": "proposée (non encore validée)", "validated": "validée par le consultant",
             "rejected": "écartée par le consultant", "added": "ajoutée par le consultant"}
TIERS_FR = {**TIER_FR, "rejected": "écartée"}
DECISION_COLUMNS = ["status", "status_fr", "decided_by", "decided_on", "decision_reason", "decision_comment"]
ACTION_COLUMNS = [*COLUMNS, *DECISION_COLUMNS]
"""Columns of ``gold.actions`` once the consultant's decisions are applied."""
FINDING_STATUS_FR = {"valide": "audit validé", "ok": "satisfaisant", "attention": "à surveiller", "probleme": "problème", "non_evalue": "non évalué",
                     "en_place": "en place", "en_projet": "en projet", "abandonne": "abandonné"}
FINDINGS_COLUMNS = ["nis", "commune", "consultant", "validated_on", "kind", "topic", "topic_fr", "status", "status_fr",
                    "comment", "line"]


@dataclass
class ConsultantFrames:
    """The three bronze tables of the consultant's files (empty when none was delivered)."""

    decisions: pd.DataFrame = field(default_factory=lambda: empty("consultant_decisions"))
    references: pd.DataFrame = field(default_factory=lambda: empty("consultant_references"))
    findings: pd.DataFrame = field(default_factory=lambda: empty("consultant_findings"))


def _day(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)[:10]


def overrides(references: pd.DataFrame) -> dict[tuple[str, str], Override]:
    """(nis, indicator) -> the consultant's reference."""
    return {(str(r["nis"]), str(r["indicator"])): Override(float(r["value"]), str(r["justification"]), str(r["consultant"]), str(_day(r["validated_on"])))
            for r in references.to_dict("records")}


def _added(row: Mapping[str, Any], n: int, commune: str, card: Mapping[str, Mapping[str, Any]], catalogue: Catalogue) -> dict[str, Any]:
    """A ``gold.actions`` row for an action the consultant added."""
    kpi = str(row["kpi"])
    spec = catalogue.indicators.get(kpi)
    value = card.get(kpi, {}).get("value")
    baseline = row["baseline"] if pd.notna(row["baseline"]) else (value if value is not None and pd.notna(value) else np.nan)
    keys = [k.strip() for k in str(row["funding"]).split(";") if k.strip()]
    lines = [catalogue.funding.get(k, {}) for k in keys]
    when = _day(row["validated_on"])
    return {"nis": str(row["nis"]), "commune": commune, "kind": "consultant", "action": row["action"] if pd.notna(row["action"]) else f"ajout_{n}",
            "title_fr": row["title"], "description_fr": row["comment"] if pd.notna(row["comment"]) else row["title"],
            "pillar": spec.pillar if spec else None, "owner": row["owner"], "owner_fr": OWNERS_FR.get(str(row["owner"]), row["owner"]),
            "cost_band": row["cost_band"], "cost_fr": COST_FR.get(str(row["cost_band"]), row["cost_band"]),
            "kpi": kpi, "kpi_fr": spec.name_fr if spec else kpi, "kpi_unit": spec.unit if spec else "",
            "baseline": float(baseline) if pd.notna(baseline) else np.nan,
            "target": float(row["target"]) if pd.notna(row["target"]) else np.nan, "target_date": _day(row["target_date"]),
            "horizon": row["horizon"] if pd.notna(row["horizon"]) else None,
            "horizon_fr": HORIZON_FR.get(str(row["horizon"])) if pd.notna(row["horizon"]) else None,
            "partners": [], "funding": keys, "funding_fr": " ; ".join(str(li.get("name_fr", k)) for li, k in zip(lines, keys, strict=True)),
            "funding_sources": " ; ".join(f"{li.get('source', '')} ({li.get('year', '')})" for li in lines if li),
            "where_fr": row["place"], "districts": [], "streets": [], "triggered_by": [], "practice": "",
            "evidence": f"ajoutée par {row['consultant']} le {when}" + (f" : {row['comment']}" if pd.notna(row["comment"]) else ""),
            "evidence_fr": "", "status": "added"}


def _rank(plan: pd.DataFrame) -> pd.DataFrame:
    """Re-rank one commune's plan: validated, added, then proposed; rejected and data last."""
    order = {"validated": 0, "added": 1, "proposed": 2}
    ind = plan[(plan["kind"] != "data") & (plan["status"] != "rejected")].copy()
    ind["_o"] = ind["status"].map(order)
    ind["_p"] = -ind["priority"].fillna(-np.inf)
    ind["_k"] = np.arange(len(ind))
    ind = ind.sort_values(["_o", "_p", "_k"]).drop(columns=["_o", "_p", "_k"])
    ind["plan_rank"] = np.arange(1, len(ind) + 1)
    ind["tier"] = np.where(ind["plan_rank"] <= MAX_PRIORITY, "priority", "consider")
    data = plan[(plan["kind"] == "data") & (plan["status"] != "rejected")].assign(tier="data", plan_rank=np.nan)
    rejected = plan[plan["status"] == "rejected"].assign(tier="rejected", plan_rank=np.nan)
    out = pd.concat([ind, data, rejected], ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out["tier_fr"] = out["tier"].map(TIERS_FR)
    return out


def apply_decisions(actions: pd.DataFrame, decisions: pd.DataFrame, canvas: pd.DataFrame,
                    catalogue: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``gold.actions`` with the consultant's decisions applied, and the decisions that found
    no action in the commune's plan (accept or reject of an action that did not fire).

    Communes without a consultant file keep their plan; every action is then ``proposed``.
    """
    frame = actions.assign(status="proposed", decided_by=None, decided_on=None, decision_reason=None, decision_comment=None)
    adding = set(decisions.loc[decisions["decision"] == "add", "nis"].astype(str)) if len(decisions) else set()
    cards = {str(n): {r["indicator"]: r for r in g.to_dict("records")}  # the scorecards an added action reads
             for n, g in canvas[canvas["nis"].astype(str).isin(adding)].groupby("nis")} if len(canvas) else {}
    communes = dict(zip(canvas["nis"].astype(str), canvas["commune"].astype(str), strict=False)) if len(canvas) else {}
    unmatched, added = [], []
    for n, row in enumerate(decisions.to_dict("records"), start=1):
        nis = str(row["nis"])
        if nis not in communes:
            unmatched.append(row)
            continue
        if row["decision"] == "add":
            added.append(_added(row, n, communes.get(nis, nis), cards.get(nis, {}), catalogue)
                         | {"decided_by": row["consultant"], "decided_on": _day(row["validated_on"]), "decision_comment": row["comment"]})
            continue
        hit = (frame["nis"].astype(str) == nis) & (frame["action"] == row["action"])
        if not hit.any():
            unmatched.append(row)
            continue
        frame.loc[hit, ["status", "decided_by", "decided_on", "decision_reason", "decision_comment"]] = [
            "validated" if row["decision"] == "accept" else "rejected", row["consultant"], _day(row["validated_on"]),
            row["reason"], row["comment"]]
    if added:
        frame = pd.concat([frame, pd.DataFrame(added)], ignore_index=True)
    touched = set(decisions["nis"].astype(str))
    parts = [_rank(g) if str(nis) in touched else g for nis, g in frame.groupby("nis", sort=False)]
    out = pd.concat(parts, ignore_index=True) if parts else frame
    out["status_fr"] = out["status"].map(STATUS_FR)
    return out.reindex(columns=ACTION_COLUMNS), pd.DataFrame(unmatched, columns=list(decisions.columns))


def _count(n: int, one: str, many: str) -> str:
    """``0 action validée``, ``1 action validée``, ``2 actions validées`` (French: 0 and 1 singular)."""
    return f"{int(n)} {one if int(n) < 2 else many}"


def findings_table(findings: pd.DataFrame, decisions: pd.DataFrame, references: pd.DataFrame,
                   communes: Mapping[str, str]) -> pd.DataFrame:
    """``gold.consultant_findings``: per commune with a consultant file, one ``validation``
    row (who, when; ``comment`` counts the decisions and overrides), then the checklist
    (``finding``) and the digital tools (``digital_tool``) in file order."""
    rows = []
    heads = pd.concat([t[["nis", "consultant", "validated_on"]] for t in (decisions, references, findings)], ignore_index=True)
    for r in heads.drop_duplicates("nis").to_dict("records"):
        nis = str(r["nis"])
        mine = decisions[decisions["nis"].astype(str) == nis]["decision"].value_counts().to_dict()
        n_ref = int((references["nis"].astype(str) == nis).sum())
        counts = ", ".join([_count(mine.get("accept", 0), "action validée", "actions validées"),
                            _count(mine.get("reject", 0), "action écartée", "actions écartées"),
                            _count(mine.get("add", 0), "action ajoutée", "actions ajoutées"),
                            _count(n_ref, "référence ajustée", "références ajustées")])
        rows.append({"nis": nis, "consultant": r["consultant"], "validated_on": _day(r["validated_on"]), "kind": "validation",
                     "topic": "validation", "topic_fr": "Validation de l'audit", "status": "valide", "comment": counts, "line": 1})
    for r in findings.to_dict("records"):
        rows.append({**{k: r[k] for k in ("nis", "consultant", "kind", "topic", "topic_fr", "status", "comment", "line")},
                     "validated_on": _day(r["validated_on"])})
    out = pd.DataFrame(rows, columns=FINDINGS_COLUMNS)
    out["nis"] = out["nis"].astype("string")
    out["commune"] = out["nis"].map(lambda n: communes.get(str(n), str(n)))
    out["status_fr"] = out["status"].map(FINDING_STATUS_FR)
    order = out["kind"].map({"validation": 0, "finding": 1, "digital_tool": 2})
    return out.assign(_o=order).sort_values(["nis", "_o", "line"], kind="stable").drop(columns="_o").reset_index(drop=True)


__all__ = ["ACTION_COLUMNS", "ConsultantFrames", "apply_decisions", "findings_table", "overrides"]
