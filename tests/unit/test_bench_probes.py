"""The probes bench at a tiny size: the old and the streaming readers agree (no timing asserted)."""

from benchmarks import probes as bench_probes


def test_tiny_probes_bench_agrees_and_reports(tmp_path):
    rows = bench_probes.run(3_000, 2_000, tmp_path)
    assert [r["reader"] for r in rows] == ["stream", "old", "stream"]
    for r in rows:
        assert r["rows_in"] == r["rows"] + len(bench_probes.BAD_LINES)
        assert r["accepted"] == r["rows"] and r["quarantined"] == len(bench_probes.BAD_LINES)
        assert r["peak_rss_mb"] >= r["base_mb"] > 0
    assert rows[1]["hash_digest"] == rows[2]["hash_digest"]
    assert bench_probes.markdown(rows).startswith("| reader | rows |")
