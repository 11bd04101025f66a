"""The consultant's file of the demo (``consultant/<nis>.yaml``): one commune (Valmeuse,
92801, or the first commune of a synthesised region) was audited by a consultant, who
validated the opening-hours campaign, rejected the request to the TEC (already made), added a
Saturday market, tightened the vacancy reference, filled the qualitative checklist and listed
the digital tools in place. The other communes have no file: their plan stays "proposed"."""

from __future__ import annotations

from pathlib import Path

from pipelines.demo import writers
from pipelines.demo.territory import Territory

COMMUNE = "92801"
FILE = """\
# Fichier du consultant pour la commune {nis} (format : docs/data-contracts.md, « Consultant's file »)
consultant: Claire Lambotte (consultante Smart Commerce)
validated_on: 2026-11-20
actions:
  - code: opening_hours_campaign
    decision: accept
    comment: "à lancer avec l'association des commerçants avant les fêtes"
  - code: bus_frequency_request
    decision: reject
    reason: "demande de fréquence déjà introduite auprès du TEC en 2026 (plan de transport) ; à ne pas répéter"
  - decision: add
    code: marche_samedi
    title: "Créer un marché hebdomadaire du samedi sur la place communale"
    kpi: footfall_daily
    target: 5500
    target_date: 2027-09-30
    owner: commune
    cost_band: faible
    funding: [budget_communal]
    place: "Place communale et rue commerçante principale"
    horizon: quick_win
    comment: "le marché du mercredi a disparu en 2019 ; les producteurs locaux sont demandeurs"
references:
  - indicator: vacancy_rate
    value: 12
    justification: "objectif du schéma communal de développement commercial (12 % de cellules vides au plus)"
findings:
  - {{topic: safety, status: ok, comment: "centre propre et éclairé ; pas de plainte récurrente"}}
  - {{topic: appearance, status: attention, comment: "plusieurs vitrines vides non habillées rue principale"}}
  - {{topic: markets, status: probleme, comment: "plus de marché hebdomadaire depuis 2019"}}
  - {{topic: anchor_stores, status: ok, comment: "supermarché et pharmacie au centre"}}
  - {{topic: vision, status: attention, comment: "pas de vision partagée écrite pour le centre"}}
  - {{topic: partnerships, status: ok, comment: "ADL et association de commerçants actives"}}
digital_tools:
  - {{name: Citie, comment: "application communale d'information depuis 2024"}}
  - {{name: LOLA, status: en_projet, comment: "casiers de retrait envisagés à la gare"}}
"""


def write_consultant(territory: Territory, landing: Path) -> dict[str, int]:
    """Write the one consultant file of the demo; return its path and number of entries."""
    communes = sorted(territory.communes["nis"].astype(str))
    nis = COMMUNE if COMMUNE in communes else communes[0]
    name = f"consultant/{nis}.yaml"
    text = FILE.format(nis=nis)
    writers.write_text(landing / name, text)
    return {name: sum(1 for line in text.splitlines() if line.lstrip().startswith("- "))}
