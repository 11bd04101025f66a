"""Estimated footfall where no sensor stands: a model trained on the measurement sites.

Features of a point come from the lake: shops within 150 m and 300 m and by commerce
category within 300 m (``silver.shops``), served public-transport stops and their scheduled
departures within 300 m (``silver.stops``), parking capacity within 300 m
(``silver.parking``), the population of its H3 cell and the six neighbours
(``gold.h3_cells``) and the distance to its commune's commercial centre (the cell with most
shops around it). The model learns the mean daily footfall measured at every site (a
counter or a WiFi sensor) from the features at the site, and predicts it at the centre of
every cell. Footfall is multiplicative (twice the shops, about twice the walkers), so the
model works on log scales.

The model is scikit-learn's :class:`~sklearn.linear_model.RidgeCV` on log features inside
a pipeline with scaling; its error is measured by repeated K-fold cross-validation (every
site predicted by a model that never saw it) and the per-cell interval is the
split-conformal band of the out-of-fold log errors, ``[estimate / e^q, estimate * e^q]``
with ``q`` the 90 % quantile of ``|log(measured / predicted)|``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import polars as pl
import polars_h3 as plh3
from pyproj import Transformer
from scipy.spatial import cKDTree
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from pipelines.constants import CRS_METRIC, CRS_WGS84, SHOP_CATEGORIES
from pipelines.errors import InputError
from pipelines.grid import cell_centres

NEAR_M, AROUND_M = 150.0, 300.0
FEATURES = (
    "shops_150m",
    "shops_300m",
    *(f"shops_{c}_300m" for c in SHOP_CATEGORIES),
    "stops_300m",
    "departures_300m",
    "parking_300m",
    "population_ring",
    "dist_centre_m",
)
COVERAGE = 0.9
"""Nominal coverage of the per-cell interval."""
MIN_TRAINING_SITES = 8


def cell_xy(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of H3 cells in Belgian Lambert 72 metres."""
    lonlat = cell_centres(cells)
    to_metric = Transformer.from_crs(CRS_WGS84, CRS_METRIC, always_xy=True)
    return to_metric.transform(lonlat[:, 0], lonlat[:, 1])


def _ring_sum(cells: pd.DataFrame, column: str) -> pd.Series:
    """Sum of ``column`` over each cell and its six neighbours (outside cells count 0)."""
    frame = pl.DataFrame({"h3": pl.Series(cells["h3"].to_numpy().astype("uint64"))})
    disk = frame.with_columns(plh3.grid_disk("h3", 1).alias("nb")).explode("nb").to_pandas()
    values = pd.Series(
        cells[column].to_numpy(dtype="float64"), index=cells["h3"].to_numpy().astype("uint64")
    )
    disk["v"] = disk["nb"].astype("uint64").map(values).fillna(0.0)
    return disk.groupby("h3")["v"].sum()


def _xy(frame: pd.DataFrame) -> np.ndarray:
    metric = frame.geometry.to_crs(CRS_METRIC)
    return np.c_[metric.x.to_numpy(), metric.y.to_numpy()]


@dataclass
class FeatureContext:
    """What the features of any point are computed from (all in metres, EPSG:31370)."""

    shops: np.ndarray
    shop_category: np.ndarray
    stops: np.ndarray
    departures: np.ndarray
    parking: np.ndarray
    capacity: np.ndarray
    population_ring: pd.Series
    centres: pd.DataFrame

    @classmethod
    def from_lake(
        cls, cells: pd.DataFrame, shops: pd.DataFrame, stops: pd.DataFrame, parking: pd.DataFrame
    ) -> FeatureContext:
        """Build from ``gold.h3_cells`` and the ``silver`` shops, stops and parking."""
        need = {
            "h3_cells": (cells, ("h3", "nis", "population", "shops")),
            "shops": (shops, ("category", "geometry")),
            "stops": (stops, ("n_stop_times", "geometry")),
            "parking": (parking, ("capacity", "geometry")),
        }
        for name, (frame, cols) in need.items():
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise InputError(f"{name} lacks feature columns", found=f"missing {missing}")
        served = stops[stops["n_stop_times"] > 0]
        shops_ring = _ring_sum(cells, "shops")
        cx, cy = cell_xy(cells["h3"].to_numpy())
        ranked = pd.DataFrame(
            {
                "nis": cells["nis"].to_numpy(),
                "x": cx,
                "y": cy,
                "score": cells["h3"].astype("uint64").map(shops_ring).to_numpy(),
                "own": cells["shops"].to_numpy(),
            }
        )
        centres = ranked.sort_values(["score", "own"], ascending=False).drop_duplicates("nis")
        return cls(
            shops=_xy(shops),
            shop_category=shops["category"].astype(str).to_numpy(),
            stops=_xy(served),
            departures=served["n_stop_times"].to_numpy(dtype="float64"),
            parking=_xy(parking),
            capacity=parking["capacity"].fillna(0).to_numpy(dtype="float64"),
            population_ring=_ring_sum(cells, "population"),
            centres=centres.set_index("nis")[["x", "y"]],
        )


