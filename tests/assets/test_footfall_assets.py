"""Footfall assets: wiring (keys, partitions, checks, export) and a tiny materialisation.

The tiny lake is the hand-made fixture of ``tests/unit/test_footfall.py`` (two cells, one
counter beside a WiFi sensor): materialising the calibration and one day of
``gold.footfall_hourly`` with k = 10 must blank the far cell (6 phones an hour) and keep the
centre (29, 58, 30 phones), and every check must pass.
"""

import sys
from pathlib import Path

import dagster as dg

from assets.definitions import all_assets
from assets.gold import EXPORTS
from assets.gold import footfall as mod
from assets.resources import LakeResource, SettingsResource
from pipelines.lake import Lake

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_footfall import H, _counts, _sensors  # noqa: E402


def _checks_by_asset() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in mod.assets:
        for key in a.check_keys:
            out.setdefault(key.asset_key.path[-1], set()).add(key.name)
    return out


def test_footfall_assets_are_registered_with_their_checks_and_export() -> None:
    keys = {"/".join(k.path) for a in all_assets for k in a.keys}
    for name in ("footfall_calibration", "footfall_hourly", "footfall_profile", "footfall_curve", "footfall_estimated", "footfall"):
        assert f"gold/{name}" in keys
    assert "exports/footfall" in keys and "footfall" in EXPORTS
    checks = _checks_by_asset()
    for published in ("footfall_hourly", "footfall_profile", "footfall_curve", "footfall"):
        assert "k_suppressed" in checks[published], published
    assert {"counts_non_negative", "unique_sensor_hour", "day_coverage", "source_freshness"} <= checks["footfall_hourly"]
    assert isinstance(mod.footfall_hourly.partitions_def, dg.DailyPartitionsDefinition)


def test_one_day_of_hourly_footfall_is_suppressed_below_k(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    lake.write(_sensors(), "silver", "sensors")
    lake.write(_counts(), "silver", "sensor_counts", "2026-10-13")
    selection = [mod.footfall_calibration, mod.footfall_hourly]
    result = dg.materialize(
        selection,
        partition_key="2026-10-13",
        resources={"lake": LakeResource(root=str(tmp_path)), "settings": SettingsResource(suppression_k=10)},
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failed = {(e.asset_key.path[-1], e.check_name) for e in evaluations if not e.passed}
    # three hours of one day: fewer than the 24 hours needed to calibrate, 3 of 24 reported
    assert failed == {("footfall_calibration", "counters_paired"), ("footfall_hourly", "day_coverage")}
    passed = {e.check_name for e in evaluations if e.passed and e.asset_key.path[-1] == "footfall_hourly"}
    assert passed == {"k_suppressed", "counts_non_negative", "unique_sensor_hour", "source_freshness"}
    hourly = lake.read("gold", "footfall_hourly", "2026-10-13")
    assert len(hourly) == 2 * 24 and not hourly.duplicated(["h3", "ts"]).any()
    sensors = _sensors().set_index("sensor_id")
    far = hourly[(hourly["h3"] == sensors.loc["wifi-E", "h3"]) & hourly["ts"].isin(H)]
    assert far["suppressed"].all() and far["footfall"].isna().all() and far["devices"].isna().all()
    centre = hourly[(hourly["h3"] == sensors.loc["wifi-A", "h3"]) & hourly["ts"].isin(H)]
    assert centre["devices"].tolist() == [39, 78, 105] and not centre["suppressed"].any()
    # no own factor anywhere: WiFi counts phones (factor 1), the counter counts people
    assert centre["footfall"].tolist() == [13.0, 26.0, 52.5]  # (25+10+4)/3, (50+20+8)/3, (75+30)/2
    calibration = lake.read("gold", "footfall_calibration")
    assert calibration["method"].eq("none").all()


def test_without_sensors_every_footfall_step_succeeds_with_nothing_to_do(tmp_path: Path) -> None:
    """No WiFi, no counters: silver.sensors is empty and typed, no sensor_counts partition."""
    import pandas as pd

    lake = Lake(tmp_path)
    lake.write(_sensors().iloc[:0], "silver", "sensors")
    lake.write(pd.DataFrame({"nis": ["92801"], "name_fr": ["Ohey"]}), "silver", "communes")
    selection = [mod.footfall_calibration, mod.footfall_hourly, mod.footfall_profile]
    result = dg.materialize(
        selection,
        partition_key="2026-10-13",
        resources={"lake": LakeResource(root=str(tmp_path)), "settings": SettingsResource(suppression_k=10)},
    )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert not lake.exists("gold", "footfall_hourly", "2026-10-13")
    assert not lake.exists("gold", "footfall_site_hours", "2026-10-13")
    hourly = result.asset_materializations_for_node("footfall_hourly")
    statuses = {m.asset_key.path[-1]: m.metadata["status"].value for m in hourly}
    assert set(statuses.values()) == {"nothing to do: no sensor counts on these days"}
    assert lake.read("gold", "footfall_calibration").empty
    profile = lake.read("gold", "footfall_profile")
    assert profile["note"].notna().all() and profile["nis"].tolist() == ["92801"]
