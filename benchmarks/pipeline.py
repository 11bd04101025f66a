"""Benchmark of the catchment engine against the straightforward networkx approach (`make bench`).

Two networks: the demo territory (generated into a temporary folder) and a synthetic city of
at least 50,000 street nodes per mode. On each, "ours" computes every district's isochrones
(walk 5/10/15, bike 10/20, drive 10/20/30 min) with :class:`pipelines.catchment.isochrones.IsochroneBuilder`
and the full Huff matrix (every H3 cell x every district, shortest drive in km, one csgraph
Dijkstra per district on the reversed network). The baseline does the same work the way a
notebook would: one ``networkx.single_source_dijkstra_path_length`` per district and mode,
then per cutoff the reached streets (cut where the time runs out) buffered and unioned, and
for the Huff matrix one Dijkstra per district on the reversed graph with the cells joined to
their nearest node. The baseline is timed on a sample of districts and scaled to all of them
(it takes minutes). Results go to ``docs/performance.md``.

Run: ``python -m benchmarks.pipeline [--out docs/performance.md] [--grid-side 224]``.

``--pipeline`` instead generates regions of 10 and 50 communes (``--days``, default 28) and
materialises every asset of each in a fresh process, recording the wall time and peak
resident memory of every step; the figures go to the "Whole pipeline" section of the same
file (the catchment figures are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree
from shapely.ops import substring

if TYPE_CHECKING:
    from pipelines.lake import Lake

from pipelines.catchment import huff_probabilities
from pipelines.catchment.area import (
    ISOCHRONE_BUFFER_M,
    ISOCHRONE_MINUTES,
    cell_centres,
    costs_to_destinations,
    mode_router,
)
from pipelines.catchment.isochrones import IsochroneBuilder
from pipelines.catchment.model import HUFF_MIN_KM
from pipelines.constants import CRS_METRIC, CRS_WGS84

_TO_METRIC = pyproj.Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)
_TO_WGS84 = pyproj.Transformer.from_crs(CRS_METRIC, CRS_WGS84, always_xy=True)


@dataclass
class Case:
    """One benchmark input: per-mode networks, districts and origin cells."""

    name: str
    networks: dict[str, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]]
    districts: pd.DataFrame  # district_id, origin_lon, origin_lat, n_shops
    cells: pd.DataFrame  # h3, population
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _clock(out: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall time of the block to ``out[key]``."""
    start = time.perf_counter()
    yield
    out[key] = out.get(key, 0.0) + time.perf_counter() - start


# ---------------------------------------------------------------------------- inputs


def demo_case(workdir: Path) -> Case:
    """The demo territory (seed 42, scale 1): OSM networks, DBSCAN districts, H3 cells."""
    from pipelines.conform import conform_points, points_from_lonlat
    from pipelines.demo import generate
    from pipelines.district_table import build_districts
    from pipelines.grid import territory_cells
    from pipelines.network import mode_network
    from pipelines.shops import conflate_shops
    from pipelines.sources import kbo, osm, statbel

    landing = workdir / "landing"
    generate(landing)
    communes = statbel.read_communes(landing / "statbel" / "communes.geojson").table
    sectors = statbel.read_sectors(landing / "statbel" / "sectors.geojson").table
    tables = {k: r.table for k, r in kbo.read_kbo(landing / "kbo").items()}
    points = kbo.read_address_points(landing / "kbo" / "address_points.csv").table
    located = kbo.locate_establishments(tables, points).table
    pois = osm.read_pois(landing / "osm" / "territory.osm").table
    shops = conflate_shops(
        points_from_lonlat(located[located["category"] != "other"]), pois[pois["kind"] == "shop"]
    )
    districts, _ = build_districts(conform_points(shops, communes))
    graph = osm.read_street_graph(landing / "osm" / "territory.osm")
    networks = {mode: mode_network(graph, mode) for mode in ISOCHRONE_MINUTES}
    cells = territory_cells(communes, sectors)[["h3", "population"]]
    return Case("demo territory (10 communes)", networks, districts, cells)


