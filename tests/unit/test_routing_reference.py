"""The local searches (issue 21) give exactly what the router computed before.

:class:`routing_reference.ReferenceRouter` is the old code path kept verbatim: one search
graph rebuilt per call with every origin, full-width rows. The new router appends the origins
to the prebuilt graph and searches each batch on the box its cutoff can reach. Every figure
must be *equal* (``assert_array_equal``, not a tolerance): Dijkstra's distance to a node is
the minimum of ``d(u) + w(u, v)`` over its predecessors, whatever the node numbering, so a
renumbered subgraph that holds every path within the cutoff gives the same floats.

Checked on random graphs (one-way streets, curved and zero-length edges, parallel edges,
several components, speeds from walking to motorway) and on the demo territory's walk and
drive networks.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from routing_reference import ReferenceRouter

import pipelines.routing as routing
from pipelines.routing import Router

_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)


@pytest.fixture(autouse=True, params=["cost rule", "always sliced"])
def slicing(request, monkeypatch) -> str:
    """Every test twice: with the router's rules (whole network or a part of it; origins
    far apart searched together), and with every batch on its part (small graphs would
    mostly go whole) and no grouping of far-apart origins."""
    if request.param == "always sliced":
        monkeypatch.setattr(routing, "SLICE_COST", 0.0)
        monkeypatch.setattr(routing, "DISJOINT_ORIGINS", 0)
    return request.param


def random_network(
    seed: int, n: int = 400, side: float = 4000.0, speeds: tuple[float, ...] = (3.0, 4.8, 15.0, 30.0, 50.0, 120.0)
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes in a square, each joined to a few nearest neighbours; a third of the streets
    one-way, some curved, a few parallel duplicates and zero-length links; ``speeds`` km/h."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, (n, 2)) + (150_000.0, 120_000.0)
    xy[-3:] = xy[-4]  # three nodes on one spot (zero-length links)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    near = np.argsort(d, axis=1)[:, 1:4]
    u = np.repeat(np.arange(n), 3)
    v = near.ravel()
    pair = np.unique(np.sort(np.column_stack([u, v]), axis=1), axis=0)
    keep = rng.random(len(pair)) > 0.1  # drops split the graph into components
    u, v = pair[keep, 0], pair[keep, 1]
    mid = (xy[u] + xy[v]) / 2 + rng.normal(0, 30, (len(u), 2))
    curved = rng.random(len(u)) < 0.3
    coords = [
        [tuple(xy[a]), tuple(m), tuple(xy[b])] if c else [tuple(xy[a]), tuple(xy[b])]
        for a, b, m, c in zip(u, v, mid, curved, strict=True)
    ]
    lines = np.array([shapely.LineString(c) for c in coords])
    length = shapely.length(lines)
    kmh = rng.choice(speeds, len(u))
    one_way = rng.random(len(u)) < 0.33
    rows = []
    for k in range(len(u)):
        rows.append((u[k], v[k], length[k], kmh[k], lines[k]))
        if not one_way[k]:
            rows.append((v[k], u[k], length[k], kmh[k], shapely.reverse(lines[k])))
    for k in rng.choice(len(u), 5, replace=False):  # slower parallel edges
        rows.append((u[k], v[k], length[k], kmh[k] / 2, lines[k]))
    frame = pd.DataFrame(rows, columns=["u", "v", "length_m", "speed_kmh", "geometry"])
    frame["key"] = frame.groupby(["u", "v"]).cumcount()
    frame["travel_time_s"] = frame["length_m"] / (frame["speed_kmh"] / 3.6)
    edges = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:31370").to_crs("EPSG:4326")
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(n) + 1000}, geometry=shapely.points(xy), crs="EPSG:31370"
    ).to_crs("EPSG:4326")
    edges["u"] += 1000
    edges["v"] += 1000
    return nodes, edges


def random_points(nodes: gpd.GeoDataFrame, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()
    pick = rng.choice(len(x), k)
    pts = np.column_stack([x[pick], y[pick]])
    pts[: k // 2] += rng.normal(0, 4e-4, (k // 2, 2))  # off the nodes, onto streets
    return pts


def assert_same(new: Router, old: ReferenceRouter, origins: np.ndarray, dests: np.ndarray) -> None:
    for cutoff in (None, 45.0, 300.0, 1200.0):
        np.testing.assert_array_equal(
            new.travel_times(origins, None, cutoff_s=cutoff), old.travel_times(origins, None, cutoff_s=cutoff)
        )
        np.testing.assert_array_equal(
            new.travel_times(origins, dests, cutoff_s=cutoff), old.travel_times(origins, dests, cutoff_s=cutoff)
        )
        np.testing.assert_array_equal(
            new.nearest_times(origins, dests, cutoff_s=cutoff),
            old.nearest_times(origins, dests, cutoff_s=cutoff),
        )
        if cutoff is None:
            continue
        for to in (None, dests):
            got = new.travel_times(origins, to, cutoff_s=cutoff, sparse=True).matrix
            want = old.travel_times(origins, to, cutoff_s=cutoff, sparse=True).matrix
            np.testing.assert_array_equal(got.indptr, want.indptr)
            np.testing.assert_array_equal(got.indices, want.indices)
            np.testing.assert_array_equal(got.data, want.data)
    cutoffs = [30.0, 120.0, 600.0]
    pd.testing.assert_frame_equal(new.reach(origins, cutoffs), old.reach(origins, cutoffs))


def local_widths(router: Router, points: np.ndarray, cutoff: float) -> list[int]:
    """Columns of every batch's rows (nodes + 1)."""
    snapped = router.snap(points[:, 0], points[:, 1])
    return [search.times.shape[1] for search in router._batches(snapped, cutoff)]


