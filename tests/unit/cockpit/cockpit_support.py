"""A tiny hand-made region for the cockpit tests: four square communes in three groups
(two in Namur -> BEP, one in Liège -> SPI, one in Hainaut arrondissement 53 -> IDEA), two
pillars, a few actions and one missing source."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from pipelines.cockpit.tables import build_region_tables

NIS = ["92001", "92002", "61001", "53001"]
NAMES = ["Aville", "Bville", "Cville", "Dville"]


def communes() -> gpd.GeoDataFrame:
    squares = [box(180000 + 2000 * i, 120000, 180000 + 2000 * (i + 1), 122000) for i in range(4)]
    return gpd.GeoDataFrame({"nis": NIS, "name_fr": NAMES}, geometry=gpd.GeoSeries(squares, crs="EPSG:31370").to_crs("EPSG:4326"))


def peers() -> pd.DataFrame:
    return pd.DataFrame({"nis": NIS, "commune": NAMES, "population": [9000, 4000, 2000, 1000]})


def pillars() -> pd.DataFrame:
    rows = []
    for i, n in enumerate(NIS):
        rows.append({"nis": n, "commune": NAMES[i], "pillar": "be_found", "pillar_fr": "Être trouvé", "order": 1, "score": 10.0 + 20 * i})
        rows.append({"nis": n, "commune": NAMES[i], "pillar": "get_there", "pillar_fr": "Venir", "order": 2, "score": 90.0 - 20 * i})
    return pd.DataFrame(rows)


def actions() -> pd.DataFrame:
    rows = []
    for i, n in enumerate(NIS):
        for r in range(1, 7 + (i == 0)):  # Aville has 7 indicator actions, the others 6
            rows.append({"nis": n, "commune": NAMES[i], "kind": "indicator", "action": f"act{r}", "title_fr": f"Action {r}",
                         "pillar": "be_found", "owner_fr": "Commune", "cost_band": "faible", "rank": r})
    rows.append({"nis": "92002", "commune": "Bville", "kind": "data", "action": "install_counters", "title_fr": "Installer des compteurs piétons",
                 "pillar": None, "owner_fr": "Commune", "cost_band": "moyen", "rank": 7})
    return pd.DataFrame(rows)


def cadastre() -> pd.DataFrame:
    rows = []
    for i, n in enumerate(NIS):
        for source, label in (("osm", "OpenStreetMap"), ("counters", "Compteurs piétons et vélos"), ("vouchers", "Chèques commerces"),
                              ("outlines", "Périmètres des noyaux commerciaux")):
            missing = (source == "counters" and n in ("92002", "61001")) or (source == "vouchers" and n == "53001") or source == "outlines"
            rows.append({"nis": n, "commune": NAMES[i], "source": source, "label_fr": label, "status": "missing" if missing else "held",
                         "unlocks": {"counters": ["footfall_daily", "flows_unexploited_cells"], "vouchers": ["customers_outside_share"]}.get(source, []) if missing else [],
                         "unlocks_actions": {"counters": ["install_counters"], "vouchers": ["join_vouchers"]}.get(source, []) if missing else []})
    return pd.DataFrame(rows)


def tables(editions: pd.DataFrame | None = None):
    return build_region_tables(communes(), peers(), pillars(), actions(), cadastre(), "2026-12-06", editions=editions)
