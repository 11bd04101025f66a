"""Shopping districts: dense clusters of shops found with DBSCAN (or HDBSCAN) and their outline.

A shopping district is a place where shops stand close together: a shop with at least
``min_shops`` shops (itself included) within ``eps_m`` metres is a core shop, and core shops
within ``eps_m`` of each other, with the shops around them, form one district (DBSCAN, Ester
et al. 1996). Isolated shops are "noise" (label ``-1``): they belong to no district.

Coordinates must be metric (EPSG:31370, Belgian Lambert 72): distances in degrees would be
meaningless.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN, HDBSCAN

from pipelines.constants import CRS_METRIC

__all__ = [
    "CONTAINMENT",
    "DISTRICT_COLUMNS",
    "NEAREST",
    "DistrictPolicy",
    "assign_districts",
    "detect_districts",
    "district_polygons",
]

METHODS = ("dbscan", "hdbscan")
NOISE = -1
DISTRICT_COLUMNS = ("district_id", "n_shops", "area_m2", "geometry")
"""Columns of :func:`district_polygons`."""


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, ... by decreasing size (ties: the first shop's index)."""
    clusters = [c for c in np.unique(labels) if c != NOISE]
    if not clusters:
        return labels
    sizes = {c: int((labels == c).sum()) for c in clusters}
    first = {c: int(np.flatnonzero(labels == c)[0]) for c in clusters}
    order = sorted(clusters, key=lambda c: (-sizes[c], first[c]))
    out = np.full_like(labels, NOISE)
    for new, old in enumerate(order):
        out[labels == old] = new
    return out


