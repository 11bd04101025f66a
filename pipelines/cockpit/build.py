"""Entry points of the cockpit engine, one per asset, working on frames only.

* :func:`region_tables` -> ``gold.region_communes``, ``gold.region_needs``,
  ``gold.region_data_priorities``, ``gold.region_evolution`` (with their checks)
* :func:`cockpit_pages` -> ``exports/cockpit/`` (region page, one folder per group), as bytes;
  :func:`pages_check` checks them once written
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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


def cockpit_pages(frames: dict[str, pd.DataFrame], reports: Mapping[str, str], edition: str) -> tuple[dict[str, bytes], dict[str, object]]:
    """The pages from the ``gold.region_*`` tables (by name) and the commune reports (nis ->
    HTML): the files by name relative to ``exports/`` (see :func:`build_pages`) and the
    materialisation's metadata (groups, communes, build seconds)."""
    start = time.perf_counter()
    tables = tables_from_frames(frames)
    files = build_pages(tables, reports, {"edition": edition})
    meta: dict[str, object] = {"groups": int(tables.communes["group"].nunique()), "communes": len(tables.communes),
                               "build_seconds": round(time.perf_counter() - start, 2)}
    return files, meta


def pages_check(folder: Path, frames: dict[str, pd.DataFrame]) -> Check:
    """The ``pages_complete`` check of the pages written in ``folder`` (``exports/cockpit/``)."""
    return checks.pages_complete(folder, tables_from_frames(frames).communes)
