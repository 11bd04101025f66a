"""The Markdown report of ``make bench`` (``docs/performance.md``): machine, date, figures."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path


def _machine() -> dict[str, str]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(
                cmd, shell=True, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return "?"

    model = sh("lscpu | grep 'Model name'").split(":", 1)[-1].strip() or platform.processor()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": sh("nproc"),
        "model": model,
        "ram": f"{ram:.1f} GiB",
        "python": platform.python_version(),
        "load": " ".join(f"{v:.1f}" for v in os.getloadavg()),
    }


PARTS = {
    "isochrones (all districts x 8)": ("isochrones", "isochrones"),
    "Huff matrix, baseline one Dijkstra per district": ("huff", "huff"),
    "Huff matrix, baseline one Dijkstra per cell": ("huff", "huff_per_cell"),
    "total (isochrones + Huff, per-district baseline)": ("total", "total"),
}


def write_report(rows: list[dict[str, object]], path: Path, seconds: float) -> None:
    """Write ``docs/performance.md`` from the bench rows (name, size, ours, baseline, agreement)."""
    machine = _machine()
    lines = [
        "# Performance: catchment engine",
        "",
        "Written by `make bench` (`python -m pipelines.bench`); do not edit by hand.",
        "",
        f"- date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {machine['cpus']} CPUs (`nproc`), {machine['model']}, {machine['ram']} RAM, "
        f"Python {machine['python']}",
        f"- load average at the end: {machine['load']} (other work on the machine inflates wall times)",
        f"- bench duration: {seconds:.0f} s",
        "",
        "Networks:",
        "",
        *[f"- **{row['name']}**: {row['size']}" for row in rows],
        "",
        "Work measured on each network: the isochrones of every district (walk 5/10/15, bike",
        "10/20, drive 10/20/30 min: 8 polygons per district, reached streets buffered 25/40/100 m",
        "and unioned) and the full Huff matrix (every H3 cell x every district, shortest drive in",
        "km, then the probabilities).",
        "",
        "- **Ours**: `Router` (scipy csgraph: all districts in one Dijkstra call, points snapped",
        "  to edges) + `IsochroneBuilder` (quadtree of streets with cached unions) + one",
        "  reversed-network Dijkstra batch for the Huff costs. Setup (building the routers) included.",
        "- **Baseline**: networkx `single_source_dijkstra_path_length` per district and mode, then",
        "  per cutoff the reached streets (cut where the time runs out) buffered and unioned with",
        "  shapely. Huff costs either by one networkx Dijkstra per district on the reversed graph",
        "  (the clever way) or one per origin cell (the straightforward way for an origin x",
        "  destination matrix). Cells and districts join their nearest node (scipy KD-tree).",
        "  Graph building included. The baseline is timed on a sample of districts (and 40",
        "  cells) and its per-district (per-cell) time scaled to all of them.",
        "",
        "| network | part | ours (s) | baseline (s) | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        for label, (mine, theirs) in PARTS.items():
            ours, base = row["ours"][mine], row["baseline"][theirs]
            lines.append(
                f"| {row['name']} | {label} | {ours:.2f} | {base:.2f} | {base / ours:.1f}x |"
            )
    lines += [
        "",
        "Agreement (median relative difference of isochrone areas, ours vs baseline, on the",
        "sampled districts; the baseline starts at the nearest node, ours at the point snapped",
        "to its street):",
        "",
        *[
            f"- {row['name']}: {100 * row['agreement']:.2f} % "
            f"(baseline sampled on {int(row['baseline']['sampled_districts'])} districts)"
            for row in rows
        ],
        "",
        "## Reading the ratios",
        "",
        "- **Isochrones** are bounded by geometry, not by shortest paths: both approaches must",
        "  union thousands of street buffers, and that union is most of the time. The cached",
        "  quadtree unions save the blocks of streets that an isochrone reaches whole; the",
        "  bigger the network and the isochrones, the more it saves.",
        "- **Huff matrix**: with few districts, one networkx Dijkstra per district on the",
        "  reversed graph is already cheap; building our router (snapping every cell to its",
        "  street edge) costs about as much as the shortest paths themselves on the small demo.",
        "  Against the straightforward origin-by-origin computation, the batch is two to three",
        "  orders of magnitude faster.",
        "- The 20x aim is reached for the shortest-path work (Huff against per-origin Dijkstra),",
        "  not for the isochrone polygons, whose cost is the geometry union in both approaches.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
