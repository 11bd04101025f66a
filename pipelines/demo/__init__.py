"""The embedded demo territory: ten fictional Walloon communes in the real landing formats.

``generate(landing)`` writes every landing format of ``docs/data-contracts.md`` (Statbel
GeoJSON, OSM XML, GTFS, KBO, WiFi, counters, OD, vouchers, vacant cells) for a fictional
territory whose truths (Huff beta, WiFi detection rates, vacancy trends, injected defects)
are documented in ``docs/demo-territory.md`` and in ``landing/_truth/demo_truth.json``.
"""

from pipelines.demo.generator import generate

__all__ = ["generate"]
