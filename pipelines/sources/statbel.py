"""Statbel communes and statistical sectors (boundaries with population).

Both readers accept a few real layouts (see ``docs/data-contracts.md``), return a
GeoDataFrame in EPSG:4326 and quarantine features whose code, population or geometry is
unusable. ``row_number`` in the quarantine is the 1-based feature index.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pipelines.constants import CRS_WGS84, GEOMETRY_COLUMN
from pipelines.errors import InputError
from pipelines.quarantine import FILE_ROW, ReadResult, file_quarantine, quarantine_rows
from pipelines.sources._rowchecks import finish_text, read_text_table, require_file
from pipelines.sources.crosswalk import current_nis

SOURCE_COMMUNES = "statbel_communes"
SOURCE_SECTORS = "statbel_sectors"
SOURCE_POPULATION = "statbel_sector_population"

COMMUNE_COLUMNS = ("nis", "name_fr", "name_nl", "population", "repaired_area_change", GEOMETRY_COLUMN)
SECTOR_COLUMNS = ("sector_id", "name_fr", "nis", "population", "repaired_area_change", GEOMETRY_COLUMN)
POPULATION_COLUMNS = ("sector_id", "nis", "population")
# OPENDATA_SECTOREN_<year>.txt: CD_REFNIS|CD_SECTOR|TOTAL|DT_STRT_SECTOR|DT_STOP_SECTOR|...
_POPULATION_VALUE = ("TOTAL", "POPULATION", "MS_POPULATION")
_SEPARATORS = ("|", ";", "\t", ",")

# canonical column -> source column, per layout; the first entry identifies the layout.
# Column names are matched case-insensitively (Statbel publishes ``CD_SECTOR`` in its
# documentation and ``cd_sector`` in its GeoPackages since 2018). A source column in
# ``_OPTIONAL`` may be absent: the canonical column is then null.
_COMMUNE_LAYOUTS: tuple[dict[str, str], ...] = (
    {
        "nis": "CD_MUNTY_REFNIS",
        "name_fr": "TX_MUNTY_DESCR_FR",
        "name_nl": "TX_MUNTY_DESCR_NL",
        "population": "MS_POPULATION",
    },
    {"nis": "nis", "name_fr": "name_fr", "name_nl": "name_nl", "population": "population"},
    # the Statbel generalised shapefiles (CNIS5_<year>, T_MUN_NL/FR), no population
    {"nis": "CNIS5_*", "name_nl": "T_MUN_NL", "name_fr": "T_MUN_FR"},
)
_SECTOR_LAYOUTS: tuple[dict[str, str], ...] = (
    {
        "sector_id": "CD_SECTOR",
        "name_fr": "TX_SECTOR_DESCR_FR",
        "nis": "CD_MUNTY_REFNIS",
        "population": "MS_POPULATION",
    },
    {"sector_id": "id", "name_fr": "name_fr", "nis": "cd_munty_refnis", "population": "population"},
    # the Statbel shapefiles of 2011-2021 (CS01012021, T_SEC_FR, CNIS5_2021)
    {"sector_id": "CS0101*", "name_fr": "T_SEC_FR", "nis": "CNIS5_*"},
)
# Source columns that may be missing: Statbel's published boundaries (GeoPackage,
# shapefile) carry no population; it comes from the population-per-sector table.
_OPTIONAL = frozenset({"MS_POPULATION", "T_MUN_FR"})

_NIS_PATTERN = r"^\d{5}$"
_SECTOR_PATTERN = r"^\d{5}[A-Z0-9]{3}[A-Z0-9-]$"
_WALLOON_PREFIXES = ("25", "5", "6", "8", "9")
_POLYGON_TYPE_IDS = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def read_communes(path: Path, population: Path | ReadResult | None = None) -> ReadResult:
    """Read Statbel commune boundaries with population.

    Parameters
    ----------
    path : Path
        GeoJSON (Statbel or bmesuere layout) or any OGR-readable file such as the
        zipped Statbel 2019 shapefile (``CNIS5_2019``, ``T_MUN_NL``, EPSG:31370); the
        format follows the suffix (``.geojson``, ``.gpkg``, ``.shp.zip``, ``.shp``).
        Column names match in any case; ``MS_POPULATION`` may be absent (null).
    population : Path or ReadResult, optional
        Statbel's population per sector (:func:`read_sector_population`): each commune's
        population becomes the sum of its ``CD_REFNIS`` rows (null for a commune the
        table does not name). For a file older than the population table, dissolve it
        first (``crosswalk.current_communes``) and fill with :func:`commune_population`.

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
    if population is not None:
        pop = population if isinstance(population, ReadResult) else read_sector_population(population)
        frame["population"] = nis.map(commune_population(pop)).astype("Int64")
    population, pop_reason = _parse_population(frame["population"])
    geometry, geom_reason, area_change = _repair_geometry(raw.geometry)
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
            "repaired_area_change": area_change,
        },
        geometry=geometry,
        crs=raw.crs,
    )
    return _finish(table, raw, reason, path, SOURCE_COMMUNES, COMMUNE_COLUMNS)


