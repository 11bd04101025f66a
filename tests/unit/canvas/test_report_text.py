"""French formatting of the report (Babel, fr_BE), the glossary, and the slip detector that
the integration tests run over every report."""

from __future__ import annotations

import pytest
from report_text import slips

from pipelines.canvas import fmt, report


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, "passages/h", "1 passage par heure"),
        (1.5, "passages/h", "1,5 passage par heure"),
        (12, "passages/h", "12 passages par heure"),
        (0.0, "cellules", "0 cellule"),
        (2.4, "cellules", "2 cellules"),
        (0.0, "ratio", "0\u00a0% de la capacité"),
        (0.42, "ratio", "42\u00a0% de la capacité"),
        (1234.56, "habitants", "1\u202f235 habitants"),
        (5.76, "commerces pour 1 000 hab.", "5,8 commerces pour 1 000 habitants"),
        (12.345, "%", "12\u00a0%"),
        (2.5, "%", "2,5\u00a0%"),
        (None, "%", "—"),
        (float("nan"), "habitants", "—"),
    ],
)
def test_quantities_are_french(value, unit, expected):
    assert fmt.quantity(value, unit) == expected


def test_counts_plurals_percentiles_dates_and_families():
    assert fmt.count(1, "source") == "1 source" and fmt.count(0, "source") == "0 source"
    assert fmt.count(3, "fichier") == "3 fichiers" and fmt.count(2, "noyau", "noyaux") == "2 noyaux"
    assert fmt.percentile(0.0) == "0e percentile" and fmt.percentile(1) == "1er percentile"
    assert fmt.long_date("2026-12-06") == "6 décembre 2026"
    assert fmt.gap(-8.46, "%") == "8,5 points de pourcentage"
    assert fmt.trend(2.46, "%") == "+2,5 points de pourcentage par an"
    assert fmt.trend(-12.4, "%") == "−12 points de pourcentage par an"
    assert fmt.trend(0.04, "%") == "stable" and fmt.trend(-0.0, "%") == "stable"  # never "+0 point"
    assert fmt.trend(None, "%") == fmt.MISSING
    assert fmt.reference(75.0, "min", "%") == "≥ 75\u00a0%" and fmt.reference(0.0, "max", "%") == "≤ 0\u00a0%"
    assert fmt.reference_gap(37.0, "min", "%") == "manque 37 points de pourcentage"
    assert fmt.reference_gap(-66.0, "max", "%") == "dépasse de 66 points de pourcentage"
    assert fmt.family("counters") == "Compteurs piétons et vélos"
    assert "counters" not in fmt.families(["counters", "wifi"])


GLOSSARY_TERMS = ("2SFCA", "Modèle de Huff", "DG REGIO", "OCDE/JRC", "H3 (hexagone)", "Isochrone",
                  "Percentile", "ODD 11.2.1", "Monte-Carlo", "Fréquentation modélisée", "Noyau commercial")


def test_the_glossary_defines_every_method_term():
    terms = {e["term"] for e in fmt.glossary()}
    assert set(GLOSSARY_TERMS) <= terms
    assert all(len(e["definition"]) > 40 for e in fmt.glossary())


def test_the_slip_detector_finds_the_known_slips():
    found = slips("<p>1 passages/h ; 0,0 cellules ; 0,0 ratio ; nécessite : counters, wifi ; "
                  "source « counters » absente ; percentile 0,0 ; online_website_share</p>")
    kinds = {s.split(" '")[0] for s in found}
    assert kinds == {"plural after one", "decimal zero", "raw unit", "raw source code", "English word", "identifier"}
    empty_map = "<p>Pas d'estimation de fréquentation pour Ciney.</p>"
    assert slips(empty_map + "<p>La carte ci-dessus montre une fréquentation <b>modélisée</b> (estimation).</p>") == [
        "contradiction: an empty footfall map said to show a modelled footfall"]
    assert slips(empty_map + "<p>Pas d'estimation modélisée non plus (voir la carte de fréquentation).</p>") == []
    assert slips("<p>1 passage par heure ; 21 passages ; 1\u202f000 habitants ; 0 cellule ; Parking</p>"
                 "<code>landing/wifi/sensors.csv</code><i lang='en'>High Streets Task Force</i>") == []


def test_why_not_names_the_missing_sources_in_french_or_the_missing_district():
    assert report.why_not({"status": "not_computable", "needs": ["counters", "wifi"]}, 2) == (
        "faute de données : Compteurs piétons et vélos ou Capteurs WiFi de fréquentation")
    assert "sans noyau commercial" in report.why_not({"status": "not_computable", "needs": []}, 0)


def test_evidence_is_written_from_the_scorecard_and_the_inventory():
    card = {"online_website_share": {"name_fr": "Commerces avec un site web", "value": 0.0, "unit": "%",
                                     "threshold": None, "threshold_met": None, "percentile_all": 0.0}}
    inventory = {"counters": {"status": "missing", "unlocks": ["footfall_daily"]}}
    names = {"footfall_daily": "Passants par jour"}
    text = report.evidence({"kind": "indicator", "triggered_by": ["online_website_share"]}, card, inventory, names)
    assert text == "Commerces avec un site web : 0\u00a0% (la plus faible des communes comparées)"
    text = report.evidence({"kind": "data", "triggered_by": ["counters"]}, card, inventory, names)
    assert text == "Source « Compteurs piétons et vélos » absente : débloquerait Passants par jour"
    assert slips(f"<p>{text}</p>") == []
