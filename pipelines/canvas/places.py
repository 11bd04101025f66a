"""Where an action happens: the commune's shopping districts named by their streets (from its
own OSM street network), the streets of its empty cells (vacancy register addresses) and the
shop categories of a district to target. Frames in, dicts out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

STREETS_PER_DISTRICT = 3
CATEGORIES_FR = {
    "food": "alimentation", "fashion": "mode", "health_beauty": "santé-beauté", "household": "équipement de la maison",
    "culture_leisure": "culture-loisirs", "other_retail": "autres commerces de détail", "horeca": "horeca",
    "personal_services": "services à la personne",
}  # fmt: skip
HOUSE_NUMBER = re.compile(r"\s+\d+\S*$")


@dataclass(frozen=True)
class Place:
    """One commune's places: districts (largest first) with their main streets, streets of
    empty cells, and the district categories under-represented against the territory."""

    districts: list[str] = field(default_factory=list)
    district_streets: dict[str, list[str]] = field(default_factory=dict)
    vacant_streets: list[str] = field(default_factory=list)
    weak_categories: list[str] = field(default_factory=list)


def _as_geo(frame: pd.DataFrame) -> gpd.GeoDataFrame | None:
    if frame is None or not len(frame) or "geometry" not in frame.columns:
        return None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name == "geometry":
        return frame
    geom = frame["geometry"]
    if len(geom) and isinstance(geom.iloc[0], bytes | bytearray | memoryview):
        geom = gpd.GeoSeries.from_wkb([bytes(g) for g in geom], crs="EPSG:4326")
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=gpd.GeoSeries(geom, crs="EPSG:4326"))


def district_streets(districts: pd.DataFrame, edges: pd.DataFrame, per_district: int = STREETS_PER_DISTRICT) -> dict[str, list[str]]:
    """district_id -> the named streets (OSM ``name`` of the network edges) with the most
    length inside the district, longest first."""
    dist, net = _as_geo(districts), _as_geo(edges)
    if dist is None or net is None or "name" not in net.columns:
        return {}
    net = net[net["name"].notna() & (net["name"].astype(str).str.len() > 0)]
    if "mode" in net.columns and (net["mode"] == "walk").any():
        net = net[net["mode"] == "walk"]
    if net.empty:
        return {}
    if net.crs != dist.crs and dist.crs is not None:
        net = net.to_crs(dist.crs)
    hits = gpd.sjoin(net[["name", "geometry"]], dist[["district_id", "geometry"]], predicate="intersects")
    if hits.empty:
        return {}
    length = hits.geometry.to_crs("EPSG:31370").length if hits.crs is not None else hits.geometry.length
    hits = hits.assign(length=length.to_numpy())
    out: dict[str, list[str]] = {}
    ordered = hits.groupby(["district_id", "name"])["length"].sum().reset_index().sort_values(["district_id", "length", "name"], ascending=[True, False, True])
    for did, g in ordered.groupby("district_id", sort=False):
        out[str(did)] = g["name"].astype(str).head(per_district).tolist()
    return out


def vacant_streets(vacant: pd.DataFrame, top: int = STREETS_PER_DISTRICT) -> dict[str, list[str]]:
    """nis -> streets with the most empty cells in the latest register (address before the
    house number)."""
    if vacant is None or not len(vacant) or not {"nis", "address", "status", "observed_on"} <= set(vacant.columns):
        return {}
    v = vacant.assign(nis=vacant["nis"].astype(str))
    latest = v[(v["observed_on"] == v.groupby("nis")["observed_on"].transform("max")) & (v["status"] == "vacant")]
    street = latest["address"].astype(str).str.split(",").str[0].str.replace(HOUSE_NUMBER, "", regex=True).str.strip()
    counts = latest.assign(street=street).groupby(["nis", "street"]).size().reset_index(name="n")
    counts = counts.sort_values(["nis", "n", "street"], ascending=[True, False, True])
    return {str(n): g["street"].head(top).tolist() for n, g in counts.groupby("nis", sort=False)}


def weak_categories(districts: pd.DataFrame, top: int = 2) -> dict[str, list[str]]:
    """district_id -> the shop categories whose share in the district is furthest below their
    share over all districts of the territory (French labels)."""
    cols = [f"shops_{c}" for c in CATEGORIES_FR if f"shops_{c}" in districts.columns]
    if not len(districts) or not cols:
        return {}
    counts = districts[cols].fillna(0).to_numpy(dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
    out = {}
    for did, row in zip(districts["district_id"].astype(str), share - overall, strict=True):
        order = np.argsort(row, kind="stable")[:top]
        out[did] = [CATEGORIES_FR[cols[i].removeprefix("shops_")] for i in order]
    return out


def commune_places(districts: pd.DataFrame, edges: pd.DataFrame, vacant: pd.DataFrame) -> dict[str, Place]:
    """nis -> :class:`Place` for every commune with a district or a vacancy register."""
    streets = district_streets(districts, edges) if len(districts) else {}
    cats = weak_categories(districts) if len(districts) else {}
    empty = vacant_streets(vacant)
    out: dict[str, Place] = {}
    by: dict[str, list[str]] = {}
    if len(districts):
        d = districts.assign(nis=districts["nis"].astype(str)).sort_values(["nis", "n_shops", "district_id"], ascending=[True, False, True])
        for nis, g in d.groupby("nis", sort=False):
            by[str(nis)] = g["district_id"].astype(str).tolist()
    for nis in set(by) | set(empty):
        ids = by.get(nis, [])
        out[nis] = Place(ids, {i: streets.get(i, []) for i in ids}, empty.get(nis, []), cats.get(ids[0], []) if ids else [])
    return out


def where(place: Place | None, kind: str) -> tuple[str, list[str], list[str]]:
    """(French text, district ids, street names) of an action's ``place`` kind."""
    if place is None or (not place.districts and kind != "vacant_streets"):
        return "toute la commune (aucun noyau commercial identifié)", [], []
    main = place.districts[0] if place.districts else None
    streets = place.district_streets.get(main, []) if main else []
    label = "noyau principal" if len(place.districts) > 1 else "noyau commercial"
    base = f"{label} ({main})" + (f" : {', '.join(streets)}" if streets else "") if main else ""
    if kind == "vacant_streets" and place.vacant_streets:
        return f"cellules vides : {', '.join(place.vacant_streets)}" + (f" ; {base}" if base else ""), place.districts[:1], place.vacant_streets
    if kind == "district_categories" and place.weak_categories:
        return f"{base} ; catégories à cibler : {', '.join(place.weak_categories)}", [main] if main else [], streets
    if kind == "commune":
        return "toute la commune" + (f" ; {base}" if base else ""), place.districts, streets
    return base or "toute la commune", [main] if main else [], streets
