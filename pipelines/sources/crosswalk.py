"""Belgian commune mergers: map any older NIS code to the code in force today.

Belgium merged communes on 1 January 2019 (589 -> 581) and on 1 January 2025 (581 -> 565:
14 new or enlarged communes in Flanders and Bastogne + Bertogne in Wallonia).
``geodata/commune_mergers.csv`` lists every disappeared code with its successor, the
date and the source. Statistical sector codes did not change: after a merger a sector
code no longer starts with its commune's NIS (``46003A00-`` lies in ``46030``
Beveren-Kruibeke-Zwijndrecht), so the crosswalk is also how a sector finds its commune.

* :func:`current_nis` maps codes (chains such as a 2018 code merged again in 2025 are
  followed);
* :func:`current_communes` dissolves the communes of an older boundary file into today's
  communes (geometries unioned, populations summed);
* :func:`current_sectors` gives the sectors of an older file their current commune code.

Files already on the new codes pass through unchanged, so older and newer files both load.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

MERGERS_CSV = Path(__file__).resolve().parents[2] / "geodata" / "commune_mergers.csv"
MERGER_COLUMNS = ("old_nis", "old_name", "new_nis", "new_name_fr", "new_name_nl", "valid_from", "source")


@lru_cache(maxsize=1)
def mergers() -> pd.DataFrame:
    """The crosswalk ``geodata/commune_mergers.csv`` (every column a string)."""
    return pd.read_csv(MERGERS_CSV, dtype="string")


def _mapping(on: date | None) -> dict[str, str]:
    """old NIS -> final NIS for the mergers in force on ``on`` (all of them when ``None``)."""
    table = mergers()
    if on is not None:
        table = table[pd.to_datetime(table["valid_from"]).dt.date <= on]
    direct = dict(zip(table["old_nis"], table["new_nis"], strict=True))
    final = {}
    for code in direct:
        seen, current = {code}, code
        while current in direct and direct[current] not in seen:
            current = direct[current]
            seen.add(current)
        final[code] = current
    return final


def current_nis(nis: pd.Series, on: date | None = None) -> pd.Series:
    """The NIS code in force (on ``on``, default today) for each code; others unchanged.

    Examples: ``82005`` (Bertogne) -> ``82039`` (Bastogne), ``11007`` (Borsbeek) -> ``11002``
    (Antwerpen), ``44049`` (Nevele, merged in 2019) -> ``44083`` (Deinze).
    """
    codes = nis.astype("string")
    return codes.map(_mapping(on)).astype("string").fillna(codes)


def is_current(nis: pd.Series, on: date | None = None) -> pd.Series:
    """True where a code has not disappeared in a merger (by ``on``, default today)."""
    return ~nis.astype("string").isin(list(_mapping(on))).fillna(False)


def current_communes(communes: gpd.GeoDataFrame, on: date | None = None) -> gpd.GeoDataFrame:
    """Dissolve the communes of an older file into the communes in force on ``on``.

    Parameters
    ----------
    communes
        ``statbel.read_communes(...).table``: ``nis, name_fr, name_nl, population, geometry``.
    on
        The date of the boundaries wanted; ``None`` applies every merger in the crosswalk.

    Returns
    -------
    GeoDataFrame
        The same columns, one row per current commune. Merged communes get the union of
        their parts' geometries, the sum of their populations (null when any part's
        population is unknown) and the new commune's names from the crosswalk. Unmerged
        communes keep their row as it was. Total population and area are conserved.
    """
    if communes.empty:
        return communes.copy()
    table = communes.reset_index(drop=True)
    new = current_nis(table["nis"], on)
    merged = new != table["nis"].astype("string")
    targets = set(new[merged].dropna())
    touched = new.isin(targets).fillna(False)
    if not touched.any():
        return table.copy()
    names = mergers().drop_duplicates("new_nis").set_index("new_nis")
    rows = []
    for code, group in table[touched].groupby(new[touched], sort=False):
        population = group["population"]
        total = population.sum() if population.notna().all() else pd.NA
        rows.append({
            "nis": code,
            "name_fr": names.at[code, "new_name_fr"] if code in names.index else group["name_fr"].iloc[0],
            "name_nl": names.at[code, "new_name_nl"] if code in names.index else group["name_nl"].iloc[0],
            "population": total,
            communes.geometry.name: shapely.union_all(group.geometry.to_numpy()),
        })  # fmt: skip
    dissolved = gpd.GeoDataFrame(rows, geometry=communes.geometry.name, crs=communes.crs)
    out = pd.concat([table[~touched], dissolved], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=communes.geometry.name, crs=communes.crs)
    out["population"] = out["population"].astype("Int64")
    for col in ("nis", "name_fr", "name_nl"):
        out[col] = out[col].astype("string")
    return out.sort_values("nis", kind="stable").reset_index(drop=True)[list(communes.columns)]


def current_sectors(sectors: pd.DataFrame, on: date | None = None) -> pd.DataFrame:
    """Sectors with ``nis`` replaced by the commune code in force on ``on`` (rows unchanged)."""
    out = sectors.copy()
    out["nis"] = current_nis(out["nis"], on)
    return out
