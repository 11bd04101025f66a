"""BeST Address (BOSA) as published: the CSV conversion and NGI's GeoPackage.

BOSA publishes every Belgian address (about 6.8 M, 1.8 M in Wallonia) as XML and, through
its converter (github.com/Fedict/best-tools), as one CSV per region:
``openaddress-bewal.csv``, ``openaddress-bevlg.csv``, ``openaddress-bebru.csv`` (zipped as
``openaddress-be<region>.zip``), comma-separated, UTF-8, with the header::

    EPSG:31370_x,EPSG:31370_y,EPSG:4326_lat,EPSG:4326_lon,address_id,box_number,
    house_number,municipality_id,municipality_name_de,municipality_name_fr,
    municipality_name_nl,postcode,postname_fr,postname_nl,street_id,streetname_de,
    streetname_fr,streetname_nl,region_code,status

(newer files carry ``EPSG:3812_x/_y``, Lambert 2008, instead of Lambert 72). NGI
republishes it as a GeoPackage in Lambert 2008 (EPSG:3812) with point geometries and the
same attribute names. :func:`read_best_addresses` reads either, DuckDB streaming the CSV
and cutting it to the territory's postcodes, and returns the ``address_points`` contract
of :mod:`pipelines.sources.kbo` (``kbo.POINT_COLUMNS``) in EPSG:4326, ready for
``kbo.locate_establishments(..., points=...)``.
"""

from __future__ import annotations

import csv
import gzip
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import Transformer

from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows
from pipelines.sources._rowchecks import first_reason, require_file
from pipelines.sources.kbo import BELGIUM_BBOX, POINT_COLUMNS

SOURCE = "best_addresses"
STATUSES = ("current", "proposed", "reserved", "retired")
"""Statuses kept: a retired address still places an establishment registered there;
``rejected`` (and any other) is quarantined."""
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
_ATTRIBUTES = (
    "address_id", "box_number", "house_number", "municipality_name_fr", "municipality_name_nl",
    "postcode", "streetname_fr", "streetname_nl", "streetname_de", "status",
)  # fmt: skip
_COORDINATES = (
    ("EPSG:4326_lon", "EPSG:4326_lat", None),
    ("EPSG:31370_x", "EPSG:31370_y", 31370),
    ("EPSG:3812_x", "EPSG:3812_y", 3812),
)


def read_best_addresses(path: Path, *, postcodes: Iterable[str] | None = None) -> ReadResult:
    """Read BeST addresses (CSV conversion, its zip, or NGI's GeoPackage) as address points.

    Parameters
    ----------
    path
        ``openaddress-be<region>.csv`` (or ``.zip`` holding it, or ``.csv.gz``) or a
        GeoPackage / any OGR point layer with the BeST attribute names.
    postcodes
        The territory's postcodes: other addresses are not read (not counted). ``None``
        reads every address (6.8 M rows for Belgium).

    Returns
    -------
    ReadResult
        ``kbo.POINT_COLUMNS`` (``postcode, municipality_fr, street_fr, street_nl,
        house_number, lon, lat``) in EPSG:4326, one row per address (several boxes of one
        house number give one point each; the join keeps the first, current before
        proposed before retired). ``street_nl`` falls back to the German name in the German-
        speaking communes. Coordinates: the WGS84 columns when present and non-zero, else
        the Lambert 72 / Lambert 2008 pair reprojected. Quarantined: ``status <s> (kept:
        current, proposed, reserved, retired)``, ``malformed postcode``, ``missing street``,
        ``missing house_number``, ``no coordinates`` (empty or the converter's
        ``0.00000``), ``lat/lon swapped``, ``coordinates outside Belgium``; lines the CSV
        parser rejects (``expected 20 fields, found N``). A file without a postcode,
        street, house number or coordinate column is one file-level row.
    """
    path = Path(path)
    require_file(path)
    territory = sorted({str(p).strip() for p in postcodes}) if postcodes is not None else None
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".zip")):
        if name.endswith(".zip"):
            with tempfile.TemporaryDirectory() as tmp:
                inner = _unzip_csv(path, Path(tmp))
                if inner is None:
                    return _problem(path, "not a zip archive holding one BeST CSV")
                return _read_csv(inner, territory, label=path)
        return _read_csv(path, territory, label=path)
    return _read_vector(path, territory)


