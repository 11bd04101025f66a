"""The Smart Commerce Canvas on the whole demo: reports, tables, styled exports, notebooks.

Runs the demo once in a temporary data root (module fixture, about a minute or two).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from report_text import map_svgs, slips, street_names

from assets import cli
from pipelines import db
from pipelines.canvas.build import build_canvas
from pipelines.canvas.pdf import A4_PT, find_chromium, page_sizes
from pipelines.lake import Lake
from pipelines.sources.registry import FAMILIES

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("canvas-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["--data", str(root), "demo"]) == 0
    return Lake(root)


def test_ten_reports_and_the_index_are_self_contained(demo):
    folder = demo.exports / "reports"
    communes = demo.read("silver", "communes")
    for nis, name in zip(communes["nis"].astype(str), communes["name_fr"], strict=True):
        html = (folder / f"{nis}.html").read_text(encoding="utf-8")
        assert name in html and "Plan d'action" in html and "Inventaire des données" in html
        assert "Sensibilité" in html and html.count("<svg") >= 5  # 4 maps + pillar chart (+ footfall charts where sensors exist)
        assert not re.search(r"(src|href)=['\"]https?://|@import|url\(http", html)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f"{nis}.html" in index for nis in communes["nis"].astype(str))


def test_no_report_has_a_slip(demo):
    """No raw source code, English word, "0,0", plural after 1 or raw ratio in any report."""
    found = {}
    for page in sorted((demo.exports / "reports").glob("*.html")):
        if found_here := slips(page.read_text(encoding="utf-8")):
            found[page.name] = sorted(set(found_here))[:10]
    assert found == {}


def test_frictions_are_read_against_their_reference_not_a_rank(demo):
    """Every ranked friction point states its documented reference and the gap to it, in the
    direction of the reference (a maximum is exceeded, a minimum is missed)."""
    for page in sorted((demo.exports / "reports").glob("[0-9]*.html")):
        text = page.read_text(encoding="utf-8")
        summary = text.split("Point fort")[1].split("</ol>")[0]
        assert "rang" not in summary and "entre bornes fixes" in summary, page.name  # the headline is the score, not a rank
        section = text.split('id="frictions"')[1].split("</section>")[0]
        assert "Percentile" not in section and "<th>Référence</th>" in section, page.name
        rows = section.split("<tr>")[2:]
        for row in rows:
            if "colspan" in row:
                continue
            assert ("≥" in row and "manque" in row) or ("≤" in row and "dépasse de" in row), (page.name, row[:200])


def test_every_map_shows_street_names_and_a_scale_bar(demo):
    for page in sorted((demo.exports / "reports").glob("[0-9]*.html")):
        maps = map_svgs(page.read_text(encoding="utf-8"))
        assert len(maps) == 4, page.name
        assert all(street_names(m) for m in maps), (page.name, [len(street_names(m)) for m in maps])


def test_modelled_footfall_is_labelled_as_modelled_and_the_comparison_is_shown(demo):
    folder = demo.exports / "reports"
    communes = demo.read("silver", "communes")
    sensors = set(demo.read("silver", "sensors")["nis"].astype(str))
    for nis in communes["nis"].astype(str):
        page = (folder / f"{nis}.html").read_text(encoding="utf-8")
        if nis not in sensors:
            assert "Fréquentation piétonne modélisée" in page and "(modélisés)" in page, nis
            assert "non calculable" not in page.split('id="frequentation"')[1].split("</section>")[0], nis
    shown = [nis for nis in communes["nis"].astype(str) if "Part observée (chèques)" in (folder / f"{nis}.html").read_text(encoding="utf-8")]
    assert shown  # the modelled-vs-observed catchment, where vouchers or operator flows exist


def test_a_pdf_per_commune_fits_a4(demo):
    if find_chromium() is None:
        pytest.skip("no Chromium: PDF printing is skipped (the pdf command says so)")
    assert cli.main(["--data", str(demo.root), "pdf"]) == 0
    for nis in demo.read("silver", "communes")["nis"].astype(str):
        sizes = page_sizes(demo.exports / "reports" / f"{nis}.pdf")
        assert sizes and all(abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2 for w, h in sizes), (nis, set(sizes))


def test_canvas_tables_cover_the_ten_communes(demo):
    con = db.connect(demo.warehouse, read_only=True)
    try:
        counts = dict(con.sql("""
            SELECT 'canvas', count(DISTINCT nis) FROM gold.canvas UNION ALL
            SELECT 'actions', count(DISTINCT nis) FROM gold.actions UNION ALL
            SELECT 'cadastre', count(DISTINCT nis) FROM gold.data_cadastre UNION ALL
            SELECT 'pillars', count(DISTINCT nis) FROM gold.canvas_pillars""").fetchall())
        assert counts == {"canvas": 10, "actions": 10, "cadastre": 10, "pillars": 10}
        assert con.sql("SELECT count(*) FROM gold.data_cadastre").fetchone()[0] == 10 * len(FAMILIES)
        leaked = con.sql("SELECT count(*) FROM gold.canvas WHERE status <> 'computed' AND value IS NOT NULL").fetchone()[0]
        assert leaked == 0
    finally:
        con.close()


def test_same_input_same_scores(demo):
    from assets.gold.canvas import read_frames

    frames = read_frames(demo)
    cadastre = demo.read("gold", "data_cadastre")
    again = build_canvas(frames, cadastre)
    pd.testing.assert_frame_equal(again.pillars, demo.read("gold", "canvas_pillars"), check_dtype=False)


def test_scorecard_csv_and_styled_geopackages(demo):
    csv = pd.read_csv(demo.exports / "canvas_scorecard.csv")
    assert {"commune", "etape", "libelle", "valeur", "statut", "necessite", "percentile_toutes"} <= set(csv.columns)
    assert csv["commune"].nunique() == 10
    for name in ("canvas.gpkg", "canvas_scorecard.gpkg"):
        path = demo.exports / name
        styles = pyogrio.read_dataframe(path, layer="layer_styles")
        layers = [row[0] for row in pyogrio.list_layers(path) if row[0] != "layer_styles"]
        assert set(styles["f_table_name"]) == set(layers) and styles["useAsDefault"].all()
        with sqlite3.connect(path) as con:
            titles = dict(con.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall())
        assert all(titles[layer] != layer for layer in layers)  # a French title, not the table name
    assert (demo.exports / "canvas_scorecard.parquet").exists()


@pytest.mark.parametrize("name", ["commune_deep_dive.ipynb", "commune_comparison.ipynb"])
def test_canvas_notebooks_run_on_the_demo(demo, monkeypatch, name):
    monkeypatch.setenv("SMARTCOMMERCE_DATA", str(demo.root))
    notebook = REPO / "notebooks" / name
    namespace: dict = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(notebook), "exec"), namespace)  # noqa: S102
    namespace["con"].close()
    if name == "commune_deep_dive.ipynb":
        assert len(namespace["card"]) == len(namespace["card"]["name_fr"].unique()) > 15
        assert namespace["transit_map"].startswith("<svg") and namespace["pillar_chart"].startswith("<svg")
        assert len(namespace["actions"]) > 0
    else:
        assert len(namespace["table"]) == 10 and namespace["score_map"].startswith("<svg")


def test_the_online_journey_is_judged_where_a_survey_exists_and_asked_for_elsewhere(demo):
    """Three demo communes hold a merchant survey: their online-purchase indicators are
    computed; the others are not computable (needs survey) and get the survey data action."""
    canvas = demo.read("gold", "canvas")
    online = canvas[canvas["indicator"] == "online_webshop_share"].set_index("nis")
    surveyed = {p.stem for p in (demo.landing / "survey").glob("*.csv")}
    assert len(surveyed) == 3
    for nis, row in online.iterrows():
        if nis in surveyed:
            assert row["status"] == "computed" and 0 <= row["value"] <= 100, nis
        else:
            assert row["status"] == "not_computable" and list(row["needs"]) == ["survey"], nis
    actions = demo.read("gold", "actions")
    asked = set(actions.loc[actions["action"] == "merchant_survey", "nis"].astype(str))
    assert asked == set(online.index.astype(str)) - surveyed
    # the OSM side of being found online is computed everywhere
    website = canvas[canvas["indicator"] == "online_website_share"]
    assert (website["status"] == "computed").all()


def test_the_consultant_section_and_a_rejected_action_out_of_the_plan(demo):
    """Valmeuse's consultant rejected the TEC request and added a market: the report shows
    who validated and when, the rejected action only among the rejected, the added one in the
    plan."""
    html = (demo.exports / "reports" / "92801.html").read_text(encoding="utf-8")
    plan = html[html.index('<section id="actions"'):html.index('<section id="consultant"')]
    consultant = html[html.index('<section id="consultant"'):]
    consultant = consultant[:consultant.index("</section>")]
    assert "Audit validé par" in consultant and "Actions écartées" in consultant
    assert "Demander au TEC" not in plan and "Demander au TEC" in consultant
    assert "marché hebdomadaire" in plan and "ajoutée par le consultant" in plan
    other = (demo.exports / "reports" / "92813.html").read_text(encoding="utf-8")
    assert "pas encore été validé" in other or "non validé" in other or "Validation par le consultant" in other


def test_every_commune_report_links_to_the_regional_cockpit(demo):
    reports = sorted((demo.exports / "reports").glob("[0-9]*.html"))
    assert reports and all('href="../cockpit/index.html"' in p.read_text(encoding="utf-8") for p in reports)
    assert (demo.exports / "cockpit" / "index.html").exists()


def test_reports_in_worker_processes_are_the_reports_of_one_process(demo, monkeypatch):
    from assets.gold.canvas import report_inputs
    from pipelines.canvas.report import render_reports
    from pipelines.workers import WORKERS_ENV

    pages = {}
    for n in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, n)
        pages[n] = render_reports(report_inputs(demo))
    assert len(pages["1"]) == 11 and pages["1"] == pages["2"]
