"""The consultant's file: decisions, overrides, checklist and tools; a broken file is
quarantined whole with a one-line reason naming its line, and the others still apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.sources import loaders
from pipelines.sources.consultant import ConsultantFileError, parse, read_consultant

GOOD = """\
consultant: Marie Dupont (ADL)
validated_on: 2026-11-20
actions:
  - {code: opening_hours_campaign, decision: accept, comment: avec l'association}
  - code: bus_frequency_request
    decision: reject
    reason: déjà demandé au TEC en 2026
  - decision: add
    title: Marché du samedi sur la place
    kpi: footfall_daily
    target: 1500
    target_date: 2027-09-30
    owner: commune
    cost_band: faible
    funding: [budget_communal]
    place: Place communale
references:
  - {indicator: vacancy_rate, value: 15, justification: objectif du schéma communal}
findings:
  - {topic: safety, status: ok, comment: centre propre}
  - {topic: markets, status: attention}
digital_tools:
  - {name: Citie, comment: application communale}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "consultant" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_gives_three_tidy_tables(tmp_path):
    out = read_consultant(write(tmp_path, "92801.yaml", GOOD), actions=frozenset({"opening_hours_campaign", "bus_frequency_request"}))
    d = out["consultant_decisions"].table
    assert d["decision"].tolist() == ["accept", "reject", "add"]
    assert d["line"].tolist() == [4, 5, 8]
    assert d.loc[1, "reason"] == "déjà demandé au TEC en 2026"
    assert d.loc[2, "target"] == 1500 and d.loc[2, "target_date"] == dt.date(2027, 9, 30)
    assert d.loc[2, "funding"] == "budget_communal"
    assert set(d["nis"]) == {"92801"} and set(d["consultant"]) == {"Marie Dupont (ADL)"}
    r = out["consultant_references"].table
    assert r[["indicator", "value"]].values.tolist() == [["vacancy_rate", 15.0]]
    f = out["consultant_findings"].table
    assert f["kind"].tolist() == ["finding", "finding", "digital_tool"]
    assert f["topic_fr"].iloc[0] == "Sécurité et propreté" and f["status"].iloc[2] == "en_place"
    assert all(res.balanced and len(res.quarantine) == 0 for res in out.values())


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("    reason: déjà demandé au TEC en 2026\n", ""), 5, "missing reason"),
        (GOOD.replace("decision: accept", "decision: maybe"), 4, "decision 'maybe' is not one of"),
        (GOOD.replace("target_date: 2027-09-30", "target_date: fin 2027"), 12, "target_date must be a date YYYY-MM-DD"),
        (GOOD.replace("code: bus_frequency_request", "code: bus_frequncy_request"), 5, "unknown action code"),
        (GOOD.replace("  - {topic: safety", "  - {topic: safety, status: ok\n  - {topic: x"), 21, "not valid YAML"),
        (GOOD.replace("    owner: commune\n", "   owner: commune\n"), 13, "not valid YAML"),
    ],
)
def test_a_broken_file_is_one_line_naming_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, "92801.yaml", text)
    out = read_consultant(path, actions=frozenset({"opening_hours_campaign", "bus_frequency_request"}))
    q = out["consultant_decisions"].quarantine
    assert len(q) == 1 and q["row_number"].iloc[0] == 0
    reason = q["reason"].iloc[0]
    assert "\n" not in reason and reason.startswith(f"consultant/92801.yaml, line {line}: "), reason
    assert words in reason
    assert all(len(r.table) == 0 and r.balanced for r in out.values())


def test_parse_error_carries_yaml_mark(tmp_path):
    path = write(tmp_path, "92801.yaml", "consultant: [a\nvalidated_on: 2026-11-20\n")
    with pytest.raises(ConsultantFileError) as err:
        parse(path, "consultant/92801.yaml")
    assert str(err.value).startswith("consultant/92801.yaml, line ")


def test_one_broken_file_does_not_stop_the_others(tmp_path):
    write(tmp_path, "92801.yaml", GOOD)
    write(tmp_path, "92802.yaml", GOOD.replace("    reason: déjà demandé au TEC en 2026\n", ""))
    write(tmp_path, "bad-name.yaml", GOOD.replace("Marie", "Jean"))  # not a duplicate (refused)
    out = loaders.load_consultant(tmp_path)
    assert set(out["consultant_decisions"].table["nis"]) == {"92801"}
    q = out["consultant_decisions"].quarantine
    assert len(q) == 2
    assert any("92802.yaml, line 5: missing reason" in r for r in q["reason"])
    assert any("file name must be the commune's NIS code" in r for r in q["reason"])
    assert all(r.balanced for r in out.values())


def test_codes_are_those_of_the_canvas_catalogue():
    from pipelines.canvas.catalogue import load_catalogue
    from pipelines.sources.consultant import catalogue_codes

    cat = load_catalogue()
    actions, indicators = catalogue_codes()
    assert actions == set(cat.actions) | set(cat.data_actions) and indicators == set(cat.indicators)


def test_bronze_reads_typed_tables_and_balances_with_a_broken_file(tmp_path):
    from pipelines import tables
    from pipelines.sources.registry import FAMILIES

    write(tmp_path, "92801.yaml", GOOD)
    write(tmp_path, "92802.yaml", "consultant: x\nvalidated_on: 2026-13-01\n")
    (bronze,) = FAMILIES["consultant"].assets
    out = tables.read_bronze(bronze, tmp_path)
    assert set(out) == {"consultant_decisions", "consultant_references", "consultant_findings"}
    for name, result in out.items():
        assert list(result.table.columns) == tables.columns(name) and result.balanced
    (reason,) = out["consultant_decisions"].quarantine["reason"]
    assert reason == "consultant/92802.yaml, line 2: validated_on must be a date YYYY-MM-DD, found '2026-13-01'"
    assert sum(r.rows_in for r in out.values()) == 3 + 1 + 3 + 1  # entries of the good file + the broken file
