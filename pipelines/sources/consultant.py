"""The consultant's file: what a consultant validated, rejected, added and saw in one commune.

One YAML file per commune (``landing/consultant/<nis>.yaml``), written by the consultant who
audits it (format in ``docs/data-contracts.md``, "Consultant's file")::

    consultant: Marie Dupont (ADL Exemple)
    validated_on: 2026-11-20
    actions:
      - {code: opening_hours_campaign, decision: accept, comment: "avec l'association"}
      - {code: bus_frequency_request, decision: reject, reason: "déjà demandé au TEC en 2026"}
      - decision: add
        title: Marché du samedi sur la place
        kpi: footfall_daily            # a catalogue indicator, or a free French text
        baseline: 1200                 # optional
        target: 1500
        target_date: 2027-09-30
        owner: commune
        cost_band: faible              # faible | moyen | eleve
        funding: [budget_communal]     # funding.yaml keys or free text
        place: Place communale
    references:
      - {indicator: vacancy_rate, value: 15, justification: "objectif du schéma communal"}
    findings:
      - {topic: safety, status: ok, comment: "..."}
    digital_tools:
      - {name: Citie, comment: "application communale depuis 2024"}

The whole file is validated before anything of it is used: a file that is not YAML, or any
entry that breaks the format (a rejection without a reason, an unknown action code, a date
that is not YYYY-MM-DD...), makes the file one file-level quarantine row whose reason is a
single line naming the file and the line (``consultant/92801.yaml, line 7: ...``), and none of
its decisions apply; the other communes' files still do. A consultant's word is all or
nothing: half a validation would be a validation nobody made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, file_quarantine

SOURCE = "consultant"
CANVAS_GEODATA = Path(__file__).resolve().parents[2] / "geodata" / "canvas"
"""The Canvas catalogues, read here for their codes only (``pipelines.canvas.catalogue``
depends on the source registry, which depends on this reader)."""
DECISIONS = ("accept", "reject", "add")
COST_BANDS = ("faible", "moyen", "eleve")
FINDING_STATUS = ("ok", "attention", "probleme", "non_evalue")
"""Status of a checklist topic: in place / to watch / a problem / not assessed."""
TOPICS = {
    "safety": "Sécurité et propreté", "appearance": "Apparence et attractivité des vitrines",
    "markets": "Marchés", "anchor_stores": "Enseignes locomotives", "vision": "Vision et stratégie partagées",
    "partnerships": "Partenariats (commune, commerçants, ADL)", "events": "Animations et événements",
    "accessibility": "Accessibilité (PMR, signalétique)", "greenery": "Verdurisation et mobilier urbain",
    "opening_hours": "Heures d'ouverture", "merchant_association": "Association de commerçants",
    "management": "Gestion centre-ville",
}  # fmt: skip
"""The checklist topics (after the Institute of Place Management's priorities); a topic not in
this list is refused (a typo would otherwise become a new topic)."""

DECISION_COLUMNS = "nis consultant validated_on:date line:i64 decision action reason comment title kpi baseline:f64 target:f64 target_date:date owner cost_band funding place horizon"
REFERENCE_COLUMNS = "nis consultant validated_on:date line:i64 indicator value:f64 justification"
FINDING_COLUMNS = "nis consultant validated_on:date line:i64 kind topic topic_fr status comment"
"""Column specs of the three bronze tables (:mod:`pipelines.sources.registry`)."""


class ConsultantFileError(InputError):
    """A consultant file that breaks the format; its message is one line: file, line, problem."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        super().__init__(problem, path=path)
        self.line = line
        self.args = (f"{path}, line {line}: {problem}" if line else f"{path}: {problem}",)

    def __str__(self) -> str:
        return str(self.args[0])


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the 1-based line of every mapping (``__line__``) and of each
    of its keys (``__lines__``), and leaves dates as text (checked by :meth:`_Checker.day`,
    which names the line: yaml's own date constructor raises without a mark on 2026-13-01)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def parse(path: Path, name: str) -> dict[str, Any]:
    """The file's top-level mapping, lines recorded; a YAML syntax error becomes one
    :class:`ConsultantFileError` at yaml's error mark."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _one_line(f"not valid YAML: {exc.problem or exc.context}")
        raise ConsultantFileError(name, mark.line + 1 if mark else None, problem) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConsultantFileError(name, None, _one_line(f"not readable as UTF-8 YAML: {exc}")) from None
    if not isinstance(data, dict):
        raise ConsultantFileError(name, 1, "expected a mapping with consultant, validated_on, actions, references, findings, digital_tools")
    return data


class _Checker:
    """Validation of one parsed file, every error one :class:`ConsultantFileError`."""

    def __init__(self, name: str, actions: frozenset[str] | None, indicators: frozenset[str] | None) -> None:
        self.name, self.actions, self.indicators = name, actions, indicators

    def fail(self, line: int | None, problem: str) -> ConsultantFileError:
        return ConsultantFileError(self.name, line, problem)

    @staticmethod
    def at(entry: dict[str, Any], key: str) -> int:
        """The line of ``key`` in ``entry`` (the entry's first line when the key is absent)."""
        return int(entry.get("__lines__", {}).get(key, entry["__line__"]))

    def text(self, entry: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(entry["__line__"], f"missing {key}")  # absent: the entry's line
            return None
        if isinstance(value, dict | list):
            raise self.fail(self.at(entry, key), f"{key} must be a text, found a {type(value).__name__}")
        return str(value).strip()

    def number(self, entry: dict[str, Any], key: str) -> float | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                return float(str(value).replace(",", "."))
            except ValueError:
                raise self.fail(self.at(entry, key), f"{key} must be a number, found {value!r}") from None
        return float(value)

    def day(self, entry: dict[str, Any], key: str, *, required: bool = False) -> dt.date | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(self.at(entry, key), f"{key} must be a date YYYY-MM-DD, found {value!r}") from None

    def choice(self, entry: dict[str, Any], key: str, allowed: Iterable[str], *, required: bool = False) -> str | None:
        value = self.text(entry, key, required=required)
        if value is not None and value not in allowed:
            raise self.fail(self.at(entry, key), f"{key} {value!r} is not one of {', '.join(allowed)}")
        return value

    def entries(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(self.at(data, key), f"{key} must be a list of entries (- ...)")
        for item in value:
            if not isinstance(item, dict):
                raise self.fail(self.at(data, key), f"every entry of {key} must be a mapping (key: value), found {item!r}")
        return value


def _action(c: _Checker, e: dict[str, Any]) -> dict[str, Any]:
    line = e["__line__"]
    decision = c.choice(e, "decision", DECISIONS, required=True)
    code = c.text(e, "code", required=decision != "add")
    if decision != "add" and c.actions is not None and code not in c.actions:
        raise c.fail(c.at(e, "code"), f"unknown action code {code!r} (see geodata/canvas/actions.yaml)")
    row = {"line": line, "decision": decision, "action": code, "reason": c.text(e, "reason", required=decision == "reject"),
           "comment": c.text(e, "comment")}
    if decision != "add":
        return row
    funding = e.get("funding")
    funding_text = "; ".join(str(f) for f in funding) if isinstance(funding, list) else c.text(e, "funding", required=True)
    return row | {"title": c.text(e, "title", required=True), "kpi": c.text(e, "kpi", required=True),
                  "baseline": c.number(e, "baseline"), "target": c.number(e, "target"),
                  "target_date": c.day(e, "target_date", required=True), "owner": c.text(e, "owner", required=True),
                  "cost_band": c.choice(e, "cost_band", COST_BANDS, required=True), "funding": funding_text,
                  "place": c.text(e, "place", required=True), "horizon": c.choice(e, "horizon", ("quick_win", "structural"))}


def _reference(c: _Checker, e: dict[str, Any]) -> dict[str, Any]:
    code = c.text(e, "indicator", required=True)
    if c.indicators is not None and code not in c.indicators:
        raise c.fail(c.at(e, "indicator"), f"unknown indicator {code!r} (see geodata/canvas/indicators.yaml)")
    value = c.number(e, "value")
    if value is None:
        raise c.fail(e["__line__"], "missing value (the reference the consultant sets)")
    return {"line": e["__line__"], "indicator": code, "value": value, "justification": c.text(e, "justification", required=True)}


def _finding(c: _Checker, e: dict[str, Any]) -> dict[str, Any]:
    topic = c.choice(e, "topic", tuple(TOPICS), required=True)
    return {"line": e["__line__"], "kind": "finding", "topic": topic, "topic_fr": TOPICS[str(topic)],
            "status": c.choice(e, "status", FINDING_STATUS, required=True), "comment": c.text(e, "comment")}


def _tool(c: _Checker, e: dict[str, Any]) -> dict[str, Any]:
    name = c.text(e, "name", required=True)
    return {"line": e["__line__"], "kind": "digital_tool", "topic": name, "topic_fr": name,
            "status": c.choice(e, "status", ("en_place", "en_projet", "abandonne")) or "en_place", "comment": c.text(e, "comment")}


KNOWN_KEYS = {"consultant", "validated_on", "actions", "references", "findings", "digital_tools", "__line__", "__lines__"}


def validate(data: dict[str, Any], name: str, nis: str, actions: frozenset[str] | None = None,
             indicators: frozenset[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The rows of the three tables of one parsed file, or one :class:`ConsultantFileError`."""
    c = _Checker(name, actions, indicators)
    unknown = sorted(set(data) - KNOWN_KEYS, key=str)
    if unknown:
        raise c.fail(c.at(data, str(unknown[0])), f"unknown key {unknown[0]!r} (expected {', '.join(sorted(KNOWN_KEYS - {'__line__', '__lines__'}))})")
    who = {"nis": nis, "consultant": c.text(data, "consultant", required=True), "validated_on": c.day(data, "validated_on", required=True)}
    out = {
        "consultant_decisions": [who | _action(c, e) for e in c.entries(data, "actions")],
        "consultant_references": [who | _reference(c, e) for e in c.entries(data, "references")],
        "consultant_findings": [who | _finding(c, e) for e in c.entries(data, "findings")]
                               + [who | _tool(c, e) for e in c.entries(data, "digital_tools")],
    }
    for table, key in (("consultant_decisions", "action"), ("consultant_references", "indicator")):
        seen: dict[str, int] = {}
        for row in out[table]:
            if row[key] is not None and row[key] in seen:
                raise c.fail(row["line"], f"{key} {row[key]!r} decided twice (first at line {seen[row[key]]})")
            seen.setdefault(row[key], row["line"])
    return out


def catalogue_codes(folder: Path = CANVAS_GEODATA) -> tuple[frozenset[str], frozenset[str]]:
    """The action codes (indicator and data actions) and indicator codes a file may name."""
    acts = yaml.safe_load((folder / "actions.yaml").read_text(encoding="utf-8"))
    inds = yaml.safe_load((folder / "indicators.yaml").read_text(encoding="utf-8"))
    return frozenset(acts.get("actions", {})) | frozenset(acts.get("data_actions", {})), frozenset(inds.get("indicators", {}))


def _frame(rows: list[dict[str, Any]], spec: str) -> pd.DataFrame:
    """Rows typed as the registry declares them (``spec``: ``name[:type]`` words)."""
    kinds = dict(item.partition(":")[::2] for item in spec.split())
    frame = pd.DataFrame(rows, columns=list(kinds))
    for col, kind in kinds.items():
        if kind == "date":
            frame[col] = pd.to_datetime(frame[col]).dt.date.astype(pd.ArrowDtype(pa.date32()))
        elif kind in ("f64", "i64"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64" if kind == "f64" else "int64")
        else:
            frame[col] = frame[col].astype("string")
    return frame


SPECS = {"consultant_decisions": DECISION_COLUMNS, "consultant_references": REFERENCE_COLUMNS,
         "consultant_findings": FINDING_COLUMNS}


def read_consultant(path: Path, *, name: str | None = None, actions: frozenset[str] | None = None,
                    indicators: frozenset[str] | None = None) -> dict[str, ReadResult]:
    """Read one consultant file into the three tables of :data:`SPECS`.

    ``name`` is how the file is named in errors (default: ``consultant/<file name>``);
    ``actions`` and ``indicators`` the valid codes (None: not checked). Every entry is one input
    row; a broken file is one file-level quarantine row (in ``consultant_decisions``) whose
    reason is the one-line :class:`ConsultantFileError`, and gives no row at all.
    """
    path = Path(path)
    name = name or f"{SOURCE}/{path.name}"
    empty = {t: ReadResult(_frame([], spec), rows_in=0) for t, spec in SPECS.items()}
    try:
        nis = path.stem
        if not (nis.isdigit() and len(nis) == 5):
            raise ConsultantFileError(name, None, "file name must be the commune's NIS code: consultant/<5 digits>.yaml")
        rows = validate(parse(path, name), name, nis, actions, indicators)
    except ConsultantFileError as exc:
        empty["consultant_decisions"] = ReadResult(_frame([], DECISION_COLUMNS), file_quarantine(SOURCE, str(path), str(exc)), 1)
        return empty
    return {t: ReadResult(_frame(rows[t], SPECS[t])) for t in SPECS}
