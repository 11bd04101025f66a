"""Catchment engine glue: districts, travel costs, isochrones, Huff tables, revealed catchment."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.ops import substring
from support import realdata_path

from pipelines.catchment import huff_pair_probabilities, huff_probabilities
from pipelines.catchment.area import (
    ISOCHRONE_BUFFER_M,
    costs_to_destinations,
    mode_router,
    reached_totals,
    travel_time_table,
)
from pipelines.catchment.build import voucher_origins
from pipelines.catchment.isochrones import IsochroneBuilder
from pipelines.catchment.model import calibrate, cell_tiers, huff_table, tier_table
from pipelines.catchment.revealed import (
    comparison_table,
    count_matrix,
    od_destination_districts,
    revealed_table,
)
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.district_table import (
    SHOP_CATEGORIES,
    build_districts,
    districts_from_polygons,
    retail_floor_proxy_m2,
)
from pipelines.errors import InputError
from pipelines.grid import cell_polygons, latlng_to_cells
from pipelines.lake import Lake
from pipelines.network import mode_network
from pipelines.sources.osm import read_street_graph
from pipelines.workers import WORKERS_ENV

# ----------------------------------------------------------------------------- fixtures


def _shops_metric(points: list[tuple[float, float]], **cols: list) -> gpd.GeoDataFrame:
    n = len(points)
    frame = pd.DataFrame(
        {
            "shop_id": [f"s{i}" for i in range(n)],
            "category": cols.get("category", ["food"] * n),
            "nis": cols.get("nis", ["92801"] * n),
            "nace_code": cols.get("nace_code", [None] * n),
            "osm_subtype": cols.get("osm_subtype", [None] * n),
        }
    )
    geometry = shapely.points(np.asarray(points, dtype=float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS_METRIC).to_crs(CRS_WGS84)


def two_clusters() -> gpd.GeoDataFrame:
    """10 shops 20 m apart on a line (commune A), 8 on another 5 km away (B), 2 loners."""
    x0, y0 = 180_000.0, 120_000.0
    big = [(x0 + 20 * i, y0) for i in range(10)]
    small = [(x0 + 5000 + 20 * i, y0) for i in range(8)]
    lone = [(x0 + 2000, y0), (x0 + 2500, y0 + 900)]
    cats = (["food"] * 4 + ["fashion"] * 3 + ["horeca"] * 3) + ["food"] * 8 + ["food", "food"]
    nis = ["92801"] * 10 + ["92813"] * 8 + ["92801", "92813"]
    nace = ["47114"] + [None] * 19
    return _shops_metric(big + small + lone, category=cats, nis=nis, nace_code=nace)


# ----------------------------------------------------------------------------- districts


def test_floor_proxy_uses_format_then_category() -> None:
    shops = pd.DataFrame(
        {
            "category": ["food", "food", "fashion", "unknown"],
            "nace_code": ["47114", None, None, None],
            "osm_subtype": ["convenience", "supermarket", None, None],
        }
    )
    # NACE beats the OSM subtype, the subtype beats the category, unknown category = 0
    assert retail_floor_proxy_m2(shops).tolist() == [1000.0, 1000.0, 150.0, 0.0]


def test_build_districts_counts_ids_and_origin() -> None:
    shops = two_clusters()
    districts, membership = build_districts(shops)
    assert districts["district_id"].tolist() == ["92801-D01", "92813-D01"]
    assert districts["n_shops"].tolist() == [10, 8]
    first = districts.iloc[0]
    assert (first["shops_food"], first["shops_fashion"], first["shops_horeca"]) == (4, 3, 3)
    # 1000 (supermarket) + 3 x 120 food + 3 x 150 fashion + 3 x 120 horeca
    assert first["retail_floor_proxy_m2"] == pytest.approx(1000 + 360 + 450 + 360)
    cats = [f"shops_{c}" for c in SHOP_CATEGORIES]
    assert (districts[cats].sum(axis=1) == districts["n_shops"]).all()
    # origin: the shop nearest to the mean of the ten (x0 + 90 m): shop 4 (x0 + 80 m)
    ox, oy = (
        gpd.GeoSeries(
            shapely.points(districts[["origin_lon", "origin_lat"]].to_numpy()), crs=CRS_WGS84
        )
        .to_crs(CRS_METRIC)
        .iloc[0]
        .coords[0]
    )
    assert (ox, oy) == pytest.approx((180_080.0, 120_000.0), abs=1e-3)
    assert membership.notna().sum() == 18 and membership.isna().tolist()[-2:] == [True, True]
    assert districts.crs.to_epsg() == 4326 and districts.geometry.is_valid.all()


def test_districts_from_commune_polygons() -> None:
    shops = two_clusters()
    box_small = shapely.box(184_900, 119_900, 185_300, 120_100)
    box_big = shapely.box(179_900, 119_900, 182_100, 120_100)  # takes loner 1 too
    polygons = gpd.GeoDataFrame(geometry=[box_small, box_big], crs=CRS_METRIC)
    districts, membership = districts_from_polygons(shops, polygons)
    assert districts.set_index("district_id")["n_shops"].to_dict() == {
        "92801-D01": 11,
        "92813-D01": 8,
    }
    assert int(membership.notna().sum()) == 19


def test_districts_from_polygons_rejects_an_empty_polygon() -> None:
    polygons = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs=CRS_METRIC)
    with pytest.raises(InputError, match="holds no shop"):
        districts_from_polygons(two_clusters(), polygons)


# ----------------------------------------------------------------------------- travel costs
#
#            D (100,100)
#          / |
#   15 s /   | 30 s both ways
#      /     |
#   C (200,0) <-20 s one-way-- B (100,0) <-10 s both ways-> A (0,0)
#
# metres from (185000, 128000) in EPSG:31370

X0, Y0 = 185_000.0, 128_000.0
XY = {1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (100, 100)}
HAND_EDGES = [
    (1, 2, 10.0),
    (2, 1, 10.0),
    (2, 3, 20.0),
    (2, 4, 30.0),
    (4, 2, 30.0),
    (3, 4, 15.0),
    (4, 3, 15.0),
]


def _metric(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def hand_network() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = gpd.GeoDataFrame(
        {"node_id": list(XY)}, geometry=[_metric(*xy) for xy in XY.values()], crs=CRS_METRIC
    ).to_crs(CRS_WGS84)
    lines = [shapely.LineString([_metric(*XY[u]), _metric(*XY[v])]) for u, v, _ in HAND_EDGES]
    edges = gpd.GeoDataFrame(
        {
            "u": [u for u, _, _ in HAND_EDGES],
            "v": [v for _, v, _ in HAND_EDGES],
            "length_m": [line.length for line in lines],
            "travel_time_s": [t for _, _, t in HAND_EDGES],
        },
        geometry=lines,
        crs=CRS_METRIC,
    ).to_crs(CRS_WGS84)
    return nodes, edges


def hand_lonlat(*keys: int) -> np.ndarray:
    pts = gpd.GeoSeries([_metric(*XY[k]) for k in keys], crs=CRS_METRIC).to_crs(CRS_WGS84)
    return np.column_stack([pts.x, pts.y])


def test_reversed_network_gives_costs_to_destinations_with_one_way_streets() -> None:
    nodes, edges = hand_network()
    rev = mode_router(nodes, edges, "drive", reverse=True)
    # C -> B must go round by D (B -> C is one-way): 15 + 30 s; B -> C takes the one-way: 20 s
    cost = costs_to_destinations(rev, hand_lonlat(3, 2, 1), hand_lonlat(2, 3), 3600).to_dense()
    np.testing.assert_allclose(cost, [[45.0, 0.0], [0.0, 20.0], [10.0, 30.0]], atol=1e-6)
    # a cutoff leaves the farther pairs out
    cut = costs_to_destinations(rev, hand_lonlat(3, 2, 1), hand_lonlat(2, 3), 25).to_dense()
    np.testing.assert_allclose(cut, [[np.inf, 0.0], [0.0, 20.0], [10.0, np.inf]], atol=1e-6)
    forward = mode_router(nodes, edges, "drive").travel_times(
        hand_lonlat(3, 2, 1), hand_lonlat(2, 3)
    )
    np.testing.assert_allclose(cost, forward, atol=1e-6)


def test_distance_cost_routes_on_length() -> None:
    nodes, edges = hand_network()
    rev = mode_router(nodes, edges, "drive", cost="distance", reverse=True)
    # C -> D -> B: 141.42 + 100 m (not the 20 s one-way B -> C)
    cost = costs_to_destinations(rev, hand_lonlat(3), hand_lonlat(2), 1e6).to_dense()
    assert cost[0, 0] == pytest.approx(100 * np.sqrt(2) + 100, abs=0.05)
    with pytest.raises(ValueError, match="cost must be one of"):
        mode_router(nodes, edges, "drive", cost="money")


def test_reached_totals_hand_computed() -> None:
    # cells (weights 10, 20, 30) x districts 0, 1: costs [[1, 5], [3, inf], [10, 2]] as pairs
    district = np.array([0, 1, 0, 1, 0, 1])
    weight = np.array([10.0, 10.0, 20.0, 20.0, 30.0, 30.0])
    cost = np.array([1.0, 5.0, 3.0, np.inf, 10.0, 2.0])
    got = reached_totals(district, weight, cost, np.array([2.0, 5.0]), 2)
    np.testing.assert_allclose(got, [[10.0, 30.0], [30.0, 40.0]])


def test_travel_time_table_is_cell_major_with_every_mode(monkeypatch) -> None:
    nodes, edges = hand_network()
    both = pd.concat([nodes.assign(mode=m) for m in ("walk", "bike", "drive")], ignore_index=True)
    all_edges = pd.concat(
        [edges.assign(mode=m) for m in ("walk", "bike", "drive")], ignore_index=True
    )
    cells = latlng_to_cells(hand_lonlat(1, 3)[:, 1], hand_lonlat(1, 3)[:, 0])
    districts = pd.DataFrame(
        {
            "district_id": ["X-D01"],
            "origin_lon": hand_lonlat(2)[:, 0],
            "origin_lat": hand_lonlat(2)[:, 1],
        }
    )
    table = travel_time_table(
        gpd.GeoDataFrame(both, crs=CRS_WGS84),
        gpd.GeoDataFrame(all_edges, crs=CRS_WGS84),
        cells,
        districts,
    )
    assert table.columns.tolist() == [
        "h3",
        "district_id",
        "walk_min",
        "bike_min",
        "drive_min",
        "drive_km",
    ]
    assert table["h3"].tolist() == cells.tolist()
    # from the cell centres (a few metres to 100 m from the nodes) to B: A -> B 10 s, C -> D -> B 45 s
    assert table["drive_min"].iloc[1] > table["drive_min"].iloc[0]
    assert (table["drive_km"] > 0).all() and np.isfinite(
        table.drop(columns=["h3", "district_id"])
    ).all().all()
    # the four searches run in worker processes by default: one process gives the same table
    monkeypatch.setenv(WORKERS_ENV, "1")
    alone = travel_time_table(
        gpd.GeoDataFrame(both, crs=CRS_WGS84), gpd.GeoDataFrame(all_edges, crs=CRS_WGS84), cells, districts
    )
    pd.testing.assert_frame_equal(alone, table, check_exact=True)


# ------------------------------------------------------- real network: Wechelderzande (OSM)


@pytest.fixture(scope="module")
def wechel() -> dict[str, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]]:
    graph = read_street_graph(realdata_path("02_osm/wechelderzande.osm"))
    return {mode: mode_network(graph, mode) for mode in ("walk", "bike", "drive")}


def _nx_distances(edges: pd.DataFrame, source: int) -> dict[int, float]:
    g = nx.DiGraph()
    for u, v, t in edges[["u", "v", "travel_time_s"]].itertuples(index=False):
        if not g.has_edge(u, v) or g[u][v]["t"] > t:
            g.add_edge(int(u), int(v), t=float(t))
    return nx.single_source_dijkstra_path_length(g, source, weight="t")


def _nx_isochrone(
    edges: gpd.GeoDataFrame, dist: dict[int, float], cutoff: float, buffer_m: float
) -> shapely.Geometry:
    """Independent isochrone: every directed edge whose start networkx reaches, cut where the
    time runs out, buffered and unioned (no router, no segment merging, no cache)."""
    metric = edges.to_crs(CRS_METRIC)
    at_u = metric["u"].map(dist).fillna(np.inf).to_numpy()
    t = metric["travel_time_s"].to_numpy()
    lines = []
    for line, d, time in zip(metric.geometry.to_numpy(), at_u, t, strict=True):
        if d < cutoff:
            lines.append(
                line
                if d + time <= cutoff
                else substring(line, 0.0, (cutoff - d) / time, normalized=True)
            )
    return shapely.union_all(shapely.buffer(np.array(lines, dtype=object), buffer_m, quad_segs=4))


@pytest.mark.realdata
@pytest.mark.parametrize("mode", ["walk", "bike", "drive"])
def test_costs_to_destinations_equal_networkx_on_the_real_network(wechel, mode: str) -> None:
    nodes, edges = wechel[mode]
    rng = np.random.default_rng(7)
    dest_rows = rng.choice(len(nodes), size=3, replace=False)
    origin_rows = rng.choice(len(nodes), size=40, replace=False)
    xy = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    got = costs_to_destinations(
        mode_router(nodes, edges, mode, reverse=True), xy[origin_rows], xy[dest_rows], np.inf
    ).to_dense()
    # networkx on the reversed graph: distance from each destination = cost to it
    reversed_edges = edges.rename(columns={"u": "v", "v": "u"})
    ids = nodes["node_id"].to_numpy()
    for j, row in enumerate(dest_rows):
        dist = _nx_distances(reversed_edges, int(ids[row]))
        expected = np.array([dist.get(int(ids[r]), np.inf) for r in origin_rows])
        np.testing.assert_allclose(got[:, j], expected, rtol=0, atol=1e-6)
    assert np.isfinite(got).mean() > 0.9


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("mode", "cutoffs"),
    [("walk", (300.0, 600.0)), ("bike", (300.0, 900.0)), ("drive", (120.0, 420.0))],
)
def test_isochrone_product_equals_an_independent_networkx_construction(
    wechel, mode: str, cutoffs: tuple[float, float]
) -> None:
    nodes, edges = wechel[mode]
    buffer_m = ISOCHRONE_BUFFER_M[mode]
    router = mode_router(nodes, edges, mode)
    degree = pd.concat([edges["u"], edges["v"]]).value_counts()
    origin_ids = [int(degree.index[0]), int(degree.index[len(degree) // 2])]
    pts = nodes.set_index("node_id").loc[origin_ids].geometry
    iso = IsochroneBuilder(router, buffer_m=buffer_m).isochrones(
        np.column_stack([pts.x, pts.y]), cutoffs
    )
    iso_metric = iso.to_crs(CRS_METRIC)
    for row in iso_metric.itertuples():
        dist = _nx_distances(edges, origin_ids[row.origin])
        expected = _nx_isochrone(edges, dist, row.cutoff_s, buffer_m)
        got = row.geometry
        assert got.is_valid and not got.is_empty
        assert row.area_m2 == pytest.approx(got.area, rel=1e-3)  # measured before the reprojection
        # the same region up to floating-point noise (and the 4326 round trip)
        assert shapely.symmetric_difference(got, expected).area <= 1e-4 * expected.area + 1.0
    # the bigger budget reaches more
    areas = iso.groupby("origin")["area_m2"].apply(list)
    assert all(a[0] < a[1] for a in areas)


@pytest.mark.realdata
def test_isochrone_reaching_everything_is_the_union_of_all_streets(wechel) -> None:
    nodes, edges = wechel["walk"]
    builder = IsochroneBuilder(mode_router(nodes, edges, "walk"), buffer_m=25.0)
    start = nodes.geometry.iloc[0]
    got = builder.isochrones([(start.x, start.y)], [1e7]).to_crs(CRS_METRIC).geometry.iloc[0]
    reachable = _nx_distances(edges, int(nodes["node_id"].iloc[0]))
    metric = edges.to_crs(CRS_METRIC)
    reached = metric[metric["u"].isin(list(reachable))]
    expected = shapely.union_all(shapely.buffer(reached.geometry.to_numpy(), 25.0, quad_segs=4))
    assert shapely.symmetric_difference(got, expected).area <= 1e-4 * expected.area + 1.0
    assert len(builder.faces.polygons) > 20  # the network's faces did most of the union


def _small_grid() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A jittered 7 x 7 grid of 100 m blocks: a missing block side, a dead end into a block, a
    curved street and a bridge crossing two streets without a junction."""
    rng = np.random.default_rng(3)
    xy = {(i, j): (100.0 * i + rng.normal(0, 6), 100.0 * j + rng.normal(0, 6)) for i in range(7) for j in range(7)}
    ids = {key: k for k, key in enumerate(xy)}
    pairs = [((i, j), (i + 1, j)) for i in range(6) for j in range(7)]
    pairs += [((i, j), (i, j + 1)) for i in range(7) for j in range(6)]
    pairs.remove(((2, 2), (3, 2)))  # two blocks merged
    lines = {(ids[a], ids[b]): [xy[a], xy[b]] for a, b in pairs}
    (ax, ay), (bx, by) = xy[(4, 4)], xy[(4, 5)]
    lines[(ids[(4, 4)], ids[(4, 5)])] = [(ax, ay), (ax + 25.0, (ay + by) / 2), (bx, by)]  # curved
    xy["dead end"] = (xy[(1, 1)][0] + 45.0, xy[(1, 1)][1] + 40.0)
    ids["dead end"] = len(ids)
    lines[(ids[(1, 1)], ids["dead end"])] = [xy[(1, 1)], xy["dead end"]]
    lines[(ids[(0, 5)], ids[(2, 4)])] = [xy[(0, 5)], xy[(2, 4)]]  # crosses two streets, no junction
    nodes = gpd.GeoDataFrame(
        {"node_id": list(ids.values())},
        geometry=[_metric(*xy[key]) for key in ids],
        crs=CRS_METRIC,
    ).to_crs(CRS_WGS84)
    geometry = [shapely.LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines.values()]
    length = np.array([g.length for g in geometry])
    edges = gpd.GeoDataFrame(
        {
            "u": [u for u, _ in lines],
            "v": [v for _, v in lines],
            "length_m": length,
            "travel_time_s": length / (15.0 / 3.6),
        },
        geometry=geometry,
        crs=CRS_METRIC,
    ).to_crs(CRS_WGS84)
    return nodes, edges


