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
