"""French (fr_BE) formatting of the report's numbers, units, plurals, dates and source names.

Numbers, percentages and dates go through Babel (CLDR data for ``fr_BE``: comma decimal,
narrow no-break space between thousands, ``12 %``, ``6 décembre 2026``); plurals follow the
CLDR rule of French (``one`` for 0 ≤ n < 2, ``other`` from 2: "1 passage/h", "1,5 passage/h",
"2 passages/h"). Nothing here formats a number by hand.

Counts (cells, inhabitants, attractions, establishments, pedestrians) are always whole
numbers: "0 cellule", never "0,0 cellules". A volume/capacity ratio is shown as a share of
the capacity ("42 % de la capacité"), never as "0,4 ratio". Source families are named by
their French label (:data:`pipelines.availability.FAMILIES`), never by their code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from pipelines.availability import FAMILIES

LOCALE = "fr_BE"
MISSING = "—"
GLOSSARY = Path(__file__).resolve().parent / "glossary.yaml"
_LOCALE = Locale.parse(LOCALE)


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    """A CLDR number pattern, parsed once (Babel's ``format_decimal``/``format_percent`` parse
    it and the locale again at every call: a report formats thousands of numbers)."""
    return parse_pattern(pattern)


def _number(value: float, pattern: str) -> str:
    """``value`` through ``pattern`` in fr_BE: what ``format_decimal``/``format_percent`` give."""
    return _pattern(pattern).apply(value, _LOCALE)


@dataclass(frozen=True)
class Unit:
    """How a unit is written: singular and plural forms, decimals, a count or not."""

    one: str
    other: str
    decimals: int = 1
    count: bool = False


UNITS: dict[str, Unit] = {
    "habitants": Unit("habitant", "habitants", 0, count=True),
    "cellules": Unit("cellule", "cellules", 0, count=True),
    "attraits": Unit("attrait touristique", "attraits touristiques", 0, count=True),
    "établissements": Unit("établissement", "établissements", 0, count=True),
    "piétons/jour": Unit("passant par jour", "passants par jour", 0, count=True),
    "passages/h": Unit("passage par heure", "passages par heure", 1),
    "places/commerce": Unit("place par commerce", "places par commerce", 1),
    "habitants/commerce": Unit("habitant par commerce", "habitants par commerce", 0),
    "cellules/noyau": Unit("cellule par noyau", "cellules par noyau", 1),
    "attraits/noyau": Unit("attrait touristique par noyau", "attraits touristiques par noyau", 1),
    "établissements pour 1 000 hab.": Unit("établissement pour 1 000 habitants", "établissements pour 1 000 habitants", 1),
    "commerces pour 1 000 hab.": Unit("commerce pour 1 000 habitants", "commerces pour 1 000 habitants", 1),
    "commerces": Unit("commerce", "commerces", 0, count=True),
    "secteurs": Unit("secteur", "secteurs", 0, count=True),
    "jours": Unit("jour", "jours", 0, count=True),
    "lignes": Unit("ligne", "lignes", 0, count=True),
    "fichiers": Unit("fichier", "fichiers", 0, count=True),
    "indicateurs": Unit("indicateur", "indicateurs", 0, count=True),
    "sources": Unit("source", "sources", 0, count=True),
    "communes": Unit("commune", "communes", 0, count=True),
    "actions": Unit("action", "actions", 0, count=True),
}
"""Every unit of the catalogue (``geodata/canvas/indicators.yaml``) and of the report's own
counts. An unknown unit is written as given, after a number with one decimal."""

PERCENT_UNITS = ("%",)
RATIO_UNITS = ("ratio",)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def decimal(value: Any, decimals: int = 1) -> str:
    """``value`` with at most ``decimals`` decimals (no trailing zero), fr_BE; ``—`` if missing."""
    v = _finite(value)
    if v is None:
        return MISSING
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    v = round(v, decimals)
    return _number(v + 0.0 if v != 0 else 0.0, pattern)


def integer(value: Any) -> str:
    """A count: rounded to a whole number ("1 234")."""
    v = _finite(value)
    return MISSING if v is None else _number(int(round(v)), "#,##0")


def plural_form(value: float) -> str:
    """CLDR plural category of ``value`` in French (``one`` or ``other``; ``many`` for
    millions is written as ``other``)."""
    return "one" if _LOCALE.plural_form(abs(value)) == "one" else "other"


def plural(value: Any, one: str, other: str) -> str:
    """``one`` or ``other`` as French grammar wants after ``value`` (0 and 1 are singular)."""
    v = _finite(value)
    return other if v is None else (one if plural_form(v) == "one" else other)


def count(value: Any, one: str, other: str | None = None) -> str:
    """A whole count with its noun agreed: ``count(1, "source")`` -> "1 source",
    ``count(3, "source")`` -> "3 sources" (``other`` defaults to ``one + "s"``)."""
    v = _finite(value)
    if v is None:
        return MISSING
    n = int(round(v))
    return f"{integer(n)} {plural(n, one, other or one + 's')}"


def percent(value: Any, *, share: bool = False, decimals: int = 0) -> str:
    """A percentage, fr_BE ("12 %"). ``value`` is in percent (0-100) unless ``share``."""
    v = _finite(value)
    if v is None:
        return MISSING
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "") + "\u00a0%"
    return _number(v if share else v / 100.0, pattern)


def quantity(value: Any, unit: str = "") -> str:
    """A value with its unit, French: counts whole and agreed, percent and ratio as percent.

    >>> quantity(1, "passages/h"), quantity(0.0, "cellules"), quantity(0.42, "ratio")
    ('1 passage par heure', '0 cellule', '42 % de la capacité')
    """
    v = _finite(value)
    if v is None:
        return MISSING
    if unit in PERCENT_UNITS:
        return percent(v, decimals=0 if abs(v) >= 10 or v == 0 else 1)
    if unit in RATIO_UNITS:
        return percent(v, share=True) + " de la capacité"
    spec = UNITS.get(unit)
    if spec is None:
        return f"{decimal(v)} {unit}".strip()
    shown = round(v) if spec.decimals == 0 else round(v, spec.decimals)
    text = integer(shown) if spec.decimals == 0 else decimal(shown, spec.decimals)
    return f"{text} {spec.one if plural_form(shown) == 'one' else spec.other}"


def gap(value: Any, unit: str = "") -> str:
    """A signed distance to a threshold, in the indicator's unit ("8,5 points de pourcentage")."""
    v = _finite(value)
    if v is None:
        return MISSING
    if unit in PERCENT_UNITS:
        pts = round(abs(v), 0 if abs(v) >= 10 else 1)
        return f"{decimal(pts)} {plural(pts, 'point', 'points')} de pourcentage"
    if unit in RATIO_UNITS:
        return f"{percent(abs(v), share=True)} de la capacité"
    return quantity(abs(v), unit)


