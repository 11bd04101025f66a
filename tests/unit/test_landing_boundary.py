"""The landing zone is a boundary (issue 19): links are not followed, misnamed daily files and
duplicates are quarantined with their reason, and nothing of a refused file is read."""

from __future__ import annotations

import os
import shutil

import pytest

from pipelines import availability, tables
from pipelines.demo import generate
from pipelines.landing import readable
from pipelines.sources.registry import bronze_assets

BRONZE = {b.name: b for b in bronze_assets()}
MARKER = "SECRET-MARKER-4f1c"


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory):
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing, seed=42, days=2)
    return landing


@pytest.fixture
def landing(demo_landing, tmp_path):
    copy = tmp_path / "landing"
    shutil.copytree(demo_landing, copy)
    return copy


def _days(landing):
    return sorted(p.stem for p in (landing / "wifi" / "counts").glob("*.csv"))


def test_a_link_to_a_file_outside_is_refused_and_never_read(landing, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"sensor_id,timestamp,unique_devices\n{MARKER},{MARKER},{MARKER}\n", encoding="utf-8")
    day = _days(landing)[0]
    target = landing / "wifi" / "counts" / f"{day}.csv"
    target.unlink()
    os.symlink(secret, target)
    assert not readable(landing, target)
    assert tables.read_bronze(BRONZE["wifi_counts"], landing, day) is None
    refused = availability.refused_files(landing)
    row = refused[refused["source_file"] == f"wifi/counts/{day}.csv"]
    assert len(row) == 1 and "symbolic link refused" in row["reason"].iloc[0]
    assert MARKER not in refused.to_csv()
    status = availability.scan_landing(landing).set_index("source")
    assert status.loc["wifi", "refused_files"] == 1
    assert not any(f"counts/{day}.csv" in h for h in status.loc["wifi", "file_hashes"])


def test_a_linked_folder_is_refused(landing, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2026-10-12.csv").write_text(MARKER, encoding="utf-8")
    os.symlink(outside, landing / "od" / "linked")
    shutil.rmtree(landing / "vouchers" / "transactions")
    os.symlink(outside, landing / "vouchers" / "transactions")
    assert tables.read_bronze(BRONZE["transactions"], landing, "2026-10-12") is None
    refused = availability.refused_files(landing)
    assert "vouchers/transactions/2026-10-12.csv" in set(refused["source_file"])


def test_a_day_copied_under_another_name_is_a_duplicate_naming_the_other(landing):
    first, second = _days(landing)[:2]
    folder = landing / "wifi" / "counts"
    shutil.copy(folder / f"{first}.csv", folder / f"{second}.csv")
    assert tables.read_bronze(BRONZE["wifi_counts"], landing, second) is None
    assert tables.read_bronze(BRONZE["wifi_counts"], landing, first) is not None
    refused = availability.refused_files(landing)
    reason = refused.loc[refused["source_file"] == f"wifi/counts/{second}.csv", "reason"].iloc[0]
    assert f"same content (SHA-256) as wifi/counts/{first}.csv" in reason


def test_misnamed_and_accented_daily_files_are_quarantined_not_skipped(landing):
    day = _days(landing)[0]
    folder = landing / "wifi" / "counts"
    text = (folder / f"{day}.csv").read_text(encoding="utf-8")
    (folder / f"{day} (1).csv").write_text(text + "\n", encoding="utf-8")
    (folder / "données-été.csv").write_text(text + "\n\n", encoding="utf-8")
    refused = availability.refused_files(landing)
    names = set(refused.loc[refused["reason"].str.contains("not <YYYY-MM-DD>.csv"), "source_file"])
    assert names == {f"wifi/counts/{day} (1).csv", "wifi/counts/données-été.csv"}
    status = availability.scan_landing(landing).set_index("source")
    assert status.loc["wifi", "refused_files"] == 2


def test_empty_days_are_not_duplicates_of_each_other(landing):
    first, second = _days(landing)[:2]
    for day in (first, second):
        (landing / "wifi" / "counts" / f"{day}.csv").write_text("", encoding="utf-8")
    assert availability.refused_files(landing).empty


def test_a_linked_required_file_is_refused_with_one_clear_error(landing, tmp_path):
    from pipelines.errors import InputError

    communes = landing / "statbel" / "communes.geojson"
    real = tmp_path / "communes.geojson"
    shutil.move(communes, real)
    os.symlink(real, communes)
    with pytest.raises(InputError, match="symbolic link, refused"):
        tables.read_bronze(BRONZE["statbel_communes"], landing)


def test_bronze_streams_a_probes_day_with_the_same_rows_as_the_frame_reader(landing, tmp_path):
    """The raw probes are written by batches (bounded memory): same rows, quarantine and
    pseudonyms as reading the day whole."""
    import pandas as pd

    from assets.bronze import _stream_day
    from pipelines.constants import DEMO_PSEUDONYM_KEY
    from pipelines.lake import Lake

    day = sorted(p.stem for p in (landing / "wifi" / "probes").glob("*.csv"))[0]
    lake_root = tmp_path / "root"
    (lake_root).mkdir()
    (lake_root / "landing").symlink_to(landing)  # the data root's landing folder is the demo's
    lk = Lake(lake_root)
    key = DEMO_PSEUDONYM_KEY.encode()
    counts = _stream_day(lk, BRONZE["wifi_probes"], day, key)
    whole = tables.read_bronze(BRONZE["wifi_probes"], landing, day, key)["wifi_probes"]
    assert counts == {"rows_in": whole.rows_in, "rows_accepted": len(whole.table), "quarantined": len(whole.quarantine)}
    streamed = lk.read("bronze", "wifi_probes", day)
    pd.testing.assert_frame_equal(
        streamed.reset_index(drop=True), whole.table.reset_index(drop=True), check_dtype=False
    )
    assert _stream_day(lk, BRONZE["wifi_probes"], "2001-01-01", key) is None
