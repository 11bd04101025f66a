"""Voucher merchants and transactions: offsets, local days across DST, quarantine reasons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.sources.vouchers import MERCHANT_COLUMNS, read_merchants, read_transactions

MERCHANT_HEADER = "merchant_id,name,establishment_number,nis,lon,lat,category"
MERCHANTS = [
    "M1,Boulangerie de l'Ange,2.100.000.114,92094,4.8663,50.4651,food",
    'M2,"Dupont, coiffure",,62063,5.5901,50.6034,personal_services',
    "M3,Librairie,2.100.000.213,62063,5.5735,50.6441,",
]
TX_HEADER = "transaction_id,merchant_id,timestamp,amount_eur,customer_postcode,customer_sector"
TRANSACTIONS = [
    "T1,M1,2026-10-25T02:30:00+02:00,12.50,5000,92094A00-",
    "T2,M1,2026-10-25T02:30:00+01:00,7,4000,",
    "T3,M2,2026-10-24T23:30:00Z,3.2,,",
    "T4,M2,2026-10-25T23:59:59+01:00,1.0,,",
    "T5,M3,2026-10-26T00:10:00+01:00,5,1000,",
    "T6,M3,2026-10-24 22:00:00+0200,20,,62063A00-",
]


def _write(tmp_path: Path, header: str, lines: list[str], name: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_read_merchants(tmp_path):
    result = read_merchants(_write(tmp_path, MERCHANT_HEADER, MERCHANTS, "merchants.csv"))
    table = result.table
    assert list(table.columns) == MERCHANT_HEADER.split(",")
    assert table["merchant_id"].tolist() == ["M1", "M2", "M3"]
    assert table.loc[1, "name"] == "Dupont, coiffure"
    assert pd.isna(table.loc[1, "establishment_number"]) and pd.isna(table.loc[2, "category"])
    assert table["lat"].dtype == "float64" and result.rows_in == 3


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",X,,62063,5.57,50.64,food", "missing merchant_id"),
        ("M9,X,,6206,5.57,50.64,food", "malformed NIS (expected 5 digits)"),
        ("M9,X,2.100.000.115,62063,5.57,50.64,food", "malformed establishment_number"),
        ("M9,X,0100.000.169,62063,5.57,50.64,food", "malformed establishment_number"),
        ("M9,X,,62063,,50.64,food", "missing or non-numeric coordinates"),
        ("M9,X,,62063,5.57,60.64,food", "coordinates outside Belgium"),
        ("M1,X,,62063,5.57,50.64,food", "duplicate merchant_id"),
        ("M9,X,,62063,5.57,50.64", "expected 7 fields, found 6"),
    ],
)
def test_read_merchants_quarantine(tmp_path, line, reason):
    path = _write(tmp_path, MERCHANT_HEADER, [*MERCHANTS, line], "merchants.csv")
    result = read_merchants(path)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[4, reason]]
    assert result.quarantine["source"].tolist() == ["vouchers_merchants"]
    assert result.rows_in == 4 and len(result.table) == 3


@pytest.fixture
def transactions(tmp_path):
    # not named after a day: rows of every local day are read (see the test below)
    return read_transactions(_write(tmp_path, TX_HEADER, TRANSACTIONS, "transactions.csv"))


def test_transactions_of_another_day_than_the_file_are_quarantined(tmp_path):
    result = read_transactions(_write(tmp_path, TX_HEADER, TRANSACTIONS, "2026-10-25.csv"))
    assert sorted(result.table["transaction_id"]) == ["T1", "T2", "T3", "T4"]
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert set(reasons) == {5, 6}
    assert reasons[5].startswith("timestamp on local day 2026-10-26, not the file's day 2026-10-25: ")
    assert reasons[6].startswith("timestamp on local day 2026-10-24, not the file's day 2026-10-25: ")
    assert result.balanced


def test_transactions_utc_and_local_day_across_dst_end(transactions):
    table = transactions.table.set_index("transaction_id")
    assert list(transactions.table.columns) == [
        "transaction_id", "merchant_id", "ts", "day", "amount_eur", "customer_postcode",
        "customer_sector",
    ]  # fmt: skip
    assert str(table["ts"].dt.tz) == "UTC"
    utc = {k: v.strftime("%Y-%m-%dT%H:%M:%S") for k, v in table["ts"].items()}
    # 02:30 happens twice on 2026-10-25: once in summer time (+02) and once in winter time (+01)
    assert utc == {
        "T1": "2026-10-25T00:30:00", "T2": "2026-10-25T01:30:00", "T3": "2026-10-24T23:30:00",
        "T4": "2026-10-25T22:59:59", "T5": "2026-10-25T23:10:00", "T6": "2026-10-24T20:00:00",
    }  # fmt: skip
    assert table["day"].to_dict() == {
        "T1": "2026-10-25", "T2": "2026-10-25", "T3": "2026-10-25", "T4": "2026-10-25",
        "T5": "2026-10-26", "T6": "2026-10-24",
    }  # fmt: skip
    assert table["amount_eur"].sum() == pytest.approx(48.7)
    assert table.loc["T2", "customer_postcode"] == "4000"
    assert pd.isna(table.loc["T2", "customer_sector"])
    assert pd.isna(table.loc["T3", "customer_postcode"])  # a sale without origin still counts


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",M1,2026-10-25T10:00:00+01:00,5,,", "missing transaction_id"),
        ("T9,,2026-10-25T10:00:00+01:00,5,,", "missing merchant_id"),
        ("T9,M1,,5,,", "missing timestamp"),
        ("T9,M1,2026-10-25T10:00:00,5,,", "timestamp without UTC offset"),
        ("T9,M1,2026-10-25 10:00,5,,", "timestamp without UTC offset"),
        ("T9,M1,2026-10-32T10:00:00+01:00,5,,", "bad timestamp (expected ISO 8601)"),
        ("T9,M1,yesterday,5,,", "bad timestamp (expected ISO 8601)"),
        ("T9,M1,2026-10-25,5,,", "bad timestamp (expected ISO 8601)"),
        ("T9,M1,2026-10-25T10:00:00+01:00,abc,,", "non-numeric amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,,,", "non-numeric amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,inf,,", "non-numeric amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,0,,", "non-positive amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,-3.5,,", "non-positive amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,5,500,", "malformed customer_postcode"),
        ("T9,M1,2026-10-25T10:00:00+01:00,5,B-5000,", "malformed customer_postcode"),
        ("T9,M1,2026-10-25T10:00:00+01:00,5,,92094", "malformed customer_sector"),
        ("T1,M1,2026-10-25T10:00:00+01:00,5,,", "duplicate transaction_id"),
        ('T9,M1,2026-10-25T10:00:00+01:00,"5,5",,', "non-numeric amount_eur"),
        ("T9,M1,2026-10-25T10:00:00+01:00,5,5,", "malformed customer_postcode"),
        ("T9,M1,2026-10-25T10:00:00+01:00,5,5,5,", "expected 6 fields, found 7"),
    ],
)
def test_transactions_quarantine(tmp_path, line, reason):
    path = _write(tmp_path, TX_HEADER, [*TRANSACTIONS, line], "transactions.csv")
    result = read_transactions(path)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[7, reason]]
    assert result.quarantine["source"].tolist() == ["vouchers_transactions"]
    assert result.rows_in == 7 and len(result.table) == 6 and result.balanced


def test_transactions_conserve_amounts(tmp_path):
    """rows in = accepted + quarantined, and the accepted amounts are exactly the valid ones."""
    lines = [*TRANSACTIONS, "T7,M1,2026-10-25T10:00:00,5,,", "T8,M1,2026-10-25T11:00:00+01:00,0,,"]
    result = read_transactions(_write(tmp_path, TX_HEADER, lines, "d.csv"))
    assert result.rows_in == 8 == len(result.table) + len(result.quarantine)
    assert result.table["amount_eur"].sum() == pytest.approx(12.5 + 7 + 3.2 + 1 + 5 + 20)


def test_missing_column_names_file_and_column(tmp_path):
    header = "transaction_id,merchant_id,timestamp,customer_postcode,customer_sector"
    path = _write(tmp_path, header, [], "2026-10-25.csv")
    # changed (issue 9): a missing column is a file-level quarantine row, not an exception
    result = read_transactions(path)
    assert result.quarantine["source_file"].tolist() == [str(path)]
    assert result.quarantine["row_number"].tolist() == [0]
    assert result.quarantine["reason"].iloc[0].startswith("missing required column 'amount_eur'")
    assert len(result.table) == 0 and result.balanced
    path = _write(tmp_path, "merchant_id,name,nis,lon,lat,category", [], "merchants.csv")
    result = read_merchants(path)
    reason = result.quarantine["reason"].iloc[0]
    assert reason.startswith("missing required column 'establishment_number'")
    assert list(result.table.columns) == list(MERCHANT_COLUMNS) and result.rows_in == 1


def test_header_only_file_is_empty_not_an_error(tmp_path):
    # changed (issue 9): a header-only daily file is a gap recorded as one file-level row
    result = read_transactions(_write(tmp_path, TX_HEADER, [], "2026-10-25.csv"))
    assert len(result.table) == 0 and result.rows_in == 1 and result.balanced
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [0, "header only (no data rows)"]
    ]
