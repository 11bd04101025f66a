"""A year of history (issue 21): one commune generated over 400 days ending before today, run
to the end as one run over the range; the footfall of the latest four weeks is compared with
the same weeks a year earlier (``footfall_yoy_change``, the Canvas trend of daily footfall)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assets import cli
from pipelines.demo import generate
from pipelines.lake import Lake

pytestmark = pytest.mark.slow
DAYS = 400


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, int]:
    root = tmp_path_factory.mktemp("history")
    start = date.today() - timedelta(days=DAYS + 7)
    generate(root / "landing", seed=7, communes=1, start=start, days=DAYS)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        code = cli.main(["--data", str(root), "run"])
    return Lake(root), code


def test_a_year_of_days_runs_as_one_run(history):
    lake, code = history
    assert code == cli.EXIT_OK
    assert len(lake.days("silver", "sensor_counts")) == DAYS


def test_year_on_year_change_is_computed_and_is_the_canvas_trend(history):
    lake, _code = history
    profile = lake.read("gold", "footfall_profile")
    commune = profile[profile["level"] == "commune"].iloc[0]
    assert commune["yoy_hours"] > 0 and -1 < commune["yoy_change"] < 1, commune["yoy_reason"]
    canvas = lake.read("gold", "canvas").set_index("indicator")
    assert canvas.loc["footfall_daily", "trend"] == pytest.approx(commune["yoy_change"])
