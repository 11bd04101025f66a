"""KBO/BCE open data (Crossroads Bank for Enterprises) and the address points that locate it.

``read_kbo`` reads a full or update extract, ``read_address_points`` a BeST-like address
file, ``read_postcodes`` a postcode list (``zipcode-belgium.csv`` layout), and
``locate_establishments`` joins them into one located row per establishment: on an address
point when there is one (``geocode_precision='address'``), else on the centroid of its
postcode (``'postcode'``), else quarantined. ``commerce_category`` maps NACE-BEL codes to
the categories of ``geodata/nace_categories.csv``. Row numbers in quarantines are 1-based
data rows (header excluded); 0 for a problem of the whole file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.errors import InputError
from pipelines.quarantine import ReadResult, file_quarantine, quarantine_rows
from pipelines.sources._rowchecks import (
    finish_text,
    first_reason,
    flag_repeats,
    read_csv_text,
    read_text_table,
)

SOURCE = "kbo"
SOURCE_POINTS = "kbo_address_points"
SOURCE_POSTCODES = "kbo_postcodes"
POSTCODE_COLUMNS = ("postcode", "locality", "lon", "lat")
"""``zipcode-belgium.csv`` layout, no header: one row per (postcode, locality)."""
PRECISIONS = ("address", "postcode")
TABLES = ("enterprise", "establishment", "activity", "address", "denomination")
CATEGORIES_CSV = Path(__file__).resolve().parents[2] / "geodata" / "nace_categories.csv"
BELGIUM_BBOX = (2.5, 49.4, 6.5, 51.6)
"""lon_min, lat_min, lon_max, lat_max of acceptable Belgian coordinates."""
NACE_VERSIONS = ("2003", "2008", "2025")
LOCATED_COLUMNS = (
    "establishment_number", "enterprise_number", "name", "nace_code", "nace_version",
    "category", "zipcode", "street_fr", "house_number", "lon", "lat", "geocode_precision",
)  # fmt: skip
POINT_COLUMNS = (
    "postcode", "municipality_fr", "street_fr", "street_nl", "house_number", "lon", "lat",
)  # fmt: skip

_HEADERS = {
    "enterprise": "EnterpriseNumber Status JuridicalSituation TypeOfEnterprise JuridicalForm"
    " JuridicalFormCAC StartDate",
    "establishment": "EstablishmentNumber StartDate EnterpriseNumber",
    "activity": "EntityNumber ActivityGroup NaceVersion NaceCode Classification",
    "address": "EntityNumber TypeOfAddress CountryNL CountryFR Zipcode MunicipalityNL"
    " MunicipalityFR StreetNL StreetFR HouseNumber Box ExtraAddressInfo DateStrikingOff",
    "denomination": "EntityNumber Language TypeOfDenomination Denomination",
    "code": "Category Code Language Description",
}
_KEYS = {"enterprise": "enterprise_number", "establishment": "establishment_number"}
_DATE = pd.ArrowDtype(pa.date32())
_ENTERPRISE_RE = r"\d{4}\.\d{3}\.\d{3}"
_ESTABLISHMENT_RE = r"[2-8]\.\d{3}\.\d{3}\.\d{3}"
_ABBREVIATIONS = {r"\bav\b": "avenue", r"\bbd\b": "boulevard", r"\bpl\b": "place"}


def read_kbo(folder: Path) -> dict[str, ReadResult]:
    """Read the five KBO tables of a full (``<name>.csv``) or update (``<name>_insert.csv``) dump.

    Columns are snake_case (``EnterpriseNumber`` -> ``enterprise_number``); values stay
    strings (codes keep their leading zeros) except ``start_date`` and ``date_striking_off``,
    dates parsed from dd-mm-yyyy. Quarantined: missing keys, malformed entity numbers
    (format or mod-97 check digits), bad dates, NACE codes other than 5 digits (or the
    7-digit KBO sub-codes), unknown NACE versions or classifications, missing denominations,
    duplicate enterprise or establishment numbers. A table absent from the folder is an
    empty typed table with one file-level quarantine row (``missing KBO table <name>
    (expected <name>.csv or <name>_insert.csv)``); header-only tables are normal in update
    extracts and are not quarantined.

    Raises
    ------
    InputError
        If ``folder`` is not a folder (the caller decides whether KBO is delivered).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("KBO folder not found", path=folder)
    results = {}
    for name in TABLES:
        candidates = [folder / f"{name}.csv", folder / f"{name}_insert.csv"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            path = candidates[0]
            why = f"missing KBO table {name} (expected {name}.csv or {name}_insert.csv)"
            frame = _snake(pd.DataFrame(columns=_HEADERS[name].split(), dtype="string"))
            frame["_row"] = pd.Series(dtype="int64")
            quarantine, rows_in = file_quarantine(SOURCE, str(path), why), 1
        else:
            frame, quarantine, rows_in = _read_csv(path, _HEADERS[name].split(), SOURCE)
        reason = _table_reasons(name, frame)
        results[name] = _split(frame, reason, quarantine, rows_in, SOURCE, path)
        results[name].table.attrs["source_file"] = str(path)
    return results


def read_address_points(path: Path) -> ReadResult:
    """Read ``postcode,municipality_fr,street_fr,street_nl,house_number,lon,lat``.

    Quarantined: postcode not 4 digits, no street name in either language, no house number,
    non-numeric coordinates, lat/lon swapped, coordinates outside Belgium (``BELGIUM_BBOX``).
    """
    frame, quarantine, rows_in = _read_csv(Path(path), list(POINT_COLUMNS), SOURCE_POINTS)
    lon, lat, coords = _coordinates(frame)
    reason = first_reason([
        (~frame["postcode"].str.fullmatch(r"\d{4}"), "malformed postcode"),
        (frame["street_fr"].isna() & frame["street_nl"].isna(), "missing street"),
        (frame["house_number"].isna(), "missing house_number"),
        *coords,
    ])  # fmt: skip
    frame = frame.assign(lon=lon, lat=lat)
    return _split(frame, reason, quarantine, rows_in, SOURCE_POINTS, path)


def read_postcodes(path: Path) -> ReadResult:
    """Read a postcode list in the ``zipcode-belgium.csv`` layout (no header)::

        1000,Bruxelles,4.351697,50.8465573

    Returns
    -------
    ReadResult
        ``postcode, locality, lon, lat`` per row. Quarantined: postcode not 4 digits,
        non-numeric coordinates, lat/lon swapped, coordinates outside Belgium, a repeated
        (postcode, locality). :func:`postcode_centroids` averages them per postcode.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    data = path.read_bytes()
    header = ",".join(POSTCODE_COLUMNS).encode() + b"\n"
    text, quarantine, rows_in = read_text_table(
        lambda: io.BytesIO(header + data if data.strip() else b""),
        label=str(path),
        source=SOURCE_POSTCODES,
        required=POSTCODE_COLUMNS,
    )
    encoding = text.attrs.get("encoding", "utf-8")
    frame = text.astype("string").apply(lambda c: c.str.strip()).replace("", pd.NA)
    frame["_row"] = (text.index + 1).astype("int64")
    frame.attrs["encoding"] = encoding
    frame = frame.reset_index(drop=True)
    lon, lat, coords = _coordinates(frame)
    reason = first_reason([
        (~frame["postcode"].str.fullmatch(r"\d{4}"), "malformed postcode"),
        *coords,
    ])  # fmt: skip
    pair = frame["postcode"] + "|" + frame["locality"].fillna("").str.casefold()
    reason = flag_repeats(pair, reason, "duplicate postcode and locality")
    table = frame.assign(lon=lon, lat=lat)
    return finish_text(
        table, frame, reason, quarantine, rows_in,
        source=SOURCE_POSTCODES, path=path, columns=POSTCODE_COLUMNS,
    )  # fmt: skip


def postcode_centroids(postcodes: pd.DataFrame | ReadResult) -> pd.DataFrame:
    """One ``postcode, lon, lat`` per postcode: the mean of its localities' points."""
    table = postcodes.table if isinstance(postcodes, ReadResult) else postcodes
    if table.empty:
        return pd.DataFrame({"postcode": pd.Series(dtype="string"),
                             "lon": pd.Series(dtype="float64"), "lat": pd.Series(dtype="float64")})  # fmt: skip
    return table.groupby("postcode", as_index=False)[["lon", "lat"]].mean()


def _coordinates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, list]:
    """Float lon/lat and the (failed, reason) checks of coordinates."""
    lon, lat = (pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in ("lon", "lat"))
    x0, y0, x1, y1 = BELGIUM_BBOX
    checks = [
        (lon.isna() | lat.isna(), "non-numeric coordinates"),
        (lat.between(x0, x1) & lon.between(y0, y1), "lat/lon swapped"),
        (~(lon.between(x0, x1) & lat.between(y0, y1)), "coordinates outside Belgium"),
    ]
    return lon, lat, checks


