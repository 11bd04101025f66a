"""OSM ``opening_hours`` to a weekly grid (7 days x 24 hours of open fraction).

Covers the forms shops use in practice: ``Mo-Sa 09:30-18:30``, ``Tu-Fr 09:00-12:00,
14:00-18:00; Sa 09:00-16:00``, day lists (``Mo,We,Fr``), wrapped ranges (``Sa-Mo``),
``off``/``closed``, ``24/7``, times past midnight (``18:00-02:00`` spills into the next
day) and ``24:00``. Later rules override earlier ones for the days they name, as in the
specification. Public-holiday (``PH``) and school-holiday (``SH``) rules are ignored
(a normal week is described). Anything else returns None: an unknown schedule is reported,
not guessed. Full grammar: https://wiki.openstreetmap.org/wiki/Key:opening_hours.
"""

from __future__ import annotations

import re

import numpy as np

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = r"(\d{1,2}):(\d{2})"
_RANGE = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_DAY_PART = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:\s*-\s*(Mo|Tu|We|Th|Fr|Sa|Su))?$")


def _days(selector: str) -> list[int] | None:
    out: list[int] = []
    for part in selector.split(","):
        match = _DAY_PART.match(part.strip())
        if not match:
            return None
        start = DAYS.index(match.group(1))
        end = DAYS.index(match.group(2)) if match.group(2) else start
        out.extend((start + i) % 7 for i in range((end - start) % 7 + 1))
    return out


def _minutes(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 48 or (h == 48 and m):
        return None
    return h * 60 + m


def _add_span(week: np.ndarray, day: int, start: int, end: int) -> None:
    """Mark minutes [start, end) of ``day`` open (end may exceed 24 h: next day)."""
    if end <= start:
        end += 24 * 60
    for minute_hour in range(start // 60, (end - 1) // 60 + 1):
        lo, hi = max(start, minute_hour * 60), min(end, (minute_hour + 1) * 60)
        d, h = (day + minute_hour // 24) % 7, minute_hour % 24
        week[d, h] = min(1.0, week[d, h] + (hi - lo) / 60.0)


def weekly_open(text: str | None) -> np.ndarray | None:
    """Open fraction of every hour of a normal week, shape (7, 24), Monday first.

    Parameters
    ----------
    text : str or None
        An OSM ``opening_hours`` value.

    Returns
    -------
    numpy.ndarray or None
        ``week[d, h]`` in [0, 1]: the share of hour ``h`` of day ``d`` the place is open
        (``09:30-18:30`` gives 0.5 at 09 h and 18 h, 1 between). None when the value is
        missing or uses a form this parser does not cover.

    Examples
    --------
    >>> weekly_open("Mo-Sa 09:30-18:30")[0, 9:11].tolist()
    [0.5, 1.0]
    """
    if text is None or not isinstance(text, str) or not text.strip():
        return None
    if text.strip() == "24/7":
        return np.ones((7, 24))
    week = np.zeros((7, 24))
    for rule in (r.strip() for r in text.split(";")):
        if not rule or rule.startswith(("PH", "SH")):
            continue
        selector, _, times = rule.partition(" ")
        days = _days(selector)
        if days is None:
            return None
        times = times.strip()
        week[days] = 0.0  # a later rule replaces what earlier rules said of these days
        if times in ("off", "closed"):
            continue
        for span in times.split(","):
            match = _RANGE.match(span.strip())
            if not match:
                return None
            start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
            if start is None or end is None or start >= 24 * 60:
                return None
            for day in days:
                _add_span(week, day, start, end)
    return week
