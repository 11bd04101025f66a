"""The consultant's hand on hand-made frames: a rejected action leaves the plan (kept with its
reason, by whom, when), an added one enters it, an accepted one is validated; a reference
override changes that commune's judgement only, with its justification; the findings table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from canvas_support import (
    NIS,
    full_coverage,
    indicator_frame,
    no_quality,
    peers_frame,
    status_frame,
)

from pipelines.canvas import cadastre as cad
from pipelines.canvas.actions import build_actions
from pipelines.canvas.consultant import ConsultantFrames, apply_decisions, findings_table, overrides
from pipelines.canvas.references import CommuneContext
from pipelines.canvas.scorecard import build_scorecard, commune_values
from pipelines.sources.consultant import read_consultant

A, B, C = NIS
FILE = """\
consultant: Marie Dupont (ADL)
validated_on: 2026-11-20
actions:
  - {code: opening_hours_campaign, decision: accept}
  - code: bus_frequency_request
    decision: reject
    reason: déjà demandé au TEC en 2026
  - decision: add
    code: marche_samedi
    title: Marché du samedi sur la place
    kpi: footfall_daily
    target: 2500
    target_date: 2027-09-30
    owner: commune
    cost_band: faible
    funding: [budget_communal]
    place: Place communale
findings:
  - {topic: markets, status: attention, comment: marché en déclin}
digital_tools:
  - {name: Citie}
"""
OVERRIDE = """\
consultant: Jean Martin
validated_on: 2026-11-21
references:
  - {indicator: online_website_share, value: 90, justification: objectif du plan numérique communal}
