"""Statbel communes and statistical sectors (boundaries with population).

Both readers accept a few real layouts (see ``docs/data-contracts.md``), return a
GeoDataFrame in EPSG:4326 and quarantine features whose code, population or geometry is
unusable. ``row_number`` in the quarantine is the 1-based feature index.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pipelines.constants import CRS_WGS84, GEOMETRY_COLUMN
from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows

SOURCE_COMMUNES = "statbel_communes"
SOURCE_SECTORS = "statbel_sectors"

COMMUNE_COLUMNS = ("nis", "name_fr", "name_nl", "population", GEOMETRY_COLUMN)
SECTOR_COLUMNS = ("sector_id", "name_fr", "nis", "population", GEOMETRY_COLUMN)

# canonical column -> source column, per layout; the first entry identifies the layout.
_COMMUNE_LAYOUTS: tuple[dict[str, str], ...] = (
    {
        "nis": "CD_MUNTY_REFNIS",
        "name_fr": "TX_MUNTY_DESCR_FR",
        "name_nl": "TX_MUNTY_DESCR_NL",
        "population": "MS_POPULATION",
    },
    {"nis": "nis", "name_fr": "name_fr", "name_nl": "name_nl", "population": "population"},
    # the generalised Statbel 2019 shapefile: Dutch name only, no population
    {"nis": "CNIS5_2019", "name_nl": "T_MUN_NL"},
)
_SECTOR_LAYOUTS: tuple[dict[str, str], ...] = (
    {
        "sector_id": "CD_SECTOR",
        "name_fr": "TX_SECTOR_DESCR_FR",
        "nis": "CD_MUNTY_REFNIS",
        "population": "MS_POPULATION",
    },
    {"sector_id": "id", "name_fr": "name_fr", "nis": "cd_munty_refnis", "population": "population"},
)

_NIS_PATTERN = r"^\d{5}$"
_SECTOR_PATTERN = r"^\d{5}[A-Z0-9]{3}[A-Z0-9-]$"
_WALLOON_PREFIXES = ("25", "5", "6", "8", "9")
_POLYGON_TYPE_IDS = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def read_communes(path: Path) -> ReadResult:
    """Read Statbel commune boundaries with population.

    Parameters
    ----------
    path : Path
        GeoJSON (Statbel or bmesuere layout) or any OGR-readable file such as the
        zipped Statbel 2019 shapefile (``CNIS5_2019``, ``T_MUN_NL``, EPSG:31370).

    Returns
    -------
    ReadResult
        ``table``: GeoDataFrame EPSG:4326 with ``nis, name_fr, name_nl, population,
        geometry``; quarantined: missing/malformed NIS, bad population, empty or
        unrepairable geometry, duplicate NIS (the first occurrence is kept).
    """
    try:
        raw = _read_features(path)
        frame = _apply_layout(raw, _COMMUNE_LAYOUTS, path)
    except _Unreadable as err:
        return _file_problem(path, SOURCE_COMMUNES, COMMUNE_COLUMNS, err)
    nis = _codes(frame["nis"])
    population, pop_reason = _parse_population(frame["population"])
    geometry, geom_reason = _repair_geometry(raw.geometry)
    reason = _first_reason(
        [
            (nis.isna(), "missing NIS"),
            (~nis.fillna("").str.fullmatch(_NIS_PATTERN), "malformed NIS (expected 5 digits)"),
            (pop_reason.notna(), pop_reason),
            (geom_reason.notna(), geom_reason),
        ]
    )
    reason = _flag_duplicates(nis, reason, "duplicate NIS")
    table = gpd.GeoDataFrame(
        {
            "nis": nis,
            "name_fr": _text(frame["name_fr"]),
            "name_nl": _text(frame["name_nl"]),
            "population": population,
        },
        geometry=geometry,
        crs=raw.crs,
    )
    return _finish(table, raw, reason, path, SOURCE_COMMUNES, COMMUNE_COLUMNS)


def read_sectors(path: Path) -> ReadResult:
    """Read Statbel statistical sectors with population.

    Parameters
    ----------
    path : Path
        GeoJSON in the Statbel layout (``CD_SECTOR, TX_SECTOR_DESCR_FR,
        CD_MUNTY_REFNIS, MS_POPULATION``) or the Brussels 2024 layout
        (``id, name_fr, cd_munty_refnis, population``).

    Returns
    -------
    ReadResult
        ``table``: GeoDataFrame EPSG:4326 with ``sector_id, name_fr, nis, population,
        geometry``; quarantined: malformed sector or NIS codes, a sector code that does not
        start with its NIS, bad population, bad geometry, duplicate sector codes.
    """
    try:
        raw = _read_features(path)
        frame = _apply_layout(raw, _SECTOR_LAYOUTS, path)
    except _Unreadable as err:
        return _file_problem(path, SOURCE_SECTORS, SECTOR_COLUMNS, err)
    sector = _codes(frame["sector_id"])
    nis = _codes(frame["nis"])
    population, pop_reason = _parse_population(frame["population"])
    geometry, geom_reason = _repair_geometry(raw.geometry)
    reason = _first_reason(
        [
            (sector.isna(), "missing sector_id"),
            (~sector.fillna("").str.fullmatch(_SECTOR_PATTERN), "malformed sector_id"),
            (nis.isna(), "missing NIS"),
            (~nis.fillna("").str.fullmatch(_NIS_PATTERN), "malformed NIS (expected 5 digits)"),
            (sector.fillna("").str[:5] != nis.fillna(""), "sector_id does not start with NIS"),
            (pop_reason.notna(), pop_reason),
            (geom_reason.notna(), geom_reason),
        ]
    )
    reason = _flag_duplicates(sector, reason, "duplicate sector_id")
    table = gpd.GeoDataFrame(
        {
            "sector_id": sector,
            "name_fr": _text(frame["name_fr"]),
            "nis": nis,
            "population": population,
        },
        geometry=geometry,
        crs=raw.crs,
    )
    return _finish(table, raw, reason, path, SOURCE_SECTORS, SECTOR_COLUMNS)


def is_walloon(nis: pd.Series) -> pd.Series:
    """True for NIS codes of Walloon communes (provinces 25, 5x, 6x, 8x, 9x)."""
    codes = nis.astype("string").fillna("")
    return codes.str.fullmatch(_NIS_PATTERN) & codes.str.startswith(_WALLOON_PREFIXES)


class _Unreadable(InputError):
    """The file exists but cannot be read as a whole: becomes a file-level quarantine row."""


def _file_problem(
    path: Path, source: str, columns: tuple[str, ...], err: InputError
) -> ReadResult:
    """An empty typed table and one file-level quarantine row with the reason."""
    text = {c: pd.Series(dtype="string") for c in columns if c != GEOMETRY_COLUMN}
    if "population" in text:
        text["population"] = pd.Series(dtype="Int64")
    table = gpd.GeoDataFrame(text, geometry=gpd.GeoSeries([], crs=CRS_WGS84), crs=CRS_WGS84)
    table = table.rename_geometry(GEOMETRY_COLUMN) if table.geometry.name != GEOMETRY_COLUMN else table
    return ReadResult(table[list(columns)], file_quarantine(source, str(path), err.detail), 1)


def _read_features(path: Path) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    try:
        with warnings.catch_warnings():  # mixed-type properties stay text; we parse them
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            frame = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        if path.suffix.lower() in (".geojson", ".json"):
            try:
                json.loads(path.read_bytes())
            except ValueError as bad:
                where = getattr(bad, "lineno", None)
                found = f"{type(bad).__name__} at line {where}" if where else str(bad)
                raise _Unreadable("GeoJSON file is not valid JSON", path=path, found=found) from exc
        found = str(exc).replace(str(path), "").strip(" :'").split(";")[0].strip(" '")
        raise _Unreadable("not a readable vector file", path=path, found=found) from exc
    if frame.crs is None:
        if len(frame) and not _looks_like_lonlat(frame):
            raise _Unreadable("no CRS and coordinates are not lon/lat", path=path)
        frame = frame.set_crs(CRS_WGS84)
    if frame.crs != CRS_WGS84:  # reproject first: validity is checked and repaired in WGS84
        frame = frame.to_crs(CRS_WGS84)
    return frame.reset_index(drop=True)


def _looks_like_lonlat(frame: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = frame.total_bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _apply_layout(
    raw: gpd.GeoDataFrame, layouts: tuple[dict[str, str], ...], path: Path
) -> pd.DataFrame:
    """Rename the source columns of the first matching layout to canonical names."""
    canonical = sorted({key for layout in layouts for key in layout})
    for layout in layouts:
        key_column = next(iter(layout.values()))
        if key_column not in raw.columns:
            continue
        missing = [col for col in layout.values() if col not in raw.columns]
        if missing:
            raise _Unreadable(
                f"missing column {missing[0]}",
                path=path,
                expected=", ".join(layout.values()),
                found=", ".join(map(str, raw.columns)),
            )
        return pd.DataFrame(
            {key: raw[layout[key]] if key in layout else pd.NA for key in canonical},
            index=raw.index,
        )
    keys = " or ".join(next(iter(layout.values())) for layout in layouts)
    raise _Unreadable(
        f"missing column {keys}",
        path=path,
        expected="one of the layouts in docs/data-contracts.md",
        found=", ".join(map(str, raw.columns)),
    )


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _codes(values: pd.Series) -> pd.Series:
    """Codes as stripped strings; integer columns read by OGR get their digits back."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        integral = values.where(values % 1 == 0)
        return integral.astype("Int64").astype("string").fillna(_text(values))
    return _text(values)


