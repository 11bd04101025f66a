"""The H3 grid: vectorised indexing, cell geometry, exact areas, the territory's cells and
area-weighted interpolation of population from statistical sectors to cells.

One canonical column: ``h3`` as an unsigned 64-bit integer at resolution 9 (H3 v4).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import polars as pl
import polars_h3 as plh3
import shapely

from pipelines.arrays import distinct
from pipelines.constants import CRS_METRIC, CRS_WGS84, H3_RESOLUTION, H3_ROLLUPS
from pipelines.workers import fork_map


def latlng_to_cells(lat: Sequence[float], lon: Sequence[float], res: int = H3_RESOLUTION) -> np.ndarray:
    """H3 cells (uint64) of points, vectorised (polars-h3); NaN coordinates give 0."""
    frame = pl.DataFrame({"lat": np.asarray(lat, dtype="float64"), "lng": np.asarray(lon, dtype="float64")})
    frame = frame.with_columns(pl.col("lat").fill_nan(None), pl.col("lng").fill_nan(None))
    cells = frame.select(plh3.latlng_to_cell("lat", "lng", res).alias("h3"))["h3"]
    return cells.fill_null(0).to_numpy().astype("uint64")


def points_to_cells(points: gpd.GeoSeries | gpd.GeoDataFrame, res: int = H3_RESOLUTION) -> np.ndarray:
    """H3 cells of point geometries (any CRS; non-points use their representative point)."""
    geoms = points.geometry.to_crs(CRS_WGS84) if points.crs else points.geometry
    if not (geoms.geom_type == "Point").all():
        geoms = geoms.representative_point()
    return latlng_to_cells(geoms.y.to_numpy(), geoms.x.to_numpy(), res)


def parent_cells(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents of ``cells`` at the coarser resolution ``res`` (vectorised)."""
    series = pl.Series("h3", np.asarray(cells, dtype="uint64"))
    return pl.DataFrame({"h3": series}).select(plh3.cell_to_parent("h3", res))["h3"].to_numpy()


def cell_centres(cells: Sequence[int] | np.ndarray) -> np.ndarray:
    """(lon, lat) of the centre of each H3 cell (uint64 ids), EPSG:4326, shape (n, 2).

    The one cell-centre helper of the project (catchment origins, friction reach, footfall
    features): exact h3 centres, the same numbers for every user.
    """
    latlng = [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in np.asarray(cells, dtype="uint64")]
    return np.array(latlng, dtype=float).reshape(-1, 2)[:, ::-1]


def cell_areas_m2(cells: np.ndarray) -> np.ndarray:
    """Exact (spherical) area of each cell in square metres."""
    return np.array([h3.cell_area(h3.int_to_str(int(c)), unit="m^2") for c in cells])


def cell_polygons(cells: np.ndarray) -> gpd.GeoSeries:
    """Hexagon (or pentagon) boundaries of cells, EPSG:4326 (the polygons built in bulk)."""
    rings = [h3.cell_to_boundary(h3.int_to_str(int(c))) for c in cells]
    if not rings:
        return gpd.GeoSeries([], crs=CRS_WGS84)
    sizes = np.fromiter(map(len, rings), dtype=np.intp, count=len(rings))
    latlng = np.array([point for ring in rings for point in ring], dtype=float)
    closed = shapely.linearrings(latlng[:, ::-1], indices=np.repeat(np.arange(len(rings)), sizes))
    return gpd.GeoSeries(shapely.polygons(closed), crs=CRS_WGS84)


def covering_cells(geometry: shapely.Geometry, res: int = H3_RESOLUTION) -> np.ndarray:
    """Every cell that overlaps ``geometry`` (EPSG:4326), so the cells cover it entirely."""
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(geometry))
    cells = h3.h3shape_to_cells_experimental(shape, res, contain="overlap")
    # each part of a multipolygon is covered on its own: parts that touch (a repaired
    # self-intersecting boundary is two parts meeting at a point) share cells
    return distinct(np.array([h3.str_to_int(c) for c in cells], dtype="uint64"))


INTERSECTIONS_PER_PIECE = 5_000
"""Cells on a zone's boundary are intersected with it in pieces of this many pairs, shared
among the worker processes (:func:`pipelines.workers.fork_map`)."""


