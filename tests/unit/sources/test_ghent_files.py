"""read_ghent_files: several Ghent files in one pass = the concatenation of read_ghent."""

import pandas as pd

from pipelines.quarantine import ReadResult
from pipelines.sources import counters

HEADER = "\ufeffCode;Locatie;Datum;Uur5Minuten;Ordening;Totaal;Tegenrichting;Hoofdrichting\n"


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_many_files_equal_one_by_one(tmp_path):
    a = _write(tmp_path / "ped-1" / "2026-10-25.csv", [
        "X;Rue;2026-10-25;2:00:00;2026-10-25T02:00:00+02:00;5;2;3",
        "X;Rue;2026-10-25;2:00:00;2026-10-25T02:00:00+01:00;7;3;4",   # the repeated hour: distinct
        "X;Rue;2026-10-25;2:05:00;2026-10-25T02:05:00+01:00;9;3;4",   # Totaal != sum: quarantined
    ])
    b = _write(tmp_path / "ped-2" / "2026-10-25.csv", [
        "Y;Place;2026-10-25;10:00:00;2026-10-25T10:00:00+01:00;-1;0;0",  # negative: quarantined
        "Y;Place;2026-10-25;10:05:00;2026-10-25T10:05:00+01:00;4;1;3",
    ])
    files = [(a, "ped-1"), (b, "ped-2")]
    together = counters.read_ghent_files(files)
    one_by_one = ReadResult.concat(counters.read_ghent(p, counter_id=c) for p, c in files)
    pd.testing.assert_frame_equal(together.table, one_by_one.table)
    pd.testing.assert_frame_equal(together.quarantine, one_by_one.quarantine)
    assert together.rows_in == 5 and together.balanced
    assert together.table["counter_id"].tolist() == ["ped-1", "ped-1", "ped-2"]
    assert together.table["ts"].dt.strftime("%H:%M").tolist() == ["00:00", "01:00", "09:05"]
    assert list(zip(together.quarantine["source_file"], together.quarantine["row_number"], strict=True)) == [
        (str(a), 3), (str(b), 1)
    ]


def test_no_files_is_an_empty_result():
    result = counters.read_ghent_files([])
    assert result.rows_in == 0 and result.table.empty
