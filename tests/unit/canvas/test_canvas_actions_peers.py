"""Action triggers with their evidence, peer lenses, determinism of the scorecard."""

import numpy as np
import pandas as pd
import pytest
from canvas_support import (
    NIS,
    full_coverage,
    indicator_frame,
    no_quality,
    peers_frame,
    status_frame,
)

from pipelines.canvas import cadastre as cad
from pipelines.canvas import peers as pe
from pipelines.canvas.actions import build_actions, fmt, rule_fires
from pipelines.canvas.catalogue import load_catalogue
from pipelines.canvas.scorecard import build_scorecard, commune_values
from pipelines.sources.typology import read_typology


def _row(**kw):
    base = {"status": "computed", "value": 8.0, "unit": "%", "name_fr": "Taux", "percentile_all": 20.0,
            "threshold_met": False, "threshold": 10.0}
    return pd.Series({**base, **kw})


def test_rules_fire_with_french_evidence():
    assert rule_fires({"below": 10}, _row()) == "Taux = 8 % (< 10 %)"
    assert rule_fires({"above": 10}, _row()) is None
    assert "percentile 20 " in rule_fires({"percentile_below": 34}, _row())
    assert "seuil 10 % non atteint" in rule_fires({"threshold_missed": True}, _row())
    assert rule_fires({"below": 10}, _row(status="not_computable")) is None
    assert fmt(1234.5, "hab.") == "1\u202f234 hab."


def _card(catalogue, communes, values, missing=()):
    inventory = cad.build_cadastre(status_frame(missing), no_quality(), full_coverage(), communes, catalogue)
    frame = commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))
    return inventory, build_scorecard(frame, peers_frame(), cad.held_by_commune(inventory), inventory, catalogue, draws=100)


def test_weakest_commune_gets_vacancy_plan_with_its_value(catalogue, communes, indicator_values):
    values = dict(indicator_values)
    values["vacancy_rate"] = [5.0, 8.0, 23.5]
    inventory, card = _card(catalogue, communes, values)
    actions = build_actions(card.canvas, inventory, catalogue)
    plan = actions[(actions["nis"] == NIS[2]) & (actions["action"] == "vacancy_plan")]
    assert len(plan) == 1
    assert "23,5 %" in plan["evidence"].iloc[0] and "seuil 10 % non atteint" in plan["evidence"].iloc[0]
    assert not ((actions["nis"] == NIS[0]) & (actions["action"] == "vacancy_plan")).any()
    assert (actions.groupby("nis")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()


def test_friction_points_put_local_control_first(catalogue, communes, indicator_values):
    _, card = _card(catalogue, communes, indicator_values)
    c = card.canvas[(card.canvas["nis"] == NIS[2]) & card.canvas["friction_rank"].notna()].sort_values("friction_rank")
    # C is last on everything: equal weakness, so priority follows control x influence
    assert c.iloc[0]["control"] == "high"
    assert c["friction_priority"].is_monotonic_decreasing
    a = card.canvas[(card.canvas["nis"] == NIS[0]) & card.canvas["friction_rank"].notna()]
    assert len(a) and a["threshold_met"].eq(False).all()  # A is best everywhere: only absolute thresholds remain


def test_same_input_same_scores(catalogue, communes, indicator_values):
    _, a = _card(catalogue, communes, indicator_values)
    _, b = _card(catalogue, communes, indicator_values)
    pd.testing.assert_frame_equal(a.pillars, b.pillars)
    pd.testing.assert_frame_equal(a.canvas.drop(columns=["needs"]), b.canvas.drop(columns=["needs"]))
    best = a.pillars[a.pillars["nis"] == NIS[0]]
    assert (best["rank"] == 1).all()
    assert best["score"].tolist() == pytest.approx([100.0] * 5)


def test_percentile_lenses(catalogue, communes, indicator_values):
    _, card = _card(catalogue, communes, indicator_values)
    row = card.canvas[(card.canvas["nis"] == NIS[1]) & (card.canvas["indicator"] == "vacancy_rate")].iloc[0]
    assert row["percentile_all"] == pytest.approx(50)        # middle of three
    assert row["percentile_cluster"] == pytest.approx(0)     # cluster {A, B}: B below A
    assert row["percentile_neighbours"] == pytest.approx(50)  # neighbours {A, B, C}
    assert np.isnan(row["percentile_typology"])


def test_clusters_chosen_by_silhouette():
    x = np.array([[0, 0], [0.1, 0], [0, 0.1], [10, 10], [10.1, 10], [10, 10.1]])
    labels, k, scores, _ = pe.choose_clusters(x)
    assert k == 2 and len(set(labels[:3])) == 1 and labels[0] != labels[3]
    assert scores[2] == max(scores.values())
    assert pe.choose_clusters(x[:3])[1] == 1


def test_neighbours_share_a_boundary(communes):
    assert pe.neighbours(communes) == {NIS[0]: [NIS[1]], NIS[1]: [NIS[0], NIS[2]], NIS[2]: [NIS[1]]}


def test_typology_lens(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("nis,typology\n10001,urbain\n10002,urbain\n10003,rural\n")
    typo = pe.typology_map(read_typology(path).table)
    peers = peers_frame().assign(typology=lambda f: f["nis"].map(typo))
    masks = pe.lens_masks(peers)
    assert masks["typology"].tolist() == [[True, True, False], [True, True, False], [False, False, True]]
    assert "typology" not in pe.lens_masks(peers_frame())
    (tmp_path / "bad.csv").write_text("code,type\n10001,urbain\n")
    bad = read_typology(tmp_path / "bad.csv")  # without its columns: one file-level quarantine row
    assert bad.table.empty and pe.typology_map(bad.table) == {}
    assert bad.quarantine["row_number"].tolist() == [0]


def test_catalogue_validation(tmp_path):
    bad = tmp_path / "ind.yaml"
    bad.write_text("pillars:\n  p: {order: 1, name_fr: P, name_en: P}\nindicators:\n  x: {pillar: p, direction: up, influence: high, control: high, name_fr: X}\n")
    with pytest.raises(ValueError, match="direction must be one of"):
        load_catalogue(bad, tmp_path / "none.yaml")
    bad.write_text("pillars:\n  p: {order: 1, name_fr: P, name_en: P}\nindicators:\n  x: {pillar: p, direction: higher, influence: high, control: high, name_fr: X, needs: [teletext]}\n")
    with pytest.raises(ValueError, match="unknown source families"):
        load_catalogue(bad, tmp_path / "none.yaml")


def test_every_threshold_has_a_source_and_every_pillar_indicators(catalogue):
    for spec in catalogue.indicators.values():
        if spec.threshold:
            assert len(spec.threshold.source) > 20
    assert all(catalogue.in_pillar(p) for p in catalogue.pillars)
    assert len(catalogue.actions) >= 10 and len(catalogue.data_actions) >= 5
