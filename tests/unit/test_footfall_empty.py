"""A commune without WiFi sensors or counters: every footfall step succeeds, empty and typed,
says it was not computable and what it needs; every commune still has a profile row.

Tiny hand-made frames: two communes, no sensor, no count.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from pipelines.footfall import build
from pipelines.footfall.profile import NO_SENSOR

K = 10


def _no_sensors() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "sensor_id": pd.Series(dtype="string"),
            "kind": pd.Series(dtype="string"),
            "installed_on": pd.Series(dtype="object"),
            "nis": pd.Series(dtype="string"),
            "h3": pd.Series(dtype="uint64"),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def _communes() -> pd.DataFrame:
    return pd.DataFrame({"nis": ["92094", "92140"], "name_fr": ["Namur", "Sambreville"]})


def test_no_bronze_file_gives_typed_empty_sensor_counts() -> None:
    frame = build.sensor_counts(None, None)
    assert frame.empty
    assert list(frame.columns) == ["sensor_id", "ts", "day", "count", "n_intervals", "complete", "source"]
    assert str(frame["count"].dtype) == "Int64" and str(frame["ts"].dtype).startswith("datetime64")


def test_calibration_without_sensors_is_empty_and_not_computable() -> None:
    result = build.calibration(_no_sensors(), pd.DataFrame())  # no sensor_counts partition at all
    assert result.frame.empty and "factor" in result.frame.columns
    assert result.metadata["status"] == "not_computable" and "wifi" in result.metadata["needs"]
    assert all(c.passed for c in result.checks)


def test_a_day_without_counts_has_nothing_to_do() -> None:
    site_hours, cells = build.hourly(pd.DataFrame(), _no_sensors(), pd.DataFrame(), K)
    assert site_hours.frame.empty and cells.frame.empty
    assert cells.metadata["days_written"] == 0 and cells.metadata["status"] == build.IDLE
    names = {c.name for c in cells.checks}
    assert names == {"counts_non_negative", "unique_sensor_hour", "day_coverage", "source_freshness", "k_suppressed"}
    assert all(c.passed for c in cells.checks)


def test_profile_without_site_hours_says_so_for_every_commune() -> None:
    profile, curve = build.profile(pd.DataFrame(), _communes(), K)
    rows = profile.frame
    assert sorted(rows["nis"]) == ["92094", "92140"] and (rows["level"] == "commune").all()
    assert (rows["note"] == NO_SENSOR).all() and rows["footfall_daily"].isna().all()
    assert rows["commune"].tolist() == ["Namur", "Sambreville"]
    assert not rows["suppressed"].any()  # nothing measured, nothing hidden
    assert curve.frame.empty
    assert profile.metadata["status"] == "not_computable"
    assert all(c.passed for c in profile.checks + curve.checks)


def test_estimates_and_layer_without_sites_are_empty_never_imputed() -> None:
    profile, _ = build.profile(pd.DataFrame(), _communes(), K)
    cells = pd.DataFrame({"h3": pd.Series([1, 2], dtype="uint64"), "nis": ["92094", "92140"]})
    empty = pd.DataFrame()
    estimated = build.estimated(cells, empty, empty, empty, _no_sensors(), profile.frame)
    assert estimated.frame.empty and list(estimated.frame.columns) == list(build.ESTIMATE_TYPES)
    assert estimated.metadata["status"] == "not_computable" and estimated.metadata["training_sites"] == 0
    assert all(c.passed for c in estimated.checks)
    layer = build.layer(estimated.frame, profile.frame, _communes(), K)
    assert layer.frame.empty and isinstance(layer.frame, gpd.GeoDataFrame)
    assert layer.metadata["status"] == "not_computable"
    assert all(c.passed for c in layer.checks)
