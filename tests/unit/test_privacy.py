"""Small-count suppression: blanking, the proof of no violation, threshold validation."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.errors import ConfigError
from pipelines.privacy import below_k, check_k, suppress, violations


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": ["a", "b", "c", "d"],
            "devices": [25, 9, 10, None],
            "footfall": [60.5, 21.0, 24.0, 3.0],
            "visits": [40, 12, 15, 2],
        }
    )


def test_rows_below_k_are_blanked_and_flagged(table: pd.DataFrame) -> None:
    out = suppress(table, "devices", 10, ["footfall", "visits"])
    assert out["suppressed"].tolist() == [False, True, False, True]
    # 10 devices is enough (fewer than k is suppressed, k itself is not)
    assert out.loc[2, "footfall"] == 24.0 and out.loc[2, "devices"] == 10
    assert out.loc[1, ["devices", "footfall", "visits"]].isna().all()
    assert out.loc[3, ["footfall", "visits"]].isna().all()  # missing basis: never published
    assert out["visits"].dtype == "Int64"  # integer figures stay typed
    assert out["area"].tolist() == ["a", "b", "c", "d"]  # keys untouched, no row lost
    assert table.loc[1, "footfall"] == 21.0  # the input is not modified


def test_suppressed_table_has_no_violation_and_raw_table_has_two(table: pd.DataFrame) -> None:
    assert violations(table, "devices", 10, ["footfall"]).index.tolist() == [1, 3]
    out = suppress(table, "devices", 10, ["footfall", "visits"])
    assert violations(out, "devices", 10, ["footfall", "visits"]).empty


def test_a_figure_left_visible_is_caught(table: pd.DataFrame) -> None:
    out = suppress(table, "devices", 10, ["footfall"])  # visits forgotten
    assert violations(out, "devices", 10, ["footfall", "visits"]).index.tolist() == [1, 3]


def test_existing_flag_is_combined(table: pd.DataFrame) -> None:
    table["suppressed"] = [True, False, False, False]
    out = suppress(table, "devices", 10, ["footfall"])
    assert out["suppressed"].tolist() == [True, True, False, True]


def test_threshold_one_suppresses_only_missing(table: pd.DataFrame) -> None:
    assert below_k(table["devices"], 1).tolist() == [False, False, False, True]


@pytest.mark.parametrize("k", [0, -3, 2.5, True, "10"])
def test_bad_threshold(k: object) -> None:
    with pytest.raises(ConfigError, match="suppression k"):
        check_k(k)  # type: ignore[arg-type]


def test_unknown_column_names_the_columns(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"\['people'\]"):
        suppress(table, "people", 10, ["footfall"])
    with pytest.raises(ValueError, match="not in the table"):
        violations(table, "devices", 10, ["dwell"])
