"""benchmarks/cockpit.py: the seeded Canvas tables it makes up and the section it writes."""

import geopandas as gpd
from shapely.geometry import box

from benchmarks import cockpit as bench
from benchmarks.report import replace_section
from pipelines.cockpit.tables import build_region_tables


def test_synthetic_canvas_is_seeded_and_feeds_the_cockpit():
    communes = gpd.GeoDataFrame({"nis": ["92001", "61001", "53001"], "commune": ["A", "B", "C"], "population": [1.0, 2.0, 3.0]},
                                geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:31370").to_crs("EPSG:4326")
    one, two = bench.synthetic_canvas(communes), bench.synthetic_canvas(communes)
    assert one["pillars"].equals(two["pillars"]) and one["actions"].equals(two["actions"])
    tables = build_region_tables(communes, one["peers"], one["pillars"], one["actions"], one["cadastre"], "bench")
    assert set(tables.communes["group"]) == {"bep", "spi", "idea"} and len(tables.pillars) == 5


def test_markdown_section(tmp_path):
    result = {"source": "x", "communes": 262, "groups": 7, "largest_group": "spi (84 communes)", "tables_s": 0.2, "pages_s": 2.5,
              "region_kb": 425.0, "load": {"load_ms": 390.0, "wall_s": 1.7, "runs": 3}}
    text = bench.markdown(result)
    assert "| 390 ms |" in text and text.startswith("## Cockpit")
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n", encoding="utf-8")
    replace_section(doc, "cockpit", text)
    replace_section(doc, "cockpit", bench.markdown(result | {"load": None}))
    body = doc.read_text(encoding="utf-8")
    assert body.count("## Cockpit") == 1 and "chromium not installed" in body
