"""The editions asset on a tiny lake: two run dates make two editions and an evolution; the
same date twice keeps one edition (the last run's), and an earlier one is never rewritten."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.gold.editions import EDITIONS_KEY, EVOLUTION_KEY, canvas_editions
from assets.resources import LakeResource
from pipelines.lake import Lake

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




def run(root, day: str) -> dg.ExecuteInProcessResult:
    return dg.materialize([canvas_editions], resources={"lake": LakeResource(root=str(root))},
                          run_config={"ops": {"canvas_editions": {"config": {"day": day}}}})


def test_two_dates_make_two_editions_and_the_same_date_twice_keeps_one(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write(pillars({"10001": [40, 60]}), "gold", "canvas_pillars")
    lake.write(actions({"10001": [("a", "priority", "proposed")]}), "gold", "actions")
    assert run(tmp_path, "2026-11-01").success
    first = lake.read(*EDITIONS_KEY, "2026-11-01")
    lake.write(pillars({"10001": [50, 60]}), "gold", "canvas_pillars")
    assert run(tmp_path, "2026-12-01").success
    assert lake.days(*EDITIONS_KEY) == ["2026-11-01", "2026-12-01"]
    pd.testing.assert_frame_equal(lake.read(*EDITIONS_KEY, "2026-11-01"), first)  # never rewritten
    evo = lake.read(*EVOLUTION_KEY).set_index("pillar")
    assert evo.loc["be_found", "previous_score"] == 40 and evo.loc["be_found", "change"] == 10
    # the same day again, after a change: one edition of that day, the last run's
    lake.write(pillars({"10001": [52, 60]}), "gold", "canvas_pillars")
    result = run(tmp_path, "2026-12-01")
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert lake.days(*EDITIONS_KEY) == ["2026-11-01", "2026-12-01"]
    today = lake.read(*EDITIONS_KEY, "2026-12-01")
    assert today.loc[(today["record"] == "pillar") & (today["pillar"] == "be_found"), "score"].tolist() == [52]
    evo = lake.read(*EVOLUTION_KEY).set_index("pillar")
    assert evo.loc["be_found", "previous_edition"] == "2026-11-01" and evo.loc["be_found", "change"] == 12