def read_sectors(path: Path, population: Path | ReadResult | None = None) -> ReadResult:
    """Read Statbel statistical sectors, with population or joined to it.

    Parameters
    ----------
    path : Path
        Sectors as Statbel publishes them: GeoPackage, zipped shapefile (``.shp.zip``),
        shapefile or GeoJSON, any CRS (Lambert 72 EPSG:31370 or Lambert 2008 EPSG:3812
        as published), columns ``CD_SECTOR, TX_SECTOR_DESCR_FR, CD_MUNTY_REFNIS`` (any
        case; ``MS_POPULATION`` optional); or the Brussels 2024 layout (``id, name_fr,
        cd_munty_refnis, population``); or the older shapefile layout (``CS0101<year>,
        T_SEC_FR, CNIS5_<year>``).
    population : Path or ReadResult, optional
        Statbel's population per sector (``OPENDATA_SECTOREN_<year>.txt``/``.csv``/``.zip``,
        read by :func:`read_sector_population`), joined on ``CD_SECTOR``; it replaces any
        population column of the boundary file.

    Returns
    -------
    ReadResult
        ``table``: GeoDataFrame EPSG:4326 with ``sector_id, name_fr, nis, population,
        geometry``; quarantined: malformed sector or NIS codes, a sector code whose NIS
        prefix is neither its commune nor a commune merged into it (sector codes survive
        the 2019 and 2025 mergers), bad population, bad geometry, duplicate sector codes;
        with ``population``: ``no population row for sector (not in <file>)``, the
        population file's own quarantine and its rows without a sector (``population row
        without a sector (not in <file>)``). A population row joined to a sector counts
        within that sector's row, so ``rows_in`` = sector features + population rows not
        joined.
    """
    try:
        raw = _read_features(path)
        frame = _apply_layout(raw, _SECTOR_LAYOUTS, path)
    except _Unreadable as err:
        result = _file_problem(path, SOURCE_SECTORS, SECTOR_COLUMNS, err)
        if population is not None:
            pop = population if isinstance(population, ReadResult) else read_sector_population(population)
            return _join_population(result, None, pop, Path(path))
        return result
    sector = _codes(frame["sector_id"])
    nis = _codes(frame["nis"])
    pop = None
    if population is not None:
        pop = population if isinstance(population, ReadResult) else read_sector_population(population)
        values = sector.map(pop.table.drop_duplicates("sector_id").set_index("sector_id")["population"])
        frame["population"] = values.astype("Int64")
    population_values, pop_reason = _parse_population(frame["population"])
    geometry, geom_reason, area_change = _repair_geometry(raw.geometry)
    reason = _first_reason(
        [
            (sector.isna(), "missing sector_id"),
            (~sector.fillna("").str.fullmatch(_SECTOR_PATTERN), "malformed sector_id"),
            (nis.isna(), "missing NIS"),
            (~nis.fillna("").str.fullmatch(_NIS_PATTERN), "malformed NIS (expected 5 digits)"),
            (~_prefix_matches(sector, nis), "sector_id does not start with NIS"),
            (pop_reason.notna(), pop_reason),
            (geom_reason.notna(), geom_reason),
        ]
    )
    reason = _flag_duplicates(sector, reason, "duplicate sector_id")
    if pop is not None:
        unmatched = reason.isna() & ~sector.isin(pop.table["sector_id"]).fillna(False)
        where = population if isinstance(population, Path | str) else "the population table"
        name = Path(where).name if isinstance(where, Path | str) else where
        reason = reason.mask(unmatched, f"no population row for sector (not in {name})")
    table = gpd.GeoDataFrame(
        {
            "sector_id": sector,
            "name_fr": _text(frame["name_fr"]),
            "nis": nis,
            "population": population_values,
            "repaired_area_change": area_change,
        },
        geometry=geometry,
        crs=raw.crs,
    )
    result = _finish(table, raw, reason, path, SOURCE_SECTORS, SECTOR_COLUMNS)
    if pop is None:
        return result
    return _join_population(result, sector, pop, Path(path))