def locate_establishments(
    kbo: Mapping[str, pd.DataFrame | ReadResult],
    points: pd.DataFrame | ReadResult | None = None,
    postcodes: pd.DataFrame | ReadResult | None = None,
) -> ReadResult:
    """One located row per establishment, or one quarantine row saying why it is not located.

    Parameters
    ----------
    kbo
        The tables of :func:`read_kbo`.
    points
        Address points (:func:`read_address_points`); ``None`` when the landing zone has
        none (real KBO extracts carry no coordinates).
    postcodes
        A postcode list (:func:`read_postcodes`): the fallback geocoder. ``None`` when absent.

    Returns
    -------
    ReadResult
        ``LOCATED_COLUMNS``. ``name``: the establishment's own (commercial) name, else the
        enterprise's legal name, French first. ``nace_code``: the 5-digit code of the MAIN
        activity of the establishment, else of its enterprise. The address (not struck off)
        joins a point on postcode + normalised street (FR or NL) + normalised house number
        (``geocode_precision='address'``); failing that, the centroid of its postcode
        (``'postcode'``). Reasons: ``no address``, ``no address point`` (no postcode list
        given), ``no address point and no postcode centroid``, ``no activity``;
        ``row_number`` is the establishment's 1-based data row in its file (``source_row``
        when the table has it).
    """
    tables = {k: (v.table if isinstance(v, ReadResult) else v) for k, v in kbo.items()}
    pts = points.table if isinstance(points, ReadResult) else points
    if pts is None:
        pts = pd.DataFrame({c: pd.Series(dtype="string") for c in POINT_COLUMNS})
    est = tables["establishment"].reset_index(drop=True)
    # the 1-based data row of the establishment file (kept by read_kbo as ``source_row``)
    rows = est["source_row"] if "source_row" in est.columns else est.index.to_series() + 1
    # ``_row`` is the join key (unique even when rows come from several files, as after
    # kbo_full applies an update extract); ``_src`` the row number reported in quarantines
    est = est[["establishment_number", "enterprise_number"]].assign(
        _row=range(len(est)), _src=rows.to_numpy()
    )
    addr = tables["address"]
    addr = addr[addr["date_striking_off"].isna()].drop_duplicates("entity_number")
    est = est.merge(addr, how="left", left_on="establishment_number", right_on="entity_number")
    est = est.merge(_point_lookup(est, pts), how="left", on="_row")
    est["geocode_precision"] = pd.Series("address", index=est.index, dtype="string").where(
        est["lon"].notna()
    )
    if postcodes is not None:
        centroids = postcode_centroids(postcodes).set_index("postcode")
        fallback = est["lon"].isna() & est["entity_number"].notna()
        zipcode = est["zipcode"].astype("string").str.strip()
        for axis in ("lon", "lat"):
            est.loc[fallback, axis] = zipcode[fallback].map(centroids[axis]).astype("float64")
        est.loc[fallback & est["lon"].notna(), "geocode_precision"] = "postcode"
    est = est.merge(_main_activity(tables["activity"], est), how="left", on="_row")
    est = est.merge(_best_name(tables["denomination"], est), how="left", on="_row")
    est["category"] = commerce_category(est["nace_code"])
    reason = first_reason([
        (est["entity_number"].isna(), "no address"),
        (est["lon"].isna(), "no address point" if postcodes is None
         else "no address point and no postcode centroid"),
        (est["nace_code"].isna(), "no activity"),
    ])  # fmt: skip
    raw = ["establishment_number", "enterprise_number", "zipcode", "street_fr", "street_nl",
           "house_number"]  # fmt: skip
    bad = reason.notna()
    records = est.loc[bad, raw].astype(str).to_dict(orient="records")
    source_file = tables["establishment"].attrs.get("source_file", "establishment")
    runs = tables["establishment"].attrs.get("source_file_runs")  # (file, rows) (kbo_full)
    if runs and sum(n for _, n in runs) == len(est):
        files = [f for f, n in runs for _ in range(n)]
        source_file = [files[i] for i in est.loc[bad, "_row"]]
    q = quarantine_rows(SOURCE, source_file, est.loc[bad, "_src"], reason[bad], records)
    located = est.loc[~bad, list(LOCATED_COLUMNS)].reset_index(drop=True)
    return ReadResult(located, q, rows_in=len(est))


