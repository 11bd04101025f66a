"""8 Tourism: attractions within a walk of a shopping district's shops, and the share of
weekend visitors arriving while its shops are open (OSM opening hours, hourly footfall)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.friction.families.parking import near_pairs
from pipelines.friction.inputs import Context
from pipelines.friction.layers import hourly_footfall
from pipelines.friction.opening_hours import weekly_open
from pipelines.friction.rows import figure_rows, keys, level_rows
from pipelines.friction.spec import Family, Indicator
from pipelines.timeutil import to_local

TOURISM_WALK_MIN = 10.0
"""Attractions count for a district within this network walk of one of its shops."""

INDICATORS = (
    Indicator("tourism_attractions_10min", "attractions", "osm",
              "Attraits touristiques à 10 min à pied", "Tourism attractions within a 10 min walk",
              "OSM tourism POIs (attraction, museum, viewpoint, information) within a 10 min "
              "network walk of a shop of the district"),
    Indicator("tourism_hours_overlap", "%", "osm",
              "Visiteurs du week-end arrivant quand les commerces sont ouverts",
              "Weekend visitors arriving while shops are open",
              "weekend footfall of the district's cells ({source}; without any: Sat-Sun 10-18 h) "
              "weighted by the share of its shops open (OSM opening_hours)"),
)  # fmt: skip

WEEKEND = (5, 6)
DEFAULT_VISITOR_HOURS = (10, 18)
"""Without footfall measures, weekend visitors are spread evenly over 10:00-18:00."""


def default_visitor_profile() -> np.ndarray:
    """(7, 24) weights: Saturday and Sunday, 10:00-18:00, evenly."""
    profile = np.zeros((7, 24))
    start, end = DEFAULT_VISITOR_HOURS
    profile[list(WEEKEND), start:end] = 1.0
    return profile


def hours_overlap(visitors: np.ndarray, open_share: np.ndarray) -> float:
    """% of visitors arriving while shops are open: ``sum V * O / sum V`` over the week.

    Parameters
    ----------
    visitors : numpy.ndarray, shape (7, 24)
        Visitors per weekday (Monday first) and hour.
    open_share : numpy.ndarray, shape (7, 24)
        Share of the shops open in that hour (0-1).
    """
    v, o = np.asarray(visitors, dtype=float), np.asarray(open_share, dtype=float)
    if v.shape != (7, 24) or o.shape != (7, 24):
        raise ValueError(
            f"visitors and open_share must have shape (7, 24); found {v.shape}, {o.shape}"
        )
    total = v.sum()
    return float(100.0 * (v * o).sum() / total) if total > 0 else float("nan")


def weekend_profile(local_ts: pd.Series, counts: pd.Series) -> np.ndarray:
    """(7, 24) mean count per weekday and hour, kept for Saturday and Sunday only.

    ``local_ts`` are Europe/Brussels timestamps of hourly counts.
    """
    frame = pd.DataFrame(
        {
            "d": local_ts.dt.day_of_week.to_numpy(),
            "h": local_ts.dt.hour.to_numpy(),
            "c": pd.to_numeric(counts).to_numpy(float),
        }
    )
    means = frame[frame["d"].isin(WEEKEND)].groupby(["d", "h"])["c"].mean()
    profile = np.zeros((7, 24))
    for (d, h), value in means.items():
        profile[int(d), int(h)] = value
    return profile


def attraction_rows(ctx: Context) -> list[pd.DataFrame]:
    """Attractions within :data:`TOURISM_WALK_MIN` of each district (commune: of any)."""
    places, communes = ctx.places, ctx.communes
    by_district, by_commune = near_pairs(ctx, "tourism", TOURISM_WALK_MIN * 60)
    d = by_district.groupby("group").size().reindex(places.district_ids).fillna(0).to_numpy(float)
    c = by_commune.groupby("group").size().reindex(communes).fillna(0).to_numpy(float)
    c = np.where(np.isin(communes, places.district_nis), c, np.nan)
    code = "tourism_attractions_10min"
    return [level_rows(places, communes, code, d, c, FAMILY[code].reference())]


def _overlap(shops: pd.DataFrame, hourly: pd.DataFrame, members: list[str], rows: _Rows) -> float:
    """:func:`hours_overlap` of the shops and hourly footfall of some districts (``rows``:
    the positions of each district's rows in both frames)."""
    parsed = [w for w in shops["week"].to_numpy()[rows.of("shops", members)] if w is not None]
    mine = hourly.iloc[rows.of("hourly", members)]
    visitors = (
        weekend_profile(mine["local"], mine["footfall"]) if len(mine) else default_visitor_profile()
    )
    return hours_overlap(visitors, np.mean(parsed, axis=0)) if parsed else np.nan


class _Rows:
    """Positions of each district's rows in the shops and the hourly footfall, found once
    (a group's rows are then taken in their order, not searched for in whole frames)."""

    def __init__(self, **frames: pd.DataFrame) -> None:
        self.at = {name: {d: np.asarray(p) for d, p in f.groupby("district_id", sort=False).indices.items()}
                   for name, f in frames.items()}

    def of(self, name: str, members: list[str]) -> np.ndarray:
        parts = [self.at[name][d] for d in members if d in self.at[name]]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def overlap_rows(ctx: Context) -> list[pd.DataFrame]:
    """Weekend visitors arriving while the shops are open, per district and commune."""
    shops = ctx.inputs.shops.dropna(subset=["district_id"])
    shops = shops.assign(week=shops["opening_hours"].map(weekly_open))
    hourly, source = hourly_footfall(ctx.inputs.frames.footfall_hourly)
    cells = pd.DataFrame(ctx.cells.drop(columns="geometry", errors="ignore"))
    hourly = hourly.assign(district_id=hourly["h3"].map(cells.set_index("h3")["district_id"]))
    hourly = hourly.dropna(subset=["district_id"])
    hourly["local"] = to_local(pd.to_datetime(hourly["ts"], utc=True))
    places = ctx.places
    groups = [(d, n, [d]) for d, n in zip(places.district_ids, places.district_nis, strict=True)]
    groups += [(pd.NA, n, list(places.district_ids[places.district_nis == n])) for n in ctx.communes]
    rows = _Rows(shops=shops, hourly=hourly)
    frame = pd.DataFrame(
        [{"nis": n, "district_id": key, "tourism_hours_overlap": _overlap(shops, hourly, members, rows)}
         for key, n, members in groups]
    )  # fmt: skip
    code = "tourism_hours_overlap"
    return figure_rows(frame, keys(places, ctx.communes), {code: FAMILY[code].reference(source=source)})


FAMILY = Family(8, "tourism", INDICATORS, static=attraction_rows, daily=overlap_rows)