def _intersection_areas(
    cells_metric: gpd.GeoSeries, zones_metric: gpd.GeoSeries
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell positions, zone positions, intersection area m2) of every intersecting pair.

    A cell inside its zone (about half the pairs of H3 cells and statistical sectors) is
    measured whole; only the cells on a zone's boundary are intersected with it."""
    tree = cells_metric.sindex
    zone_idx, cell_idx = tree.query(zones_metric.values, predicate="intersects")
    zone_in, cell_in = tree.query(zones_metric.values, predicate="contains_properly")
    n = max(len(cells_metric), 1)
    inside = np.isin(zone_idx.astype(np.int64) * n + cell_idx, zone_in.astype(np.int64) * n + cell_in)
    cells, zones = cells_metric.values[cell_idx], zones_metric.values[zone_idx]
    areas = np.empty(len(cell_idx))
    areas[inside] = shapely.area(cells[inside])
    cut_cells, cut_zones = cells[~inside], zones[~inside]
    pieces = [slice(i, i + INTERSECTIONS_PER_PIECE) for i in range(0, len(cut_cells), INTERSECTIONS_PER_PIECE)]
    areas[~inside] = np.concatenate(
        [np.empty(0), *fork_map(lambda s: shapely.area(shapely.intersection(cut_cells[s], cut_zones[s])), pieces)]
    )
    keep = areas > 0
    return cell_idx[keep], zone_idx[keep], areas[keep]


def area_weighted(
    cells_metric: gpd.GeoSeries, zones_metric: gpd.GeoSeries, values: np.ndarray
) -> np.ndarray:
    """Interpolate zone totals onto cells, in proportion to intersection area.

    Each zone's value is shared among the cells that overlap it, weighted by the overlap area
    normalised over that zone's overlaps, so the sum over cells equals the sum over zones
    for every zone that overlaps at least one cell (the conservation law).
    """
    cell_idx, zone_idx, areas = _intersection_areas(cells_metric, zones_metric)
    per_zone = np.bincount(zone_idx, weights=areas, minlength=len(zones_metric))
    weights = areas / per_zone[zone_idx]
    contrib = np.asarray(values, dtype="float64")[zone_idx] * weights
    return np.bincount(cell_idx, weights=contrib, minlength=len(cells_metric))


def territory_cells(
    communes: gpd.GeoDataFrame,
    sectors: gpd.GeoDataFrame | None = None,
    res: int = H3_RESOLUTION,
) -> gpd.GeoDataFrame:
    """Every cell of the territory with its commune, exact area and interpolated population.

    Parameters
    ----------
    communes
        Columns ``nis``, ``population``, ``geometry`` (EPSG:4326).
    sectors
        Optional statistical sectors (``population``, ``geometry``). When given, population is
        interpolated from sectors; otherwise from communes.
    res
        H3 resolution.

    Returns
    -------
    GeoDataFrame with ``h3`` (uint64), ``h3_r8``, ``h3_r7``, ``nis`` (the commune holding the
    largest part of the cell), ``area_m2`` (exact cell area), ``territory_share`` (share of
    the cell inside the territory), ``population`` (float, conserves the zone totals) and the
    cell polygon.
    """
    territory = shapely.union_all(communes.to_crs(CRS_WGS84).geometry.values)
    cells = covering_cells(territory, res)
    polygons = cell_polygons(cells)
    cells_metric = polygons.to_crs(CRS_METRIC)
    communes_metric = communes.to_crs(CRS_METRIC).reset_index(drop=True)

    cell_idx, zone_idx, areas = _intersection_areas(cells_metric, communes_metric.geometry)
    pairs = pd.DataFrame({"cell": cell_idx, "zone": zone_idx, "area": areas})
    best = pairs.sort_values(["cell", "area", "zone"], ascending=[True, False, True])
    best = best.drop_duplicates("cell").set_index("cell")
    inside = pairs.groupby("cell")["area"].sum()

    zones = communes_metric if sectors is None else sectors.to_crs(CRS_METRIC).reset_index(drop=True)
    population = area_weighted(cells_metric, zones.geometry, zones["population"].to_numpy(dtype="float64"))

    cell_area = shapely.area(cells_metric.values)
    frame = gpd.GeoDataFrame(
        {
            "h3": cells,
            "nis": communes_metric["nis"].to_numpy()[best.reindex(range(len(cells)))["zone"].fillna(0).astype(int)],
            "area_m2": cell_areas_m2(cells),
            "territory_share": np.clip(inside.reindex(range(len(cells))).fillna(0).to_numpy() / cell_area, 0, 1),
            "population": population,
        },
        geometry=polygons.values,
        crs=CRS_WGS84,
    )
    frame = frame[frame["territory_share"] > 0].reset_index(drop=True)
    for r in H3_ROLLUPS:
        frame.insert(1, f"h3_r{r}", parent_cells(frame["h3"].to_numpy(), r))
    return frame
