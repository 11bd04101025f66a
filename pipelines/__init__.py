"""smartcommerce: open data lake and analytics for town-centre commerce in Wallonia.

The engine (everything under ``pipelines`` except ``definitions``, ``resources``,
``automation``, ``partitions`` and ``checks``) never imports Dagster, so every method can be
used from a notebook or a test without an orchestrator.
"""

__version__ = "0.1.0"
