"""Assemble the friction indicators from frames, in two steps that a nightly refresh can split.

:func:`build_static` computes what does not depend on the day: the routing matrices
(:mod:`pipelines.friction.matrices`), the public-transport service, the static columns of
the per-cell layer, the per-stop layer and the rows of the static families. It reads no daily
table. :func:`build_daily` takes those static rows and cells with the daily tables (OD flows,
transactions, footfall) and returns the three gold tables (``commune_indicators``,
``friction_cells``; ``friction_stops`` comes from the static step) with the figures the asset
checks need (:mod:`pipelines.friction.checks`). :func:`build` runs both (a notebook, the
tests). No Dagster and no lake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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
class StaticResult:
    """What does not depend on the day (``gold.friction_static``, ``gold.friction_static_cells``
    and ``gold.friction_stops``) and what its checks need."""

    rows: pd.DataFrame
    """The static families' rows: ``nis, district_id, indicator, value, reference``."""
    cells: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    two_step: dict[str, TwoStepResult]
    service_date: dt.date | None


@dataclass
class FrictionResult:
    """The gold tables and what the checks need (``stops``, ``two_step`` and
    ``service_date`` only when the static step ran in the same call)."""

    indicators: pd.DataFrame
    support: pd.DataFrame
    """nis, district_id, indicator, support: people behind each privacy-sensitive figure."""
    cells: gpd.GeoDataFrame
    footfall_source: str
    stops: gpd.GeoDataFrame | None = None
    two_step: dict[str, TwoStepResult] = field(default_factory=dict)
    service_date: dt.date | None = None


STATIC_COLUMNS = ("nis", "district_id", "indicator", "value", "reference")
"""Columns of the static rows (``gold.friction_static``)."""


def _run(ctx: Context, step: str) -> list[pd.DataFrame]:
    """The rows of every family's ``static`` or ``daily`` step."""
    steps = [getattr(family, step) for family in FAMILIES]
    return [part for compute in steps if compute is not None for part in compute(ctx)]


def build_static(inputs: FrictionInputs) -> StaticResult:
    """The day-independent part: matrices, service, static cell and stop layers, static rows.

    ``inputs`` needs no daily table (OD flows, transactions, footfall may be empty frames).
    """
    prepared = prepare(inputs)
    places = territory_places(prepared)
    net = network(prepared, places)
    service = transit.service(prepared, net)
    cells = static_cells(prepared, net, service)
    ctx = Context(prepared, places, pd.DataFrame(cells.drop(columns="geometry")), 0, net=net, service=service)
    parts = _run(ctx, "static")
    rows = pd.concat(parts, ignore_index=True)[list(STATIC_COLUMNS)] if parts else pd.DataFrame(columns=STATIC_COLUMNS)
    return StaticResult(
        rows=rows.astype({"nis": "string", "district_id": "string", "indicator": "string", "reference": "string"}),
        cells=cells,
        stops=stop_layer(prepared.stops, service),
        two_step=net.two_step,
        service_date=service.day,
    )


def assemble(
    parts: Iterable[pd.DataFrame], held: Iterable[str], computed_at: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The families' rows into ``gold.commune_indicators`` (needs applied) and the support of
    the privacy-sensitive figures (``nis, district_id, indicator, support``)."""
    parts = list(parts)
    support = pd.concat(
        [p[[*KEYS, "support"]] for p in parts if "support" in p.columns]
        or [pd.DataFrame(columns=[*KEYS, "support"])],
        ignore_index=True,
    )
    table = indicator_table([p.drop(columns="support", errors="ignore") for p in parts], computed_at)
    support = support.astype({"nis": "string", "district_id": "string", "indicator": "string"})
    return apply_needs(table, held), support


def build_daily(
    inputs: FrictionInputs,
    static_rows: pd.DataFrame,
    static_cells: gpd.GeoDataFrame,
    *,
    k: int = SUPPRESSION_K,
    computed_at: pd.Timestamp | None = None,
) -> FrictionResult:
    """The day-dependent families (congestion, flows, customer origin, weekend hours) with the
    static rows and cells of :func:`build_static`: ``gold.commune_indicators`` and
    ``gold.friction_cells``. ``inputs`` needs no routing table (network, stops, GTFS, car
    parks, attractions, register may be empty frames)."""
    computed_at = computed_at or pd.Timestamp.now(tz="UTC")
    prepared = prepare(inputs)
    cells, source = with_footfall(static_cells, inputs.footfall_estimated, k=k)
    ctx = Context(prepared, territory_places(prepared), cells, k, source, static_rows=static_rows)
    indicators, support = assemble([static_rows, *_run(ctx, "daily")], inputs.held, computed_at)
    return FrictionResult(indicators=indicators, support=support, cells=cells, footfall_source=source)


def build(
    inputs: FrictionInputs,
    *,
    k: int = SUPPRESSION_K,
    computed_at: pd.Timestamp | None = None,
) -> FrictionResult:
    """Compute the ten friction indicator families and the per-cell and per-stop layers:
    :func:`build_static` then :func:`build_daily` on the same inputs.

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
    static = build_static(inputs)
    result = build_daily(inputs, static.rows, static.cells, k=k, computed_at=computed_at)
    return replace(result, stops=static.stops, two_step=static.two_step, service_date=static.service_date)
