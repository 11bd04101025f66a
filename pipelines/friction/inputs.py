"""What the friction engine computes from: typed frames, not a lake.

:class:`FrictionInputs` holds one frame per upstream table (the friction asset reads
exactly these, and declares them as its Dagster deps) and the set of source families the
commune holds. :func:`prepare` attaches shopping districts to the points;
:class:`Prepared` and :class:`Network` are what the indicator modules share. Every table
is present, possibly empty: :func:`typed` gives an empty frame the columns the engine
reads, so that the indicators decide from the data, never from which files exist.

:class:`Places` (the districts indicators are given for), :class:`Service` (the public
transport of the service day) and :class:`Context` (what a family's rows are computed from)
are shared by the families. This module imports only :mod:`pipelines.friction.spec` (no
import circle).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.accessibility import TwoStepResult
from pipelines.constants import CRS_WGS84
from pipelines.districts import CONTAINMENT, assign_districts
from pipelines.friction import od
from pipelines.friction.spec import SOURCE_FAMILIES
from pipelines.sparse_times import SparseTimes

COLUMNS: dict[str, dict[str, str]] = {
    "communes": {"nis": "string"},
    "cells": {"h3": "uint64", "nis": "string", "population": "float64", "shops": "int64",
              "establishments": "int64"},
    "districts": {"district_id": "string", "nis": "string", "n_shops": "int64"},
    "shops": {"shop_id": "string", "h3": "uint64", "nis": "string", "source": "string",
              "website": "string", "opening_hours": "string"},
    "parking": {"h3": "uint64", "capacity": "float64"},
    "tourism": {"h3": "uint64"},
    "stops": {"feed_id": "string", "stop_id": "string", "stop_name": "string", "nis": "string",
              "n_stop_times": "int64"},
    "departures": {"feed_id": "string", "stop_id": "string", "trip_id": "string",
                   "route_type": "int64", "service_id": "string", "departure_s": "int64"},
    "service_dates": {"feed_id": "string", "service_id": "string", "date": "datetime64[ns]"},
    "nodes": {"node_id": "int64", "mode": "string"},
    "edges": {"u": "int64", "v": "int64", "mode": "string", "highway": "string"},
    "vacant_cells": {"nis": "string", "observed_on": "datetime64[ns]", "status": "string"},
    "od_flows": {"ts": "datetime64[ns, UTC]", "origin_nis": "string",
                 "destination_sector": "string", "trips": "float64"},
    "transactions": {"merchant_id": "string", "merchant_nis": "string",
                     "customer_sector": "string", "customer_postcode": "string"},
    "merchants": {"merchant_id": "string"},
    "sectors": {"sector_id": "string", "nis": "string"},
    "footfall_estimated": {"h3": "uint64", "footfall_daily": "float64"},
    "footfall_hourly": {"h3": "uint64", "ts": "datetime64[ns, UTC]", "footfall": "float64"},
}  # fmt: skip
"""Columns the engine reads in each input frame, with the dtype an empty frame gets."""

GEOMETRY_INPUTS = frozenset(
    {"cells", "districts", "shops", "parking", "tourism", "stops", "nodes", "edges",
     "vacant_cells", "merchants", "sectors"}
)  # fmt: skip
"""Inputs that are GeoDataFrames (EPSG:4326 in the lake)."""


def typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with every column of :data:`COLUMNS` ``[name]`` it lacks, typed.

    A missing source gives an empty table whose columns may be absent (e.g. a daily table
    with no partition); the engine then reads empty typed columns. Existing columns are left
    as they are. Geometry inputs come back as GeoDataFrames in EPSG:4326.

    Raises
    ------
    ValueError
        If a frame with rows lacks a column the engine reads.
    """
    out = frame.copy()
    absent = [c for c in COLUMNS[name] if c not in out.columns]
    if absent and len(out):
        raise ValueError(
            f"friction input {name!r} has {len(out)} rows but lacks the columns {absent}; "
            f"expected at least {list(COLUMNS[name])}"
        )
    for column in absent:
        out[column] = pd.Series([], dtype=COLUMNS[name][column])
    if name in GEOMETRY_INPUTS and not isinstance(out, gpd.GeoDataFrame):
        if "geometry" not in out.columns:
            out["geometry"] = gpd.GeoSeries([], crs=CRS_WGS84)
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=CRS_WGS84)
    return out


