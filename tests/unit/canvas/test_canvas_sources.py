"""Removing a source changes the inventory and turns the indicators that need it
not_computable (shown missing with the source they need, never imputed)."""

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

from pipelines.availability import scan_landing
from pipelines.canvas import cadastre as cad
from pipelines.canvas.actions import build_actions
from pipelines.canvas.scorecard import build_scorecard, commune_values

PT = ["pt_sdg_11_2_1_share", "pt_district_trips_per_hour", "pt_class_none_share"]


def _run(catalogue, communes, values, missing=()):
    inventory = cad.build_cadastre(status_frame(missing), no_quality(), full_coverage(), communes, catalogue)
    frame = commune_values(indicator_frame(values), pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))
    card = build_scorecard(frame, peers_frame(), cad.held_by_commune(inventory), inventory, catalogue, draws=50)
    return inventory, card


def test_removing_gtfs_changes_inventory_and_turns_transit_not_computable(catalogue, communes, indicator_values):
    before_inv, before = _run(catalogue, communes, indicator_values)
    # upstream still reports (stale) values: the canvas must not use them once gtfs is missing
    after_inv, after = _run(catalogue, communes, indicator_values, missing=("gtfs",))

    gtfs_before = before_inv[before_inv["source"] == "gtfs"]
    gtfs_after = after_inv[after_inv["source"] == "gtfs"]
    assert (gtfs_before["status"] == "held").all()
    assert (gtfs_after["status"] == "missing").all()
    assert set(PT) <= set(gtfs_after["unlocks"].iloc[0])
    assert "gtfs_feed" in gtfs_after["unlocks_actions"].iloc[0]
    assert (gtfs_after["coverage"] == 0).all()

    rows = after.canvas[after.canvas["indicator"].isin(PT)]
    assert len(rows) == 3 * len(PT)
    assert (rows["status"] == "not_computable").all()
    assert rows["value"].isna().all()
    assert rows["needs"].map(lambda n: "gtfs" in n).all()
    assert rows["percentile_all"].isna().all()
    assert (before.canvas.loc[before.canvas["indicator"].isin(PT), "status"] == "computed").all()

    get_there_before = before.pillars[before.pillars["pillar"] == "get_there"]
    get_there_after = after.pillars[after.pillars["pillar"] == "get_there"]
    assert (get_there_after["n_computed"] < get_there_before["n_computed"]).all()
    assert (get_there_after["coverage"] < 1).all()
    untouched = after.canvas[after.canvas["indicator"] == "vacancy_rate"]
    assert (untouched["status"] == "computed").all()


def test_a_missing_source_triggers_its_data_action(catalogue, communes, indicator_values):
    inventory, card = _run(catalogue, communes, indicator_values, missing=("counters", "vouchers"))
    actions = build_actions(card.canvas, inventory, catalogue)
    data = actions[actions["kind"] == "data"]
    assert set(data["action"]) >= {"install_counters", "join_voucher_scheme"}
    assert data["title_fr"].str.contains("Installer des compteurs piétons").any()
    assert data["title_fr"].str.contains("Rejoindre un système de chèques commerces").any()
    assert data.groupby("nis").size().reindex(NIS).eq(2).all()
    # vouchers missing: the customer-origin indicator cannot trigger an indicator action
    ind = actions[(actions["kind"] == "indicator")]
    assert not ind["triggered_by"].map(lambda c: "customers_outside_share" in c).any()


def test_upstream_null_without_a_missing_source_is_not_computable_not_zero(catalogue, communes, indicator_values):
    values = dict(indicator_values)
    values["vacancy_rate"] = [np.nan, 12.0, 5.0]
    _, card = _run(catalogue, communes, values)
    row = card.canvas[(card.canvas["nis"] == NIS[0]) & (card.canvas["indicator"] == "vacancy_rate")].iloc[0]
    assert row["status"] == "not_computable" and np.isnan(row["value"]) and np.isnan(row["percentile_all"])


def test_upstream_status_columns_are_honoured(catalogue, communes, indicator_values):
    frame = indicator_frame(indicator_values)
    frame["status"] = "computed"
    frame["needs"] = [[] for _ in range(len(frame))]
    sup = (frame["indicator"] == "customers_outside_share") & (frame["nis"] == NIS[2])
    frame.loc[sup, "status"] = "suppressed"
    inventory = cad.build_cadastre(status_frame(), no_quality(), full_coverage(), communes, catalogue)
    values = commune_values(frame, pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))
    card = build_scorecard(values, peers_frame(), cad.held_by_commune(inventory), inventory, catalogue, draws=10)
    row = card.canvas[(card.canvas["nis"] == NIS[2]) & (card.canvas["indicator"] == "customers_outside_share")].iloc[0]
    assert row["status"] == "suppressed" and np.isnan(row["value"])


