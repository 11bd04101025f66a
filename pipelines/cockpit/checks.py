"""Check computations of the cockpit assets (pure functions; the assets wrap them)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.cockpit.groups import GROUPS
from pipelines.cockpit.tables import REGION, REPORTS_DIR
from pipelines.results import Check

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)
"""An external resource: a page that has one does not open offline."""


def every_commune_grouped(region: pd.DataFrame, peers: pd.DataFrame) -> Check:
    """Every commune of the Canvas once in ``gold.region_communes``, in a known group."""
    expected = set(peers["nis"].astype(str))
    found = region["nis"].astype(str)
    unknown = sorted(set(region["group"]) - set(GROUPS))
    fallback = int((region["group"] == "hors-referentiel").sum())
    passed = set(found) == expected and not found.duplicated().any() and not unknown
    return Check("every_commune_grouped", passed, {"communes": len(region), "expected": len(expected), "duplicates": int(found.duplicated().sum()),
                                "unknown_groups": ", ".join(unknown), "not_attributed": fallback,
                                "by_basis": ", ".join(f"{k}: {v}" for k, v in region["basis"].value_counts().items())})


def pages_complete(folder: Path, region: pd.DataFrame) -> Check:
    """The region page, one page per group, each group folder holding exactly its communes'
    reports, and no page referring to an external resource."""
    pages = [folder / "index.html"] + [folder / g / "index.html" for g in sorted(set(region["group"]))]
    missing = [str(p.relative_to(folder)) for p in pages if not p.exists()]
    external = [str(p.relative_to(folder)) for p in pages if p.exists() and EXTERNAL.search(p.read_text(encoding="utf-8"))]
    foreign = []
    for g, part in region.groupby("group"):
        held = {p.stem for p in (folder / str(g) / REPORTS_DIR).glob("*.html")}
        foreign += sorted(held - set(part["nis"].astype(str)))
    broken = broken_links(folder, sorted(set(region["group"].astype(str))))
    copied = sum(1 for g in set(region["group"]) for _ in (folder / str(g) / REPORTS_DIR).glob("*.html"))
    passed = not missing and not external and not foreign and not broken
    return Check("pages_complete", passed, {"pages": len(pages), "missing_pages": ", ".join(missing), "external_resources": ", ".join(external),
                                "reports_outside_their_group": ", ".join(foreign), "broken_links": ", ".join(broken[:10]),
                                "n_broken_links": len(broken), "reports_copied": copied,
                                "reports_missing": len(region) - copied, "scope": REGION})


HREF = re.compile(r'href="([^"#:]+)(?:#[^"]*)?"')


def broken_links(folder: Path, groups: list[str]) -> list[str]:
    """Relative links of a group's files that leave its folder or lead nowhere (``file ->
    target``): a group's folder must work when it is published alone."""
    broken = []
    for g in groups:
        root = (folder / g).resolve()
        for page in [root / "index.html", *sorted((root / REPORTS_DIR).glob("*.html"))]:
            if not page.exists():
                continue
            for target in set(HREF.findall(page.read_text(encoding="utf-8"))):
                resolved = (page.parent / target).resolve()
                if not resolved.is_relative_to(root) or not resolved.exists():
                    broken.append(f"{page.relative_to(folder.resolve())} -> {target}")
    return broken