def grid_case(side: int = 224, n_districts: int = 30, seed: int = 1) -> Case:
    """A synthetic city: a jittered ``side`` x ``side`` street grid, 100 m blocks.

    Every 8th street is a 50 km/h artery, the others 30 km/h residential streets of which a
    fifth are one-way for cars (alternating direction); 2 % of the blocks' sides are missing.
    Districts sit 10 m off random streets; the cells are every H3 cell over the grid.
    """
    from pipelines.grid import covering_cells

    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = 150_000.0 + 100.0 * i + rng.normal(0, 8, i.shape)
    y = 110_000.0 + 100.0 * j + rng.normal(0, 8, j.shape)
    node = np.arange(side * side).reshape(side, side)
    pairs = [(node[:-1, :], node[1:, :], j[:-1, :]), (node[:, :-1], node[:, 1:], i[:, :-1])]
    u = np.concatenate([p[0].ravel() for p in pairs])
    v = np.concatenate([p[1].ravel() for p in pairs])
    line_no = np.concatenate([p[2].ravel() for p in pairs])
    keep = rng.random(len(u)) > 0.02
    u, v, line_no = u[keep], v[keep], line_no[keep]
    artery = line_no % 8 == 0
    xy = np.column_stack([x.ravel(), y.ravel()])
    geometry = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    length = shapely.length(geometry)
    one_way = ~artery & (line_no % 5 == 1)
    lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(len(xy))}, geometry=shapely.points(lon, lat), crs=CRS_WGS84
    )
    wgs = gpd.GeoSeries(geometry, crs=CRS_METRIC).to_crs(CRS_WGS84).to_numpy()
    networks = {}
    for mode, speed in (("walk", 4.8), ("bike", 15.0), ("drive", None)):
        kmh = np.where(artery, 50.0, 30.0) if speed is None else np.full(len(u), speed)
        both = ~one_way if mode == "drive" else np.ones(len(u), dtype=bool)
        frame = pd.DataFrame({"u": u, "v": v, "length_m": length, "speed_kmh": kmh})
        back = frame[both].rename(columns={"u": "v", "v": "u"})
        edges = pd.concat([frame, back], ignore_index=True)
        geoms = np.concatenate([wgs, shapely.reverse(wgs[both])])
        edges["travel_time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
        networks[mode] = (nodes, gpd.GeoDataFrame(edges, geometry=geoms, crs=CRS_WGS84))
    pick = rng.choice(len(u), n_districts, replace=False)
    mid = shapely.get_coordinates(
        shapely.line_interpolate_point(geometry[pick], 0.5, normalized=True)
    )
    olon, olat = _TO_WGS84.transform(mid[:, 0] + 10.0, mid[:, 1] + 10.0)
    districts = pd.DataFrame(
        {
            "district_id": [f"G-D{k + 1:02d}" for k in range(n_districts)],
            "origin_lon": olon,
            "origin_lat": olat,
            "n_shops": rng.integers(10, 400, n_districts).astype(float),
        }
    )
    box = shapely.box(
        *_TO_WGS84.transform(x.min(), y.min()), *_TO_WGS84.transform(x.max(), y.max())
    )
    h3 = covering_cells(box)
    cells = pd.DataFrame({"h3": h3, "population": rng.lognormal(4.0, 1.0, len(h3))})
    return Case(f"synthetic city ({side}x{side} grid)", networks, districts, cells)


# ---------------------------------------------------------------------------- the two ways


def run_ours(case: Case) -> tuple[dict[str, float], dict[str, gpd.GeoDataFrame], np.ndarray]:
    """Isochrones of every district and mode, and the Huff matrix; returns timings, results."""
    t: dict[str, float] = {}
    origins = case.districts[["origin_lon", "origin_lat"]].to_numpy(float)
    iso = {}
    for mode, minutes in ISOCHRONE_MINUTES.items():
        with _clock(t, "isochrones"):
            router = mode_router(*case.networks[mode], mode)
            builder = IsochroneBuilder(router, buffer_m=ISOCHRONE_BUFFER_M[mode])
            iso[mode] = builder.isochrones(origins, [60.0 * m for m in minutes])
    with _clock(t, "huff"):
        rev = mode_router(*case.networks["drive"], "drive", cost="distance", reverse=True)
        cells = cell_centres(case.cells["h3"].to_numpy())
        km = costs_to_destinations(rev, cells, origins, np.inf).to_dense() / 1000  # every pair
        attract = case.districts["n_shops"].to_numpy(float)
        probabilities = huff_probabilities(attract, km, beta=2.0, min_cost=HUFF_MIN_KM)
    t["total"] = t["isochrones"] + t["huff"]
    return t, iso, probabilities


def _nx_graph(edges: pd.DataFrame, weight: str, *, reverse: bool = False) -> nx.DiGraph:
    a, b = ("v", "u") if reverse else ("u", "v")
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(edges[a], edges[b], edges[weight], strict=True), weight="w")
    return g


