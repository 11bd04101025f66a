"""SVG maps/charts are valid XML; the styled GeoPackage carries French titles and QGIS styles."""

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from pipelines.canvas import checks, qgis, svg


def test_map_is_valid_svg_with_legend_and_scale(communes, districts):
    out = svg.map_svg([svg.Layer(communes.geometry, ["#eee", "#ddd", "#ccc"]), svg.Layer(districts.geometry, "#c0392b")],
                      communes.geometry, svg.Legend([("#c0392b", "noyau")], "Légende"), "Carte")
    root = ET.fromstring(out)
    assert root.tag.endswith("svg")
    assert out.count("<path") == 6 and "1 km" in out and "Légende" in out
    assert "http://" not in out.replace("http://www.w3.org/2000/svg", "")


def _street_paths(out: str) -> tuple[int, int]:
    """Vertices drawn in the minor and the major street paths of a map."""
    root = ET.fromstring(out)
    paths = {p.get("stroke"): p.get("d") for p in root.iter("{http://www.w3.org/2000/svg}path")}
    return paths["#c9c9c2"].count("M") + paths["#c9c9c2"].count("L"), paths["#a8a8a0"].count("M") + paths["#a8a8a0"].count("L")


def test_streets_off_the_frame_are_culled_and_a_regional_map_keeps_the_major_roads():
    import shapely

    # a 1 km street grid around (150 km, 150 km), one street in three major, and a street 50 km away
    lines = [shapely.LineString([(150_000 + 100 * i, 149_500), (150_000 + 100 * i, 150_500)]) for i in range(-5, 6)]
    lines.append(shapely.LineString([(200_000, 150_000), (200_100, 150_000)]))
    streets = gpd.GeoSeries(lines, crs="EPSG:31370")
    major = np.array([i % 3 == 0 for i in range(len(lines))])
    base = svg.Basemap(streets, major)
    town = gpd.GeoSeries([shapely.box(149_500, 149_500, 150_500, 150_500)], crs="EPSG:31370")
    minor, big = _street_paths(svg.map_svg([], town, basemap=base))
    assert (minor, big) == (2 * 7, 2 * 4)  # the far street is not drawn
    region = gpd.GeoSeries([shapely.box(120_000, 120_000, 180_000, 180_000)], crs="EPSG:31370")
    assert svg.MINOR_STREETS_MAX_M_PER_PX < 60_000 / 540
    minor, big = _street_paths(svg.map_svg([], region, basemap=base))
    assert (minor, big) == (0, 2 * 4)


def test_quantile_classes_and_charts_parse():
    colours, legend = svg.classes(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), ("#a", "#b"))
    assert colours == ["#a", "#a", "#b", "#b", "#dddddd"] and len(legend) == 2
    for chart in (svg.line_chart({"a": [1, 2, 3]}, ["0", "1", "2"], ["#000"], "t"),
                  svg.bar_chart([1.0, np.nan], ["x", "y"], title="t"),
                  svg.pillar_chart([{"label": "Venir", "score": 40.0, "low": 30.0, "high": 55.0, "others": [(20.0, True), (80.0, False)]},
                                    {"label": "Rester", "score": float("nan")}])):
        ET.fromstring(chart)


def test_styled_gpkg_has_titles_and_default_styles(tmp_path, communes):
    frame = communes.assign(score=[10.0, 50.0, 90.0])
    layer = qgis.StyledLayer("scores", frame, "Scores des communes", qgis.graduated_qml("score", qgis.SCORE_RANGES))
    cats = qgis.StyledLayer("communes", frame, "Communes", qgis.categorized_qml("nis", [("10001", "A", "#ff0000")]))
    content = qgis.styled_gpkg([layer, cats])
    assert isinstance(content, bytes) and not list(tmp_path.iterdir())  # bytes, no file written
    path = tmp_path / "c.gpkg"
    path.write_bytes(content)
    names = [row[0] for row in pyogrio.list_layers(path)]
    assert names == ["scores", "communes", "layer_styles"]
    styles = pyogrio.read_dataframe(path, layer="layer_styles")
    assert styles["f_table_name"].tolist() == ["scores", "communes"] and styles["useAsDefault"].all()
    for qml in styles["styleQML"]:
        root = ET.fromstring(qml.split("'SYSTEM'>", 1)[1])
        assert root.find("renderer-v2") is not None
    with sqlite3.connect(path) as con:
        titles = dict(con.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall())
    assert titles["scores"] == "Scores des communes"
    assert len(gpd.read_file(path, layer="scores")) == 3
    assert pyogrio.read_dataframe(path, layer="communes")["score"].tolist() == [10.0, 50.0, 90.0]


