"""OSM XML reader: POIs (with quarantine of unplaceable features) and the street graph."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely
from support import realdata_path as realdata_osm

from pipelines.errors import InputError
from pipelines.sources.osm import POI_COLUMNS, read_pois, read_street_graph

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "tiny.osm"


def osm_xml(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{body}\n</osm>\n'


@pytest.fixture(scope="module")
def tiny_pois():
    return read_pois(FIXTURE)


@pytest.fixture(scope="module")
def tiny_graph():
    return read_street_graph(FIXTURE)


# --- POIs -------------------------------------------------------------------------------


def test_pois_counts_and_conservation(tiny_pois) -> None:
    result = tiny_pois
    assert result.rows_in == 11 and len(result.table) == 8 and len(result.quarantine) == 3
    assert result.balanced
    expected = ["node/201", "node/202", "node/203", "node/205", "node/206", "node/207", "way/111",
                "way/112"]  # fmt: skip
    assert result.table["osm_id"].tolist() == expected  # no hotel; the restaurant is a shop
    restaurant = result.table.set_index("osm_id").loc["node/205"]
    assert (restaurant["kind"], restaurant["subtype"]) == ("shop", "restaurant")
    assert result.table["kind"].value_counts().to_dict() == {"shop": 4, "parking": 3, "tourism": 1}


def test_pois_columns_types_and_values(tiny_pois) -> None:
    table = tiny_pois.table.set_index("osm_id")
    assert list(tiny_pois.table.columns) == list(POI_COLUMNS)
    assert tiny_pois.table.crs == "EPSG:4326"
    assert str(tiny_pois.table["capacity"].dtype) == "Int64"
    assert (tiny_pois.table.geom_type == "Point").all()
    shop = table.loc["node/201"]
    assert (shop["kind"], shop["subtype"], shop["name"]) == ("shop", "clothes", "Mode & Co")
    assert shop["website"] == "https://mode.example"  # website wins over contact:website
    assert shop["opening_hours"] == "Mo-Sa 09:30-18:00"
    address = (shop["addr_street"], shop["addr_housenumber"], shop["addr_postcode"])
    assert address == ("Rue Haute", "12", "5000")
    assert (shop.geometry.x, shop.geometry.y) == (4.8605, 50.4602)
    assert table.loc["node/203", "website"] == "https://musee.example"  # contact:website
    assert table.loc["node/203", "subtype"] == "museum"
    assert table.loc["node/206", "subtype"] == "vacant"
    assert table.loc["node/202", "capacity"] == 40
    assert table.loc["node/207", "capacity"] == 12  # " 12 "
    assert pd.isna(table.loc["way/112", "capacity"])  # "lots": kept, capacity null


def test_closed_way_becomes_a_point_inside_it(tiny_pois) -> None:
    bakery = tiny_pois.table.set_index("osm_id").loc["way/111"]
    building = shapely.box(4.8612, 50.4612, 4.8616, 50.4615)
    assert bakery["subtype"] == "bakery" and bakery["name"] == "Boulangerie"
    assert building.contains(bakery.geometry)


def test_unplaceable_pois_are_quarantined(tiny_pois) -> None:
    q = tiny_pois.quarantine
    assert q["row_number"].tolist() == [9, 10, 11]
    assert q["reason"].tolist() == [
        "no geometry: way references nodes missing from the file",
        "no geometry: relation members missing from the file",
        "no geometry: relation type not supported (only multipolygon, boundary)",
    ]
    assert '"osm_id": "way/113"' in q["raw"].iloc[0] and '"shop": "florist"' in q["raw"].iloc[0]
    assert (q["source"] == "osm").all() and (q["source_file"] == str(FIXTURE)).all()


_GOOD = '<node id="1" lat="50.46" lon="4.86"><tag k="shop" v="bakery"/></node>'
_NODES = '<node id="2" lat="50.46" lon="4.861"/><node id="3" lat="50.461" lon="4.861"/>'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '<way id="9"><nd ref="2"/><nd ref="404"/><tag k="shop" v="florist"/></way>',
            "no geometry: way references nodes missing from the file",
        ),
        (
            '<relation id="9"><member type="way" ref="404" role="outer"/>'
            '<tag k="type" v="multipolygon"/><tag k="amenity" v="parking"/></relation>',
            "no geometry: relation members missing from the file",
        ),
        (
            '<relation id="9"><member type="node" ref="2" role=""/>'
            '<tag k="type" v="site"/><tag k="tourism" v="zoo"/></relation>',
            "no geometry: relation type not supported (only multipolygon, boundary)",
        ),
    ],
)
def test_bad_feature_goes_to_quarantine_with_reason_and_row(tmp_path, body, reason) -> None:
    path = tmp_path / "bad.osm"
    path.write_text(osm_xml(_GOOD + _NODES + body), encoding="utf-8")
    result = read_pois(path)
    assert result.rows_in == 2 and len(result.table) == 1 and result.balanced
    assert result.quarantine["row_number"].tolist() == [2]
    assert result.quarantine["reason"].tolist() == [reason]


def test_file_without_pois_gives_an_empty_table(tmp_path) -> None:
    path = tmp_path / "empty.osm"
    path.write_text(osm_xml(_NODES), encoding="utf-8")
    result = read_pois(path)
    assert result.rows_in == 0 and result.table.empty and result.quarantine.empty
    assert list(result.table.columns) == list(POI_COLUMNS) and result.table.crs == "EPSG:4326"


@pytest.mark.parametrize("reader", [read_pois, read_street_graph])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "OSM file not found"),
        ("hello, world", "not well-formed XML"),
        ('<osm version="0.6"><node id="1"', "not well-formed XML"),
        ('<?xml version="1.0"?><gpx version="1.1"></gpx>', "not an OSM XML file"),
    ],
)
def test_unreadable_files_raise_input_error(tmp_path, reader, content, message) -> None:
    path = tmp_path / "territory.osm"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        reader(path)
    assert str(path) in str(err.value)


def test_street_graph_needs_streets(tmp_path) -> None:
    path = tmp_path / "no_streets.osm"
    building = '<way id="5"><nd ref="2"/><nd ref="3"/><tag k="building" v="yes"/></way>'
    path.write_text(osm_xml(_NODES + building), encoding="utf-8")
    with pytest.raises(InputError, match="no street") as err:
        read_street_graph(path)
    assert str(path) in str(err.value)


# --- street graph -----------------------------------------------------------------------


def test_graph_keeps_only_streets_and_simplifies(tiny_graph) -> None:
    assert set(tiny_graph.nodes) == {1, 2, 3, 4, 5, 6, 8, 9, 10, 19, 20, 21}
    # 7 is an interstitial node of Rue du Pont; 11-18 belong to a building and a car park
    assert all("highway" in d for _, _, d in tiny_graph.edges(data=True))
    assert not tiny_graph.has_edge(6, 10)  # highway=construction
    assert len(tiny_graph[3][6][0]["geometry"].coords) == 3
    assert tiny_graph.graph["crs"] == "epsg:4326"


def test_graph_oneway_handling(tiny_graph) -> None:
    assert tiny_graph.has_edge(4, 1) and not tiny_graph.has_edge(1, 4)  # oneway=-1
    assert tiny_graph.has_edge(4, 5) and not tiny_graph.has_edge(5, 4)  # oneway=yes
    assert tiny_graph[4][5][0]["oneway"] is True and tiny_graph[1][2][0]["oneway"] is False
    assert tiny_graph.has_edge(1, 2) and tiny_graph.has_edge(2, 1)  # two-way: both


def test_graph_keeps_routing_tags(tiny_graph) -> None:
    assert tiny_graph[4][5][0]["oneway:bicycle"] == "no"
    assert tiny_graph[4][5][0]["maxspeed"] == "30"
    assert tiny_graph[3][10][0]["bicycle"] == "designated"
    assert tiny_graph[2][9][0]["access"] == "private"
    assert tiny_graph[1][2][0]["name"] == "Rue Haute"


def test_graph_cuts_ways_at_missing_nodes(tiny_graph) -> None:
    assert tiny_graph.has_edge(9, 19) and tiny_graph.has_edge(20, 21)
    assert not tiny_graph.has_edge(19, 20)
    assert tiny_graph[9][19][0]["osmid"] == 114
    assert tiny_graph[20][21][0]["osmid"] == -114001


# --- real data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wechel_path() -> Path:
    return realdata_osm("02_osm/wechelderzande.osm")


@pytest.fixture(scope="module")
def wechel_graph(wechel_path):
    return read_street_graph(wechel_path)


@pytest.mark.realdata
def test_real_graph_has_the_residential_streets(wechel_graph) -> None:
    way_ids: set[int] = set()
    for _, _, d in wechel_graph.edges(data=True):
        if d["highway"] == "residential":
            ids = d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]
            way_ids.update(i for i in ids if i > 0)
    # 117 residential ways in the file; one of them (Azalealaan, 111495341) is area=yes
    assert len(way_ids) == 116 and 111495341 not in way_ids
    assert len(wechel_graph) == 345 and wechel_graph.number_of_edges() == 886
    xs = [d["x"] for _, d in wechel_graph.nodes(data=True)]
    assert min(xs) > 4.70 and max(xs) < 4.90  # near the extract's bbox 4.773-4.805 E


@pytest.mark.realdata
def test_real_pois_are_balanced(wechel_path) -> None:
    result = read_pois(wechel_path)
    assert result.balanced and result.rows_in == 22
    # no shop=* in this village extract: 17 car parks and 4 horeca amenities (PROVENANCE.md),
    # and the village's own place node (its name goes on the report's maps)
    kinds = result.table.groupby("kind")["subtype"].agg(sorted).to_dict()
    assert kinds == {"parking": ["parking"] * 17, "place": ["village"], "shop": ["bar", "cafe", "pub", "restaurant"]}
    assert result.table.loc[result.table["kind"] == "place", "name"].tolist() == ["Wechelderzande"]
    assert (result.table.geom_type == "Point").all()


@pytest.mark.realdata
def test_real_graph_is_what_osmnx_makes_of_the_street_ways_alone(wechel_path, wechel_graph, tmp_path) -> None:
    """The reader hands osmnx the street ways' JSON directly; the reference is osmnx's own
    XML path on a file holding only those ways and their nodes (the reader wrote and parsed
    that file before)."""
    import osmnx as ox

    from pipelines.sources import osm

    parsed = osm._parse(wechel_path)
    ways = osm._street_ways(parsed)
    reduced = tmp_path / "streets.osm"
    osm.write_osm_xml(reduced, parsed.nodes, {ref for _, refs, _ in ways for ref in refs}, ways)
    with osm._useful_way_tags(osm.GRAPH_WAY_TAGS):
        reference = ox.graph_from_xml(reduced, bidirectional=False, simplify=False, retain_all=True)
    reference = ox.simplify_graph(reference, edge_attrs_differ=list(osm.SIMPLIFY_SPLIT_TAGS), remove_rings=False)

    assert _graph_content(wechel_graph) == _graph_content(reference)
    assert wechel_graph.number_of_edges() == 886


def test_nodes_where_street_tags_change_stay_as_osmnx_keeps_them(tmp_path) -> None:
    """A node between two streets whose routing tags differ (a value, or a tag missing on
    one side) stays a graph node; a plain bend goes: as osmnx's ``edge_attrs_differ``."""
    import osmnx as ox

    from pipelines.sources import osm

    nodes = "".join(f'<node id="{i}" lat="50.{i:04d}" lon="4.{i * 7:04d}"/>' for i in range(1, 8))
    ways = (
        '<way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        '<way id="2"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="maxspeed" v="30"/></way>'
        '<way id="3"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="tertiary"/><tag k="maxspeed" v="30"/></way>'
        '<way id="4"><nd ref="6"/><nd ref="7"/><tag k="highway" v="tertiary"/><tag k="maxspeed" v="30"/></way>'
    )
    path = tmp_path / "tags.osm"
    path.write_text(osm_xml(nodes + ways), encoding="utf-8")
    graph = read_street_graph(path)
    # 3: maxspeed appears; 4: highway changes; 2 and 5 are bends; 6 joins two ways with the same tags
    assert sorted(graph.nodes) == [1, 3, 4, 7]
    parsed = osm._parse(path)
    ways_ = osm._street_ways(parsed)
    with osm._useful_way_tags(osm.GRAPH_WAY_TAGS):
        raw = osm._create_graph([osm._overpass_json(parsed, ways_)], bidirectional=False)
    reference = ox.simplify_graph(raw, edge_attrs_differ=list(osm.SIMPLIFY_SPLIT_TAGS), remove_rings=False)
    assert _graph_content(graph) == _graph_content(reference)


def _graph_content(graph):
    """Every node and edge of a graph with all their attributes (geometries as WKT)."""
    nodes = sorted((n, sorted(d.items())) for n, d in graph.nodes(data=True))
    edges = sorted((u, v, k, sorted((a, getattr(b, "wkt", b)) for a, b in d.items()))
                   for u, v, k, d in graph.edges(keys=True, data=True))
    return nodes, edges
