"""Editions of the audit and the evolution since the previous one (frames in, frames out).

An **edition** is what the audit said on one day: per commune, the reference and goalposts
versions, the pillar scores with their intervals, and the plan with each action's status
(proposed, validated, rejected, added). The lake keeps one edition per run **date**
(``gold/canvas_editions/day=<YYYY-MM-DD>/part.parquet``): a second run on the same day replaces
that day's edition (the audit of a day is its last run), an earlier day is never rewritten.

``gold.canvas_evolution`` compares, per commune and pillar, this edition with the **previous**
one (the latest edition dated before it): previous score, this score, change. The change is
``comparable`` only when both editions used the same goalposts version (scores against other
goalposts are on another scale: the report must then say so instead of printing a change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PILLAR_FIELDS = ["pillar", "pillar_fr", "order", "score", "score_p05", "score_p95", "coverage", "goalposts_version", "references_version"]
ACTION_FIELDS = ["action", "title_fr", "kind", "tier", "plan_rank", "status", "kpi", "baseline", "target", "target_date",
                 "decided_by", "decided_on", "decision_reason"]
EDITION_COLUMNS = ["edition", "nis", "commune", "record", *PILLAR_FIELDS, *ACTION_FIELDS]
"""Columns of ``gold.canvas_editions``: ``record`` is ``pillar`` (one row per pillar) or
``action`` (one row per action of the plan, data actions included)."""
EVOLUTION_COLUMNS = ["nis", "commune", "pillar", "pillar_fr", "order", "edition", "score", "previous_edition",
                     "previous_score", "change", "comparable", "goalposts_version", "previous_goalposts_version",
                     "references_version", "previous_references_version", "evolution_fr",
                     "actions", "previous_actions", "previous_actions_still_planned", "previous_actions_rejected"]
STABLE = 1.0
"""A change of at most one point (out of 100) is "stable"."""


def edition(pillars: pd.DataFrame, actions: pd.DataFrame, day: str) -> pd.DataFrame:
    """This run's edition (``record`` pillar and action rows), dated ``day`` (YYYY-MM-DD)."""
    p = pillars.reindex(columns=["nis", "commune", *PILLAR_FIELDS]).assign(record="pillar")
    a = actions.reindex(columns=["nis", "commune", *ACTION_FIELDS]).assign(record="action")
    for col in ("plan_rank", "baseline", "target"):
        a[col] = pd.to_numeric(a[col], errors="coerce").astype("float64")
    frame = pd.concat([p, a], ignore_index=True).assign(edition=day, nis=lambda f: f["nis"].astype(str))
    frame = frame.reindex(columns=EDITION_COLUMNS)
    for col in ("score", "score_p05", "score_p95", "coverage", "order"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in EDITION_COLUMNS:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def previous_day(days: list[str], day: str, chosen: str | None = None) -> str | None:
    """The latest edition day before ``day``, or None (this is the first edition); ``chosen``
    names the edition to compare with instead (a ValueError when it is not an earlier one)."""
    before = sorted(d for d in days if d < day)
    if chosen is not None:
        if chosen not in before:
            raise ValueError(f"no edition of the audit dated {chosen} before {day} (editions: {', '.join(before) or 'none'})")
        return chosen
    return before[-1] if before else None


def _evolution_fr(change: float, comparable: bool, has_previous: bool) -> str:
    if not has_previous:
        return "première édition de l'audit"
    if not comparable:
        return "non comparable (bornes des scores révisées depuis l'édition précédente)"
    if np.isnan(change):
        return "score non publié dans l'une des deux éditions"
    if abs(change) <= STABLE:
        return "stable"
    return "en progrès" if change > 0 else "en recul"


def _follow_up(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per commune: actions planned now and before, and what became of the previous plan."""
    def planned(f: pd.DataFrame) -> pd.DataFrame:
        return f[(f["record"] == "action") & f["tier"].isin(["priority", "consider"])]
    now, before = planned(current), planned(previous)
    rejected = current[(current["record"] == "action") & (current["status"] == "rejected")]
    rows = []
    for nis in current["nis"].drop_duplicates():
        prev = set(before.loc[before["nis"] == nis, "action"])
        rows.append({"nis": nis, "actions": int((now["nis"] == nis).sum()), "previous_actions": len(prev) if len(previous) else np.nan,
                     "previous_actions_still_planned": len(prev & set(now.loc[now["nis"] == nis, "action"])) if len(previous) else np.nan,
                     "previous_actions_rejected": len(prev & set(rejected.loc[rejected["nis"] == nis, "action"])) if len(previous) else np.nan})
    return pd.DataFrame(rows, columns=["nis", "actions", "previous_actions", "previous_actions_still_planned", "previous_actions_rejected"])


def evolution(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """``gold.canvas_evolution``: per commune and pillar of ``current`` (this edition), the
    previous edition's score (``previous``: the edition of :func:`previous_day`, or None), this
    one's, the change and its French reading, with the plan's follow-up per commune."""
    previous = previous if previous is not None else current.iloc[0:0]
    now = current[current["record"] == "pillar"]
    before = previous[previous["record"] == "pillar"][["nis", "pillar", "edition", "score", "goalposts_version", "references_version"]]
    before = before.rename(columns={"edition": "previous_edition", "score": "previous_score",
                                    "goalposts_version": "previous_goalposts_version", "references_version": "previous_references_version"})
    out = now[["nis", "commune", "pillar", "pillar_fr", "order", "edition", "score", "goalposts_version", "references_version"]].merge(
        before, on=["nis", "pillar"], how="left")
    out["previous_score"] = pd.to_numeric(out["previous_score"], errors="coerce").astype("float64")
    out["comparable"] = out["previous_edition"].notna() & (out["goalposts_version"] == out["previous_goalposts_version"])
    out["change"] = np.where(out["comparable"], out["score"] - out["previous_score"], np.nan)
    out["evolution_fr"] = [_evolution_fr(c, bool(k), pd.notna(p)) for c, k, p in zip(out["change"], out["comparable"], out["previous_edition"], strict=True)]
    out = out.merge(_follow_up(current, previous), on="nis", how="left")
    return out.reindex(columns=EVOLUTION_COLUMNS).sort_values(["nis", "order"]).reset_index(drop=True)
