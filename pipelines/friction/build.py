"""Assemble the friction indicators from frames: the one engine function of the gold asset.

:func:`build` takes a :class:`~pipelines.friction.inputs.FrictionInputs` (one frame per
upstream table and the source families held), computes the routing matrices
(:mod:`pipelines.friction.matrices`), the public-transport service and the per-cell layer,
runs every family of :mod:`pipelines.friction.catalogue` and returns the three gold tables
(``commune_indicators``, ``friction_cells``, ``friction_stops``) with the figures the asset
checks need (:mod:`pipelines.friction.checks`). No Dagster and no lake: a notebook can call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from pipelines.accessibility import TwoStepResult
from pipelines.constants import SUPPRESSION_K
from pipelines.friction.catalogue import FAMILIES
from pipelines.friction.families import transit
from pipelines.friction.inputs import Context, FrictionInputs, prepare, territory_places
from pipelines.friction.layers import static_cells, stop_layer, with_footfall
from pipelines.friction.matrices import network
from pipelines.friction.table import KEYS, apply_needs, indicator_table


@dataclass
class FrictionResult:
    """The three gold tables and what the checks need."""

    indicators: pd.DataFrame
    support: pd.DataFrame
    """nis, district_id, indicator, support: people behind each privacy-sensitive figure."""
    cells: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    two_step: dict[str, TwoStepResult]
    service_date: dt.date | None
    footfall_source: str


def assemble(
    parts: Iterable[pd.DataFrame], held: Iterable[str], computed_at: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The families' rows into ``gold.commune_indicators`` (needs applied) and the support of
    the privacy-sensitive figures (``nis, district_id, indicator, support``)."""
    parts = list(parts)
    support = pd.concat(
        [p[[*KEYS, "support"]] for p in parts if "support" in p.columns], ignore_index=True
    )
    table = indicator_table([p.drop(columns="support", errors="ignore") for p in parts], computed_at)
    support = support.astype({"nis": "string", "district_id": "string", "indicator": "string"})
    return apply_needs(table, held), support


def build(
    inputs: FrictionInputs,
    *,
    k: int = SUPPRESSION_K,
    computed_at: pd.Timestamp | None = None,
) -> FrictionResult:
    """Compute the ten friction indicator families and the per-cell and per-stop layers.

    Parameters
    ----------
    inputs : FrictionInputs
        Every upstream table as a frame, and the source families the commune holds.
    k : int
        Privacy threshold: figures from fewer than k customers, trips or devices are
        suppressed (NaN, status ``suppressed``).
    computed_at : pandas.Timestamp, optional
        Timestamp written in every row (default: now, UTC).

    Returns
    -------
    FrictionResult
        ``indicators`` has one row per commune / district and indicator with ``status``
        (``computed``, ``not_computable``: a needed source family is not held, listed in
        ``needs``; ``suppressed``: fewer than k people) and a null value unless computed.
    """
    computed_at = computed_at or pd.Timestamp.now(tz="UTC")
    prepared = prepare(inputs)
    places = territory_places(prepared)
    net = network(prepared, places)
    service = transit.service(prepared, net)
    cells, source = with_footfall(
        static_cells(prepared, net, service), inputs.footfall_estimated, k=k
    )
    ctx = Context(prepared, places, cells, k, source, net=net, service=service)
    parts = [
        part
        for family in FAMILIES
        for compute in (family.static, family.daily)
        if compute is not None
        for part in compute(ctx)
    ]
    indicators, support = assemble(parts, inputs.held, computed_at)
    return FrictionResult(
        indicators=indicators,
        support=support,
        cells=cells,
        stops=stop_layer(prepared.stops, service),
        two_step=net.two_step,
        service_date=service.day,
        footfall_source=source,
    )
