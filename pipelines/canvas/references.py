"""Absolute judgement of the Canvas indicators and the fixed goalposts of its scores.

* :func:`size_derived` — size-driven counts expressed per inhabitant or per district
  (``derived`` in ``indicators.yaml``), so a small commune is not judged weak for being small.
* :func:`half_width` — the uncertainty of a commune's value, from the data where the data
  gives one (shops counted, register cells observed, measuring points) and from a documented
  working value for modelled indicators; doubled when the needed sources cover the commune
  only partially.
* :func:`judge` — the gap to the absolute reference (``references.yaml``) and whether it is
  significant: larger than the documented minimum difference AND than the uncertainty.
* :func:`compute_goalposts` / :func:`goalposts_yaml` — the versioned goalposts of the scores
  (``goalposts.yaml``), computed once from a reference set of communes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import yaml

from pipelines.canvas.catalogue import Catalogue, Threshold
from pipelines.canvas.scoring import winsorise

Z95 = 1.96
PARTIAL_COVERAGE = 0.9
"""Below this coverage of its sampled sources, an indicator's interval is doubled."""
SAMPLED_FAMILIES = frozenset({"wifi", "counters", "vacancy", "vouchers", "od", "parking"})
"""Families whose coverage is a sampling coverage (sensors per district, register per
district, merchants per shop...): a partial one widens the interval. The coverage of OSM or
the BCE is what the online indicators measure, so it does not widen theirs twice."""
MIN_SPAN_IN_DIFFERENCES = 4
"""Goalposts span at least four minimum differences: a reference set spread over less than
that (shops per 1,000 inhabitants: 5.76-6.06 on the demo) would turn a gap nobody could call
meaningful into a full-scale score difference."""
SITES_FALLBACK = 0.5
"""One measuring point gives no spread: the interval is then +/- 50 % of the value."""

JUDGEMENT_FR = {
    "met": "référence atteinte",
    "not_significant": "pas d'écart significatif",
    "significant": "écart significatif",
    "not_computable": "non jugé (valeur non calculable)",
}


def size_derived(values: pd.DataFrame, catalogue: Catalogue, population: Mapping[str, float],
                 districts: Mapping[str, int]) -> pd.DataFrame:
    """Rows (``nis``, ``indicator``, ``value``, ``reference``[, ``status``, ``needs``]) of the
    catalogue's ``derived`` indicators: the upstream value divided by the commune's population
    or number of shopping districts, times ``scale``, capped at ``cap``. The upstream status
    (suppressed, not computable) is carried; no district or no population gives no value."""
    rows = []
    by = {(str(r["nis"]), str(r["indicator"])): r for r in values.to_dict("records")}
    communes = sorted({str(n) for n in values["nis"]}) if len(values) else []
    for code, spec in catalogue.indicators.items():
        d = spec.derived
        if not d:
            continue
        for nis in communes:
            src = by.get((nis, d["from"]))
            if src is None:
                continue
            size = float(population.get(nis, np.nan)) if d["per"] == "population" else float(districts.get(nis, 0))
            raw = src.get("value")
            value = np.nan
            if raw is not None and pd.notna(raw) and size > 0:
                value = float(raw) / size * float(d.get("scale", 1.0))
                if d.get("cap") is not None:
                    value = min(value, float(d["cap"]))
            per = "habitants" if d["per"] == "population" else "noyaux commerciaux"
            row = {"nis": nis, "indicator": code, "value": value,
                   "reference": f"{d['from']} / {per}" + (f" x {d['scale']:g}" if d.get("scale") else "") + f" ({src.get('reference') or ''})"}
            for extra in ("status", "needs"):
                if extra in src:
                    row[extra] = src[extra]
            rows.append(row)
    return pd.DataFrame(rows, columns=["nis", "indicator", "value", "reference", *[c for c in ("status", "needs") if c in values.columns]])


@dataclass(frozen=True)
class CommuneContext:
    """What the intervals need about one commune: shops counted, population, cells observed
    in the latest vacancy register, spread and number of footfall measuring points."""

    shops: float = np.nan
    population: float = np.nan
    observed_cells: float = np.nan
    site_sd: float = np.nan
    n_sites: float = 0.0
    respondents: float = np.nan
    """Shops that answered the merchant survey (the sample of its shares)."""