def _unzip_csv(path: Path, folder: Path) -> Path | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                return None
            target = folder / Path(names[0]).name
            with archive.open(names[0]) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            return target
    except zipfile.BadZipFile:
        return None


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in POINT_COLUMNS})
    return frame.astype({"lon": "float64", "lat": "float64"})


def _problem(path: Path, reason: str) -> ReadResult:
    return ReadResult(_empty(), file_quarantine(SOURCE, str(path), reason), 1)


def _read_csv(path: Path, territory: list[str] | None, *, label: Path) -> ReadResult:
    gz = path.name.lower().endswith(".gz")
    with (gzip.open(path, "rt", encoding="utf-8-sig", newline="") if gz
          else path.open(encoding="utf-8-sig", newline="")) as handle:  # fmt: skip
        header = next(csv.reader(handle), [])
    if not header:
        return _problem(label, "empty file")
    missing = _missing(header)
    if missing:
        return _problem(label, missing)
    # the file's header names never enter the SQL: columns are positional (c0, c1, ...)
    pos = {c: f"c{header.index(c)}" for c in header if c in _ATTRIBUTES or any(c in t for t in _COORDINATES)}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    wanted = [c for c in (*_ATTRIBUTES, *(x for t in _COORDINATES for x in t[:2])) if c in pos]
    select = ", ".join(f"nullif(trim({pos[c]}), '') AS \"{c}\"" for c in wanted)
    con = duckdb.connect(config={"preserve_insertion_order": True, "memory_limit": "1GB"})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TEMP TABLE terr AS SELECT unnest($p::VARCHAR[]) AS pc", {"p": territory or []})
        scan = (
            "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', columns = {columns}, store_rejects = true)"
        )
        cut = "" if territory is None else f" SEMI JOIN terr ON s.{pos['postcode']} = terr.pc"
        frame = con.execute(
            f"SELECT {select}, _ord AS _row FROM (SELECT *, row_number() OVER () AS _ord "  # noqa: S608
            f"FROM {scan}) AS s{cut}",
            {"path": str(path)},
        ).df()
        rej = con.execute("SELECT line, error_type, error_message, csv_line FROM reject_errors ORDER BY line, column_idx").df()
        # one line missing k columns gives k rejects: keep the first
        rej = rej.drop_duplicates("line").reset_index(drop=True)
    finally:
        con.close()
    if len(rej):  # ordinals skip rejected lines: shift them back to data rows
        shift = (rej["line"].to_numpy(dtype="int64") - 1) - np.arange(len(rej))
        frame["_row"] = frame["_row"] + np.searchsorted(shift, frame["_row"].to_numpy(), side="right")
    reasons = [f"expected {len(header)} fields, found {m.rsplit('Found:', 1)[-1].strip()}"
               if "Found:" in m else f"unparseable line ({t.lower()})"
               for t, m in zip(rej["error_type"], rej["error_message"], strict=True)]  # fmt: skip
    lines = rej["csv_line"].astype(str).tolist()
    malformed = quarantine_rows(SOURCE, str(label), (rej["line"] - 1).tolist(), reasons, lines)
    return _finish(frame.astype({c: "string" for c in wanted}), malformed, label)


def _missing(columns: Iterable[str]) -> str | None:
    columns = list(columns)
    for need in ("postcode", "house_number"):
        if need not in columns:
            return f"missing column {need}; expected the BeST CSV header; found {', '.join(columns)}"
    if not {"streetname_fr", "streetname_nl", "streetname_de"} & set(columns):
        return f"missing column streetname_fr; expected the BeST CSV header; found {', '.join(columns)}"
    return None