@pytest.mark.parametrize("buffer_m", [10.0, 25.0, 40.0, 100.0])
def test_isochrones_agree_with_the_exact_union_of_the_reached_buffers(buffer_m: float) -> None:
    nodes, edges = _small_grid()
    router = mode_router(nodes, edges, "bike")
    lonlat = np.column_stack([nodes.geometry.x, nodes.geometry.y])[[24, 8]]  # on junctions
    cutoffs = [30.0, 60.0, 100.0, 1e6]
    builder = IsochroneBuilder(router, buffer_m=buffer_m)
    got = builder.isochrones(lonlat, cutoffs).to_crs(CRS_METRIC).geometry.to_numpy()
    # the exact union of the buffers of every reached stretch, drawn independently
    reach = router.reach(lonlat, cutoffs)
    exact = []
    for origin in range(len(lonlat)):
        for cutoff in cutoffs:
            rows = reach[(reach["origin"] == origin) & (reach["cutoff_s"] == cutoff)]
            lines = [
                substring(router.edge_geometry[e], a, b, normalized=True)
                for e, a, b in zip(rows["edge"], rows["start"], rows["end"], strict=True)
            ]
            exact.append(shapely.union_all(shapely.buffer(np.array(lines, dtype=object), buffer_m, quad_segs=4)))
    iou = shapely.area(shapely.intersection(got, exact)) / shapely.area(shapely.union(got, exact))
    assert shapely.is_valid(got).all()
    assert iou.min() >= 0.999, iou  # the documented tolerance is IoU >= 0.99
    # whole faces were used (the largest budget reaches every street)
    assert len(builder.faces.polygons) >= 30
    assert builder.faces.members.shape == (len(builder.faces.polygons), len(builder.seg_geometry))