def contexts(features: pd.DataFrame, vacant: pd.DataFrame, footfall_profile: pd.DataFrame,
             surveyed: dict[str, float] | None = None) -> dict[str, CommuneContext]:
    """nis -> :class:`CommuneContext` from the peers' features (shops, population), the vacancy
    register (latest date) and the site rows of ``gold.footfall_profile``."""
    observed: dict[str, float] = {}
    if len(vacant) and {"nis", "observed_on"} <= set(vacant.columns):
        v = vacant.assign(nis=vacant["nis"].astype(str))
        latest = v[v["observed_on"] == v.groupby("nis")["observed_on"].transform("max")]
        observed = latest.groupby("nis").size().astype(float).to_dict()
    spread: dict[str, tuple[float, float]] = {}
    if len(footfall_profile) and "level" in footfall_profile.columns:
        sites = footfall_profile[footfall_profile["level"] == "site"]
        for nis, g in sites.assign(nis=sites["nis"].astype(str)).groupby("nis"):
            x = pd.to_numeric(g["footfall_daily"], errors="coerce").dropna().to_numpy(dtype=float)
            spread[str(nis)] = (float(x.std(ddof=1)) if len(x) >= 2 else np.nan, float(len(x)))
    out = {}
    for r in features.itertuples():
        nis = str(r.nis)
        sd, n = spread.get(nis, (np.nan, 0.0))
        out[nis] = CommuneContext(float(r.shops), float(r.population), observed.get(nis, np.nan), sd, n,
                                  (surveyed or {}).get(nis, np.nan))
    return out


def half_width(ref: Threshold, value: float, ctx: CommuneContext, coverage: float = np.nan) -> tuple[float, str]:
    """(half-width of the 95 % interval around ``value``, its basis in French).

    binomial (Agresti-Coull: ``p~ = (x + 2) / (n + 4)``, ``1.96 sqrt(p~(1-p~)/(n+4))``), Poisson
    count of shops, spread of the measuring points, or a documented absolute / relative working
    value; doubled when the coverage of the needed sources is below 90 %. An unknown sample
    size gives an infinite interval (nothing can be called significant)."""
    if value is None or np.isnan(value):
        return np.nan, ""
    method, param = ref.uncertainty[0] if ref.uncertainty else ("absolute", 0.0)
    if method == "binomial":
        n, what = {"shops": (ctx.shops, "commerces"), "respondents": (ctx.respondents, "commerces interrogés")}.get(
            param, (ctx.observed_cells, "cellules observées"))
        if not n or np.isnan(n) or n <= 0:
            hw, basis = np.inf, "taille d'échantillon inconnue"
        else:
            p = (value / 100.0 * n + 2.0) / (n + 4.0)
            hw = 100.0 * Z95 * np.sqrt(p * (1 - p) / (n + 4.0))
            basis = f"proportion sur {int(n)} {what}"
    elif method == "poisson":
        if not ctx.population or np.isnan(ctx.population) or ctx.population <= 0 or np.isnan(ctx.shops):
            hw, basis = np.inf, "population inconnue"
        else:
            hw = Z95 * np.sqrt(max(ctx.shops, 1.0)) / ctx.population * 1000.0
            basis = f"comptage de {int(ctx.shops)} commerces (Poisson)"
    elif method == "sites":
        if ctx.n_sites >= 2 and not np.isnan(ctx.site_sd):
            hw = Z95 * ctx.site_sd / np.sqrt(ctx.n_sites)
            basis = f"dispersion entre {int(ctx.n_sites)} points de mesure"
        else:
            hw = SITES_FALLBACK * abs(value)
            basis = "un seul point de mesure : ± 50 %"
    elif method == "relative":
        hw, basis = float(param) * abs(value), f"modèle : ± {float(param) * 100:g} % (valeur de travail)"
    else:
        hw, basis = float(param), f"± {float(param):g} (valeur de travail)"
    if not np.isnan(coverage) and coverage < PARTIAL_COVERAGE:
        hw, basis = 2.0 * hw, basis + " ; doublé : couverture partielle des sources"
    return float(hw), basis


def judge(ref: Threshold | None, value: float, hw: float) -> dict[str, Any]:
    """The absolute judgement of one value against its reference.

    ``gap`` is oriented (>= 0: the reference is met; < 0: short of it, in the indicator's unit);
    a shortfall is **significant** when it exceeds both the reference's ``min_difference`` and
    the half-width ``hw`` of the value's interval. ``severity`` is the shortfall in multiples of
    the minimum difference (0 when met), used to rank friction points."""
    if ref is None or value is None or np.isnan(value):
        return {"gap": np.nan, "shortfall": np.nan, "significant": False, "judgement": "not_computable"}
    gap = ref.gap(value)
    shortfall = max(0.0, -gap)
    if shortfall <= 0:
        verdict = "met"
    elif shortfall > ref.min_difference and shortfall > (hw if not np.isnan(hw) else 0.0):
        verdict = "significant"
    else:
        verdict = "not_significant"
    return {"gap": float(gap), "shortfall": float(shortfall), "significant": verdict == "significant", "judgement": verdict}


