"""OSM ``opening_hours`` to a weekly grid (7 days x 24 hours of open fraction).

Parsing and evaluation are done by `opening-hours-py
<https://pypi.org/project/opening-hours-py/>`_ (module ``opening_hours``, the Rust
implementation of the OSM specification), which reads the forms shops really use: rule
lists with ``,`` (``Mo-Fr 09:00-18:00, Sa 09:00-13:00``), public holidays (``Su,PH off``:
Belgian public holidays, country ``BE``), months (``Jul-Aug Sa off``), sun events
(``sunrise-sunset``, computed for :data:`REFERENCE_POINT`), times past midnight.

The grid is the mean over every day of a reference year: ``week[d, h]`` is the share of
the local hour ``h`` of the weekdays ``d`` (Monday = 0) of that year during which the place
is open. A shop closed on public holidays is therefore a little less open on the Mondays
that carry Easter and Whit Monday; a shop closed in July-August loses 9 of its 52
Saturdays. ``unknown`` states count as closed. An expression the library cannot parse
returns None: an unknown schedule is reported, not guessed.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import opening_hours as oh

from pipelines.constants import TIMEZONE

COUNTRY = "BE"
"""Public holidays (``PH``) are Belgium's (the library's calendar)."""
REFERENCE_POINT = (50.4669, 4.8675)
"""(lat, lon) where sun events are computed: Namur, the middle of Wallonia."""
REFERENCE_YEAR = 2026
"""Year whose days make up the grid when no other year is given."""


def _minutes(moment: dt.datetime, origin: dt.datetime) -> int:
    """Local wall-clock minutes from ``origin`` (both naive after dropping the zone)."""
    return int((moment.replace(tzinfo=None) - origin).total_seconds() // 60)


@lru_cache(maxsize=8192)
def _week(text: str, year: int) -> np.ndarray | None:
    try:
        hours = oh.OpeningHours(
            text, timezone=ZoneInfo(TIMEZONE), country=COUNTRY, coords=REFERENCE_POINT
        )
    except (SyntaxError, ValueError, oh.ParserError):
        return None
    origin, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    days = (end - origin).days
    open_minutes = np.zeros(days * 24 * 60, dtype=bool)
    for start, stop, state, _ in hours.intervals(origin - dt.timedelta(days=1), end):
        if state != oh.State.OPEN:
            continue
        lo = max(_minutes(start, origin), 0)
        hi = min(_minutes(stop, origin) if stop is not None else len(open_minutes), len(open_minutes))
        if hi > lo:
            open_minutes[lo:hi] = True
    per_hour = open_minutes.reshape(days, 24, 60).mean(axis=2)
    weekday = np.array([(origin + dt.timedelta(days=i)).weekday() for i in range(days)])
    week = np.vstack([per_hour[weekday == d].mean(axis=0) for d in range(7)])
    week.setflags(write=False)
    return week


def weekly_open(text: str | None, *, year: int = REFERENCE_YEAR) -> np.ndarray | None:
    """Open fraction of every hour of the week, shape (7, 24), Monday first.

    Parameters
    ----------
    text : str or None
        An OSM ``opening_hours`` value.
    year : int, default :data:`REFERENCE_YEAR`
        The year whose days are averaged (public holidays and seasons of that year).

    Returns
    -------
    numpy.ndarray or None
        ``week[d, h]`` in [0, 1]: the share of local hour ``h`` of the days ``d`` of the
        year the place is open (``Mo-Sa 09:30-18:30`` gives 0.5 at 09 h and 18 h, 1
        between). None when the value is missing or not a valid expression. Read-only
        (results are cached per expression).

    Examples
    --------
    >>> weekly_open("Mo-Sa 09:30-18:30")[0, 9:11].tolist()
    [0.5, 1.0]
    """
    if text is None or not isinstance(text, str) or not text.strip():
        return None
    return _week(text.strip(), int(year))