def test_isochrone_builder_rejects_bad_buffer_and_duplicate_cutoffs() -> None:
    router = mode_router(*hand_network(), "drive")
    with pytest.raises(ValueError, match="buffer_m"):
        IsochroneBuilder(router, buffer_m=0.0)
    with pytest.raises(ValueError, match="distinct"):
        IsochroneBuilder(router, buffer_m=10.0).isochrones(hand_lonlat(1), [60.0, 60.0])


def test_isochrones_in_batches_equal_all_origins_at_once(monkeypatch) -> None:
    from pipelines.catchment import isochrones as iso_module

    router = mode_router(*hand_network(), "drive")
    origins = hand_lonlat(1, 2, 3)
    whole = IsochroneBuilder(router, buffer_m=10.0).isochrones(origins, [30.0, 60.0])
    monkeypatch.setattr(iso_module, "ORIGINS_PER_BATCH", 1)  # one batch per origin
    for workers in ("1", "2"):  # in this process, then in two worker processes
        monkeypatch.setenv(WORKERS_ENV, workers)
        batched = IsochroneBuilder(router, buffer_m=10.0).isochrones(origins, [30.0, 60.0])
        assert batched["origin"].tolist() == [0, 0, 1, 1, 2, 2]
        pd.testing.assert_frame_equal(batched.drop(columns="geometry"), whole.drop(columns="geometry"))
        assert shapely.equals_exact(batched.geometry.values, whole.geometry.values, tolerance=0).all()
    assert IsochroneBuilder(router, buffer_m=10.0).isochrones(np.zeros((0, 2)), [30.0]).empty


