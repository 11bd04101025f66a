"""Local voucher / loyalty schemes: the merchants and their daily transaction files.

Timestamps carry their UTC offset; ``ts`` is UTC-aware and ``day`` is the local
Europe/Brussels date (the partition key). Row numbers in quarantines are 1-based data rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.constants import TIMEZONE
from pipelines.quarantine import ReadResult
from pipelines.sources._rowchecks import (
    finish_text,
    first_reason,
    flag_repeats,
    isin_text,
    read_csv_text,
)
from pipelines.sources.kbo import BELGIUM_BBOX, is_establishment_number
from pipelines.timeutil import day_problems, file_day, parse_timestamps

SOURCE_MERCHANTS = "vouchers_merchants"
SOURCE_TRANSACTIONS = "vouchers_transactions"
MERCHANT_COLUMNS = ("merchant_id", "name", "establishment_number", "nis", "lon", "lat", "category")
TRANSACTION_COLUMNS = (
    "transaction_id", "merchant_id", "timestamp", "amount_eur", "customer_postcode",
    "customer_sector",
)  # fmt: skip
_LOCAL_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
_OFFSET_RE = _LOCAL_RE + r"(Z|[+-]\d{2}(:?\d{2})?)"
_SECTOR_RE = r"\d{5}[A-Z0-9]{3}[A-Z0-9-]"


def read_merchants(path: Path) -> ReadResult:
    """Read ``merchant_id,name,establishment_number,nis,lon,lat,category``.

    Returns
    -------
    ReadResult
        ``table`` with ``MERCHANT_COLUMNS`` (``lon``/``lat`` floats, the rest strings;
        ``establishment_number`` and ``category`` may be missing). Quarantined: missing
        ``merchant_id``, NIS not 5 digits, a present but malformed KBO establishment number
        (format or mod-97 check digits), missing or non-numeric coordinates, coordinates
        outside Belgium, and every repeat of a ``merchant_id`` after its first row.
    """
    frame, quarantine, rows_in = read_csv_text(Path(path), MERCHANT_COLUMNS, SOURCE_MERCHANTS)
    lon, lat = (pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in ("lon", "lat"))
    x0, y0, x1, y1 = BELGIUM_BBOX
    establishment = frame["establishment_number"]
    reason = first_reason([
        (frame["merchant_id"].isna(), "missing merchant_id"),
        (~frame["nis"].str.fullmatch(r"\d{5}"), "malformed NIS (expected 5 digits)"),
        (establishment.notna() & ~is_establishment_number(establishment),
         "malformed establishment_number"),
        (lon.isna() | lat.isna(), "missing or non-numeric coordinates"),
        (lat.between(x0, x1) & lon.between(y0, y1), "lat/lon swapped"),
        (~(lon.between(x0, x1) & lat.between(y0, y1)), "coordinates outside Belgium"),
    ])  # fmt: skip
    reason = flag_repeats(frame["merchant_id"], reason, "duplicate merchant_id")
    table = frame.assign(lon=lon.astype("float64"), lat=lat.astype("float64"))
    return finish_text(
        table, frame, reason, quarantine, rows_in,
        source=SOURCE_MERCHANTS, path=path, columns=MERCHANT_COLUMNS,
    )  # fmt: skip


def read_transactions(
    path: Path,
    *,
    merchants: Collection[str] | None = None,
    day: str | None = None,
    today: dt.date | None = None,
) -> ReadResult:
    """Read ``transaction_id,merchant_id,timestamp,amount_eur,customer_postcode,customer_sector``.

    Returns
    -------
    ReadResult
        ``table`` with ``transaction_id, merchant_id, ts, day, amount_eur,
        customer_postcode, customer_sector``: ``ts`` UTC-aware, ``day`` the local
        Europe/Brussels date ``YYYY-MM-DD``, ``amount_eur`` a positive float. A sale without
        customer postcode or sector is kept (it still counts as a sale). Quarantined: missing
        ``transaction_id`` or ``merchant_id``, a timestamp without UTC offset, an unparsable
        timestamp, a non-numeric or non-positive amount, a postcode that is not 4 digits or
        a malformed sector code (when present), and every repeat of a ``transaction_id``;
        an offset Brussels does not use at that instant (``2026-03-29T02:30:00+01:00``
        names the non-existent spring-forward hour); with ``merchants`` (the ids of
        ``vouchers/merchants.csv``), an unknown ``merchant_id``; a timestamp outside the
        file's local day (``day``, by default the file name's ``YYYY-MM-DD``) or
        implausible (before 2000, after the run date ``today`` + 1 day).
    """
    frame, quarantine, rows_in = read_csv_text(Path(path), TRANSACTION_COLUMNS, SOURCE_TRANSACTIONS)
    stamp = frame["timestamp"]
    ts = pd.to_datetime(stamp, utc=True, format="ISO8601", errors="coerce")
    parsed, zone_problem = parse_timestamps(stamp)
    wrong_day = day_problems(parsed, stamp, day or file_day(path), today=today)
    wrong_zone = zone_problem.str.startswith("UTC offset").fillna(False).astype(bool)
    known = pd.Series(list(merchants or []), dtype="string")
    unknown = frame["merchant_id"].notna() & ~isin_text(frame["merchant_id"], known)
    if merchants is None:
        unknown[:] = False
    amount = pd.to_numeric(frame["amount_eur"], errors="coerce").astype("float64")
    amount = amount.where(np.isfinite(amount))
    postcode, sector = frame["customer_postcode"], frame["customer_sector"]
    reason = first_reason([
        (frame["transaction_id"].isna(), "missing transaction_id"),
        (frame["merchant_id"].isna(), "missing merchant_id"),
        (stamp.isna(), "missing timestamp"),
        (stamp.str.fullmatch(_LOCAL_RE), "timestamp without UTC offset"),
        (~stamp.str.fullmatch(_OFFSET_RE) | ts.isna(), "bad timestamp (expected ISO 8601)"),
        (wrong_zone, zone_problem),
        (wrong_day.notna(), wrong_day),
        (amount.isna(), "non-numeric amount_eur"),
        (amount <= 0, "non-positive amount_eur"),
        (postcode.notna() & ~postcode.str.fullmatch(r"\d{4}"), "malformed customer_postcode"),
        (sector.notna() & ~sector.str.fullmatch(_SECTOR_RE), "malformed customer_sector"),
        (unknown, "unknown merchant_id '" + frame["merchant_id"] + "' (not in vouchers/merchants.csv)"),
    ])  # fmt: skip
    reason = flag_repeats(frame["transaction_id"], reason, "duplicate transaction_id")
    table = frame.assign(
        ts=ts,
        day=ts.dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%d").astype("string"),
        amount_eur=amount.astype("float64"),
    )
    columns = ("transaction_id", "merchant_id", "ts", "day", "amount_eur", "customer_postcode",
               "customer_sector")  # fmt: skip
    return finish_text(
        table, frame, reason, quarantine, rows_in,
        source=SOURCE_TRANSACTIONS, path=path, columns=columns,
    )  # fmt: skip