def test_local_absence_of_a_territory_source_is_missing_for_that_commune(catalogue, communes):
    coverage = full_coverage()
    coverage.loc[(coverage["nis"] == NIS[1]) & (coverage["source"] == "wifi"), "coverage"] = 0.0
    inventory = cad.build_cadastre(status_frame(), no_quality(), coverage, communes, catalogue)
    wifi = inventory[inventory["source"] == "wifi"].set_index("nis")["status"]
    assert wifi.to_dict() == {NIS[0]: "held", NIS[1]: "missing", NIS[2]: "held"}
    assert "wifi" not in cad.held_by_commune(inventory)[NIS[1]]


def test_broken_source_all_rows_quarantined(catalogue, communes):
    quality = no_quality()
    quality.loc[quality["source"] == "kbo", ["rows_accepted", "files_quarantined"]] = [0, 2]
    inventory = cad.build_cadastre(status_frame(), quality, full_coverage(), communes, catalogue)
    assert (inventory.loc[inventory["source"] == "kbo", "status"] == "broken").all()
    assert (inventory.loc[inventory["source"] == "kbo", "unlocks"].map(len) > 0).all()


def test_quality_counts_quarantine_rows_by_family():
    q = pd.DataFrame({"family": ["wifi", "wifi", "kbo", "vouchers"], "row_number": [3, 0, 7, 2]})
    out = cad.quality_by_family({"wifi": 98, "kbo": 9}, q).set_index("source")
    assert out.loc["wifi", "rows_quarantined"] == 1 and out.loc["wifi", "files_quarantined"] == 1
    assert out.loc["wifi", "quarantine_rate"] == pytest.approx(1 / 99)
    assert out.loc["kbo", "quarantine_rate"] == pytest.approx(0.1)
    assert out.loc["vouchers", "rows_quarantined"] == 1


def test_landing_scan_sees_files_days_and_hashes(tmp_path):
    (tmp_path / "gtfs").mkdir()
    (tmp_path / "gtfs" / "bus.zip").write_bytes(b"abc")
    (tmp_path / "wifi" / "counts").mkdir(parents=True)
    for day in ("2026-10-01", "2026-10-03"):
        (tmp_path / "wifi" / "counts" / f"{day}.csv").write_text(f"x {day}")  # two contents: no duplicate
    (tmp_path / "kbo").mkdir()
    (tmp_path / "kbo" / "enterprise.csv").write_text("x")
    (tmp_path / "kbo" / "address_points.csv").write_text("y")
    status = scan_landing(tmp_path).set_index("source")
    assert status.loc["gtfs", "status"] == "held" and status.loc["od", "status"] == "missing"
    assert status.loc["gtfs", "file_hashes"] == ["gtfs/bus.zip ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
    assert (status.loc["wifi", "first_day"], status.loc["wifi", "last_day"], status.loc["wifi", "days"]) == ("2026-10-01", "2026-10-03", 2)
    assert status.loc["kbo", "files"] == 1 and status.loc["addresses", "files"] == 1  # address points belong to "addresses"
    assert "landing/od" in status.loc["od", "reason"]
    missing_gaps = cad._gaps("2026-10-01", "2026-10-03", 2)
    assert missing_gaps == 1


def test_upstream_not_computable_keeps_its_needs(catalogue, communes, indicator_values):
    frame = indicator_frame(indicator_values)
    frame["status"] = "computed"
    frame["needs"] = [[] for _ in range(len(frame))]
    row = (frame["indicator"] == "tourism_hours_overlap") & (frame["nis"] == NIS[0])
    frame.loc[row, "status"] = "not_computable"
    frame.loc[row, "value"] = np.nan
    frame.loc[row, "needs"] = pd.Series([["wifi", "counters"]], index=frame.index[row])
    inventory = cad.build_cadastre(status_frame(), no_quality(), full_coverage(), communes, catalogue)
    values = commune_values(frame, pd.DataFrame(columns=["nis", "indicator", "value", "reference"]))
    card = build_scorecard(values, peers_frame(), cad.held_by_commune(inventory), inventory, catalogue, draws=10)
    out = card.canvas[(card.canvas["nis"] == NIS[0]) & (card.canvas["indicator"] == "tourism_hours_overlap")].iloc[0]
    assert out["status"] == "not_computable" and out["needs"] == ["counters", "wifi"]
