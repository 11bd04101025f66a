"""Peer lenses: whom a commune is compared with.

1. ``cluster``: socio-geographic groups (k-means on standardised population, density, shops
   per 1,000 inhabitants, attraction and tourism; k chosen by the best mean silhouette).
2. ``neighbours``: the communes sharing a boundary with it (and itself).
3. ``all``: every commune of the territory.
4. ``typology``: a user-supplied typology file (``nis,typology``), when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from pipelines.constants import CRS_METRIC

FEATURES = ("population", "density_km2", "shops_per_1000", "attraction", "tourism_per_10k")
FEATURES_FR = {
    "population": "population", "density_km2": "densité (hab./km²)",
    "shops_per_1000": "commerces / 1 000 hab.", "attraction": "attraction (clientèle attendue / habitants)",
    "tourism_per_10k": "attraits touristiques / 10 000 hab.",
}  # fmt: skip
LENSES = ("all", "cluster", "neighbours", "typology")
LENSES_FR = {"all": "toutes les communes", "cluster": "communes semblables", "neighbours": "communes voisines", "typology": "même typologie"}
MAX_K = 6
SEED = 0
TOUCH_TOLERANCE_M = 1.0


@dataclass(frozen=True)
class Peers:
    table: pd.DataFrame
    k: int
    silhouettes: dict[int, float] = field(default_factory=dict)
    criterion: str = ""


def commune_features(communes: gpd.GeoDataFrame, cells: pd.DataFrame, districts: pd.DataFrame,
                     catchment: pd.DataFrame, tourism: pd.DataFrame) -> pd.DataFrame:
    """The clustering features of every commune (one row per nis)."""
    out = communes[["nis", "name_fr", "population", "area_km2"]].copy()
    out["nis"] = out["nis"].astype(str)
    shops = cells.assign(nis=cells["nis"].astype(str)).groupby("nis")["shops"].sum() if len(cells) else pd.Series(dtype=float)
    out["shops"] = out["nis"].map(shops).fillna(0.0)
    out["density_km2"] = out["population"] / out["area_km2"]
    out["shops_per_1000"] = 1000.0 * out["shops"] / out["population"]
    expected = pd.Series(dtype=float)
    if len(catchment) and len(districts):
        dn = districts.set_index("district_id")["nis"].astype(str)
        expected = catchment.assign(nis=catchment["district_id"].map(dn)).groupby("nis")["expected_customers"].sum()
    out["expected_customers"] = out["nis"].map(expected).fillna(0.0)
    out["attraction"] = out["expected_customers"] / out["population"]
    n_tour = tourism.assign(nis=tourism["nis"].astype(str)).groupby("nis").size() if len(tourism) else pd.Series(dtype=float)
    out["tourism_per_10k"] = 10000.0 * out["nis"].map(n_tour).fillna(0.0) / out["population"]
    return out.rename(columns={"name_fr": "commune"})


def choose_clusters(x: np.ndarray, max_k: int = MAX_K, seed: int = SEED) -> tuple[np.ndarray, int, dict[int, float], str]:
    """k-means labels with k in 2..max_k chosen by the highest mean silhouette.

    Fewer than four communes: one group (the criterion says why).
    """
    n = len(x)
    if n < 4:
        return np.zeros(n, dtype=int), 1, {}, "moins de 4 communes : un seul groupe"
    z = StandardScaler().fit_transform(x)
    scores: dict[int, float] = {}
    labels: dict[int, np.ndarray] = {}
    for k in range(2, min(max_k, n - 1) + 1):
        with threadpool_limits(limits=1):  # tiny problem: threads only add overhead
            lab = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(z)
        if len(set(lab)) < 2:
            continue
        scores[k] = float(silhouette_score(z, lab))
        labels[k] = lab
    if not scores:
        return np.zeros(n, dtype=int), 1, {}, "aucune partition valide : un seul groupe"
    best = max(scores, key=lambda k: (round(scores[k], 12), -k))
    # relabel by order of first appearance so labels are stable across runs
    order = {old: new for new, old in enumerate(dict.fromkeys(labels[best]))}
    return np.array([order[v] for v in labels[best]]), best, scores, "k-means (k = 2..6), k à la meilleure silhouette moyenne"


def neighbours(communes: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """nis -> communes sharing a boundary (more than a point) with it."""
    geo = communes[["nis", "geometry"]].assign(nis=communes["nis"].astype(str)).to_crs(CRS_METRIC)
    out: dict[str, list[str]] = {n: [] for n in geo["nis"]}
    pairs = gpd.sjoin(geo, geo, predicate="intersects")
    for a, b in zip(pairs["nis_left"], pairs["nis_right"], strict=True):
        if a >= b:
            continue
        shared = geo.loc[geo["nis"] == a, "geometry"].iloc[0].boundary.intersection(geo.loc[geo["nis"] == b, "geometry"].iloc[0].boundary)
        if shared.length > TOUCH_TOLERANCE_M:
            out[a].append(b)
            out[b].append(a)
    return {k: sorted(v) for k, v in out.items()}


def typology_map(typology: pd.DataFrame | None) -> dict[str, str]:
    """nis -> typology from ``bronze.typology`` (``nis``, ``typology``; empty when none)."""
    if typology is None or typology.empty:
        return {}
    return dict(zip(typology["nis"].astype(str), typology["typology"].astype(str), strict=True))


def _thousands(value: float) -> str:
    return f"{int(round(value)):,}".replace(",", "\u202f")


def build_peers(features: pd.DataFrame, communes: gpd.GeoDataFrame, typology: dict[str, str] | None = None) -> Peers:
    """The peers table: features, cluster and its French label, neighbours, typology."""
    table = features.sort_values("nis").reset_index(drop=True)
    x = table[list(FEATURES)].to_numpy(dtype=float)
    x = np.nan_to_num(x, nan=0.0)
    labels, k, scores, criterion = choose_clusters(x)
    table["cluster"] = labels.astype("int64")
    means = table.groupby("cluster")[["population", "density_km2"]].mean()
    table["cluster_label"] = table["cluster"].map(
        lambda c: f"Groupe {c + 1} ({_thousands(means.loc[c, 'population'])} hab. en moyenne, {_thousands(means.loc[c, 'density_km2'])} hab./km²)")
    nb = neighbours(communes)
    table["neighbours"] = table["nis"].map(lambda n: nb.get(n, []))
    typo = typology or {}
    table["typology"] = table["nis"].map(lambda n: typo.get(n))
    return Peers(table, k, scores, criterion)


def lens_masks(peers: pd.DataFrame) -> dict[str, np.ndarray]:
    """Lens -> boolean matrix (row i: the peers of commune i, itself included), rows in the
    order of ``peers``. The typology lens is absent when no commune has a typology."""
    nis = peers["nis"].astype(str).tolist()
    n = len(nis)
    cl = peers["cluster"].to_numpy()
    masks = {"all": np.ones((n, n), dtype=bool), "cluster": cl[:, None] == cl[None, :]}
    nb = np.eye(n, dtype=bool)
    index = {v: i for i, v in enumerate(nis)}
    for i, others in enumerate(peers["neighbours"]):
        for o in others:
            if o in index:
                nb[i, index[o]] = True
    masks["neighbours"] = nb
    typ = peers["typology"].to_numpy(dtype=object)
    if any(t is not None and t == t for t in typ):
        masks["typology"] = np.array([[a is not None and a == b for b in typ] for a in typ])
    return masks
