"""The merchant survey (``survey/<nis>.csv``) of the demo territory: three communes surveyed
their KBO-registered shops, the others did not (their online-purchase indicators stay not
computable, which is what a commune without a survey sees)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.demo import writers
from pipelines.demo.business import Business, defect

SURVEYED_COMMUNES = 3
"""How many communes (the first by NIS code) hold a survey."""
RESPONSE_RATE = 0.6
HEADER = ("shop_ref", "webshop", "click_collect", "delivery", "marketplace", "vouchers", "loyalty",
          "social", "reviews_count", "rating", "surveyed_on")  # fmt: skip


def _row(rng: np.random.Generator, ref: str, digital: float) -> list[str]:
    """One shop's answers; ``digital`` (0-1) is how far online the commune's shops are."""
    yes = lambda p: "oui" if rng.random() < p else "non"  # noqa: E731
    reviews = int(rng.poisson(4 + 30 * digital)) if rng.random() < 0.5 + 0.4 * digital else 0
    rating = f"{min(5.0, max(1.0, rng.normal(4.2, 0.5))):.1f}" if reviews else ""
    social = ";".join(n for n, p in (("facebook", 0.6), ("instagram", 0.4)) if rng.random() < p * (0.5 + digital))
    return [
        ref, yes(0.15 + 0.35 * digital), yes(0.1 + 0.3 * digital), yes(0.2 + 0.2 * digital),
        "Ma Ville Shop" if rng.random() < 0.1 + 0.3 * digital else "",
        "Cirklo" if rng.random() < 0.3 else "", "Joyn" if rng.random() < 0.2 else "",
        social, str(reviews), rating, f"2026-09-{1 + int(rng.integers(0, 28)):02d}",
    ]


def write_survey(business: Business, landing: Path, seed: int) -> dict[str, int]:
    """Write one survey file per surveyed commune, with two defects in the first: a rating
    above 5 (quarantined in bronze) and a shop reference no shop has (quarantined in silver)."""
    rng = np.random.default_rng(seed + 2026)
    shops = business.shops()
    shops = shops[shops["establishment_number"].astype(str) != ""]
    out: dict[str, int] = {}
    for k, nis in enumerate(sorted(shops["nis"].astype(str).unique())[:SURVEYED_COMMUNES]):
        refs = sorted(shops.loc[shops["nis"].astype(str) == nis, "establishment_number"].astype(str))
        answered = [r for r in refs if rng.random() < RESPONSE_RATE]
        digital = (0.8, 0.4, 0.2)[k % 3]
        rows = [_row(rng, ref, digital) for ref in answered]
        name = f"survey/{nis}.csv"
        if k == 0 and len(rows) > 2:
            rows[1][8], rows[1][9] = "12", "7.5"
            rows.append(_row(rng, "9.999.999.999", digital))
            business.defects.extend([
                defect(name, 2, "rating outside 0-5", rows[1][0], "rating 7.5"),
                defect(name, len(rows), "shop_ref matches no shop of the territory", "9.999.999.999",
                       "an establishment number no shop has (quarantined in silver)"),
            ])  # fmt: skip
        out[name] = writers.write_csv(landing / name, HEADER, rows)
    return out
