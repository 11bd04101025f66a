"""Benchmark of the cockpit at Wallonia size: build time of the ``gold.region_*`` tables and of
the pages, and the region page's load time in headless Chromium (`make bench`).

**Input.** By default the real boundaries of the Walloon communes
(``../shared/realdata/01_boundaries/belgium_municipalities_2019_bmesuere.geojson``, Statbel
2019 via bmesuere/belgium-topojson, CC0: 263 communes with their real outlines and
population) with seeded Canvas tables made up for them: two-to-five pillar scores, eight
indicator actions and up to two data actions per commune taken from the action catalogue,
and a data inventory where each optional family is missing with probability 0.2; each commune
gets a stand-in report of ``--report-kb`` KB (the demo's reports weigh about 270 KB) so that
copying the reports into the group folders is timed too. Without the real file, a grid of
square communes. With ``--data ROOT`` instead, the Canvas tables and reports of a real run
(``generate --communes 262`` then ``run``) are read from that data root.

**What is timed.** *tables*: :func:`pipelines.cockpit.tables.build_region_tables`; *pages*:
:func:`pipelines.cockpit.pages.build_pages` (region page, one page, report copies and
GeoPackage/GeoParquet per group, as bytes) and the writing of its files; *load*: the region page opened by
``chromium --headless --dump-dom``, the time from navigation start to the ``load`` event
as the page records it (``performance.now()`` in its ``data-load-ms`` attribute), median of
``--loads`` runs, and the wall time of the whole Chromium process (start-up included).

Run: ``python -m benchmarks.cockpit [--out docs/performance.md] [--data ROOT] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from pipelines.cockpit.pages import build_pages
from pipelines.cockpit.tables import build_region_tables

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
BOUNDARIES = REALDATA / "01_boundaries" / "belgium_municipalities_2019_bmesuere.geojson"
PILLARS = [("be_found", "Être trouvé"), ("get_there", "Venir"), ("stay", "Rester"), ("spend", "Dépenser et revenir"), ("delivery", "Livraison")]
FAMILIES = {"gtfs": "Horaires des transports en commun (GTFS)", "kbo": "Banque-Carrefour des Entreprises", "wifi": "Capteurs WiFi de fréquentation",
            "counters": "Compteurs piétons et vélos", "od": "Flux origine-destination (opérateur mobile)", "vouchers": "Chèques commerces",
            "vacancy": "Registre des cellules vides", "parking": "Stationnement"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SEED = 20261206


def walloon_communes(n_fallback: int = 262) -> tuple[gpd.GeoDataFrame, str]:
    """The real Walloon communes (or a grid of squares without the real file)."""
    if BOUNDARIES.exists():
        g = gpd.read_file(BOUNDARIES)
        g = g[g["nis"].astype(str).str[:2].isin(["25", "51", "52", "53", "54", "55", "56", "57", "58", "61", "62", "63", "64", "81", "82", "83", "84", "85", "91", "92", "93"])]
        out = gpd.GeoDataFrame({"nis": g["nis"].astype(str), "commune": g["name_fr"], "population": g["population"].astype(float)},
                               geometry=g.geometry.make_valid(), crs=g.crs).to_crs("EPSG:4326").reset_index(drop=True)
        return out, f"the {len(out)} real Walloon commune outlines (Statbel 2019, {BOUNDARIES.name})"
    side = int(np.ceil(np.sqrt(n_fallback)))
    squares = [box(150000 + 5000 * (i % side), 100000 + 5000 * (i // side), 155000 + 5000 * (i % side), 105000 + 5000 * (i // side)) for i in range(n_fallback)]
    nis = [f"9{i // 100 + 1}8{i % 100:02d}" for i in range(n_fallback)]
    out = gpd.GeoDataFrame({"nis": nis, "commune": [f"Commune {i}" for i in range(n_fallback)], "population": 10000.0},
                           geometry=gpd.GeoSeries(squares, crs="EPSG:31370")).to_crs("EPSG:4326")
    return out, f"a grid of {n_fallback} square communes (real boundaries not found)"


def synthetic_canvas(communes: gpd.GeoDataFrame, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Seeded Canvas tables for ``communes`` (see the module docstring)."""
    from pipelines.canvas.catalogue import load_catalogue

    rng = np.random.default_rng(seed)
    actions = [(code, str(a.get("title_fr", code)), a.get("pillar")) for code, a in load_catalogue().actions.items()]
    nis, names = communes["nis"].tolist(), communes["commune"].tolist()
    pillars = pd.DataFrame([{"nis": n, "commune": c, "pillar": p, "pillar_fr": f, "order": o + 1, "score": float(rng.uniform(0, 100))}
                            for n, c in zip(nis, names, strict=True) for o, (p, f) in enumerate(PILLARS)])
    rows, cad = [], []
    for n, c in zip(nis, names, strict=True):
        for r, k in enumerate(rng.choice(len(actions), size=8, replace=False), start=1):
            code, title, pillar = actions[k]
            rows.append({"nis": n, "commune": c, "kind": "indicator", "action": code, "title_fr": title, "pillar": pillar,
                         "owner_fr": "Commune", "cost_band": "moyen", "rank": r})
        missing = [f for f in FAMILIES if rng.random() < 0.2]
        for r, fam in enumerate(missing[:2], start=9):
            rows.append({"nis": n, "commune": c, "kind": "data", "action": f"collect_{fam}", "title_fr": f"Collecter : {FAMILIES[fam].lower()}",
                         "pillar": None, "owner_fr": "Commune", "cost_band": "moyen", "rank": r})
        for fam in FAMILIES:
            gone = fam in missing
            cad.append({"nis": n, "commune": c, "source": fam, "label_fr": FAMILIES[fam], "status": "missing" if gone else "held",
                        "unlocks": [f"{fam}_{i}" for i in range(1 + len(fam) % 3)] if gone else [],
                        "unlocks_actions": [f"collect_{fam}"] if gone else []})
    peers = pd.DataFrame({"nis": nis, "commune": names, "population": communes["population"].to_numpy()})
    return {"peers": peers, "pillars": pillars, "actions": pd.DataFrame(rows), "cadastre": pd.DataFrame(cad)}