def read_sector_population(path: Path) -> ReadResult:
    """Read Statbel's population per statistical sector (``OPENDATA_SECTOREN_<year>``).

    Parameters
    ----------
    path : Path
        The ``.txt`` or ``.csv`` as published (``|``-separated with a UTF-8 BOM in
        2020-2025; ``;``, tab and ``,`` are recognised from the header), or the ``.zip``
        holding it. Columns (any case): ``CD_SECTOR``, the population ``TOTAL`` (older
        and current files) or ``POPULATION``/``MS_POPULATION``, and ``CD_REFNIS`` (the
        commune, optional); the others (``DT_STRT_SECTOR``, ``TX_DESCR_SECTOR_FR``...)
        are ignored.

    Returns
    -------
    ReadResult
        ``sector_id, nis, population`` (``nis`` null without ``CD_REFNIS``). Quarantined:
        ``missing sector_id``, ``malformed sector_id``, ``malformed NIS (expected 5
        digits)``, ``non-numeric population``, ``negative population``, ``non-integer
        population``, ``duplicate sector_id``; a file without ``CD_SECTOR`` or a
        population column is one file-level row.
    """
    path = Path(path)
    require_file(path)
    data = _population_bytes(path)
    if data is None:
        return _population_problem(path, "not a zip archive holding one population table")
    head = data[:4096].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    sep = max(_SEPARATORS, key=head.count)
    frame, quarantine, rows_in = read_text_table(
        lambda: io.BytesIO(data), label=str(path), source=SOURCE_POPULATION, sep=sep
    )
    if len(quarantine) and (quarantine["row_number"] == FILE_ROW).any():
        return ReadResult(_population_empty(), quarantine, rows_in)
    upper = {str(c).strip().upper(): c for c in frame.columns}
    value = next((upper[c] for c in _POPULATION_VALUE if c in upper), None)
    if "CD_SECTOR" not in upper or value is None:
        what = "CD_SECTOR" if "CD_SECTOR" not in upper else "TOTAL (or POPULATION)"
        found = ", ".join(map(str, frame.columns))
        return _population_problem(
            path, f"missing column {what}; expected CD_SECTOR, TOTAL; found {found}"
        )
    text = frame.astype("string").apply(lambda c: c.str.strip()).replace("", pd.NA)
    text["_row"] = (frame.index + 1).astype("int64")
    text = text.reset_index(drop=True)
    sector = text[upper["CD_SECTOR"]]
    nis = text[upper["CD_REFNIS"]] if "CD_REFNIS" in upper else pd.Series(pd.NA, index=text.index, dtype="string")
    population, pop_reason = _parse_population(text[value])
    reason = _first_reason([
        (sector.isna(), "missing sector_id"),
        (~sector.fillna("").str.fullmatch(_SECTOR_PATTERN), "malformed sector_id"),
        (nis.notna() & ~nis.fillna("").str.fullmatch(_NIS_PATTERN), "malformed NIS (expected 5 digits)"),
        (pop_reason.notna(), pop_reason),
    ])  # fmt: skip
    reason = _flag_duplicates(sector, reason, "duplicate sector_id")
    table = pd.DataFrame({"sector_id": sector, "nis": nis, "population": population,
                          "source_row": text["_row"]})  # fmt: skip
    result = finish_text(
        table, text, reason, quarantine, rows_in,
        source=SOURCE_POPULATION, path=path, columns=(*POPULATION_COLUMNS, "source_row"),
    )  # fmt: skip
    result.table.attrs["source_file"] = str(path)
    return result