def commerce_category(nace_codes: pd.Series) -> pd.Series:
    """Commerce category of NACE-BEL codes (``"47110"`` or ``"47.11"``); longest prefix wins.

    Codes that match no prefix of ``geodata/nace_categories.csv`` are ``other``; missing
    codes stay missing.
    """
    codes = nace_codes.astype("string").str.replace(".", "", regex=False).str.strip()
    result = pd.Series(pd.NA, index=nace_codes.index, dtype="string")
    for length, mapping in _category_maps():
        result = result.fillna(codes.str[:length].map(mapping).astype("string"))
    return result.mask(result.isna() & codes.notna(), "other")


def nace_labels(folder: Path) -> pd.DataFrame:
    """NACE labels of an extract's ``code.csv``: ``nace_version, nace_code, label_fr, label_nl``."""
    frame, _, _ = _read_csv(Path(folder) / "code.csv", _HEADERS["code"].split(), SOURCE)
    nace = frame[frame["category"].str.fullmatch(r"Nace\d{4}").fillna(False)]
    wide = nace.pivot_table(
        index=["category", "code"], columns="language", values="description", aggfunc="first"
    )
    wide = wide.reindex(columns=["FR", "NL"]).reset_index()
    wide.columns = ["nace_version", "nace_code", "label_fr", "label_nl"]
    wide["nace_version"] = wide["nace_version"].str[4:]
    return wide.astype("string")


