"""Per-mode networks: which ways and directions each mode gets, lengths, speeds, times."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from pipelines.network import (
    BIKE_SPEED_KMH,
    EDGE_COLUMNS,
    WALK_SPEED_KMH,
    drive_speed_kmh,
    mode_network,
    parse_maxspeed,
)
from pipelines.sources.osm import read_street_graph

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "tiny.osm"
EARTH_RADIUS_M = 6_371_009  # the sphere osmnx uses for great-circle lengths


@pytest.fixture(scope="module")
def tiny_graph() -> nx.MultiDiGraph:
    return read_street_graph(FIXTURE)


def pairs(edges) -> set[tuple[int, int]]:
    return set(zip(edges["u"], edges["v"], strict=True))


def two_way(streets: list[tuple[int, ...]]) -> set[tuple[int, int]]:
    """Both directions of every consecutive node pair of the streets."""
    out = set()
    for street in streets:
        for u, v in zip(street[:-1], street[1:], strict=True):
            out |= {(u, v), (v, u)}
    return out


def test_walk_network_is_two_way_and_keeps_only_walkable_ways(tiny_graph) -> None:
    nodes, edges = mode_network(tiny_graph, "walk")
    streets = [
        (1, 2, 3),  # Rue Haute
        (4, 5, 6),  # Rue Basse, one-way for cars
        (3, 6),  # Rue du Pont (node 7 simplified away)
        (4, 1),  # Rue Montante, oneway=-1
        (2, 5),  # footway
        (9, 19),  # Rue Coupée, first stretch
        (20, 21),  # Rue Coupée, after the missing node
    ]  # no motorway 5->8, private service 2-9, cycleway 3-10, construction 6-10
    expected = two_way(streets)
    assert pairs(edges) == expected and len(edges) == 18
    assert set(nodes["node_id"]) == {1, 2, 3, 4, 5, 6, 9, 19, 20, 21}
    assert list(edges.columns) == list(EDGE_COLUMNS)
    assert edges.crs == "EPSG:4326" and nodes.crs == "EPSG:4326"
    assert (edges["speed_kmh"] == WALK_SPEED_KMH).all()
    assert not edges.duplicated(["u", "v", "key"]).any()


def test_walk_reverse_edge_has_reversed_geometry_and_same_length(tiny_graph) -> None:
    _, edges = mode_network(tiny_graph, "walk")
    fwd = edges[(edges["u"] == 4) & (edges["v"] == 5)].iloc[0]
    rev = edges[(edges["u"] == 5) & (edges["v"] == 4)].iloc[0]
    assert shapely.equals_exact(rev.geometry, shapely.reverse(fwd.geometry), 0.0)
    assert rev["length_m"] == fwd["length_m"] and rev["name"] == "Rue Basse"


def test_bike_respects_oneway_unless_contraflow(tiny_graph) -> None:
    _, edges = mode_network(tiny_graph, "bike")
    got = pairs(edges)
    assert {(4, 5), (5, 4), (5, 6), (6, 5)} <= got  # oneway:bicycle=no
    assert (4, 1) in got and (1, 4) not in got  # oneway=-1 without contraflow
    assert {(3, 10), (10, 3)} <= got  # cycleway, bicycle=designated
    assert not {(2, 5), (5, 2), (5, 8), (2, 9)} & got  # footway, motorway, private
    assert len(edges) == 17 and (edges["speed_kmh"] == BIKE_SPEED_KMH).all()


def test_drive_network_directions_and_speeds(tiny_graph) -> None:
    _, edges = mode_network(tiny_graph, "drive")
    one_way = {(4, 5), (5, 6), (4, 1), (5, 8)}
    assert pairs(edges) == two_way([(1, 2, 3), (3, 6), (9, 19), (20, 21)]) | one_way
    speed = edges.set_index(["u", "v"])["speed_kmh"]
    assert speed[(1, 2)] == 50.0  # maxspeed=50
    assert speed[(4, 5)] == 30.0  # maxspeed=30
    assert speed[(3, 6)] == 50.0  # maxspeed=BE:urban
    assert speed[(4, 1)] == 30.0  # residential default
    assert speed[(5, 8)] == 120.0  # motorway maxspeed=120


def test_lengths_are_metres_and_times_follow(tiny_graph) -> None:
    _, edges = mode_network(tiny_graph, "walk")
    by_pair = edges.set_index(["u", "v"])
    # 0.001 degree of latitude; 0.001 degree of longitude at 50.46 N
    north = math.radians(0.001) * EARTH_RADIUS_M
    east = north * math.cos(math.radians(50.46))
    assert by_pair.loc[(2, 5), "length_m"] == pytest.approx(north, abs=1e-3)  # 111.195 m
    assert by_pair.loc[(1, 2), "length_m"] == pytest.approx(east, abs=1e-3)  # 70.789 m
    assert by_pair.loc[(3, 6), "length_m"] == pytest.approx(north, abs=1e-3)  # via node 7
    assert len(by_pair.loc[(3, 6), "geometry"].coords) == 3
    np.testing.assert_allclose(edges["travel_time_s"], edges["length_m"] / (4.8 / 3.6))
    metric = edges.to_crs("EPSG:31370").length.to_numpy()
    np.testing.assert_allclose(edges["length_m"], metric, rtol=5e-3)  # Lambert 72 agrees


def test_unknown_mode_is_rejected(tiny_graph) -> None:
    with pytest.raises(ValueError, match="unknown mode 'car'"):
        mode_network(tiny_graph, "car")


def _one_way_graph(tags: dict, *, oneway: bool) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_node(1, x=4.86, y=50.46)
    g.add_node(2, x=4.861, y=50.46)
    g.add_edge(1, 2, length=70.0, oneway=oneway, **tags)
    if not oneway:
        g.add_edge(2, 1, length=70.0, oneway=oneway, **tags)
    return g


@pytest.mark.parametrize(
    ("tags", "oneway", "expected"),  # expected edge count for walk, bike, drive
    [
        ({"highway": "residential"}, False, (2, 2, 2)),
        ({"highway": "motorway"}, True, (0, 0, 1)),
        ({"highway": "trunk"}, False, (0, 0, 2)),
        ({"highway": "trunk", "foot": "yes", "bicycle": "yes"}, False, (2, 2, 2)),
        ({"highway": "footway"}, False, (2, 0, 0)),
        ({"highway": "footway", "bicycle": "yes"}, False, (2, 2, 0)),
        ({"highway": "cycleway"}, False, (0, 2, 0)),
        ({"highway": "cycleway", "foot": "designated"}, False, (2, 2, 0)),
        ({"highway": "steps"}, False, (2, 0, 0)),
        ({"highway": "track"}, False, (2, 2, 0)),
        ({"highway": "construction"}, False, (0, 0, 0)),
        ({"highway": "residential", "access": "private"}, False, (0, 0, 0)),
        ({"highway": "residential", "access": "private", "foot": "yes"}, False, (2, 0, 0)),
        ({"highway": "residential", "access": "destination"}, False, (2, 2, 2)),
        ({"highway": "residential", "motor_vehicle": "no"}, False, (2, 2, 0)),
        ({"highway": "residential", "motor_vehicle": "agricultural"}, False, (2, 2, 0)),
        ({"highway": "residential", "bicycle": "no"}, False, (2, 0, 2)),
        ({"highway": "residential", "foot": "no"}, False, (0, 2, 2)),
        ({"highway": "service", "service": "emergency_access"}, False, (2, 2, 0)),
        ({"highway": "residential"}, True, (2, 1, 1)),
        ({"highway": "residential", "oneway:bicycle": "no"}, True, (2, 2, 1)),
        ({"highway": "residential", "cycleway": "opposite_lane"}, True, (2, 2, 1)),
    ],
)
def test_mode_rules(tags: dict, oneway: bool, expected: tuple[int, int, int]) -> None:
    graph = _one_way_graph(tags, oneway=oneway)
    got = tuple(len(mode_network(graph, mode)[1]) for mode in ("walk", "bike", "drive"))
    assert got == expected


def test_graph_without_reverse_edges_gets_them_for_walk_and_bike() -> None:
    g = _one_way_graph({"highway": "residential"}, oneway=False)
    g.remove_edge(2, 1)
    assert [len(mode_network(g, m)[1]) for m in ("walk", "bike", "drive")] == [2, 2, 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 48.28032),
        ("20 knots", 37.04),
        ("BE:urban", 50.0),
        ("BE:rural", 90.0),
        ("BE-WAL:rural", 90.0),
        ("BE-VLG:rural", 70.0),
        ("BE:zone30", 30.0),
        ("BE:living_street", 20.0),
        ("BE:motorway", 120.0),
        ("FR:urban", 50.0),
        ("DE:rural", 100.0),
        ("NL:zone30", 30.0),
        ("walk", 6.0),
        ("30;50", 40.0),
        ("50|70", 60.0),
        (["30", "50"], 40.0),
        (["30", None], 30.0),
        (90, 90.0),
        ("none", None),
        ("signals", None),
        ("variable", None),
        ("fast", None),
        ("0", None),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value, expected) -> None:
    got = parse_maxspeed(value)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("maxspeed", "highway", "expected"),
    [
        ("70", "residential", 70.0),
        (None, "motorway", 120.0),
        (None, "trunk", 90.0),
        (None, "primary", 70.0),
        (None, "secondary", 60.0),
        (None, "tertiary", 50.0),
        (None, "unclassified", 50.0),
        (None, "residential", 30.0),
        (None, "living_street", 20.0),
        (None, "service", 20.0),
        ("none", "motorway", 120.0),
        (None, ["primary", "secondary"], 65.0),
        (None, "bridleway", 30.0),
    ],
)
def test_drive_speed_defaults(maxspeed, highway, expected: float) -> None:
    assert drive_speed_kmh(maxspeed, highway) == pytest.approx(expected)
