"""The plan and the stability of the scores on the whole demo territory (issue 18).

Runs the demo once (14 days) in a temporary data root: about a minute here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets import cli
from assets.gold.canvas import CANVAS_INPUTS, read_frames
from pipelines.canvas.actions import MAX_PRIORITY
from pipelines.canvas.build import build_canvas
from pipelines.canvas.catalogue import load_catalogue
from pipelines.lake import Lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("canvas-plan-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["--data", str(root), "demo", "--days", "14"]) == 0
    return Lake(root)


def test_each_commune_has_at_most_seven_priority_actions_fully_specified(demo):
    actions = demo.read("gold", "actions")
    plan = actions[actions["kind"] == "indicator"]
    priority = plan[plan["tier"] == "priority"]
    assert priority.groupby("nis").size().max() <= MAX_PRIORITY
    assert priority["nis"].nunique() == demo.read("silver", "communes")["nis"].nunique()  # every commune has a plan
    for column in ("kpi", "target", "target_date", "owner", "cost_band", "funding_fr", "where_fr", "baseline", "horizon"):
        assert priority[column].notna().all() and (priority[column].astype(str).str.len() > 0).all(), column
    assert priority["funding"].map(len).gt(0).all()
    assert priority["partners"].map(len).gt(0).all()
    assert pd.to_datetime(priority["target_date"]).gt(pd.Timestamp.today().normalize()).all()
    # the target moves the KPI towards its reference
    towards = np.sign(priority["target"] - priority["baseline"]) == np.sign(priority["reference_value"] - priority["baseline"])
    assert towards.all()
    # streets named from the commune's own OSM network
    assert priority["streets"].map(len).gt(0).any()


def test_every_action_rests_on_a_significant_gap(demo):
    canvas = demo.read("gold", "canvas")
    significant = set(zip(canvas.loc[canvas["significant"], "nis"], canvas.loc[canvas["significant"], "indicator"], strict=True))
    plan = demo.read("gold", "actions")
    plan = plan[plan["kind"] == "indicator"]
    for r in plan.itertuples():
        assert all((r.nis, code) in significant for code in r.triggered_by), (r.nis, r.action)
    # shops per 1,000 inhabitants spans about 5.8-6.1 on the demo: no commune gets "Attirer
    # les commerces manquants" for such a gap
    assert not (plan["action"] == "shop_mix").any()
    assert (canvas.loc[canvas["indicator"] == "shops_per_1000", "judgement"] != "significant").all()


def test_dropping_a_commune_from_the_demo_changes_no_other_score(demo):
    frames = read_frames(demo)
    cadastre = CANVAS_INPUTS.reader(demo).read("gold.data_cadastre")
    full = build_canvas(frames, cadastre, draws=200)
    drop = str(frames.communes["nis"].astype(str).iloc[0])
    frames.communes = frames.communes[frames.communes["nis"].astype(str) != drop]
    part = build_canvas(frames, cadastre[cadastre["nis"].astype(str) != drop], draws=200)
    cols = ["score", "score_p05", "score_p95", "coverage"]
    a = part.pillars.set_index(["nis", "pillar"])[cols]
    pd.testing.assert_frame_equal(a, full.pillars.set_index(["nis", "pillar"]).loc[a.index, cols])


def test_the_consultant_file_of_the_demo_changes_the_plan(demo):
    """consultant/92801.yaml rejects the TEC request, adds a Saturday market, validates the
    opening-hours campaign and tightens the vacancy reference (issue 18, part 3)."""
    actions = demo.read("gold", "actions")
    own = actions[actions["nis"] == "92801"].set_index("action")
    rejected = own.loc["bus_frequency_request"]
    assert rejected["status"] == "rejected" and rejected["tier"] == "rejected" and pd.isna(rejected["plan_rank"])
    assert "TEC en 2026" in rejected["decision_reason"] and rejected["decided_on"] == "2026-11-20"
    assert rejected["decided_by"].startswith("Claire Lambotte")
    added = own.loc["marche_samedi"]
    assert added["status"] == "added" and added["tier"] == "priority" and added["target"] == 5500
    assert own.loc["opening_hours_campaign", "status"] == "validated" and own.loc["opening_hours_campaign", "plan_rank"] == 1
    assert (actions.loc[actions["nis"] != "92801", "status"] == "proposed").all()
    canvas = demo.read("gold", "canvas").set_index(["nis", "indicator"])
    vacancy = canvas.loc[("92801", "vacancy_rate")]
    assert vacancy["reference_override"] and vacancy["threshold"] == 12 and "schéma communal" in vacancy["reference_justification"]
    assert not canvas.drop(index="92801", level="nis")["reference_override"].any()
    findings = demo.read("gold", "consultant_findings")
    assert set(findings["nis"]) == {"92801"} and findings["kind"].value_counts().to_dict() == {"finding": 6, "digital_tool": 2, "validation": 1}
    evolution = demo.read("gold", "canvas_evolution")
    assert len(evolution) == len(load_catalogue().pillars) * demo.read("silver", "communes")["nis"].nunique()
    assert len(demo.days("gold", "canvas_editions")) == 1
