"""Editions of the audit: one per run date, the same date twice keeps one (the last run),
and the evolution compares this edition with the previous one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.canvas import editions

PILLARS = ("be_found", "get_there")


def pillars(scores: dict[str, list[float]], goalposts: str = "2026.12-demo-1") -> pd.DataFrame:
    rows = [{"nis": nis, "commune": f"C{nis}", "pillar": p, "pillar_fr": p, "order": i + 1, "score": s[i],
             "score_p05": s[i] - 5, "score_p95": s[i] + 5, "coverage": 1.0, "goalposts_version": goalposts,
             "references_version": "2026.12"} for nis, s in scores.items() for i, p in enumerate(PILLARS)]
    return pd.DataFrame(rows)


def actions(plan: dict[str, list[tuple[str, str, str]]]) -> pd.DataFrame:
    rows = [{"nis": nis, "commune": f"C{nis}", "action": a, "title_fr": a, "kind": "indicator", "tier": tier,
             "plan_rank": i + 1, "status": status, "kpi": "x", "baseline": 1.0, "target": 2.0, "target_date": "2027-06-30",
             "decided_by": None, "decided_on": None, "decision_reason": None}
            for nis, acts in plan.items() for i, (a, tier, status) in enumerate(acts)]
    return pd.DataFrame(rows)


def test_evolution_against_the_previous_edition():
    first = editions.edition(pillars({"10001": [40, 60], "10002": [50, 50]}),
                             actions({"10001": [("a", "priority", "proposed"), ("b", "priority", "proposed")]}), "2026-11-01")
    second = editions.edition(pillars({"10001": [55, 59.5], "10003": [70, 70]}),
                              actions({"10001": [("a", "priority", "validated"), ("b", "rejected", "rejected"), ("c", "priority", "added")]}), "2026-12-01")
    evo = editions.evolution(second, first).set_index(["nis", "pillar"])
    row = evo.loc[("10001", "be_found")]
    assert row["previous_edition"] == "2026-11-01" and row["previous_score"] == 40 and row["score"] == 55 and row["change"] == 15
    assert row["evolution_fr"] == "en progrès" and row["comparable"]
    assert evo.loc[("10001", "get_there"), "evolution_fr"] == "stable"
    assert row["previous_actions"] == 2 and row["previous_actions_still_planned"] == 1 and row["previous_actions_rejected"] == 1 and row["actions"] == 2
    new = evo.loc[("10003", "be_found")]
    assert pd.isna(new["previous_score"]) and np.isnan(new["change"]) and new["evolution_fr"] == "première édition de l'audit"
    assert editions.evolution(first, None)["evolution_fr"].eq("première édition de l'audit").all()


def test_new_goalposts_make_the_change_not_comparable():
    first = editions.edition(pillars({"10001": [40, 60]}, "v1"), actions({}), "2026-11-01")
    second = editions.edition(pillars({"10001": [55, 60]}, "v2"), actions({}), "2026-12-01")
    evo = editions.evolution(second, first)
    assert (~evo["comparable"]).all() and evo["change"].isna().all() and evo["evolution_fr"].str.startswith("non comparable").all()


def test_previous_edition_is_the_latest_before_or_the_chosen_one():
    days = ["2026-10-01", "2026-11-01", "2026-12-01"]
    assert editions.previous_day(days, "2026-12-01") == "2026-11-01"
    assert editions.previous_day(days, "2026-10-01") is None
    assert editions.previous_day(days, "2026-12-01", "2026-10-01") == "2026-10-01"
    with pytest.raises(ValueError, match="no edition of the audit dated 2026-12-01 before 2026-12-01"):
        editions.previous_day(days, "2026-12-01", "2026-12-01")
