"""The readers' fast paths give what the general paths give (the reference): the ragged-line
screen on bytes, and counts that are plain digits parsed by Arrow."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from pipelines.sources import _rowchecks


def _ragged_by_lines(data: bytes, sep: str) -> bool:
    """The definition: the non-blank lines do not all hold the same number of separators."""
    mark = sep.encode()
    return len({line.count(mark) for line in data.split(b"\n") if line.strip(b"\r")}) > 1


@pytest.mark.parametrize("seed", range(3))
def test_ragged_screen_equals_its_definition(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [b"a", b";", b",", b"\t", b"\n", b"\r", b" ", b"\xc3\xa9", b"\r\n", b"\n\n"]
    for _ in range(1500):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        for sep in (";", ",", "\t"):
            assert _rowchecks._is_ragged(data, sep) == _ragged_by_lines(data, sep), (data, sep)


def test_ragged_screen_by_hand() -> None:
    assert not _rowchecks._is_ragged(b"a;b\r\n1;2\r\n\r\n3;4", ";")
    assert _rowchecks._is_ragged(b"a;b\n1;2;3\n", ";")
    assert not _rowchecks._is_ragged(b"", ";") and not _rowchecks._is_ragged(b"\r\n\n", ";")
    assert _rowchecks._is_ragged(b"a::b\n1::2::3\n", "::")  # several bytes: the line loop


def _general(text: pd.Series, column: str, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.Series, pd.Series]:
    with monkeypatch.context() as patch:
        patch.setattr(_rowchecks, "_plain_integers", lambda _text: None)
        return _rowchecks.parse_count(text, column)


@pytest.mark.parametrize("seed", range(3))
def test_plain_counts_equal_the_general_parser(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        n = rng.randint(1, 6)
        if rng.random() < 0.5:  # plain digits, up to 20 (beyond int64 from 19)
            values = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))) for _ in range(n)]
        else:  # anything a count column may hold
            values = ["".join(rng.choice("0123456789 -.x") for _ in range(rng.randint(0, 4))) for _ in range(n)]
        text = pd.Series(values, dtype=rng.choice(["str", object]), index=range(7, 7 + n), name=rng.choice([None, "trips"]))
        fast = _rowchecks.parse_count(text, "trips")
        general = _general(text, "trips", monkeypatch)
        pd.testing.assert_series_equal(fast[0], general[0])
        pd.testing.assert_series_equal(fast[1], general[1])


def test_plain_counts_take_the_fast_path() -> None:
    text = pd.Series(["0", "7", "0012"], dtype="str")
    assert _rowchecks._plain_integers(text).tolist() == [0, 7, 12]
    assert _rowchecks._plain_integers(pd.Series(["7", " 7"], dtype="str")) is None
    assert _rowchecks._plain_integers(pd.Series(["7", "7.0"], dtype="str")) is None
