"""The whole demo: generate the territory, materialise every asset, check the lake.

Runs once per session (module fixture) in a temporary data root: about a minute.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets import cli
from pipelines import db
from pipelines.lake import Lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory, monkeypatch_module) -> Lake:
    root = tmp_path_factory.mktemp("demo")
    monkeypatch_module.delenv("DAGSTER_HOME", raising=False)
    assert cli.main(["--data", str(root), "demo"]) == 0
    return Lake(root)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def warehouse(demo_lake):
    con = db.connect(demo_lake.warehouse, read_only=True)
    yield con
    con.close()


def test_required_views_exist_with_comments(warehouse):
    views = dict(warehouse.execute(
        "SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE NOT internal"
    ).fetchall())
    for name in ("silver.communes", "silver.sectors", "silver.shops", "silver.stops", "gold.h3_cells", "bronze.quarantine"):
        assert name in views, name
    assert all(views.values())


def test_ten_communes_and_population_conserved(warehouse):
    communes = warehouse.execute("SELECT count(*), sum(population) FROM silver.communes").fetchone()
    sectors = warehouse.execute("SELECT sum(population) FROM silver.sectors").fetchone()[0]
    cells = warehouse.execute("SELECT sum(population), count(DISTINCT nis) FROM gold.h3_cells").fetchone()
    assert communes[0] == 10
    assert communes[1] == sectors
    assert cells[0] == pytest.approx(sectors, rel=1e-9)
    assert cells[1] == 10


def test_every_ingest_balances_and_quarantines_with_reasons(warehouse):
    q = warehouse.execute("SELECT source, source_file, row_number, reason FROM bronze.quarantine").df()
    assert len(q) > 0
    assert q["reason"].str.len().gt(0).all()
    assert q["row_number"].ge(1).all()
    assert q["source_file"].str.len().gt(0).all()


def test_shops_keep_their_source_and_category(warehouse):
    rows = dict(warehouse.execute("SELECT source, count(*) FROM silver.shops GROUP BY 1").fetchall())
    assert set(rows) == {"kbo", "osm", "kbo+osm"}
    assert warehouse.execute("SELECT count(*) FROM silver.shops WHERE category IS NULL OR category = 'other'").fetchone()[0] == 0


def test_stops_without_departures_are_kept(warehouse):
    assert warehouse.execute("SELECT count(*) FROM silver.stops WHERE n_stop_times = 0").fetchone()[0] > 0


def test_daily_partitions_cover_the_demo_period(demo_lake):
    days = sorted(p.parent.name for p in (demo_lake.root / "lake" / "silver" / "sensor_counts").glob("day=*/part.parquet"))
    assert len(days) == 28 and days[0] == "day=2026-10-12"


def test_no_device_id_leaves_bronze(demo_lake):
    probes = pd.read_parquet(next((demo_lake.root / "lake" / "bronze" / "wifi_probes").glob("day=*/part.parquet")))
    assert "device_id" not in probes.columns
    raw = (demo_lake.landing / "wifi" / "probes").glob("*.csv")
    first_mac = pd.read_csv(next(raw))["device_id"].iloc[0]
    for path in (demo_lake.root / "lake").rglob("*.parquet"):
        assert first_mac.encode() not in path.read_bytes(), path


def test_exports_exist_twice(demo_lake):
    for layer in ("communes", "shops", "h3_cells"):
        assert (demo_lake.exports / f"{layer}.gpkg").exists()
        meta = pq.read_schema(demo_lake.exports / f"{layer}.parquet").metadata
        assert b"geo" in meta


AUDIT_COLUMNS = ["computed_at"]  # when a row was computed: differs by design between runs


def _data(path):
    return pd.read_parquet(path).drop(columns=AUDIT_COLUMNS, errors="ignore")


def test_rerun_is_idempotent(demo_lake):
    tables = sorted((demo_lake.root / "lake").glob("*/*.parquet"))
    before = {p: _data(p) for p in tables}
    assert cli.main(["--data", str(demo_lake.root), "run"]) == 0
    for path, frame in before.items():
        pd.testing.assert_frame_equal(frame, _data(path), obj=str(path))


def test_analyst_notebook_runs_on_the_demo(demo_lake, monkeypatch):
    """The code cells of notebooks/explore_warehouse.ipynb run top to bottom on the demo."""
    import json
    from pathlib import Path

    monkeypatch.setenv("SMARTCOMMERCE_DATA", str(demo_lake.root))
    notebook = Path(__file__).resolve().parents[2] / "notebooks" / "explore_warehouse.ipynb"
    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(notebook), "exec"), namespace)  # noqa: S102
    assert len(namespace["communes"]) == 10
    assert namespace["views"]["comment"].str.len().gt(0).all()
    namespace["con"].close()


def test_bronze_tables_have_their_declared_columns(demo_lake):
    """pipelines/tables.py (the typed empty tables of missing sources) matches the readers."""
    from pipelines import tables

    for name in tables.BRONZE:
        path = demo_lake.table_path("bronze", name)
        if not path.exists():
            path = next((demo_lake.root / "lake" / "bronze" / name).glob("day=*/part.parquet"))
        columns = [c for c in pq.read_schema(path).names if c != "bbox"]
        assert columns == tables.columns(name), name


def test_crosswalk_conserves_each_sector_and_the_revealed_catchment_runs_without_it(demo_lake, warehouse):
    """gold.cell_sectors shares every sector out whole; a lake built before it existed still
    gets its revealed catchment (computed the slow way, with a warning), with the same table."""
    import dagster as dg

    from assets.definitions import all_assets
    from assets.resources import LakeResource, SettingsResource

    worst, sectors = warehouse.execute(
        "SELECT max(abs(w - 1)), count(*) FROM (SELECT sector_id, sum(weight) AS w FROM gold.cell_sectors GROUP BY sector_id)"
    ).fetchone()
    assert worst < 1e-9 and sectors == warehouse.execute("SELECT count(*) FROM silver.sectors").fetchone()[0]
    before = demo_lake.read("gold", "catchment_comparison")
    path = demo_lake.table_path("gold", "cell_sectors")
    aside = path.with_name("cell_sectors.aside")
    path.rename(aside)
    try:
        result = dg.materialize(
            all_assets, selection=dg.AssetSelection.assets(["gold", "revealed_catchment"], ["gold", "catchment_comparison"]),
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            resources={"lake": LakeResource(root=str(demo_lake.root)), "settings": SettingsResource()},
        )
        assert result.success
        pd.testing.assert_frame_equal(before, demo_lake.read("gold", "catchment_comparison"))
    finally:
        aside.rename(path)


def test_worker_processes_change_no_table(demo_lake, monkeypatch):
    """The modes of the street network, the searches of the travel times and of the friction
    matrices run in worker processes (the demo ran with the machine's cores): one process
    computes the same tables."""
    from assets.gold.catchment import NETWORK
    from assets.gold.friction import read_static_inputs
    from pipelines.catchment import build
    from pipelines.friction.build import build_static
    from pipelines.network import mode_networks
    from pipelines.sources import loaders, osm_extract
    from pipelines.workers import WORKERS_ENV

    monkeypatch.setenv(WORKERS_ENV, "1")
    bbox = tuple(float(v) for v in demo_lake.read("silver", "communes").total_bounds)
    graph = osm_extract.read_street_graph(loaders.osm_file(demo_lake.landing), bbox=bbox)
    pd.testing.assert_frame_equal(mode_networks(graph)[1], demo_lake.read("silver", "network_edges"), check_exact=True, check_dtype=False)
    read = NETWORK.reader(demo_lake).read
    times = build.travel_times(read("silver.network_nodes"), read("silver.network_edges"), read("gold.h3_cells"), read("gold.districts"))
    pd.testing.assert_frame_equal(times.frame, demo_lake.read("gold", "travel_times"), check_exact=True, check_dtype=False)
    static = build_static(read_static_inputs(demo_lake))
    stored = demo_lake.read("gold", "friction_static")
    pd.testing.assert_frame_equal(static.rows.reset_index(drop=True), stored.reset_index(drop=True), check_exact=True, check_dtype=False)
