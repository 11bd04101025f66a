"""The declarative catalogues of the Canvas: indicators (journey pillar, direction, thresholds,
influence and local control, needed source families), actions and source families.

Everything here is read from ``geodata/canvas/*.yaml``; nothing is hard-coded in the scoring.
The French name, unit and needed source families of a friction indicator come from the
friction catalogue (:data:`pipelines.friction.catalogue.INDICATORS`, declared once by its
family module); ``indicators.yaml`` keeps what only the Canvas knows (pillar, direction,
influence, control, weight, trend, derivation).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipelines import availability
from pipelines.friction.catalogue import INDICATORS as FRICTION

GEODATA = Path(__file__).resolve().parents[2] / "geodata" / "canvas"
INDICATORS_YAML = GEODATA / "indicators.yaml"
ACTIONS_YAML = GEODATA / "actions.yaml"
SCENARIOS_YAML = GEODATA / "scenarios.yaml"
REFERENCES_YAML = GEODATA / "references.yaml"
GOALPOSTS_YAML = GEODATA / "goalposts.yaml"
FUNDING_YAML = GEODATA / "funding.yaml"

FAMILIES = tuple(availability.FAMILIES)
"""Canonical source families, in ``pipelines.availability`` order (``bronze.source_status``)."""

LEVELS = {"high": 3, "medium": 2, "low": 1}
LEVELS_FR = {"high": "forte", "medium": "moyenne", "low": "faible"}


BASIS_FR = {"norme": "norme publiée", "moyenne": "moyenne wallonne ou belge", "travail": "valeur de travail à valider",
            "consultant": "valeur fixée par le consultant pour la commune"}
UNCERTAINTY_METHODS = ("binomial", "poisson", "sites", "absolute", "relative")


@dataclass(frozen=True)
class Threshold:
    """The absolute reference of an indicator (``geodata/canvas/references.yaml``): at least
    (``min``) or at most (``max``) ``value``, with its source and year, the smallest gap that
    counts (``min_difference``) and how the interval around a value is obtained."""

    value: float
    kind: str
    source: str
    basis: str = "travail"
    year: str = ""
    note: str = ""
    min_difference: float = 0.0
    uncertainty: tuple[tuple[str, Any], ...] = ()
    bounds: tuple[float, float] | None = None
    unit: str = ""

    def gap(self, value: float) -> float:
        """Signed distance to the threshold: >= 0 met, < 0 missed (in the indicator's unit)."""
        return value - self.value if self.kind == "min" else self.value - value

    @property
    def basis_fr(self) -> str:
        return BASIS_FR.get(self.basis, self.basis)


@dataclass(frozen=True)
class Goalposts:
    """Fixed normalisation bounds of an indicator (raw unit): ``lower`` maps to 0 and ``upper``
    to 100 for "more is better" (the reverse for "less is better"), as the UNDP's HDI does."""

    lower: float
    upper: float
    basis: str = ""


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
    derived: dict[str, Any] | None = None
    goalposts: Goalposts | None = None

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
    funding: dict[str, dict[str, Any]] = field(default_factory=dict)
    references_version: str = ""
    goalposts_version: str = ""

    def in_pillar(self, pillar: str) -> list[IndicatorSpec]:
        return [s for s in self.indicators.values() if s.pillar == pillar]

    def feeding(self, family: str) -> list[str]:
        """Indicator codes that use ``family``."""
        return [c for c, s in self.indicators.items() if family in s.families()]


VALID_DIRECTIONS = ("higher", "lower")
ACTION_KEYS = ("pillar", "title_fr", "description_fr", "trigger", "kpi", "horizon", "months", "impact", "control",
               "owner", "partners", "cost_band", "funding", "place", "practice")
ACTION_CHOICES = {"horizon": ("quick_win", "structural"), "impact": tuple(LEVELS), "control": tuple(LEVELS),
                  "cost_band": ("faible", "moyen", "eleve"), "place": ("district", "vacant_streets", "district_categories", "commune")}


ENGINE_KEYS = ("needs", "needs_any", "name_fr", "unit")
"""What the Canvas takes from the friction catalogue for a friction code (never declared in
``indicators.yaml``); a derived code takes only its needs from the code it is derived from."""


def _needs(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(needs, needs_any) of friction indicator ``code``: its single-family groups must all be
    held, its one group of alternatives by any family."""
    groups = FRICTION[code].need_groups
    alternatives = [g for g in groups if len(g) > 1]
    if len(alternatives) > 1:
        raise ValueError(f"friction indicator {code!r}: the Canvas takes one group of alternatives, found {alternatives}")
    return tuple(g[0] for g in groups if len(g) == 1), (alternatives[0] if alternatives else ())


def _engine_fields(code: str, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """needs, needs_any, name_fr and unit of ``code``: from the friction catalogue for a friction
    code (and the needs of a code derived from one), from ``indicators.yaml`` otherwise."""
    source = (raw.get("derived") or {}).get("from")
    engine = code if code in FRICTION else source if source in FRICTION else None
    taken = ENGINE_KEYS if engine == code else ENGINE_KEYS[:2]
    declared = [k for k in taken if k in raw] if engine else []
    if declared:
        raise ValueError(f"{where}: {declared} come from the friction catalogue ({engine!r}, "
                         "pipelines/friction/families/); remove them from the YAML")
    fields = {"name_fr": raw.get("name_fr"), "unit": raw.get("unit", ""),
              "needs": tuple(raw.get("needs", [])), "needs_any": tuple(raw.get("needs_any", []))}
    if engine:
        fields["needs"], fields["needs_any"] = _needs(engine)
    if engine == code:
        fields["name_fr"], fields["unit"] = FRICTION[code].name_fr, FRICTION[code].unit_fr
    if not fields["name_fr"]:
        raise ValueError(f"{where}: name_fr is missing")
    return fields


def _indicator(code: str, raw: dict[str, Any], pillars: dict[str, Pillar]) -> IndicatorSpec:
    where = f"{INDICATORS_YAML.name}: indicator {code!r}"
    if raw.get("pillar") not in pillars:
        raise ValueError(f"{where}: pillar {raw.get('pillar')!r} is not one of {sorted(pillars)}")
    if raw.get("direction") not in VALID_DIRECTIONS:
        raise ValueError(f"{where}: direction must be one of {VALID_DIRECTIONS}, found {raw.get('direction')!r}")
    for key in ("influence", "control"):
        if raw.get(key) not in LEVELS:
            raise ValueError(f"{where}: {key} must be one of {sorted(LEVELS)}, found {raw.get(key)!r}")
    fields = _engine_fields(code, raw, where)
    unknown = (set(fields["needs"]) | set(fields["needs_any"])) - set(FAMILIES)
    if unknown:
        raise ValueError(f"{where}: unknown source families {sorted(unknown)}; expected {FAMILIES}")
    derived = raw.get("derived")
    if derived is not None and (not derived.get("from") or derived.get("per") not in ("population", "districts")):
        raise ValueError(f"{where}: derived needs `from` and `per: population|districts`, found {derived}")
    return IndicatorSpec(
        code=code,
        pillar=raw["pillar"],
        direction=raw["direction"],
        influence=raw["influence"],
        control=raw["control"],
        trend=raw.get("trend"),
        weight=float(raw.get("weight", 1.0)),
        derived=derived,
        **fields,
    )


def _reference(code: str, raw: dict[str, Any], path: Path) -> Threshold:
    where = f"{path.name}: reference {code!r}"
    missing = [k for k in ("unit", "value", "kind", "basis", "source", "year", "note", "min_difference", "uncertainty") if raw.get(k) is None]
    if missing:
        raise ValueError(f"{where}: missing {missing}; every reference needs unit, value, kind, basis, source, year, note, min_difference and uncertainty")
    if raw["kind"] not in ("min", "max"):
        raise ValueError(f"{where}: kind must be min or max, found {raw['kind']!r}")
    if raw["basis"] not in BASIS_FR:
        raise ValueError(f"{where}: basis must be one of {sorted(BASIS_FR)}, found {raw['basis']!r}")
    unc = raw["uncertainty"]
    if not isinstance(unc, dict) or len(unc) != 1 or next(iter(unc)) not in UNCERTAINTY_METHODS:
        raise ValueError(f"{where}: uncertainty must be one of {UNCERTAINTY_METHODS} with its parameter, found {unc!r}")
    bounds = raw.get("bounds")
    return Threshold(float(raw["value"]), raw["kind"], str(raw["source"]), basis=raw["basis"], year=str(raw["year"]),
                     note=str(raw.get("note", "")), min_difference=float(raw["min_difference"]),
                     uncertainty=tuple(unc.items()), bounds=(float(bounds[0]), float(bounds[1])) if bounds else None,
                     unit=str(raw.get("unit", "")))


def load_references(path: Path = REFERENCES_YAML) -> tuple[str, dict[str, Threshold]]:
    """(version, indicator -> reference) from ``references.yaml`` (validated)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return str(raw.get("version", "")), {code: _reference(code, r, Path(path)) for code, r in (raw.get("references") or {}).items()}


def load_goalposts(path: Path = GOALPOSTS_YAML) -> tuple[str, dict[str, Goalposts]]:
    """(version, indicator -> goalposts) from ``goalposts.yaml``; empty when the file is absent."""
    if not Path(path).exists():
        return "", {}
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = {}
    for code, g in (raw.get("goalposts") or {}).items():
        lower, upper = float(g["lower"]), float(g["upper"])
        if not upper > lower:
            raise ValueError(f"{Path(path).name}: goalposts of {code!r} need upper > lower, found {lower} and {upper}")
        out[code] = Goalposts(lower, upper, str(g.get("basis", "")))
    return str(raw.get("version", "")), out


def load_catalogue(
    indicators_path: Path = INDICATORS_YAML, actions_path: Path = ACTIONS_YAML,
    references_path: Path = REFERENCES_YAML, goalposts_path: Path = GOALPOSTS_YAML,
    funding_path: Path = FUNDING_YAML,
) -> Catalogue:
    """Read and validate the indicator and action catalogues, the absolute references, the
    goalposts of the scores and the funding lines.

    Raises
    ------
    ValueError
        An indicator with an unknown pillar, direction, level or source family, an indicator
        without a reference (or a reference without its source, year or minimum difference),
        an action whose KPI or trigger names an unknown indicator or whose funding line is not
        documented.
    """
    raw = yaml.safe_load(indicators_path.read_text(encoding="utf-8"))
    pillars = {
        code: Pillar(code, int(p["order"]), p["name_fr"], p["name_en"], p.get("question_fr", ""))
        for code, p in raw["pillars"].items()
    }
    indicators = {code: _indicator(code, spec, pillars) for code, spec in raw["indicators"].items()}
    ref_version, references = load_references(references_path) if Path(references_path).exists() else ("", {})
    if Path(references_path).exists():
        unknown = set(references) - set(indicators)
        lacking = set(indicators) - set(references)
        if unknown or lacking:
            raise ValueError(f"{Path(references_path).name}: references must match the indicators; "
                             f"without a reference: {sorted(lacking)}, unknown: {sorted(unknown)}")
        wrong = {c: (r.unit, indicators[c].unit) for c, r in references.items() if r.unit != indicators[c].unit}
        if wrong:
            raise ValueError(f"{Path(references_path).name}: units differ from {INDICATORS_YAML.name} (reference, indicator): {wrong}")
    goal_version, goalposts = load_goalposts(goalposts_path)
    indicators = {code: replace(spec, threshold=references.get(code), goalposts=goalposts.get(code))
                  for code, spec in indicators.items()}
    funding = (yaml.safe_load(Path(funding_path).read_text(encoding="utf-8")) or {}).get("funding", {}) if Path(funding_path).exists() else {}
    acts = yaml.safe_load(actions_path.read_text(encoding="utf-8")) if actions_path.exists() else {}
    actions = acts.get("actions", {}) or {}
    for key, action in actions.items():
        codes = {rule["indicator"] for rule in action["trigger"]} | {action["kpi"]}
        unknown = codes - set(indicators)
        if unknown:
            raise ValueError(f"{actions_path.name}: action {key!r} names unknown indicators {sorted(unknown)}")
        lacking = [k for k in ACTION_KEYS if action.get(k) in (None, "", [])]
        if lacking:
            raise ValueError(f"{actions_path.name}: action {key!r} lacks {lacking}; every action needs {list(ACTION_KEYS)}")
        bad = {k: action[k] for k, allowed in ACTION_CHOICES.items() if action[k] not in allowed}
        if bad:
            raise ValueError(f"{actions_path.name}: action {key!r} has invalid {bad}; allowed: {ACTION_CHOICES}")
        lines = set(action.get("funding", [])) - set(funding)
        if funding and lines:
            raise ValueError(f"{actions_path.name}: action {key!r} names funding lines {sorted(lines)} absent from {Path(funding_path).name}")
    data_actions = acts.get("data_actions", {}) or {}
    for key, action in data_actions.items():
        lines = set(action.get("funding", [])) - set(funding)
        if funding and lines:
            raise ValueError(f"{actions_path.name}: data action {key!r} names funding lines {sorted(lines)} absent from {Path(funding_path).name}")
        fams = {f for rule in action["trigger"] for f in rule.values()}
        if fams - set(FAMILIES):
            raise ValueError(f"{actions_path.name}: data action {key!r} names unknown families {sorted(fams - set(FAMILIES))}")
    return Catalogue(pillars, indicators, actions, data_actions, funding, ref_version, goal_version)