def compute_goalposts(values: pd.DataFrame, catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """Goalposts per indicator from a reference set of communes (``values``: long rows ``nis``,
    ``indicator``, ``value``, ``status`` — e.g. ``gold.canvas`` of the reference run).

    Natural bounds where the reference declares them (shares: 0-100); otherwise the minimum
    and maximum of the reference set after the JRC winsorisation (|skew| > 2 and kurtosis > 3.5,
    at most five values), widened to contain the reference value so that meeting the reference
    is always inside the scale, and to span at least :data:`MIN_SPAN_IN_DIFFERENCES` minimum
    differences (kept non-negative for a non-negative indicator). An indicator with fewer than two distinct values gets
    ``[min(0, v, ref), max(v, 2 ref)]``."""
    ok = values[values["status"] == "computed"] if "status" in values.columns else values
    out: dict[str, dict[str, Any]] = {}
    for code, spec in catalogue.indicators.items():
        ref = spec.threshold
        if ref is not None and ref.bounds is not None:
            out[code] = {"lower": ref.bounds[0], "upper": ref.bounds[1], "basis": "bornes naturelles"}
            continue
        v = pd.to_numeric(ok.loc[ok["indicator"] == code, "value"], errors="coerce").dropna().to_numpy(dtype=float)
        r = ref.value if ref is not None else np.nan
        if len(np.unique(v)) >= 2:
            w, treated = winsorise(v)
            lower, upper = float(np.nanmin(np.append(w, r))), float(np.nanmax(np.append(w, r)))
            basis = f"min-max de {len(v)} communes de référence" + (f" ({treated} valeur(s) winsorisée(s))" if treated else "") + ", étendu à la référence"
        else:
            lower = float(np.nanmin([0.0, *v, r]))
            upper = float(np.nanmax([*v, 2.0 * r if not np.isnan(r) else 1.0, lower + 1.0]))
            basis = "moins de deux valeurs distinctes : [0 ; 2 x référence]"
        if upper <= lower:
            upper = lower + 1.0
        floor = MIN_SPAN_IN_DIFFERENCES * (ref.min_difference if ref is not None else 0.0)
        if upper - lower < floor:
            mid = (upper + lower) / 2.0
            lower, upper = mid - floor / 2.0, mid + floor / 2.0
            non_negative = float(np.nanmin(v)) >= 0 if len(v) else True
            if non_negative and lower < 0:
                lower, upper = 0.0, floor
            basis += f" ; élargi à {MIN_SPAN_IN_DIFFERENCES} écarts minimaux ({floor:g})"
        out[code] = {"lower": round(lower, 6), "upper": round(upper, 6), "basis": basis}
    return out


def goalposts_yaml(goalposts: Mapping[str, Mapping[str, Any]], version: str, reference_set: str,
                   communes: list[str], computed_on: date) -> str:
    """The text of ``geodata/canvas/goalposts.yaml`` (commented, versioned)."""
    head = (
        "# Goalposts of the Canvas scores (fixed normalisation, as the UNDP's HDI does): each indicator\n"
        "# is mapped to 0-100 between `lower` and `upper` (reversed for \"less is better\"), clipped.\n"
        "# Computed ONCE from a reference set of communes and versioned: a run never recomputes them,\n"
        "# so adding or removing a commune never changes another commune's score.\n"
        "# Recompute (then review the diff and bump the version):\n"
        "#   python -m assets.cli goalposts --version <new version> --reference-set \"<description>\"\n"
        "# which calls pipelines.canvas.references.compute_goalposts on the data root's Canvas values.\n"
    )
    body = {"version": version, "computed_on": computed_on.isoformat(), "reference_set": reference_set,
            "reference_communes": communes,
            "method": "bornes naturelles si references.yaml les déclare ; sinon min-max winsorisé (règle JRC) de l'ensemble de référence, étendu à la valeur de référence",
            "goalposts": {k: dict(v) for k, v in goalposts.items()}}
    return head + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=120)