def is_enterprise_number(values: pd.Series) -> pd.Series:
    """True for ``0201.310.929``-shaped numbers whose mod-97 check digits are right."""
    return _checked(values, _ENTERPRISE_RE)


def is_establishment_number(values: pd.Series) -> pd.Series:
    """True for ``2.123.456.789``-shaped numbers whose mod-97 check digits are right."""
    return _checked(values, _ESTABLISHMENT_RE)


def normalise_street(values: pd.Series) -> pd.Series:
    """Casefold, drop accents, KBO suffixes like ``(STE)`` and punctuation; expand av/bd/pl."""
    text = values.astype("string").str.normalize("NFKD")
    text = text.str.replace(r"[\u0300-\u036f]", "", regex=True).str.casefold()
    text = text.str.replace("œ", "oe").str.replace("æ", "ae")
    text = text.str.replace(r"\([^)]*\)", " ", regex=True)
    text = text.str.replace(r"[^0-9a-z]+", " ", regex=True)
    for pattern, word in _ABBREVIATIONS.items():
        text = text.str.replace(pattern, word, regex=True)
    return text.str.strip()


def normalise_house_number(values: pd.Series) -> pd.Series:
    """``"12 A"``, ``"12a"`` and ``"012-a"`` all become ``"12a"``."""
    text = values.astype("string").str.casefold().str.replace(r"[\s/\-.]+", "", regex=True)
    return text.str.replace(r"^0+(?=\d)", "", regex=True)