def lake_canvas(root: Path) -> tuple[gpd.GeoDataFrame, dict[str, pd.DataFrame], dict[str, str]]:
    """The Canvas tables and reports of a real run under data root ``root``."""
    gold = root / "lake" / "gold"
    communes = gpd.read_parquet(root / "lake" / "silver" / "communes.parquet")
    frames = {"peers": pd.read_parquet(gold / "canvas_peers.parquet"), "pillars": pd.read_parquet(gold / "canvas_pillars.parquet"),
              "actions": pd.read_parquet(gold / "actions.parquet"), "cadastre": pd.read_parquet(gold / "data_cadastre.parquet")}
    folder = root / "exports" / "reports"
    reports = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html")) if p.stem != "index"}
    return communes, frames, reports


def page_load(page: Path, runs: int) -> dict[str, float] | None:
    """Median load time (ms, as the page records it) and median Chromium wall time (s)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None
    loads, walls = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([exe, *CHROMIUM_FLAGS, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=120, check=True)
        walls.append(time.perf_counter() - start)
        found = re.search(r'data-load-ms="(\d+)"', done.stdout)
        if found:
            loads.append(float(found.group(1)))
    return {"load_ms": statistics.median(loads) if loads else float("nan"), "wall_s": statistics.median(walls), "runs": runs}


def run(data: Path | None, report_kb: int, loads: int, keep: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-cockpit-") as tmp:
        work = Path(tmp)
        if data is not None:
            communes, frames, reports = lake_canvas(data)
            source = f"the Canvas tables and reports of the run under {data}"
        else:
            communes, source = walloon_communes()
            frames = synthetic_canvas(communes)
            filler = "<p>" + "x" * 1000 + "</p>\n"
            body = "<!DOCTYPE html><html><body>" + filler * report_kb + "</body></html>"
            reports = {str(n): body for n in communes["nis"]}
        start = time.perf_counter()
        tables = build_region_tables(communes, frames["peers"], frames["pillars"], frames["actions"], frames["cadastre"], "bench")
        t_tables = time.perf_counter() - start
        start = time.perf_counter()
        for name, content in build_pages(tables, reports, {"edition": "bench"}).items():
            path = work.joinpath(*name.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        t_pages = time.perf_counter() - start
        region = work / "cockpit" / "index.html"
        load = page_load(region, loads)
        groups = tables.communes["group"].value_counts()
        if keep is not None:
            shutil.copytree(work / "cockpit", keep, dirs_exist_ok=True)
        return {"source": source, "communes": len(tables.communes), "groups": len(groups),
                "largest_group": f"{groups.index[0]} ({groups.iloc[0]} communes)", "tables_s": t_tables, "pages_s": t_pages,
                "region_kb": region.stat().st_size / 1024, "load": load}


def markdown(result: dict[str, object]) -> str:
    load = result["load"]
    lines = [
        "## Cockpit (262 communes)",
        f"- input: {result['source']}; {result['communes']} communes in {result['groups']} groups, the largest {result['largest_group']}",
        "",
        "| step | figure |",
        "|---|---|",
        f"| `gold.region_*` tables (`build_region_tables`) | {result['tables_s']:.2f} s |",
        f"| pages: region + one per group, report copies, GeoPackage/GeoParquet per group (`build_pages`) | {result['pages_s']:.2f} s |",
        f"| region page size | {result['region_kb']:.0f} KB |",
    ]
    if isinstance(load, dict):
        lines += [f"| region page load in headless Chromium (navigation start to `load`, median of {load['runs']}) | {load['load_ms']:.0f} ms |",
                  f"| whole `chromium --headless --dump-dom` process (start-up included, median) | {load['wall_s']:.2f} s |"]
    else:
        lines.append("| region page load in headless Chromium | not measured: chromium not installed |")
    lines += ["", "Written by `python -m benchmarks.cockpit` (see its docstring for the input and what is timed)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the section 'cockpit' of this Markdown file")
    parser.add_argument("--data", type=Path, default=None, help="a data root after generate + run (default: real boundaries, synthetic Canvas)")
    parser.add_argument("--report-kb", type=int, default=270)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="copy the built cockpit folder here (to look at it)")
    args = parser.parse_args(argv)
    result = run(args.data, args.report_kb, args.loads, args.keep)
    text = markdown(result)
    print(text)
    if args.out:
        from benchmarks.report import replace_section

        replace_section(args.out, "cockpit", text)


if __name__ == "__main__":
    main()
