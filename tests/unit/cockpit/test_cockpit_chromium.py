"""The region page rendered by headless Chromium (Debian's ``chromium``): the map, the needs
matrix and the data priorities are in the rendered DOM, the pillar control recolours the map,
and no script error is logged. Skipped without Chromium on a developer's machine; fails under
``CI`` (``.ci/system-deps.sh`` installs it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from cockpit_support import tables

from pipelines.cockpit.pages import build_pages, score_colour

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing under CI: .ci/system-deps.sh installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def dump_dom(url: str) -> tuple[str, str]:
    done = subprocess.run([chromium(), *FLAGS, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout, done.stderr


@pytest.fixture(scope="module")
def region_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("cockpit")
    for name, content in build_pages(tables(), {}, {"edition": "2026-12-06"}).items():  # Chromium reads files
        path = out.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return out / "cockpit" / "index.html"


def test_region_page_renders_map_matrix_and_priorities(region_page):
    dom, log = dump_dom(region_page.as_uri())
    assert len(re.findall(r"<path data-nis=", dom)) == 4
    assert 'id="needs-matrix"' in dom and dom.count('class="c p"') > 0
    assert 'id="data-priorities"' in dom and "Compteurs piétons et vélos" in dom
    assert 'data-pillar="be_found"' in dom
    assert "Uncaught" not in log


def test_pillar_control_recolours_the_map(region_page):
    dom, log = dump_dom(region_page.as_uri() + "#pillar=get_there")
    assert 'data-pillar="get_there"' in dom
    path = re.search(r'<path data-nis="92001"[^>]*fill="([^"]+)"', dom)
    assert path and path.group(1) == score_colour(90.0)  # Aville: get_there 90 (be_found 10)
    assert "Uncaught" not in log


def test_group_filter_dims_the_map_and_hides_other_rows(region_page):
    dom, log = dump_dom(region_page.as_uri() + "#groupe=bep")
    assert 'data-group="bep"' in dom.split("<head")[0]  # the <html> element records the filter
    assert re.search(r'<path data-nis="61001" data-group="spi"[^>]*class="dim"', dom)
    assert re.search(r'<tr data-group="spi" class="hidden">', dom) and not re.search(r'<tr data-group="bep" class="hidden">', dom)
    assert "Uncaught" not in log