@dataclass(frozen=True)
class FrictionInputs:
    """Every table the friction indicators read, as frames (one field per upstream table).

    Attributes
    ----------
    communes : silver.communes (``nis``).
    cells : gold.h3_cells (``h3, nis, population, shops, establishments, geometry``).
    districts : gold.districts (``district_id, nis, n_shops, geometry``).
    shops, parking, tourism, stops : silver point tables.
    departures, service_dates : silver GTFS tables.
    nodes, edges : silver.network_nodes / silver.network_edges (all modes).
    vacant_cells, merchants, sectors : silver tables.
    od_flows, transactions : silver daily tables, every day.
    footfall_estimated : gold.footfall_estimated (``h3, footfall_daily``).
    footfall_hourly : gold.footfall_hourly, every day (``h3, ts, footfall``).
    held : the source families the commune holds (:data:`SOURCE_FAMILIES`); an
        indicator needing a family outside it is ``not_computable``.
    """

    communes: pd.DataFrame
    cells: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    shops: gpd.GeoDataFrame
    parking: gpd.GeoDataFrame
    tourism: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    departures: pd.DataFrame
    service_dates: pd.DataFrame
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    vacant_cells: gpd.GeoDataFrame
    od_flows: pd.DataFrame
    transactions: pd.DataFrame
    merchants: gpd.GeoDataFrame
    sectors: gpd.GeoDataFrame
    footfall_estimated: pd.DataFrame
    footfall_hourly: pd.DataFrame
    held: frozenset[str] = frozenset(SOURCE_FAMILIES)

    def __post_init__(self) -> None:
        unknown = set(self.held) - set(SOURCE_FAMILIES)
        if unknown:
            raise ValueError(
                f"held source families must be among {SOURCE_FAMILIES}; found {sorted(unknown)}"
            )
        for f in fields(self):
            if f.name != "held":
                object.__setattr__(self, f.name, typed(getattr(self, f.name), f.name))

    @classmethod
    def from_frames(
        cls, frames: Mapping[str, pd.DataFrame], held: frozenset[str] | None = None
    ) -> FrictionInputs:
        """Inputs from a name -> frame mapping; absent names become empty typed frames."""
        names = [f.name for f in fields(cls) if f.name != "held"]
        unknown = set(frames) - set(names)
        if unknown:
            raise ValueError(f"unknown friction inputs {sorted(unknown)}; expected {names}")
        values = {n: frames.get(n, pd.DataFrame()) for n in names}
        return cls(**values, held=frozenset(SOURCE_FAMILIES) if held is None else held)


@dataclass
class Prepared:
    """The inputs with ``district_id`` attached to the points, and the workplaces per cell."""

    cells: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    shops: gpd.GeoDataFrame
    parking: gpd.GeoDataFrame
    tourism: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    merchants: gpd.GeoDataFrame
    vacant_cells: gpd.GeoDataFrame
    workplaces: np.ndarray
    communes: np.ndarray
    frames: FrictionInputs = field(repr=False)


def territory_communes(inputs: FrictionInputs) -> np.ndarray:
    """NIS codes of the communes of the territory (silver.communes and gold.h3_cells), sorted."""
    codes = set(inputs.communes["nis"].dropna().astype(str))
    codes |= set(inputs.cells["nis"].dropna().astype(str))
    return np.array(sorted(codes), dtype=object)


def territory_districts(districts: gpd.GeoDataFrame, communes: np.ndarray) -> gpd.GeoDataFrame:
    """The districts whose commune is one of ``communes``.

    A district made of shops outside every commune boundary (their ``nis`` is unknown, e.g.
    KBO addresses just across the territory's edge) has no commune to report to and no H3
    cell of the territory: the friction indicators leave it out (the asset reports it).
    """
    keep = districts["nis"].astype("string").isin(set(communes)).fillna(False).to_numpy()
    return districts[keep]