def _sum_within(
    points: np.ndarray, targets: np.ndarray, weights: np.ndarray, radius: float
) -> np.ndarray:
    """For each point, the sum of ``weights`` (targets x columns) of the targets within ``radius``.

    One sparse (points x targets) proximity matrix times the weights: no per-point loop.
    """
    weights = np.asarray(weights, dtype="float64").reshape(len(targets), -1)
    if not len(targets) or not len(points):
        return np.zeros((len(points), weights.shape[1]))
    near = cKDTree(points).sparse_distance_matrix(
        cKDTree(targets), radius, output_type="coo_matrix"
    )
    near.data[:] = 1.0  # a pair at distance 0 is stored too (as an explicit zero): count it
    return np.asarray(near.tocsr() @ weights)


def point_features(
    ctx: FeatureContext, x: np.ndarray, y: np.ndarray, h3: np.ndarray, nis: np.ndarray
) -> pd.DataFrame:
    """:data:`FEATURES` of points given in metres with their H3 cell and commune."""
    pts = np.c_[np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")]
    ones = np.ones(len(ctx.shops))
    by_cat = np.stack([ones] + [(ctx.shop_category == c).astype(float) for c in SHOP_CATEGORIES], 1)
    around = _sum_within(pts, ctx.shops, by_cat, AROUND_M)
    out = pd.DataFrame({"shops_150m": _sum_within(pts, ctx.shops, ones, NEAR_M)[:, 0]})
    out["shops_300m"] = around[:, 0]
    for j, cat in enumerate(SHOP_CATEGORIES, start=1):
        out[f"shops_{cat}_300m"] = around[:, j]
    stops = _sum_within(pts, ctx.stops, np.c_[np.ones(len(ctx.stops)), ctx.departures], AROUND_M)
    out["stops_300m"], out["departures_300m"] = stops[:, 0], stops[:, 1]
    out["parking_300m"] = _sum_within(pts, ctx.parking, ctx.capacity, AROUND_M)[:, 0]
    out["population_ring"] = (
        pd.Series(np.asarray(h3, dtype="uint64")).map(ctx.population_ring).fillna(0.0).to_numpy()
    )
    centre = ctx.centres.reindex(pd.Index(np.asarray(nis).astype(str)))
    out["dist_centre_m"] = np.hypot(
        pts[:, 0] - centre["x"].to_numpy(), pts[:, 1] - centre["y"].to_numpy()
    )
    return out[list(FEATURES)]


def _log_pipeline() -> Pipeline:
    return make_pipeline(
        FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-2, 3, 21)),
    )


def _conformal_q(resid: np.ndarray, coverage: float) -> float:
    """Split-conformal quantile: the ceil((n + 1) * coverage)-th smallest absolute error."""
    level = min(1.0, np.ceil((len(resid) + 1) * coverage) / len(resid))
    return float(np.quantile(resid, level, method="higher"))


def _loo_coverage(resid: np.ndarray, coverage: float) -> float:
    """Share of sites inside the band built from the *other* sites' errors (honest coverage)."""
    inside = [resid[i] <= _conformal_q(np.delete(resid, i), coverage) for i in range(len(resid))]
    return float(np.mean(inside))


@dataclass
class FootfallModel:
    """A fitted model with its cross-validated error and its interval half-width (log)."""

    pipeline: Pipeline
    n_train: int
    log_q: float
    metrics: dict[str, float] = field(default_factory=dict)
    oof: pd.Series = field(default_factory=pd.Series)
    lower: pd.Series = field(default_factory=pd.Series)
    upper: pd.Series = field(default_factory=pd.Series)

    def extrapolated(self, features: pd.DataFrame, min_effect: float = 0.1) -> pd.Series:
        """True where a feature that matters lies outside the range seen in training.

        A feature matters when its coefficient (effect of one standard deviation of its
        log) is at least ``min_effect`` in absolute value.
        """
        strong = self.coefficients().abs() >= min_effect
        names = list(strong[strong].index)
        x = features[names]
        return ((x < self.lower[names]) | (x > self.upper[names])).any(axis=1)

    def coefficients(self) -> pd.Series:
        """Ridge coefficients per standardised log feature (effect of one s.d.)."""
        return pd.Series(self.pipeline[-1].coef_, index=list(FEATURES))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """``estimate, low, high`` (mean daily footfall) for each row of ``features``."""
        estimate = np.exp(self.pipeline.predict(features[list(FEATURES)]))
        return pd.DataFrame(
            {
                "estimate": estimate,
                "low": estimate * np.exp(-self.log_q),
                "high": estimate * np.exp(self.log_q),
            },
            index=features.index,
        )


