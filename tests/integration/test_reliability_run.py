"""Issue 19 end to end: a demo landing zone holding a row of another day (the same sensor-hour as
the next day's file), a row dated years ahead, an empty daily file, a self-intersecting commune
and a daily file that is a symbolic link to a file outside the landing zone runs to the end with
exit code 0, the warnings listed, the rows quarantined with their reasons, every gold table
built, and nothing of the linked file anywhere in the data root."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from assets import cli
from pipelines.demo import generate
from pipelines.lake import Lake

pytestmark = pytest.mark.slow
MARKER = "OUTSIDE-MARKER-7c1e"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, int, str]:
    root = tmp_path_factory.mktemp("hostile")
    landing = root / "landing"
    generate(landing, seed=42, days=3)
    counts = landing / "wifi" / "counts"
    first, second, third = sorted(p.stem for p in counts.glob("*.csv"))
    borrowed = (counts / f"{second}.csv").read_text().splitlines()[1]
    with open(counts / f"{first}.csv", "a", encoding="utf-8") as out:
        out.write(borrowed + "\n")
        out.write(borrowed.split(",")[0] + ",2031-10-12T10:00:00+02:00,40\n")
    (counts / f"{third}.csv").write_bytes(b"")
    communes = landing / "statbel" / "communes.geojson"
    frame = gpd.read_file(communes)
    ring = list(frame.geometry.iloc[0].exterior.coords)[:-1]
    ring[10], ring[len(ring) // 2] = ring[len(ring) // 2], ring[10]
    frame.loc[0, "geometry"] = shapely.Polygon(ring)
    frame.to_file(communes, driver="GeoJSON")
    outside = tmp_path_factory.mktemp("outside") / "secret.csv"
    od_day = landing / "od" / f"{second}.csv"
    header = od_day.read_text().splitlines()[0]
    outside.write_text(header + "\n" + ",".join([MARKER] * len(header.split(","))) + "\n", encoding="utf-8")
    od_day.unlink()
    od_day.symlink_to(outside)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        code = cli.main(["--data", str(root), "run"])
    return Lake(root), code, first


def test_the_run_completes_with_warnings_only(hostile, capsys):
    _lake, code, _first = hostile
    assert code == cli.EXIT_OK


def test_lying_rows_are_quarantined_and_gold_is_built(hostile):
    lake, _code, first = hostile
    quarantine = lake.read_days("bronze", "quarantine/wifi_counts")
    reasons = quarantine["reason"].tolist()
    assert any(r.startswith("timestamp on local day ") and f"not the file's day {first}" in r for r in reasons)
    assert any(r.startswith("implausible timestamp (after the run date + 1 day") for r in reasons)
    assert "empty file" in reasons
    hourly = lake.read_days("gold", "footfall_hourly")
    assert len(hourly) > 0 and not hourly.duplicated(["h3", "ts"]).any()
    cells = lake.read("gold", "h3_cells")
    assert cells["h3"].is_unique
    communes = lake.read("bronze", "statbel_communes")
    assert communes["repaired_area_change"].notna().sum() == 1


def test_a_linked_file_is_refused_and_its_content_is_nowhere(hostile):
    lake, _code, _first = hostile
    refused = lake.read("bronze", "quarantine/landing")
    assert refused["reason"].str.contains("symbolic link refused").any()
    root = lake.root
    for path in root.rglob("*"):
        if path.is_file() and "landing" not in path.relative_to(root).parts:
            assert MARKER.encode() not in path.read_bytes(), path
