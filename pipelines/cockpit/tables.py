"""The cockpit's tables (``gold.region_*``): frames in, frames out, no Dagster.

* ``region_communes``: one row per commune with its group, province, population, one score
  column per journey pillar, its number of priority and data actions, the relative link to its
  report, and the commune polygon (EPSG:4326);
* ``region_needs``: one row per commune and action of its plan (the needs matrix in long
  form), ``priority`` true for the actions the commune's plan ranks as priorities (its
  ``tier``: ``priority``, and every ``data`` action; without a ``tier`` column, the first
  :data:`PRIORITY_TOP` indicator actions);
* ``region_data_priorities``: per scope (the region and each group) and source family that
  some commune lacks: how many communes lack it, which, in which groups (``by_group``), how
  many indicators and actions it would unlock, ranked;
* ``region_evolution``: per edition, commune and pillar, the score (one edition until the
  audit keeps its history).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.cockpit.groups import GROUPS, assign_groups
from pipelines.constants import CRS_WGS84

PRIORITY_TOP = 5
"""Without the plan's ``tier`` column: the first indicator actions counted as priorities."""


def is_priority(actions: pd.DataFrame) -> pd.Series:
    """Whether each action is a priority of its commune's plan: its ``tier`` says so
    (``priority`` or ``data``; ``consider`` is not); without ``tier``, every data action and the
    first :data:`PRIORITY_TOP` indicator actions by ``rank``."""
    if "tier" in actions.columns:
        return actions["tier"].astype(str).isin(["priority", "data"])
    order = actions[actions["kind"] == "indicator"].sort_values(["nis", "rank"]).groupby("nis").cumcount() + 1
    return (actions["kind"] == "data") | order.reindex(actions.index).le(PRIORITY_TOP).fillna(False)
REGION = "region"
REPORTS_DIR = "rapports"
"""Each group folder holds its communes' reports in ``<group>/rapports/<nis>.html``."""


@dataclass(frozen=True)
class Pillar:
    code: str
    name_fr: str
    order: int


@dataclass
class RegionTables:
    communes: gpd.GeoDataFrame
    needs: pd.DataFrame
    data_priorities: pd.DataFrame
    evolution: pd.DataFrame
    pillars: list[Pillar]

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """``gold`` table name -> frame."""
        return {"region_communes": self.communes, "region_needs": self.needs,
                "region_data_priorities": self.data_priorities, "region_evolution": self.evolution}


def pillar_list(pillars: pd.DataFrame) -> list[Pillar]:
    """The journey pillars in their order, from ``gold.canvas_pillars``."""
    first = pillars.drop_duplicates("pillar").sort_values("order")
    return [Pillar(str(p), str(n), int(o)) for p, n, o in zip(first["pillar"], first["pillar_fr"], first["order"], strict=True)]


def report_link(group: str, nis: str) -> str:
    """A commune report relative to the region folder (``<group>/rapports/<nis>.html``)."""
    return f"{group}/{REPORTS_DIR}/{nis}.html"


def region_communes(communes: gpd.GeoDataFrame, peers: pd.DataFrame, pillars: pd.DataFrame, actions: pd.DataFrame,
                    groups: pd.DataFrame, plist: list[Pillar]) -> gpd.GeoDataFrame:
    """``gold.region_communes`` (see the module docstring)."""
    base = groups.merge(peers[["nis", "population"]].assign(nis=peers["nis"].astype(str)), on="nis", how="left")
    scores = pillars.assign(nis=pillars["nis"].astype(str)).pivot_table(index="nis", columns="pillar", values="score", aggfunc="first")
    for p in plist:
        base[f"score_{p.code}"] = base["nis"].map(scores[p.code]) if p.code in scores else np.nan
    acts = actions.assign(nis=actions["nis"].astype(str))
    ind = acts[acts["kind"] == "indicator"]
    base["priority_actions"] = base["nis"].map(ind[is_priority(acts).loc[ind.index]].groupby("nis").size()).fillna(0).astype("int64")
    base["data_actions"] = base["nis"].map(acts[acts["kind"] == "data"].groupby("nis").size()).fillna(0).astype("int64")
    first = ind.sort_values(["nis", "rank"]).drop_duplicates("nis").set_index("nis")["title_fr"]
    base["first_action"] = base["nis"].map(first).astype(object)
    base["report"] = [report_link(g, n) for g, n in zip(base["group"], base["nis"], strict=True)]
    base["population"] = base["population"].astype("float64")
    geo = communes[["nis", "geometry"]].assign(nis=communes["nis"].astype(str))
    out = base.merge(geo, on="nis", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=communes.crs or CRS_WGS84).to_crs(CRS_WGS84)


