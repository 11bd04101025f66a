"""Routing side by side with its peers, on the same graphs, in one run (`make bench`).

Three kinds of work, each timed for ours and for its peers in alternating runs (medians),
reported as time ratios ours / peer (below 1 = ours faster):

1. **One-to-many** on the region's walk (15 min) and drive (30 min) networks from N = 10,
   100, 1,000 random nodes: ours ``Router.travel_times(origins, None, cutoff_s=T,
   sparse=True)`` (the pairs within T) against scipy ``dijkstra(graph, indices=, limit=T)``
   on the router's own CSR matrix (a dense N x nodes answer), pandana's ``nodes_in_range``
   (contraction hierarchy range query) and igraph's ``distances`` (no cutoff in igraph, so
   N = 10 and 100 only).
2. **Accessibility aggregation**: the shops within 15 min walk of every network node, ours
   ``Router.totals_within`` (search and count, exact on the street-snapped shops) against
   pandana ``precompute`` + ``aggregate(type="count", decay="flat")`` (shops on their
   nearest node); also each one's aggregation alone on kept reach (ours
   ``SparseTimes.totals_within``).
3. **Isochrones** on the synthetic 224 x 224 grid of ``benchmarks.pipeline`` (30 districts x
   walk 5/10/15, bike 10/20, drive 10/20/30 min): ours ``IsochroneBuilder`` against networkx
   ``single_source_dijkstra_path_length`` + the reached streets buffered and unioned with
   shapely (sampled on a few districts and scaled, as in ``benchmarks.pipeline``).

Run: ``python -m benchmarks.routing [--communes 262] [--landing DIR] [--out docs/performance.md]``.
Without ``--landing`` the region (``--communes`` communes, OSM as PBF) is generated into a
temporary folder first (about 2 minutes for 262 communes, and 75 s to read its PBF).
A peer that is not installed gets a "not installed" row.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from threadpoolctl import threadpool_limits

from benchmarks.report import replace_section
from pipelines.constants import CRS_WGS84
from pipelines.routing import Router
from pipelines.sparse_times import SparseTimes
from pipelines.workers import WORKERS_ENV

WALK_S, DRIVE_S = 900.0, 1800.0
SIZES = (10, 100, 1000)
REPEATS = {10: 15, 100: 7, 1000: 3}


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def alternate(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each callable, run in turn (one of each per round, the order
    rotating), so that the machine's load weighs on all of them alike."""
    names = list(runs)
    for name in names:  # warm-up: caches, lazy imports
        runs[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            runs[name]()
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(v)) for name, v in seconds.items()}


# ---------------------------------------------------------------------------- inputs


def region(landing: Path | None, communes: int) -> tuple[dict[str, tuple], pd.DataFrame, str]:
    """(walk and drive networks, shops, description) of the generated region."""
    from pipelines.network import mode_network
    from pipelines.sources import osm_pbf

    tmp = None
    if landing is None:
        from pipelines.demo import generate

        tmp = tempfile.TemporaryDirectory(prefix="bench_routing_")
        landing = Path(tmp.name) / "landing"
        generate(landing, communes=communes, days=1, osm_pbf=True)
    pbf = landing / "osm" / "territory.osm.pbf"
    graph = osm_pbf.read_street_graph(pbf)
    networks = {mode: mode_network(graph, mode) for mode in ("walk", "drive")}
    pois = osm_pbf.read_pois(pbf).table
    shops = pois[pois["kind"] == "shop"]
    if tmp is not None:
        tmp.cleanup()
    return networks, shops, f"{communes}-commune region (`generate --communes {communes} --osm-pbf`)"


def lonlat_of(frame) -> np.ndarray:
    geometry = frame.geometry.to_crs(CRS_WGS84)
    return np.column_stack([geometry.x.to_numpy(), geometry.y.to_numpy()])


# ---------------------------------------------------------------------------- peers


def pandana_network(router: Router):
    import pandana

    edges = router.edges
    return pandana.Network(
        pd.Series(router.node_xy[:, 0], index=router.node_ids),
        pd.Series(router.node_xy[:, 1], index=router.node_ids),
        pd.Series(router.node_ids[edges["a"].to_numpy()]),
        pd.Series(router.node_ids[edges["b"].to_numpy()]),
        edges[["travel_time_s"]].astype(float),
        twoway=False,
    )


def igraph_network(router: Router):
    import igraph

    g = router.graph.tocoo()
    graph = igraph.Graph(n=router.graph.shape[0], edges=list(zip(g.row.tolist(), g.col.tolist(), strict=True)), directed=True)
    graph.es["w"] = g.data.tolist()
    return graph


