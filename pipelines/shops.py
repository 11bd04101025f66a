"""Shops: KBO/BCE establishments conflated with OpenStreetMap shops.

A KBO shop and an OSM shop are the same shop when they stand within ``max_distance_m`` of
each other and their names are similar (normalised names with a similarity ratio of at least
``min_name_similarity``). Each silver shop keeps where it comes from: ``kbo``, ``osm`` or
``kbo+osm``, with the identifiers of both.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.constants import CRS_METRIC, CRS_WGS84

# OSM shop=* values -> the commerce categories of geodata/nace_categories.csv
OSM_SHOP_CATEGORY = {
    "bakery": "food", "butcher": "food", "supermarket": "food", "convenience": "food",
    "greengrocer": "food", "cheese": "food", "deli": "food", "confectionery": "food",
    "alcohol": "food", "beverages": "food", "wine": "food", "chocolate": "food", "seafood": "food",
    "clothes": "fashion", "shoes": "fashion", "jewelry": "fashion", "bag": "fashion",
    "boutique": "fashion", "fashion_accessories": "fashion",
    "chemist": "health_beauty", "cosmetics": "health_beauty", "optician": "health_beauty",
    "perfumery": "health_beauty", "medical_supply": "health_beauty", "hearing_aids": "health_beauty",
    "hardware": "household", "doityourself": "household", "furniture": "household",
    "electronics": "household", "houseware": "household", "interior_decoration": "household",
    "garden_centre": "household", "appliance": "household", "paint": "household",
    "books": "culture_leisure", "toys": "culture_leisure", "sports": "culture_leisure",
    "florist": "culture_leisure", "gift": "culture_leisure", "music": "culture_leisure",
    "stationery": "culture_leisure", "newsagent": "culture_leisure", "bicycle": "culture_leisure",
    "pet": "culture_leisure", "art": "culture_leisure",
    "pharmacy": "health_beauty",
    "restaurant": "horeca", "cafe": "horeca", "fast_food": "horeca", "bar": "horeca",
    "pub": "horeca", "ice_cream": "horeca",
    "hairdresser": "personal_services", "beauty": "personal_services",
    "dry_cleaning": "personal_services", "laundry": "personal_services",
}

ONLINE_TAGS = ("social", "payment", "delivery", "takeaway", "check_date")
"""OSM tags of the online journey a shop keeps from its OSM POI (null for a KBO-only shop)."""

SHOP_COLUMNS = [
    "shop_id", "name", "category", "source", "nace_code", "establishment_number", "osm_id",
    "osm_subtype", "website", "opening_hours", *ONLINE_TAGS, "geometry",
]


def normalise_name(name: object) -> str:
    """Casefolded, accent-free, punctuation-free name with collapsed spaces."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def name_similarity(a: object, b: object) -> float:
    """Similarity in [0, 1] of two shop names (0 when either is missing)."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    return SequenceMatcher(None, na, nb).ratio()


def osm_category(subtype: pd.Series) -> pd.Series:
    """Commerce category of OSM ``shop=*`` values (``other_retail`` when unknown)."""
    return subtype.map(OSM_SHOP_CATEGORY).fillna("other_retail").astype("string")


def conflate_shops(
    kbo_shops: gpd.GeoDataFrame,
    osm_shops: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 30.0,
    min_name_similarity: float = 0.6,
) -> gpd.GeoDataFrame:
    """Merge KBO and OSM shops into one table with the source of each row.

    Parameters
    ----------
    kbo_shops
        Located KBO establishments with a commerce category: ``establishment_number``,
        ``name``, ``nace_code``, ``category``, Point geometry.
    osm_shops
        OSM POIs of kind ``shop``: ``osm_id``, ``subtype``, ``name``, ``website``,
        ``opening_hours``, Point geometry.

    Returns
    -------
    GeoDataFrame (EPSG:4326) with ``SHOP_COLUMNS``. A matched pair keeps the KBO position,
    NACE code and category, and the OSM web presence. Each OSM shop matches at most one KBO
    shop (the closest similar one).
    """
    kbo = kbo_shops.to_crs(CRS_METRIC).reset_index(drop=True)
    osm = osm_shops.to_crs(CRS_METRIC).reset_index(drop=True)
    osm = osm.assign(**{c: None for c in ONLINE_TAGS if c not in osm.columns})
    # every OSM shop within reach is a candidate (not only the nearest: in a dense street the
    # nearest OSM shop is often the neighbour); the closest similar one wins below
    pairs = gpd.sjoin(
        kbo[["name", "geometry"]], osm[["name", "geometry"]], how="inner",
        predicate="dwithin", distance=max_distance_m, lsuffix="kbo", rsuffix="osm",
    )
    pairs["distance_m"] = kbo.geometry.loc[pairs.index].distance(osm.geometry.loc[pairs["index_osm"]], align=False).to_numpy()
    pairs["similarity"] = [name_similarity(a, b) for a, b in zip(pairs["name_kbo"], pairs["name_osm"], strict=True)]
    pairs = pairs[pairs["similarity"] >= min_name_similarity].reset_index(names="kbo_idx")
    pairs = pairs.sort_values(["distance_m", "kbo_idx"]).drop_duplicates("index_osm").drop_duplicates("kbo_idx")
    match = pd.Series(pairs["index_osm"].to_numpy(), index=pairs["kbo_idx"].to_numpy())

    osm_for_kbo = match.reindex(range(len(kbo)))
    has_osm = osm_for_kbo.notna().to_numpy()
    oi = osm_for_kbo.fillna(0).astype(int).to_numpy()

    def from_osm(col: str) -> np.ndarray:
        values = osm[col].to_numpy(dtype=object)[oi] if len(osm) else np.full(len(kbo), None)
        return np.where(has_osm, values, None)

    kbo_rows = pd.DataFrame({
        "shop_id": "kbo:" + kbo["establishment_number"].astype(str),
        "name": kbo["name"],
        "category": kbo["category"],
        "source": np.where(has_osm, "kbo+osm", "kbo"),
        "nace_code": kbo["nace_code"],
        "establishment_number": kbo["establishment_number"],
        "osm_id": from_osm("osm_id"),
        "osm_subtype": from_osm("subtype"),
        "website": from_osm("website"),
        "opening_hours": from_osm("opening_hours"),
        **{c: from_osm(c) for c in ONLINE_TAGS},
        "geometry": kbo.geometry.values,
    })
    lonely = osm.drop(index=match.to_numpy())
    osm_rows = pd.DataFrame({
        "shop_id": "osm:" + lonely["osm_id"].astype(str),
        "name": lonely["name"],
        "category": osm_category(lonely["subtype"]),
        "source": "osm",
        "nace_code": None,
        "establishment_number": None,
        "osm_id": lonely["osm_id"],
        "osm_subtype": lonely["subtype"],
        "website": lonely["website"],
        "opening_hours": lonely["opening_hours"],
        **{c: lonely[c] for c in ONLINE_TAGS},
        "geometry": lonely.geometry.values,
    })
    shops = pd.concat([kbo_rows, osm_rows], ignore_index=True)
    text_cols = [c for c in SHOP_COLUMNS if c != "geometry"]
    shops[text_cols] = shops[text_cols].astype("string")
    return gpd.GeoDataFrame(shops[SHOP_COLUMNS], geometry="geometry", crs=CRS_METRIC).to_crs(CRS_WGS84)
