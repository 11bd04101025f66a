"""The ingestion bench at a tiny scale: ours and the pandas loop agree (no timing asserted)."""

from benchmarks import ingest as bench_ingest


def test_tiny_bench_agrees_and_reports(tmp_path):
    rows = bench_ingest.run(tmp_path, scale=1, records_per_scale=2_000, isolate=False)
    assert [r["source"] for r in rows] == list(bench_ingest.SOURCES)
    for r in rows:
        assert r["records"] == r["accepted"] + r["quarantined"]
        assert r["accepted"] > 0 and r["quarantined"] >= 5  # the bad rows added to the input
        for key in ("records", "ours_s", "ours_rps", "loop_s", "loop_rps", "ratio"):
            assert r[key] > 0, (r["source"], key)
    text = bench_ingest.markdown(rows)
    assert text.startswith("## Ingestion throughput")
    assert "| source | records | ours (s) | ours (records/s) | pandas loop (s)" in text
    assert "1.5 M records/s" in text
