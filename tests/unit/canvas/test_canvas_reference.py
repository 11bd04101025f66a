"""The stable, absolute diagnosis (issue 18): fixed goalposts (adding a commune changes no
other commune's score), references with their sources, size-driven counts per inhabitant or
district, significance (minimum difference and interval) before any friction point or action."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from canvas_support import NIS, indicator_frame, no_quality, peers_frame, status_frame
from shapely.geometry import box

from pipelines.canvas import cadastre as cad
from pipelines.canvas import scoring
from pipelines.canvas.actions import MAX_PRIORITY, build_actions
from pipelines.canvas.catalogue import FAMILIES, load_goalposts, load_references
from pipelines.canvas.references import (
    CommuneContext,
    compute_goalposts,
    half_width,
    judge,
    size_derived,
)
from pipelines.canvas.scorecard import build_scorecard, commune_values

D = "10004"
PILLAR_COLUMNS = ["score", "score_p05", "score_p95", "coverage"]


def _territory(communes: gpd.GeoDataFrame, with_d: bool):
    """The three-commune fixture, optionally with a fourth commune D (east of C, the best on
    every indicator, in its own cluster)."""
    nis = NIS + ([D] if with_d else [])
    geo = communes
    peers = peers_frame()
    if with_d:
        square = gpd.GeoSeries([box(186000, 120000, 188000, 122000)], crs="EPSG:31370").to_crs("EPSG:4326")
        geo = pd.concat([communes, gpd.GeoDataFrame({"nis": [D], "name_fr": ["Dville"], "population": [20000], "area_km2": [4.0]},
                                                    geometry=square)], ignore_index=True)
        peers = pd.concat([peers, pd.DataFrame({"nis": [D], "commune": ["Dville"], "population": [20000], "cluster": [2],
                                                "cluster_label": ["G3"], "neighbours": [["10003"]], "typology": [None]})], ignore_index=True)
    coverage = pd.DataFrame([{"nis": n, "source": f, "coverage": 1.0, "coverage_basis": "test"} for n in nis for f in FAMILIES])
    return nis, geo, peers, coverage


def _values(catalogue, nis: list[str], base: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for code, spec in catalogue.indicators.items():
        vals = list(base[code])
        if len(nis) > len(vals):  # D: far better than A everywhere
            vals.append(vals[0] * 3 if spec.direction == "higher" else vals[0] / 3)
        rows += [{"nis": n, "district_id": None, "indicator": code, "value": v, "unit": "", "reference": "test"}
                 for n, v in zip(nis, vals, strict=True)]
    return commune_values(pd.DataFrame(rows), pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))


def _scorecard(catalogue, communes, base, *, with_d: bool):
    nis, geo, peers, coverage = _territory(communes, with_d)
    inventory = cad.build_cadastre(status_frame(), no_quality(), coverage, geo, catalogue)
    contexts = {n: CommuneContext(shops=100.0, population=10_000.0, observed_cells=100.0, site_sd=500.0, n_sites=4) for n in nis}
    card = build_scorecard(_values(catalogue, nis, base), peers, cad.held_by_commune(inventory), inventory, catalogue,
                           draws=200, contexts=contexts)
    return card, inventory


def test_adding_a_commune_leaves_every_other_commune_scores_unchanged(catalogue, communes, indicator_values):
    before, _ = _scorecard(catalogue, communes, indicator_values, with_d=False)
    after, _ = _scorecard(catalogue, communes, indicator_values, with_d=True)
    a = before.pillars.set_index(["nis", "pillar"])[PILLAR_COLUMNS]
    b = after.pillars.set_index(["nis", "pillar"]).loc[a.index, PILLAR_COLUMNS]
    pd.testing.assert_frame_equal(a, b)  # exactly: score, Monte-Carlo interval, coverage
    cols = ["score_normalised", "judgement", "significant", "interval_half_width", "friction_priority"]
    x = before.canvas.set_index(["nis", "indicator"])[cols]
    pd.testing.assert_frame_equal(x, after.canvas.set_index(["nis", "indicator"]).loc[x.index, cols])
    # the rank is the peer lens of the score: D, best everywhere, pushes A down by one
    ranks = after.pillars.set_index(["nis", "pillar"])["rank"]
    assert (ranks.xs(D) == 1).all() and (ranks.xs(NIS[0]) == 2).all()


def test_removing_a_commune_leaves_the_others_unchanged_too(catalogue, communes, indicator_values):
    full, _ = _scorecard(catalogue, communes, indicator_values, with_d=True)
    part, _ = _scorecard(catalogue, communes, indicator_values, with_d=False)
    a = part.pillars.set_index(["nis", "pillar"])[PILLAR_COLUMNS]
    pd.testing.assert_frame_equal(a, full.pillars.set_index(["nis", "pillar"]).loc[a.index, PILLAR_COLUMNS])


def test_goalpost_normalisation_by_hand():
    assert scoring.goalpost_normalise(np.array([0.0, 25.0, 120.0, np.nan]), 0, 100, 1.0)[:3] == pytest.approx([0, 25, 100])
    assert scoring.goalpost_normalise(np.array([5.0]), 0, 20, -1.0) == pytest.approx([75])  # less is better
    with pytest.raises(ValueError, match="upper > lower"):
        scoring.goalpost_normalise(np.array([1.0]), 3, 3, 1.0)
    # one commune's score uses its own row only
    raw = np.array([[50.0, 10.0], [np.nan, 0.0]])
    assert scoring.fixed_score(raw, [1, -1], [1, 1], [(0, 100), (0, 20)], "arithmetic") == pytest.approx([50.0, 100.0])


def test_goalposts_natural_bounds_winsorised_range_and_minimum_span(catalogue):
    values = pd.DataFrame({"nis": [f"n{i}" for i in range(10)], "indicator": "shops_per_1000", "status": "computed",
                           "value": np.linspace(5.8, 6.1, 10)})
    values = pd.concat([values, values.assign(indicator="pt_district_trips_per_hour", value=[1, 2, 3, 4, 5, 6, 7, 8, 9, 500])])
    goals = compute_goalposts(values, catalogue)
    assert goals["vacancy_rate"] == {"lower": 0.0, "upper": 100.0, "basis": "bornes naturelles"}
    # 5.8-6.1 spans less than four minimum differences (1 shop per 1,000): widened to 4
    assert goals["shops_per_1000"]["upper"] - goals["shops_per_1000"]["lower"] == pytest.approx(4.0)
    # 500 is winsorised (JRC rule) to the next value, 9 ; the reference (10/h) widens the top
    assert goals["pt_district_trips_per_hour"]["upper"] == pytest.approx(10.0)
    assert goals["pt_district_trips_per_hour"]["lower"] == pytest.approx(1.0)


def test_committed_goalposts_and_references_are_versioned_and_complete(catalogue):
    version, refs = load_references()
    gversion, goals = load_goalposts()
    assert version and gversion and set(refs) == set(goals) == set(catalogue.indicators)
    vacancy = refs["vacancy_rate"]
    assert vacancy.value == 20 and vacancy.kind == "max" and "wallon" in vacancy.source.lower()


def test_size_driven_counts_become_shares_and_rates(catalogue):
    upstream = pd.DataFrame({"nis": ["1", "2", "1", "2"], "indicator": ["pop_walk_10min", "pop_walk_10min", "flows_unexploited_cells", "flows_unexploited_cells"],
                             "value": [500.0, 5000.0, 3.0, 3.0], "reference": "x"})
    out = size_derived(upstream, catalogue, {"1": 1000.0, "2": 50_000.0}, {"1": 1, "2": 3}).set_index(["nis", "indicator"])["value"]
    # the small commune has a tenth of the residents near its shops of the big one, yet a
    # larger share: it is not judged weak for being small
    assert out[("1", "pop_walk_10min_share")] == pytest.approx(50.0)
    assert out[("2", "pop_walk_10min_share")] == pytest.approx(10.0)
    assert out[("2", "flows_unexploited_cells_per_district")] == pytest.approx(1.0)
    assert np.isnan(size_derived(upstream, catalogue, {"1": 1000.0}, {})
                    .set_index(["nis", "indicator"]).loc[("1", "flows_unexploited_cells_per_district"), "value"])  # no district


def test_intervals_from_the_data(catalogue):
    refs = {c: s.threshold for c, s in catalogue.indicators.items()}
    small, large = CommuneContext(shops=20, population=3000, observed_cells=20), CommuneContext(shops=2000, population=300_000, observed_cells=2000)
    hw_small, basis = half_width(refs["online_website_share"], 30.0, small)
    hw_large, _ = half_width(refs["online_website_share"], 30.0, large)
    assert "20 commerces" in basis and hw_small > 5 * hw_large  # the sample size decides
    p = (0.3 * 20 + 2) / 24
    assert hw_small == pytest.approx(100 * 1.96 * np.sqrt(p * (1 - p) / 24))  # Agresti-Coull by hand
    assert half_width(refs["online_website_share"], 30.0, small, coverage=0.5)[0] == pytest.approx(2 * hw_small)
    hw, _ = half_width(refs["shops_per_1000"], 6.0, CommuneContext(shops=36, population=6000))
    assert hw == pytest.approx(1.96 * 6 / 6000 * 1000)
    sites, basis = half_width(refs["footfall_daily"], 3000.0, CommuneContext(site_sd=1000.0, n_sites=4))
    assert sites == pytest.approx(1.96 * 1000 / 2) and "4 points de mesure" in basis
    assert np.isinf(half_width(refs["vacancy_rate"], 25.0, CommuneContext())[0])  # no register size: never significant


def test_judge_needs_the_minimum_difference_and_the_interval(catalogue):
    ref = catalogue.indicators["vacancy_rate"].threshold  # at most 20 %, minimum difference 2 points
    assert judge(ref, 18.0, 1.0)["judgement"] == "met"
    assert judge(ref, 21.5, 0.5)["judgement"] == "not_significant"   # 1.5 < minimum difference 2
    assert judge(ref, 24.0, 5.0)["judgement"] == "not_significant"   # 4 inside the interval +/- 5
    verdict = judge(ref, 24.0, 3.0)
    assert verdict["judgement"] == "significant" and verdict["shortfall"] == pytest.approx(4.0)


def test_no_action_below_the_minimum_difference_or_inside_the_interval(catalogue, communes, indicator_values):
    """A hand-made case: three communes short of two references by different margins."""
    values = {code: [spec.threshold.value] * 3 for code, spec in catalogue.indicators.items()}  # every reference met
    # online_website_share (>= 50 %, minimum difference 5): A 47 (gap 3 < 5), B 40 in a small
    # commune (gap 10 inside +/- 17), C 40 in a large one (gap 10 > +/- 2)
    values["online_website_share"] = [47.0, 40.0, 40.0]
    # shops_per_1000 (>= 6, minimum difference 1): A 5.5 (gap 0.5 < 1), B 4.5 with 9 shops
    # (Poisson +/- 2.9), C 4.5 with 450 shops (+/- 0.4)
    values["shops_per_1000"] = [5.5, 4.5, 4.5]
    nis, geo, peers, coverage = _territory(communes, False)
    inventory = cad.build_cadastre(status_frame(), no_quality(), coverage, geo, catalogue)
    contexts = {NIS[0]: CommuneContext(shops=5000, population=900_000),
                NIS[1]: CommuneContext(shops=9, population=2000),
                NIS[2]: CommuneContext(shops=450, population=100_000)}
    card = build_scorecard(commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"])),
                           peers, cad.held_by_commune(inventory), inventory, catalogue, draws=0, contexts=contexts)
    canvas = card.canvas.set_index(["nis", "indicator"])
    assert canvas.loc[(NIS[0], "online_website_share"), "judgement_fr"] == "pas d'écart significatif"
    assert canvas.loc[(NIS[1], "online_website_share"), "judgement_fr"] == "pas d'écart significatif"
    assert canvas.loc[(NIS[2], "online_website_share"), "judgement_fr"] == "écart significatif"
    assert canvas.loc[(NIS[1], "shops_per_1000"), "interval_half_width"] > 2.5
    actions = build_actions(card.canvas, inventory, catalogue)
    fired = {(r.nis, r.action) for r in actions[actions["kind"] == "indicator"].itertuples()}
    assert fired == {(NIS[2], "website_support"), (NIS[2], "shop_mix")}
    # nothing fires on a gap that is not significant, whatever the peers say (A is the best
    # of three on both, B and C tie)
    assert card.canvas.loc[card.canvas["friction_rank"].notna(), "significant"].all()


def test_plan_ranks_by_impact_control_and_cost_and_caps_priorities(catalogue, communes, indicator_values):
    values = {}
    for code, spec in catalogue.indicators.items():  # C is far short of every reference
        ref = spec.threshold
        far = spec.goalposts.lower if ref.kind == "min" else spec.goalposts.upper
        values[code] = [ref.value, ref.value, far]
    nis, geo, peers, coverage = _territory(communes, False)
    inventory = cad.build_cadastre(status_frame(), no_quality(), coverage, geo, catalogue)
    contexts = {n: CommuneContext(shops=5000, population=900_000, observed_cells=5000, site_sd=10.0, n_sites=30) for n in NIS}
    card = build_scorecard(commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"])),
                           peers, cad.held_by_commune(inventory), inventory, catalogue, draws=0, contexts=contexts)
    actions = build_actions(card.canvas, inventory, catalogue, as_of=pd.Timestamp("2027-01-15").date())
    own = actions[(actions["nis"] == NIS[2]) & (actions["kind"] == "indicator")]
    assert len(own) > MAX_PRIORITY
    priority = own[own["tier"] == "priority"]
    assert len(priority) == MAX_PRIORITY and (own.loc[own["tier"] == "consider", "tier_fr"] == "à considérer").all()
    assert own["priority"].is_monotonic_decreasing and own["plan_rank"].tolist() == list(range(1, len(own) + 1))
    # the cheap, locally controlled lever comes before asking the TEC for buses
    ranked = own["action"].tolist()
    assert ranked.index("opening_hours_campaign") < ranked.index("bus_frequency_request")
    row = own[own["action"] == "vacancy_tax"].iloc[0]
    assert row["baseline"] == 100.0 and row["target"] == 60.0 and row["target_date"] == "2028-01-31"  # 12 months, half the gap
    assert row["funding"] == ["taxe_cellules_vides"] and "inoccupés" in row["funding_fr"]
    quick = own[own["action"] == "opening_hours_campaign"].iloc[0]
    assert quick["horizon_fr"] == "action rapide (< 6 mois)" and quick["target_date"] == "2027-07-31"
    assert not actions[actions["nis"].isin(NIS[:2]) & (actions["kind"] == "indicator")].shape[0]  # at the reference: nothing


def test_references_and_actions_are_validated_with_clear_messages(tmp_path):
    from pipelines.canvas.catalogue import (
        ACTIONS_YAML,
        FUNDING_YAML,
        INDICATORS_YAML,
        REFERENCES_YAML,
        load_catalogue,
    )

    refs = REFERENCES_YAML.read_text(encoding="utf-8")
    lacking = tmp_path / "refs.yaml"
    lacking.write_text(refs.replace("\n  vacancy_rate:\n", "\n  vacancy_rate_old:\n"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"without a reference: \['vacancy_rate'\], unknown: \['vacancy_rate_old'\]"):
        load_catalogue(INDICATORS_YAML, ACTIONS_YAML, lacking)
    no_source = tmp_path / "refs2.yaml"
    no_source.write_text(refs.replace('    min_difference: 2\n', '', 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"reference 'vacancy_rate': missing \['min_difference'\]"):
        load_catalogue(INDICATORS_YAML, ACTIONS_YAML, no_source)
    acts = tmp_path / "actions.yaml"
    acts.write_text(ACTIONS_YAML.read_text(encoding="utf-8").replace("funding: [taxe_cellules_vides]", "funding: [tresor_cache]"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"action 'vacancy_tax' names funding lines \['tresor_cache'\] absent from funding.yaml"):
        load_catalogue(INDICATORS_YAML, acts, REFERENCES_YAML, funding_path=FUNDING_YAML)
