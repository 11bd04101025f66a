"""The merchant survey: the online half of the customer journey, shop by shop.

A local development agency or a consultant fills one CSV per commune
(``landing/survey/<nis>.csv``, e.g. exported from a form tool), one row per shop surveyed:

``shop_ref`` (the shop's KBO establishment number ``2.123.456.789`` or its OSM id
``node/123`` / ``way/456``), ``webshop``, ``click_collect``, ``delivery`` (oui/non),
``marketplace`` (the local marketplace it sells on, empty if none), ``vouchers`` and
``loyalty`` (schemes accepted, ``;``-separated, e.g. ``Cirklo`` or ``Joyn``), ``social``
(networks used, ``;``-separated), ``reviews_count`` (online reviews, an integer),
``rating`` (average rating out of 5, empty without reviews), ``surveyed_on`` (YYYY-MM-DD).
Yes/no answers accept ``oui/non``, ``yes/no``, ``ja/nee``, ``1/0``, ``true/false`` and ``x``/empty.

Row numbers in the quarantine are 1-based data rows (header excluded). Which surveyed shop is
which shop of the territory is decided in silver (``silver.merchant_survey``): a reference
that matches no shop is quarantined there, with its reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import finish_text, first_reason, flag_repeats, read_csv_text

SOURCE = "survey"
COLUMNS = (
    "shop_ref", "webshop", "click_collect", "delivery", "marketplace", "vouchers", "loyalty",
    "social", "reviews_count", "rating", "surveyed_on",
)  # fmt: skip
BOOLEANS = ("webshop", "click_collect", "delivery")
TRUE = frozenset({"oui", "yes", "ja", "1", "true", "vrai", "x"})
FALSE = frozenset({"non", "no", "nee", "0", "false", "faux"})
SHOP_REF = r"\d\.\d{3}\.\d{3}\.\d{3}|(?:node|way|relation)/\d+"
"""A KBO establishment number (``2.123.456.789``) or an OSM id (``node/123``)."""


def _yes_no(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(value, bad): empty is "no" (a form leaves unticked boxes empty)."""
    low = text.str.lower()
    value = low.isin(TRUE)
    bad = low.notna() & ~low.isin(TRUE | FALSE)
    return value.astype("bool"), bad


def _lists(text: pd.Series) -> pd.Series:
    """``"Cirklo; Joyn"`` -> ``"Cirklo;Joyn"`` (trimmed, empty parts dropped), empty -> NA."""
    parts = text.fillna("").str.split(";").map(lambda xs: ";".join(x.strip() for x in xs if x.strip()))
    return parts.replace("", pd.NA).astype("string")


def read_survey(path: Path) -> ReadResult:
    """Read one commune's survey file.

    Returns
    -------
    ReadResult
        ``table`` with ``COLUMNS`` plus ``nis`` (from the file name when it is ``<nis>.csv``),
        ``source_file`` (``survey/<file>``) and ``source_row`` (1-based data row):
        booleans for the yes/no answers, ``reviews_count`` int64, ``rating`` float64,
        ``surveyed_on`` a date, the lists ``;``-joined. Quarantined: a missing or malformed
        ``shop_ref``, a yes/no answer that is neither, a negative or non-integer review count,
        a rating outside 0–5 (or a rating without any review), a date that is not YYYY-MM-DD,
        and every repeat of a ``shop_ref`` after its first row.
    """
    path = Path(path)
    frame, quarantine, rows_in = read_csv_text(path, COLUMNS, SOURCE)
    ref = frame["shop_ref"].str.removeprefix("kbo:").str.removeprefix("osm:")
    answers = {c: _yes_no(frame[c]) for c in BOOLEANS}
    count = pd.to_numeric(frame["reviews_count"], errors="coerce")
    rating = pd.to_numeric(frame["rating"].str.replace(",", ".", regex=False), errors="coerce")
    surveyed = pd.to_datetime(frame["surveyed_on"], format="%Y-%m-%d", errors="coerce")
    reason = first_reason([
        (ref.isna(), "missing shop_ref"),
        (~ref.str.fullmatch(SHOP_REF).fillna(False), "malformed shop_ref (expected a KBO establishment number or an OSM id such as node/123)"),
        *((answers[c][1], f"{c} is not a yes/no answer (oui/non)") for c in BOOLEANS),
        (frame["reviews_count"].notna() & (count.isna() | (count % 1 != 0)), "reviews_count is not an integer"),
        (count < 0, "negative reviews_count"),
        (frame["rating"].notna() & ~rating.between(0, 5), "rating outside 0-5"),
        (rating.notna() & ~(count > 0), "rating without any review (reviews_count empty or 0)"),
        (surveyed.isna(), "bad surveyed_on (expected YYYY-MM-DD)"),
    ])  # fmt: skip
    reason = flag_repeats(ref, reason, "duplicate shop_ref")
    nis = path.stem if path.stem.isdigit() and len(path.stem) == 5 else pd.NA
    table = frame.assign(
        shop_ref=ref,
        **{c: answers[c][0] for c in BOOLEANS},
        marketplace=frame["marketplace"],
        vouchers=_lists(frame["vouchers"]),
        loyalty=_lists(frame["loyalty"]),
        social=_lists(frame["social"]),
        reviews_count=count.fillna(0).astype("int64"),
        rating=rating.astype("float64"),
        surveyed_on=surveyed.astype(pd.ArrowDtype(pa.date32())),
        nis=pd.Series(nis, index=frame.index, dtype="string"),
        source_file=pd.Series(f"survey/{path.name}", index=frame.index, dtype="string"),
        source_row=frame["_row"].astype("int64"),
    )
    return finish_text(table, frame, reason, quarantine, rows_in, source=SOURCE, path=path,
                       columns=(*COLUMNS, "nis", "source_file", "source_row"))
