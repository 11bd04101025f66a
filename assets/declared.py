"""Inputs declared once: the same declaration gives Dagster its ``deps`` and is the only
thing the asset may read. A key ``landing.<family>`` declares the landing files of a source
family (:meth:`Reader.landing`); every other key is a lake table.

    INPUTS = Inputs("gold.districts", "silver.road_network")
    @dg.asset(deps=INPUTS.deps, ...)
    def asset(lake: LakeResource):
        districts = INPUTS.reader(lake.lake).read("gold.districts")

An asset that writes several lake tables (``silver.road_network`` writes
``silver.network_nodes`` and ``silver.network_edges``) is declared with them:
``Inputs(..., tables={"silver.road_network": ("silver.network_nodes", "silver.network_edges")})``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines import db
from pipelines.lake import Lake, latest_days, release_memory


class UndeclaredInput(KeyError):
    """An asset tried to read a table it did not declare."""


class Inputs:
    """The upstream assets of one asset, and the lake tables each of them writes."""

    def __init__(self, *keys: str, tables: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.keys = tuple(keys)
        extra = dict(tables or {})
        unknown = set(extra) - set(keys)
        if unknown:
            raise ValueError(f"tables given for undeclared inputs: {sorted(unknown)}")
        self.tables = frozenset(t for k in keys for t in extra.get(k, (k,)))

    @property
    def deps(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(k.split(".")) for k in self.keys]

    def __add__(self, other: Inputs) -> Inputs:
        out = Inputs(*dict.fromkeys(self.keys + other.keys))
        out.tables = self.tables | other.tables
        return out

    def reader(self, lake: Lake) -> Reader:
        """What the asset reads with. An asset's first act: the memory the steps before it
        freed is given back to the system first (:func:`~pipelines.lake.release_memory`), so
        that a step does not start from the high-water mark of the one before."""
        release_memory(force=True)
        return Reader(lake, self.tables)


class Reader:
    """Reads the declared tables of a lake, and nothing else."""

    def __init__(self, lake: Lake, tables: frozenset[str]) -> None:
        self._lake, self._tables = lake, tables

    def _split(self, table: str) -> tuple[str, str]:
        if table not in self._tables:
            raise UndeclaredInput(f"{table} is not a declared input (declared: {', '.join(sorted(self._tables))})")
        layer, name = table.split(".", 1)
        return layer, name

    def read(self, table: str, day: str | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One table (or one day of a daily table); only ``columns``, in that order, when
        given (a table's geometry left unread when the asset needs its attributes only)."""
        return self._lake.read(*self._split(table), day, columns)

    def landing(self, family: str) -> Path:
        """The landing zone, for an asset that declared ``landing.<family>`` (it reads that
        family's files itself, e.g. the street graph of the OSM extract)."""
        self._split(f"landing.{family}")
        return self._lake.landing

    def exists(self, table: str, day: str | None = None) -> bool:
        return self._lake.exists(*self._split(table), day)

    def path(self, table: str, day: str | None = None) -> str:
        """Where a declared table lives (for SQL that reads Parquet by path)."""
        return str(self._lake.table_path(*self._split(table), day))

    def query(self, relation: str, **params: object) -> pd.DataFrame:
        """Run the SQL file of ``relation`` (``sql/<layer>/<name>.sql``) with bound parameters,
        typically :meth:`path` of declared tables, on a connection that reaches the lake
        (object storage included)."""
        con = db.connect(spatial=False, s3=self._lake.remote)
        try:
            return db.query(con, relation, **params)
        finally:
            con.close()

    def days(self, table: str) -> list[str]:
        """The days present in a daily table, sorted."""
        layer, name = self._split(table)
        return self._lake.days(layer, name)

    def read_days(self, table: str, days: list[str] | None = None, *, latest: int | None = None) -> pd.DataFrame:
        """Every day of a daily table, only ``days`` (those that exist), or the days of its
        ``latest`` calendar days up to its newest (e.g. :data:`~pipelines.constants.CURRENT_DAYS`);
        empty without any."""
        layer, name = self._split(table)
        if days is None and latest is None:
            return self._lake.read_days(layer, name)
        if days is None:
            days = latest_days(self._lake.days(layer, name), latest)
        parts = [self._lake.read(layer, name, d) for d in days if self._lake.exists(layer, name, d)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
