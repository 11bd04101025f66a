"""The declared reader: what an asset may read, and the current period of a daily table."""

import pandas as pd
import pytest

from assets.declared import Inputs, UndeclaredInput
from pipelines.lake import Lake


def test_latest_reads_only_the_current_period(tmp_path):
    lake = Lake(tmp_path)
    for day in ("2026-01-01", "2026-02-01", "2026-02-20", "2026-02-28"):
        lake.write(pd.DataFrame({"day": [day]}), "silver", "od_flows", day)
    reader = Inputs("silver.od_flows").reader(lake)
    assert reader.read_days("silver.od_flows", latest=28)["day"].tolist() == ["2026-02-01", "2026-02-20", "2026-02-28"]
    assert len(reader.read_days("silver.od_flows")) == 4
    assert reader.read_days("silver.od_flows", ["2026-02-20", "2030-01-01"])["day"].tolist() == ["2026-02-20"]
    with pytest.raises(UndeclaredInput):
        reader.read_days("silver.transactions", latest=28)