def _nx_isochrones(
    g: nx.DiGraph,
    source: int,
    edges: pd.DataFrame,
    lines: np.ndarray,
    minutes: tuple,
    buffer_m: float,
) -> list[float]:
    """One networkx Dijkstra, then per cutoff the reached streets buffered and unioned (areas)."""
    dist = nx.single_source_dijkstra_path_length(g, source, cutoff=60.0 * max(minutes), weight="w")
    at_u = pd.Series(dist).reindex(edges["u"].to_numpy()).to_numpy()
    times = edges["travel_time_s"].to_numpy()
    areas = []
    for cutoff in (60.0 * m for m in minutes):
        pieces = [
            lines[e]
            if at_u[e] + times[e] <= cutoff
            else substring(lines[e], 0.0, (cutoff - at_u[e]) / times[e], normalized=True)
            for e in np.flatnonzero(at_u < cutoff)
        ]
        buffers = shapely.buffer(np.array(pieces, dtype=object), buffer_m, quad_segs=4)
        areas.append(shapely.union_all(buffers).area)
    return areas


def run_baseline(case: Case, sample: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """The per-source networkx approach on the first ``sample`` districts, scaled to all."""
    t: dict[str, float] = {}
    n, k = len(case.districts), min(sample, len(case.districts))
    lonlat = case.districts[["origin_lon", "origin_lat"]].to_numpy(float)[:k]
    dx, dy = _TO_METRIC.transform(lonlat[:, 0], lonlat[:, 1])
    areas: dict[str, list[float]] = {}
    for mode, minutes in ISOCHRONE_MINUTES.items():
        nodes, edges = case.networks[mode]
        with _clock(t, "isochrones_setup"):
            g = _nx_graph(edges, "travel_time_s")
            ids = nodes["node_id"].to_numpy()
            tree = cKDTree(
                np.column_stack(_TO_METRIC.transform(nodes.geometry.x, nodes.geometry.y))
            )
            lines = gpd.GeoSeries(edges.geometry, crs=CRS_WGS84).to_crs(CRS_METRIC).to_numpy()
        for d in range(k):
            with _clock(t, "isochrones_per_district"):
                source = int(ids[tree.query([dx[d], dy[d]])[1]])
                areas[f"{mode}:{d}"] = _nx_isochrones(
                    g, source, edges, lines, minutes, ISOCHRONE_BUFFER_M[mode]
                )
    nodes, edges = case.networks["drive"]
    with _clock(t, "huff_setup"):
        g = _nx_graph(edges, "length_m", reverse=True)
        ids = nodes["node_id"].to_numpy()
        tree = cKDTree(np.column_stack(_TO_METRIC.transform(nodes.geometry.x, nodes.geometry.y)))
        centre = cell_centres(case.cells["h3"].to_numpy())
        gap, near = tree.query(np.column_stack(_TO_METRIC.transform(centre[:, 0], centre[:, 1])))
    columns = []
    for d in range(k):
        with _clock(t, "huff_per_district"):
            source = int(ids[tree.query([dx[d], dy[d]])[1]])
            dist = pd.Series(nx.single_source_dijkstra_path_length(g, source, weight="w"))
            columns.append(dist.reindex(ids[near]).to_numpy() + gap)
    with _clock(t, "huff_setup"):
        km = np.nan_to_num(np.column_stack(columns) / 1000.0, nan=np.inf)
        attract = case.districts["n_shops"].to_numpy(float)[:k]
        huff_probabilities(attract, km, beta=2.0, min_cost=HUFF_MIN_KM)
    scale = n / k
    out = {
        "isochrones": t["isochrones_setup"] + scale * t["isochrones_per_district"],
        "huff": t["huff_setup"] + scale * t["huff_per_district"],
        "huff_per_cell": t["huff_setup"]
        + _per_cell_seconds(case, g.reverse(copy=False), ids, tree),
        "sampled_districts": float(k),
    }
    out["total"] = out["isochrones"] + out["huff"]
    return out, areas


def _per_cell_seconds(
    case: Case, g: nx.DiGraph, ids: np.ndarray, tree: cKDTree, sample: int = 40
) -> float:
    """The naive Huff matrix: one forward Dijkstra per origin cell (sampled, scaled to all)."""
    centre = cell_centres(case.cells["h3"].to_numpy())
    rows = np.random.default_rng(0).choice(len(centre), min(sample, len(centre)), replace=False)
    _, near = tree.query(np.column_stack(_TO_METRIC.transform(centre[rows, 0], centre[rows, 1])))
    start = time.perf_counter()
    for node in ids[near]:
        nx.single_source_dijkstra_path_length(g, int(node), weight="w")
    return (time.perf_counter() - start) * len(centre) / len(rows)


def size(case: Case) -> str:
    nodes = {m: len(n) for m, (n, _) in case.networks.items()}
    edges = {m: len(e) for m, (_, e) in case.networks.items()}
    return (
        f"{len(case.districts)} districts, {len(case.cells):,} H3 cells; nodes "
        + ", ".join(f"{m} {nodes[m]:,}" for m in nodes)
        + "; edges "
        + ", ".join(f"{m} {edges[m]:,}" for m in edges)
    )


def agreement(iso: dict[str, gpd.GeoDataFrame], areas: dict[str, list[float]]) -> float:
    """Median relative difference of isochrone areas, ours vs the baseline (sampled districts)."""
    diffs = []
    for key, base in areas.items():
        mode, d = key.split(":")
        ours = iso[mode][iso[mode]["origin"] == int(d)]["area_m2"].to_numpy()
        diffs.extend(np.abs(ours - np.asarray(base)) / np.maximum(base, 1.0))
    return float(np.median(diffs)) if diffs else float("nan")


# --------------------------------------------------------------------------- whole pipeline
PIPELINE_COMMUNES = (10, 50, 262)
"""Region sizes of the whole-pipeline bench (``--pipeline``)."""


def _rss_bytes() -> int:
    """Memory of this process and its worker processes now (Linux): this process's resident
    set size (``/proc/self/statm``) plus each live child's private pages (``smaps_rollup``;
    the pages a forked worker still shares with this process are counted once, here)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        total = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return total + sum(_private_bytes(pid) for pid in _children())


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def _private_bytes(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:  # ended meanwhile
        return 0
    return sum(int(line.split()[1]) * 1024 for line in lines if line.startswith(("Private_Clean:", "Private_Dirty:")))


def _steps(instance, run_id: str, samples: list[tuple[float, int]]) -> dict[str, dict[str, float]]:
    """Wall time and peak RSS of every step of a run, from its event log and the RSS samples."""
    starts: dict[str, float] = {}
    steps: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            t0, t1 = starts.get(event.step_key, entry.timestamp), entry.timestamp
            during = [rss for t, rss in samples if t0 <= t <= t1]
            if not during:  # shorter than the sampling step: the nearest sample
                during = [min(samples, key=lambda s: abs(s[0] - t1))[1]]
            steps[event.step_key] = {"seconds": t1 - t0, "peak_mb": max(during) / 2**20}
    return steps


def pipeline_run(
    communes: int, days: int, start: date | None = None, probe: Callable[[Lake], dict] | None = None
) -> dict[str, object]:
    """Generate a region of ``communes`` communes and materialise every asset, in process.

    Returns the generation time, the wall time and the peak resident memory of every step
    (RSS sampled every 0.1 s while the step ran; steps run one at a time in process), the
    run's peak RSS and whether it succeeded with every check passing; then the nightly
    refresh of the last day (its partitions and everything downstream, the ``refresh_day``
    job of the schedule) on the built lake: wall time, peak RSS, success.

    ``start`` is the first day of the time series (default: the generator's); ``probe``, if
    given, is called with the built lake at the end and its result returned as ``probe``.
    """
    import threading

    import dagster as dg

    from assets.automation import refresh_day_selection
    from assets.cli import landing_days
    from assets.definitions import all_assets
    from assets.partitions import daily
    from assets.resources import LakeResource, SettingsResource
    from pipelines.demo import generate
    from pipelines.lake import Lake

    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.time(), _rss_bytes()))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as tmp:
        lake = Lake(Path(tmp))
        os.environ["SMARTCOMMERCE_DATA"] = str(lake.root)
        started = time.perf_counter()
        generate(lake.landing, communes=communes, days=days, **({"start": start} if start else {}))
        generated = time.perf_counter() - started
        keys = set(daily.get_partition_keys())
        period = [d for d in landing_days(lake.landing) if d in keys]
        instance = dg.DagsterInstance.ephemeral()
        started = time.perf_counter()
        result = dg.materialize(
            all_assets,
            instance=instance,
            resources={
                "lake": LakeResource(root=str(lake.root)),
                "settings": SettingsResource(pseudonym_key="bench-key"),
            },
            tags={
                "dagster/asset_partition_range_start": period[0],
                "dagster/asset_partition_range_end": period[-1],
            },
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            raise_on_error=False,
        )
        materialised = time.perf_counter() - started
        full_end = time.time()
        # the nightly refresh: one day's partitions and everything downstream of them
        started = time.perf_counter()
        nightly = dg.materialize(
            all_assets,
            selection=refresh_day_selection(all_assets),
            partition_key=period[-1],
            instance=instance,
            resources={
                "lake": LakeResource(root=str(lake.root)),
                "settings": SettingsResource(pseudonym_key="bench-key"),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            raise_on_error=False,
        )
        nightly_s = time.perf_counter() - started
        stop.set()
        sampler.join()
        steps = _steps(instance, result.run_id, samples)
        nightly_steps = _steps(instance, nightly.run_id, samples)
        checks = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        probed = probe(lake) if probe else None
    return {
        "communes": communes,
        "days": days,
        "generate_s": generated,
        "materialise_s": materialised,
        "peak_mb": max(rss for t, rss in samples if t <= full_end) / 2**20,
        "nightly_s": nightly_s,
        "nightly_peak_mb": max(rss for t, rss in samples if t > full_end) / 2**20,
        "nightly_success": bool(nightly.success),
        "success": bool(result.success),
        "checks": len(checks),
        "failed_checks": sum(not c.passed for c in checks),
        "steps": steps,
        "nightly_steps": nightly_steps,
        **({"probe": probed} if probe else {}),
    }


def pipeline_bench(communes: tuple[int, ...], days: int) -> list[dict[str, object]]:
    """:func:`pipeline_run` for each size, each in a fresh Python process (clean memory)."""
    import json
    import subprocess
    import sys

    rows = []
    for n in communes:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cmd = [sys.executable, "-m", "benchmarks.pipeline", "--pipeline-one", str(n)]
            cmd += ["--days", str(days), "--json", out.name]
            subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
            rows.append(json.loads(Path(out.name).read_text(encoding="utf-8")))
        print(
            f"{n} communes: generate {rows[-1]['generate_s']:.1f} s, "
            f"materialise {rows[-1]['materialise_s']:.1f} s, peak {rows[-1]['peak_mb']:.0f} MB; "
            f"nightly refresh {rows[-1]['nightly_s']:.1f} s, peak {rows[-1]['nightly_peak_mb']:.0f} MB",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="bench the whole pipeline (full build and nightly refresh) at --communes sizes "
        "instead of the catchment engine",
    )
    parser.add_argument(
        "--communes",
        default=",".join(map(str, PIPELINE_COMMUNES)),
        help="region sizes of --pipeline, comma-separated (default %(default)s)",
    )
    parser.add_argument("--pipeline-one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, default=28, help="days of the --pipeline regions")
    parser.add_argument("--json", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "performance.md"
    )
    parser.add_argument(
        "--grid-side", type=int, default=224, help="synthetic grid side (224 -> 50,176 nodes)"
    )
    parser.add_argument("--grid-districts", type=int, default=30)
    parser.add_argument("--sample", type=int, default=3, help="districts timed for the baseline")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.pipeline_one is not None:
        import json

        args.json.write_text(json.dumps(pipeline_run(args.pipeline_one, args.days)), "utf-8")
        return
    if args.pipeline:
        from benchmarks.report import write_pipeline_section

        runs = pipeline_bench(tuple(int(n) for n in args.communes.split(",")), args.days)
        write_pipeline_section(runs, args.out, time.perf_counter() - started)
        print(f"wrote {args.out}")
        return
    from pipelines.workers import WORKERS_ENV

    os.environ[WORKERS_ENV] = "1"  # one process, as the baseline
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_") as tmp:
        for make in (
            lambda: demo_case(Path(tmp)),
            lambda: grid_case(args.grid_side, args.grid_districts),
        ):
            case = make()
            print(f"{case.name}: {size(case)}", flush=True)
            ours, iso, _ = run_ours(case)
            print(f"  ours     {ours}", flush=True)
            base, areas = run_baseline(case, args.sample)
            print(f"  baseline {base}", flush=True)
            rows.append(
                {
                    "name": case.name,
                    "size": size(case),
                    "ours": ours,
                    "baseline": base,
                    "agreement": agreement(iso, areas),
                }
            )
    from benchmarks.report import write_report

    write_report(rows, args.out, time.perf_counter() - started)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
