"""What-if scenarios: add a bus stop with its departures, add a car park, fill vacant cells;
recompute the affected indicators of one commune and its pillar scores against the unchanged
other communes. Before/after rows land in ``gold.canvas_scenarios``.

Changes are applied as differences on the published values: the cell-level recomputation
(e.g. the SDG 11.2.1 share from ``gold.friction_cells``) gives ``after - before`` and that
difference is added to the published indicator, so a scenario never disagrees with the
baseline it starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import Transformer

from pipelines.canvas.catalogue import SCENARIOS_YAML, Catalogue
from pipelines.canvas.scorecard import nominal_score
from pipelines.canvas.scoring import ranks
from pipelines.constants import CRS_METRIC, CRS_WGS84
from pipelines.workers import fork_map

WALK_STOP_M = 500.0
WALK_PARKING_M = 300.0
DETOUR = 1.3
"""Network walk ~ 1.3 x the straight line (a usual circuity factor for urban streets)."""
FREQUENT = 4.0


@dataclass(frozen=True)
class ScenarioInputs:
    cells: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    vacant: pd.DataFrame
    population: dict[str, float]


def load_scenarios(path: Path = SCENARIOS_YAML) -> dict[str, dict[str, Any]]:
    """Scenario key -> spec; an unknown change kind is a ValueError naming the scenario."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    scenarios = raw.get("scenarios", {}) or {}
    for key, spec in scenarios.items():
        for change in spec.get("changes", []):
            if change.get("kind") not in ("add_stop", "add_car_park", "fill_vacant"):
                raise ValueError(f"{Path(path).name}: scenario {key!r} has unknown change kind {change.get('kind')!r}; expected add_stop, add_car_park or fill_vacant")
    return scenarios


_TO_METRIC = Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)


def _point(at: Any, own: gpd.GeoDataFrame) -> shapely.Point | None:
    """Where a change stands (metric CRS): ``at`` (lon, lat) or the origin of the main
    district among ``own`` (the commune's districts)."""
    if isinstance(at, dict):
        return shapely.Point(_TO_METRIC.transform(at["lon"], at["lat"]))
    if own.empty:
        return None
    main = own.sort_values(["n_shops", "district_id"], ascending=[False, True]).iloc[0]
    return shapely.Point(_TO_METRIC.transform(main["origin_lon"], main["origin_lat"]))


def _dg_regio(dph: np.ndarray) -> np.ndarray:
    return np.select([dph > 10, dph >= 4, dph > 0], ["high", "medium", "low"], "none")


def stop_effect(cells: gpd.GeoDataFrame, point: shapely.Point, departures_per_hour: float) -> dict[str, float]:
    """Change of the SDG 11.2.1 share and of the share without service (percentage points)
    when a stop with ``departures_per_hour`` stands at ``point`` (metric CRS)."""
    pop = cells["population"].to_numpy(dtype=float)
    total = pop.sum()
    if total <= 0:
        return {"pt_sdg_11_2_1_share": 0.0, "pt_class_none_share": 0.0}
    geoms = cells.geometry if cells.crs is not None and cells.crs.to_epsg() == 31370 else cells.geometry.to_crs(CRS_METRIC)
    centres = geoms.centroid
    near = (centres.distance(point) <= WALK_STOP_M / DETOUR).to_numpy()
    before = cells["pt_departures_per_hour"].fillna(0.0).to_numpy(dtype=float)
    after = np.where(near, np.maximum(before, departures_per_hour), before)
    sdg = lambda d: 100.0 * pop[d >= FREQUENT].sum() / total  # noqa: E731
    none = lambda d: 100.0 * pop[_dg_regio(d) == "none"].sum() / total  # noqa: E731
    return {"pt_sdg_11_2_1_share": sdg(after) - sdg(before), "pt_class_none_share": none(after) - none(before)}


def _apply(change: dict[str, Any], nis: str, values: dict[str, float], inp: ScenarioInputs) -> list[str]:
    """Apply one change to ``values`` (indicator -> value, in place); return notes (French).
    ``inp`` holds the commune's own cells, districts and vacant-cell register."""
    kind = change["kind"]
    own_d = inp.districts
    if kind == "fill_vacant":
        reg = inp.vacant
        if reg.empty or np.isnan(values.get("vacancy_rate", np.nan)):
            return ["pas de registre des cellules vides : effet non calculable"]
        latest = reg[reg["observed_on"] == reg["observed_on"].max()]
        vacant, observed = int((latest["status"] == "vacant").sum()), len(latest)
        filled = min(int(change["cells"]), vacant)
        values["vacancy_rate"] = 100.0 * (vacant - filled) / observed
        if not np.isnan(values.get("shops_per_1000", np.nan)) and inp.population.get(nis):
            values["shops_per_1000"] += 1000.0 * filled / inp.population[nis]
        return [f"{filled} cellules réoccupées sur {vacant} vides ({observed} observées)"]
    point = _point(change.get("at", "main_district"), own_d)
    if point is None:
        return ["pas de noyau commercial : emplacement inconnu"]
    near_district = bool(len(own_d)) and float(own_d.geometry.distance(point).min()) <= WALK_PARKING_M / DETOUR
    if kind == "add_stop":
        dph = float(change["departures_per_hour"])
        for code, delta in stop_effect(inp.cells, point, dph).items():
            if not np.isnan(values.get(code, np.nan)):
                values[code] += delta
        if near_district and not np.isnan(values.get("pt_district_trips_per_hour", np.nan)):
            values["pt_district_trips_per_hour"] += dph
        return [f"arrêt de {dph:g} départs/h"]
    if kind == "add_car_park":
        n_shops = float(own_d["n_shops"].sum())
        if near_district and n_shops > 0 and not np.isnan(values.get("parking_per_shop", np.nan)):
            values["parking_per_shop"] += float(change["capacity"]) / n_shops
        return [f"parking de {int(change['capacity'])} places" + ("" if near_district else " (hors d'atteinte à pied d'un noyau)")]
    return []