# ---------------------------------------------------------------------------- the work


def one_to_many(routers: dict[str, Router], lonlats: dict[str, np.ndarray], peers: dict[str, dict]) -> list[dict]:
    rows = []
    rng = np.random.default_rng(21)
    for mode, cutoff in (("walk", WALK_S), ("drive", DRIVE_S)):
        router = routers[mode]
        lonlat = lonlats[mode]
        for n in SIZES:
            pick = rng.choice(len(router.node_ids), n, replace=False)
            points = lonlat[pick]
            router.snap(points[:, 0], points[:, 1])  # snapped once (kept), like scipy's indices
            runs: dict[str, Callable[[], object]] = {
                "ours": lambda r=router, p=points, c=cutoff: r.travel_times(p, None, cutoff_s=c, sparse=True),
                "scipy": lambda r=router, i=pick, c=cutoff: dijkstra(r.graph, directed=True, indices=i, limit=c),
                "scipy + pairs": lambda r=router, i=pick, c=cutoff: SparseTimes.from_dense(
                    dijkstra(r.graph, directed=True, indices=i, limit=c), c
                ),
            }
            net = peers[mode].get("pandana")
            if net is not None:
                ids = router.node_ids[pick]
                runs["pandana"] = lambda net=net, ids=ids, c=cutoff: net.nodes_in_range(ids, c, "travel_time_s")
            graph = peers[mode].get("igraph")
            if graph is not None and n <= 100:
                sources = pick.tolist()
                runs["igraph"] = lambda g=graph, i=sources: g.distances(source=i, weights="w", mode="out")
            seconds = alternate(runs, REPEATS[n])
            ours = router.travel_times(points, None, cutoff_s=cutoff, sparse=True)
            dense = dijkstra(router.graph, directed=True, indices=pick, limit=cutoff)
            same = bool(np.array_equal(ours.to_dense(), np.where(dense <= cutoff, dense, np.inf)))
            rows.append({"mode": mode, "cutoff": cutoff, "n": n, "seconds": seconds, "pairs": ours.nnz, "same": same})
            print(f"one-to-many {mode} N={n}: {seconds} pairs {ours.nnz} equal to scipy: {same}", flush=True)
    return rows


def aggregation(router: Router, nodes: np.ndarray, shops: pd.DataFrame, net) -> dict:
    """Shops within 15 min walk of every node (``nodes``: their lon/lat, in router order)."""
    places = lonlat_of(shops)
    router.snap(nodes[:, 0], nodes[:, 1])
    router.snap(places[:, 0], places[:, 1])
    out: dict[str, object] = {"nodes": len(nodes), "shops": len(places)}
    runs: dict[str, Callable[[], object]] = {
        "ours": lambda: router.totals_within(nodes, places, [WALK_S]),
    }
    kept = router.travel_times(nodes, places, cutoff_s=WALK_S, sparse=True)
    ones = np.ones(len(places))
    runs["ours, aggregation alone"] = lambda: kept.totals_within(ones, WALK_S)
    if net is not None:
        from pipelines.routing import _TO_METRIC

        x, y = _TO_METRIC.transform(places[:, 0], places[:, 1])
        net.set(net.get_node_ids(pd.Series(x), pd.Series(y)), name="shops")  # once: set() adds up
        # precompute once (one timing, not a median): in pandana 0.8 every further call adds
        # its ranges again and the counts grow (5 calls gave 5 times the counts)
        start = time.perf_counter()
        net.precompute(WALK_S)
        precompute = time.perf_counter() - start
        runs["pandana, aggregation alone"] = lambda: net.aggregate(WALK_S, type="count", decay="flat", name="shops")
    out["seconds"] = alternate(runs, 3)
    if net is not None:
        out["seconds"]["pandana"] = precompute + out["seconds"]["pandana, aggregation alone"]
    counts = router.totals_within(nodes, places, [WALK_S])[:, 0]
    out["same"] = bool(np.array_equal(counts, kept.totals_within(ones, WALK_S)))
    out["pairs"] = kept.nnz
    if net is not None:
        theirs = net.aggregate(WALK_S, type="count", decay="flat", name="shops").reindex(router.node_ids).to_numpy()
        out["median_abs_diff"] = float(np.median(np.abs(theirs - counts)))
        out["mean_counts"] = (float(counts.mean()), float(np.nanmean(theirs)))
    print(f"aggregation: {out}", flush=True)
    return out


