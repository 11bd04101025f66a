"""Check computations of the Canvas assets (pure functions; the assets wrap them)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from pipelines.canvas.catalogue import FAMILIES, Catalogue, load_catalogue
from pipelines.canvas.report import REPORTS_DIR
from pipelines.results import Check

VALID_STATUS = {"held", "missing", "broken"}


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The indicator and action catalogues (read once per process)."""
    return load_catalogue()


def cadastre_complete(cadastre: pd.DataFrame, communes: pd.DataFrame) -> Check:
    """One row per commune x family, valid statuses, unlocks listed for every missing family."""
    expected = {(str(n), f) for n in communes["nis"] for f in FAMILIES}
    found = set(zip(cadastre["nis"].astype(str), cadastre["source"], strict=True))
    bad_status = sorted(set(cadastre["status"]) - VALID_STATUS)
    dup = int(cadastre.duplicated(["nis", "source"]).sum())
    missing_unlocks = int(((cadastre["status"] != "held") & cadastre["unlocks_actions"].map(len).eq(0)).sum())
    passed = expected == found and not bad_status and dup == 0
    return Check("every_commune_every_family", passed, {"rows": len(cadastre), "expected": len(expected), "missing_pairs": len(expected - found),
                                "invalid_status": ", ".join(bad_status), "duplicates": dup,
                                "unusable_without_data_action": missing_unlocks})


def canvas_complete(canvas: pd.DataFrame, peers: pd.DataFrame) -> Check:
    """Every commune x indicator once; not computable rows have no value and list their needs
    unless upstream gave no reason (counted)."""
    cat = catalogue()
    expected = len(peers) * len(cat.indicators)
    dup = int(canvas.duplicated(["nis", "indicator"]).sum())
    not_comp = canvas[canvas["status"] != "computed"]
    leaked = int(not_comp["value"].notna().sum())
    no_reason = int(((canvas["status"] == "not_computable") & canvas["needs"].map(len).eq(0)).sum())
    passed = len(canvas) == expected and dup == 0 and leaked == 0
    return Check("one_row_per_commune_indicator", passed, {"rows": len(canvas), "expected": expected, "duplicates": dup,
                                "not_computable": int((canvas["status"] == "not_computable").sum()),
                                "values_on_not_computable": leaked, "not_computable_without_missing_source": no_reason})


def scores_in_range(pillars: pd.DataFrame) -> Check:
    s = pillars["score"].dropna()
    ok_range = bool(((s >= 0) & (s <= 100)).all())
    both = pillars.dropna(subset=["rank_p05", "rank_p95"])
    ordered = bool((both["rank_p05"] <= both["rank_p95"]).all())
    return Check("scores_in_range", ok_range and ordered, {"scores": len(s), "min": float(s.min()) if len(s) else np.nan,
                                              "max": float(s.max()) if len(s) else np.nan, "intervals_ordered": ordered})


def actions_have_evidence(actions: pd.DataFrame) -> Check:
    empty = int((actions["evidence"].fillna("").str.len() == 0).sum() + actions["owner"].isna().sum())
    return Check("actions_have_evidence", empty == 0, {"actions": len(actions), "without_evidence_or_owner": empty,
                                    "communes": int(actions["nis"].nunique())})


def reports_complete(files: Mapping[str, bytes], peers: pd.DataFrame) -> Check:
    """A report per commune plus the index among the written ``files`` (names relative to
    ``exports/``), none referring to an external URL."""
    wanted = [f"{REPORTS_DIR}/{n}.html" for n in peers["nis"].astype(str)] + [f"{REPORTS_DIR}/index.html"]
    missing = [name.rpartition("/")[2] for name in wanted if name not in files]
    external = [name.rpartition("/")[2] for name in wanted if name in files
                and any(t in files[name].decode("utf-8") for t in ("src=\"http", "href=\"http", "src='http", "@import", "url(http"))]
    return Check("one_report_per_commune", not missing and not external, {"reports": len(wanted) - len(missing), "missing": ", ".join(missing), "external_refs": ", ".join(external)})


def report_meta(pillars: pd.DataFrame, peers: pd.DataFrame, cadastre: pd.DataFrame, generated: str) -> dict[str, Any]:
    """The method figures shown in every report."""
    k = int(peers["cluster"].nunique()) if len(peers) else 0
    held = sorted(set(cadastre.loc[cadastre["status"] == "held", "source"]))
    return {"generated": generated, "draws": int(pillars["draws"].max()) if len(pillars) else 0,
            "seed": int(pillars["seed"].max()) if len(pillars) else 0, "k": k,
            "silhouettes": str(peers["cluster_criterion"].iloc[0]) if "cluster_criterion" in peers and len(peers) else "", "typology": bool(peers["typology"].notna().any()) if len(peers) else False,
            "sources": ", ".join(held)}