def _parse_population(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Population as Int64 plus a reason for bad values (missing values stay NA)."""
    text = _text(values)
    numeric = pd.to_numeric(text, errors="coerce").astype("float64")
    reason = pd.Series(pd.NA, index=values.index, dtype="string")
    reason = reason.mask(text.notna() & numeric.isna(), "non-numeric population")
    reason = reason.mask(reason.isna() & (numeric < 0), "negative population")
    reason = reason.mask(reason.isna() & (numeric % 1 > 0), "non-integer population")
    population = numeric.where(reason.isna()).round().astype("Int64")
    return population, reason


def _repair_geometry(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, pd.Series]:
    """Repair invalid (multi)polygons with ``make_valid``; keep the polygonal parts only."""
    values = geoms.to_numpy().copy()
    reason = pd.Series(pd.NA, index=geoms.index, dtype="string")
    empty = shapely.is_missing(values) | shapely.is_empty(values)
    polygonal = np.isin(shapely.get_type_id(values), _POLYGON_TYPE_IDS)
    valid = shapely.is_valid(values)
    reason[empty] = "empty geometry"
    for i in np.flatnonzero(~empty & ~(polygonal & valid)):
        geom = values[i]
        values[i] = _polygonal_part(geom if valid[i] else shapely.make_valid(geom))
        if values[i] is None:
            what = "not a polygon" if valid[i] else "invalid geometry make_valid cannot repair"
            reason.iloc[i] = f"{what} ({geom.geom_type})"
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs), reason


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _first_reason(checks: list[tuple[pd.Series, pd.Series | str]]) -> pd.Series:
    """The first failing check's reason per row (NA when every check passes)."""
    index = checks[0][0].index
    reason = pd.Series(pd.NA, index=index, dtype="string")
    for failed, why in checks:
        hit = reason.isna() & failed.fillna(True).astype(bool)
        reason = reason.mask(hit, why if isinstance(why, str) else why.astype("string"))
    return reason


def _flag_duplicates(key: pd.Series, reason: pd.Series, why: str) -> pd.Series:
    """Among rows still accepted, every repeat of a key after its first is quarantined."""
    dup = reason.isna() & key.where(reason.isna()).duplicated(keep="first") & key.notna()
    return reason.mask(dup, why)


def _finish(
    table: gpd.GeoDataFrame,
    raw: gpd.GeoDataFrame,
    reason: pd.Series,
    path: Path,
    source: str,
    columns: tuple[str, ...],
) -> ReadResult:
    bad = reason.notna()
    records = raw.drop(columns=raw.geometry.name)[bad].astype(str).to_dict(orient="records")
    for record, geom in zip(records, raw.geometry[bad], strict=True):
        record["geometry_type"] = None if geom is None else geom.geom_type
    quarantine = quarantine_rows(
        source, str(path), (raw.index[bad] + 1).tolist(), reason[bad].tolist(), records
    )
    accepted = table[~bad].reset_index(drop=True)
    return ReadResult(accepted[list(columns)], quarantine, rows_in=len(raw))
