"""The data inventory ("cadastre des gisements de données"), per commune and source family.

For every commune and family: status (held / missing / broken), provider, licence, coverage
(share of population, shops or districts covered), freshness (first and last day, gaps),
quality (quarantine rate), lineage (files and their sha256), the indicators it feeds and, for a
missing or broken family, the indicators and data actions it would unlock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines.availability import Family
from pipelines.canvas.catalogue import FAMILIES, Catalogue
from pipelines.canvas.sources import family_info

LOCAL_FAMILIES = frozenset({"wifi", "counters", "vouchers", "vacancy", "od", "survey", "consultant"})
"""Families held territory-wide that a commune may still lack locally (coverage 0 = missing)."""
PER_COMMUNE_FILES = {"consultant": "consultant file of the commune"}
"""Families with one landing file per commune named by its NIS (``consultant/<nis>.yaml``): a
commune holds the family when its own file is there (from ``bronze.source_status``' files)."""


def _per_commune_files(frame: pd.DataFrame) -> pd.DataFrame:
    """Coverage 1/0 and local presence of the :data:`PER_COMMUNE_FILES` families, from the
    names of the landing files (``file_hashes``: ``"consultant/92801.yaml <sha256>"``)."""
    for family in PER_COMMUNE_FILES:
        rows = frame["source"] == family
        if not rows.any():
            continue
        files = frame.loc[rows, "file_hashes"].map(lambda v: [str(x).split(" ")[0] for x in v] if isinstance(v, list | tuple | np.ndarray) else [])
        own = [any(PurePosixPath(f).stem == nis for f in fs) for nis, fs in zip(frame.loc[rows, "nis"], files, strict=True)]
        frame.loc[rows, "local"] = own
        frame.loc[rows, "coverage"] = [1.0 if o else 0.0 for o in own]
        frame.loc[rows, "coverage_basis"] = "fichier du consultant pour la commune"
    return frame

STATUS_COLUMNS = ("source", "status", "required", "files", "bytes", "first_day", "last_day", "days", "file_hashes", "reason")


@dataclass(frozen=True)
class CoverageInputs:
    """The lake tables coverage is measured on (any may be empty)."""

    communes: gpd.GeoDataFrame
    sectors: pd.DataFrame
    shops: pd.DataFrame
    districts: gpd.GeoDataFrame
    sensors: gpd.GeoDataFrame
    merchants: pd.DataFrame
    parking: pd.DataFrame
    vacant: gpd.GeoDataFrame
    friction_cells: pd.DataFrame
    indicators: pd.DataFrame
    online: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``gold.online_journey`` (``respondents`` per commune: the merchant survey)."""


def _share(num: float, den: float) -> float:
    return float(min(num / den, 1.0)) if den > 0 else np.nan


def _district_shares(points: gpd.GeoDataFrame | None, districts: gpd.GeoDataFrame) -> dict[str, float]:
    """Commune -> share of its shopping districts holding at least one of its own points
    (``points`` carry the ``nis`` of their commune): one spatial join for the territory."""
    own = districts["nis"].astype(str)
    totals = own.value_counts()
    shares = dict.fromkeys(totals.index, 0.0)
    if points is None or points.empty or "nis" not in points or districts.empty:
        return shares
    pts = gpd.GeoDataFrame({"point_nis": points["nis"].astype(str)}, geometry=points.geometry.to_crs(districts.crs))
    hit = gpd.sjoin(gpd.GeoDataFrame({"district_id": districts["district_id"], "nis": own}, geometry=districts.geometry),
                    pts, predicate="contains")
    held = hit[hit["nis"] == hit["point_nis"]].groupby("nis")["district_id"].nunique()
    shares.update({nis: _share(float(n), float(totals[nis])) for nis, n in held.items()})
    return shares


def _splitter(inp: CoverageInputs) -> Callable[[pd.DataFrame, str], pd.DataFrame]:
    cache: dict[int, dict[str, pd.DataFrame]] = {}

    def of(frame: pd.DataFrame, nis: str) -> pd.DataFrame:
        if not len(frame) or "nis" not in frame:
            return frame.iloc[0:0]
        if id(frame) not in cache:
            cache[id(frame)] = {str(k): v for k, v in frame.groupby(frame["nis"].astype(str), sort=False)}
        part = cache[id(frame)].get(nis)
        return part if part is not None else frame.iloc[0:0]
    return of


def _commune_coverage(inp: CoverageInputs, nis: str, split: Callable[[pd.DataFrame, str], pd.DataFrame],
                      in_districts: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[float, str]]:
    def of(frame: pd.DataFrame) -> pd.DataFrame:
        return split(frame, nis)

    commune = of(inp.communes)
    pop = float(commune["population"].sum()) if len(commune) else 0.0
    shops = of(inp.shops)
    src = shops["source"].astype(str) if len(shops) else pd.Series(dtype=str)
    cells = of(inp.friction_cells)
    served = float(cells.loc[cells["pt_class"].astype(str) != "none", "population"].sum()) if len(cells) else 0.0
    parking = of(inp.parking)
    ind = of(inp.indicators)
    od_ok = ind[(ind["indicator"] == "od_inflow_outside_share") & ind["district_id"].isna() & ind["value"].notna()] if len(ind) else ind
    return {
        "boundaries": (1.0 if len(commune) else 0.0, "commune délimitée"),
        "sectors": (_share(float(of(inp.sectors)["population"].sum()), pop), "part de la population par secteur"),
        "osm": (_share(float(src.str.contains("osm").sum()), len(shops)), "part des commerces présents dans OSM"),
        "kbo": (_share(float(src.str.contains("kbo").sum()), len(shops)), "part des commerces présents dans la BCE"),
        "addresses": (_share(float(src.str.contains("kbo").sum()), len(shops)), "part des commerces géolocalisés par adresse"),
        "gtfs": (_share(served, float(cells["population"].sum())) if len(cells) else np.nan, "part des habitants à distance de marche d'un arrêt desservi"),
        "wifi": (in_districts["wifi"].get(nis, np.nan), "part des noyaux équipés d'un capteur WiFi"),
        "counters": (in_districts["counters"].get(nis, np.nan), "part des noyaux équipés d'un compteur piéton"),
        "od": (1.0 if len(od_ok) else 0.0, "flux entrants publiés pour la commune"),
        "vouchers": (_share(len(of(inp.merchants)), len(shops)), "part des commerces affiliés aux chèques"),
        "vacancy": (in_districts["vacancy"].get(nis, np.nan), "part des noyaux couverts par le registre"),
        "parking": (_share(float(parking["capacity"].notna().sum()), len(parking)) if len(parking) else np.nan, "part des parkings à capacité connue"),
        "survey": (_share(_surveyed(of(inp.online)), len(shops)), "part des commerces interrogés par l'enquête"),
    }


def _surveyed(online: pd.DataFrame) -> float:
    """Shops of a commune that answered the merchant survey."""
    return float(online["respondents"].max()) if len(online) and "respondents" in online else 0.0


def _local_presence(inp: CoverageInputs, nis: str, split: Callable[[pd.DataFrame, str], pd.DataFrame]) -> dict[str, bool]:
    """Whether the commune itself holds any record of the families held territory-wide
    (a sensor outside the shopping districts still counts)."""
    sensors = split(inp.sensors, nis)
    kinds = set(sensors["kind"].astype(str)) if len(sensors) else set()
    ind = split(inp.indicators, nis)
    od = ind[(ind["indicator"] == "od_inflow_outside_share") & ind["district_id"].isna() & ind["value"].notna()] if len(ind) else ind
    return {"wifi": "wifi" in kinds, "counters": "pedestrian" in kinds, "od": bool(len(od)),
            "vouchers": bool(len(split(inp.merchants, nis))), "vacancy": bool(len(split(inp.vacant, nis))),
            "survey": _surveyed(split(inp.online, nis)) > 0}


def coverage_table(inp: CoverageInputs) -> pd.DataFrame:
    """Coverage (0-1), its basis (French) and local presence per commune and family."""
    rows = []
    split = _splitter(inp)
    kinds = inp.sensors["kind"].astype(str) if len(inp.sensors) else pd.Series(dtype=str)
    in_districts = {
        "wifi": _district_shares(inp.sensors[kinds == "wifi"] if len(inp.sensors) else None, inp.districts),
        "counters": _district_shares(inp.sensors[kinds == "pedestrian"] if len(inp.sensors) else None, inp.districts),
        "vacancy": _district_shares(inp.vacant, inp.districts),
    }
    for nis in inp.communes["nis"].astype(str):
        local = _local_presence(inp, nis, split)
        for family, (value, basis) in _commune_coverage(inp, nis, split, in_districts).items():
            rows.append({"nis": nis, "source": family, "coverage": value, "coverage_basis": basis,
                         "local": local.get(family, True)})
    return pd.DataFrame(rows, columns=["nis", "source", "coverage", "coverage_basis", "local"])


def quality_by_family(rows_accepted: Mapping[str, int], quarantine: pd.DataFrame) -> pd.DataFrame:
    """Accepted and quarantined rows, file-level problems and the quarantine rate per family.

    ``quarantine`` has ``family`` (the family of the bronze asset that quarantined the row)
    and ``row_number`` (0 for a file-level row)."""
    q = quarantine
    out = []
    for family in FAMILIES:
        sub = q[q["family"] == family] if len(q) else q
        bad_rows = int((sub["row_number"] > 0).sum()) if len(sub) else 0
        bad_files = int((sub["row_number"] == 0).sum()) if len(sub) else 0
        accepted = int(rows_accepted.get(family, 0))
        total = accepted + bad_rows
        out.append({"source": family, "rows_accepted": accepted, "rows_quarantined": bad_rows,
                    "files_quarantined": bad_files, "quarantine_rate": bad_rows / total if total else np.nan})
    return pd.DataFrame(out)


def _gaps(first: object, last: object, days: object) -> int | None:
    if not first or not last or pd.isna(first) or pd.isna(last):
        return None
    span = (pd.Timestamp(str(last)) - pd.Timestamp(str(first))).days + 1
    return max(int(span) - int(days or 0), 0)


def _status(row: pd.Series) -> str:
    if row["status_in"] == "missing":
        return "missing"
    if row["status_in"] == "broken" or (row["rows_accepted"] == 0 and (row["rows_quarantined"] + row["files_quarantined"]) > 0):
        return "broken"
    return "held"


def build_cadastre(status: pd.DataFrame, quality: pd.DataFrame, coverage: pd.DataFrame,
                   communes: pd.DataFrame, catalogue: Catalogue,
                   infos: Mapping[str, Family] | None = None) -> pd.DataFrame:
    """One row per commune and source family: the data inventory.

    Parameters
    ----------
    status
        ``bronze.source_status``.
    quality
        :func:`quality_by_family`. coverage: :func:`coverage_table`.
    communes
        ``nis``, ``name_fr``.
    """
    infos = dict(infos or family_info())
    st = status.rename(columns={"status": "status_in"}).copy()
    st = pd.DataFrame({"source": list(FAMILIES)}).merge(st, on="source", how="left")
    st["status_in"] = st["status_in"].fillna("missing")
    st = st.merge(quality, on="source", how="left")
    st["status"] = st.apply(_status, axis=1)
    st["gaps"] = [_gaps(a, b, c) for a, b, c in zip(st["first_day"], st["last_day"], st["days"], strict=True)]
    frame = communes[["nis", "name_fr"]].astype({"nis": str}).rename(columns={"name_fr": "commune"}).merge(st, how="cross")
    if "local" not in coverage.columns:
        coverage = coverage.assign(local=coverage["coverage"].fillna(1.0) > 0)
    frame = frame.merge(coverage, on=["nis", "source"], how="left")
    frame = _per_commune_files(frame)
    frame.loc[frame["status"] == "missing", "coverage"] = 0.0
    absent = (frame["status"] == "held") & frame["source"].isin(LOCAL_FAMILIES) & frame["local"].eq(False)
    frame.loc[absent, "status"] = "missing"
    frame.loc[absent, "reason"] = "aucune donnée de cette source pour la commune"
    frame["label_fr"] = frame["source"].map(lambda f: infos[f].label_fr)
    frame["provider"] = frame["source"].map(lambda f: infos[f].provider)
    frame["licence"] = frame["source"].map(lambda f: infos[f].licence)
    frame["required"] = frame["source"].map(lambda f: infos[f].required)
    frame["feeds"] = frame["source"].map(lambda f: catalogue.feeding(f))
    unusable = frame["status"] != "held"
    frame["unlocks"] = [catalogue.feeding(f) if bad else [] for f, bad in zip(frame["source"], unusable, strict=True)]
    frame["unlocks_actions"] = [
        [k for k, a in catalogue.data_actions.items() if any(f in rule.values() for rule in a["trigger"])] if bad else []
        for f, bad in zip(frame["source"], unusable, strict=True)
    ]
    frame["file_hashes"] = frame["file_hashes"].map(lambda v: list(v) if isinstance(v, list | np.ndarray) else [])
    for col in ("files", "bytes", "days", "rows_accepted", "rows_quarantined", "files_quarantined"):
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in ("first_day", "last_day", "reason"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    cols = ["nis", "commune", "source", "label_fr", "status", "required", "provider", "licence",
            "coverage", "coverage_basis", "first_day", "last_day", "days", "gaps", "files", "bytes",
            "rows_accepted", "rows_quarantined", "files_quarantined", "quarantine_rate",
            "file_hashes", "feeds", "unlocks", "unlocks_actions", "reason"]
    return frame[cols].sort_values(["nis", "source"], key=lambda s: s.map(FAMILIES.index) if s.name == "source" else s).reset_index(drop=True)


def held_by_commune(cadastre: pd.DataFrame) -> dict[str, set[str]]:
    """Commune -> the families it holds (not missing, not broken)."""
    held = cadastre[cadastre["status"] == "held"]
    out: dict[str, set[str]] = {str(n): set() for n in cadastre["nis"]}
    for nis, source in zip(held["nis"].astype(str), held["source"], strict=True):
        out[nis].add(source)
    return out