def fit_footfall_model(
    features: pd.DataFrame,
    target: pd.Series,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    coverage: float = COVERAGE,
) -> FootfallModel:
    """Fit the model on the measurement sites and measure its error out of sample.

    Parameters
    ----------
    features
        :func:`point_features` of the sites.
    target
        Measured mean daily footfall of the same rows (> 0).
    folds, repeats, seed
        Repeated K-fold cross-validation: each site is predicted ``repeats`` times by a model
        fitted without it; its out-of-fold prediction is the geometric mean.

    Returns
    -------
    FootfallModel
        With ``metrics``: ``cv_mae`` (pedestrians/day), ``cv_mape``, ``cv_median_ape``,
        ``cv_r2_log`` (R² on the log scale), ``cv_interval_coverage`` and ``n_train``.
    """
    values = np.asarray(target, dtype="float64")
    if not (np.isfinite(values) & (values > 0)).all():
        raise InputError(
            "the measured footfall to learn must be positive and finite",
            found=f"{int((~(np.isfinite(values) & (values > 0))).sum())} other values",
        )
    if len(values) < MIN_TRAINING_SITES:
        raise InputError(
            "too few measurement sites to train the footfall model",
            expected=f">= {MIN_TRAINING_SITES}",
            found=str(len(values)),
        )
    y = np.log(values)
    x = features[list(FEATURES)].reset_index(drop=True)
    splitter = RepeatedKFold(n_splits=min(folds, len(y)), n_repeats=repeats, random_state=seed)
    sums, counts = np.zeros(len(y)), np.zeros(len(y))
    for train, test in splitter.split(x):
        model = _log_pipeline().fit(x.iloc[train], y[train])
        sums[test] += model.predict(x.iloc[test])
        counts[test] += 1
    oof = sums / counts
    resid = np.abs(y - oof)
    log_q = _conformal_q(resid, coverage)
    measured, predicted = np.exp(y), np.exp(oof)
    ape = np.abs(predicted - measured) / measured
    metrics = {
        "n_train": float(len(y)),
        "cv_mae": float(np.mean(np.abs(predicted - measured))),
        "cv_mape": float(np.mean(ape)),
        "cv_median_ape": float(np.median(ape)),
        "cv_r2_log": float(1 - np.sum((y - oof) ** 2) / np.sum((y - y.mean()) ** 2)),
        "cv_interval_coverage": _loo_coverage(resid, coverage),
        "interval_factor": float(np.exp(log_q)),
    }
    final = _log_pipeline().fit(x, y)
    return FootfallModel(
        final,
        len(y),
        log_q,
        metrics,
        pd.Series(predicted, index=features.index),
        lower=x.min(),
        upper=x.max(),
    )


def estimate_cells(
    model: FootfallModel, ctx: FeatureContext, cells: pd.DataFrame, measured: pd.DataFrame
) -> pd.DataFrame:
    """Estimated mean daily footfall at the centre of every commercial or sensored cell.

    Parameters
    ----------
    cells
        ``h3, nis`` of the territory (``gold.h3_cells``).
    measured
        Cell profiles (``h3, footfall_daily, n_sites``; suppressed figures missing).

    Returns
    -------
    pandas.DataFrame
        ``h3, nis, footfall_daily, basis, estimate, low, high, extrapolated,
        measured_daily, n_sites`` for every cell with a shop within 300 m of its centre or a
        sensor: ``footfall_daily`` is the measured value where a sensor stands (``basis``
        ``measured``) and the model's estimate elsewhere (``basis`` ``model``).
    """
    cx, cy = cell_xy(cells["h3"].to_numpy())
    features = point_features(ctx, cx, cy, cells["h3"].to_numpy(), cells["nis"].to_numpy())
    features.index = cells.index
    seen = measured.set_index(measured["h3"].astype("uint64"))
    h3 = cells["h3"].astype("uint64")
    keep = (features["shops_300m"] > 0) | h3.isin(seen.index)
    out = pd.DataFrame({"h3": h3, "nis": cells["nis"].astype("string")})[keep]
    out = out.join(model.predict(features[keep]))
    out["extrapolated"] = model.extrapolated(features[keep])
    out["measured_daily"] = out["h3"].map(seen["footfall_daily"]).astype("float64")
    out["n_sites"] = out["h3"].map(seen["n_sites"]).fillna(0).astype("int64")
    has = out["measured_daily"].notna()
    out["footfall_daily"] = out["measured_daily"].where(has, out["estimate"])
    out["basis"] = pd.Series(np.where(has, "measured", "model"), index=out.index, dtype="string")
    cols = [
        "h3",
        "nis",
        "footfall_daily",
        "basis",
        "estimate",
        "low",
        "high",
        "extrapolated",
        "measured_daily",
        "n_sites",
    ]
    return out[cols].sort_values("h3").reset_index(drop=True)