def _trim_to_main_chain(xy: np.ndarray, labels: np.ndarray, eps_m: float, min_shops: int) -> None:
    """Keep, in each cluster, the largest group of shops chained by gaps <= ``eps_m``.

    HDBSCAN attaches outlying shops to the nearest cluster (they were in it when it was
    born); a shop 1 km from the others is no part of a shopping district. Shops cut off this
    way, and clusters left with fewer than ``min_shops`` shops, become noise. In place.
    """
    for cluster in [c for c in np.unique(labels) if c != NOISE]:
        members = np.flatnonzero(labels == cluster)
        pairs = cKDTree(xy[members]).query_pairs(eps_m, output_type="ndarray")
        graph = coo_matrix(
            (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(members.size,) * 2
        )
        _, component = connected_components(graph, directed=False)
        sizes = np.bincount(component)
        keep = component == int(np.argmax(sizes))
        labels[members[~keep]] = NOISE
        if keep.sum() < min_shops:
            labels[members] = NOISE


def detect_districts(
    x_m: ArrayLike,
    y_m: ArrayLike,
    *,
    eps_m: float = 150.0,
    min_shops: int = 8,
    method: str = "dbscan",
) -> np.ndarray:
    """Label every shop with its shopping district (``-1`` = in no district).

    Parameters
    ----------
    x_m, y_m : array_like, shape (n_shops,)
        Projected metric coordinates of the shops (EPSG:31370).
    eps_m : float, default 150.0
        Neighbourhood radius in metres. With ``method="hdbscan"`` it is passed as
        ``cluster_selection_epsilon`` (parts closer than ``eps_m`` are not split apart) and it
        is the largest gap allowed inside a district: in each HDBSCAN cluster only the
        largest group of shops chained by gaps <= ``eps_m`` is kept, the others become noise.
    min_shops : int, default 8
        DBSCAN: shops (the shop itself included) needed within ``eps_m`` to be a core shop.
        HDBSCAN: the smallest district size (``min_cluster_size``).
    method : {"dbscan", "hdbscan"}, default "dbscan"
        Clustering algorithm (scikit-learn). HDBSCAN adapts better to districts of very
        different densities.

    Returns
    -------
    numpy.ndarray of int, shape (n_shops,)
        District labels numbered by decreasing size (0 = the largest district), ``-1`` for
        shops outside every district.

    Raises
    ------
    ValueError
        If coordinates differ in length or are not finite, or a parameter is invalid.
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"x_m and y_m must be 1-D arrays of the same length; found shapes {x.shape} and {y.shape}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        k = int(np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))[0])
        raise ValueError(
            f"coordinates must be finite; found ({float(x[k])}, {float(y[k])}) at shop {k}"
        )
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; found {method!r}")
    if not np.isfinite(eps_m) or eps_m <= 0:
        raise ValueError(f"eps_m must be finite and > 0 (metres); found {eps_m!r}")
    if isinstance(min_shops, bool) or int(min_shops) != min_shops or min_shops < 2:
        raise ValueError(f"min_shops must be an integer >= 2; found {min_shops!r}")
    min_shops = int(min_shops)
    if x.size < min_shops:
        return np.full(x.size, NOISE, dtype=np.int64)
    xy = np.column_stack([x, y])
    if method == "dbscan":
        labels = DBSCAN(eps=eps_m, min_samples=min_shops).fit_predict(xy)
    else:
        labels = HDBSCAN(
            min_cluster_size=min_shops, cluster_selection_epsilon=float(eps_m), copy=True
        ).fit_predict(xy)
        labels = np.asarray(labels, dtype=np.int64)
        _trim_to_main_chain(xy, labels, float(eps_m), min_shops)
    return _relabel_by_size(np.asarray(labels, dtype=np.int64))


def district_polygons(
    points_gdf_metric: gpd.GeoDataFrame,
    labels: ArrayLike,
    *,
    buffer_m: float = 50.0,
    concave_ratio: float = 0.3,
) -> gpd.GeoDataFrame:
    """One outline per shopping district: the concave hull of its shops, buffered.

    The hull is ``shapely.concave_hull(shops, ratio=concave_ratio)`` (0 = tightest, 1 = the
    convex hull), then buffered by ``buffer_m`` so that the outline includes the shop
    fronts and the street in front of them; every shop of a district lies strictly inside its
    polygon. Buffered hulls of different districts may overlap when ``buffer_m`` is large.

    Parameters
    ----------
    points_gdf_metric : geopandas.GeoDataFrame
        Shops as points in a projected metric CRS (EPSG:31370), in the order of ``labels``.
    labels : array_like of int, shape (n_shops,)
        Output of :func:`detect_districts` (``-1`` = noise, ignored).
    buffer_m : float, default 50.0
        Buffer distance in metres (> 0).
    concave_ratio : float, default 0.3
        Concave hull ratio within [0, 1].

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``district_id, n_shops, area_m2, geometry``, one row per district sorted by
        ``district_id``, in the CRS of the input.

    Raises
    ------
    ValueError
        If the CRS is missing or geographic, geometries are not points, lengths differ or a
        parameter is invalid.
    """
    gdf = points_gdf_metric
    lab = np.asarray(labels)
    _check_points(gdf, lab, buffer_m, concave_ratio)
    rows: list[dict[str, object]] = []
    geometries = gdf.geometry.to_numpy()
    for district in sorted(int(c) for c in np.unique(lab) if c != NOISE):
        members = geometries[lab == district]
        hull = shapely.concave_hull(shapely.multipoints(members), ratio=concave_ratio)
        outline = shapely.buffer(hull, buffer_m)
        rows.append(
            {
                "district_id": district,
                "n_shops": int(members.size),
                "area_m2": float(shapely.area(outline)),
                "geometry": outline,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DISTRICT_COLUMNS)).astype(
        {"district_id": "int64", "n_shops": "int64", "area_m2": "float64"}
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=gdf.crs)


def _check_points(
    gdf: gpd.GeoDataFrame, labels: np.ndarray, buffer_m: float, concave_ratio: float
) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValueError(f"points_gdf_metric must be a GeoDataFrame; found {type(gdf).__name__}")
    if gdf.crs is None or not gdf.crs.is_projected:
        raise ValueError(
            f"points must be in a projected metric CRS (EPSG:31370); found {gdf.crs!r}"
        )
    if labels.ndim != 1 or labels.size != len(gdf):
        raise ValueError(
            f"labels must be 1-D with one label per point ({len(gdf)}); found shape {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers; found dtype {labels.dtype}")
    kinds = gdf.geometry.geom_type
    bad = (kinds != "Point") | gdf.geometry.is_empty
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"geometries must be non-empty points; found {kinds.iloc[k]!r} at row {k}")
    if not np.isfinite(buffer_m) or buffer_m <= 0:
        raise ValueError(f"buffer_m must be finite and > 0 (metres); found {buffer_m!r}")
    if not 0 <= concave_ratio <= 1:
        raise ValueError(f"concave_ratio must be within [0, 1]; found {concave_ratio!r}")


DistrictPolicy = Literal["containment", "nearest"]
"""How a point joins a shopping district (:func:`assign_districts`)."""

CONTAINMENT: DistrictPolicy = "containment"
NEAREST: DistrictPolicy = "nearest"
POLICIES: tuple[DistrictPolicy, ...] = (CONTAINMENT, NEAREST)
MERCHANT_MAX_M = 250.0
"""With the ``nearest`` policy, a point outside every outline joins the nearest district
within this distance (voucher merchants: see docs/methods.md, "Which points belong to a
district")."""


def assign_districts(
    points: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    policy: DistrictPolicy,
    max_m: float = MERCHANT_MAX_M,
) -> pd.Series:
    """The shopping district of each point, under an explicit policy.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points (any CRS with a definition; measured in EPSG:31370).
    districts : geopandas.GeoDataFrame
        ``district_id`` and polygon ``geometry`` (e.g. ``gold.districts``).
    policy : {"containment", "nearest"}
        ``containment``: the district whose outline holds the point (strictly inside),
        else ``<NA>``. ``nearest``: the same, else the nearest outline within ``max_m``
        metres, else ``<NA>``. Where outlines overlap, a point inside several goes to the
        first district in table order (both policies).
    max_m : float, default :data:`MERCHANT_MAX_M`
        Largest distance to an outline under ``nearest`` (ignored under ``containment``).

    Returns
    -------
    pandas.Series of string
        ``district_id`` aligned with ``points`` (named ``district_id``).

    Raises
    ------
    ValueError
        If a CRS is missing, the policy is unknown or ``max_m`` is negative.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}; found {policy!r}")
    if not np.isfinite(max_m) or max_m < 0:
        raise ValueError(f"max_m must be finite and >= 0 (metres); found {max_m!r}")
    if points.crs is None or districts.crs is None:
        raise ValueError("points and districts need a CRS (EPSG:4326 in the lake)")
    out = pd.Series(pd.NA, index=points.index, dtype="string", name="district_id")
    if points.empty or districts.empty:
        return out
    pts = points.geometry.to_crs(CRS_METRIC).to_numpy()
    outlines = districts.geometry.to_crs(CRS_METRIC).to_numpy()
    ids = districts["district_id"].astype("string").to_numpy()
    tree = shapely.STRtree(outlines)
    point_i, outline_i = tree.query(pts, predicate="within")
    hits = pd.DataFrame({"point": point_i, "outline": outline_i}).sort_values(["point", "outline"])
    hits = hits.drop_duplicates("point")
    out.iloc[hits["point"].to_numpy()] = ids[hits["outline"].to_numpy()]
    if policy == NEAREST:
        rest = np.flatnonzero(out.isna().to_numpy() & ~shapely.is_empty(pts))
        if rest.size:
            (which, nearest) = tree.query_nearest(pts[rest], max_distance=max_m, all_matches=False)
            out.iloc[rest[which]] = ids[nearest]
    return out
