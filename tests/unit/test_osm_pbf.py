"""The PBF reader gives the XML reader's POIs and street graph, and clips to a box."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from support import realdata_path

from pipelines.errors import InputError
from pipelines.sources import osm, osm_pbf

OSM_DIR = "02_osm"


@pytest.fixture(scope="module")
def real_files() -> tuple[Path, Path]:
    return (
        realdata_path(f"{OSM_DIR}/wechelderzande.osm"),
        realdata_path(f"{OSM_DIR}/wechelderzande.osm.pbf"),
    )


def _edges(graph) -> dict:
    return {
        (u, v, k): {key: str(value) for key, value in data.items()}
        for u, v, k, data in graph.edges(keys=True, data=True)
    }


@pytest.mark.realdata
def test_real_pbf_gives_the_xml_pois(real_files):
    xml, pbf = real_files
    a, b = osm.read_pois(xml), osm_pbf.read_pois(pbf)
    assert len(a.table) > 10 and b.rows_in == a.rows_in
    assert_geodataframe_equal(a.table, b.table)
    assert len(b.quarantine) == len(a.quarantine)


@pytest.mark.realdata
def test_real_pbf_gives_the_xml_street_graph(real_files):
    xml, pbf = real_files
    g_xml, g_pbf = osm.read_street_graph(xml), osm_pbf.read_street_graph(pbf)
    assert g_pbf.number_of_nodes() == g_xml.number_of_nodes() > 100
    assert dict(g_pbf.nodes(data=True)) == dict(g_xml.nodes(data=True))
    assert _edges(g_pbf) == _edges(g_xml)
    assert g_pbf.graph["source_file"] == str(pbf)


@pytest.mark.realdata
def test_real_pbf_has_the_xml_elements(real_files):
    xml, pbf = real_files
    parsed = osm._parse(xml)
    extract = osm_pbf.read_pbf(pbf)
    # every node; the street, POI and POI-relation-member ways; the POI relations
    assert extract.nodes.keys() == parsed.nodes.keys()
    for node_id in list(parsed.nodes)[::97]:
        lat, lon, tags = parsed.nodes[node_id]
        got = extract.nodes[node_id]
        assert (float(got[0]), float(got[1]), got[2]) == (float(lat), float(lon), tags)
    xml_ways = {i: (refs, tags) for i, refs, tags in parsed.ways}
    assert {i for i, _, _ in extract.ways} <= xml_ways.keys()
    streets = {i for i, (_, tags) in xml_ways.items() if "highway" in tags}
    assert streets <= {i for i, _, _ in extract.ways}
    assert all(xml_ways[i] == (refs, tags) for i, refs, tags in extract.ways)


@pytest.mark.realdata
def test_a_box_keeps_whole_ways_and_the_features_near_it(real_files):
    _, pbf = real_files
    whole = osm_pbf.read_pbf(pbf)
    lons = [float(lon) for _, lon, _ in whole.nodes.values()]
    lats = [float(lat) for lat, _, _ in whole.nodes.values()]
    mid_lon = (min(lons) + max(lons)) / 2
    bbox = (min(lons), min(lats), mid_lon, max(lats))  # the western half
    part = osm_pbf.read_pbf(pbf, bbox=bbox, buffer_m=0.0)
    assert 0 < len(part.ways) < len(whole.ways)
    # a kept way has every node (complete ways), at least one of them inside the box
    crossing = 0
    for _, refs, _ in part.ways:
        assert all(r in part.nodes for r in refs if r in whole.nodes)
        inside = [float(part.nodes[r][1]) <= mid_lon for r in refs if r in part.nodes]
        assert any(inside)
        crossing += not all(inside)
    assert crossing > 0
    pois = osm_pbf.read_pois(pbf, bbox=bbox, buffer_m=0.0)
    all_pois = osm_pbf.read_pois(pbf)
    assert 0 < len(pois.table) < len(all_pois.table)
    assert set(pois.table["osm_id"]) <= set(all_pois.table["osm_id"])
    nodes = pois.table[pois.table["osm_id"].str.startswith("node/")]
    assert (shapely.get_x(nodes.geometry.to_numpy()) <= mid_lon).all()
    # a buffer grows the box: more streets
    wider = osm_pbf.read_pbf(pbf, bbox=bbox, buffer_m=500.0)
    assert len(wider.ways) > len(part.ways)


def test_demo_pbf_gives_the_demo_xml(tmp_path):
    from pipelines.demo import generate

    summary = generate(tmp_path, seed=42, days=1, osm_pbf=True)
    assert summary["osm/territory.osm.pbf"] == summary["osm/territory.osm"]
    xml, pbf = tmp_path / "osm" / "territory.osm", tmp_path / "osm" / "territory.osm.pbf"
    a, b = osm.read_pois(xml), osm_pbf.read_pois(pbf)
    assert len(a.table) > 500
    assert_geodataframe_equal(a.table, b.table)
    g_xml, g_pbf = osm.read_street_graph(xml), osm_pbf.read_street_graph(pbf)
    assert _edges(g_pbf) == _edges(g_xml)


@pytest.mark.parametrize("content", [None, b"<osm version='0.6'></osm>"])
def test_missing_or_not_pbf_raises_input_error(tmp_path, content):
    path = tmp_path / "x.osm.pbf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match="OSM PBF"):
        osm_pbf.read_pois(path)


def test_grow_bbox_adds_metres_on_every_side():
    minlon, minlat, maxlon, maxlat = osm_pbf.grow_bbox((4.0, 50.0, 5.0, 51.0), 1000.0)
    assert minlat == pytest.approx(50.0 - 1000 / 111_320)
    assert maxlat == pytest.approx(51.0 + 1000 / 111_320)
    # a degree of longitude is shorter than one of latitude at 51 N
    assert 4.0 - minlon > 50.0 - minlat