def _population_bytes(path: Path) -> bytes | None:
    if path.suffix.lower() != ".zip":
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith((".txt", ".csv"))]
            return archive.read(names[0]) if len(names) == 1 else None
    except zipfile.BadZipFile:
        return None


def _population_empty() -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in POPULATION_COLUMNS})
    return empty.assign(population=empty["population"].astype("Int64"),
                        source_row=pd.Series(dtype="int64"))  # fmt: skip


def _population_problem(path: Path, reason: str) -> ReadResult:
    return ReadResult(_population_empty(), file_quarantine(SOURCE_POPULATION, str(path), reason), 1)


def _join_population(
    sectors: ReadResult, codes: pd.Series | None, pop: ReadResult, path: Path
) -> ReadResult:
    """Add the population file's quarantine and its rows that found no sector."""
    known = set(codes.dropna()) if codes is not None else set()
    table = pop.table
    orphan = ~table["sector_id"].isin(known)
    source_file = table.attrs.get("source_file", "population")
    numbers = table.loc[orphan, "source_row"] if "source_row" in table else table.index[orphan] + 1
    q = quarantine_rows(
        SOURCE_POPULATION,
        source_file,
        [int(n) for n in numbers],
        [f"population row without a sector (not in {path.name})"] * int(orphan.sum()),
        table[orphan].astype(str).to_dict(orient="records"),
    )
    quarantine = pd.concat([sectors.quarantine, pop.quarantine, q], ignore_index=True)
    rows_in = (sectors.rows_in or 0) + len(pop.quarantine) + len(q)
    return ReadResult(sectors.table, quarantine, rows_in, {**sectors.encodings, **pop.encodings})


def _prefix_matches(sector: pd.Series, nis: pd.Series) -> pd.Series:
    """The sector's first five digits are its commune's NIS, or a code merged into it."""
    prefix = sector.fillna("").str[:5]
    same = prefix == nis.fillna("")
    return same | (current_nis(prefix) == current_nis(nis.fillna(""))).fillna(False)


def commune_population(population: ReadResult | pd.DataFrame) -> pd.Series:
    """Population per commune NIS (Int64) from the sector population table.

    The commune is ``CD_REFNIS`` where the table has it, else the sector code's prefix
    mapped to the current commune (sector codes survive mergers).
    """
    table = population.table if isinstance(population, ReadResult) else population
    nis = table["nis"].astype("string").fillna(current_nis(table["sector_id"].str[:5]))
    return table["population"].groupby(nis).sum().astype("Int64")


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
    if "repaired_area_change" in text:
        text["repaired_area_change"] = pd.Series(dtype="float64")
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
    check_belgian_extent(frame, path)
    if frame.crs != CRS_WGS84:  # reproject first: validity is checked and repaired in WGS84
        frame = frame.to_crs(CRS_WGS84)
    return frame.reset_index(drop=True)


BELGIUM_LONLAT = (2.3, 49.4, 6.5, 51.6)
"""Belgium in EPSG:4326 (min lon, min lat, max lon, max lat), generous by about 10 km."""
LIKELY_CRS = {
    "EPSG:4326": "WGS 84 lon/lat",
    "EPSG:31370": "Belgian Lambert 72",
    "EPSG:3812": "Belgian Lambert 2008",
    "EPSG:3035": "ETRS89 / LAEA Europe",
    "EPSG:3857": "Web Mercator",
    "EPSG:25831": "ETRS89 / UTM 31N",
}
"""The CRSs Belgian boundary files come in: the candidates named when the declared one does
not fit the coordinates."""


class CRSMismatchError(InputError):
    """Coordinates outside Belgium for the file's declared CRS (a mislabelled CRS)."""