def _checked(values: pd.Series, pattern: str) -> pd.Series:
    text = values.astype("string").fillna("")
    ok = text.str.fullmatch(pattern)
    digits = pd.to_numeric(text.where(ok).str.replace(".", "", regex=False), errors="coerce")
    check = (97 - (digits // 100) % 97) == digits % 100
    return (ok & check.fillna(False)).astype(bool)


def _snake(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [re.sub(r"(?<=[a-z])(?=[A-Z])", "_", h).lower() for h in frame.columns]
    return frame


def _read_csv(
    path: Path, required: list[str], source: str
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Every field a string ('' -> NA), snake_case columns, a 1-based ``_row`` column, the
    quarantine of malformed lines (or of the whole file) and ``rows_in``.

    Header-only tables are accepted (update extracts often have no row in some tables).
    """
    if not path.exists():
        raise InputError("file not found", path=path)
    frame, quarantine, rows_in = read_csv_text(path, required, source, allow_header_only=True)
    encoding = frame.attrs.get("encoding", "utf-8")
    row = frame.pop("_row")
    frame = _snake(frame).assign(_row=row)
    frame.attrs["encoding"] = encoding
    return frame, quarantine, rows_in


def _table_reasons(name: str, frame: pd.DataFrame) -> pd.Series:
    """Row checks of one KBO table; parses its date columns in place."""
    key = _KEYS.get(name, "entity_number")
    if name == "enterprise":
        ok = is_enterprise_number(frame[key])
    elif name == "establishment":
        ok = is_establishment_number(frame[key])
    else:
        ok = is_enterprise_number(frame[key]) | is_establishment_number(frame[key])
    checks = [(frame[key].isna(), f"missing {key}"), (~ok, f"malformed {key}")]
    if name == "establishment":
        bad_ent = ~is_enterprise_number(frame["enterprise_number"])
        checks.append((bad_ent, "malformed enterprise_number"))
    for col in ("start_date", "date_striking_off"):
        if col in frame:
            parsed = pd.to_datetime(frame[col], format="%d-%m-%Y", errors="coerce")
            checks.append((frame[col].notna() & parsed.isna(), f"bad {col} (expected dd-mm-yyyy)"))
            frame[col] = parsed.astype(_DATE)
    if name == "activity":
        checks += [
            (~frame["nace_version"].isin(NACE_VERSIONS), "unknown nace_version"),
            (~frame["nace_code"].str.fullmatch(r"\d{5}|\d{7}"), "malformed nace_code"),
            (~frame["classification"].isin(["MAIN", "SECO", "ANCI"]), "unknown classification"),
        ]  # fmt: skip
    if name == "denomination":
        checks.append((frame["denomination"].isna(), "missing denomination"))
    reason = first_reason(checks)
    if name in _KEYS:
        reason = flag_repeats(frame[key], reason, f"duplicate {key}")
    return reason


def _split(
    frame: pd.DataFrame,
    reason: pd.Series,
    quarantine: pd.DataFrame,
    rows_in: int,
    source: str,
    path: Path,
) -> ReadResult:
    table = frame.rename(columns={"_row": "source_row"})
    return finish_text(table, frame, reason, quarantine, rows_in, source=source, path=path)


def _point_lookup(est: pd.DataFrame, pts: pd.DataFrame) -> pd.DataFrame:
    """lon/lat per establishment ``_row``: the FR street first, then the NL one."""
    keyed = [
        pd.DataFrame({"key": _address_key(pts["postcode"], pts[col], pts["house_number"]),
                      "lon": pts["lon"], "lat": pts["lat"]})
        for col in ("street_fr", "street_nl")
    ]  # fmt: skip
    lookup = pd.concat(keyed).dropna(subset=["key"]).drop_duplicates("key").set_index("key")
    found = pd.DataFrame({"_row": est["_row"]})
    for axis in ("lon", "lat"):
        fr, nl = (
            _address_key(est["zipcode"], est[col], est["house_number"]).map(lookup[axis])
            for col in ("street_fr", "street_nl")
        )
        found[axis] = pd.to_numeric(fr, errors="coerce").fillna(pd.to_numeric(nl, errors="coerce"))
        found[axis] = found[axis].astype("float64")
    return found


def _address_key(postcode: pd.Series, street: pd.Series, number: pd.Series) -> pd.Series:
    postcode = postcode.astype("string").str.strip()
    key = postcode + "|" + normalise_street(street) + "|" + normalise_house_number(number)
    return key.where(postcode.notna() & street.notna() & number.notna())


def _main_activity(activity: pd.DataFrame, est: pd.DataFrame) -> pd.DataFrame:
    """MAIN activity per ``_row``: NACE 2008 > 2025 > 2003, 5-digit codes, a commerce category
    before ``other``, then file order; the enterprise's when the establishment has none."""
    main = activity[activity["classification"] == "MAIN"].reset_index(drop=True)
    main = main.assign(
        _v=main["nace_version"].map({"2008": 0, "2025": 1, "2003": 2}),
        _len=main["nace_code"].str.len(),
        _other=commerce_category(main["nace_code"]) == "other",
        _pos=main.index,
    )
    main = main.sort_values(["_v", "_len", "_other", "_pos"]).drop_duplicates("entity_number")
    best = pd.concat([
        est[["_row", side]].merge(main, left_on=side, right_on="entity_number").assign(_p=p)
        for p, side in enumerate(["establishment_number", "enterprise_number"])
    ]).sort_values(["_row", "_p"]).drop_duplicates("_row")  # fmt: skip
    return best.assign(nace_code=best["nace_code"].str[:5])[["_row", "nace_code", "nace_version"]]


def _best_name(denomination: pd.DataFrame, est: pd.DataFrame) -> pd.DataFrame:
    """Establishment names (commercial 003, branch 004, 001, 002) before the enterprise's
    (legal 001, commercial 003, abbreviation 002); French, unknown, Dutch, German, English."""
    type_rank = [{"003": 0, "004": 1, "001": 2, "002": 3}, {"001": 10, "003": 11, "002": 12}]
    both = pd.concat([
        est[["_row", side]].merge(denomination, left_on=side, right_on="entity_number")
        .assign(_t=lambda d, r=rank: d["type_of_denomination"].map(r))
        for rank, side in zip(type_rank, ["establishment_number", "enterprise_number"], strict=True)
    ])  # fmt: skip
    both["_l"] = both["language"].map({"1": 0, "0": 1, "2": 2, "3": 3, "4": 4})
    both = both.sort_values(["_row", "_t", "_l"], na_position="last").drop_duplicates("_row")
    return both.rename(columns={"denomination": "name"})[["_row", "name"]]


@lru_cache(maxsize=1)
def _category_maps() -> tuple[tuple[int, dict[str, str]], ...]:
    """(prefix length, {prefix: category}) from the longest prefixes to the shortest."""
    table = pd.read_csv(CATEGORIES_CSV, dtype=str)
    lengths = sorted(table["nace_prefix"].str.len().unique(), reverse=True)
    by_length = (table[table["nace_prefix"].str.len() == n] for n in lengths)
    return tuple(
        (n, dict(zip(t["nace_prefix"], t["category"], strict=True)))
        for n, t in zip(lengths, by_length, strict=True)
    )
