"""Dagster asset definitions, one module per layer (= Dagster group)."""
