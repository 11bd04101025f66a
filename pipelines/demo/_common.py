"""Helpers shared by the demo generator: random streams, projection, local time.

The generator works in Belgian Lambert 72 metres (EPSG:31370) and converts to WGS84 only
when it writes a file. Every concern draws from its own random stream, so changing how one
part is generated does not shift the numbers of the others.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import Transformer

from pipelines.constants import CRS_METRIC, CRS_WGS84, TIMEZONE

COORD_DECIMALS = 7
"""Decimals of the WGS84 coordinates written (about 1 cm)."""


def stream(seed: int, concern: str) -> np.random.Generator:
    """An independent random stream for one concern (``"territory"``, ``"wifi"``, ...)."""
    return np.random.default_rng([int(seed), zlib.crc32(concern.encode("utf-8"))])


@lru_cache(maxsize=2)
def _transformer(*, inverse: bool) -> Transformer:
    if inverse:
        return Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)
    return Transformer.from_crs(CRS_METRIC, CRS_WGS84, always_xy=True)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lambert 72 metres to WGS84 degrees, rounded to :data:`COORD_DECIMALS`."""
    lon, lat = _transformer(inverse=False).transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees to Lambert 72 metres."""
    return _transformer(inverse=True).transform(np.asarray(lon, float), np.asarray(lat, float))


def demo_days(start: date, days: int) -> list[date]:
    """The local dates of the demo period."""
    return [start + timedelta(days=i) for i in range(days)]


def local_steps(day: date, minutes: int) -> pd.DatetimeIndex:
    """Local interval starts of one day every ``minutes`` (25 hours when summer time ends)."""
    begin = pd.Timestamp(day.isoformat(), tz=TIMEZONE)
    end = pd.Timestamp((day + timedelta(days=1)).isoformat(), tz=TIMEZONE)
    return pd.date_range(begin, end, freq=f"{minutes}min", inclusive="left")


def iso_with_offset(stamps: pd.DatetimeIndex) -> np.ndarray:
    """ISO 8601 texts with their UTC offset, e.g. ``2026-10-25T02:00:00+01:00``."""
    wall = stamps.tz_localize(None).to_numpy().astype("datetime64[s]")
    utc = stamps.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[s]")
    offset = (wall - utc).astype(np.int64) // 60
    sign = np.where(offset < 0, "-", "+")
    text = np.char.add(
        np.char.add(np.datetime_as_string(wall, unit="s"), sign),
        np.char.add(np.char.zfill((np.abs(offset) // 60).astype(str), 2), ":"),
    )
    text = np.char.add(text, np.char.zfill((np.abs(offset) % 60).astype(str), 2))
    return text.astype(object)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def belgian_holidays(year: int) -> list[date]:
    """The ten Belgian public holidays of a year."""
    e = easter(year)
    return sorted(
        [
            date(year, 1, 1),
            e + timedelta(days=1),
            date(year, 5, 1),
            e + timedelta(days=39),
            e + timedelta(days=50),
            date(year, 7, 21),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
        ]
    )


def holidays_of(days: list[date]) -> set[date]:
    """The public holidays of the years of ``days``."""
    return {h for year in {d.year for d in days} for h in belgian_holidays(year)}


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() <= 0:
        out = np.zeros(len(weights), dtype=np.int64)
        if total and len(out):
            out[0] = total
        return out
    share = weights / weights.sum() * total
    base = np.floor(share).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base
