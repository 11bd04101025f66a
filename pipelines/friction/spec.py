"""How a friction indicator is declared: :class:`Indicator` (code, number, units, needs,
names, method) and :class:`Family` (one indicator family: its indicators and the function
that computes their rows).

Each module of :mod:`pipelines.friction.families` declares its indicators once with these
types; :mod:`pipelines.friction.catalogue` collects them into the one catalogue that
``gold.commune_indicators`` and the Canvas (:mod:`pipelines.canvas.catalogue`) read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pipelines.availability import FAMILIES

__all__ = ["SOURCE_FAMILIES", "UNIT_FR", "Family", "Indicator", "needs_text", "parse_needs"]

SOURCE_FAMILIES = tuple(FAMILIES)
"""Canonical source families (:data:`pipelines.availability.FAMILIES`, the ``source``
column of ``bronze.source_status``), in report order."""

UNIT_FR: dict[str, str] = {
    "%": "%",
    "trips/h": "passages/h",
    "stops": "arrêts",
    "inhabitants": "habitants",
    "shops per 1,000 inhabitants": "commerces pour 1 000 hab.",
    "places": "places",
    "places/shop": "places/commerce",
    "places per 1,000 inhabitants": "places pour 1 000 hab.",
    "car parks": "parkings",
    "vehicles/h": "véhicules/h",
    "ratio": "ratio",
    "hour": "heure",
    "cells": "cellules",
    "percentage points/year": "points de % par an",
    "attractions": "attraits",
    "establishments": "établissements",
}
"""The French unit of each unit of ``gold.commune_indicators`` (the Canvas and its report)."""


def parse_needs(text: str) -> tuple[tuple[str, ...], ...]:
    """``"gtfs+osm"`` -> ``(("gtfs",), ("osm",))``; ``"wifi|counters"`` -> one group of two.

    Raises
    ------
    ValueError
        If a family is not one of :data:`SOURCE_FAMILIES`.
    """
    groups = tuple(
        tuple(f.strip() for f in group.split("|")) for group in text.split("+") if group.strip()
    )
    unknown = {f for g in groups for f in g} - set(SOURCE_FAMILIES)
    if unknown:
        raise ValueError(
            f"unknown source families {sorted(unknown)} in {text!r}; expected {SOURCE_FAMILIES}"
        )
    return groups


def needs_text(needs: tuple[tuple[str, ...], ...]) -> str:
    """The inverse of :func:`parse_needs` (``(("gtfs",), ("osm",))`` -> ``"gtfs+osm"``)."""
    return "+".join("|".join(group) for group in needs)


@dataclass(frozen=True)
class Indicator:
    """One figure of ``gold.commune_indicators``, declared once by its family module.

    Attributes
    ----------
    code : str
        The ``indicator`` column.
    unit : str
        The ``unit`` column (English); its French form is :data:`UNIT_FR` (``unit_fr``).
    needs : str
        Source families it cannot be computed without, ``+`` = and, ``|`` = or
        (:func:`parse_needs`): every group must be held, a group by any of its families.
    name_fr, name_en : str
        Names (the French one is the Canvas's and the report's).
    method : str
        The ``reference`` column: method and data source in a few words; ``{placeholders}``
        are filled by the family when it computes the rows (e.g. the GTFS service date).
    commune_only : bool
        Given for communes only (otherwise also for every shopping district).
    number : int
        The family's number (1-10), set by :class:`Family`.
    """

    code: str
    unit: str
    needs: str
    name_fr: str
    name_en: str
    method: str
    commune_only: bool = False
    number: int = 0

    def __post_init__(self) -> None:
        parse_needs(self.needs)
        if self.unit not in UNIT_FR:
            raise ValueError(f"indicator {self.code!r}: unit {self.unit!r} has no French form in UNIT_FR")

    @property
    def need_groups(self) -> tuple[tuple[str, ...], ...]:
        """:attr:`needs` parsed: ``(("wifi", "counters"),)`` = WiFi sensors or counters."""
        return parse_needs(self.needs)

    @property
    def unit_fr(self) -> str:
        return UNIT_FR[self.unit]

    def reference(self, **fields: object) -> str:
        """:attr:`method` with its placeholders filled."""
        return self.method.format(**fields) if fields else self.method


@dataclass(frozen=True)
class Family:
    """One indicator family (1 public transport ... 10 customer origin).

    ``static`` and ``daily`` compute the rows of its indicators from a
    :class:`~pipelines.friction.inputs.Context` (``nis, district_id, indicator, value,
    reference`` and, for figures from people, ``support``): ``static`` those that read no daily
    table, ``daily`` those that read one (OD flows, transactions, hourly footfall), which the
    nightly refresh recomputes for every day. A family has one or both.
    """

    number: int
    name: str
    indicators: tuple[Indicator, ...]
    static: Callable[..., list[pd.DataFrame]] | None = None
    daily: Callable[..., list[pd.DataFrame]] | None = None

    def __post_init__(self) -> None:
        numbered = tuple(
            Indicator(**{**i.__dict__, "number": self.number}) for i in self.indicators
        )
        object.__setattr__(self, "indicators", numbered)
        if self.static is None and self.daily is None:
            raise ValueError(f"family {self.number} ({self.name}) computes no rows")

    def __getitem__(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(f"{code!r} is not an indicator of family {self.number} ({self.name})")
