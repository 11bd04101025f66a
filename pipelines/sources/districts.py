"""Shopping-district outlines a commune draws itself (``landing/districts/districts.geojson``).

Any vector file GDAL reads with a CRS (GeoJSON, GeoPackage). One feature per district; an
optional ``name`` column names it in the report. Features that are not non-empty (Multi)Polygons
are quarantined with their 1-based feature number; a file without a CRS, or one GDAL cannot
read, is quarantined whole. Accepted outlines are stored in EPSG:4326.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from pipelines.constants import CRS_WGS84, GEOMETRY_COLUMN
from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows

SOURCE = "district_outlines"
FILE = "districts/districts.geojson"
"""Where a commune drops its outlines, under the landing zone."""

COLUMNS = ("outline", "name", GEOMETRY_COLUMN)


def _empty() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"outline": pd.Series(dtype="int64"), "name": pd.Series(dtype="string")})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS_WGS84), crs=CRS_WGS84)


def read_outlines(path: Path) -> ReadResult:
    """Read the outlines file.

    Returns
    -------
    ReadResult
        ``outline`` (1-based feature number), ``name`` (or null) and the polygon, EPSG:4326.
    """
    try:
        raw = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        return ReadResult(_empty(), file_quarantine(SOURCE, str(path), f"unreadable vector file: {err}"), 1)
    if raw.crs is None:
        reason = "district outlines have no CRS (expected a GeoJSON or GeoPackage with a CRS)"
        return ReadResult(_empty(), file_quarantine(SOURCE, str(path), reason), max(len(raw), 1))
    kinds = raw.geometry.geom_type
    bad = ~kinds.isin(["Polygon", "MultiPolygon"]) | raw.geometry.is_empty | raw.geometry.isna()
    numbers = pd.RangeIndex(1, len(raw) + 1)
    reasons = [f"not a polygon ({k})" for k in kinds[bad].fillna("no geometry")]
    rest = raw.drop(columns=raw.geometry.name)
    records = rest[bad.to_numpy()].to_dict("records")
    quarantine = quarantine_rows(SOURCE, str(path), numbers[bad.to_numpy()].tolist(), reasons, records)
    good = raw[~bad.to_numpy()].to_crs(CRS_WGS84)
    names = good["name"].astype("string") if "name" in good.columns else pd.Series(pd.NA, index=good.index, dtype="string")
    table = gpd.GeoDataFrame(
        {"outline": numbers[~bad.to_numpy()].to_numpy("int64"), "name": names.to_numpy()},
        geometry=good.geometry.to_numpy(), crs=CRS_WGS84,
    )
    return ReadResult(table, quarantine, len(raw))
