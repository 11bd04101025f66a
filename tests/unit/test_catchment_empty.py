"""A commune without vouchers and OD data: the Huff model still covers every cell with the
documented default beta (``calibrated = false``), the revealed catchment is empty and typed,
the comparison keeps its modelled shares; each says what it needs. Never imputed silently.

Tiny hand-made territory: two districts, four H3 cells in a row, one sector over them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipelines.catchment import build
from pipelines.catchment.model import DEFAULT_BETA
from pipelines.cells import cell_sectors
from pipelines.constants import CRS_WGS84
from pipelines.grid import cell_polygons, latlng_to_cells

K = 10


def _cells() -> gpd.GeoDataFrame:
    h3 = latlng_to_cells(np.full(4, 50.44), 4.90 + 0.01 * np.arange(4))
    return gpd.GeoDataFrame(
        {"h3": h3, "nis": "92094", "population": [100.0, 200.0, 50.0, 0.0]},
        geometry=cell_polygons(h3).values,
        crs=CRS_WGS84,
    )


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district_id": ["92094-D01", "92094-D02"], "n_shops": [30, 10]},
        geometry=[shapely.box(4.899, 50.439, 4.901, 50.441), shapely.box(4.929, 50.439, 4.931, 50.441)],
        crs=CRS_WGS84,
    )


def _times(cells: pd.DataFrame) -> pd.DataFrame:
    km = np.array([[0.4, 2.0], [1.0, 1.5], [2.0, 0.6], [np.inf, np.inf]])  # cell 4: no road
    return pd.DataFrame(
        {
            "h3": np.repeat(cells["h3"].to_numpy(), 2),
            "district_id": np.tile(["92094-D01", "92094-D02"], 4),
            "drive_km": km.reshape(-1),
            "drive_min": 2 * km.reshape(-1),
        }
    )


def _sectors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"sector_id": ["92094A00-"]}, geometry=[shapely.box(4.89, 50.43, 4.95, 50.45)], crs=CRS_WGS84
    )


def _no_merchants() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"merchant_id": pd.Series(dtype="string")}, geometry=gpd.GeoSeries([], crs=CRS_WGS84))


def _no_origins() -> pd.DataFrame:
    return build.voucher_origins(pd.DataFrame(), _no_merchants(), _districts()).frame


def test_no_transactions_give_typed_empty_voucher_origins() -> None:
    result = build.voucher_origins(pd.DataFrame(), _no_merchants(), _districts())
    assert result.frame.empty and list(result.frame.columns) == list(build.VOUCHER_ORIGIN_TYPES)
    assert result.metadata["status"] == "not_computable" and result.metadata["needs"] == "vouchers"
    assert result.metadata["transactions"] == 0


def test_no_od_flows_give_typed_empty_trips() -> None:
    trips = build.od_shopping_trips(pd.DataFrame())
    assert trips.empty and list(trips.columns) == ["origin_sector", "destination_sector", "trips"]


def test_huff_without_observations_uses_the_default_beta_and_says_so() -> None:
    cells = _cells()
    result = build.huff(_districts(), _times(cells), cells, _sectors(), _no_origins())
    assert result.metadata["beta"] == DEFAULT_BETA and result.metadata["calibrated"] is False
    assert "vouchers" in result.metadata["needs"]
    frame = result.frame
    assert sorted(frame["h3"].unique()) == sorted(cells["h3"][:3])  # the roadless cell has no row
    assert np.allclose(frame.groupby("h3")["probability"].sum(), 1.0)
    assert frame["expected_customers"].sum() == pytest.approx(350.0)
    # cell 1: 0.4 km counts as 0.5 km: 30 / 0.5² against 10 / 2² -> 120 / 122.5
    assert frame["probability"].iloc[0] == pytest.approx(120 / 122.5)
    assert {c.name: c.passed for c in result.checks} == {
        "shares_sum_to_one": True,
        "customers_conserved": True,
        "beta_fitted": True,
    }
    tiers = build.catchment(frame, cells)
    assert set(tiers.frame["district_id"]) == {"92094-D01", "92094-D02"}
    assert all(c.passed for c in tiers.checks)


def test_revealed_catchment_without_sources_is_empty_with_a_status() -> None:
    cells = _cells()
    huff = build.huff(_districts(), _times(cells), cells, _sectors(), _no_origins()).frame
    crosswalk, _ = cell_sectors(cells, _sectors())
    revealed, comparison = build.revealed(
        _districts(), _sectors(), cells, crosswalk, huff, _no_origins(), build.od_shopping_trips(pd.DataFrame()), K
    )
    assert revealed.frame.empty
    assert {"district_id", "source", "sector_id", "customers", "share", "tier", "suppressed"} <= set(revealed.frame.columns)
    assert revealed.metadata["status"] == "not_computable" and revealed.metadata["needs"] == "vouchers, od"
    assert all(c.passed for c in revealed.checks)
    frame = comparison.frame
    assert len(frame) == 2 * 4 and frame["vouchers_share"].isna().all()
    assert np.allclose(frame.groupby("district_id")["modelled_share"].sum(), 1.0)
    assert comparison.metadata["status"] == "not_computable"
    assert all(c.passed for c in comparison.checks)


def test_zero_districts_give_empty_typed_tables_that_pass_their_checks() -> None:
    """A village whose shops form no district: Huff, tiers and the comparison are empty, typed,
    and their checks pass (nothing to tier); the shops' membership is all missing."""
    from pipelines.district_table import build_districts

    shop = gpd.GeoDataFrame({"shop_id": ["s1"], "category": ["food"], "nis": ["61990"]},
                            geometry=[shapely.Point(5.6, 50.4)], crs=CRS_WGS84)
    districts, membership = build_districts(shop)
    assert districts.empty and membership.isna().all() and districts.crs == shop.crs
    assert {"district_id", "nis", "n_shops", "origin_lon", "origin_lat"} <= set(districts.columns)
    cells = _cells()
    no_times = _times(cells).iloc[0:0]
    huff = build.huff(districts, no_times, cells, _sectors(), build.voucher_origins(pd.DataFrame(), _no_merchants(), districts).frame)
    assert huff.frame.empty and {"h3", "district_id", "probability", "expected_customers"} <= set(huff.frame.columns)
    tiers = build.catchment(huff.frame, cells)
    assert tiers.frame.empty and all(c.passed for c in tiers.checks)
    revealed, comparison = build.revealed(districts, _sectors(), cells, cell_sectors(cells, _sectors())[0], huff.frame, _no_origins(),
                                          build.od_shopping_trips(pd.DataFrame()), K)
    assert comparison.frame.empty and "modelled_share" in comparison.frame.columns
    assert all(c.passed for c in comparison.checks)


