"""Shopping districts as a gold table: ids, commune, shop mix, floor proxy, origin point.

Glue over :mod:`pipelines.districts` (DBSCAN/HDBSCAN detection and outlines): it numbers the
districts per commune, counts their shops by category, adds a retail floor proxy and the
point where travel costs and isochrones start. Commune-supplied outlines can replace the
detection (:func:`districts_from_polygons`). ``docs/catchment.md`` documents the choices.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines.constants import CRS_METRIC, CRS_WGS84, SHOP_CATEGORIES
from pipelines.districts import NOISE, detect_districts, district_polygons
from pipelines.errors import InputError
from pipelines.results import Check

FLOOR_M2_BY_CATEGORY: dict[str, float] = {
    "food": 120.0,
    "fashion": 150.0,
    "health_beauty": 100.0,
    "household": 250.0,
    "culture_leisure": 120.0,
    "other_retail": 80.0,
    "horeca": 120.0,
    "personal_services": 60.0,
}
"""Assumed typical sales (or seating) area of a shop by category, m² (a proxy, no survey)."""

FLOOR_M2_BY_FORMAT: dict[str, float] = {
    "47111": 2500.0,  # hypermarket
    "47114": 1000.0,  # supermarket
    "supermarket": 1000.0,
    "47112": 250.0,  # convenience / superette
    "47113": 250.0,
    "convenience": 250.0,
    "47591": 800.0,  # furniture
    "furniture": 800.0,
    "47521": 600.0,  # hardware, DIY
    "hardware": 600.0,
    "doityourself": 1500.0,
}
"""Large (or small) formats that override the category default: NACE code or OSM ``shop``."""

DISTRICT_EPS_M = 150.0
DISTRICT_MIN_SHOPS = 8
DISTRICT_BUFFER_M = 50.0


def retail_floor_proxy_m2(shops: pd.DataFrame) -> np.ndarray:
    """Proxy of each shop's sales floor (m²): by format when known, else by category.

    Parameters
    ----------
    shops : pandas.DataFrame
        ``category`` and optionally ``nace_code`` and ``osm_subtype``.

    Returns
    -------
    numpy.ndarray of float
        :data:`FLOOR_M2_BY_FORMAT` of the NACE code, else of the OSM subtype, else
        :data:`FLOOR_M2_BY_CATEGORY` of the category (0 for an unknown category).
    """
    by_category = shops["category"].astype("object").map(FLOOR_M2_BY_CATEGORY)
    floor = by_category.fillna(0.0).to_numpy(dtype=float)
    for column in ("osm_subtype", "nace_code"):  # NACE wins: applied last
        if column in shops.columns:
            fmt = shops[column].astype("object").map(FLOOR_M2_BY_FORMAT).to_numpy(dtype=float)
            floor = np.where(np.isfinite(fmt), fmt, floor)
    return floor


def _district_ids(nis: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``<nis>-Dnn`` numbered 01, 02... within each commune in the given order."""
    frame = pd.DataFrame({"nis": nis, "order": order})
    rank = frame.groupby("nis")["order"].rank(method="first").astype(int)
    return np.array([f"{n}-D{r:02d}" for n, r in zip(frame["nis"], rank, strict=True)])


def _majority(values: pd.Series, labels: np.ndarray) -> pd.Series:
    """Most frequent value per label (ties: the smallest value)."""
    frame = pd.DataFrame({"label": labels, "value": values.astype("object").to_numpy()})
    counts = frame.groupby(["label", "value"]).size().reset_index(name="n")
    counts = counts.sort_values(["label", "n", "value"], ascending=[True, False, True])
    return counts.drop_duplicates("label").set_index("label")["value"]


