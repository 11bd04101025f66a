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
from pipelines.canvas.references import CommuneContext
from pipelines.canvas.scorecard import build_scorecard, commune_values
from pipelines.sources.typology import read_typology


def _row(**kw):
    base = {"status": "computed", "value": 8.0, "unit": "%", "name_fr": "Taux", "percentile_all": 20.0,
            "threshold_met": False, "threshold": 20.0, "threshold_kind": "min", "shortfall": 12.0,
            "min_difference": 5.0, "interval_half_width": 3.0, "significant": True,
            "reference_basis_fr": "valeur de travail à valider"}
    return pd.Series({**base, **kw})


def test_rules_fire_only_on_a_significant_gap_with_french_evidence():
    # method changed (issue 18): a rule fires on a significant shortfall from the absolute
    # reference, never on a peer percentile or a bare threshold
    evidence = rule_fires({"indicator": "x"}, _row())
    assert evidence == ("Taux = 8 % ; référence ≥ 20 % (valeur de travail à valider) ; écart de 12 points, "
                        "au-delà de l'écart minimal (5 points) et de l'incertitude (± 3 points)")
    assert rule_fires({"indicator": "x"}, _row(significant=False)) is None
    assert rule_fires({"indicator": "x"}, _row(status="not_computable")) is None
    assert fmt(1234.5, "hab.") == "1\u202f234 hab."


def _context(n=200.0):
    return {nis: CommuneContext(shops=n, population=10_000.0, observed_cells=n, site_sd=100.0, n_sites=4) for nis in NIS}


def _card(catalogue, communes, values, missing=()):
    inventory = cad.build_cadastre(status_frame(missing), no_quality(), full_coverage(), communes, catalogue)
    frame = commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))
    return inventory, build_scorecard(frame, peers_frame(), cad.held_by_commune(inventory), inventory, catalogue,
                                      draws=100, contexts=_context())


def test_commune_above_the_walloon_vacancy_gets_the_vacancy_levers_with_its_value(catalogue, communes, indicator_values):
    values = dict(indicator_values)
    values["vacancy_rate"] = [5.0, 19.0, 30.0]  # reference: at most 20 % (Walloon order of magnitude)
    inventory, card = _card(catalogue, communes, values)
    actions = build_actions(card.canvas, inventory, catalogue)
    plan = actions[(actions["nis"] == NIS[2]) & actions["action"].isin(["vacancy_tax", "vacancy_pop_up"])]
    assert len(plan) == 2
    assert "30 %" in plan["evidence"].iloc[0] and "référence ≤ 20 %" in plan["evidence"].iloc[0]
    assert plan["kpi"].eq("vacancy_rate").all() and plan["target"].tolist() == [25.0, 25.0]  # half the gap closed
    # B is above its peers' median but under the Walloon reference: no vacancy action
    assert not (actions["nis"].isin(NIS[:2]) & actions["action"].str.startswith("vacancy_")).any()
    assert (actions.groupby("nis")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()


def test_friction_points_are_the_significant_gaps_ranked_by_priority(catalogue, communes, indicator_values):
    _, card = _card(catalogue, communes, indicator_values)
    c = card.canvas
    points = c[c["friction_rank"].notna()]
    assert points["significant"].all() and (points["judgement"] == "significant").all()
    assert not c.loc[c["friction_rank"].isna() & (c["status"] == "computed"), "significant"].any()
    for _, own in points.groupby("nis"):
        assert own.sort_values("friction_rank")["friction_priority"].is_monotonic_decreasing


def test_same_input_same_scores(catalogue, communes, indicator_values):
    _, a = _card(catalogue, communes, indicator_values)
    _, b = _card(catalogue, communes, indicator_values)
    pd.testing.assert_frame_equal(a.pillars, b.pillars)
    pd.testing.assert_frame_equal(a.canvas.drop(columns=["needs"]), b.canvas.drop(columns=["needs"]))
    scores = a.pillars.pivot(index="nis", columns="pillar", values="score")
    # method changed (issue 18): fixed goalposts, so the best commune is no longer 100 by
    # construction; A is better than C on every indicator, so on every pillar
    assert (scores.loc[NIS[0]] > scores.loc[NIS[2]]).all()
    assert (a.pillars.loc[a.pillars["nis"] == NIS[0], "rank"] == 1).all()


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


def test_every_indicator_has_a_documented_reference_and_goalposts(catalogue):
    for spec in catalogue.indicators.values():
        ref = spec.threshold
        assert ref is not None and len(ref.source) > 20 and ref.year and ref.min_difference > 0 and ref.uncertainty, spec.code
        if ref.basis == "travail":
            assert "à valider" in ref.note, spec.code
        assert spec.goalposts is not None and spec.goalposts.upper > spec.goalposts.lower, spec.code
    assert catalogue.references_version and catalogue.goalposts_version
    assert all(catalogue.in_pillar(p) for p in catalogue.pillars)
    assert len(catalogue.actions) >= 10 and len(catalogue.data_actions) >= 5
