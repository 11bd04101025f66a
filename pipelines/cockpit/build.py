"""Entry points of the cockpit engine, one per asset, working on frames only.

* :func:`region_tables` -> ``gold.region_communes``, ``gold.region_needs``,
  ``gold.region_data_priorities``, ``gold.region_evolution`` (with their checks)
* :func:`cockpit_pages` -> ``exports/cockpit/`` (region page, one folder per group)
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from pipelines.cockpit import checks
from pipelines.cockpit.pages import build_pages
from pipelines.cockpit.tables import build_region_tables, tables_from_frames
from pipelines.results import Check, TableResult


def region_tables(communes: pd.DataFrame, peers: pd.DataFrame, pillars: pd.DataFrame, actions: pd.DataFrame,
                  cadastre: pd.DataFrame, edition: str, editions: pd.DataFrame | None = None) -> dict[str, TableResult]:
    """Every ``gold.region_*`` table (by name) with its metadata and checks."""
    tables = build_region_tables(communes, peers, pillars, actions, cadastre, edition, editions=editions)
    com = tables.communes
    by_group = com.groupby(["group_name", "province"]).size().rename("communes").reset_index()
    out = {name: TableResult(frame) for name, frame in tables.as_dict().items()}
    out["region_communes"].metadata["communes_by_group"] = "; ".join(f"{g} ({p}): {n}" for g, p, n in by_group.itertuples(index=False))
    out["region_communes"].checks.append(checks.every_commune_grouped(com, peers))
    return out


def cockpit_pages(frames: dict[str, pd.DataFrame], reports: Path, out: Path, edition: str) -> tuple[dict[str, object], Check]:
    """Write the pages from the ``gold.region_*`` tables (by name); the materialisation's
    metadata (region page, groups, communes, build seconds) and the ``pages_complete`` check."""
    start = time.perf_counter()
    tables = tables_from_frames(frames)
    paths = build_pages(tables, reports, out, {"edition": edition})
    meta: dict[str, object] = {"region_page": str(paths["region"]), "groups": int(tables.communes["group"].nunique()),
                               "communes": len(tables.communes), "build_seconds": round(time.perf_counter() - start, 2)}
    return meta, checks.pages_complete(out, tables.communes)
