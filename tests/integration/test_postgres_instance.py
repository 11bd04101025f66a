"""The Dagster instance on a real PostgreSQL, configured by `docs/deployment/team/dagster.yaml` alone:
materialise part of the demo, then read the runs and the event log back, through Dagster and
straight from PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import all_assets
from assets.resources import LakeResource, SettingsResource

REPO = Path(__file__).resolve().parents[2]
PART = ["bronze/statbel_communes", "bronze/statbel_sectors", "silver/communes", "silver/sectors"]

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_instance(postgres_server, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "docs" / "deployment" / "team" / "dagster.yaml", home / "dagster.yaml")
    for name, value in postgres_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_runs_and_event_log_live_in_postgres(pg_instance, postgres_server, demo_root):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    assert isinstance(pg_instance.run_storage, PostgresRunStorage)
    assert isinstance(pg_instance.event_log_storage, PostgresEventLogStorage)

    result = dg.materialize(
        all_assets,
        selection=PART,
        instance=pg_instance,
        resources={"lake": LakeResource(root=str(demo_root)), "settings": SettingsResource()},
    )
    assert result.success

    runs = pg_instance.get_runs()
    assert [r.run_id for r in runs] == [result.run_id]
    assert runs[0].status == dg.DagsterRunStatus.SUCCESS
    events = pg_instance.all_logs(result.run_id)
    materialised = {e.dagster_event.asset_key.to_user_string() for e in events
                    if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"}
    assert materialised == set(PART)
    latest = pg_instance.fetch_materializations(dg.AssetKey(["silver", "communes"]), limit=1).records
    assert latest[0].run_id == result.run_id

    import psycopg2

    con = psycopg2.connect(host=postgres_server.host, port=postgres_server.port,
                           user=postgres_server.user, password=postgres_server.password,
                           dbname=postgres_server.db_name)
    try:
        cur = con.cursor()
        cur.execute("SELECT run_id, status FROM runs")
        assert cur.fetchall() == [(result.run_id, "SUCCESS")]
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
                    (result.run_id, "ASSET_MATERIALIZATION"))
        assert cur.fetchone()[0] == len(PART)
    finally:
        con.close()
