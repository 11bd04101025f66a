"""The one catalogue of the friction indicators, collected from the family modules.

:data:`FAMILIES` lists the ten families (1 public transport, 2 access by mode and 2SFCA,
3 parking, 4 congestion, 5 unexploited flows, 6 online visibility, 7 vacancy, 8 tourism,
9 cargo-bike delivery, 10 customer origin); :data:`INDICATORS` every indicator code of
``gold.commune_indicators`` in table order with its number, units, needs, names and method.
The Canvas (:mod:`pipelines.canvas.catalogue`) takes the names, unit and needs of a friction
code from here. :func:`catalogue_table` renders it for ``docs/indicators/friction.md``.
"""

from __future__ import annotations

from pipelines.friction.families import (
    access,
    congestion,
    delivery,
    flows,
    origin,
    parking,
    tourism,
    transit,
    vacancy,
    visibility,
)
from pipelines.friction.spec import Family, Indicator

__all__ = ["COMMUNE_ONLY", "FAMILIES", "INDICATORS", "catalogue_table"]

FAMILIES: tuple[Family, ...] = tuple(
    m.FAMILY
    for m in (transit, access, parking, congestion, flows, visibility, vacancy, tourism, delivery, origin)
)
"""The ten indicator families, in number order."""
if [f.number for f in FAMILIES] != list(range(1, len(FAMILIES) + 1)):
    raise ValueError(f"friction families must be numbered 1..n in order; found {[f.number for f in FAMILIES]}")

INDICATORS: dict[str, Indicator] = {i.code: i for f in FAMILIES for i in f.indicators}
"""Every indicator code of ``gold.commune_indicators`` (family order, then declaration order)."""
if len(INDICATORS) != sum(len(f.indicators) for f in FAMILIES):
    raise ValueError("an indicator code is declared by two families")

COMMUNE_ONLY = frozenset(code for code, i in INDICATORS.items() if i.commune_only)
"""Indicators given for communes only (the others also for every district)."""


def catalogue_table() -> str:
    """The catalogue as a Markdown table (code, family, unit, needs, French and English names)."""
    lines = [
        "| code | family | unit | needs | name (fr) | name (en) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{i.code}` | {i.number} | {i.unit} | {i.needs.replace('|', ' or ')} | {i.name_fr} | {i.name_en} |"
        for i in INDICATORS.values()
    ]
    return "\n".join(lines) + "\n"
