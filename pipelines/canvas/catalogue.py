"""The declarative catalogues of the Canvas: indicators (journey pillar, direction, thresholds,
influence and local control, needed source families), actions and source families.

Everything here is read from ``geodata/canvas/*.yaml``; nothing is hard-coded in the scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import availability

GEODATA = Path(__file__).resolve().parents[2] / "geodata" / "canvas"
INDICATORS_YAML = GEODATA / "indicators.yaml"
ACTIONS_YAML = GEODATA / "actions.yaml"
SCENARIOS_YAML = GEODATA / "scenarios.yaml"

FAMILIES = tuple(availability.FAMILIES)
"""Canonical source families, in ``pipelines.availability`` order (``bronze.source_status``)."""

LEVELS = {"high": 3, "medium": 2, "low": 1}
LEVELS_FR = {"high": "forte", "medium": "moyenne", "low": "faible"}


@dataclass(frozen=True)
class Threshold:
    """An absolute benchmark: at least (``min``) or at most (``max``) ``value``."""

    value: float
    kind: str
    source: str

    def gap(self, value: float) -> float:
        """Signed distance to the threshold: >= 0 met, < 0 missed (in the indicator's unit)."""
        return value - self.value if self.kind == "min" else self.value - value


@dataclass(frozen=True)
class IndicatorSpec:
    """One scored indicator of the catalogue."""

    code: str
    pillar: str
    direction: str
    name_fr: str
    unit: str
    influence: str
    control: str
    needs: tuple[str, ...] = ()
    needs_any: tuple[str, ...] = ()
    threshold: Threshold | None = None
    trend: str | None = None
    weight: float = 1.0

    @property
    def sign(self) -> float:
        """+1 when more is better, -1 when less is better."""
        return 1.0 if self.direction == "higher" else -1.0

    def missing_needs(self, held: set[str]) -> list[str]:
        """The families this indicator needs that are not in ``held`` (sorted)."""
        missing = {f for f in self.needs if f not in held}
        if self.needs_any and not set(self.needs_any) & held:
            missing |= set(self.needs_any)
        return sorted(missing)

    def families(self) -> set[str]:
        return set(self.needs) | set(self.needs_any)


@dataclass(frozen=True)
class Pillar:
    code: str
    order: int
    name_fr: str
    name_en: str
    question_fr: str


@dataclass(frozen=True)
class Catalogue:
    """Pillars and indicators, in file order."""

    pillars: dict[str, Pillar]
    indicators: dict[str, IndicatorSpec]
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    data_actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def in_pillar(self, pillar: str) -> list[IndicatorSpec]:
        return [s for s in self.indicators.values() if s.pillar == pillar]

    def feeding(self, family: str) -> list[str]:
        """Indicator codes that use ``family``."""
        return [c for c, s in self.indicators.items() if family in s.families()]


VALID_DIRECTIONS = ("higher", "lower")


def _indicator(code: str, raw: dict[str, Any], pillars: dict[str, Pillar]) -> IndicatorSpec:
    where = f"{INDICATORS_YAML.name}: indicator {code!r}"
    if raw.get("pillar") not in pillars:
        raise ValueError(f"{where}: pillar {raw.get('pillar')!r} is not one of {sorted(pillars)}")
    if raw.get("direction") not in VALID_DIRECTIONS:
        raise ValueError(f"{where}: direction must be one of {VALID_DIRECTIONS}, found {raw.get('direction')!r}")
    for key in ("influence", "control"):
        if raw.get(key) not in LEVELS:
            raise ValueError(f"{where}: {key} must be one of {sorted(LEVELS)}, found {raw.get(key)!r}")
    unknown = (set(raw.get("needs", [])) | set(raw.get("needs_any", []))) - set(FAMILIES)
    if unknown:
        raise ValueError(f"{where}: unknown source families {sorted(unknown)}; expected {FAMILIES}")
    thr = raw.get("threshold")
    threshold = None
    if thr:
        if thr.get("kind") not in ("min", "max") or not thr.get("source"):
            raise ValueError(f"{where}: a threshold needs kind min|max and a source, found {thr}")
        threshold = Threshold(float(thr["value"]), thr["kind"], str(thr["source"]))
    return IndicatorSpec(
        code=code,
        pillar=raw["pillar"],
        direction=raw["direction"],
        name_fr=raw["name_fr"],
        unit=raw.get("unit", ""),
        influence=raw["influence"],
        control=raw["control"],
        needs=tuple(raw.get("needs", [])),
        needs_any=tuple(raw.get("needs_any", [])),
        threshold=threshold,
        trend=raw.get("trend"),
        weight=float(raw.get("weight", 1.0)),
    )


def load_catalogue(
    indicators_path: Path = INDICATORS_YAML, actions_path: Path = ACTIONS_YAML
) -> Catalogue:
    """Read and validate the indicator and action catalogues.

    Raises
    ------
    ValueError
        An indicator with an unknown pillar, direction, level or source family, a threshold
        without a source, or an action whose KPI or trigger names an unknown indicator.
    """
    raw = yaml.safe_load(indicators_path.read_text(encoding="utf-8"))
    pillars = {
        code: Pillar(code, int(p["order"]), p["name_fr"], p["name_en"], p.get("question_fr", ""))
        for code, p in raw["pillars"].items()
    }
    indicators = {code: _indicator(code, spec, pillars) for code, spec in raw["indicators"].items()}
    acts = yaml.safe_load(actions_path.read_text(encoding="utf-8")) if actions_path.exists() else {}
    actions = acts.get("actions", {}) or {}
    for key, action in actions.items():
        codes = {rule["indicator"] for rule in action["trigger"]} | {action["kpi"]}
        unknown = codes - set(indicators)
        if unknown:
            raise ValueError(f"{actions_path.name}: action {key!r} names unknown indicators {sorted(unknown)}")
    data_actions = acts.get("data_actions", {}) or {}
    for key, action in data_actions.items():
        fams = {f for rule in action["trigger"] for f in rule.values()}
        if fams - set(FAMILIES):
            raise ValueError(f"{actions_path.name}: data action {key!r} names unknown families {sorted(fams - set(FAMILIES))}")
    return Catalogue(pillars, indicators, actions, data_actions)
