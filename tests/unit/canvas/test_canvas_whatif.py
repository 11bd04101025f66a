"""What-if: adding a stop with departures raises the public-transport indicator and the
get-there pillar; a car park and re-let vacant cells change their indicators."""

import numpy as np
import pandas as pd
import pytest
from canvas_support import NIS

from pipelines.canvas import whatif
from pipelines.canvas.scorecard import score_pillars


def _matrix(catalogue, values):
    return pd.DataFrame(values, index=NIS)[list(catalogue.indicators)]


def _inputs(cells, districts, vacant=None):
    vacant = vacant if vacant is not None else pd.DataFrame(columns=["nis", "status", "observed_on"])
    return whatif.ScenarioInputs(cells, districts, vacant, {n: 900.0 for n in NIS})


def test_stop_effect_by_hand(cells, districts):
    point = whatif._point("main_district", districts[districts["nis"] == NIS[2]])
    own = cells[cells["nis"] == NIS[2]]
    effect = whatif.stop_effect(own, point, 6.0)
    # cells at 0, 200 m from the centre (3 of 9) are within 500 / 1.3 = 385 m
    assert effect["pt_sdg_11_2_1_share"] == pytest.approx(100 * 3 / 9)
    assert effect["pt_class_none_share"] == pytest.approx(-100 * 3 / 9)
    assert whatif.stop_effect(own, point, 2.0)["pt_sdg_11_2_1_share"] == 0.0  # < 4/h is not frequent


def test_adding_stops_raises_transit_indicator_and_pillar(catalogue, cells, districts, indicator_values):
    values = dict(indicator_values)
    values["pt_sdg_11_2_1_share"] = [30.0, 20.0, 0.0]
    scenario = {"bus": {"title_fr": "bus", "communes": [NIS[2]],
                        "changes": [{"kind": "add_stop", "at": "main_district", "departures_per_hour": 12}]}}
    out = whatif.run_scenarios(_matrix(catalogue, values), catalogue, scenario, _inputs(cells, districts))
    ind = out[(out["level"] == "indicator")].set_index("code")
    assert ind.loc["pt_sdg_11_2_1_share", "after"] == pytest.approx(100 * 3 / 9)
    assert ind.loc["pt_sdg_11_2_1_share", "after"] > ind.loc["pt_sdg_11_2_1_share", "before"]
    assert ind.loc["pt_district_trips_per_hour", "delta"] == pytest.approx(12)
    pillar = out[(out["level"] == "pillar")].set_index("code")
    assert pillar.loc["get_there", "after"] > pillar.loc["get_there", "before"]
    assert pillar.loc["get_there", "rank_after"] < pillar.loc["get_there", "rank_before"]
    assert pillar.loc["stay", "delta"] == 0  # nothing else moves
    assert set(out["nis"]) == {NIS[2]}


def test_car_park_and_vacant_cells(catalogue, cells, districts, indicator_values):
    vacant = pd.DataFrame({"nis": NIS[1], "status": ["vacant"] * 4 + ["occupied"] * 16,
                           "observed_on": "2026-01-01"})
    scenario = {"mix": {"communes": [NIS[1]], "changes": [
        {"kind": "add_car_park", "at": "main_district", "capacity": 40},
        {"kind": "fill_vacant", "cells": 3}]}}
    out = whatif.run_scenarios(_matrix(catalogue, indicator_values), catalogue, scenario, _inputs(cells, districts, vacant))
    ind = out[out["level"] == "indicator"].set_index("code")
    assert ind.loc["parking_per_shop", "delta"] == pytest.approx(40 / 20)
    assert ind.loc["vacancy_rate", "after"] == pytest.approx(100 * 1 / 20)
    assert ind.loc["shops_per_1000", "delta"] == pytest.approx(1000 * 3 / 900)


def test_not_computable_stays_not_computable(catalogue, cells, districts, indicator_values):
    values = dict(indicator_values)
    values["vacancy_rate"] = [np.nan, np.nan, np.nan]
    scenario = {"fill": {"communes": "all", "changes": [{"kind": "fill_vacant", "cells": 3}]}}
    out = whatif.run_scenarios(_matrix(catalogue, values), catalogue, scenario, _inputs(cells, districts))
    assert not (out["code"] == "vacancy_rate").any()
    assert out["notes"].str.contains("non calculable").all()


def test_scenario_file_is_valid_and_unknown_kinds_are_rejected(tmp_path):
    assert {"bus_stop", "car_park", "fill_vacant"} <= set(whatif.load_scenarios())
    bad = tmp_path / "s.yaml"
    bad.write_text("scenarios:\n  x:\n    changes:\n      - {kind: add_tram}\n")
    with pytest.raises(ValueError, match="unknown change kind 'add_tram'"):
        whatif.load_scenarios(bad)


def test_score_pillars_without_draws_has_no_interval(catalogue, indicator_values):
    out = score_pillars(_matrix(catalogue, indicator_values), catalogue, draws=0)
    assert out["rank_p05"].isna().all() and out["score"].notna().all()


def test_pillar_rows_equal_a_full_rescore_of_the_changed_matrix(catalogue, cells, districts, indicator_values):
    """Only the pillars of changed indicators are scored again: every pillar row must still
    equal score_pillars on the whole changed matrix (the reference)."""
    values = dict(indicator_values)
    values["pt_sdg_11_2_1_share"] = [30.0, 20.0, 0.0]
    matrix = _matrix(catalogue, values)
    scenario = {"bus": {"communes": "all", "changes": [{"kind": "add_stop", "at": "main_district", "departures_per_hour": 12}]}}
    out = whatif.run_scenarios(matrix, catalogue, scenario, _inputs(cells, districts))
    before = score_pillars(matrix, catalogue, draws=0).set_index(["nis", "pillar"])
    for nis, rows in out[out["level"] == "pillar"].groupby("nis"):
        changed = matrix.copy()
        for r in out[(out["nis"] == nis) & (out["level"] == "indicator")].itertuples():
            changed.loc[nis, r.code] = r.after
        after = score_pillars(changed, catalogue, draws=0).set_index(["nis", "pillar"])
        for r in rows.itertuples():
            assert r.before == pytest.approx(before.loc[(nis, r.code), "score"], nan_ok=True)
            assert r.after == pytest.approx(after.loc[(nis, r.code), "score"], nan_ok=True)
            assert r.rank_after == pytest.approx(after.loc[(nis, r.code), "rank"], nan_ok=True)
    assert (out.loc[out["level"] == "pillar", "delta"].abs() > 0).any()


def test_scenarios_in_worker_processes_equal_one_process(catalogue, cells, districts, indicator_values, monkeypatch):
    from pipelines.workers import WORKERS_ENV

    scenario = {"stops": {"communes": "all", "changes": [{"kind": "add_stop", "at": "main_district", "departures_per_hour": 6}]},
                "park": {"communes": "all", "changes": [{"kind": "add_car_park", "at": "main_district", "capacity": 40}]}}
    tables = []
    for workers in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        tables.append(whatif.run_scenarios(_matrix(catalogue, indicator_values), catalogue, scenario, _inputs(cells, districts)))
    assert set(tables[0]["scenario"]) == {"stops", "park"} and tables[0]["nis"].nunique() == len(NIS)
    pd.testing.assert_frame_equal(tables[0], tables[1])
