"""Conforming parsed tables into silver entities: points, commune assignment, H3 index."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from pipelines.constants import CRS_METRIC, CRS_WGS84, H3_COLUMN, NIS_COLUMN
from pipelines.grid import points_to_cells
from pipelines.results import Check


def points_from_lonlat(frame: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> gpd.GeoDataFrame:
    """A GeoDataFrame (EPSG:4326) with Point geometries from lon/lat columns (kept)."""
    geometry = gpd.points_from_xy(frame[lon].astype("float64"), frame[lat].astype("float64"))
    return gpd.GeoDataFrame(frame.copy(), geometry=geometry, crs=CRS_WGS84)


def with_h3(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the canonical ``h3`` column (res 9) from each geometry's point (or representative point)."""
    out = frame.copy()
    out[H3_COLUMN] = points_to_cells(out) if len(out) else pd.Series(dtype="uint64")
    return out


def assign_commune(frame: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, *, overwrite: bool = False) -> gpd.GeoDataFrame:
    """Set ``nis`` to the commune containing each feature's representative point.

    Features outside every commune get ``nis`` = NA (they are kept: the territory may be
    smaller than a provider's extract). With ``overwrite=False`` an existing non-null ``nis``
    is kept.
    """
    out = frame.copy()
    points = gpd.GeoDataFrame(
        {"_row": range(len(out))}, geometry=out.geometry.representative_point().values, crs=out.crs
    )
    joined = gpd.sjoin(points, communes[[NIS_COLUMN, "geometry"]].to_crs(out.crs), how="left", predicate="within")
    found = joined.drop_duplicates("_row").sort_values("_row")[NIS_COLUMN].astype("string").to_numpy()
    if overwrite or NIS_COLUMN not in out.columns:
        out[NIS_COLUMN] = found
    else:
        out[NIS_COLUMN] = out[NIS_COLUMN].astype("string").fillna(pd.Series(found, index=out.index))
    return out


def conform_points(frame: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """EPSG:4326, commune NIS and H3: what every silver point entity carries."""
    out = frame.to_crs(CRS_WGS84) if frame.crs and frame.crs != CRS_WGS84 else frame
    return with_h3(assign_commune(out, communes))


def area_km2(frame: gpd.GeoDataFrame) -> pd.Series:
    """Area of each polygon in km2 (computed in Belgian Lambert 72)."""
    return frame.geometry.to_crs(CRS_METRIC).area / 1e6


def entity_checks(frame: pd.DataFrame, key_cols: list[str], *, geo: bool = True) -> list[Check]:
    """The checks of a silver entity table: ``unique_key`` and, for a geo table,
    ``valid_geometry`` (valid, EPSG:4326, every row with an h3 cell)."""
    dupes = int(frame.duplicated(key_cols).sum())
    checks = [Check("unique_key", dupes == 0, {"duplicates": dupes, "key": ",".join(key_cols)})]
    if geo:
        invalid = int((~frame.geometry.is_valid).sum()) if len(frame) else 0
        no_h3 = int((frame["h3"] == 0).sum()) if len(frame) else 0
        crs_ok = frame.crs is not None and frame.crs.to_epsg() == 4326
        checks.append(Check("valid_geometry", invalid == 0 and no_h3 == 0 and crs_ok,
                            {"invalid": invalid, "without_h3": no_h3, "crs": str(frame.crs)}))
    return checks
