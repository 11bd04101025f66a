"""The cockpit pages: offline, one publishable folder per group, reports linked back."""

import re

import pandas as pd
from cockpit_support import NIS, tables

from pipelines.cockpit import checks
from pipelines.cockpit.pages import BACKLINK_MARK, build_pages, with_backlink


def _reports():
    # Dville has no report
    return {n: f"<!DOCTYPE html><html><body class='x'><a href=\"index.html\">toutes</a><h1>{n}</h1></body></html>" for n in NIS[:3]}


def _write(files, root):
    """Write the returned files under ``root`` (standing for ``exports/``); ``root/cockpit``."""
    for name, content in files.items():
        path = root.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root / "cockpit"


def test_pages_and_group_folders(tmp_path):
    t = tables()
    files = build_pages(t, _reports(), {"edition": "2026-12-06"})
    assert all(name.startswith("cockpit/") for name in files)
    out = _write(files, tmp_path)
    assert {p.name for p in out.iterdir()} >= {"index.html", "bep", "spi", "idea", "communes.gpkg", "communes.parquet"}
    assert sorted(p.name for p in (out / "bep" / "rapports").iterdir()) == ["92001.html", "92002.html"]
    assert not [n for n in files if n.startswith("cockpit/idea/rapports/")]  # no report: none copied, the page says so
    report = (out / "bep" / "rapports" / "92001.html").read_text(encoding="utf-8")
    assert BACKLINK_MARK in report and report.count('href="../index.html"') == 2 and report.index("<body") < report.index(BACKLINK_MARK)
    assert 'href="index.html"' not in report  # the reports' index is not in the group folder
    region = (out / "index.html").read_text(encoding="utf-8")
    group = (out / "bep" / "index.html").read_text(encoding="utf-8")
    for page in (region, group):
        assert 'id="map"' in page and 'id="needs-matrix"' in page and 'id="data-priorities"' in page and 'id="pillar"' in page
        assert "Une seule édition" in page and "Installer des compteurs piétons" in page
        assert "sans indicateur ni action à débloquer : Périmètres des noyaux commerciaux" in page
        assert not checks.EXTERNAL.search(page)
    assert 'href="bep/rapports/92001.html"' in region and 'href="bep/index.html"' in region
    groups_table = region[region.index('id="groupes"'):region.index('id="carte"')]
    assert "Compteurs piétons et vélos (1)" in groups_table and "Périmètres" not in groups_table  # unlocks nothing
    # a group's page only links inside its folder and only to its communes
    links = set(re.findall(r'href="([^"#]+)"', group))
    assert links == {"rapports/92001.html", "rapports/92002.html", "communes.gpkg", "communes.parquet"}
    assert "Cville" not in group and "Dville (rapport absent)" in (out / "idea" / "index.html").read_text(encoding="utf-8")
    result = checks.pages_complete(out, t.communes)
    assert result.passed and result.metadata["reports_missing"] == 1 and result.metadata["reports_copied"] == 3


def test_evolution_shown_with_two_editions(tmp_path):
    past = pd.DataFrame({"edition": ["2025-11-01"] * 2, "nis": ["92001", "92002"], "pillar": ["be_found"] * 2, "score": [5.0, 50.0]})
    out = _write(build_pages(tables(editions=past), _reports(), {"edition": "2026-12-06"}), tmp_path)
    page = (out / "bep" / "index.html").read_text(encoding="utf-8")
    assert "Une seule édition" not in page and "2025-11-01" in page
    assert "Aville +5,0" in page and "Bville −20,0".replace("−", "-") in page


def test_backlink_is_added_once():
    html = with_backlink("<html><body><p>x</p></body></html>", "../index.html", "BEP")
    assert with_backlink(html, "../index.html", "BEP") == html and html.count(BACKLINK_MARK) == 1


def test_external_resource_fails_the_check(tmp_path):
    t = tables()
    _write(build_pages(t, _reports(), {"edition": "e"}), tmp_path)
    page = tmp_path / "cockpit" / "spi" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</head>", '<script src="https://cdn.example/x.js"></script></head>'), encoding="utf-8")
    result = checks.pages_complete(tmp_path / "cockpit", t.communes)
    assert not result.passed and result.metadata["external_resources"] == "spi/index.html"


def test_a_link_leaving_the_group_folder_fails_the_check(tmp_path):
    t = tables()
    _write(build_pages(t, _reports(), {"edition": "e"}), tmp_path)
    report = tmp_path / "cockpit" / "bep" / "rapports" / "92001.html"
    report.write_text(report.read_text(encoding="utf-8").replace("</body>", '<a href="../../spi/rapports/61001.html">x</a></body>'), encoding="utf-8")
    result = checks.pages_complete(tmp_path / "cockpit", t.communes)
    assert not result.passed and result.metadata["broken_links"] == "bep/rapports/92001.html -> ../../spi/rapports/61001.html"


def test_geopackages_are_titled_and_styled_for_qgis(tmp_path):
    import sqlite3

    out = _write(build_pages(tables(), _reports(), {"edition": "e"}), tmp_path)
    with sqlite3.connect(out / "bep" / "communes.gpkg") as con:
        title = con.execute("SELECT identifier FROM gpkg_contents WHERE table_name = 'communes'").fetchone()[0]
        styles = con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall()
        count = con.execute("SELECT count(*) FROM communes").fetchone()[0]
    assert title == "BEP : communes (couleur : Être trouvé)" and count == 2
    assert styles[0][0] == "communes" and "score_be_found" in styles[0][1]


def test_one_commune_without_actions_scores_or_missing_source(tmp_path):
    """A one-commune territory where nothing could be scored, no action fired and every
    source is held: the pages still say so instead of failing."""
    import cockpit_support as tiny

    from pipelines.cockpit.tables import build_region_tables

    one = tiny.communes().head(1)
    pillars = tiny.pillars().head(2).assign(score=float("nan"))
    cadastre = tiny.cadastre().head(1)
    t = build_region_tables(one, tiny.peers().head(1), pillars, tiny.actions().iloc[0:0], cadastre, "e")
    assert t.needs.empty and t.data_priorities.empty and t.communes["priority_actions"].tolist() == [0]
    out = _write(build_pages(t, _reports(), {"edition": "e"}), tmp_path)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Aucune action" in page and "Toutes les sources" in page and 'fill="#d9d9d9"' in page
