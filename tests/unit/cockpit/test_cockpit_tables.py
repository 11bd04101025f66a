"""The gold.region_* tables on a hand-made region (cockpit_support)."""

import pandas as pd
from cockpit_support import NIS, tables

from pipelines.cockpit.tables import PRIORITY_TOP


def test_region_communes_group_scores_and_links():
    com = tables().communes.set_index("nis")
    assert com.loc[NIS, "group"].tolist() == ["bep", "bep", "spi", "idea"]
    assert com.loc["92002", "score_be_found"] == 30.0 and com.loc["92002", "score_get_there"] == 70.0
    assert com.loc["92001", "priority_actions"] == PRIORITY_TOP and com.loc["92002", "data_actions"] == 1
    assert com.loc["92001", "first_action"] == "Action 1"
    assert com.loc["53001", "report"] == "idea/rapports/53001.html"
    assert com.crs.to_epsg() == 4326 and com.geometry.notna().all()


def test_needs_priority_is_the_first_five_indicator_actions_and_every_data_action():
    needs = tables().needs
    a = needs[needs["nis"] == "92001"]
    assert a.loc[a["priority"], "rank"].tolist() == [1, 2, 3, 4, 5]
    b = needs[needs["nis"] == "92002"]
    assert b.loc[b["priority"], "action"].tolist() == ["act1", "act2", "act3", "act4", "act5", "install_counters"]


def test_data_priorities_ranked_by_values_unlocked_per_scope():
    pr = tables().data_priorities
    region = pr[pr["scope"] == "region"].set_index("source")
    # counters: missing in two communes x two indicators = 4 values; vouchers: one commune x one indicator
    assert region["rank"].to_dict() == {"counters": 1, "vouchers": 2, "outlines": 3}  # unlocks nothing: last
    assert region.loc["counters", "indicator_communes_unlocked"] == 4 and region.loc["counters", "communes_lacking"] == 2
    assert region.loc["counters", "communes"] == "Bville, Cville" and region.loc["counters", "population_lacking"] == 6000
    bep = pr[pr["scope"] == "bep"]
    assert bep["source"].tolist() == ["counters", "outlines"] and bep["communes"].tolist() == ["Bville", "Aville, Bville"]
    assert set(pr["scope"]) == {"region", "bep", "spi", "idea"}


def test_evolution_keeps_past_editions_and_adds_the_current_one():
    past = pd.DataFrame({"edition": ["2025-11-01"] * 2, "nis": ["92001", "92002"], "pillar": ["be_found"] * 2, "score": [5.0, 50.0]})
    evo = tables(editions=past).evolution
    assert sorted(evo["edition"].unique()) == ["2025-11-01", "2026-12-06"]
    assert len(evo[evo["edition"] == "2026-12-06"]) == 8
    assert evo.loc[(evo["edition"] == "2025-11-01") & (evo["nis"] == "92002"), "group"].item() == "bep"


def test_data_priorities_say_in_which_groups():
    pr = tables().data_priorities.set_index(["scope", "source"])
    assert pr.loc[("region", "counters"), "by_group"] == "BEP: 1, SPI: 1"
    assert pr.loc[("bep", "counters"), "by_group"] == "BEP: 1"


def test_region_tables_entry_point_carries_the_grouping_check():
    import cockpit_support as tiny

    from pipelines.cockpit.build import region_tables

    out = region_tables(tiny.communes(), tiny.peers(), tiny.pillars(), tiny.actions(), tiny.cadastre(), "e")
    assert list(out) == ["region_communes", "region_needs", "region_data_priorities", "region_evolution"]
    [check] = out["region_communes"].checks
    assert check.name == "every_commune_grouped" and check.passed and check.metadata["by_basis"] == "province: 3, arrondissement: 1"
    assert out["region_communes"].metadata["communes_by_group"] == "BEP (Namur): 2; IDEA (Hainaut): 1; SPI (Liège): 1"


def test_the_plans_tier_says_what_is_a_priority():
    import cockpit_support as tiny

    from pipelines.cockpit.tables import build_region_tables

    actions = tiny.actions()
    actions["tier"] = ["priority" if r <= 2 else "consider" for r in actions["rank"]]
    actions.loc[actions["kind"] == "data", "tier"] = "data"
    t = build_region_tables(tiny.communes(), tiny.peers(), tiny.pillars(), actions, tiny.cadastre(), "e")
    b = t.needs[t.needs["nis"] == "92002"]
    assert b.loc[b["priority"], "action"].tolist() == ["act1", "act2", "install_counters"]
    assert t.communes.set_index("nis")["priority_actions"].to_dict() == {"92001": 2, "92002": 2, "61001": 2, "53001": 2}
