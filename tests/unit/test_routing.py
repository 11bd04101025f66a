"""Router: snapping to edges, bulk travel times and isochrones.

A hand-built network in EPSG:31370 (metres) with hand-computed times, then the real
Wechelderzande extract checked against networkx (an independent Dijkstra).
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from support import realdata_path as realdata_routing

from pipelines.network import mode_network
from pipelines.routing import SNAP_CACHE, Router
from pipelines.sources.osm import read_street_graph

# --- the hand-built network ---------------------------------------------------------
#
#            D (100,100)
#          / |
#   15 s /   | 30 s both ways
#      /     |
#   C (200,0) <-20 s one-way-- B (100,0) <-10 s both ways-> A (0,0)
#
#   E (1000,1000) <-10 s-> F (1100,1000)   (a separate component)
#
# Coordinates are metres from (185000, 128000) in EPSG:31370 (near Namur).

X0, Y0 = 185_000.0, 128_000.0
_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
NODES_XY = {1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (100, 100), 5: (1000, 1000), 6: (1100, 1000)}
A, B, C, D, E, F = 1, 2, 3, 4, 5, 6
EDGES = [  # u, v, travel_time_s
    (A, B, 10.0),
    (B, A, 10.0),
    (B, C, 20.0),
    (B, D, 30.0),
    (D, B, 30.0),
    (C, D, 15.0),
    (D, C, 15.0),
    (E, F, 10.0),
    (F, E, 10.0),
]


def lonlat(*xy: tuple[float, float]) -> np.ndarray:
    xs = np.array([X0 + p[0] for p in xy])
    ys = np.array([Y0 + p[1] for p in xy])
    lon, lat = _TO_WGS84.transform(xs, ys)
    return np.column_stack([lon, lat])


def metric_point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def hand_network(edges=EDGES) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = gpd.GeoDataFrame(
        {"node_id": list(NODES_XY)},
        geometry=[metric_point(*xy) for xy in NODES_XY.values()],
        crs="EPSG:31370",
    ).to_crs("EPSG:4326")
    lines = [
        shapely.LineString([metric_point(*NODES_XY[u]), metric_point(*NODES_XY[v])])
        for u, v, _ in edges
    ]
    length = np.array([line.length for line in lines])
    time = np.array([t for _, _, t in edges])
    frame = gpd.GeoDataFrame(
        {
            "u": [u for u, _, _ in edges],
            "v": [v for _, v, _ in edges],
            "key": 0,
            "length_m": length,
            "speed_kmh": length / time * 3.6,
            "travel_time_s": time,
        },
        geometry=lines,
        crs="EPSG:31370",
    ).to_crs("EPSG:4326")
    return nodes, frame


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.from_network(*hand_network())


P1 = (50, 0)  # middle of A-B
P2 = (150, 0)  # middle of the one-way B->C
P3 = (50, 10)  # 10 m off A-B: 1 s access at 36 km/h
P4 = (1050, 1000)  # other component
P5 = (120, 0)  # 20 % along B->C


def test_snap_to_edge_midpoint_gives_half_edge_times(router: Router) -> None:
    s = router.snap(*lonlat(P1, P3).T)
    np.testing.assert_allclose(s.distance_m, [0.0, 10.0], atol=1e-6)
    np.testing.assert_allclose(s.access_s, [0.0, 1.0], atol=1e-6)
    for i in range(2):
        assert {router.node_ids[s.a[i]], router.node_ids[s.b[i]]} == {A, B}
        np.testing.assert_allclose(
            [s.depart_a_s[i], s.depart_b_s[i], s.arrive_a_s[i], s.arrive_b_s[i]], 5.0, atol=1e-6
        )
        assert s.fraction[i] == pytest.approx(0.5, abs=1e-9)


def test_snap_goes_to_nearest_edge_not_nearest_node(router: Router) -> None:
    # 3 m east of B-D, 40 m north of B: nearest node is B (40 m), nearest edge B-D (3 m)
    s = router.snap(*lonlat((103, 40)).T)
    edge = router.edges.iloc[s.edge[0]]
    assert {edge["u"], edge["v"]} == {B, D}
    assert s.distance_m[0] == pytest.approx(3.0, abs=1e-6)
    along = s.fraction[0] if edge["u"] == B else 1 - s.fraction[0]
    assert along == pytest.approx(0.4, abs=1e-9)


def test_snap_on_one_way_edge_forbids_the_reverse_direction(router: Router) -> None:
    s = router.snap(*lonlat(P2).T)
    assert (router.node_ids[s.a[0]], router.node_ids[s.b[0]]) == (B, C)
    assert s.depart_b_s[0] == pytest.approx(10.0)  # to C, with the flow
    assert s.arrive_a_s[0] == pytest.approx(10.0)  # from B, with the flow
    assert np.isinf(s.depart_a_s[0]) and np.isinf(s.arrive_b_s[0])


def test_travel_times_between_points_hand_computed(router: Router) -> None:
    points = lonlat(P1, P2, P3, P4)
    got = router.travel_times(points, points)
    inf = np.inf
    expected = np.array(
        [
            [0.0, 15.0, 1.0, inf],  # P1 -> B (5) -> P2 (10)
            [60.0, 0.0, 61.0, inf],  # P2 -> C 10, D 15, B 30, P1 5 (one-way B->C)
            [1.0, 16.0, 0.0, inf],
            [inf, inf, inf, 0.0],
        ]
    )
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_travel_times_along_a_shared_one_way_edge(router: Router) -> None:
    got = router.travel_times(lonlat(P5, P2), lonlat(P2, P5))
    # P5 -> P2 directly along B->C: 30 % of 20 s; P2 -> P5 must go round: 10+15+30+4
    np.testing.assert_allclose(np.diag(got), [6.0, 59.0], atol=1e-6)


def test_travel_times_to_nodes_and_cutoff(router: Router) -> None:
    order = [int(np.flatnonzero(router.node_ids == n)[0]) for n in (A, B, C, D, E, F)]
    inf = np.inf
    got = router.travel_times(lonlat(P1, P2))[:, order]
    np.testing.assert_allclose(got[0], [5, 5, 25, 35, inf, inf], atol=1e-6)
    np.testing.assert_allclose(got[1], [65, 55, 10, 25, inf, inf], atol=1e-6)
    cut = router.travel_times(lonlat(P1), cutoff_s=20)[:, order]
    np.testing.assert_allclose(cut[0], [5, 5, inf, inf, inf, inf], atol=1e-6)


def test_unsnappable_points_are_unreachable() -> None:
    nodes, edges = hand_network()
    router = Router.from_network(nodes, edges, max_snap_m=100)
    far = lonlat((5000, 5000))
    nan = np.array([[np.nan, np.nan]])
    times = router.travel_times(np.vstack([far, nan, lonlat(P1)]), lonlat(P1))
    assert np.isinf(times[:2]).all() and times[2, 0] == 0.0


def test_parallel_edges_keep_the_fastest() -> None:
    nodes, edges = hand_network([(A, B, 12.0), (A, B, 10.0), (B, A, 10.0)])
    router = Router.from_network(nodes.iloc[:2], edges)
    a, b = (int(np.flatnonzero(router.node_ids == n)[0]) for n in (A, B))
    assert router.graph[a, b] == 10.0
    assert router.travel_times(lonlat(P1), lonlat((100, 0)))[0, 0] == pytest.approx(5.0)


def test_reach_fractions_hand_computed(router: Router) -> None:
    pieces = router.reach(lonlat(P1), [20.0])
    pieces = pieces.merge(router.edges[["u", "v"]], left_on="edge", right_index=True)
    furthest = pieces.groupby(["u", "v"])["end"].max()
    nearest = pieces.groupby(["u", "v"])["start"].min()
    assert furthest[(B, C)] == pytest.approx(0.75)  # B at 5 s, 15 s left of 20 s
    assert furthest[(B, D)] == pytest.approx(0.5)  # 15 s left of 30 s
    assert furthest[(A, B)] == 1.0 and nearest[(A, B)] == 0.0
    assert furthest[(B, A)] == 1.0 and nearest[(B, A)] == 0.0
    assert (D, C) not in furthest.index and (C, D) not in furthest.index


def test_isochrone_follows_streets_and_cuts_partial_edges(router: Router) -> None:
    iso = router.isochrones(lonlat(P1, P3), [20.0, 3.0, 0.5], buffer_m=5.0)
    assert list(iso.columns) == ["origin", "cutoff_s", "geometry"]
    assert iso.crs == "EPSG:4326" and len(iso) == 6
    metric = iso.to_crs("EPSG:31370").geometry.to_numpy()
    big, small, tiny = metric[0], metric[1], metric[2]
    assert big.contains(metric_point(179, 0)) and not big.contains(metric_point(181, 0))
    assert big.contains(metric_point(100, 54)) and not big.contains(metric_point(100, 56))
    assert big.contains(metric_point(-4, 0)) and not big.contains(metric_point(-6, 0))
    assert not big.contains(metric_point(150, 50))  # inside the triangle: not a hull
    # 3 s from the middle of A-B at 10 m/s: 30 m each way, + 5 m buffer
    assert small.contains(metric_point(16, 0)) and not small.contains(metric_point(14, 0))
    assert small.contains(metric_point(84, 0)) and not small.contains(metric_point(86, 0))
    # 0.5 s: 5 m each way from P1 along its own edge, nothing else
    assert tiny.contains(metric_point(41, 0)) and not tiny.contains(metric_point(39, 0))
    # P3 needs 1 s to reach the street: nothing within 0.5 s
    assert metric[5].is_empty
    # P3 at 3 s: 2 s on the street (20 m each way) plus its 10 m connector
    assert metric[4].contains(metric_point(50, 10)) and metric[4].contains(metric_point(31, 0))
    assert not metric[4].contains(metric_point(24, 0))


def test_router_rejects_edges_to_unknown_nodes() -> None:
    nodes, edges = hand_network()
    with pytest.raises(ValueError, match="not in the nodes frame"):
        Router.from_network(nodes.iloc[:3], edges)
    with pytest.raises(ValueError, match="travel_time_s"):
        Router.from_network(nodes, edges.assign(travel_time_s=-1.0))


# --- real data: Wechelderzande ---------------------------------------------------------


@pytest.fixture(scope="module")
def wechel_walk() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Router]:
    graph = read_street_graph(realdata_routing("02_osm/wechelderzande.osm"))
    nodes, edges = mode_network(graph, "walk")
    return nodes, edges, Router.from_network(nodes, edges)


def _nx_graph(edges: pd.DataFrame) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_weighted_edges_from(
        zip(edges["u"], edges["v"], edges["travel_time_s"], strict=True), weight="t"
    )
    return g


@pytest.mark.realdata
def test_real_travel_times_equal_networkx(wechel_walk) -> None:
    nodes, edges, router = wechel_walk
    rng = np.random.default_rng(20240601)
    picks = rng.choice(len(nodes), size=20, replace=False)
    origins = np.column_stack(
        [nodes.geometry.x.to_numpy()[picks], nodes.geometry.y.to_numpy()[picks]]
    )
    got = router.travel_times(origins)
    g = _nx_graph(edges)
    for row, pick in enumerate(picks):
        lengths = nx.single_source_dijkstra_path_length(
            g, int(nodes["node_id"].iloc[pick]), weight="t"
        )
        expected = np.array([lengths.get(int(n), np.inf) for n in router.node_ids])
        assert np.array_equal(np.isinf(got[row]), np.isinf(expected))
        finite = np.isfinite(expected)
        np.testing.assert_allclose(got[row][finite], expected[finite], rtol=0, atol=1e-6)
    assert np.isfinite(got).sum() > 20 * 100  # the picks reach real parts of the network


@pytest.mark.realdata
def test_real_isochrone_covers_exactly_the_edges_networkx_reaches(wechel_walk) -> None:
    nodes, edges, router = wechel_walk
    cutoff = 300.0
    g = _nx_graph(edges)
    degree = pd.Series(dict(g.degree()))
    origin_id = int(degree.idxmax())  # a well-connected junction
    origin = nodes.loc[nodes["node_id"] == origin_id].geometry.iloc[0]
    dist = nx.single_source_dijkstra_path_length(g, origin_id, weight="t")
    d = (
        edges["u"].map(dist).fillna(np.inf).to_numpy(),
        edges["v"].map(dist).fillna(np.inf).to_numpy(),
    )
    t = edges["travel_time_s"].to_numpy()
    # walk edges are two-way: the street u-v is covered when the stretches reached from
    # both ends meet (or one end reaches across)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_u = np.clip((cutoff - d[0]) / t, 0, None)
        from_v = np.clip((cutoff - d[1]) / t, 0, None)
    nx_full = set(np.flatnonzero(from_u + from_v >= 1.0 - 1e-12))
    both_ends = set(np.flatnonzero((d[0] <= cutoff) & (d[1] <= cutoff)))

    pieces = router.reach([(origin.x, origin.y)], [cutoff])
    covered = _covered_edges(router.edges, pieces)
    assert covered == nx_full
    assert covered <= both_ends  # fully reached streets have both ends reached
    assert len(covered) > 20

    iso = router.isochrones([(origin.x, origin.y)], [cutoff]).to_crs("EPSG:31370")
    streets = edges.to_crs("EPSG:31370").geometry.to_numpy()[sorted(covered)]
    assert shapely.contains(iso.geometry.iloc[0].buffer(1e-6), streets).all()


def _covered_edges(edges: pd.DataFrame, pieces: pd.DataFrame) -> set[int]:
    """Edges whose street is covered from end to end by the union of reached stretches."""
    seg = edges["segment"].to_numpy()[pieces["edge"]]
    fwd = edges["forward"].to_numpy()[pieces["edge"]]
    start = np.where(fwd, pieces["start"], 1 - pieces["end"])
    end = np.where(fwd, pieces["end"], 1 - pieces["start"])
    full_segments = set()
    frame = pd.DataFrame({"seg": seg, "start": start, "end": end}).sort_values(["seg", "start"])
    for s, group in frame.groupby("seg"):
        reach = 0.0
        for lo, hi in zip(group["start"], group["end"], strict=True):
            if lo > reach + 1e-9:
                break
            reach = max(reach, hi)
        if reach >= 1.0 - 1e-9:
            full_segments.add(s)
    return set(np.flatnonzero(np.isin(edges["segment"].to_numpy(), list(full_segments))))


def test_points_may_be_given_as_geometries_in_any_crs(router: Router) -> None:
    metric = gpd.GeoSeries([metric_point(*P1), metric_point(*P2)], crs="EPSG:31370")
    from_geoms = router.travel_times(metric, gpd.GeoDataFrame(geometry=metric))
    np.testing.assert_allclose(from_geoms, router.travel_times(lonlat(P1, P2), lonlat(P1, P2)))
    with pytest.raises(ValueError, match="shape"):
        router.travel_times(np.zeros((2, 3)))


def test_cutoff_shorter_than_the_street_still_reaches_along_it(router: Router) -> None:
    # A-B is 100 m in 10 s: from 40 m to 55 m along it is 1.5 s, and neither end is reached
    # within a 2 s cutoff (the batch's candidate destinations must include its own street)
    here, there = lonlat((40, 0)), lonlat((55, 0), (0, 0))
    dense = router.travel_times(here, there, cutoff_s=2.0)
    np.testing.assert_allclose(dense, [[1.5, np.inf]], atol=1e-6)
    np.testing.assert_array_equal(
        router.travel_times(here, there, cutoff_s=2.0, sparse=True).to_dense(), dense
    )


def test_batches_in_any_order_give_every_origin_its_row(router: Router, monkeypatch) -> None:
    import pipelines.routing as routing

    points = lonlat(P1, P2, P3, P4, P5, (30, 0), (70, 0), (180, 0))
    whole = router.travel_times(points, points)
    monkeypatch.setattr(routing, "MAX_BATCH_CELLS", 1)  # one origin per batch, in Z-order
    np.testing.assert_array_equal(router.travel_times(points, points), whole)
    sparse = router.travel_times(points, points, cutoff_s=1e9, sparse=True)
    np.testing.assert_array_equal(sparse.to_dense(), whole)
    assert (np.diag(sparse.to_dense()) == 0).all()


@pytest.mark.parametrize("cutoff", [None, 25.0, 2.0])
def test_nearest_times_is_the_minimum_over_origins(router: Router, cutoff) -> None:
    origins = lonlat(P1, P5, (40, 0), (1080, 1000))
    dests = lonlat(P1, P2, P3, P4, (55, 0), (180, 0), (100, 100))
    matrix = router.travel_times(origins, dests, cutoff_s=cutoff)
    np.testing.assert_allclose(
        router.nearest_times(origins, dests, cutoff_s=cutoff), matrix.min(axis=0), atol=1e-9
    )


@pytest.mark.realdata
def test_nearest_times_on_a_real_network(wechel_walk) -> None:
    nodes, _, router = wechel_walk
    xy = np.column_stack([nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()])
    rng = np.random.default_rng(3)
    origins = xy[rng.choice(len(xy), 30, replace=False)] + rng.normal(0, 1e-4, (30, 2))
    dests = xy[rng.choice(len(xy), 150, replace=False)] + rng.normal(0, 1e-4, (150, 2))
    matrix = router.travel_times(origins, dests, cutoff_s=900)
    np.testing.assert_allclose(router.nearest_times(origins, dests, cutoff_s=900), matrix.min(axis=0), atol=1e-9)


def test_snapping_the_same_points_again_gives_the_kept_result(router: Router) -> None:
    lon, lat = np.array([4.35, 4.351]), np.array([50.85, 50.8505])
    first = router.snap(lon, lat)
    assert router.snap(lon.copy(), lat.copy()) is first  # same coordinates: no second search
    other = router.snap(lon + 0.001, lat)
    assert other is not first
    np.testing.assert_array_equal(router._snap(lon, lat).edge, first.edge)
    for k in range(10):  # the cache stays bounded
        router.snap(lon + k * 1e-4, lat)
    assert len(router._snaps) <= SNAP_CACHE


# -- nearest street segments: GEOS's answer, found faster ---------------------------------------


def _geos_nearest(index, points):
    (which, nearest), found = index.tree.query_nearest(points, return_distance=True)
    return sorted(zip(which.tolist(), nearest.tolist(), found.tolist(), strict=True)), which, nearest


def _check_nearest_equals_geos(index, x, y) -> None:
    points = shapely.points(x, y)
    (which, nearest), found = index.query(points, x, y)
    expected, geos_which, geos_nearest = _geos_nearest(index, points)
    assert sorted(zip(which.tolist(), nearest.tolist(), found.tolist(), strict=True)) == expected
    # where segments tie, the one a snap keeps (the last given for the point) is GEOS's
    ours_kept = np.full(len(points), -1)
    ours_kept[which] = nearest
    geos_kept = np.full(len(points), -1)
    geos_kept[geos_which] = geos_nearest
    assert np.array_equal(ours_kept, geos_kept)


def test_nearest_segments_equal_geos_on_a_grid_with_ties() -> None:
    from pipelines.routing import _NearestSegments

    # a 10 x 10 street grid of 100 m blocks: junctions, block centres and midpoints are
    # equidistant from several streets
    lines = [shapely.LineString([(i * 100.0, j * 100.0), (i * 100.0 + 100.0, j * 100.0)]) for i in range(10) for j in range(11)]
    lines += [shapely.LineString([(i * 100.0, j * 100.0), (i * 100.0, j * 100.0 + 100.0)]) for i in range(11) for j in range(10)]
    lines.append(shapely.LineString([(950.0, 950.0), (950.0, 950.0)]))  # degenerate: one point twice
    index = _NearestSegments(np.array(lines, dtype=object))
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-3000, 4000, 500), np.arange(11) * 100.0, np.arange(10) * 100.0 + 50.0, [np.nan, 5000.0, -20_000.0]])
    y = np.concatenate([rng.uniform(-3000, 4000, 500), np.arange(11) * 100.0, np.arange(10) * 100.0 + 50.0, [1.0, np.nan, 35_000.0]])
    _check_nearest_equals_geos(index, x, y)
    # junctions and block centres do tie
    (which, _), _ = index.query(shapely.points([200.0, 250.0], [300.0, 350.0]), np.array([200.0, 250.0]), np.array([300.0, 350.0]))
    assert np.bincount(which).tolist() == [4, 4]


def test_nearest_segments_without_points_or_segments() -> None:
    from pipelines.routing import _NearestSegments

    index = _NearestSegments(np.array([shapely.LineString([(0, 0), (10, 0)])], dtype=object))
    (which, nearest), found = index.query(shapely.points(np.zeros(0), np.zeros(0)), np.zeros(0), np.zeros(0))
    assert len(which) == len(nearest) == len(found) == 0
    _check_nearest_equals_geos(index, np.array([np.nan]), np.array([np.nan]))
    empty = _NearestSegments(np.array([shapely.LineString()], dtype=object))  # no vertex at all
    _check_nearest_equals_geos(empty, np.array([1.0, np.nan]), np.array([2.0, 3.0]))


@pytest.mark.realdata
def test_nearest_segments_equal_geos_on_the_real_walk_network(wechel_walk) -> None:
    _, _, walk = wechel_walk
    rng = np.random.default_rng(8)
    lo, hi = walk.node_xy.min(axis=0) - 2000.0, walk.node_xy.max(axis=0) + 2000.0
    x = np.concatenate([rng.uniform(lo[0], hi[0], 3000), walk.node_xy[:, 0]])
    y = np.concatenate([rng.uniform(lo[1], hi[1], 3000), walk.node_xy[:, 1]])
    _check_nearest_equals_geos(walk._nearest, x, y)
