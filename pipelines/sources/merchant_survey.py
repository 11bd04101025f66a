"""The merchant survey: what each shop does online, as a local development agency or a
consultant records it (one CSV per commune, e.g. exported from a form tool).

Format: ``docs/data-contracts/merchant-survey.md``. Two steps:

* :func:`read_merchant_survey` reads one file and quarantines malformed rows (bad NIS, a
  reference that is neither a KBO establishment number nor an OSM id, a yes/no field that is
  neither, a negative review count, a rating outside 0-5, a date that is not a past ISO date, a
  shop surveyed twice);
* :func:`match_shops` joins the rows to the commune's shops (``silver.shops``: KBO
  establishment number or OSM id) and quarantines the shops it does not know.

Not wired yet: the source family, its bronze asset and the Canvas indicators that use it
(``pipelines/availability.py``, ``assets/bronze.py``, ``geodata/canvas/``) are the next step.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipelines.quarantine import ReadResult, quarantine_rows
from pipelines.sources._rowchecks import finish_text, first_reason, flag_repeats, read_csv_text

SOURCE = "merchant_survey"
REQUIRED = ("nis", "shop_ref", "webshop", "click_collect", "delivery", "marketplace", "vouchers", "loyalty",
            "reviews_count", "reviews_rating", "social_media", "surveyed_on")
OPTIONAL = ("shop_name", "comment")
YES_NO = ("webshop", "click_collect", "delivery", "social_media")
YES = {"oui", "yes", "1", "true", "vrai", "o", "y", "ja"}
NO = {"non", "no", "0", "false", "faux", "n", "nee"}
KBO_ESTABLISHMENT = r"2\.\d{3}\.\d{3}\.\d{3}"
"""A KBO/BCE establishment unit number: 10 digits starting with 2, written 2.xxx.xxx.xxx."""
OSM_ID = r"(?:node|way|relation)/\d+"
NONE_WORDS = {"non", "no", "aucun", "aucune", "none", "-"}


def _sep(path: Path) -> str:
    """``;`` when the header has semicolons and no comma (a spreadsheet export in a Belgian
    locale), else ``,``."""
    with open(path, "rb") as fh:
        head = fh.readline().decode("utf-8", errors="replace")
    return ";" if ";" in head and "," not in head else ","


def _yes_no(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(boolean with NA for unknown, bad mask) of a yes/no column."""
    low = text.str.lower()
    value = pd.Series(pd.NA, index=text.index, dtype="boolean")
    value = value.mask(low.isin(YES), True).mask(low.isin(NO), False)
    bad = text.notna() & ~low.isin(YES | NO)
    return value, bad.fillna(False)


def _schemes(text: pd.Series) -> pd.Series:
    """Scheme names separated by ``|`` (``Cirklo|Ecocheque``); "non"/"aucun" or empty -> ''."""
    def clean(v: object) -> str:
        if v is None or v is pd.NA or str(v).strip().lower() in NONE_WORDS:
            return ""
        return "|".join(sorted({p.strip() for p in str(v).split("|") if p.strip()}))
    return text.map(clean).astype("string")


