"""Benchmarks written to docs/performance.md by ``make bench`` (each side by side with its peer)."""
