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