def isochrones(side: int, sample: int) -> dict:
    """Ours against networkx + shapely on the synthetic grid (the baseline on ``sample``
    districts, scaled to all)."""
    import geopandas as gpd
    from scipy.spatial import cKDTree

    from benchmarks.pipeline import _TO_METRIC, _nx_graph, _nx_isochrones, grid_case
    from pipelines.catchment.area import ISOCHRONE_BUFFER_M, ISOCHRONE_MINUTES, mode_router
    from pipelines.catchment.isochrones import IsochroneBuilder

    case = grid_case(side)
    origins = case.districts[["origin_lon", "origin_lat"]].to_numpy(float)
    k = min(sample, len(origins))
    dx, dy = _TO_METRIC.transform(origins[:k, 0], origins[:k, 1])
    ours = base = 0.0
    diffs = []
    for mode, minutes in ISOCHRONE_MINUTES.items():  # ours then networkx, mode by mode
        start = time.perf_counter()
        builder = IsochroneBuilder(mode_router(*case.networks[mode], mode), buffer_m=ISOCHRONE_BUFFER_M[mode])
        iso = builder.isochrones(origins, [60.0 * m for m in minutes])
        ours += time.perf_counter() - start
        areas = iso["area_m2"].to_numpy().reshape(len(origins), len(minutes))
        nodes, edges = case.networks[mode]
        start = time.perf_counter()
        g = _nx_graph(edges, "travel_time_s")
        ids = nodes["node_id"].to_numpy()
        tree = cKDTree(np.column_stack(_TO_METRIC.transform(nodes.geometry.x, nodes.geometry.y)))
        lines = gpd.GeoSeries(edges.geometry, crs=CRS_WGS84).to_crs("EPSG:31370").to_numpy()
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for d in range(k):
            source = int(ids[tree.query([dx[d], dy[d]])[1]])
            theirs = _nx_isochrones(g, source, edges, lines, minutes, ISOCHRONE_BUFFER_M[mode])
            diffs.extend(np.abs(areas[d] - theirs) / np.maximum(theirs, 1.0))
        base += setup + (time.perf_counter() - start) * len(origins) / k
    out = {"ours": ours, "networkx": base, "sample": k, "districts": len(origins), "area_diff": float(np.median(diffs))}
    print(f"isochrones: {out}", flush=True)
    return out