def build_districts(
    shops: gpd.GeoDataFrame,
    *,
    eps_m: float = DISTRICT_EPS_M,
    min_shops: int = DISTRICT_MIN_SHOPS,
    method: str = "dbscan",
    buffer_m: float = DISTRICT_BUFFER_M,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Shopping districts detected from shop locations, with their shop mix.

    Parameters
    ----------
    shops : geopandas.GeoDataFrame
        Silver shops: points, ``shop_id``, ``category``, ``nis`` and optionally
        ``nace_code``, ``osm_subtype`` (any CRS; clustered in EPSG:31370).
    eps_m, min_shops, method
        Passed to :func:`pipelines.districts.detect_districts`.
    buffer_m : float
        Passed to :func:`pipelines.districts.district_polygons`.

    Returns
    -------
    districts : geopandas.GeoDataFrame
        See :func:`summarise_districts`.
    membership : pandas.Series
        ``district_id`` of every shop (index ``shop_id``), missing for shops in no district.
    """
    metric = shops.to_crs(CRS_METRIC).reset_index(drop=True)
    x, y = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    labels = detect_districts(x, y, eps_m=eps_m, min_shops=min_shops, method=method)
    outlines = district_polygons(metric, labels, buffer_m=buffer_m)
    return summarise_districts(metric, labels, outlines.geometry.to_numpy())


def summarise_districts(
    shops_metric: gpd.GeoDataFrame, labels: np.ndarray, outlines: np.ndarray
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """District table from shop labels (0..n-1, ``-1`` = none) and one outline per label.

    Returns
    -------
    districts : geopandas.GeoDataFrame
        ``district_id`` (``<nis>-D01``: numbered within the commune by decreasing size),
        ``nis`` (the commune of most of its shops), ``n_shops``, ``shops_<category>`` for
        every :data:`SHOP_CATEGORIES`, ``retail_floor_proxy_m2``, ``area_m2``,
        ``origin_lon``/``origin_lat`` (the shop nearest to the mean of the district's shops:
        where isochrones and travel costs start) and the outline (EPSG:4326).
    membership : pandas.Series
        ``district_id`` per ``shop_id`` (missing for shops outside every district).
    """
    labels = np.asarray(labels)
    inside = labels != NOISE
    n = len(outlines)
    shops = shops_metric.assign(label=labels, floor=retail_floor_proxy_m2(shops_metric))[inside]
    counts = pd.crosstab(shops["label"], shops["category"].astype("object"))
    counts = counts.reindex(index=range(n), columns=list(SHOP_CATEGORIES), fill_value=0)
    nis = _majority(shops["nis"], shops["label"].to_numpy()).reindex(range(n)).to_numpy()
    ids = _district_ids(nis.astype(str), np.arange(n))
    xy = shapely.get_coordinates(shops.geometry.to_numpy())
    origin = np.empty((n, 2))
    for k in range(n):
        pts = xy[shops["label"].to_numpy() == k]
        origin[k] = pts[np.argmin(((pts - pts.mean(axis=0)) ** 2).sum(axis=1))]
    origin_ll = gpd.GeoSeries(shapely.points(origin), crs=CRS_METRIC).to_crs(CRS_WGS84)
    frame = pd.DataFrame(
        {
            "district_id": ids,
            "nis": nis.astype(str),
            "n_shops": shops.groupby("label").size().reindex(range(n), fill_value=0).to_numpy(),
            **{f"shops_{c}": counts[c].to_numpy(dtype="int64") for c in SHOP_CATEGORIES},
            "retail_floor_proxy_m2": shops.groupby("label")["floor"]
            .sum()
            .reindex(range(n))
            .to_numpy(),
            "area_m2": shapely.area(outlines),
            "origin_lon": origin_ll.x.to_numpy(),
            "origin_lat": origin_ll.y.to_numpy(),
        }
    )
    geometry = gpd.GeoSeries(outlines, crs=CRS_METRIC).to_crs(CRS_WGS84)
    districts = gpd.GeoDataFrame(frame, geometry=geometry.values, crs=CRS_WGS84)
    districts = districts.sort_values("district_id").reset_index(drop=True)
    membership = pd.Series(
        np.where(inside, ids[np.where(inside, labels, 0)], None),
        index=shops_metric["shop_id"].to_numpy(),
        name="district_id",
        dtype="string",
    )
    return districts, membership


def districts_from_polygons(
    shops: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Districts drawn by the communes instead of detected: one per polygon.

    Parameters
    ----------
    shops : geopandas.GeoDataFrame
        As for :func:`build_districts`.
    polygons : geopandas.GeoDataFrame
        One (Multi)Polygon per district, with a CRS. A shop inside several polygons goes to
        the first one.

    Returns
    -------
    Same as :func:`build_districts`.

    Raises
    ------
    pipelines.errors.InputError
        If the polygons have no CRS, a geometry is not a non-empty polygon or a polygon
        holds no shop (row numbers are 1-based feature numbers).
    """
    if polygons.crs is None:
        raise InputError("district polygons have no CRS", expected="a GeoJSON/GPKG with a CRS")
    kinds = polygons.geometry.geom_type
    bad = ~kinds.isin(["Polygon", "MultiPolygon"]) | polygons.geometry.is_empty
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("district polygon is not a polygon", row=k + 1, found=str(kinds.iloc[k]))
    metric = shops.to_crs(CRS_METRIC).reset_index(drop=True)
    outlines = shapely.make_valid(polygons.to_crs(CRS_METRIC).geometry.to_numpy())
    shop_idx, poly_idx = shapely.STRtree(outlines).query(
        metric.geometry.to_numpy(), predicate="within"
    )
    labels = np.full(len(metric), NOISE, dtype=np.int64)
    first = pd.Series(poly_idx).groupby(shop_idx).min()
    labels[first.index.to_numpy()] = first.to_numpy()
    size = np.bincount(labels[labels >= 0], minlength=len(outlines))
    order = np.argsort(-size, kind="stable")  # renumber by decreasing size
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = np.where(labels >= 0, rank[np.where(labels >= 0, labels, 0)], NOISE)
    outlines = outlines[order]
    if (size == 0).any():
        k = int(np.flatnonzero(size == 0)[0])
        raise InputError(
            "district polygon holds no shop (check its position and CRS)",
            row=k + 1,
            found=f"{int((size == 0).sum())} polygon(s) without shops",
        )
    districts, membership = summarise_districts(metric, labels, outlines)
    return districts, membership


def district_checks(frame: gpd.GeoDataFrame, membership: pd.Series, n_shops: int) -> list[Check]:
    """The checks of gold.districts: one row per district_id, valid (Multi)Polygons in
    EPSG:4326, and shops conserved (n_shops is the sum of the category counts; every district
    shop counted once)."""
    by_category = frame[[f"shops_{c}" for c in SHOP_CATEGORIES]].sum(axis=1)
    in_districts = int(membership.notna().sum())
    kinds = set(frame.geometry.geom_type)
    valid = bool(frame.geometry.is_valid.all() and kinds <= {"Polygon", "MultiPolygon"} and frame.crs.to_epsg() == 4326)
    conserved = bool((by_category == frame["n_shops"]).all() and int(frame["n_shops"].sum()) == in_districts)
    return [
        Check("unique_district_id", bool(frame["district_id"].is_unique)),
        Check("valid_polygons", valid, {"geometry_types": ", ".join(sorted(kinds))}),
        Check("shops_conserved", conserved, {"shops_in_districts": in_districts, "shops_total": n_shops}),
    ]