def prepare(inputs: FrictionInputs) -> Prepared:
    """Attach districts to shops, stops, car parks, attractions, register cells and voucher
    merchants: strict containment (a merchant belongs to a district when it is one of its
    shops; docs/methods.md, "Which points belong to a district")."""
    communes = territory_communes(inputs)
    districts = territory_districts(inputs.districts, communes)
    points = {}
    for name in ("shops", "parking", "tourism", "stops", "vacant_cells", "merchants"):
        frame = getattr(inputs, name).copy()
        frame["district_id"] = assign_districts(frame, districts, policy=CONTAINMENT).to_numpy()
        points[name] = frame
    cells = inputs.cells
    workplaces = pd.to_numeric(cells["establishments"], errors="coerce").fillna(0).to_numpy(float)
    return Prepared(
        cells=cells,
        districts=districts,
        workplaces=workplaces,
        communes=communes,
        frames=inputs,
        **points,
    )


@dataclass
class Network:
    """Travel times (seconds, sparse: absent = beyond the cutoff) and their district
    aggregates, shared by several indicators."""

    supply_cells: np.ndarray
    supply: np.ndarray
    district_ids: np.ndarray
    district_nis: np.ndarray
    to_district: dict[str, SparseTimes]
    nearest_district_s: dict[str, np.ndarray]
    """Per mode, seconds from every cell to its nearest district (inf beyond the cap)."""
    from_district_bike: SparseTimes
    two_step: dict[str, TwoStepResult]
    walk_to_cells: dict[str, SparseTimes]
    walk_to_shops: dict[str, SparseTimes]


@dataclass(frozen=True)
class Places:
    """The shopping districts the indicators are given for: those of the territory holding
    a shop in one of its H3 cells (sorted ids) and the commune of each."""

    district_ids: np.ndarray
    district_nis: np.ndarray


def territory_places(inputs: Prepared) -> Places:
    """:class:`Places` of the prepared inputs (no routing)."""
    shops = inputs.shops.dropna(subset=["district_id"])
    inside = shops[shops["h3"].isin(set(inputs.cells["h3"]))]
    ids = np.array(sorted(set(inside["district_id"].tolist())), dtype=object).astype(str)
    nis = inputs.districts.set_index("district_id")["nis"].astype("string")
    return Places(district_ids=ids, district_nis=nis.reindex(ids).to_numpy())


@dataclass(frozen=True)
class Service:
    """Public transport on the service day: per-stop frequencies, per-cell coverage, the
    window departures and the day (None when no service runs on a weekday)."""

    per_stop: pd.DataFrame
    coverage: pd.DataFrame
    timed: pd.DataFrame
    day: dt.date | None


@dataclass
class Context:
    """What a family computes its rows from: the prepared inputs, the districts, the cell
    layer (``gold.friction_cells`` columns, without geometry), the privacy threshold, and,
    for the static families, the travel times and the public-transport service."""

    inputs: Prepared
    places: Places
    cells: pd.DataFrame
    k: int
    footfall_source: str = ""
    net: Network | None = None
    service: Service | None = None
    static_rows: pd.DataFrame | None = None
    """The static families' rows, for a daily family that reads one (congestion: capacity)."""

    @property
    def communes(self) -> np.ndarray:
        return self.inputs.communes

    @cached_property
    def od_inflow(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """:func:`pipelines.friction.od.inflows` of the territory (computed once)."""
        frames, places = self.inputs.frames, self.places
        nis = pd.Series(places.district_nis, index=places.district_ids)
        return od.inflows(frames.od_flows, frames.sectors, self.inputs.districts, nis)

    @cached_property
    def district_nis(self) -> dict[str, str]:
        """Commune of every district of the territory."""
        return self.inputs.districts.set_index("district_id")["nis"].astype(str).to_dict()

    def static_values(self, code: str) -> dict[tuple[str, str | None], float]:
        """(nis, district_id or None) -> value of static indicator ``code`` (:attr:`static_rows`)."""
        if self.static_rows is None:
            raise ValueError(f"this friction context has no static rows; {code} is read from them")
        rows = self.static_rows[self.static_rows["indicator"] == code]
        district = [None if pd.isna(d) else str(d) for d in rows["district_id"]]
        return dict(zip(zip(rows["nis"].astype(str), district, strict=True), rows["value"].astype(float), strict=True))

    def network(self) -> Network:
        """The travel times (a static family asks; a day-only context has none)."""
        if self.net is None:
            raise ValueError("this friction context has no travel times; a static family needs them")
        return self.net

    def transit(self) -> Service:
        """The public-transport service (static families only)."""
        if self.service is None:
            raise ValueError("this friction context has no public-transport service")
        return self.service