def read_merchant_survey(path: Path, *, nis: str | None = None, today: dt.date | None = None) -> ReadResult:
    """Read one commune's survey file.

    Parameters
    ----------
    path
        The CSV (``,`` or ``;``; UTF-8, a cp1252 file is recognised).
    nis
        The commune the file belongs to (from its name, ``<nis>.csv``); rows of another
        commune are quarantined. Default: the file's stem when it is 5 digits.
    today
        Dates after this day are quarantined (default: today).

    Returns
    -------
    ReadResult
        ``table`` with ``nis``, ``shop_ref``, the four yes/no fields as nullable booleans
        (empty = not asked), ``marketplace``, ``vouchers`` and ``loyalty`` as text ('' = none),
        ``reviews_count`` (Int64), ``reviews_rating`` (Float64), ``surveyed_on`` (date),
        ``shop_name`` and ``comment`` when given, and ``source_row`` (the 1-based data row of the
        file, for the quarantine of :func:`match_shops`).
    """
    path = Path(path)
    nis = nis if nis is not None else (path.stem if path.stem.isdigit() and len(path.stem) == 5 else None)
    today = today or dt.date.today()
    frame, quarantine, rows_in = read_csv_text(path, REQUIRED, SOURCE, sep=_sep(path))
    code, ref = frame["nis"], frame["shop_ref"]
    flags = {c: _yes_no(frame[c]) for c in YES_NO}
    count_text = frame["reviews_count"]
    count = pd.to_numeric(count_text, errors="coerce")
    rating_text = frame["reviews_rating"].str.replace(",", ".", regex=False)
    rating = pd.to_numeric(rating_text, errors="coerce")
    day = pd.to_datetime(frame["surveyed_on"], format="%Y-%m-%d", errors="coerce")
    checks = [
        (~code.str.fullmatch(r"\d{5}").fillna(False), "malformed NIS (expected 5 digits)"),
        ((code != nis).fillna(True) if nis else pd.Series(False, index=frame.index), f"NIS of another commune (the file is {nis})"),
        (~ref.str.fullmatch(f"{KBO_ESTABLISHMENT}|{OSM_ID}").fillna(False),
         "malformed shop_ref (expected a KBO establishment number 2.xxx.xxx.xxx or an OSM id node/123)"),
        *[(bad, f"{c} is not oui/non") for c, (_, bad) in flags.items()],
        (count_text.notna() & (count.isna() | (count < 0) | (count % 1 != 0)), "reviews_count is not a whole number >= 0"),
        (rating_text.notna() & (rating.isna() | (rating < 0) | (rating > 5)), "reviews_rating outside 0-5"),
        (rating.notna() & count.eq(0), "reviews_rating given with no review"),
        (day.isna(), "surveyed_on is not a date (expected YYYY-MM-DD)"),
        (day.dt.date > today, "surveyed_on in the future"),
    ]
    reason = flag_repeats(ref, first_reason(checks), "shop surveyed twice in the file")
    table = pd.DataFrame({
        "nis": code.astype("string"), "shop_ref": ref.astype("string"),
        **{c: v for c, (v, _) in flags.items()},
        "marketplace": _schemes(frame["marketplace"]), "vouchers": _schemes(frame["vouchers"]), "loyalty": _schemes(frame["loyalty"]),
        "reviews_count": count.round().astype("Int64"), "reviews_rating": rating.astype("Float64"),
        "surveyed_on": day.dt.date, "source_row": frame["_row"].astype("int64"),
        **{c: frame[c].astype("string") if c in frame else pd.Series(pd.NA, index=frame.index, dtype="string") for c in OPTIONAL},
    })
    return finish_text(table, frame, reason, quarantine, rows_in, source=SOURCE, path=path)


def match_shops(survey: pd.DataFrame, shops: pd.DataFrame, source_file: str = "") -> ReadResult:
    """Join the survey rows to ``silver.shops`` by KBO establishment number or OSM id.

    Returns the rows with the shop's ``shop_id``; a reference no shop of the commune carries
    is quarantined ("unknown shop"), as is a shop that belongs to another commune.
    """
    by_kbo = shops.dropna(subset=["establishment_number"]).drop_duplicates("establishment_number").set_index("establishment_number")
    by_osm = shops.dropna(subset=["osm_id"]).drop_duplicates("osm_id").set_index("osm_id")
    ref = survey["shop_ref"].astype(str)
    shop_id = ref.map(by_kbo["shop_id"]).fillna(ref.map(by_osm["shop_id"]))
    shop_nis = ref.map(by_kbo["nis"].astype(str)).fillna(ref.map(by_osm["nis"].astype(str)))
    unknown = shop_id.isna()
    elsewhere = ~unknown & (shop_nis != survey["nis"].astype(str))
    bad = unknown | elsewhere
    reasons = ["unknown shop (not among the commune's KBO or OSM shops)" if u else "shop of another commune" for u in unknown[bad]]
    rows = survey["source_row"] if "source_row" in survey else pd.Series(survey.index + 1, index=survey.index)
    q = quarantine_rows(SOURCE, source_file, rows[bad].astype(int).tolist(), reasons, survey[bad].astype(str).to_dict(orient="records"))
    kept = survey[~bad].assign(shop_id=shop_id[~bad].astype("string"))
    return ReadResult(kept.reset_index(drop=True), q, len(survey))
