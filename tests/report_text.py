"""The slips a French Canvas report must never contain, found in its visible text.

Used by the demo and village integration tests over every report, and by the unit tests.
The visible text is the HTML without its ``<style>``, its ``<code>`` (file paths and hashes
shown as code on purpose) and any element marked ``lang="en"`` (an English title cited as
such); SVG text (legends, street names) is kept.
"""

from __future__ import annotations

import html as html_lib
import re

from pipelines.availability import FAMILIES

RAW_FAMILY_CODES = sorted(c for c in FAMILIES if c not in ("parking", "consultant"))  # French words too
"""Family codes that are not French words (``parking`` is one), lower case as in the data."""

ENGLISH_WORDS = (
    "the", "and", "with", "without", "missing", "held", "broken", "computed", "suppressed",
    "not_computable", "high", "medium", "low", "none", "None", "nan", "NaN", "True", "False",
    "shop", "shops", "district", "districts", "footfall", "counters", "vouchers", "file", "files",
    "rows", "per", "day", "days", "hour", "hours", "be_found", "get_there", "stay", "spend",
    "delivery", "primary", "secondary", "tertiary", "walk", "bike", "drive", "dbscan",
)  # fmt: skip
"""English words (case-sensitive, whole words) that must not appear in a French report.
Proper English titles are written with a capital or marked ``lang="en"``."""

COUNT_NOUNS = ("passages", "cellules", "habitants", "sources", "indicateurs", "fichiers", "lignes",
               "jours", "attraits", "établissements", "commerces", "actions", "communes", "places")


def visible_text(page: str) -> str:
    """The text a reader sees (and SVG text), whitespace collapsed."""
    page = re.sub(r"<(style|code)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<(\w+)\b[^>]*\blang=['\"]en['\"][^>]*>.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def slips(page: str) -> list[str]:
    """Every slip of a report: raw codes, English words, ``0,0``, a plural after 1, a raw
    ``ratio`` unit, a snake_case identifier."""
    text = visible_text(page)
    found = []
    for code in RAW_FAMILY_CODES:
        found += [f"raw source code {m.group(0)!r}" for m in re.finditer(rf"(?<![\w/.-]){code}(?![\w/.-])", text)]
    for word in ENGLISH_WORDS:
        found += [f"English word {m.group(0)!r}" for m in re.finditer(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", text)]
    found += [f"decimal zero {m.group(0)!r}" for m in re.finditer(r"(?<![\d,])0,0(?!\d*[1-9])\d*", text)]
    nouns = "|".join(COUNT_NOUNS)
    found += [f"plural after one {m.group(0)!r}" for m in re.finditer(rf"(?<![\d,\u202f])[01] ({nouns})\b", text)]
    found += [f"raw unit {m.group(0)!r}" for m in re.finditer(r"\d ratio\b", text)]
    found += [f"identifier {m.group(0)!r}" for m in re.finditer(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)]
    if "Pas d'estimation de fréquentation" in text and "montre une fréquentation modélisée" in text:
        found.append("contradiction: an empty footfall map said to show a modelled footfall")
    return found


def map_svgs(page: str) -> list[str]:
    """The map SVGs of a report (those with a street layer or a scale bar)."""
    return [s for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.S) if "class='scale'" in s]


def street_names(svg: str) -> list[str]:
    """The street names written on a map."""
    return [html_lib.unescape(t) for t in re.findall(r"<text[^>]*class='street'[^>]*>([^<]+)</text>", svg)]
