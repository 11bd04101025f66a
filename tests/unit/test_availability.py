"""Source availability: the landing scan, required sources, typed empty tables."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import availability, tables
from pipelines.errors import InputError
from pipelines.lake import write_table


def _touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_scan_of_an_empty_landing_lists_every_family_missing(tmp_path):
    frame = availability.scan_landing(tmp_path / "landing")
    assert list(frame["source"]) == list(availability.FAMILIES)
    assert set(frame["status"]) == {"missing"}
    assert frame.set_index("source").loc[["boundaries", "osm"], "required"].all()
    assert frame["reason"].str.startswith(("no file at", "derived from")).all()
    with pytest.raises(InputError, match=r"required source missing: boundaries .*; osm "):
        availability.require(frame)


def test_scan_counts_files_days_and_hashes(tmp_path):
    landing = tmp_path / "landing"
    _touch(landing / "statbel" / "communes.geojson", "{}")
    _touch(landing / "osm" / "territory.osm", "<osm/>")
    _touch(landing / "wifi" / "sensors.csv", "sensor_id\n")
    _touch(landing / "wifi" / "counts" / "2026-10-12.csv", "a\n")
    _touch(landing / "wifi" / "counts" / "2026-10-14.csv", "b\n")
    _touch(landing / "wifi" / "counts" / ".2026-10-15.tmp.csv", "partial")  # a half-delivered file
    _touch(landing / "od" / "2026-10-12.csv", "")  # an empty delivery is not a held source
    frame = availability.scan_landing(landing).set_index("source")
    availability.require(frame.reset_index())  # boundaries and OSM are there
    wifi = frame.loc["wifi"]
    assert (wifi["status"], wifi["files"], wifi["days"]) == ("held", 3, 2)
    assert (wifi["first_day"], wifi["last_day"]) == ("2026-10-12", "2026-10-14")
    expected = hashlib.sha256(b"a\n").hexdigest()
    assert f"wifi/counts/2026-10-12.csv {expected}" in list(wifi["file_hashes"])
    assert frame.loc["od", "status"] == "missing" and frame.loc["od", "reason"] == "every file is empty"
    assert frame.loc["parking", "status"] == "held"  # from OSM
    assert frame.loc["kbo", "status"] == "missing"
    assert availability.held(frame.reset_index()) == {"boundaries", "osm", "parking", "wifi"}


@pytest.mark.parametrize("name", sorted(tables.BRONZE))
def test_empty_tables_keep_their_declared_types_in_parquet(name, tmp_path):
    frame = tables.empty(name)
    assert len(frame) == 0 and list(frame.columns) == tables.columns(name)
    if "geometry" in frame.columns:
        assert frame.crs.to_epsg() == 4326
    path = write_table(frame, tmp_path / f"{name}.parquet")
    schema = pq.read_schema(path)
    for column, kind in tables.BRONZE[name]:
        expected = pa.binary() if kind == "geometry" else tables._TYPES[kind]
        assert schema.field(column).type == expected, (name, column)


def test_empty_table_of_an_unknown_name_is_an_error():
    with pytest.raises(KeyError):
        tables.empty("no_such_table")
