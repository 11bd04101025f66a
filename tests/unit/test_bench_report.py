"""docs/performance.md is written by several benches: each replaces its own section only."""

from pathlib import Path

from benchmarks.report import replace_section


def test_each_bench_replaces_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nhand-written intro\n", encoding="utf-8")
    replace_section(doc, "ingestion", "## Ingestion\n\nfirst")
    replace_section(doc, "public transport", "## Transit\n\nonly")
    replace_section(doc, "ingestion", "## Ingestion\n\nsecond")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\nhand-written intro\n")
    assert "first" not in text and text.count("second") == 1 and text.count("only") == 1
    assert text.index("second") < text.index("only")  # a replaced section keeps its place
    assert text.count("- date: ") == 2  # each section says when and where it was measured


def test_pipeline_targets_say_met_or_not() -> None:
    from benchmarks.report import _target_lines

    run = {"communes": 262, "days": 2, "materialise_s": 200.0, "peak_mb": 1500.0, "nightly_s": 20.0}
    small = dict(run, communes=50)
    lines = _target_lines([small, run, dict(run, communes=581, materialise_s=500.0, peak_mb=5000.0)])
    assert len(lines) == 2  # 50 communes has no target
    assert "full build 200 s (target <= 180: **not met**)" in lines[0]
    assert "peak RSS 1.46 GiB (target <= 2: met)" in lines[0] and "nightly refresh of one day 20 s (target <= 30: met)" in lines[0]
    assert "full build 500 s (target <= 600: met)" in lines[1] and "4.88 GiB (target <= 4: **not met**)" in lines[1]
    assert "nightly" not in lines[1]
