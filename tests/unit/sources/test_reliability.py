"""Reliability suite: one bad input per case, across every landing format.

Each case takes a small good file (a hand-made fixture), breaks it in one way, reads it
and asserts: the exact quarantine reason (or its prefix) and row number of the broken
row (0 for a problem of the whole file), that every other good row was still read, and
that rows in = accepted + quarantined. Row numbers are 1-based data rows (header
excluded); the good files carry no blank lines.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from pipelines.quarantine import ReadResult
from pipelines.sources import (
    counters,
    counts_csv,
    gtfs,
    kbo,
    od,
    statbel,
    vacant,
    vouchers,
    wifi,
)

REPO = Path(__file__).resolve().parents[3]
FIX = REPO / "tests" / "fixtures"
REL = FIX / "reliability"
SB = FIX / "sources_b"
KBO_MINI = FIX / "sources_a" / "kbo_mini"
GTFS_MINI = SB / "gtfs_mini"
KEY = b"reliability-test-key"
SENSORS = ("W1", "W2")
SECTORS = ("92094A00-", "92094A011")
MERCHANTS = ("M1", "M2", "M3", "M4")

Reader = Callable[[Path, bytes], ReadResult]


# -- readers: write the (mutated) bytes where the reader expects them, then read ----------


def plain(name: str, read: Callable[[Path], ReadResult]) -> Reader:
    def run(tmp: Path, data: bytes) -> ReadResult:
        path = tmp / name
        path.write_bytes(data)
        return read(path)

    return run


def kbo_table(table: str) -> Reader:
    def run(tmp: Path, data: bytes) -> ReadResult:
        folder = tmp / "kbo"
        shutil.copytree(KBO_MINI, folder)
        (folder / f"{table}.csv").write_bytes(data)
        return kbo.read_kbo(folder)[table]

    return run


def gtfs_table(member: str, table: str | None = None) -> Reader:
    def run(tmp: Path, data: bytes) -> ReadResult:
        path = tmp / "feed.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for source in sorted(GTFS_MINI.glob("*.txt")):
                archive.writestr(source.name, data if source.stem == member else source.read_bytes())
        return gtfs.read_feed(path)[table or member]

    return run


def gtfs_zip(tmp: Path, data: bytes) -> ReadResult:
    path = tmp / "feed.zip"
    path.write_bytes(data)
    return gtfs.read_feed(path)["agency"]


# -- mutations of the good bytes ------------------------------------------------------------


def lines_of(data: bytes) -> list[bytes]:
    return data.rstrip(b"\n").split(b"\n")


def replace_row(row: int, line: str | bytes) -> Callable[[bytes], bytes]:
    """Replace data row ``row`` (1-based, header excluded)."""

    def mutate(data: bytes) -> bytes:
        lines = lines_of(data)
        lines[row] = line.encode() if isinstance(line, str) else line
        return b"\n".join(lines) + b"\n"

    return mutate


def edit_row(row: int, old: str | bytes, new: str | bytes) -> Callable[[bytes], bytes]:
    """Replace the first ``old`` by ``new`` in data row ``row``."""

    def mutate(data: bytes) -> bytes:
        lines = lines_of(data)
        o = old.encode() if isinstance(old, str) else old
        n = new.encode() if isinstance(new, str) else new
        assert o in lines[row], (o, lines[row])
        lines[row] = lines[row].replace(o, n, 1)
        return b"\n".join(lines) + b"\n"

    return mutate


def append(line: str) -> Callable[[bytes], bytes]:
    return lambda data: data.rstrip(b"\n") + b"\n" + line.encode() + b"\n"


def truncate_last(data: bytes) -> bytes:
    """The file cut in the middle of its last line (after its second field)."""
    lines = lines_of(data)
    sep = b";" if b";" in lines[0] else b","
    last = lines[-1]
    cut = last.index(sep) + 5
    return b"\n".join([*lines[:-1], last[:cut]])


def header_only(data: bytes) -> bytes:
    return lines_of(data)[0] + b"\n"


def empty(data: bytes) -> bytes:
    return b""


def constant(value: bytes) -> Callable[[bytes], bytes]:
    return lambda data: value


@dataclass(frozen=True)
class Case:
    id: str
    read: Reader
    good: Path | Callable[[], bytes]
    mutate: Callable[[bytes], bytes]
    row: int
    reason: str
    lost: int = 0
    """Good rows the mutation destroyed (1 when a good row was replaced by the bad one)."""
    same_columns: bool = True
    """False for GTFS: an empty typed table has the required columns, not the optional."""


def _zip(members: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in members.items():
            archive.writestr(name, source.read_bytes())
    return buffer.getvalue()


def _communes_with(feature_edit: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda data: feature_edit(data.decode()).encode()


BOWTIE = '"coordinates": [[[5.00, 50.45], [5.15, 50.45], [5.15, 50.52], [5.00, 50.52], [5.00, 50.45]]]'
FLAT = '"coordinates": [[[5.00, 50.45], [5.10, 50.45], [5.15, 50.45], [5.00, 50.45]]]'

F = {
    "counts": SB / "wifi_counts_2026-10-25.csv",
    "sensors": SB / "wifi_sensors.csv",
    "registry": SB / "counters.csv",
    "ghent": SB / "ghent_2026-10-25.csv",
    "od": SB / "od_2026-10-25.csv",
    "points": FIX / "sources_a" / "address_points.csv",
    "activity": KBO_MINI / "activity.csv",
    "establishment": KBO_MINI / "establishment.csv",
    "merchants": REL / "merchants.csv",
    "tx": REL / "transactions_2026-03-29.csv",
    "vacant": REL / "vacant_cells.csv",
    "sncb": REL / "sncb_boardings.csv",
    "generic": REL / "counts_generic.csv",
    "probes": REL / "probes.csv",
    "postcodes": REL / "postcodes.csv",
    "communes": REL / "communes.geojson",
    "stop_times": GTFS_MINI / "stop_times.txt",
    "stops": GTFS_MINI / "stops.txt",
}

R = {
    "counts": plain("2026-10-25.csv", lambda p: wifi.read_counts(p, sensors=SENSORS)),
    "sensors": plain("sensors.csv", wifi.read_sensors),
    "probes": plain("2026-03-29.csv", lambda p: wifi.read_probes(p, KEY, sensors=SENSORS)),
    "registry": plain("counters.csv", counters.read_registry),
    "ghent": plain("2026-10-25.csv", counters.read_ghent),
    "ghent_zip": plain("counts.zip", counters.read_ghent),
    "od": plain("2026-10-25.csv", lambda p: od.read_od(p, sectors=SECTORS)),
    "points": plain("address_points.csv", kbo.read_address_points),
    "postcodes": plain("postcodes.csv", kbo.read_postcodes),
    "merchants": plain("merchants.csv", vouchers.read_merchants),
    "tx": plain("2026-03-29.csv", lambda p: vouchers.read_transactions(p, merchants=MERCHANTS)),
    "vacant": plain("vacant_cells.csv", vacant.read_vacant_cells),
    "sncb": plain("boardings.csv", counts_csv.read_sncb_boardings),
    "generic": plain("2026-03-29.csv", lambda p: counts_csv.read_generic(p, known=["PED1"])),
    "communes": plain("communes.geojson", statbel.read_communes),
}

CASES = [
    # -- encoding and truncation
    Case("0xff-in-kbo-activity-row", kbo_table("activity"), F["activity"],
         edit_row(2, "56102", b"56\xff02"), 2, "not valid UTF-8: byte 0xff at column 33", lost=1),
    Case("0xff-in-merchant-row", R["merchants"], F["merchants"],
         edit_row(3, "Librairie", b"Libr\xffirie"), 3, "not valid UTF-8: byte 0xff at column 8", lost=1),
    Case("0xff-in-ghent-row", R["ghent"], F["ghent"],
         edit_row(5, "Teststraat", b"Test\xffstraat"), 5, "not valid UTF-8: byte 0xff", lost=1),
    Case("nul-bytes-binary-file", kbo_table("activity"), F["activity"],
         constant(b"PK\x03\x04\x00\x00\xff\xfe binary"), 0, "binary file (NUL bytes)"),
    Case("truncated-wifi-counts", R["counts"], F["counts"], truncate_last, 5,
         "truncated last line (file ends mid-line): expected 3 fields, found 2", lost=1),
    Case("truncated-od", R["od"], F["od"], truncate_last, 4,
         "truncated last line (file ends mid-line): expected 4 fields, found 2"),  # row 4 bad already
    # -- extra / missing fields, missing columns
    Case("extra-field-wifi-sensor", R["sensors"], F["sensors"],
         append("W3,92094,Gare,4.86,50.46,2025-01-01,extra"), 3, "expected 6 fields, found 7"),
    Case("missing-field-counter-registry", R["registry"], F["registry"],
         append("X1,92094,Rue,bike,4.86"), 3, "expected 6 fields, found 5"),
    Case("extra-field-ghent", R["ghent"], F["ghent"],
         append("TST;Teststraat;2026-10-25;23:55:00;2026-10-25T23:55:00+01:00;1;1;0;9"),
         28, "expected 8 fields, found 9"),
    Case("missing-column-vacant", R["vacant"], F["vacant"],
         lambda d: d.replace(b",status", b",state", 1), 0, "missing required column 'status'"),
    # -- wrong types
    Case("non-numeric-floor-area", R["vacant"], F["vacant"],
         edit_row(3, "120.5", "big"), 3, "non-numeric floor_area_m2", lost=1),
    Case("non-numeric-wifi-count", R["counts"], F["counts"],
         append("W2,2026-10-25T12:00:00+01:00,many"), 6, "non-numeric unique_devices: 'many'"),
    Case("malformed-sncb-count", R["sncb"], F["sncb"],
         edit_row(3, "17.316", "17.3"), 3, "malformed average_weekday_embarkments", lost=1),
    Case("rssi-out-of-range", R["probes"], F["probes"],
         edit_row(3, "-80", "15"), 3, "rssi not an integer in -120..0 dBm: '15'", lost=1),
    Case("malformed-postcode", R["postcodes"], F["postcodes"],
         append("50000,Nowhere,4.8,50.4"), 5, "malformed postcode"),
    # -- negative counts
    Case("negative-wifi-count", R["counts"], F["counts"],
         append("W2,2026-10-25T12:00:00+01:00,-3"), 6, "negative unique_devices: -3"),
    Case("negative-od-trips", R["od"], F["od"],
         append("2026-10-25T12:00:00+01:00;92094A00-;92094A011;-1"), 5, "negative trips: -1"),
    Case("negative-ghent-total", R["ghent"], F["ghent"],
         append("TST;Teststraat;2026-10-25;23:55:00;2026-10-25T23:55:00+01:00;-2;-1;-1"),
         28, "negative Totaal: -2"),
    Case("negative-generic-count", R["generic"], F["generic"],
         append("PED1,2026-03-29T04:00:00+02:00,-5"), 5, "negative count: -5"),
    Case("negative-population", R["communes"], F["communes"],
         lambda d: d.replace(b'"MS_POPULATION": 27000', b'"MS_POPULATION": -27000'), 3,
         "negative population", lost=1),
    # -- timestamps: no offset, non-existent spring-forward hour
    Case("wifi-count-without-offset", R["counts"], F["counts"],
         append("W2,2026-10-25T12:00:00,4"), 6, "timestamp without UTC offset"),
    Case("transaction-without-offset", R["tx"], F["tx"],
         append("T5,M1,2026-03-29T12:00:00,4,,"), 5, "timestamp without UTC offset"),
    Case("transaction-in-spring-dst-gap", R["tx"], F["tx"],
         append("T5,M1,2026-03-29T02:30:00+01:00,4,,"), 5,
         "UTC offset +01:00 is not the Europe/Brussels offset at that instant (+02:00)"),
    Case("generic-count-in-spring-dst-gap", R["generic"], F["generic"],
         append("PED1,2026-03-29T02:30:00+01:00,3"), 5,
         "UTC offset +01:00 is not the Europe/Brussels offset at that instant"),
    Case("probe-in-spring-dst-gap", R["probes"], F["probes"],
         append("W1,2026-03-29T02:30:00+01:00,AA:BB:CC:00:11:25,-60"), 4,
         "UTC offset +01:00 is not the Europe/Brussels offset"),
    Case("od-hour-in-spring-dst-gap", R["od"], F["od"],
         append("2026-03-29T02:00:00+01:00;92094A00-;92094A011;3"), 5,
         "UTC offset +01:00 is not the Europe/Brussels offset"),
    # -- duplicates
    Case("duplicate-wifi-count", R["counts"], F["counts"],
         append("W1,2026-10-25T01:00:00+02:00,10"), 6, "duplicate sensor_id+timestamp (first at row 1)"),
    Case("duplicate-transaction-id", R["tx"], F["tx"],
         append("T2,M2,2026-03-29T11:00:00+02:00,4,,"), 5, "duplicate transaction_id"),
    Case("duplicate-kbo-establishment", kbo_table("establishment"), F["establishment"],
         lambda d: d.rstrip(b"\n") + b"\n" + lines_of(d)[1] + b"\n", 8,
         "duplicate establishment_number"),
    Case("duplicate-sncb-station", R["sncb"], F["sncb"],
         append("http://irail.be/stations/NMBS/008863008,Namur,NAMUR,1,1,1"), 4,
         "duplicate nmbs_short_name (first at row 3)"),
    Case("duplicate-postcode-locality", R["postcodes"], F["postcodes"],
         append("5000,namur,4.87,50.46"), 5, "duplicate postcode and locality"),
    # -- unknown ids
    Case("unknown-sensor", R["counts"], F["counts"],
         append("W9,2026-10-25T12:00:00+01:00,4"), 6, "unknown sensor_id 'W9' (not in wifi/sensors.csv)"),
    Case("unknown-sector", R["od"], F["od"],
         append("2026-10-25T12:00:00+01:00;92094A99-;92094A011;2"), 5,
         "unknown origin_sector '92094A99-' (not in the Statbel sectors)"),
    Case("unknown-merchant", R["tx"], F["tx"],
         append("T5,M9,2026-03-29T11:00:00+02:00,4,,"), 5,
         "unknown merchant_id 'M9' (not in vouchers/merchants.csv)"),
    Case("unknown-trip", gtfs_table("stop_times"), F["stop_times"],
         append("TX,08:00:00,08:00:00,S1,1"), None, "trip_id 'TX' not in trips.txt"),
    Case("unknown-stop", gtfs_table("stop_times"), F["stop_times"],
         append("T1,09:00:00,09:00:00,SX,9"), None, "stop_id 'SX' not in stops.txt"),
    Case("unknown-counter", R["generic"], F["generic"],
         append("PED9,2026-03-29T04:00:00+02:00,5"), 5,
         "unknown counter_id 'PED9' (not in counters/counters.csv)"),
    # -- coordinates
    Case("sensor-lat-lon-swapped", R["sensors"], F["sensors"],
         append("W3,92094,Gare,50.46,4.86,"), 3, "lat/lon swapped: lon 50.46, lat 4.86"),
    Case("merchant-in-paris", R["merchants"], F["merchants"],
         append("M5,Chez Paul,,92094,2.35,48.85,food"), 5, "coordinates outside Belgium"),
    Case("address-point-swapped", R["points"], F["points"],
         append("5000,Namur,Rue X,,1,50.46,4.86"), 6, "lat/lon swapped"),
    Case("vacant-cell-swapped", R["vacant"], F["vacant"],
         edit_row(1, "4.8656,50.4655", "50.4655,4.8656"), 1, "lat/lon swapped", lost=1),
    Case("registry-outside-belgium", R["registry"], F["registry"],
         append("X1,92094,Rue,bike,12.5,41.9"), 3, "coordinates outside Belgium"),
    # -- empty, header-only, unreadable files
    Case("empty-wifi-counts", R["counts"], F["counts"], empty, 0, "empty file"),
    Case("blank-od-file", R["od"], F["od"], constant(b"\n\n"), 0, "empty file"),
    Case("header-only-transactions", R["tx"], F["tx"], header_only, 0, "header only (no data rows)"),
    Case("header-only-ghent", R["ghent"], F["ghent"], header_only, 0, "header only (no data rows)"),
    Case("ghent-zip-not-a-zip", R["ghent_zip"], lambda: _zip({"counts.csv": F["ghent"]}),
         lambda d: F["ghent"].read_bytes(), 0, "not a zip archive"),
    Case("gtfs-zip-not-a-zip", gtfs_zip, lambda: _zip({p.name: p for p in GTFS_MINI.glob("*.txt")}),
         lambda d: b"PK\x03\x04 garbage", 0, "not a zip archive", same_columns=False),
    Case("gtfs-empty-stops-file", gtfs_table("stops"), F["stops"], empty, 0, "empty file",
         same_columns=False),
    Case("geojson-not-json", R["communes"], F["communes"], lambda d: d[: len(d) // 2], 0,
         "GeoJSON file is not valid JSON"),
    # -- geometry
    Case("unrepairable-geometry", R["communes"], F["communes"],
         _communes_with(lambda t: t.replace(BOWTIE, FLAT)), 3,
         "invalid geometry make_valid cannot repair (Polygon)", lost=1),
    Case("point-instead-of-polygon", R["communes"], F["communes"],
         _communes_with(lambda t: t.replace(
             '"type": "Polygon", ' + BOWTIE, '"type": "Point", "coordinates": [5.0, 50.45]')),
         3, "not a polygon (Point)", lost=1),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_quarantined_with_its_reason(tmp_path: Path, case: Case) -> None:
    good_data = case.good.read_bytes() if isinstance(case.good, Path) else case.good()
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    baseline = case.read(tmp_path / "good", good_data)
    result = case.read(tmp_path / "bad", case.mutate(good_data))

    def keyed(q: pd.DataFrame) -> set[tuple[int, str]]:
        return set(zip(q["row_number"].astype(int), q["reason"].astype(str), strict=True))

    new = keyed(result.quarantine) - keyed(baseline.quarantine)
    assert len(new) == 1, new
    ((row, reason),) = new
    assert reason.startswith(case.reason), reason
    if case.row is not None:
        assert row == case.row
    assert result.balanced and result.rows_in == len(result.table) + len(result.quarantine)
    if case.row == 0:  # the whole file: one row, an empty typed table
        assert len(result.quarantine) == 1 and result.rows_in == 1 and len(result.table) == 0
        if case.same_columns:
            assert list(result.table.columns) == list(baseline.table.columns)
        else:
            assert set(result.table.columns) < set(baseline.table.columns)
        assert result.quarantine["source_file"].iloc[0].startswith(str(tmp_path / "bad"))
    else:  # the good rows are still read
        assert len(result.table) == len(baseline.table) - case.lost
        assert len(result.table) > 0


def test_suite_covers_at_least_30_distinct_bad_inputs() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 30


# -- whole files in cp1252 ---------------------------------------------------------------


def test_cp1252_merchants_are_decoded_and_the_encoding_recorded(tmp_path: Path) -> None:
    text = F["merchants"].read_text(encoding="utf-8").replace("Marche", "Marché à Namur")
    path = tmp_path / "merchants.csv"
    path.write_bytes(text.encode("cp1252"))
    result = vouchers.read_merchants(path)
    assert result.quarantine.empty and len(result.table) == 4
    assert result.table["name"].iloc[3] == "Fleuriste du Marché à Namur"
    assert result.encodings == {str(path): "cp1252"}


def test_cp1252_kbo_denomination_is_decoded(tmp_path: Path) -> None:
    folder = tmp_path / "kbo"
    shutil.copytree(KBO_MINI, folder)
    text = (KBO_MINI / "denomination.csv").read_text(encoding="utf-8")
    assert any(ord(c) > 127 for c in text)  # the fixture holds accented names
    (folder / "denomination.csv").write_bytes(text.encode("cp1252"))
    result = kbo.read_kbo(folder)["denomination"]
    expected = kbo.read_kbo(KBO_MINI)["denomination"]
    assert result.table["denomination"].tolist() == expected.table["denomination"].tolist()
    assert result.encodings == {str(folder / "denomination.csv"): "cp1252"}


def test_utf8_file_with_one_latin1_line_quarantines_only_that_line(tmp_path: Path) -> None:
    # the file proves it is UTF-8 (a valid 'é' in row 1), so the cp1252 row is a bad row
    text = F["merchants"].read_text(encoding="utf-8").replace("Ange", "Angé")
    data = text.encode("utf-8").replace(b"Librairie", "Librairié".encode("cp1252"))
    path = tmp_path / "merchants.csv"
    path.write_bytes(data)
    result = vouchers.read_merchants(path)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [3, "not valid UTF-8: byte 0xe9 at column 12"]
    ]
    assert len(result.table) == 3 and result.encodings == {} and result.balanced
    assert "\\xe9" in result.quarantine["raw"].iloc[0]


def test_bad_header_line_is_a_file_problem(tmp_path: Path) -> None:
    data = F["counts"].read_bytes().replace(b"sensor_id", b"sensor\xff_id", 1)
    path = tmp_path / "2026-10-25.csv"
    path.write_bytes(data)
    result = wifi.read_counts(path)
    assert result.quarantine["reason"].tolist() == ["header line is not valid UTF-8 (byte 0xff)"]
    assert result.rows_in == 1 and len(result.table) == 0


def test_one_empty_daily_counter_file_does_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "TST" / "2026-10-25.csv"
    good.parent.mkdir()
    shutil.copy(F["ghent"], good)
    broken = tmp_path / "PED1" / "2026-10-25.csv"
    broken.parent.mkdir()
    broken.write_bytes(b"")
    alone = counters.read_ghent_files([(good, "TST")])
    both = counters.read_ghent_files([(good, "TST"), (broken, "PED1")], known=["TST", "PED1"])
    assert len(both.table) == len(alone.table) > 0
    assert both.file_problems[["source_file", "reason"]].values.tolist() == [
        [str(broken), "empty file"]
    ]
    assert both.rows_in == alone.rows_in + 1 and both.balanced


def test_probe_lines_with_bad_bytes_are_redacted(tmp_path: Path) -> None:
    data = F["probes"].read_bytes().replace(b"AA:BB:CC:00:11:23", b"AA:BB:CC:00:11:\xff3")
    path = tmp_path / "2026-03-29.csv"
    path.write_bytes(data)
    result = wifi.read_probes(path, KEY)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [2, "not valid UTF-8: byte 0xff at column 45"]
    ]
    assert result.quarantine["raw"].tolist() == [wifi.REDACTED]
    assert len(result.table) == 2 and result.balanced
