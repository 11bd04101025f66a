"""Dagster asset definitions, one module per layer (= Dagster group)."""

import warnings

import dagster as dg

# single-run backfill policies and asset checks are marked beta/preview in Dagster 1.13
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