def _read_vector(path: Path, territory: list[str] | None) -> ReadResult:
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        return _problem(path, f"not a readable vector file; found {str(exc).split(';')[0]}")
    lower = {str(c).lower(): c for c in frame.columns}
    frame = frame.rename(columns={v: k for k, v in lower.items() if k in _ATTRIBUTES})
    missing = _missing(frame.columns)
    if missing:
        return _problem(path, missing)
    if frame.crs is None:
        return _problem(path, "no CRS (expected EPSG:3812 or EPSG:4326)")
    points = frame.geometry.to_crs(4326)
    out = pd.DataFrame({c: frame[c].astype("string") if c in frame else pd.NA for c in _ATTRIBUTES})
    out["EPSG:4326_lon"] = points.x.astype("string")
    out["EPSG:4326_lat"] = points.y.astype("string")
    out["_row"] = np.arange(1, len(out) + 1)
    if territory is not None:
        out = out[out["postcode"].str.strip().isin(territory)]
    return _finish(out.reset_index(drop=True), quarantine_rows(SOURCE, str(path), [], [], []), path)


def _finish(frame: pd.DataFrame, malformed: pd.DataFrame, path: Path) -> ReadResult:
    """Coordinates to EPSG:4326, row checks, the ``POINT_COLUMNS`` table."""
    for column in (*_ATTRIBUTES, *(x for t in _COORDINATES for x in t[:2])):
        if column not in frame:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame[column] = frame[column].astype("string").str.strip().replace("", pd.NA)
    lon = pd.Series(np.nan, index=frame.index)
    lat = pd.Series(np.nan, index=frame.index)
    for x_col, y_col, epsg in _COORDINATES:
        x = pd.to_numeric(frame[x_col], errors="coerce")
        y = pd.to_numeric(frame[y_col], errors="coerce")
        usable = x.notna() & y.notna() & (x != 0) & (y != 0) & lon.isna()
        if not usable.any():
            continue
        if epsg is None:
            lon[usable], lat[usable] = x[usable], y[usable]
        else:
            tx, ty = Transformer.from_crs(epsg, 4326, always_xy=True).transform(
                x[usable].to_numpy(), y[usable].to_numpy()
            )
            lon[usable], lat[usable] = tx, ty
    status = frame["status"].str.lower()
    x0, y0, x1, y1 = BELGIUM_BBOX
    street_nl = frame["streetname_nl"].fillna(frame["streetname_de"])
    reason = first_reason([
        (status.notna() & ~status.isin(STATUSES),
         "status " + status.fillna("") + " (kept: " + ", ".join(STATUSES) + ")"),
        (~frame["postcode"].str.fullmatch(r"\d{4}").fillna(False), "malformed postcode"),
        (frame["streetname_fr"].isna() & street_nl.isna(), "missing street"),
        (frame["house_number"].isna(), "missing house_number"),
        (lon.isna() | lat.isna(), "no coordinates"),
        (lat.between(x0, x1) & lon.between(y0, y1), "lat/lon swapped"),
        (~(lon.between(x0, x1) & lat.between(y0, y1)), "coordinates outside Belgium"),
    ])  # fmt: skip
    bad = reason.notna()
    raws = frame.loc[bad].drop(columns="_row").astype(str).to_dict(orient="records")
    q = quarantine_rows(SOURCE, str(path), frame.loc[bad, "_row"].tolist(), reason[bad].tolist(), raws)
    table = pd.DataFrame({
        "postcode": frame["postcode"], "municipality_fr": frame["municipality_name_fr"],
        "street_fr": frame["streetname_fr"], "street_nl": street_nl,
        "house_number": frame["house_number"], "lon": lon.astype("float64"),
        "lat": lat.astype("float64"), "_rank": status.map(_STATUS_RANK),
    })[~bad]  # fmt: skip
    table = table.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)
    quarantine = pd.concat([malformed, q], ignore_index=True).sort_values("row_number", kind="stable")
    return ReadResult(table[list(POINT_COLUMNS)], quarantine.reset_index(drop=True))

