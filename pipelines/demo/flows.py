"""Flows of the demo territory: mobile-operator OD matrices and voucher transactions.

OD (production-constrained gravity). Each sector ``i`` emits ``O_i(h) = P_i * RATE * TRIPS[h]
* WEEKDAY[dow]`` trips in hour ``h``; a trip goes to sector ``j != i`` with probability
proportional to ``W_j(h) * exp(-d_ij / OD_DECAY_M)`` where ``W_j(h)`` mixes the sector's
shops, jobs and residents with hour-dependent weights (jobs in the morning, shops in
shopping hours, homes in the evening) and ``d_ij`` is the straight-line distance between the
sectors' points. Counts are Poisson; only cells with at least 5 trips are written.

Vouchers (Huff). A customer lives in sector ``i`` (drawn in proportion to population) and
shops in district ``j`` (the centre of a commune) with probability::

    P_ij = A_j * D_ij ** -BETA / sum_k A_k * D_ik ** -BETA

``A_j`` = the number of shops within the district radius of the centre, ``D_ij`` = the
shortest drive-network distance (km) from the sector point (snapped to the nearest drive
node, snapping distance added) to the centre's node, at least 0.5 km, and ``BETA = 1.8``.
The merchant is then drawn uniformly among the district's merchants.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from pipelines.demo import writers
from pipelines.demo._common import holidays_of, iso_with_offset, local_steps, stream, to_lonlat
from pipelines.demo.business import SHOP_TYPE, Business, district_radius
from pipelines.demo.footfall import WEEKDAY
from pipelines.demo.streets import Network
from pipelines.demo.territory import Territory

BETA = 1.8
ALPHA = 1.0
MIN_DISTANCE_KM = 0.5
TRANSACTIONS_PER_1000 = 8.0
NO_SECTOR_SHARE = 0.10
SUNDAY_CATEGORIES = frozenset(
    {
        "bakery",
        "florist",
        "newsagent",
        "supermarket",
        "restaurant",
        "cafe",
        "fast_food",
        "chocolate",
        "convenience",
    }
)
SHOP_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.8, 1.0, 0.9, 0.7, 0.8, 0.95, 1.0, 0.9, 0.6, 0.2, 0, 0, 0, 0]
)
SUNDAY_HOURS = np.array([0] * 8 + [0.6, 1.0, 1.0, 0.8, 0.4] + [0] * 11)

OD_DECAY_M = 4000.0
OD_RATE = 0.18
"""Inter-sector trips per resident and hour at the peak (before the weekday factor)."""
OD_MIN_TRIPS = 5
OD_CANDIDATE_LAMBDA = 1.2
"""Pairs whose expected flow never reaches this in any hour are not drawn (P(X >= 5) < 1 %)."""
TRIPS = np.array(
    [
        0.02,
        0.01,
        0.01,
        0.01,
        0.02,
        0.06,
        0.2,
        0.55,
        0.6,
        0.35,
        0.35,
        0.4,
        0.45,
        0.4,
        0.35,
        0.4,
        0.5,
        0.6,
        0.55,
        0.35,
        0.2,
        0.12,
        0.07,
        0.04,
    ]
)
# weights of (shops, jobs, homes) in the attraction of a destination, by hour
ATTRACTION = np.array(
    [[0.0, 0.1, 1.0]] * 6
    + [[0.1, 1.0, 0.2]] * 3
    + [[1.0, 0.4, 0.3]] * 7
    + [[0.6, 0.2, 1.0]] * 4
    + [[0.1, 0.05, 1.0]] * 4
)


# --------------------------------------------------------------------------- OD
def _sector_masses(territory: Territory, business: Business) -> np.ndarray:
    """Shops, jobs and residents of every sector (columns), by point-in-polygon."""
    sectors = territory.sectors
    est = business.establishments
    idx = np.asarray(
        sectors.sindex.query(
            shapely.points(est["x"].to_numpy(), est["y"].to_numpy()), predicate="within"
        )
    )
    shops = np.zeros(len(sectors))
    jobs = np.zeros(len(sectors))
    is_shop = (est["kind"] == "shop").to_numpy()
    np.add.at(shops, idx[1][is_shop[idx[0]]], 1.0)
    np.add.at(jobs, idx[1], 3.0)
    np.add.at(jobs, idx[1][is_shop[idx[0]]], 1.0)
    pop = sectors["population"].to_numpy(float)
    return np.column_stack([shops + 0.2, jobs + 0.5, pop / 100.0 + 0.1])


def write_od(
    territory: Territory, business: Business, landing: Path, seed: int, *, days: list[date]
) -> dict[str, int]:
    """Write ``od/<day>.csv``: hourly sector-to-sector trips, cells under 5 suppressed."""
    rng = stream(seed, "od")
    sectors = territory.sectors
    codes = sectors["sector_id"].to_numpy()
    xy = sectors[["x", "y"]].to_numpy()
    mass = _sector_masses(territory, business)
    pop = sectors["population"].to_numpy(float)
    tree = cKDTree(xy)
    pairs = tree.query_pairs(6 * OD_DECAY_M, output_type="ndarray")
    i = np.r_[pairs[:, 0], pairs[:, 1]]
    j = np.r_[pairs[:, 1], pairs[:, 0]]
    decay = np.exp(-np.hypot(*(xy[i] - xy[j]).T) / OD_DECAY_M)
    comp = mass[j] * decay[:, None]  # (pairs, 3)
    holidays = holidays_of(days)
    out = {}
    # candidate cells: those that can reach the threshold at the busiest hour
    lam_max = np.zeros(len(i))
    for h in range(24):
        lam_max = np.maximum(lam_max, _od_lambda(i, comp, pop, h, 1.35))
    keep = lam_max >= OD_CANDIDATE_LAMBDA
    i, j, comp = i[keep], j[keep], comp[:, :][keep]
    order = np.lexsort((j, i))
    i, j, comp = i[order], j[order], comp[order]
    norm_cache = {}
    for day in days:
        stamps = local_steps(day, 60)
        iso = iso_with_offset(stamps)
        dow = 6 if day in holidays else day.weekday()
        cols: list[list[np.ndarray]] = [[], [], [], []]
        for k, h in enumerate(stamps.hour):
            if h not in norm_cache:
                norm_cache[h] = _od_lambda(i, comp, pop, h, 1.0)
            trips = rng.poisson(norm_cache[h] * WEEKDAY[dow])
            ok = trips >= OD_MIN_TRIPS
            cols[0].append(np.full(int(ok.sum()), iso[k], dtype=object))
            cols[1].append(codes[i[ok]])
            cols[2].append(codes[j[ok]])
            cols[3].append(trips[ok])
        name = f"od/{day.isoformat()}.csv"
        out[name] = writers.write_columns(
            landing / name,
            ("hour_start", "origin_sector", "destination_sector", "trips"),
            [np.concatenate(c) for c in cols],
            sep=";",
        )
    return out


def _od_lambda(
    i: np.ndarray, comp: np.ndarray, pop: np.ndarray, hour: int, factor: float
) -> np.ndarray:
    """Expected trips of every candidate pair in one hour (production-constrained)."""
    attract = comp @ ATTRACTION[hour]
    total = np.bincount(i, weights=attract, minlength=len(pop))
    share = attract / np.maximum(total[i], 1e-12)
    return pop[i] * OD_RATE * TRIPS[hour] * factor * share


# --------------------------------------------------------------------------- vouchers
def huff_inputs(territory: Territory, network: Network, business: Business) -> dict:
    """Districts, their attractiveness and the sector-to-district distances (km)."""
    st = territory.settlements
    centres = st[st["kind"] == "centre"].reset_index(drop=True)
    est = business.shops()
    roles = territory.communes.set_index("nis")["role"]
    radius = np.array([district_radius(roles[c.nis], c.radius) for c in centres.itertuples()])
    attract = np.array(
        [
            int(
                (
                    (est["settlement_id"] == c.settlement_id)
                    & (np.hypot(est["x"] - c.x, est["y"] - c.y) <= r)
                ).sum()
            )
            for c, r in zip(centres.itertuples(), radius, strict=True)
        ],
        dtype=float,
    )
    drive = network.drive_nodes()
    sectors = territory.sectors
    snap = network.nearest(sectors["x"].to_numpy(), sectors["y"].to_numpy(), among=drive)
    snap_d = np.hypot(
        network.x[snap] - sectors["x"].to_numpy(), network.y[snap] - sectors["y"].to_numpy()
    )
    sources = np.array([network.centre_node[int(s)] for s in centres["settlement_id"]])
    graph = network.graph(drive_only=True)
    # a block of sources at a time: never a dense district x node matrix of a whole region
    dist = np.vstack(
        [
            dijkstra(graph, directed=False, indices=sources[k : k + 32])[:, snap]
            for k in range(0, len(sources), 32)
        ]
    )
    d_km = np.maximum((dist.T + snap_d[:, None]) / 1000.0, MIN_DISTANCE_KM)
    return {"centres": centres, "radius": radius, "attract": attract, "d_km": d_km}


def huff_probabilities(attract: np.ndarray, d_km: np.ndarray, beta: float = BETA) -> np.ndarray:
    """P[i, j] of the Huff model (rows sum to 1)."""
    util = attract[None, :] ** ALPHA * d_km ** (-beta)
    # a sector the drive network does not join to any centre (an isolated street component of
    # a large region): its customers choose by attractiveness alone, not NaN
    util = np.where(util.sum(axis=1, keepdims=True) > 0, util, attract[None, :] ** ALPHA)
    return util / util.sum(axis=1, keepdims=True)


def district_merchants(business: Business, huff: dict) -> list[np.ndarray]:
    """Indices (rows of ``business.merchants``) of the merchants of each district."""
    m = business.merchants
    out = []
    for c, r in zip(huff["centres"].itertuples(), huff["radius"], strict=True):
        inside = (m["settlement_id"] == c.settlement_id) & (
            np.hypot(m["x"] - c.x, m["y"] - c.y) <= r
        )
        out.append(np.flatnonzero(inside.to_numpy()))
    return out


def write_vouchers(
    territory: Territory,
    network: Network,
    business: Business,
    landing: Path,
    seed: int,
    *,
    days: list[date],
) -> tuple[dict[str, int], dict]:
    """Write ``vouchers/transactions/<day>.csv``; return counts and the Huff truth."""
    rng = stream(seed, "vouchers")
    huff = huff_inputs(territory, network, business)
    members = district_merchants(business, huff)
    has = np.array([len(m) > 0 for m in members])
    prob = huff_probabilities(huff["attract"][has], huff["d_km"][:, has])
    district_ids = np.flatnonzero(has)
    sectors = territory.sectors
    pop = sectors["population"].to_numpy(float)
    postcode = (
        sectors["settlement_id"]
        .map(territory.settlements.set_index("settlement_id")["postcode"])
        .to_numpy()
    )
    codes = sectors["sector_id"].to_numpy()
    m = business.merchants
    merchant_ids = m["merchant_id"].to_numpy()
    cat = m["category"].to_numpy()
    basket = np.array([SHOP_TYPE[c].basket for c in cat])
    sunday_ok = np.isin(cat, list(SUNDAY_CATEGORIES))
    holidays = holidays_of(days)
    per_day = TRANSACTIONS_PER_1000 * pop.sum() / 1000.0
    out, defects = {}, []
    for n_day, day in enumerate(days):
        sunday = day.weekday() == 6 or day in holidays
        dow = 6 if sunday else day.weekday()
        n = int(rng.poisson(per_day * WEEKDAY[dow] * (0.5 if sunday else 1.0)))
        origin = rng.choice(len(pop), size=n, p=pop / pop.sum())
        u = rng.random(n)
        cum = np.cumsum(prob[origin], axis=1)
        pick = np.minimum((u[:, None] > cum).sum(axis=1), cum.shape[1] - 1)
        merchant = np.empty(n, dtype=np.int64)
        for k, d in enumerate(district_ids):
            sel = np.flatnonzero(pick == k)
            pool = members[d] if not sunday else members[d][sunday_ok[members[d]]]
            if not len(pool):
                pool = members[d]
            merchant[sel] = pool[rng.integers(0, len(pool), len(sel))]
        hours = SUNDAY_HOURS if sunday else SHOP_HOURS
        hour = rng.choice(24, size=n, p=hours / hours.sum())
        second = rng.integers(0, 3600, n)
        base = local_steps(day, 60)
        first_of_hour = np.full(24, -1)
        for k, h in enumerate(base.hour):
            if first_of_hour[h] < 0:
                first_of_hour[h] = k
        when = base[first_of_hour[hour]] + pd.to_timedelta(second, unit="s")
        order = np.argsort(when.asi8, kind="stable")
        amount = np.maximum(basket[merchant] * np.exp(rng.normal(-0.18, 0.6, n)), 1.0)
        no_sector = rng.random(n) < NO_SECTOR_SHARE
        stamp = iso_with_offset(when[order])
        rows = []
        for r, k in enumerate(order):
            rows.append(
                [
                    f"V{day:%Y%m%d}-{r + 1:05d}",
                    merchant_ids[merchant[k]],
                    stamp[r],
                    f"{amount[k]:.2f}",
                    postcode[origin[k]],
                    "" if no_sector[k] else codes[origin[k]],
                ]
            )
        name = f"vouchers/transactions/{day.isoformat()}.csv"
        if n_day == 2 and len(rows) > 50:
            rows[40][3] = "-" + rows[40][3]
            defects.append(
                {
                    "file": name,
                    "row": 41,
                    "reason": "negative amount",
                    "key": rows[40][0],
                    "detail": rows[40][3],
                    "defect": True,
                }
            )
        if n_day == 5 and len(rows) > 80:
            rows.insert(71, list(rows[70]))
            defects.append(
                {
                    "file": name,
                    "row": 72,
                    "reason": "duplicate transaction_id",
                    "key": rows[71][0],
                    "detail": "repeats row 71",
                    "defect": True,
                }
            )
        out[name] = writers.write_csv(
            landing / name,
            (
                "transaction_id",
                "merchant_id",
                "timestamp",
                "amount_eur",
                "customer_postcode",
                "customer_sector",
            ),
            rows,
        )
    truth = {
        "beta": BETA,
        "alpha": ALPHA,
        "min_distance_km": MIN_DISTANCE_KM,
        "districts": [
            {
                "nis": c.nis,
                "name": c.name,
                "attractiveness": int(a),
                "radius_m": round(float(r), 1),
                "merchants": int(len(members[k])),
            }
            for k, (c, a, r) in enumerate(
                zip(huff["centres"].itertuples(), huff["attract"], huff["radius"], strict=True)
            )
        ],
        "defects": defects,
    }
    return out, truth


def write_merchants(business: Business, landing: Path) -> dict[str, int]:
    """Write ``vouchers/merchants.csv``."""
    m = business.merchants
    lon, lat = to_lonlat(m["x"].to_numpy(), m["y"].to_numpy())
    rows = zip(
        m["merchant_id"],
        m["name"],
        m["establishment_number"],
        m["nis"],
        [f"{v:.7f}" for v in lon],
        [f"{v:.7f}" for v in lat],
        m["category"],
        strict=True,
    )
    header = ("merchant_id", "name", "establishment_number", "nis", "lon", "lat", "category")
    return {
        "vouchers/merchants.csv": writers.write_csv(
            landing / "vouchers" / "merchants.csv", header, rows
        )
    }
