"""The footfall model: proximity features, cross-validated error, intervals, extrapolation.

Synthetic territory: shops in clusters along a street; the footfall at a point is the demo
generator's law, ``30 * (shops within 150 m + 2)`` pedestrians at the weekday peak, times a
fixed daily factor, with a small multiplicative noise. The model must find it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.constants import SHOP_CATEGORIES
from pipelines.errors import InputError
from pipelines.footfall import model as fm


def _context(rng: np.random.Generator) -> fm.FeatureContext:
    centres = np.arange(0, 6000, 600.0)
    sizes = rng.integers(0, 60, len(centres))
    shops = np.concatenate([np.c_[c + rng.normal(0, 60, n), rng.normal(0, 40, n)] for c, n in zip(centres, sizes, strict=True)])
    cats = rng.choice(SHOP_CATEGORIES, len(shops))
    return fm.FeatureContext(
        shops=shops, shop_category=cats, stops=np.array([[0.0, 0.0], [1200.0, 0.0]]), departures=np.array([100.0, 40.0]),
        parking=np.array([[600.0, 10.0]]), capacity=np.array([50.0]), population_ring=pd.Series({1: 500.0}, dtype="float64"),
        centres=pd.DataFrame({"x": [0.0], "y": [0.0]}, index=pd.Index(["92801"], name="nis")),
    )


def _law(ctx: fm.FeatureContext, x: np.ndarray, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    feats = fm.point_features(ctx, x, np.zeros_like(x), np.ones(len(x), dtype="uint64"), np.full(len(x), "92801"))
    truth = 30 * (feats["shops_150m"].to_numpy() + 2) * 9.71 * 0.9
    return feats, truth * np.exp(rng.normal(0, 0.05, len(x)))


def test_proximity_counts_match_brute_force() -> None:
    ctx = _context(np.random.default_rng(1))
    pts = np.array([[0.0, 0.0], [610.0, 5.0], [3000.0, 0.0]])
    feats = fm.point_features(ctx, pts[:, 0], pts[:, 1], np.array([1, 2, 3], dtype="uint64"), np.array(["92801"] * 3))
    for i, (x, y) in enumerate(pts):
        d = np.hypot(ctx.shops[:, 0] - x, ctx.shops[:, 1] - y)
        assert feats.loc[i, "shops_150m"] == (d <= 150).sum()
        assert feats.loc[i, "shops_300m"] == (d <= 300).sum()
        assert feats.loc[i, "shops_food_300m"] == ((d <= 300) & (ctx.shop_category == "food")).sum()
    # a stop exactly at the point counts (distance 0), with its departures
    assert feats.loc[0, ["stops_300m", "departures_300m"]].tolist() == [1.0, 100.0]
    assert feats.loc[1, "parking_300m"] == 50.0
    assert feats["population_ring"].tolist() == [500.0, 0.0, 0.0]
    assert feats["dist_centre_m"].tolist() == pytest.approx([0.0, np.hypot(610, 5), 3000.0])


def test_model_finds_the_shop_law_and_reports_honest_errors() -> None:
    rng = np.random.default_rng(7)
    ctx = _context(rng)
    x = rng.uniform(0, 5600, 40)
    feats, target = _law(ctx, x, rng)
    model = fm.fit_footfall_model(feats, pd.Series(target))
    m = model.metrics
    assert m["n_train"] == 40
    assert m["cv_r2_log"] > 0.9 and m["cv_median_ape"] < 0.15
    assert 0.8 <= m["cv_interval_coverage"] <= 1.0
    # new points inside the training range: estimates near the law, inside their interval
    new = rng.uniform(100, 5500, 30)
    nfeats, ntarget = _law(ctx, new, rng)
    pred = model.predict(nfeats)
    inside = (pred["low"] <= ntarget) & (ntarget <= pred["high"])
    assert inside.mean() >= 0.8
    assert np.median(np.abs(np.log(pred["estimate"] / ntarget))) < 0.2
    assert (pred["low"] < pred["estimate"]).all() and (pred["estimate"] < pred["high"]).all()
    assert pred["high"].iloc[0] / pred["estimate"].iloc[0] == pytest.approx(m["interval_factor"])


def test_points_beyond_the_training_range_are_flagged() -> None:
    rng = np.random.default_rng(3)
    ctx = _context(rng)
    x = rng.uniform(0, 5600, 30)
    feats, target = _law(ctx, x, rng)
    model = fm.fit_footfall_model(feats, pd.Series(target))
    busy = feats.iloc[[0]].copy()
    busy["shops_150m"] = feats["shops_150m"].max() * 3
    assert bool(model.extrapolated(busy).iloc[0])
    assert not model.extrapolated(feats).any()


def test_too_few_sites_or_bad_targets_are_refused() -> None:
    rng = np.random.default_rng(5)
    ctx = _context(rng)
    feats, target = _law(ctx, rng.uniform(0, 5600, 12), rng)
    with pytest.raises(InputError, match="too few measurement sites.*expected >= 8; found 5"):
        fm.fit_footfall_model(feats.head(5), pd.Series(target[:5]))
    bad = target.copy()
    bad[[2, 4]] = [0.0, np.nan]
    with pytest.raises(InputError, match="positive and finite; found 2 other values"):
        fm.fit_footfall_model(feats, pd.Series(bad))