def run_scenarios(matrix: pd.DataFrame, catalogue: Catalogue, scenarios: dict[str, dict[str, Any]],
                  inp: ScenarioInputs) -> pd.DataFrame:
    """Before/after of every scenario and commune: changed indicators and every pillar score
    (nominal method) with its rank among all communes.

    A scenario changes one commune's row; only the pillars holding a changed indicator are
    scored again (the others keep their score and rank). Scores are against the same fixed
    goalposts as the baseline (only the commune's own score can move); ranks are recomputed
    over every commune. Each row states its assumptions. The (scenario, commune) pairs are
    shared among forked worker processes (:func:`pipelines.workers.fork_map`)."""
    inp = ScenarioInputs(inp.cells.to_crs(CRS_METRIC) if len(inp.cells) else inp.cells,
                         inp.districts.to_crs(CRS_METRIC) if len(inp.districts) else inp.districts, inp.vacant, inp.population)
    parts = {name: _by_commune(getattr(inp, name)) for name in ("cells", "districts", "vacant")}

    def own(nis: str) -> ScenarioInputs:
        """The commune's cells, districts and vacant-cell register (what :func:`_apply` reads)."""
        frames = {name: parts[name].get(nis, getattr(inp, name).iloc[0:0]) for name in parts}
        return ScenarioInputs(**frames, population=inp.population)

    pillars = sorted(catalogue.pillars.values(), key=lambda p: p.order)
    assumptions = (f"scores recalculés contre les bornes fixes (version {catalogue.goalposts_version or 'inconnue'}) : "
                   "seules les valeurs de la commune changent, les autres communes ne changent que le rang ; "
                   f"marche approchée par {DETOUR:g} x la distance à vol d'oiseau ; arrêt fréquent à partir de {FREQUENT:g} départs/h")
    base = {p.code: nominal_score(matrix, catalogue, p.code)[0] for p in pillars}
    base_rank = {code: ranks(score) for code, score in base.items()}

    def rows_of(task: tuple[str, dict[str, Any], str]) -> list[dict[str, Any]]:
        """The rows of one scenario in one commune."""
        key, spec, nis = task
        at = matrix.index.get_loc(nis)
        before = matrix.loc[nis].to_dict()
        values = dict(before)
        local = own(nis)
        notes = [n for change in spec.get("changes", []) for n in _apply(change, nis, values, local)]
        common = {"nis": nis, "scenario": key, "title_fr": spec.get("title_fr", key), "notes": " ; ".join(notes),
                  "assumptions": assumptions}
        rows, moved = [], set()
        for code in catalogue.indicators:
            b, a = before[code], values[code]
            if pd.notna(b) and pd.notna(a) and abs(a - b) > 1e-12:
                rows.append({**common, "level": "indicator", "code": code, "name_fr": catalogue.indicators[code].name_fr,
                             "before": float(b), "after": float(a), "rank_before": np.nan, "rank_after": np.nan})
            if not _same(b, a):
                moved.add(catalogue.indicators[code].pillar)
        # a commune's score depends on its own values only (fixed goalposts): score its
        # changed row alone, then rank it among the others' unchanged scores
        changed = pd.DataFrame([values], index=[nis]) if moved else None
        for p in pillars:
            after, after_rank = base[p.code][at], base_rank[p.code][at]
            if p.code in moved:
                scores = base[p.code].copy()
                scores[at] = after = nominal_score(changed, catalogue, p.code)[0][0]
                after_rank = _rank_of(scores, at)
            rows.append({**common, "level": "pillar", "code": p.code, "name_fr": p.name_fr,
                         "before": base[p.code][at], "after": after,
                         "rank_before": base_rank[p.code][at], "rank_after": after_rank})
        return rows

    tasks = [(key, spec, nis) for key, spec in scenarios.items()
             for nis in (matrix.index if spec.get("communes", "all") == "all" else [str(n) for n in spec["communes"] if str(n) in matrix.index])]
    rows = [row for part in fork_map(rows_of, tasks) for row in part]
    frame = pd.DataFrame(rows, columns=["nis", "scenario", "title_fr", "notes", "assumptions", "level", "code", "name_fr", "before", "after", "rank_before", "rank_after"])
    frame["delta"] = frame["after"] - frame["before"]
    return frame


def _rank_of(scores: np.ndarray, at: int) -> float:
    """The rank of ``scores[at]`` as :func:`~pipelines.canvas.scoring.ranks` gives it."""
    mine = scores[at]
    return np.nan if np.isnan(mine) else 1.0 + float((scores > mine).sum())


def _by_commune(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of ``frame`` per commune (``nis`` as text)."""
    if frame.empty:
        return {}
    return {str(nis): rows for nis, rows in frame.groupby(frame["nis"].astype(str), sort=False)}


def _same(before: Any, after: Any) -> bool:
    """Unchanged value (both missing counts as unchanged)."""
    if pd.isna(before) or pd.isna(after):
        return bool(pd.isna(before) and pd.isna(after))
    return bool(before == after)