def test_reports_check_reads_the_files_handed_to_the_lake():
    peers = pd.DataFrame({"nis": ["10001", "10002"]})
    page = b"<html><body>rapport</body></html>"
    files = {"reports/10001.html": page, "reports/10002.html": page, "reports/index.html": page}
    assert checks.reports_complete(files, peers).passed
    missing = checks.reports_complete({k: v for k, v in files.items() if k != "reports/10002.html"}, peers)
    assert not missing.passed and missing.metadata["missing"] == "10002.html"
    external = checks.reports_complete(files | {"reports/index.html": b'<img src="http://cdn.example/x.png">'}, peers)
    assert not external.passed and external.metadata["external_refs"] == "index.html"


def test_scorecard_csv_has_french_labels():
    canvas = pd.DataFrame([{c: None for c in qgis.SCORECARD_FR} | {"needs": ["gtfs"], "status": "not_computable"}])
    out = qgis.scorecard_csv(canvas)
    assert "percentile_voisines" in out.columns and out["statut"].iloc[0] == "non calculable" and out["necessite"].iloc[0] == "gtfs"


def test_a_regional_map_names_the_towns_and_the_major_roads_only():
    import shapely

    from pipelines.canvas import report

    def metric(geoms, **columns):
        return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:31370").to_crs("EPSG:4326")

    empty = gpd.GeoDataFrame({"nis": pd.Series(dtype="str"), "district_id": pd.Series(dtype="str")}, geometry=[], crs="EPSG:4326")
    streets = metric([shapely.LineString([(150_000, 150_000 + 10 * i), (151_000, 150_000 + 10 * i)]) for i in range(2)],
                     u=[0, 2], v=[1, 3], name=["Rue du Village", "Chaussée de Namur"], highway=["residential", "primary"])
    places = metric([shapely.Point(150_500, 150_200), shapely.Point(150_600, 150_300)], name=["Ciney", "Musée du Coin"],
                    subtype=["town", "museum"])
    inp = report.ReportInputs(
        catalogue=None, peers=pd.DataFrame(), canvas=pd.DataFrame(), pillars=pd.DataFrame(), actions=pd.DataFrame(), cadastre=pd.DataFrame(),
        scenarios=pd.DataFrame(),
        communes=metric([shapely.box(149_000, 149_000, 152_000, 152_000)], nis=["91030"]), districts=empty, catchment=empty,
        footfall=empty, friction_cells=empty, footfall_curve=pd.DataFrame(), streets=streets, places=places)
    town = report.basemap(inp, "91030", shapely.box(149_500, 149_500, 151_500, 151_500))
    assert sorted(p[0] for p in town.places) == ["Ciney", "Musée du Coin"]
    assert sorted(name for name, _ in town.labels) == ["Chaussée de Namur", "Rue du Village"] and len(town.streets) == 2
    region = report.basemap(inp, "91030", shapely.box(120_000, 120_000, 180_000, 180_000))
    assert [p[0] for p in region.places] == ["Ciney"]
    assert [name for name, _ in region.labels] == ["Chaussée de Namur"] and len(region.streets) == 1


def test_a_long_list_of_communes_is_cut_and_counted():
    from pipelines.canvas.report import name_list

    assert name_list([]) == "aucune"
    assert name_list(["Ciney", "Dinant"]) == "Ciney, Dinant"
    names = [f"C{i}" for i in range(14)]
    assert name_list(names) == ", ".join(names[:12]) + " et 2 autres"
    assert name_list(names[:13]) == ", ".join(names[:12]) + " et 1 autre"