def reference(threshold: Any, kind: str | None, unit: str = "") -> str:
    """A documented reference as a bound: "≥ 75 %" (a minimum), "≤ 0 %" (a maximum)."""
    return f"{'≥' if kind == 'min' else '≤'} {quantity(threshold, unit)}"


def reference_gap(value: Any, kind: str | None, unit: str = "") -> str:
    """How far a value is from its reference, in the reference's direction: a minimum is
    missed ("manque 37 points de pourcentage"), a maximum exceeded ("dépasse de 66 points ...")."""
    return f"{'manque' if kind == 'min' else 'dépasse de'} {gap(value, unit)}"


def trend(value: Any, unit: str = "") -> str:
    """A yearly trend in the indicator's unit, signed as it reads ("+2,5 points de pourcentage
    par an", "−30 visiteurs par an"); "stable" when it rounds to zero at that precision (no
    "+0 point")."""
    v = _finite(value)
    if v is None:
        return MISSING
    text = gap(v, unit)
    shown = text.split(" ", 1)[0]
    if not any(c in "123456789" for c in shown):
        return "stable"
    return f"{'+' if v > 0 else '−'}{text} par an"


def percentile(value: Any) -> str:
    """A peer percentile, whole ("32e percentile"; "—" when there is none)."""
    v = _finite(value)
    if v is None:
        return MISSING
    n = int(round(v))
    return f"{integer(n)}{'er' if n == 1 else 'e'} percentile"


def score(value: Any) -> str:
    """A 0-100 score, whole."""
    return integer(value)


def long_date(value: Any) -> str:
    """``2026-12-06`` -> "6 décembre 2026" (fr_BE)."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=LOCALE)


def family(code: str) -> str:
    """The French label of a source family ("counters" -> "Compteurs piétons et vélos")."""
    spec = FAMILIES.get(str(code))
    return spec.label_fr if spec else str(code)


def families(codes: Iterable[str], joiner: str = " ; ") -> str:
    """French labels of several source families, in the order given."""
    return joiner.join(family(c) for c in codes)


@lru_cache(maxsize=1)
def glossary() -> list[dict[str, str]]:
    """The method terms of the report and their French definitions (``glossary.yaml``), sorted."""
    entries = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return sorted(entries, key=lambda e: e["term"].casefold())
