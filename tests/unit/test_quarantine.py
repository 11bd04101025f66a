import pandas as pd

from pipelines.quarantine import ReadResult, split_invalid


def test_split_invalid_keeps_row_numbers_and_reasons():
    frame = pd.DataFrame({"x": [1, -2, 3, None]})
    invalid = frame["x"].isna() | (frame["x"] < 0)
    kept, q = split_invalid(frame, invalid, "x must be >= 0", source="s", source_file="f.csv")
    assert kept["x"].tolist() == [1, 3]
    assert q["row_number"].tolist() == [2, 4]
    assert set(q["reason"]) == {"x must be >= 0"}
    assert ReadResult(kept, q, rows_in=4).balanced


def test_concat_sums_rows_in():
    a = ReadResult(pd.DataFrame({"x": [1]}), rows_in=1)
    b = ReadResult(pd.DataFrame({"x": [2, 3]}), rows_in=3)
    both = ReadResult.concat([a, b])
    assert both.rows_in == 4 and len(both.table) == 3 and not both.balanced


def test_file_quarantine_is_one_row_numbered_zero_and_counts_as_one_input_row():
    from pipelines.quarantine import FILE_ROW, file_quarantine

    q = file_quarantine("wifi", "landing/wifi/counts/2026-10-25.csv", "empty file")
    assert q[["row_number", "reason", "raw"]].values.tolist() == [[FILE_ROW, "empty file", ""]]
    assert list(q.columns) == ["source", "source_file", "row_number", "reason", "raw"]
    result = ReadResult(pd.DataFrame({"x": pd.Series(dtype="Int64")}), q, rows_in=1)
    assert result.balanced and len(result.file_problems) == 1


def test_concat_keeps_the_encodings_of_every_file():
    a = ReadResult(pd.DataFrame({"x": [1]}), encodings={"a.csv": "cp1252"})
    b = ReadResult(pd.DataFrame({"x": [2]}))
    both = ReadResult.concat([a, b])
    assert both.encodings == {"a.csv": "cp1252"} and both.rows_in == 2 and both.balanced
