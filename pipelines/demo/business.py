"""Businesses of the demo territory: address points, establishments, vacant cells, merchants.

Addresses are laid along the named streets of the settlements (odd numbers on the left,
even on the right). Shops take addresses with a weight that decays away from the centre
and is much higher on its main streets; offices, doctors, schools and other non-commercial
establishments are spread more evenly, so that a NACE filter matters. About 63 % of the
shops are both in the KBO and in OSM (same name, within 15 m), 27 % only in the KBO and
10 % only in OSM. Vacant-cell registers track the commercial ground floors of the centres on
three dates; the shops that moved into a formerly vacant cell started after it was seen
vacant, so the KBO start dates agree with the register.

This module decides; the writers of each provider's files are :mod:`pipelines.demo.kbo`
(KBO/BCE open data and the address points), :mod:`pipelines.demo.vacant` (vacant-cell
register) and :mod:`pipelines.demo.flows` (voucher merchants); the OSM shops go out
through :func:`pipelines.demo.streets.write_osm`.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from pipelines.demo._catalogue import (
    FAMILY,
    FIRST,
    OFFICE_TYPES,
    QUAL,
    SHOP_TYPE,
    SHOP_TYPES,
)
from pipelines.demo._common import stream
from pipelines.demo.streets import Network, Poi
from pipelines.demo.territory import Territory

REGISTER_DATES = (date(2025, 10, 1), date(2026, 4, 1), date(2026, 10, 1))
"""Observation dates of the vacant-cell registers."""
SHOPS_PER_1000 = 6.0
OFFICES_PER_1000 = 3.5
BOTH_SHARE, KBO_ONLY_SHARE = 0.63, 0.27



@dataclass
class Business:
    """Everything the business generator decides, for the other generators and the writers."""

    addresses: pd.DataFrame
    establishments: pd.DataFrame
    enterprises: pd.DataFrame
    cells: pd.DataFrame
    merchants: pd.DataFrame
    pois: list[Poi]
    defects: list[dict] = field(default_factory=list)

    def shops(self) -> pd.DataFrame:
        """The commercial establishments (retail, horeca, personal services) of any source."""
        return self.establishments[self.establishments["kind"] == "shop"]


# --------------------------------------------------------------------------- addresses
def build_addresses(territory: Territory, network: Network) -> pd.DataFrame:
    """Address points along the named streets of every settlement (odd left, even right)."""
    groups: dict[tuple[str, str], list] = {}
    for way in network.ways:
        if way.kind != "grid" or "name" not in way.tags or way.tags.get("highway") == "footway":
            continue
        groups.setdefault((way.postcode, way.tags["name"]), []).append(way)
    st = {r.settlement_id: r for r in territory.settlements.itertuples(index=False)}
    names = {r.nis: r for r in territory.communes.itertuples(index=False)}
    cols: dict[str, list] = {
        k: []
        for k in (
            "nis",
            "postcode",
            "municipality_fr",
            "municipality_nl",
            "street_fr",
            "house_number",
            "x",
            "y",
            "settlement_id",
            "centre",
            "main",
            "dist",
        )
    }
    for (postcode, street), ways in groups.items():
        seq: list[int] = []
        for w in ways:
            seq.extend(w.nodes if not seq or seq[-1] != w.nodes[0] else w.nodes[1:])
        xs, ys = network.x[seq], network.y[seq]
        first = ways[0]
        s = st[first.settlement]
        mid = np.hypot(xs.mean() - s.x, ys.mean() - s.y)
        main = any(w.main for w in ways)
        if s.kind == "centre":
            spacing = 13.0 if main else (18.0 if mid < 0.5 * s.radius else 30.0)
        else:
            spacing = 24.0 if main else 34.0
        px, py, side = _along(xs, ys, spacing)
        n = len(px)
        if not n:
            continue
        left = side > 0
        number = np.empty(n, dtype=np.int64)
        number[left] = 2 * np.arange(left.sum()) + 1
        number[~left] = 2 * np.arange((~left).sum()) + 2
        c = names[first.nis]
        for key, value in (
            ("nis", first.nis),
            ("postcode", postcode),
            ("municipality_fr", c.name_fr),
            ("municipality_nl", c.name_nl),
            ("street_fr", street),
            ("settlement_id", int(first.settlement)),
            ("centre", s.kind == "centre"),
            ("main", main),
        ):
            cols[key].append(np.full(n, value, dtype=object if isinstance(value, str) else None))
        cols["house_number"].append(number.astype(str).astype(object))
        cols["x"].append(px)
        cols["y"].append(py)
        cols["dist"].append(np.hypot(px - s.x, py - s.y))
    out = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    out["street_nl"] = out["street_fr"]
    out.insert(0, "address_id", np.arange(len(out)))
    return out


def _along(xs: np.ndarray, ys: np.ndarray, spacing: float) -> tuple[np.ndarray, ...]:
    """Points every ``spacing`` m along a polyline, alternately 8 m left and right of it."""
    seg = np.hypot(np.diff(xs), np.diff(ys))
    cum = np.r_[0.0, np.cumsum(seg)]
    if cum[-1] < spacing:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    d = np.arange(spacing / 2, cum[-1], spacing / 2)
    k = np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(seg) - 1)
    t = (d - cum[k]) / np.maximum(seg[k], 1e-9)
    px = xs[k] + t * (xs[k + 1] - xs[k])
    py = ys[k] + t * (ys[k + 1] - ys[k])
    nx = -(ys[k + 1] - ys[k]) / np.maximum(seg[k], 1e-9)
    ny = (xs[k + 1] - xs[k]) / np.maximum(seg[k], 1e-9)
    side = np.where(np.arange(len(d)) % 2 == 0, 1.0, -1.0)
    return px + side * nx * 8.0, py + side * ny * 8.0, side


# --------------------------------------------------------------------------- establishments
def _name(rng: np.random.Generator, template: str, chain: str = "") -> str:
    return template.format(
        f=rng.choice(FAMILY), p=rng.choice(FIRST), q=rng.choice(QUAL), chain=chain
    )


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum())[:30]


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    n = min(n, int((weights > 0).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(len(weights), size=n, replace=False, p=weights / weights.sum())


def _establishments(
    rng: np.random.Generator, territory: Territory, addr: pd.DataFrame
) -> pd.DataFrame:
    """Shops and offices of every commune, each at its own address."""
    st = territory.settlements.set_index("settlement_id")
    rows = []
    taken = np.zeros(len(addr), dtype=bool)
    cats = [t.category for t in SHOP_TYPES]
    w_full = np.array([t.weight for t in SHOP_TYPES], dtype=float)
    w_village = np.array([t.village_weight for t in SHOP_TYPES], dtype=float)
    addr_centre = addr["centre"].to_numpy()
    addr_nis = addr["nis"].to_numpy()
    for c in territory.communes.itertuples():
        mine = np.flatnonzero(addr_nis == c.nis)
        a = addr.iloc[mine]
        radius = st.loc[a["settlement_id"].to_numpy(), "radius"].to_numpy()
        centre = a["centre"].to_numpy()
        main = a["main"].to_numpy()
        dist = a["dist"].to_numpy()
        rural = c.role == "rural"
        w = np.where(
            centre,
            np.where(main, 8.0, 1.0) * np.exp(-dist / (0.3 * radius)),
            0.25 * np.where(main, 3.0, 1.0) * np.exp(-dist / 150.0),
        )
        n_shops = int(round(c.population * SHOPS_PER_1000 / 1000))
        shop_idx = mine[_pick(rng, w, n_shops)]
        taken[shop_idx] = True
        for i in shop_idx:
            village = (not addr_centre[i]) or rural
            p = w_village if village else w_full
            t = SHOP_TYPES[int(rng.choice(len(cats), p=p / p.sum()))]
            chain = ""
            if t.chains and rng.random() < t.chain_share:
                chain = str(rng.choice(t.chains))
                name = chain
            else:
                name = _name(rng, str(rng.choice([n for n in t.names if "{chain}" not in n])))
            rows.append(
                dict(
                    kind="shop",
                    category=t.category,
                    key=t.key,
                    nace=str(rng.choice(t.nace)),
                    name=name,
                    chain=chain,
                    address_id=i,
                )
            )
        w_off = np.where(main, 2.0, 1.0) * np.exp(-dist / (0.6 * radius)) + 0.02
        w_off[taken[mine]] = 0.0
        n_off = int(round(c.population * OFFICES_PER_1000 / 1000))
        off_idx = mine[_pick(rng, w_off, n_off)]
        taken[off_idx] = True
        p_off = np.array([o[2] for o in OFFICE_TYPES])
        for i in off_idx:
            nace, template, _ = OFFICE_TYPES[
                int(rng.choice(len(OFFICE_TYPES), p=p_off / p_off.sum()))
            ]
            chain = "Banque Wallonne" if nace == "64190" else ""
            rows.append(
                dict(
                    kind="office",
                    category="office",
                    key="",
                    nace=nace,
                    name=_name(rng, template),
                    chain=chain,
                    address_id=i,
                )
            )
        # the town hall, at the centre
        hall = mine[np.argmin(np.where(taken[mine], np.inf, dist + np.where(centre, 0, 1e9)))]
        taken[hall] = True
        rows.append(
            dict(
                kind="office",
                category="office",
                key="",
                nace="84114",
                name=f"Administration communale de {c.name_fr}",
                chain="",
                address_id=hall,
            )
        )
    est = pd.DataFrame(rows)
    est = est.join(
        addr[["nis", "x", "y", "settlement_id", "centre", "main", "dist", "postcode"]],
        on="address_id",
    )
    est.insert(0, "est_id", np.arange(len(est)))
    return _dedupe_names(est)


def _dedupe_names(est: pd.DataFrame) -> pd.DataFrame:
    """Independent shops of one commune get distinct names (suffix with the street name)."""
    dup = est.duplicated(["nis", "name"], keep="first") & (est["chain"] == "")
    est.loc[dup, "name"] = est.loc[dup, "name"] + " " + est.loc[dup, "est_id"].astype(str)
    return est


def _sources(rng: np.random.Generator, est: pd.DataFrame) -> pd.DataFrame:
    """Which shops are in the KBO, in OSM or both; OSM position, name, website, hours."""
    n = len(est)
    u = rng.random(n)
    shop = (est["kind"] == "shop").to_numpy()
    est["in_kbo"] = ~shop | (u < BOTH_SHARE + KBO_ONLY_SHARE)
    est["in_osm"] = shop & ((u < BOTH_SHARE) | (u >= BOTH_SHARE + KBO_ONLY_SHARE))
    r = 12.0 * np.sqrt(rng.random(n))
    a = rng.uniform(0, 2 * np.pi, n)
    est["osm_x"] = est["x"] + r * np.cos(a)
    est["osm_y"] = est["y"] + r * np.sin(a)
    variant = rng.random(n)
    est["osm_name"] = est["name"]
    strip = est["in_osm"] & est["in_kbo"] & (variant < 0.06)
    est.loc[strip, "osm_name"] = est.loc[strip, "name"].map(
        lambda s: unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    )
    upper = est["in_osm"] & est["in_kbo"] & (variant >= 0.06) & (variant < 0.09)
    est.loc[upper, "osm_name"] = est.loc[upper, "name"].str.upper()
    est["website"] = np.where(
        rng.random(n) < 0.4, "https://www." + est["name"].map(_slug) + ".be", ""
    )
    est["opening_hours"] = [
        str(rng.choice(SHOP_TYPE[c].hours)) if k == "shop" and rng.random() < 0.5 else ""
        for c, k in zip(est["category"], est["kind"], strict=True)
    ]
    est["osm_addr"] = rng.random(n) < 0.8
    return est


# --------------------------------------------------------------------------- KBO numbers
def _kbo_numbers(rng: np.random.Generator, n: int, first_digit: int) -> list[str]:
    """Unique 10-digit KBO numbers with a valid modulo-97 check."""
    seen: set[int] = set()
    out = []
    while len(out) < n:
        base = first_digit * 10_000_000 + int(rng.integers(2_000_000, 9_999_999))
        if base in seen:
            continue
        seen.add(base)
        digits = f"{base:08d}{97 - base % 97:02d}"
        if first_digit == 0:
            out.append(f"{digits[0:4]}.{digits[4:7]}.{digits[7:10]}")
        else:
            out.append(f"{digits[0]}.{digits[1:4]}.{digits[4:7]}.{digits[7:10]}")
    return out


def _random_date(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, max((hi - lo).days, 1))))


def _enterprises(rng: np.random.Generator, est: pd.DataFrame) -> pd.DataFrame:
    """One enterprise per independent establishment, one per chain; numbers and dates."""
    kbo = est[est["in_kbo"]]
    chains = sorted(c for c in kbo["chain"].unique() if c)
    independents = kbo[kbo["chain"] == ""]
    n = len(chains) + len(independents)
    numbers = _kbo_numbers(rng, n, 0)
    rows = []
    for k, chain in enumerate(chains):
        rows.append(
            dict(
                enterprise=numbers[k],
                type="2",
                form="014",
                name=f"{chain} SA",
                start=_random_date(rng, date(1968, 1, 1), date(2005, 1, 1)),
                chain=chain,
            )
        )
    est["enterprise"] = ""
    owner = []
    for k, e in enumerate(independents.itertuples(), start=len(chains)):
        natural = e.kind == "shop" and rng.random() < 0.55
        form = "" if natural else str(rng.choice(["610", "610", "610", "014", "015", "612"]))
        if e.nace == "85203":
            form = "017"
        legal = (
            f"{e.name} {_form_suffix(form)}"
            if form
            else f"{rng.choice(FAMILY)}, {rng.choice(FIRST)}"
        )
        rows.append(
            dict(
                enterprise=numbers[k],
                type="1" if natural else "2",
                form=form,
                name=legal,
                start=_random_date(rng, date(1975, 1, 1), date(2025, 6, 1)),
                chain="",
            )
        )
        owner.append(numbers[k])
    est.loc[independents.index, "enterprise"] = owner
    ent = pd.DataFrame(rows)
    by_chain = dict(zip(ent["chain"], ent["enterprise"], strict=True))
    is_chain = est["in_kbo"] & (est["chain"] != "")
    est.loc[is_chain, "enterprise"] = est.loc[is_chain, "chain"].map(by_chain)
    est["establishment_number"] = ""
    est.loc[est["in_kbo"], "establishment_number"] = _kbo_numbers(rng, int(est["in_kbo"].sum()), 2)
    est["start"] = [_random_date(rng, date(1980, 1, 1), date(2025, 9, 1)) for _ in range(len(est))]
    return ent


def _form_suffix(form: str) -> str:
    return {"610": "SRL", "014": "SA", "015": "SPRL", "612": "SComm", "017": "ASBL"}[form]


# --------------------------------------------------------------------------- vacant cells
def _vacant_cells(
    rng: np.random.Generator, territory: Territory, addr: pd.DataFrame, est: pd.DataFrame
) -> pd.DataFrame:
    """Commercial ground-floor cells of each centre and their status on the register dates."""
    st = territory.settlements.set_index("settlement_id")
    used = set(est["address_id"])
    unused = ~addr["address_id"].isin(used)
    rows = []
    for c in territory.communes.itertuples():
        centre_id = int(st.index[(st["nis"] == c.nis) & (st["kind"] == "centre")][0])
        radius = float(st.loc[centre_id, "radius"])
        r_area = radius if c.role == "rural" else 0.5 * radius
        shops = est[
            (est["kind"] == "shop") & (est["settlement_id"] == centre_id) & (est["dist"] <= r_area)
        ]
        occupied = shops["address_id"].to_numpy()
        rates = np.array([c.vacancy_2025, (c.vacancy_2025 + c.vacancy_2026) / 2, c.vacancy_2026])
        total = int(round(len(occupied) / (1 - rates[2])))
        n_vac = np.round(total * rates).astype(int)
        free = addr[
            (addr["settlement_id"] == centre_id)
            & (addr["dist"] <= r_area)
            & unused
        ]
        free = free.assign(pref=free["main"].astype(float) * 2 + rng.random(len(free)))
        vacant_now = free.sort_values("pref", ascending=False)["address_id"].to_numpy()[: n_vac[2]]
        cells = np.r_[occupied, vacant_now]
        status = np.zeros((3, len(cells)), dtype=bool)  # True = vacant
        status[2, len(occupied) :] = True
        for t in (1, 0):
            now = np.flatnonzero(status[t + 1])
            keep = rng.permutation(now)[: min(n_vac[t], int(round(0.65 * len(now))))]
            others = np.setdiff1d(np.arange(len(cells)), keep)
            extra = rng.permutation(others)[: n_vac[t] - len(keep)]
            status[t, keep] = True
            status[t, extra] = True
        area = np.clip(rng.lognormal(np.log(85), 0.5, len(cells)), 25, 600).round().astype(int)
        for k, a_id in enumerate(cells):
            rows.append(
                dict(
                    cell_id=f"VC{c.nis}-{k + 1:04d}",
                    nis=c.nis,
                    address_id=int(a_id),
                    floor_area_m2=int(area[k]),
                    vacant=tuple(bool(s) for s in status[:, k]),
                )
            )
    return pd.DataFrame(rows)


def _align_start_dates(rng: np.random.Generator, est: pd.DataFrame, cells: pd.DataFrame) -> None:
    """Shops in a cell seen vacant on a register date started after that date."""
    last_vacant = {}
    for r in cells.itertuples():
        dates = [REGISTER_DATES[t] for t in range(3) if r.vacant[t]]
        if dates and not r.vacant[2]:
            last_vacant[r.address_id] = max(dates)
    for i in est.index[est["address_id"].isin(list(last_vacant))]:
        after = last_vacant[est.at[i, "address_id"]] + timedelta(days=1)
        est.at[i, "start"] = _random_date(rng, after, REGISTER_DATES[2])


# --------------------------------------------------------------------------- merchants
def district_radius(role: str, radius: float) -> float:
    """Radius (m) of a centre's shopping district: the voucher scheme's area."""
    return float(radius) if role == "rural" else 0.6 * float(radius)


def _merchants(rng: np.random.Generator, territory: Territory, est: pd.DataFrame) -> pd.DataFrame:
    """About 40 % of the KBO shops of each centre's shopping district join the scheme."""
    st = territory.settlements.set_index("settlement_id")
    roles = territory.communes.set_index("nis")["role"]
    centres = st[st["kind"] == "centre"]
    limit = {int(i): district_radius(roles[r.nis], r.radius) for i, r in centres.iterrows()}
    reach = est["settlement_id"].map(limit).fillna(-1.0).to_numpy()
    shops = est[
        (est["kind"] == "shop").to_numpy()
        & est["in_kbo"].to_numpy()
        & (est["dist"].to_numpy() <= reach)
    ]
    chosen = shops[rng.random(len(shops)) < 0.4]
    return pd.DataFrame(
        {
            "merchant_id": [f"M{k + 1:05d}" for k in range(len(chosen))],
            "est_id": chosen["est_id"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "establishment_number": chosen["establishment_number"].to_numpy(),
            "nis": chosen["nis"].to_numpy(),
            "x": chosen["x"].to_numpy(),
            "y": chosen["y"].to_numpy(),
            "category": chosen["category"].to_numpy(),
            "settlement_id": chosen["settlement_id"].to_numpy(),
        }
    )


# --------------------------------------------------------------------------- OSM POIs
def _online_tags(name: str, nis: str) -> dict[str, str]:
    """The online tags a mapper may have added (social links, payment, delivery, the date the
    shop was last checked), decided by a hash of the shop: no draw from the generator's RNG,
    so every other demo file stays the same. Communes differ (the NIS enters the hash)."""
    h = zlib.crc32(f"{nis}|{name}".encode())
    slug = re.sub(r"[^a-z0-9]+", "", str(name).lower())[:30] or "commerce"
    tags: dict[str, str] = {}
    if h % 5 < 2:
        tags["contact:facebook"] = f"https://www.facebook.com/{slug}"
    if h % 7 == 0:
        tags["contact:instagram"] = f"https://www.instagram.com/{slug}"
    if (h >> 3) % 4 == 0:
        tags.update({"payment:cash": "yes", "payment:cards": "yes", "payment:contactless": "yes"})
    if (h >> 5) % 6 == 0:
        tags["delivery"] = "yes"
    if (h >> 7) % 3 == 0:
        tags["check_date"] = f"202{(h >> 9) % 6}-{1 + (h >> 12) % 12:02d}-15"
    return tags


def _shop_pois(est: pd.DataFrame, communes: pd.DataFrame) -> list[Poi]:
    names = dict(zip(communes["nis"], communes["name_fr"], strict=True))
    pois = []
    for e in est[est["in_osm"]].itertuples():
        tags = {e.key: e.category, "name": e.osm_name}
        if e.category == "pharmacy":
            tags["healthcare"] = "pharmacy"
        if e.chain:
            tags["brand"] = e.chain
        if e.website:
            tags["website"] = e.website
        if e.opening_hours:
            tags["opening_hours"] = e.opening_hours
        tags.update(_online_tags(e.osm_name, e.nis))
        if e.osm_addr:
            tags.update(
                {
                    "addr:street": e.street_fr,
                    "addr:housenumber": e.house_number,
                    "addr:postcode": e.postcode,
                    "addr:city": names[e.nis],
                }
            )
        pois.append(Poi(float(e.osm_x), float(e.osm_y), tags))
    return pois


def _extra_pois(rng: np.random.Generator, territory: Territory) -> list[Poi]:
    """Parking (nodes and areas, two with an unreadable capacity), tourism, marketplaces."""
    st = territory.settlements
    pois: list[Poi] = []
    bad = iter(["approx 40", "50-60"])
    for c in territory.communes.itertuples():
        centre = st[(st["nis"] == c.nis) & (st["kind"] == "centre")].iloc[0]
        n_park = {"regional_centre": 6, "town": 4}.get(c.role, 1)
        for k in range(n_park):
            ang = rng.uniform(0, 2 * np.pi)
            d = rng.uniform(0.15, 0.7) * centre.radius
            x, y = centre.x + d * np.cos(ang), centre.y + d * np.sin(ang)
            cap = int(rng.choice([25, 40, 60, 80, 120, 250]))
            tags = {
                "amenity": "parking",
                "name": f"Parking {rng.choice(QUAL)}",
                "parking": str(rng.choice(["surface", "surface", "underground", "multi-storey"])),
                "fee": str(rng.choice(["yes", "no"])),
                "capacity": str(cap),
            }
            if c.role == "regional_centre" and c.tile == 0 and k < 2:
                tags["capacity"] = next(bad)
            if k % 2 == 0:
                w, h = np.sqrt(cap * 25.0) * 1.3, np.sqrt(cap * 25.0) / 1.3
                ring = np.array(
                    [
                        [x - w / 2, y - h / 2],
                        [x + w / 2, y - h / 2],
                        [x + w / 2, y + h / 2],
                        [x - w / 2, y + h / 2],
                    ]
                )
                pois.append(Poi(x, y, tags, ring))
            else:
                pois.append(Poi(x, y, tags))
        if c.role != "rural":
            pois.append(
                Poi(
                    centre.x + 35,
                    centre.y + 20,
                    {
                        "tourism": "information",
                        "information": "office",
                        "name": f"Office du Tourisme de {c.name_fr}",
                    },
                )
            )
            pois.append(
                Poi(
                    centre.x - 60,
                    centre.y + 45,
                    {"tourism": "museum", "name": f"Musée {rng.choice(QUAL)}"},
                )
            )
            pois.append(
                Poi(
                    centre.x + 10,
                    centre.y - 15,
                    {"amenity": "marketplace", "name": "Place du Marché"},
                )
            )
        villages = st[(st["nis"] == c.nis) & (st["kind"] == "village")]
        if len(villages):
            v = villages.iloc[int(rng.integers(len(villages)))]
            pois.append(
                Poi(
                    v.x + 250,
                    v.y + 120,
                    {
                        "tourism": "attraction",
                        "historic": "castle",
                        "name": f"Château de {v['name']}",
                    },
                )
            )
        geom = c.geometry
        minx, miny, maxx, maxy = geom.bounds
        for kind in ("viewpoint", "abbey"):
            for _ in range(50):
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if shapely.contains_xy(geom, x, y):
                    break
            if kind == "viewpoint":
                tags = {"tourism": "viewpoint", "name": f"Point de vue {rng.choice(QUAL)}"}
            else:
                if c.role == "town":
                    continue
                tags = {
                    "tourism": "attraction",
                    "historic": "monastery",
                    "amenity": "place_of_worship",
                    "religion": "christian",
                    "name": f"Abbaye de {c.name_fr}",
                }
            pois.append(Poi(x, y, tags))
    return pois


# --------------------------------------------------------------------------- build
def build_business(territory: Territory, network: Network, seed: int) -> Business:
    """Decide every address, establishment, enterprise, cell and merchant."""
    rng = stream(seed, "business")
    addr = build_addresses(territory, network)
    est = _establishments(rng, territory, addr)
    est = _sources(rng, est)
    est = est.join(addr[["street_fr", "house_number"]], on="address_id")
    ent = _enterprises(rng, est)
    cells = _vacant_cells(rng, territory, addr, est)
    _align_start_dates(rng, est, cells)
    merchants = _merchants(stream(seed, "merchants"), territory, est)
    pois = _shop_pois(est, territory.communes) + _extra_pois(rng, territory)
    return Business(addr, est, ent, cells, merchants, pois)


def defect(
    file: str, row: int, reason: str, key: str, detail: str, *, valid: bool = False
) -> dict:
    """A documented defect (or a valid oddity) of a landing file, for the truth file."""
    return {
        "file": file,
        "row": int(row),
        "reason": reason,
        "key": key,
        "detail": detail,
        "defect": not valid,
    }