def belgium_extent(crs: object) -> tuple[float, float, float, float]:
    """Belgium's bounding box (:data:`BELGIUM_LONLAT`) expressed in ``crs``."""
    box = gpd.GeoSeries([shapely.box(*BELGIUM_LONLAT)], crs=CRS_WGS84).to_crs(crs)
    minx, miny, maxx, maxy = box.total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _inside(bounds: np.ndarray, extent: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    x0, y0, x1, y1 = extent
    return bool(x0 <= minx <= maxx <= x1 and y0 <= miny <= maxy <= y1)


def check_belgian_extent(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Raise :class:`CRSMismatchError` when the features are not in Belgium for the
    declared CRS; the one-line message names the file, the declared CRS and the likely one.

    A GeoJSON file says nothing of its CRS but is WGS 84 by definition (RFC 7946): Lambert
    72 metres written into one (``x=155000, y=122000``) land far outside Belgium's lon/lat
    and would otherwise fail much later with NaN coordinates.
    """
    if not len(frame) or frame.geometry.isna().all():
        return
    bounds = frame.total_bounds
    if not np.isfinite(bounds).all():
        return
    declared = frame.crs.to_string()
    if _inside(bounds, belgium_extent(frame.crs)):
        return
    likely = [code for code in LIKELY_CRS if _inside(bounds, belgium_extent(code))]
    minx, miny, maxx, maxy = bounds
    if not likely and _inside(np.array([miny, minx, maxy, maxx]), BELGIUM_LONLAT):
        guess = "lat/lon written as lon/lat (swap the axes)"
    elif likely:
        guess = " or ".join(f"{code} ({LIKELY_CRS[code]})" for code in likely)
    else:
        guess = "none of " + ", ".join(LIKELY_CRS)
    raise CRSMismatchError(
        f"coordinates are not in Belgium for the declared CRS {declared}; likely CRS: {guess}",
        path=path,
        found=f"bounds {minx:.6g}, {miny:.6g}, {maxx:.6g}, {maxy:.6g}",
    )


def _looks_like_lonlat(frame: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = frame.total_bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _apply_layout(
    raw: gpd.GeoDataFrame, layouts: tuple[dict[str, str], ...], path: Path
) -> pd.DataFrame:
    """Rename the source columns of the first matching layout to canonical names.

    Names match case-insensitively; a trailing ``*`` matches any suffix (``CNIS5_*``
    finds ``CNIS5_2019``); columns in ``_OPTIONAL`` may be absent (null)."""
    canonical = sorted({key for layout in layouts for key in layout})
    found = {str(c).upper(): c for c in raw.columns if c != raw.geometry.name}

    def lookup(name: str) -> str | None:
        want = name.upper()
        if want.endswith("*"):
            return next((c for u, c in found.items() if u.startswith(want[:-1])), None)
        return found.get(want)

    for layout in layouts:
        if lookup(next(iter(layout.values()))) is None:
            continue
        missing = [c for c in layout.values() if lookup(c) is None and c.upper() not in _OPTIONAL]
        if missing:
            raise _Unreadable(
                f"missing column {missing[0]}",
                path=path,
                expected=", ".join(layout.values()),
                found=", ".join(map(str, raw.columns)),
            )
        columns = {key: lookup(layout[key]) if key in layout else None for key in canonical}
        return pd.DataFrame(
            {key: raw[col] if col is not None else pd.NA for key, col in columns.items()},
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


def _repair_geometry(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, pd.Series, pd.Series]:
    """Repair invalid (multi)polygons with ``make_valid``; keep the polygonal parts only.

    Returns ``(geometry, reason, area_change)``: ``reason`` for the features that cannot be
    used (empty, not polygonal, nothing polygonal left after ``make_valid``) and
    ``area_change``, the relative change of area of a repaired feature, ``(repaired -
    original) / original`` with the original's area as shapely computes it for the invalid
    ring (the shoelace formula: a figure-eight's lobes partly cancel), NaN where nothing was
    repaired (and ``inf`` when the invalid original had zero area).
    """
    values = geoms.to_numpy().copy()
    reason = pd.Series(pd.NA, index=geoms.index, dtype="string")
    change = np.full(len(values), np.nan)
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
        elif not valid[i]:
            before = abs(shapely.area(geom))
            change[i] = (shapely.area(values[i]) - before) / before if before > 0 else np.inf
    return (
        gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs),
        reason,
        pd.Series(change, index=geoms.index, dtype="float64"),
    )


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