def test_an_empty_tier_table_fails_when_districts_exist() -> None:
    from pipelines.catchment.checks import tier_checks

    assert tier_checks(pd.DataFrame(), districts=0)[0].passed
    assert not tier_checks(pd.DataFrame(), districts=2)[0].passed


def test_isochrone_checks_fail_on_an_invalid_an_empty_or_a_shrinking_polygon() -> None:
    from pipelines.catchment.area import ISOCHRONE_MINUTES
    from pipelines.catchment.checks import isochrone_checks

    rows = [(m, c) for m, cutoffs in ISOCHRONE_MINUTES.items() for c in cutoffs] * 40  # 40 districts
    frame = gpd.GeoDataFrame(
        {"district_id": np.repeat([f"D{i:02d}" for i in range(40)], len(rows) // 40),
         "mode": [m for m, _ in rows], "minutes": [c for _, c in rows],
         "population": [float(c) for _, c in rows], "workers": 0.0, "area_km2": [c / 10 for _, c in rows]},
        geometry=[shapely.box(0, 0, c / 1000, c / 1000) for _, c in rows], crs=CRS_WGS84,
    )
    passed = {c.name: c.passed for c in isochrone_checks(frame, 40)}
    assert passed == {"complete": True, "nested": True}
    bow_tie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # self-intersecting: invalid
    for bad in (bow_tie, shapely.Polygon()):
        broken = frame.copy()
        broken.loc[len(frame) - 5, "geometry"] = bad  # among the last: found in a worker's share
        assert {c.name: c.passed for c in isochrone_checks(broken, 40)} == {"complete": False, "nested": True}
    shrinking = frame.copy()
    shrinking.loc[2, "population"] = 0.0  # walk 15 min reaches fewer people than 10 min
    assert {c.name: c.passed for c in isochrone_checks(shrinking, 40)} == {"complete": True, "nested": False}
