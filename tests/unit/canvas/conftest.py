"""Fixtures of the Canvas tests (defined in canvas_support, shared with the test modules)."""

from canvas_support import catalogue, cells, communes, districts, indicator_values  # noqa: F401
