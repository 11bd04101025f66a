"""Canonical names shared by every module: CRS, H3 resolution, time zone, column names."""

from __future__ import annotations

CRS_WGS84 = "EPSG:4326"
"""Storage CRS of every geometry in the lake and the exports."""

CRS_METRIC = "EPSG:31370"
"""Belgian Lambert 72: distances and areas are computed here."""

H3_RESOLUTION = 9
"""Base H3 resolution of the ``h3`` column (about 0.1 km2 per cell)."""

H3_ROLLUPS = (8, 7)
"""Coarser resolutions materialised as ``h3_r8`` / ``h3_r7`` where useful."""

TIMEZONE = "Europe/Brussels"

SHOPPING_HOURS = (9, 19)
"""Local hours [09:00, 19:00) of a shopping trip: the OD trips counted in catchments and
in the friction origin share."""

H3_COLUMN = "h3"
GEOMETRY_COLUMN = "geometry"
NIS_COLUMN = "nis"

QUARANTINE_COLUMNS = ("source", "source_file", "row_number", "reason", "raw")
"""Columns of every quarantine table: which source, which file, which 1-based data row
(header excluded; for XML/GeoJSON the feature index), why it was rejected, and the raw
record as text."""

CURRENT_DAYS = 28
"""The current period: the latest 28 days of a daily table (four whole weeks, the window
``footfall_yoy_change`` compares with a year earlier). The figures that describe the present
(customer origins, Huff calibration, revealed catchment, the day-dependent friction
indicators) read it, not the whole history: a nightly refresh costs the same after a week or
after three years, and the history serves the trends."""

SUPPRESSION_K = 10
"""Default k: a figure from fewer than k devices or customers is suppressed in gold/exports."""

SHOP_CATEGORIES = (
    "food",
    "fashion",
    "health_beauty",
    "household",
    "culture_leisure",
    "other_retail",
    "horeca",
    "personal_services",
)
"""Commerce categories of ``geodata/nace_categories.csv`` (``other`` = non-commercial)."""

PSEUDONYM_KEY_ENV = "SMARTCOMMERCE_PSEUDONYM_KEY"
"""Environment variable holding the secret key of the keyed hash applied to device ids."""

DEMO_PSEUDONYM_KEY = "demo-key-change-me"
"""The built-in key: accepted only for the generated demo territory, never in production."""

DEMO_MARKER = "_truth/demo_truth.json"
"""File the demo generator writes in the landing zone; its presence marks a generated territory."""
