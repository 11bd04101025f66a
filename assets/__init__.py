"""Dagster asset definitions, one module per layer (= Dagster group)."""

import warnings

import dagster as dg

# The daily assets use a single-run backfill policy on purpose (one run loops over its days);
# Dagster 1.13 marks that parameter beta. Only that warning is silenced, nothing else.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=dg.BetaWarning)