# ---------------------------------------------------------------------------- report


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def section(desc: str, sizes: dict, peers_setup: dict, o2m: list[dict], agg: dict | None, iso: dict | None, wall: float) -> str:
    lines = [
        "## Routing against its peers",
        "",
        f"- graphs: {desc}: walk {sizes['walk'][0]:,} nodes / {sizes['walk'][1]:,} edges, "
        f"drive {sizes['drive'][0]:,} nodes / {sizes['drive'][1]:,} edges"
        + ("; isochrones on the synthetic 224 x 224 grid of `benchmarks.pipeline`" if iso is not None else ""),
        "- single thread for everyone (OpenMP, used by pandana, and BLAS limited to 1 thread with "
        "`threadpoolctl`; unlimited, pandana's `precompute` and `aggregate` run on every core; "
        "ours without worker processes, `SMARTCOMMERCE_WORKERS=1`), "
        "medians of alternating runs (one run of each per round, order rotating; "
        f"{REPEATS[10]}/{REPEATS[100]}/{REPEATS[1000]} rounds at N = 10/100/1,000); ratio = ours / peer "
        "(below 1: ours faster); origins snapped once beforehand (the router keeps snapped point sets), "
        "as scipy is given node indices. Ours returns the pairs within the cutoff (`SparseTimes`); scipy a dense "
        "N x nodes matrix (`scipy + pairs`: the same matrix turned into the same pairs with `SparseTimes.from_dense`)",
        f"- peers' setup (not in the ratios): {', '.join(f'{k} {fmt_s(v)}' for k, v in peers_setup.items()) or 'none'}",
        f"- bench duration {wall:.0f} s",
        "",
        "| work | N | ours | scipy `dijkstra(limit=)` | ratio | scipy + pairs | ratio | pandana `nodes_in_range` | ratio | igraph (no cutoff) | ratio | pairs | equal to scipy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in o2m:
        s = row["seconds"]
        cells = []
        for peer in ("scipy", "scipy + pairs", "pandana", "igraph"):
            if peer in s:
                cells += [fmt_s(s[peer]), f"{s['ours'] / s[peer]:.2f}"]
            elif peer == "igraph" and installed("igraph"):
                cells += ["not run (no cutoff: N x nodes)", "-"]
            else:
                cells += ["not installed", "-"]
        label = f"{row['mode']} {row['cutoff'] / 60:.0f} min, one-to-many"
        lines.append(f"| {label} | {row['n']:,} | {fmt_s(s['ours'])} | " + " | ".join(cells) + f" | {row['pairs']:,} | {'yes' if row['same'] else 'NO'} |")
    if agg is not None:
        s = agg["seconds"]
        lines += [
            "",
            f"Accessibility aggregation: shops within 15 min walk of every node ({agg['nodes']:,} nodes, "
            f"{agg['shops']:,} shops, {agg['pairs']:,} node-shop pairs within 15 min):",
            "",
            "| work | ours | pandana | ratio |",
            "|---|---:|---:|---:|",
        ]
        for ours, theirs, label in (
            ("ours", "pandana", "search + count (ours `Router.totals_within`; pandana `precompute`, one run, + `aggregate`)"),
            ("ours, aggregation alone", "pandana, aggregation alone", "count alone on kept reach (ours `SparseTimes.totals_within`; pandana `aggregate`)"),
        ):
            if theirs in s:
                lines.append(f"| {label} | {fmt_s(s[ours])} | {fmt_s(s[theirs])} | {s[ours] / s[theirs]:.2f} |")
            else:
                lines.append(f"| {label} | {fmt_s(s[ours])} | not installed | - |")
        lines += [
            "",
            f"Ours counts the shops on their streets (snapped to edges, access legs included) and is equal to "
            f"`travel_times(...).totals_within` (checked: {'yes' if agg['same'] else 'NO'}); pandana counts shops "
            "on their nearest node, so the counts differ"
            + (
                f" (median absolute difference per node {agg['median_abs_diff']:.0f}; mean counts ours "
                f"{agg['mean_counts'][0]:.1f}, pandana {agg['mean_counts'][1]:.1f})."
                if "median_abs_diff" in agg
                else "."
            ),
        ]
    if iso is not None:
        lines += [
            "",
            f"Isochrones (synthetic 224 x 224 grid, {iso['districts']} districts x 8 polygons; networkx timed on "
            f"{iso['sample']} districts and scaled): ours {iso['ours']:.1f} s, networkx + shapely {iso['networkx']:.1f} s, "
            f"**{iso['networkx'] / iso['ours']:.1f}x** faster (target 20x); median relative area difference "
            f"{100 * iso['area_diff']:.2f} % (ours snaps origins to streets, networkx to the nearest node).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=262)
    parser.add_argument("--landing", type=Path, default=None, help="an existing landing folder (with osm/territory.osm.pbf)")
    parser.add_argument("--out", type=Path, default=Path("docs/performance.md"))
    parser.add_argument("--grid-side", type=int, default=224)
    parser.add_argument("--sample", type=int, default=3, help="districts the networkx isochrones are timed on")
    parser.add_argument("--skip", nargs="*", default=[], choices=["one-to-many", "aggregation", "isochrones"])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    networks, shops, desc = region(args.landing, args.communes)
    routers = {mode: Router.from_network(*networks[mode]) for mode in networks}
    sizes = {mode: (len(networks[mode][0]), len(networks[mode][1])) for mode in networks}
    peers: dict[str, dict] = {mode: {} for mode in networks}
    setup: dict[str, float] = {}
    for mode, router in routers.items():
        if installed("pandana"):
            start = time.perf_counter()
            peers[mode]["pandana"] = pandana_network(router)
            setup[f"pandana contraction hierarchy ({mode})"] = time.perf_counter() - start
        if installed("igraph"):
            start = time.perf_counter()
            peers[mode]["igraph"] = igraph_network(router)
            setup[f"igraph graph ({mode})"] = time.perf_counter() - start
    print(f"networks {sizes}, peers' setup {setup}", flush=True)
    lonlats = {mode: lonlat_of(networks[mode][0]) for mode in networks}  # as the routers read them
    os.environ[WORKERS_ENV] = "1"  # the terms: single thread, ours and the peers
    with threadpool_limits(limits=1):
        o2m = one_to_many(routers, lonlats, peers) if "one-to-many" not in args.skip else []
        agg = (
            aggregation(routers["walk"], lonlats["walk"], shops, peers["walk"].get("pandana"))
            if "aggregation" not in args.skip
            else None
        )
        iso = isochrones(args.grid_side, args.sample) if "isochrones" not in args.skip else None
    body = section(desc, sizes, setup, o2m, agg, iso, time.perf_counter() - started)
    load = os.getloadavg()[0]
    print(body, f"\nload {load:.1f}")
    replace_section(args.out, "routing", body)


if __name__ == "__main__":
    main()
