"""The include template of the consultant's hand renders from the engine's tables, with the
report's own filters (French numbers and dates)."""

from __future__ import annotations

import jinja2

from pipelines.canvas.report import _env


def render(**context) -> str:
    env = _env()
    env.undefined = jinja2.StrictUndefined
    return env.get_template("_consultant.html.j2").render(**context)


ACTIONS = [
    {"title_fr": "Campagne horaires", "status": "validated", "decision_comment": "avec l'association", "tier": "priority"},
    {"title_fr": "Demande au TEC", "status": "rejected", "decided_by": "Claire", "decided_on": "2026-11-20",
     "decision_reason": "déjà demandé en 2026", "tier": "rejected"},
    {"title_fr": "Marché du samedi", "status": "added", "decision_comment": None, "kpi_fr": "Passants par jour", "baseline": 5143.0,
     "target": 5500.0, "kpi_unit": "piétons/jour", "target_date": "2027-09-30", "owner_fr": "Commune", "cost_fr": "faible (< 10 k€)",
     "funding_fr": "Budget communal", "where_fr": "Place communale", "tier": "priority"},
]
CONSULTANT = [
    {"kind": "validation", "consultant": "Claire Lambotte", "validated_on": "2026-11-20", "comment": "1 validée(s), 1 écartée(s)"},
    {"kind": "finding", "topic_fr": "Marchés", "status_fr": "problème", "comment": "plus de marché"},
    {"kind": "digital_tool", "topic_fr": "Citie", "status_fr": "en place", "comment": None},
]
EVOLUTION = [{"edition": "2026-12-06", "previous_edition": "2026-11-06", "pillar_fr": "Être trouvé", "previous_score": 40.0, "score": 55.0,
              "change": 15.0, "comparable": True, "evolution_fr": "en progrès", "previous_actions": 6.0,
              "previous_actions_still_planned": 5.0, "previous_actions_rejected": 1.0}]


def test_renders_who_when_rejected_added_checklist_tools_and_evolution():
    card = {"stay": [{"reference_override": True, "name_fr": "Cellules vides", "threshold_kind": "max", "threshold": 12.0, "unit": "%",
                      "reference_original": 20.0, "reference_overridden_by": "Claire", "reference_overridden_on": "2026-11-20",
                      "reference_justification": "schéma communal", "judgement_fr": "référence atteinte"}]}
    html = render(consultant=CONSULTANT, actions=ACTIONS, card=card, evolution=EVOLUTION)
    html = html.replace("\u202f", " ").replace("\xa0", " ")  # fr_BE thin and no-break spaces
    for text in ("Claire Lambotte", "20 novembre 2026", "Motif : déjà demandé en 2026", "Marché du samedi",
                 "5 143 passants par jour → 5 500 passants par jour", "Marchés", "problème", "Citie",
                 "≤ 12 % au lieu de 20 %", "schéma communal", "+15 : en progrès", "6 novembre 2026",
                 "Plan précédent : 6 actions ; toujours au plan : 5 ; écartées depuis : 1."):
        assert text in html, text


def test_without_consultant_or_previous_edition():
    first = [{**EVOLUTION[0], "previous_edition": None}]
    html = render(consultant=[], actions=[{**ACTIONS[0], "status": "proposed"}], evolution=first)
    assert "pas encore été validé par un consultant" in html and "Première édition de l’audit (6 décembre 2026)" in html


def test_a_pillar_without_a_score_in_one_edition_renders():
    """A pillar scored in the previous edition but not now (or the reverse) has no change:
    the report says so instead of crashing on ``None > 0``."""
    unscored = [{**EVOLUTION[0], "score": None, "change": None, "evolution_fr": "non comparable"}]
    html = render(consultant=[], actions=[], evolution=unscored)
    assert "non comparable" in html and "+" not in html.split("non comparable")[0][-20:]
