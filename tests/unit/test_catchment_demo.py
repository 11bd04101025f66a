"""The Huff calibration recovers the beta the demo generator used (docs/demo-territory.md).

The generator draws 41,000 voucher customers with beta = 1.8 (alpha = 1) among the ten
commune centres, attractiveness = shops within a radius of each centre, cost = shortest
drive-network distance in km from the sector point (snapped to the nearest node) to the
centre node, at least 0.5 km. The pipeline does not know these choices: it detects the
districts with DBSCAN (11 here: the ten centres and a small second cluster in Valmeuse), uses
their shop counts, snaps to street edges, starts at each district's origin shop and takes the
cost from the H3 cell of the sector point, exactly as ``gold.huff`` does.

Tolerance: +-0.1. With 37,000 observed choices the statistical standard error of beta is
about 0.01; the rest of the band covers the model mismatch listed above (shop counts differ
by 3 to 16 %, origins move by up to 200 m). The band still rejects the textbook default
(2.0) and a fit on drive minutes (2.08), so the test fails if the calibration ignored the
data or used the wrong cost.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipelines.catchment.area import travel_time_table
from pipelines.catchment.model import calibrate
from pipelines.catchment.revealed import count_matrix
from pipelines.conform import conform_points, points_from_lonlat
from pipelines.demo import generate
from pipelines.district_table import build_districts
from pipelines.districts import NEAREST, assign_districts
from pipelines.grid import points_to_cells
from pipelines.network import mode_network
from pipelines.shops import conflate_shops
from pipelines.sources import kbo, osm, statbel, vouchers


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    landing = tmp_path_factory.mktemp("catchment_demo") / "landing"
    generate(landing)
    communes = statbel.read_communes(landing / "statbel" / "communes.geojson").table
    tables = {k: r.table for k, r in kbo.read_kbo(landing / "kbo").items()}
    points = kbo.read_address_points(landing / "kbo" / "address_points.csv").table
    located = kbo.locate_establishments(tables, points).table
    pois = osm.read_pois(landing / "osm" / "territory.osm").table
    shops = conflate_shops(
        points_from_lonlat(located[located["category"] != "other"]), pois[pois["kind"] == "shop"]
    )
    shops = conform_points(shops, communes)
    districts, _ = build_districts(shops)
    nodes, edges = mode_network(osm.read_street_graph(landing / "osm" / "territory.osm"), "drive")
    days = sorted((landing / "vouchers" / "transactions").glob("*.csv"))
    tx = pd.concat([vouchers.read_transactions(p).table for p in days], ignore_index=True)
    merchants = points_from_lonlat(
        vouchers.read_merchants(landing / "vouchers" / "merchants.csv").table
    )
    return {
        "truth": json.loads((landing / "_truth" / "demo_truth.json").read_text())["huff"],
        "districts": districts,
        "nodes": nodes,
        "edges": edges,
        "sectors": statbel.read_sectors(landing / "statbel" / "sectors.geojson").table,
        "transactions": tx,
        "merchants": merchants,
    }


def test_districts_are_the_generators_centres(demo) -> None:
    districts = demo["districts"]
    truth = {d["nis"]: d["attractiveness"] for d in demo["truth"]["districts"]}
    main = districts[districts["district_id"].str.endswith("-D01")].set_index("nis")["n_shops"]
    assert set(main.index) == set(truth)
    # DBSCAN keeps the dense core: 84-97 % of the shops the generator counted (seed 42)
    ratio = {nis: main[nis] / shops for nis, shops in truth.items()}
    assert all(0.8 <= r <= 1.05 for r in ratio.values()), ratio


def test_calibration_recovers_the_generators_beta(demo) -> None:
    districts, sectors, tx = demo["districts"], demo["sectors"], demo["transactions"]
    ids = districts["district_id"].to_numpy()
    tx = tx[tx["customer_sector"].notna()]
    merchant_district = assign_districts(demo["merchants"], districts, policy=NEAREST)
    district = tx["merchant_id"].map(merchant_district.set_axis(demo["merchants"]["merchant_id"]))
    counts, dropped = count_matrix(
        tx["customer_sector"],
        district,
        pd.Series(1.0, index=tx.index),
        sectors["sector_id"].to_numpy(),
        ids,
    )
    assert dropped < 0.01 * len(tx)  # merchants farther than 250 m from every district
    cells = points_to_cells(sectors.geometry.representative_point())
    unique, row = np.unique(cells, return_inverse=True)
    times = travel_time_table(demo["nodes"], demo["edges"], unique, districts)
    dense = {  # the pairs beyond a 30-minute drive are not in the table: inf
        c: times.pivot(index="h3", columns="district_id", values=c)
        .reindex(index=unique, columns=ids)
        .fillna(np.inf)
        .to_numpy()[row.ravel()]
        for c in ("drive_km", "drive_min")
    }
    km, minutes = dense["drive_km"], dense["drive_min"]
    beyond = ~np.isfinite(km)
    assert counts[beyond].sum() < 0.01 * counts.sum()  # customers from beyond 30 min: few
    counts[beyond] = 0
    result = calibrate(districts["n_shops"].to_numpy(float), km, counts)
    print(f"fitted beta {result.beta:.3f}, pseudo-R2 {result.pseudo_r2:.3f}")
    assert demo["truth"]["beta"] == 1.8
    assert result.beta == pytest.approx(1.8, abs=0.1)
    assert result.converged and not result.at_bound
    assert result.n_observations > 30_000 and result.pseudo_r2 > 0.5
    by_time = calibrate(districts["n_shops"].to_numpy(float), minutes, counts, min_cost=1.0)
    assert by_time.log_likelihood < result.log_likelihood  # distance explains the data better
    assert abs(by_time.beta - 1.8) > 0.1