"""


def consultant_frames(tmp_path: Path, files: dict[str, str]) -> ConsultantFrames:
    reads = []
    for nis, text in files.items():
        path = tmp_path / f"{nis}.yaml"
        path.write_text(text, encoding="utf-8")
        reads.append(read_consultant(path))
    tables = {t: pd.concat([r[t].table for r in reads], ignore_index=True) for t in reads[0]}
    return ConsultantFrames(tables["consultant_decisions"], tables["consultant_references"], tables["consultant_findings"])


def scorecard(catalogue, consultant: ConsultantFrames | None = None):
    values = {}
    for code, spec in catalogue.indicators.items():  # A and B at their reference, C far short of every one
        ref = spec.threshold
        far = spec.goalposts.lower if ref.kind == "min" else spec.goalposts.upper
        values[code] = [ref.value, ref.value, far]
    geo = pd.DataFrame({"nis": NIS, "name_fr": ["Aville", "Bville", "Cville"]})
    inventory = cad.build_cadastre(status_frame(), no_quality(), full_coverage(), geo, catalogue)
    contexts = {n: CommuneContext(shops=5000, population=900_000, observed_cells=5000, site_sd=10.0, n_sites=30) for n in NIS}
    over = overrides(consultant.references) if consultant else None
    card = build_scorecard(commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"])),
                           peers_frame(), cad.held_by_commune(inventory), inventory, catalogue, draws=0, contexts=contexts, overrides=over)
    return card, build_actions(card.canvas, inventory, catalogue, as_of=pd.Timestamp("2026-11-30").date())


def test_reject_add_and_accept_change_the_plan(tmp_path, catalogue):
    frames = consultant_frames(tmp_path, {C: FILE})
    card, proposed = scorecard(catalogue)
    actions, unmatched = apply_decisions(proposed, frames.decisions, card.canvas, catalogue)
    assert unmatched.empty
    own = actions[actions["nis"] == C].set_index("action")
    rejected = own.loc["bus_frequency_request"]
    assert rejected["status"] == "rejected" and rejected["tier"] == "rejected" and pd.isna(rejected["plan_rank"])
    assert rejected["decision_reason"] == "déjà demandé au TEC en 2026"
    assert rejected["decided_by"] == "Marie Dupont (ADL)" and rejected["decided_on"] == "2026-11-20"
    added = own.loc["marche_samedi"]
    assert added["status"] == "added" and added["kind"] == "consultant" and added["tier"] == "priority"
    assert added["target"] == 2500 and added["target_date"] == "2027-09-30" and added["where_fr"] == "Place communale"
    assert added["kpi_fr"] == catalogue.indicators["footfall_daily"].name_fr and added["baseline"] == card.canvas.set_index(["nis", "indicator"]).loc[(C, "footfall_daily"), "value"]
    assert "budget communal" in added["funding_fr"].lower() and added["owner_fr"] == "Commune"
    validated = own.loc["opening_hours_campaign"]
    assert validated["status"] == "validated" and validated["plan_rank"] == 1  # the consultant's choice first
    assert added["plan_rank"] == 2
    plan = own[own["tier"].isin(["priority", "consider"])].sort_values("plan_rank")
    assert plan["plan_rank"].tolist() == list(range(1, len(plan) + 1)) and (plan["tier"] == "priority").sum() == 7
    assert "bus_frequency_request" not in plan.index
    assert set(own.loc[~own.index.isin(["bus_frequency_request", "marche_samedi", "opening_hours_campaign"]), "status"]) == {"proposed"}
    # the proposed plan had the same actions but the rejected one, and not the added one
    before = proposed[proposed["nis"] == C]
    assert set(before["action"]) - {"bus_frequency_request"} == set(own.index) - {"bus_frequency_request", "marche_samedi"}
    # the other communes are untouched
    others = actions[actions["nis"] != C]
    assert (others["status"] == "proposed").all()
    pd.testing.assert_frame_equal(others[proposed.columns].reset_index(drop=True), proposed[proposed["nis"] != C].reset_index(drop=True), check_dtype=False)


def test_a_decision_on_an_action_that_did_not_fire_is_reported(tmp_path, catalogue):
    frames = consultant_frames(tmp_path, {A: FILE})  # A is at every reference: nothing fired
    card, proposed = scorecard(catalogue)
    actions, unmatched = apply_decisions(proposed, frames.decisions, card.canvas, catalogue)
    assert sorted(unmatched["action"]) == ["bus_frequency_request", "opening_hours_campaign"]
    assert actions.loc[actions["nis"] == A, "action"].tolist() == ["marche_samedi"]


def test_reference_override_changes_one_communes_judgement_only(tmp_path, catalogue):
    frames = consultant_frames(tmp_path, {A: OVERRIDE})
    plain, plain_actions = scorecard(catalogue)
    card, actions = scorecard(catalogue, frames)
    row = card.canvas.set_index(["nis", "indicator"]).loc[(A, "online_website_share")]
    assert row["threshold"] == 90 and row["reference_original"] == 50 and row["reference_override"]
    assert row["judgement"] == "significant" and row["reference_justification"] == "objectif du plan numérique communal"
    assert row["reference_overridden_by"] == "Jean Martin" and row["reference_basis_fr"] == "valeur fixée par le consultant pour la commune"
    assert "website_support" in set(actions.loc[actions["nis"] == A, "action"])
    assert "website_support" not in set(plain_actions.loc[plain_actions["nis"] == A, "action"])
    changed = card.canvas.compare(plain.canvas)
    assert set(card.canvas.loc[changed.index, "nis"]) == {A}
    pd.testing.assert_frame_equal(card.pillars, plain.pillars)  # the scores keep the fixed goalposts


def test_findings_table_says_who_validated_when(tmp_path):
    frames = consultant_frames(tmp_path, {C: FILE, A: OVERRIDE})
    table = findings_table(frames.findings, frames.decisions, frames.references, {A: "Aville", C: "Cville"})
    assert table[["nis", "kind"]].values.tolist() == [[A, "validation"], [C, "validation"], [C, "finding"], [C, "digital_tool"]]
    head = table.iloc[1]
    assert head["consultant"] == "Marie Dupont (ADL)" and head["validated_on"] == "2026-11-20" and head["commune"] == "Cville"
    assert head["comment"] == "1 action validée, 1 action écartée, 1 action ajoutée, 0 référence ajustée"
    assert table.iloc[2]["status_fr"] == "à surveiller" and table.iloc[3]["topic"] == "Citie"


def test_inventory_holds_the_consultant_family_only_where_the_commune_has_its_file(catalogue):
    status = status_frame()
    status.loc[status["source"] == "consultant", "file_hashes"] = pd.Series([[f"consultant/{A}.yaml abc"]], index=status.index[status["source"] == "consultant"])
    geo = pd.DataFrame({"nis": NIS, "name_fr": ["Aville", "Bville", "Cville"]})
    inventory = cad.build_cadastre(status, no_quality(), full_coverage(), geo, catalogue)
    rows = inventory[inventory["source"] == "consultant"].set_index("nis")
    assert rows.loc[A, "status"] == "held" and rows.loc[A, "coverage"] == 1.0
    assert (rows.loc[[B, C], "status"] == "missing").all() and (rows.loc[[B, C], "coverage"] == 0.0).all()