# ------------------------------------------------------------------ Huff tables and tiers


def _cells(n: int) -> np.ndarray:
    """n distinct res-9 cells about 1 km apart near Namur."""
    return latlng_to_cells(np.full(n, 50.46), 4.86 + 0.015 * np.arange(n))


def test_huff_table_reference_values_and_unreachable_pairs() -> None:
    # the published reference: A=3500, B=1500, C=300 at 4, 5, 3 km, beta 2 -> .701/.192/.107
    cells = pd.DataFrame({"h3": _cells(2), "population": [1000.0, 500.0]})
    cost = np.array([[4.0, 5.0, 3.0], [1.0, np.inf, 0.2]])
    pairs = pd.DataFrame(
        {
            "h3": np.repeat(cells["h3"].to_numpy(), 3),
            "district_id": ["A", "B", "C"] * 2,
            "cost_km": cost.reshape(-1),
        }
    ).iloc[::-1]  # any order: the table comes back cell-major
    table = huff_table(
        cells, np.array(["A", "B", "C"]), np.array([3500.0, 1500.0, 300.0]), pairs, 2.0
    )
    assert table["h3"].tolist() == [cells["h3"][0]] * 3 + [cells["h3"][1]] * 2
    first = table[table["h3"] == cells["h3"][0]]
    np.testing.assert_allclose(first["probability"], [0.701, 0.192, 0.107], atol=5e-4)
    np.testing.assert_allclose(first["expected_customers"], 1000 * first["probability"])
    second = table[table["h3"] == cells["h3"][1]]
    assert second["district_id"].tolist() == ["A", "C"]  # B unreachable: no row
    # C at 0.2 km is clamped to 0.5 km: 3500/1 vs 300/0.25
    assert second["probability"].iloc[0] == pytest.approx(3500 / (3500 + 300 / 0.25))
    assert table.groupby("h3")["probability"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_tier_table_polygons_population_and_shares() -> None:
    cells = _cells(5)
    huff = pd.DataFrame(
        {
            "h3": cells,
            "district_id": "X-D01",
            "expected_customers": [10.0, 40.0, 0.0, 20.0, 30.0],
            "population": [100.0, 400.0, 50.0, 200.0, 300.0],
        }
    )
    tiers = tier_table(huff)
    # sorted 40, 30 (70 % >= 60 %: tier 1), 20 (90 % >= 80 %: tier 2), 10 (100 % >= 95 %: tier 3)
    assert tiers["n_cells"].tolist() == [2, 1, 1]
    assert tiers["population"].tolist() == [700.0, 200.0, 100.0]
    assert tiers["share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    expected = cell_polygons(cells[[1, 4]]).to_crs(CRS_METRIC).area.sum()
    assert gpd.GeoSeries(tiers.geometry.iloc[:1], crs=CRS_WGS84).to_crs(CRS_METRIC).area.iloc[
        0
    ] == pytest.approx(expected, rel=1e-6)
    assert cell_tiers(huff).tolist() == [3, 1, 0, 2, 1]


def test_tier_table_in_worker_processes_equals_one_process(monkeypatch) -> None:
    cells = _cells(12)
    huff = pd.DataFrame({"h3": cells, "district_id": [f"X-D0{i % 3}" for i in range(12)],
                         "expected_customers": np.arange(12.0), "population": 10.0 * np.arange(12.0)})
    tables = []
    for workers in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        tables.append(tier_table(huff))
    assert len(tables[0]) == 9
    pd.testing.assert_frame_equal(tables[0].drop(columns="geometry"), tables[1].drop(columns="geometry"))
    assert shapely.equals_exact(tables[0].geometry.values, tables[1].geometry.values, tolerance=0).all()


# --------------------------------------------------------------- revealed catchment


def test_revealed_table_suppresses_counts_below_k() -> None:
    counts = np.array([[50.0, 0.0], [5.0, 0.0], [20.0, 3.0]])
    table = revealed_table(
        counts, np.array(["s0", "s1", "s2"]), np.array(["D1", "D2"]), "vouchers", k=10
    )
    d1 = table[table["district_id"] == "D1"].set_index("sector_id")
    assert d1.loc["s0", "customers"] == 50 and d1.loc["s0", "share"] == pytest.approx(50 / 75)
    assert d1.loc["s0", "tier"] == 1 and d1.loc["s2", "tier"] == 2
    assert (
        d1.loc["s1", "suppressed"]
        and pd.isna(d1.loc["s1", "customers"])
        and pd.isna(d1.loc["s1", "tier"])
    )
    d2 = table[table["district_id"] == "D2"]
    assert len(d2) == 1 and d2["suppressed"].all() and d2["share"].isna().all()
    assert (table["customers"].dropna() >= 10).all()


def test_comparison_table_shares_and_suppression() -> None:
    tiers = np.array([[1], [2], [3], [0]])
    expected = np.array([[60.0], [20.0], [15.0], [5.0]])
    observed = {"vouchers": np.array([[50.0], [30.0], [10.0], [10.0]])}
    table = comparison_table(
        tiers, expected, np.array([1.0, 2.0, 3.0, 4.0]), observed, np.array(["D1"]), k=5
    )
    assert table["tier"].tolist() == [1, 2, 3, 0]
    assert table["modelled_share"].tolist() == pytest.approx([0.6, 0.2, 0.15, 0.05])
    assert table["vouchers_share"].tolist() == pytest.approx([0.5, 0.3, 0.1, 0.1])
    assert table["population"].tolist() == [1.0, 2.0, 3.0, 4.0]
    strict = comparison_table(tiers, expected, np.ones(4), observed, np.array(["D1"]), k=20)
    assert strict["vouchers_share"].isna().tolist() == [False, False, True, True]  # 10 < 20
    none = comparison_table(tiers, expected, np.ones(4), observed, np.array(["D1"]), k=200)
    assert none["vouchers_share"].isna().all() and none["vouchers_n"].isna().all()


def test_od_destination_district_is_the_largest_overlap() -> None:
    sectors = gpd.GeoDataFrame(
        {"sector_id": ["s0", "s1", "s2"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 100),
        ],
        crs=CRS_METRIC,
    )
    districts = gpd.GeoDataFrame(
        {"district_id": ["D1", "D2"]},
        geometry=[
            shapely.box(X0 + 50, Y0, X0 + 120, Y0 + 100),
            shapely.box(X0 + 120, Y0, X0 + 200, Y0 + 100),
        ],
        crs=CRS_METRIC,
    )
    got = od_destination_districts(sectors, districts)
    # s0 overlaps D1 only; s1 overlaps D1 (20 m) and D2 (80 m): D2; s2 no district
    assert got["s0"] == "D1" and got["s1"] == "D2" and pd.isna(got["s2"])


# ------------------------------------------------------------------------- calibration


def test_calibration_through_the_glue_recovers_a_known_beta(tmp_path) -> None:
    """Transactions simulated with beta = 1.6 -> daily Parquet partitions -> gold.voucher_origins
    (its SQL, merchants assigned to district outlines) -> counts -> beta."""
    rng = np.random.default_rng(42)
    n_sectors, n_districts, beta = 40, 6, 1.6
    attract = rng.integers(20, 400, n_districts).astype(float)
    cost_km = rng.uniform(0.3, 25.0, (n_sectors, n_districts))
    p = huff_probabilities(attract, cost_km, beta=beta, min_cost=0.5)
    boxes = [
        shapely.box(X0 + 1000 * j, Y0, X0 + 1000 * j + 200, Y0 + 200) for j in range(n_districts)
    ]
    districts = gpd.GeoDataFrame(
        {"district_id": [f"D{j}" for j in range(n_districts)]}, geometry=boxes, crs=CRS_METRIC
    )
    merchants = gpd.GeoDataFrame(  # two merchants inside each district's outline (containment)
        {"merchant_id": [f"M{j}{m}" for j in range(n_districts) for m in range(2)]},
        geometry=[
            _metric(1000 * j + 100, 100 if m == 0 else 150)
            for j in range(n_districts)
            for m in range(2)
        ],
        crs=CRS_METRIC,
    ).to_crs(CRS_WGS84)
    sectors = np.array([f"9280{i:02d}A00-" for i in range(n_sectors)])
    lake = Lake(tmp_path)
    for day in ("2026-10-12", "2026-10-13"):
        origin = rng.integers(0, n_sectors, 40_000)
        choice = (rng.random(40_000)[:, None] > np.cumsum(p[origin], axis=1)).sum(axis=1)
        merchant = [f"M{j}{m}" for j, m in zip(choice, rng.integers(0, 2, 40_000), strict=True)]
        frame = pd.DataFrame(
            {
                "merchant_id": merchant,
                "merchant_nis": "92094",
                "customer_sector": sectors[origin],
                "customer_postcode": "5000",
                "day": day,
            }
        )
        lake.write(frame, "silver", "transactions", day)
    origins = voucher_origins(lake.read_days("silver", "transactions"), merchants, districts).frame
    assert int(origins["customers"].sum()) == 80_000
    district = origins["district_id"]
    counts, dropped = count_matrix(
        origins["customer_sector"],
        district,
        origins["customers"],
        sectors,
        districts["district_id"].to_numpy(),
    )
    assert dropped == 0 and counts.sum() == 80_000
    result = calibrate(attract, cost_km, counts)
    # 80,000 choices: the standard error of beta is about 0.01
    assert result.beta == pytest.approx(beta, abs=0.05)
    assert result.converged and not result.at_bound and result.pseudo_r2 > 0.2


@pytest.mark.parametrize("seed", [1, 2])
def test_pairwise_huff_equals_the_dense_huff(seed: int) -> None:
    rng = np.random.default_rng(seed)
    attract = rng.uniform(1, 50, 7)
    cost = rng.uniform(0.1, 30, (40, 7))
    cost[rng.random(cost.shape) < 0.5] = np.inf  # outside the choice set
    cost[3] = np.inf  # a cell that reaches nothing
    dense = huff_probabilities(attract, cost, beta=1.7, min_cost=0.5)
    i, j = np.nonzero(np.isfinite(cost))
    pairwise = huff_pair_probabilities(attract, i * 11 + 5, j, cost[i, j], beta=1.7, min_cost=0.5)
    np.testing.assert_allclose(pairwise, dense[i, j], rtol=1e-12, atol=1e-15)


def test_substrings_equal_shapely_substring_vertex_for_vertex() -> None:
    from pipelines.catchment.isochrones import substrings

    rng = np.random.default_rng(11)
    lines, lo, hi = [], [], []
    for k in rng.integers(2, 9, 400):
        xy = np.cumsum(rng.normal(0, 30, (k, 2)), axis=0) + 150_000.0
        line = shapely.LineString(xy)
        a, b = np.sort(rng.random(2))
        lines.append(line)
        lo.append(a)
        hi.append(b)
        # fractions exactly at a vertex, at the ends, and an empty stretch (a point)
        along = np.cumsum(np.hypot(*np.diff(xy, axis=0).T))[:-1]  # the inner vertices
        if len(along):
            lines += [line, line]
            lo += [min(along[0] / line.length, 1.0), 0.0]
            hi += [1.0, min(along[-1] / line.length, 1.0)]
        lines.append(line)
        lo.append(a)
        hi.append(a)
    lines, lo, hi = np.array(lines, dtype=object), np.array(lo), np.array(hi)
    got = substrings(lines, lo, hi)
    for line, g, a, b in zip(lines, got, lo, hi, strict=True):
        expected = substring(line, a, b, normalized=True)
        assert g.geom_type == expected.geom_type
        assert np.array_equal(shapely.get_coordinates(g), shapely.get_coordinates(expected))
