"""Snapshot of the asset graph: groups, keys, descriptions, owners, kinds, automation."""

import dagster as dg

from assets.bronze import landing_specs
from assets.definitions import all_assets, defs
from pipelines.sources.registry import FAMILIES

GROUPS = {"bronze", "silver", "gold", "exports"}


def _specs():
    return [spec for a in all_assets for spec in a.specs]


def test_definitions_load_and_resolve():
    graph = defs.resolve_asset_graph()
    assert len(list(graph.get_all_asset_keys())) == len(_specs()) + len(landing_specs)
    assert {j.name for j in defs.jobs} == {"refresh_day", "refresh_static"}
    for job in ("refresh_day", "refresh_static"):
        selected = defs.resolve_job_def(job).asset_layer.selected_asset_keys
        assert not any(k.path[0] == "landing" for k in selected), job
    assert [s.name for s in defs.schedules] == ["nightly_refresh"]
    assert [s.name for s in defs.sensors] == ["landing_zone_sensor"]


def test_every_asset_is_grouped_by_layer_described_and_owned():
    for spec in _specs():
        assert spec.group_name in GROUPS, spec.key
        assert spec.key.path[0] == spec.group_name, spec.key
        assert spec.description and len(spec.description) > 20, spec.key
        assert spec.owners, spec.key
        assert spec.kinds, spec.key


def test_required_relations_exist():
    keys = {"/".join(s.key.path) for s in _specs()}
    for required in ("silver/communes", "silver/sectors", "silver/shops", "silver/stops", "gold/h3_cells",
                     "exports/communes", "exports/shops", "exports/h3_cells", "exports/warehouse"):
        assert required in keys


def test_nightly_schedule_runs_at_two_in_brussels():
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Brussels"


def test_time_series_are_daily_partitioned():
    partitioned = {"/".join(s.key.path) for a in all_assets if a.partitions_def is not None for s in a.specs}
    assert {"bronze/wifi_counts", "bronze/counter_counts", "bronze/od_flows", "bronze/transactions",
            "silver/sensor_counts", "silver/od_flows", "silver/transactions"} <= partitioned
    for a in all_assets:
        if a.partitions_def is not None:
            assert isinstance(a.partitions_def, dg.DailyPartitionsDefinition)
            assert a.partitions_def.timezone == "Europe/Brussels"


def test_landing_sensor_requests():
    from assets.automation import landing_requests

    reqs = landing_requests(["wifi/counts/2026-10-25.csv", "od/2026-10-25.csv", "kbo/enterprise.csv"], "day", "static")
    assert [(r.job_name, r.partition_key) for r in reqs] == [("day", "2026-10-25"), ("static", None)]


def test_landing_sensor_sees_new_files_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCOMMERCE_DATA", str(tmp_path))
    (tmp_path / "landing" / "od").mkdir(parents=True)
    (tmp_path / "landing" / "od" / "2026-10-25.csv").write_text("x")
    sensor = defs.resolve_sensor_def("landing_zone_sensor")

    def tick(cursor=None):
        context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral(), definitions=defs)
        return sensor.evaluate_tick(context)

    first = tick()
    assert [(r.job_name, r.partition_key) for r in first.run_requests] == [("refresh_day", "2026-10-25")]
    again = tick(first.cursor)
    assert again.run_requests == []
    (tmp_path / "landing" / "kbo").mkdir()
    (tmp_path / "landing" / "kbo" / "enterprise.csv").write_text("x")
    third = tick(first.cursor)
    assert [r.job_name for r in third.run_requests] == ["refresh_static"]


def test_nightly_tick_requests_yesterdays_partition():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    schedule = defs.resolve_schedule_def("nightly_refresh")
    at = datetime(2026, 10, 26, 2, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # the night after DST ended
    context = dg.build_schedule_context(
        scheduled_execution_time=at, instance=dg.DagsterInstance.ephemeral(), repository_def=defs.get_repository_def()
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-10-25"


def test_daily_sources_have_a_freshness_policy():
    daily = [s for a in all_assets if a.partitions_def is not None for s in a.specs if s.key.path[0] == "bronze"]
    assert daily
    for spec in daily:
        assert spec.freshness_policy is not None, spec.key
        assert spec.freshness_policy.warn_window.to_timedelta().total_seconds() == 26 * 3600


def test_landing_zone_is_one_external_asset_per_family_read_by_its_bronze_assets():
    graph = defs.resolve_asset_graph()
    landing = {s.key for s in landing_specs}
    assert landing == {dg.AssetKey(["landing", f.name]) for f in FAMILIES.values() if f.patterns}
    assert all(not graph.get(k).is_materializable for k in landing)
    for family in FAMILIES.values():
        for bronze in family.assets:
            parents = graph.get(dg.AssetKey(["bronze", bronze.name])).parent_keys
            assert parents == {dg.AssetKey(["landing", family.name])}, bronze.name
    # the street graph is read from the OSM landing files, and says so
    assert dg.AssetKey(["landing", "osm"]) in graph.get(dg.AssetKey(["silver", "road_network"])).parent_keys
    assert dg.AssetKey(["bronze", "district_outlines"]) in graph.get(dg.AssetKey(["gold", "districts"])).parent_keys