def region_needs(actions: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """``gold.region_needs``: every action of every commune, with its group and whether it is
    among the commune's priorities."""
    cols = ["nis", "commune", "group", "kind", "action", "title_fr", "pillar", "owner_fr", "cost_band", "rank", "priority"]
    if not len(actions):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    acts = actions.assign(nis=actions["nis"].astype(str)).merge(groups[["nis", "group"]], on="nis", how="inner")
    acts["priority"] = is_priority(acts).to_numpy()
    acts["rank"] = acts["rank"].astype("int64")
    return acts[cols].sort_values(["group", "nis", "rank"]).reset_index(drop=True)


def _listed(values: pd.Series) -> int:
    return len({v for items in values for v in (list(items) if items is not None else [])})


def _priorities(cad: pd.DataFrame, scope: str) -> pd.DataFrame:
    lacking = cad[cad["status"] != "held"]
    rows = []
    for source, part in lacking.groupby("source", sort=False):
        rows.append({
            "scope": scope, "source": source, "label_fr": str(part["label_fr"].iloc[0]),
            "communes_lacking": int(part["nis"].nunique()),
            "communes": ", ".join(sorted(part["commune"].astype(str).unique())),
            "by_group": ", ".join(f"{GROUPS[g].name}: {n}" for g, n in part.groupby("group")["nis"].nunique().sort_values(ascending=False).items()),
            "broken": int((part["status"] == "broken").sum()),
            "indicators_unlocked": _listed(part["unlocks"]),
            "indicator_communes_unlocked": int(sum(len(list(u)) for u in part["unlocks"] if u is not None)),
            "actions_unlocked": _listed(part["unlocks_actions"]),
            "actions": ", ".join(sorted({a for items in part["unlocks_actions"] if items is not None for a in items})),
            "population_lacking": float(part["population"].sum()),
        })
    cols = ["scope", "source", "label_fr", "communes_lacking", "communes", "by_group", "broken", "indicators_unlocked",
            "indicator_communes_unlocked", "actions_unlocked", "actions", "population_lacking", "rank"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.DataFrame(rows).sort_values(["indicator_communes_unlocked", "actions_unlocked", "population_lacking"], ascending=False)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[cols]


def data_priorities(cadastre: pd.DataFrame, groups: pd.DataFrame, peers: pd.DataFrame) -> pd.DataFrame:
    """``gold.region_data_priorities``: which source family to collect first, and where.

    Ranked within each scope by the indicator values it would unlock (indicators × communes),
    then the actions it would unlock, then the population of the communes lacking it."""
    pop = peers.assign(nis=peers["nis"].astype(str)).set_index("nis")["population"].astype("float64")
    cad = cadastre.assign(nis=cadastre["nis"].astype(str)).merge(groups[["nis", "group"]], on="nis", how="inner")
    cad["population"] = cad["nis"].map(pop).fillna(0.0)
    parts = [_priorities(cad, REGION)] + [_priorities(cad[cad["group"] == g], g) for g in groups["group"].unique()]
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def evolution(pillars: pd.DataFrame, groups: pd.DataFrame, edition: str, editions: pd.DataFrame | None = None) -> pd.DataFrame:
    """``gold.region_evolution``: ``edition, group, nis, commune, pillar, pillar_fr, score``.

    ``editions`` (``edition, nis, pillar, score``), when given, holds the earlier editions;
    the current scores are added as ``edition``."""
    current = pillars.assign(nis=pillars["nis"].astype(str), edition=edition)[["edition", "nis", "pillar", "score"]]
    frames = [current]
    if editions is not None and len(editions):
        past = editions.assign(nis=editions["nis"].astype(str), edition=editions["edition"].astype(str))
        frames.insert(0, past[past["edition"] != edition][["edition", "nis", "pillar", "score"]])
    out = pd.concat(frames, ignore_index=True)
    names = pillars.drop_duplicates("pillar").set_index("pillar")["pillar_fr"]
    out = out.merge(groups[["nis", "commune", "group"]], on="nis", how="inner")
    out["pillar_fr"] = out["pillar"].map(names)
    return out[["edition", "group", "nis", "commune", "pillar", "pillar_fr", "score"]].sort_values(["edition", "group", "nis", "pillar"]).reset_index(drop=True)


def build_region_tables(communes: gpd.GeoDataFrame, peers: pd.DataFrame, pillars: pd.DataFrame, actions: pd.DataFrame,
                        cadastre: pd.DataFrame, edition: str, *, reference: pd.DataFrame | None = None,
                        editions: pd.DataFrame | None = None) -> RegionTables:
    """Every ``gold.region_*`` table from the Canvas tables."""
    names = peers.assign(nis=peers["nis"].astype(str))[["nis", "commune"]]
    groups = assign_groups(names, reference)
    plist = pillar_list(pillars)
    return RegionTables(
        communes=region_communes(communes, peers, pillars, actions, groups, plist),
        needs=region_needs(actions, groups),
        data_priorities=data_priorities(cadastre, groups, peers),
        evolution=evolution(pillars, groups, edition, editions),
        pillars=plist,
    )


def group_order(groups: pd.Series) -> list[str]:
    """The groups present, in the order of :data:`GROUPS` (the fallback last)."""
    present = set(groups)
    return [g for g in GROUPS if g in present]


def tables_from_frames(frames: dict[str, pd.DataFrame]) -> RegionTables:
    """The :class:`RegionTables` read back from the ``gold.region_*`` tables (pillars in the
    order of the ``score_*`` columns, named from ``region_evolution``)."""
    communes = frames["region_communes"]
    names = frames["region_evolution"].drop_duplicates("pillar").set_index("pillar")["pillar_fr"]
    codes = [c.removeprefix("score_") for c in communes.columns if c.startswith("score_")]
    plist = [Pillar(c, str(names.get(c, c)), i + 1) for i, c in enumerate(codes)]
    return RegionTables(communes, frames["region_needs"], frames["region_data_priorities"], frames["region_evolution"], plist)
