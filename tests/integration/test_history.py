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


def test_the_profile_reads_the_current_period_and_the_same_weeks_a_year_before(history):
    """The nightly profile reads 28 days and their year-earlier weeks, not the whole history:
    its year-on-year change equals the one computed over every day of the site-hours."""
    from pipelines.constants import CURRENT_DAYS
    from pipelines.footfall import profile as fp
    from pipelines.footfall.hourly import area_hours

    lake, _code = history
    by = fp.LEVELS["commune"]
    everything = fp.year_on_year(area_hours(lake.read_days("gold", "footfall_site_hours"), by), by).iloc[0]
    commune = lake.read("gold", "footfall_profile").query("level == 'commune'").iloc[0]
    assert commune["yoy_hours"] == everything["yoy_hours"] > 0
    assert commune["yoy_change"] == pytest.approx(everything["yoy_change"], rel=1e-12)
    assert commune["n_days"] <= CURRENT_DAYS