@pytest.mark.parametrize(
    ("seed", "side", "speeds"),
    [(1, 4000.0, (3.0, 4.8, 15.0, 30.0, 50.0, 120.0)), (2, 12000.0, (4.8,)), (3, 12000.0, (4.8, 15.0, 30.0))],
)
def test_random_graphs_give_the_reference_times(seed: int, side: float, speeds: tuple, slicing: str) -> None:
    nodes, edges = random_network(seed, side=side, speeds=speeds)
    new = Router.from_network(nodes, edges)
    old = ReferenceRouter.of(new)
    assert np.isfinite(new._top_speed) and new._top_speed > 0
    if side > 10_000 and slicing == "always sliced":  # the searches run on parts of the network
        assert max(local_widths(new, random_points(nodes, 60, seed), 300.0)) < len(nodes) / 2
    assert_same(new, old, random_points(nodes, 60, seed), random_points(nodes, 200, seed + 10))


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("k", [1, 3, 12, 60, 300])
def test_far_apart_origins_searched_together_give_the_reference_times(k: int, split: bool, monkeypatch) -> None:
    """Origins grouped by distance (one search per group: one group, several, one origin per
    group; repeated points; all pairs compared or a k-d tree; all groups in one Dijkstra
    call or one call per group) give the reference pairs."""
    nodes, edges = random_network(2, side=12000.0, speeds=(4.8,))
    new = Router.from_network(nodes, edges)
    if split:
        monkeypatch.setattr(routing, "MAX_BATCH_CELLS", len(nodes) + 1)  # one group per call
    old = ReferenceRouter.of(new)
    origins = random_points(nodes, k, 3)
    origins[k // 2 :: 5] = origins[k // 2]  # the same point several times
    if k == 3:
        origins[:] = origins[0]  # one origin per group
    monkeypatch.setattr(routing, "DISJOINT_ORIGINS", 4096)
    monkeypatch.setattr(routing, "DISJOINT_SHARE", 1.0)  # group even when it barely pays
    monkeypatch.setattr(routing, "SMALL_GROUPING", 100)
    snapped = new.snap(origins[:, 0], origins[:, 1])
    for cutoff in (45.0, 300.0, 1200.0):
        assert new._node_pairs(snapped, cutoff) is not None  # the grouped search ran
        got = new.travel_times(origins, None, cutoff_s=cutoff, sparse=True).matrix
        want = old.travel_times(origins, None, cutoff_s=cutoff, sparse=True).matrix
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_array_equal(got.data, want.data)
        np.testing.assert_array_equal(
            new.travel_times(origins, None, cutoff_s=cutoff), old.travel_times(origins, None, cutoff_s=cutoff)
        )
    radius = 2 * 300.0 * new._top_speed * (1 + routing.REACH_MARGIN) + 2.0
    groups = routing._disjoint_groups(snapped.x, snapped.y, radius, k)
    for g in np.unique(groups):  # a group's origins are farther apart than twice the reach
        xy = np.column_stack([snapped.x, snapped.y])[groups == g]
        d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        assert (d[np.triu_indices(len(xy), 1)] > radius).all()
    if k >= 60:
        assert 1 < groups.max() + 1 < k


def test_small_batches_give_the_reference_times(monkeypatch) -> None:
    nodes, edges = random_network(4)
    new = Router.from_network(nodes, edges, access_speed_kmh=4.8, max_snap_m=30.0)
    old = ReferenceRouter.of(new)
    monkeypatch.setattr(routing, "MAX_BATCH_CELLS", 50)  # one origin per batch
    origins, dests = random_points(nodes, 40, 5), random_points(nodes, 80, 6)
    assert_same(new, old, origins, np.vstack([dests, origins[:10]]))  # identical points: 0 s


def test_destinations_in_blocks_of_rows_give_the_reference_times(monkeypatch) -> None:
    """More destinations than nodes (the region's cells against its drive nodes): a batch's
    times to them come in blocks of rows of at most ``MAX_BATCH_CELLS``, the same floats."""
    nodes, edges = random_network(6)
    new = Router.from_network(nodes, edges)
    old = ReferenceRouter.of(new)
    monkeypatch.setattr(routing, "MAX_BATCH_CELLS", 4 * (len(nodes) + 1))  # 4 origins per batch
    origins, dests = random_points(nodes, 30, 13), random_points(nodes, 3 * len(nodes), 14)
    dests[:6] = origins[:6]  # identical points: 0 s, in several blocks
    shapes = []
    to_points = Router._to_points
    monkeypatch.setattr(Router, "_to_points", lambda self, *a: shapes.append((out := to_points(self, *a)).shape) or out)
    assert_same(new, old, origins, dests)
    assert all(rows * cols <= routing.MAX_BATCH_CELLS or rows == 1 for rows, cols in shapes)
    assert max(cols for _, cols in shapes) > len(nodes) + 1  # so fewer rows than the batch's 4
    counts = new.totals_within(origins, dests, [120.0, 600.0])
    for k, cutoff in enumerate([120.0, 600.0]):
        want = old.travel_times(origins, dests, cutoff_s=cutoff, sparse=True).totals_within(np.ones(len(dests)), cutoff)
        np.testing.assert_array_equal(counts[:, k], want)


def test_a_zero_time_street_with_length_turns_the_box_off() -> None:
    nodes, edges = random_network(5, n=120)
    edges.loc[edges.index[0], "travel_time_s"] = 0.0
    new = Router.from_network(nodes, edges)
    assert new._top_speed == np.inf
    old = ReferenceRouter.of(new)
    assert_same(new, old, random_points(nodes, 20, 7), random_points(nodes, 30, 8))


@pytest.fixture(scope="module")
def demo_networks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    from pipelines.demo import generate
    from pipelines.network import mode_network
    from pipelines.sources import osm

    landing = tmp_path_factory.mktemp("routing_demo") / "landing"
    generate(landing)
    graph = osm.read_street_graph(landing / "osm" / "territory.osm")
    return {mode: mode_network(graph, mode) for mode in ("walk", "drive")}


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_the_demo_network_gives_the_reference_times(demo_networks, mode: str, slicing: str) -> None:
    nodes, edges = demo_networks[mode]
    new = Router.from_network(nodes, edges)
    old = ReferenceRouter.of(new)
    origins, dests = random_points(nodes, 150, 11), random_points(nodes, 400, 12)
    if mode == "walk" and slicing == "always sliced":
        assert np.median(local_widths(new, origins, 300.0)) < len(nodes) / 4
    assert_same(new, old, origins, dests)


@pytest.mark.parametrize("seed", [2, 3])
def test_totals_within_equal_the_sparse_times_totals(seed: int) -> None:
    nodes, edges = random_network(seed, side=12000.0, speeds=(4.8, 15.0))
    router = Router.from_network(nodes, edges)
    old = ReferenceRouter.of(router)
    origins, places = random_points(nodes, 70, seed), random_points(nodes, 300, seed + 1)
    places[:5] = origins[:5]  # a place on an origin: 0 s
    weights = np.random.default_rng(seed).lognormal(3, 1, (len(places), 2))
    cutoffs = [120.0, 600.0, 900.0]
    counts = router.totals_within(origins, places, cutoffs)
    sums = router.totals_within(origins, places, cutoffs, weights)
    for k, cutoff in enumerate(cutoffs):
        times = old.travel_times(origins, places, cutoff_s=cutoff, sparse=True)
        np.testing.assert_array_equal(counts[:, k], times.totals_within(np.ones(len(places)), cutoff))
        for j in range(2):
            np.testing.assert_allclose(sums[:, k, j], times.totals_within(weights[:, j], cutoff), rtol=1e-12)
    assert counts[:, -1].sum() > 0
