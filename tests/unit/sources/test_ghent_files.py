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


def test_plain_and_irregular_files_mixed_equal_one_by_one(tmp_path):
    """Plain files are parsed together, the others one by one; the result is the same."""

    def rows(code):
        return [
            f"{code};Rue;2026-10-12;10:00:00;2026-10-12T10:00:00+02:00;5;2;3",
            f"{code};Rue;2026-10-12;10:05:00;2026-10-12T10:05:00+02:00;4;1;3",
        ]

    def raw(name, data):
        path = tmp_path / name / "2026-10-12.csv"
        path.parent.mkdir()
        path.write_bytes(data)
        return path

    a, b, c, d, e, f, g, h = (rows(code) for code in "ABCDEFGH")
    paths = [
        _write(tmp_path / "ped-1" / "2026-10-12.csv", a),
        _write(tmp_path / "ped-2" / "2026-10-12.csv", [b[0], "B;Rue;2026-10-12;10:05:00", b[1]]),
        _write(tmp_path / "ped-3" / "2026-10-12.csv", [c[0].replace("Rue", '"Rue; Gent"')]),
        _write(tmp_path / "ped-4" / "2026-10-12.csv", []),
        raw("ped-5", (HEADER + "\r\n".join(d) + "\r\n").encode()),
        raw("ped-6", (HEADER.lstrip("\ufeff") + "\n".join([e[1], e[0], e[1]]) + "\n").encode()),
        raw("ped-7", (HEADER + f[0].replace("Rue", "Cité") + "\n").encode("cp1252", "replace")),
        _write(tmp_path / "ped-8" / "2026-10-12.csv", [g[1], g[1], g[0].replace("5;2;3", "x;2;3")]),
        raw("ped-9", (HEADER + "\n".join(h)).encode()),  # no line break at the end
    ]
    for ids in ([None] * len(paths), [p.parent.name for p in paths]):
        files = list(zip(paths, ids, strict=True))
        together = counters.read_ghent_files(files)
        one_by_one = ReadResult.concat(counters.read_ghent(p, counter_id=c) for p, c in files)
        pd.testing.assert_frame_equal(together.table, one_by_one.table)
        # "(kept row N)" of read_ghent_files counts the rows of all files together
        q1, q2 = (r.quarantine.sort_values(["source_file", "row_number"], ignore_index=True)
                  .assign(reason=lambda q: q["reason"].str.replace(r"kept row \d+", "kept", regex=True))
                  for r in (together, one_by_one))  # fmt: skip
        pd.testing.assert_frame_equal(q1, q2)
        assert together.rows_in == one_by_one.rows_in == 18 and together.balanced
