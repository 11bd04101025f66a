"""The Canvas scorecard along the customer journey (``gold.canvas``, ``gold.canvas_pillars``).

Per indicator and commune: value, status (computed / not_computable / suppressed) and the
source families it needs; FIRST the absolute judgement (reference with its source and year,
gap, 95 % interval of the value, significance: the gap must exceed the documented minimum
difference and the interval), THEN the peer lens (percentile in each lens, oriented: 100 =
best position); trend, coverage flag, influence and local control, and the friction priority.
Per pillar: a 0-100 score against fixed, versioned goalposts (weighted geometric mean) and a
Monte-Carlo interval. A value that cannot be computed stays missing: it is never imputed and it
does not enter the score (the pillar's coverage says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipelines.canvas import scoring
from pipelines.canvas.catalogue import LEVELS, Catalogue, IndicatorSpec
from pipelines.canvas.peers import lens_masks
from pipelines.canvas.references import (
    JUDGEMENT_FR,
    SAMPLED_FAMILIES,
    CommuneContext,
    half_width,
    judge,
)

MIN_COVERAGE = 0.5
"""A pillar score is published when at least half of its nominal weight is computed."""
STATUSES = ("computed", "not_computable", "suppressed")


@dataclass(frozen=True)
class Scorecard:
    canvas: pd.DataFrame
    pillars: pd.DataFrame


OWN_CODES = ("shops_per_1000", "footfall_daily", "footfall_yoy_change", "catchment_expected_customers")
"""The codes :func:`derived_values` computes (the Canvas's own catalogue, beside the friction
catalogue and gold.online_journey's)."""


def derived_values(features: pd.DataFrame, footfall_profile: pd.DataFrame,
                   catchment: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Canvas indicators not in ``gold.commune_indicators``: shops per 1,000 inhabitants,
    daily footfall and its year-on-year change, Huff-expected customers per shop."""
    rows = []
    for r in features.itertuples():
        rows.append((str(r.nis), "shops_per_1000", r.shops_per_1000, "gold.h3_cells: commerces / population x 1000"))
    prof = footfall_profile[footfall_profile["level"] == "commune"] if len(footfall_profile) else footfall_profile
    for r in prof.itertuples():
        rows.append((str(r.nis), "footfall_daily", r.footfall_daily, f"gold.footfall_profile, {r.n_sites} points de mesure, {r.n_days} jours"))
        rows.append((str(r.nis), "footfall_yoy_change", r.yoy_change, "" if pd.isna(getattr(r, "yoy_reason", None)) else str(r.yoy_reason)))
    if len(catchment) and len(districts):
        d = districts[["district_id", "nis", "n_shops"]].assign(nis=districts["nis"].astype(str))
        exp = catchment.groupby("district_id")["expected_customers"].sum().rename("exp").reset_index().merge(d, on="district_id")
        per = exp.groupby("nis")[["exp", "n_shops"]].sum()
        for nis, r in per.iterrows():
            value = r["exp"] / r["n_shops"] if r["n_shops"] > 0 else np.nan
            rows.append((nis, "catchment_expected_customers", value, "gold.catchment (Huff) : clientèle attendue / commerces des noyaux"))
    return pd.DataFrame(rows, columns=["nis", "indicator", "value", "reference"])


def commune_values(indicators: pd.DataFrame, derived: pd.DataFrame) -> pd.DataFrame:
    """Commune-level rows (``district_id`` null) of ``gold.commune_indicators`` plus the
    derived values; keeps ``status``/``needs`` when the friction table provides them."""
    base = indicators[indicators["district_id"].isna()].copy() if len(indicators) else indicators.copy()
    cols = ["nis", "indicator", "value", "reference"]
    extra = [c for c in ("status", "needs") if c in base.columns]
    base = base[cols + extra].assign(nis=lambda f: f["nis"].astype(str))
    out = pd.concat([base, derived.assign(nis=derived["nis"].astype(str))], ignore_index=True)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    return out.drop_duplicates(["nis", "indicator"], keep="first")


def _as_list(value: object) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    return []


def resolve_status(values: pd.DataFrame, communes: list[str], held: Mapping[str, set[str]],
                   catalogue: Catalogue) -> pd.DataFrame:
    """One row per commune and catalogue indicator: value, status and needs.

    A needed family the commune does not hold makes the indicator ``not_computable`` (its
    value is dropped, never imputed), whatever the upstream table says; a ``suppressed``
    upstream status (or a reference starting with "suppressed") stays suppressed.
    """
    recs = {(str(r["nis"]), str(r["indicator"])): r for r in values.to_dict("records")}
    rows = []
    for nis in communes:
        have = held.get(nis, set())
        for code, spec in catalogue.indicators.items():
            rec = recs.get((nis, code), {})
            raw = rec.get("value", np.nan)
            value = float(raw) if raw is not None and pd.notna(raw) else np.nan
            ref = str(rec["reference"]) if rec.get("reference") is not None and pd.notna(rec.get("reference")) else ""
            status_in = str(rec["status"]) if isinstance(rec.get("status"), str) else ""
            missing = spec.missing_needs(have)
            needs = sorted(set(missing) | set(_as_list(rec.get("needs"))))
            if status_in == "suppressed" or ref.startswith("suppressed"):
                status, value = "suppressed", np.nan
            elif missing or status_in == "not_computable" or np.isnan(value):
                status, value = "not_computable", np.nan
            else:
                status, needs = "computed", []
            trend = np.nan
            t = recs.get((nis, spec.trend), {}).get("value") if spec.trend else None
            if status == "computed" and t is not None and pd.notna(t):
                trend = float(t)
            rows.append({"nis": nis, "indicator": code, "value": value, "status": status,
                         "needs": needs, "reference": ref, "trend": trend})
    return pd.DataFrame(rows)


def wide(resolved: pd.DataFrame, catalogue: Catalogue, communes: list[str]) -> pd.DataFrame:
    """communes x catalogue indicators (NaN = not computed), rows in ``communes`` order."""
    return resolved.pivot(index="nis", columns="indicator", values="value").reindex(index=communes, columns=list(catalogue.indicators))


def goalposts_of(specs: list[IndicatorSpec], version: str = "") -> list[tuple[float, float]]:
    """The fixed goalposts of ``specs``; a ValueError names the indicators without any."""
    missing = [s.code for s in specs if s.goalposts is None]
    if missing:
        raise ValueError(f"goalposts.yaml{f' (version {version})' if version else ''} has no goalposts for {missing}; "
                         "recompute them with `python -m assets.cli goalposts` (docs/canvas.md)")
    return [(s.goalposts.lower, s.goalposts.upper) for s in specs if s.goalposts is not None]


def nominal_score(matrix: pd.DataFrame, catalogue: Catalogue, pillar: str) -> tuple[np.ndarray, np.ndarray]:
    """(score, coverage) of one pillar for every commune (rows of ``matrix``) against the fixed
    goalposts: a commune's score depends on its own values only. NaN where less than
    :data:`MIN_COVERAGE` of the pillar's weight is computed."""
    specs = catalogue.in_pillar(pillar)
    raw = matrix[[s.code for s in specs]].to_numpy(dtype=float)
    weights = [s.weight for s in specs]
    cov = scoring.coverage(raw, weights)
    score = scoring.fixed_score(raw, [s.sign for s in specs], weights, goalposts_of(specs, catalogue.goalposts_version))
    score[cov < MIN_COVERAGE] = np.nan
    return score, cov


def score_pillars(matrix: pd.DataFrame, catalogue: Catalogue, draws: int = scoring.MC_DRAWS,
                  seed: int = scoring.MC_SEED) -> pd.DataFrame:
    """Nominal score (fixed goalposts), coverage, rank among the communes of the run and
    Monte-Carlo intervals per commune and pillar. Score and score interval of a commune do not
    depend on the other communes; ranks do (they are the peer lens of the scores)."""
    out = []
    n = len(matrix)
    for pillar in sorted(catalogue.pillars.values(), key=lambda p: p.order):
        specs = catalogue.in_pillar(pillar.code)
        raw = matrix[[s.code for s in specs]].to_numpy(dtype=float)
        score, cov = nominal_score(matrix, catalogue, pillar.code)
        masked = raw.copy()
        masked[cov < MIN_COVERAGE] = np.nan
        signs, weights = [s.sign for s in specs], [s.weight for s in specs]
        goals = goalposts_of(specs, catalogue.goalposts_version)
        mc = scoring.monte_carlo_fixed(masked, signs, weights, goals, draws=draws, seed=seed) if draws else scoring.no_uncertainty(n, seed)
        out.append(pd.DataFrame({
            "nis": matrix.index.to_numpy(), "pillar": pillar.code, "pillar_fr": pillar.name_fr, "order": pillar.order,
            "score": score, "score_p05": mc.score_p05, "score_p95": mc.score_p95,
            "rank": scoring.ranks(score), "rank_p05": mc.rank_p05, "rank_p50": mc.rank_median, "rank_p95": mc.rank_p95,
            "n_ranked": int((~np.isnan(score)).sum()), "coverage": cov.astype(float),
            "n_indicators": len(specs), "n_computed": (~np.isnan(raw)).sum(axis=1).astype(int),
            "draws": mc.draws, "seed": mc.seed, "goalposts_version": catalogue.goalposts_version,
            "references_version": catalogue.references_version,
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _coverage_flag(coverage: Mapping[str, float], families: set[str]) -> tuple[float, str]:
    """Lowest coverage of the ``families`` a commune's inventory lists (``coverage``: source
    -> its lowest coverage, NaN when unknown) and its French flag."""
    known = [coverage[f] for f in families if f in coverage]
    if not known:
        return np.nan, "inconnue"
    cov = float(np.nanmin(known)) if not np.isnan(known).all() else np.nan
    if np.isnan(cov):
        return cov, "inconnue"
    return cov, "complète" if cov >= 0.9 else ("partielle" if cov > 0 else "absente")


def indicator_rows(resolved: pd.DataFrame, matrix: pd.DataFrame, peers: pd.DataFrame,
                   catalogue: Catalogue, cadastre: pd.DataFrame,
                   contexts: Mapping[str, CommuneContext] | None = None,
                   overrides: Mapping[tuple[str, str], Override] | None = None) -> pd.DataFrame:
    """The long ``gold.canvas`` rows: absolute judgement (reference, gap, interval,
    significance), peer percentiles, coverage, normalised score, friction priority.

    ``overrides`` ((nis, indicator) -> :class:`Override`): the consultant's reference for that
    commune only; it replaces the reference's value in the judgement (gap, significance,
    friction point), keeps the original in ``reference_original`` and carries the
    justification, who and when. The goalposts (the score) do not change."""
    contexts, overrides = contexts or {}, overrides or {}
    order = peers["nis"].astype(str).tolist()
    masks = lens_masks(peers.set_index(peers["nis"].astype(str)).loc[matrix.index].reset_index(drop=True))
    pct: dict[tuple[str, str], dict[str, float]] = {}
    for code, spec in catalogue.indicators.items():
        x = matrix[code].to_numpy(dtype=float) * spec.sign
        for lens, mask in masks.items():
            for nis, p in zip(matrix.index, scoring.percentile_rank(x, mask), strict=True):
                pct.setdefault((nis, code), {})[f"percentile_{lens}"] = p
    names = peers.set_index(peers["nis"].astype(str))["commune"]
    lowest = cadastre.groupby(["nis", "source"], sort=False)["coverage"].min()
    coverage: dict[str, dict[str, float]] = {}
    for (nis, source), cov in lowest.items():
        coverage.setdefault(nis, {})[source] = float(cov)
    rows = []
    for r in resolved.itertuples():
        spec = catalogue.indicators[r.indicator]
        over = overrides.get((r.nis, r.indicator))
        thr = replace(spec.threshold, value=over.value, basis="consultant") if over and spec.threshold else spec.threshold
        gap = thr.gap(r.value) if thr and not np.isnan(r.value) else np.nan
        cov, flag = _coverage_flag(coverage.get(r.nis, {}), spec.families())
        p = pct.get((r.nis, r.indicator), {})
        sampled = spec.families() & SAMPLED_FAMILIES
        sample_cov = _coverage_flag(coverage.get(r.nis, {}), sampled)[0] if sampled else np.nan
        hw, hw_basis = half_width(thr, r.value, contexts.get(r.nis, CommuneContext()), sample_cov) if thr else (np.nan, "")
        verdict = judge(thr, r.value, hw)
        goal = spec.goalposts
        normalised = (float(scoring.goalpost_normalise(np.array([r.value]), goal.lower, goal.upper, spec.sign)[0])
                      if goal is not None and not np.isnan(r.value) else np.nan)
        rows.append({
            "nis": r.nis, "commune": names.get(r.nis, r.nis), "pillar": spec.pillar,
            "pillar_fr": catalogue.pillars[spec.pillar].name_fr, "indicator": r.indicator,
            "name_fr": spec.name_fr, "unit": spec.unit, "direction": spec.direction, "weight": spec.weight,
            "value": r.value, "status": r.status, "needs": r.needs, "reference": r.reference,
            "percentile_all": p.get("percentile_all", np.nan), "percentile_cluster": p.get("percentile_cluster", np.nan),
            "percentile_neighbours": p.get("percentile_neighbours", np.nan), "percentile_typology": p.get("percentile_typology", np.nan),
            "threshold": thr.value if thr else np.nan, "threshold_kind": thr.kind if thr else None,
            "threshold_source": thr.source if thr else None, "threshold_gap": gap,
            "threshold_met": (bool(gap >= 0) if not np.isnan(gap) else None),
            "reference_basis": thr.basis if thr else None, "reference_basis_fr": thr.basis_fr if thr else None,
            "reference_year": thr.year if thr else None, "reference_note": thr.note if thr else None,
            "min_difference": thr.min_difference if thr else np.nan,
            "interval_low": r.value - hw if not np.isnan(hw) else np.nan,
            "interval_high": r.value + hw if not np.isnan(hw) else np.nan,
            "interval_half_width": hw, "interval_basis": hw_basis,
            "shortfall": verdict["shortfall"], "significant": bool(verdict["significant"]),
            "judgement": verdict["judgement"], "judgement_fr": JUDGEMENT_FR[verdict["judgement"]],
            "goalpost_lower": goal.lower if goal else np.nan, "goalpost_upper": goal.upper if goal else np.nan,
            "score_normalised": normalised,
            "trend": r.trend, "trend_indicator": spec.trend, "coverage": cov, "coverage_flag": flag,
            "influence": spec.influence, "control": spec.control,
            **_override_columns(over, spec),
        })
    frame = pd.DataFrame(rows)
    return rank_frictions(frame).sort_values(["nis", "pillar", "indicator"], key=lambda s: s.map({n: i for i, n in enumerate(order)}) if s.name == "nis" else s).reset_index(drop=True)


@dataclass(frozen=True)
class Override:
    """A consultant's reference for one commune and indicator (``bronze.consultant_references``)."""

    value: float
    justification: str
    consultant: str
    validated_on: str


def _override_columns(over: Override | None, spec: IndicatorSpec) -> dict[str, object]:
    original = spec.threshold.value if spec.threshold else np.nan
    if over is None:
        return {"reference_override": False, "reference_original": original, "reference_justification": None,
                "reference_overridden_by": None, "reference_overridden_on": None}
    return {"reference_override": True, "reference_original": original, "reference_justification": over.justification,
            "reference_overridden_by": over.consultant, "reference_overridden_on": over.validated_on}


def rank_frictions(frame: pd.DataFrame) -> pd.DataFrame:
    """Friction points: computed indicators whose shortfall from their absolute reference is
    significant (larger than the documented minimum difference and than the value's interval);
    every other one is "pas d'écart significatif" or "référence atteinte", whatever its peer
    percentile. Priority = severity x local control x influence (high 3, medium 2, low 1), with
    severity = shortfall / goalpost span (0-1): what is far from its reference and under local
    control comes first; rank 1 = act first. Depends on the commune's own values only."""
    span = (frame["goalpost_upper"] - frame["goalpost_lower"]).where(lambda s: s > 0)
    severity = (frame["shortfall"] / span).clip(0.0, 1.0).fillna(0.0)
    frame = frame.assign(severity=severity)
    is_point = (frame["status"] == "computed") & frame["significant"].astype(bool)
    prio = severity * frame["control"].map(LEVELS) * frame["influence"].map(LEVELS)
    frame = frame.assign(priority=np.where(frame["status"] == "computed", prio, np.nan))
    frame["friction_priority"] = np.where(is_point, prio, np.nan)
    frame["friction_rank"] = frame.groupby("nis")["friction_priority"].rank(ascending=False, method="first")
    return frame


def build_scorecard(values: pd.DataFrame, peers: pd.DataFrame, held: Mapping[str, set[str]],
                    cadastre: pd.DataFrame, catalogue: Catalogue, draws: int = scoring.MC_DRAWS,
                    seed: int = scoring.MC_SEED, contexts: Mapping[str, CommuneContext] | None = None,
                    overrides: Mapping[tuple[str, str], Override] | None = None) -> Scorecard:
    """``gold.canvas`` and ``gold.canvas_pillars`` from the commune values (see
    :func:`commune_values`), the peers table, the families each commune holds and the data
    inventory."""
    communes = peers["nis"].astype(str).tolist()
    resolved = resolve_status(values, communes, held, catalogue)
    matrix = wide(resolved, catalogue, communes)
    pillars = score_pillars(matrix, catalogue, draws=draws, seed=seed)
    pillars.insert(1, "commune", pillars["nis"].map(peers.set_index(peers["nis"].astype(str))["commune"]))
    canvas = indicator_rows(resolved, matrix, peers, catalogue, cadastre, contexts, overrides)
    return Scorecard(canvas, pillars)
