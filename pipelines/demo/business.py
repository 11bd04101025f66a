"""Businesses of the demo territory: address points, KBO/BCE, OSM shops, vacant cells, merchants.

Addresses are laid along the named streets of the settlements (odd numbers on the left,
even on the right). Shops take addresses with a weight that decays away from the centre
and is much higher on its main streets; offices, doctors, schools and other non-commercial
establishments are spread more evenly, so that a NACE filter matters. About 63 % of the
shops are both in the KBO and in OSM (same name, within 15 m), 27 % only in the KBO and
10 % only in OSM. Vacant-cell registers track the commercial ground floors of the centres on
three dates; the shops that moved into a formerly vacant cell started after it was seen
vacant, so the KBO start dates agree with the register.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pipelines.demo import writers
from pipelines.demo._common import stream, to_lonlat
from pipelines.demo._kbo_codes import JURIDICAL_FORM, NACE_2008, OTHER_CODES
from pipelines.demo.streets import Network, Poi
from pipelines.demo.territory import Territory

REGISTER_DATES = (date(2025, 10, 1), date(2026, 4, 1), date(2026, 10, 1))
"""Observation dates of the vacant-cell registers."""
SHOPS_PER_1000 = 6.0
OFFICES_PER_1000 = 3.5
BOTH_SHARE, KBO_ONLY_SHARE = 0.63, 0.27


@dataclass(frozen=True)
class ShopType:
    """A kind of shop: its OSM tag, NACE codes, name templates, hours, basket (EUR)."""

    category: str
    key: str
    nace: tuple[str, ...]
    weight: float
    village_weight: float
    names: tuple[str, ...]
    hours: tuple[str, ...]
    basket: float
    chains: tuple[str, ...] = ()
    chain_share: float = 0.0


_SHOP = "Mo-Sa 09:30-18:30"
SHOP_TYPES = (
    ShopType(
        "bakery",
        "shop",
        ("47241",),
        8,
        5,
        ("Boulangerie {f}", "Boulangerie {q}", "Au Pain {q}", "Boulangerie-Pâtisserie {f}"),
        ("Tu-Sa 07:00-18:30; Su 07:00-13:00", "Mo-Sa 06:30-18:00"),
        9.0,
    ),
    ShopType(
        "butcher",
        "shop",
        ("47221",),
        4,
        2,
        ("Boucherie {f}", "Boucherie {q}"),
        ("Tu-Sa 08:30-18:30", "Tu-Fr 08:00-18:00; Sa 08:00-16:00"),
        24.0,
    ),
    ShopType(
        "supermarket",
        "shop",
        ("47114",),
        3,
        0.5,
        ("{chain}",),
        ("Mo-Sa 08:30-20:00; Su 09:00-12:30", "Mo-Sa 08:00-20:00"),
        42.0,
        ("Marché Frais", "Prixbas", "Épi d'Or"),
        1.0,
    ),
    ShopType(
        "convenience",
        "shop",
        ("47112", "47113"),
        4,
        3,
        ("Superette {q}", "Night Shop {q}", "Épicerie {f}"),
        ("Mo-Su 08:00-22:00", "Mo-Sa 08:00-20:00"),
        14.0,
    ),
    ShopType(
        "greengrocer",
        "shop",
        ("47210",),
        2,
        0.5,
        ("Fruits et Légumes {f}", "Le Panier {q}"),
        ("Tu-Sa 08:30-18:30",),
        16.0,
    ),
    ShopType("cheese", "shop", ("47291",), 1, 0, ("Fromagerie {f}",), ("Tu-Sa 09:00-18:30",), 21.0),
    ShopType(
        "clothes",
        "shop",
        ("47711", "47712", "47716"),
        10,
        0,
        ("Boutique {p}", "{p} Mode", "Atelier {p}", "Le Dressing {q}"),
        (_SHOP, "Tu-Sa 10:00-18:00"),
        58.0,
        ("Mode & Co", "Jeans Corner"),
        0.25,
    ),
    ShopType(
        "shoes",
        "shop",
        ("47721",),
        3,
        0,
        ("Chaussures {f}", "Au Pied {q}"),
        (_SHOP,),
        74.0,
        ("Pas à Pas",),
        0.3,
    ),
    ShopType(
        "jewelry",
        "shop",
        ("47770",),
        2,
        0,
        ("Bijouterie {f}", "Horlogerie {f}"),
        ("Tu-Sa 10:00-18:00",),
        95.0,
    ),
    ShopType("cosmetics", "shop", ("47750",), 1.5, 0, ("Parfumerie {p}",), (_SHOP,), 38.0),
    ShopType(
        "hairdresser",
        "shop",
        ("96021",),
        8,
        3,
        ("Coiffure {p}", "Salon {p}", "Coiffure {q}"),
        ("Tu-Fr 09:00-18:00; Sa 08:30-16:00",),
        35.0,
    ),
    ShopType(
        "beauty",
        "shop",
        ("96022",),
        3,
        1,
        ("Institut {p}", "Beauté {q}"),
        ("Tu-Sa 09:30-18:30",),
        45.0,
    ),
    ShopType(
        "florist",
        "shop",
        ("47761",),
        3,
        1,
        ("Fleurs {p}", "Au Jardin de {p}"),
        ("Tu-Sa 09:00-18:30; Su 09:00-12:30",),
        27.0,
    ),
    ShopType("books", "shop", ("47610",), 2, 0, ("Librairie {q}", "Librairie {f}"), (_SHOP,), 23.0),
    ShopType(
        "newsagent",
        "shop",
        ("47620",),
        3,
        1,
        ("Librairie-Presse {q}", "Press Shop {q}"),
        ("Mo-Sa 06:30-18:30; Su 07:00-12:30",),
        11.0,
    ),
    ShopType(
        "optician",
        "shop",
        ("47782",),
        2,
        0,
        ("Optique {f}",),
        ("Tu-Sa 09:30-18:00",),
        160.0,
        ("Optique Lumière",),
        0.4,
    ),
    ShopType("hardware", "shop", ("47521",), 2, 0.5, ("Quincaillerie {f}",), (_SHOP,), 31.0),
    ShopType("electronics", "shop", ("47430",), 1, 0, ("Électro {f}",), (_SHOP,), 140.0),
    ShopType(
        "mobile_phone",
        "shop",
        ("47420",),
        1.5,
        0,
        ("{chain}",),
        (_SHOP,),
        60.0,
        ("Télécom Plus",),
        1.0,
    ),
    ShopType(
        "chocolate", "shop", ("47242",), 1, 0, ("Chocolaterie {f}",), ("Tu-Su 10:00-18:00",), 22.0
    ),
    ShopType(
        "wine", "shop", ("47251",), 1, 0, ("Cave {q}", "Vins {f}"), ("Tu-Sa 10:00-19:00",), 48.0
    ),
    ShopType("toys", "shop", ("47650",), 1, 0, ("Le Coffre à Jouets {q}",), (_SHOP,), 34.0),
    ShopType("sports", "shop", ("47640",), 1, 0, ("Sports {f}",), (_SHOP,), 65.0),
    ShopType("bicycle", "shop", ("47640",), 0.7, 0, ("Cycles {f}",), ("Tu-Sa 09:00-18:00",), 120.0),
    ShopType(
        "furniture", "shop", ("47591",), 1, 0, ("Meubles {f}",), ("Mo-Sa 10:00-18:00",), 380.0
    ),
    ShopType("gift", "shop", ("47789",), 2, 0, ("Au Petit Cadeau {q}", "Déco {p}"), (_SHOP,), 29.0),
    ShopType("pet", "shop", ("47762",), 1, 0, ("Animalerie {f}",), (_SHOP,), 33.0),
    ShopType("tobacco", "shop", ("47260",), 1, 0.5, ("Tabac {q}",), ("Mo-Sa 07:00-19:00",), 12.0),
    ShopType(
        "pharmacy",
        "amenity",
        ("47730",),
        4,
        1,
        ("Pharmacie {q}", "Pharmacie {f}"),
        ("Mo-Fr 08:30-18:30; Sa 09:00-12:30",),
        19.0,
        ("Pharmacie Populaire",),
        0.3,
    ),
    ShopType(
        "restaurant",
        "amenity",
        ("56101",),
        7,
        3,
        ("Restaurant {q}", "La Table de {p}", "Le Relais {q}", "Trattoria {p}"),
        ("We-Su 12:00-14:00,18:30-22:00", "Tu-Sa 12:00-14:30,18:30-22:30"),
        38.0,
    ),
    ShopType(
        "cafe",
        "amenity",
        ("56301",),
        6,
        4,
        ("Café {q}", "Le Cercle {q}", "Brasserie {f}"),
        ("Mo-Su 08:00-23:00", "Tu-Su 10:00-01:00"),
        12.0,
    ),
    ShopType(
        "fast_food",
        "amenity",
        ("56102",),
        4,
        2,
        ("Friterie {q}", "Snack {q}", "Pizza {p}"),
        ("Tu-Su 11:30-14:00,17:30-22:00",),
        13.0,
    ),
)
SHOP_TYPE = {t.category: t for t in SHOP_TYPES}

OFFICE_TYPES = (
    ("62010", "Informatique {f}", 1.0),
    ("69101", "Cabinet d'avocats {f}", 1.0),
    ("69201", "Fiduciaire {f}", 1.2),
    ("86210", "Docteur {p} {f}", 1.5),
    ("86230", "Cabinet dentaire {f}", 0.8),
    ("71111", "Atelier d'architecture {f}", 0.6),
    ("68311", "Immobilière {q}", 0.8),
    ("64190", "Banque Wallonne", 0.6),
    ("85203", "École communale {q}", 0.5),
    ("41201", "Construction {f}", 1.0),
    ("43211", "Électricité {f}", 0.8),
    ("45201", "Garage {f}", 0.8),
    ("70220", "Conseil {f}", 0.6),
    ("93130", "Fitness {q}", 0.3),
)
FAMILY = (
    "Dupont",
    "Lambert",
    "Dubois",
    "Martin",
    "Leclercq",
    "Lejeune",
    "Renard",
    "Collard",
    "Gilson",
    "Piron",
    "Mathieu",
    "Henrard",
    "Wauthier",
    "Delvaux",
    "Lemaire",
    "François",
    "Hubert",
    "Jacquet",
    "Goffin",
    "Massart",
    "Laurent",
    "Simon",
    "Thiry",
    "Remacle",
    "Denis",
    "Charlier",
    "Lecocq",
    "Dethier",
    "Georges",
    "Fontaine",
    "Marchal",
    "Hardy",
    "Bodart",
    "Lhoest",
    "Evrard",
    "Closset",
    "Noël",
    "Pirard",
    "Gérard",
    "Servais",
    "Wilmotte",
    "Dumont",
    "Baudoin",
    "Hanquet",
)
FIRST = (
    "Marie",
    "Sophie",
    "Julie",
    "Nathalie",
    "Christophe",
    "Luc",
    "Michel",
    "Isabelle",
    "Céline",
    "Laurence",
    "Pierre",
    "Anne",
    "Véronique",
    "Olivier",
    "Stéphanie",
    "Benoît",
    "Catherine",
    "Aurélie",
    "Vincent",
    "Caroline",
    "Thierry",
    "Chantal",
    "Nicolas",
    "Émilie",
    "Damien",
)
QUAL = (
    "du Marché",
    "de la Place",
    "du Centre",
    "Saint-Jean",
    "de la Gare",
    "des Remparts",
    "du Parc",
    "du Pont",
    "de la Fontaine",
    "du Château",
    "Saint-Nicolas",
    "des Halles",
    "du Coin",
    "de l'Église",
    "du Perron",
    "des Arcades",
    "du Beffroi",
    "des Tanneurs",
    "du Moulin",
    "de la Collégiale",
    "du Théâtre",
    "des Carmes",
    "du Square",
    "des Tilleuls",
)
KBO_FILES = ("enterprise", "establishment", "activity", "address", "denomination", "code")


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
    for c in territory.communes.itertuples():
        mine = np.flatnonzero(addr["nis"].to_numpy() == c.nis)
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
            & ~addr["address_id"].isin(used)
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


# --------------------------------------------------------------------------- writers
def _d(day: date | str) -> writers.Unquoted:
    text = day if isinstance(day, str) else day.strftime("%d-%m-%Y")
    return writers.Unquoted(text)


def write_kbo(business: Business, landing: Path, seed: int) -> dict[str, int]:
    """Write the six KBO open-data CSVs and the address points, with a few defects.

    The defects (and the 1-based data row where each lands) are appended to
    ``business.defects``.
    """
    rng = stream(seed, "kbo-defects")
    est = business.establishments[business.establishments["in_kbo"]].reset_index(drop=True)
    ent = business.enterprises
    shops = np.flatnonzero((est["kind"] == "shop").to_numpy())
    offices = np.flatnonzero(
        (est["kind"] == "office").to_numpy()
        & (est["nace"] != "84114").to_numpy()
        & (est["chain"] == "").to_numpy()
    )
    picks = rng.permutation(shops)
    no_point, bad_nace, bad_date, nl_only = picks[:3], picks[3:5], picks[5], picks[6:9]
    no_activity = rng.permutation(offices)[:2]
    root = landing / "kbo"
    defects = business.defects

    ent_rows = [
        (e.enterprise, "AC", "000", e.type, e.form or None, None, _d(e.start))
        for e in ent.itertuples()
    ]
    est_rows = []
    for k, e in enumerate(est.itertuples()):
        start = _d("31-02-2020") if k == bad_date else _d(e.start)
        if k == bad_date:
            defects.append(
                _defect(
                    "kbo/establishment.csv",
                    len(est_rows) + 1,
                    "invalid date",
                    e.establishment_number,
                    "StartDate 31-02-2020",
                )
            )
        est_rows.append((e.establishment_number, start, e.enterprise))
    act_rows = []
    first_nace = dict(zip(est["enterprise"][::-1], est["nace"][::-1], strict=True))
    silent = set(est["enterprise"].iloc[no_activity])  # their enterprise has no activity either
    for e in ent.itertuples():
        nace = first_nace.get(e.enterprise, "")
        if nace and e.enterprise not in silent:
            act_rows.append((e.enterprise, "001", "2008", nace, "MAIN"))
    for k, e in enumerate(est.itertuples()):
        if k in no_activity:
            defects.append(
                _defect(
                    "kbo/establishment.csv",
                    k + 1,
                    "no activity",
                    e.establishment_number,
                    "establishment without any activity row",
                )
            )
            continue
        act_rows.append((e.establishment_number, "001", "2008", e.nace, "MAIN"))
        if k in bad_nace:
            code = "47.11" if k == bad_nace[0] else "4711"
            act_rows.append((e.establishment_number, "001", "2008", code, "SECO"))
            defects.append(
                _defect(
                    "kbo/activity.csv",
                    len(act_rows),
                    "malformed NACE code",
                    e.establishment_number,
                    f"NaceCode {code}",
                )
            )
    addr_rows = []
    a = business.addresses
    cols = {
        k: a[k].to_numpy()
        for k in (
            "postcode",
            "municipality_nl",
            "municipality_fr",
            "street_nl",
            "street_fr",
            "house_number",
        )
    }
    for k, e in enumerate(est.itertuples()):
        i = e.address_id
        number = cols["house_number"][i]
        if k in no_point:
            number = str(int(number) + 400)
            defects.append(
                _defect(
                    "kbo/address.csv",
                    len(addr_rows) + 1,
                    "no address point",
                    e.establishment_number,
                    f"{cols['street_fr'][i]} {number}, {cols['postcode'][i]}",
                )
            )
        street_fr = None if k in nl_only else cols["street_fr"][i]
        addr_rows.append(
            (
                e.establishment_number,
                "BAET",
                None,
                None,
                cols["postcode"][i],
                cols["municipality_nl"][i],
                cols["municipality_fr"][i],
                cols["street_nl"][i],
                street_fr,
                number,
                "",
                "",
                None,
            )
        )
    for e in ent[ent["type"] == "2"].itertuples():
        if e.chain:
            addr_rows.append(
                (
                    e.enterprise,
                    "REGO",
                    None,
                    None,
                    "1000",
                    "Brussel",
                    "Bruxelles",
                    "Anspachlaan",
                    "Boulevard Anspach",
                    str(10 + len(addr_rows) % 80),
                    "",
                    "",
                    None,
                )
            )
    den_rows = [
        (e.enterprise, "0" if e.type == "1" else "1", "001", e.name) for e in ent.itertuples()
    ]
    den_rows += [(e.establishment_number, "1", "003", e.name) for e in est.itertuples()]
    used = set(est["nace"])
    code_rows = []
    for cat, code, lang, text in OTHER_CODES:
        code_rows.append((cat, code, lang, text))
    for form in sorted(JURIDICAL_FORM):
        fr, nl = JURIDICAL_FORM[form]
        code_rows += [("JuridicalForm", form, "FR", fr), ("JuridicalForm", form, "NL", nl)]
    for nace in sorted(set(used) & set(NACE_2008)):
        fr, nl = NACE_2008[nace]
        code_rows += [("Nace2008", nace, "FR", fr), ("Nace2008", nace, "NL", nl)]
    out = {}
    specs = {
        "enterprise": (
            (
                "EnterpriseNumber",
                "Status",
                "JuridicalSituation",
                "TypeOfEnterprise",
                "JuridicalForm",
                "JuridicalFormCAC",
                "StartDate",
            ),
            ent_rows,
        ),
        "establishment": (("EstablishmentNumber", "StartDate", "EnterpriseNumber"), est_rows),
        "activity": (
            ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
            act_rows,
        ),
        "address": (
            (
                "EntityNumber",
                "TypeOfAddress",
                "CountryNL",
                "CountryFR",
                "Zipcode",
                "MunicipalityNL",
                "MunicipalityFR",
                "StreetNL",
                "StreetFR",
                "HouseNumber",
                "Box",
                "ExtraAddressInfo",
                "DateStrikingOff",
            ),
            addr_rows,
        ),
        "denomination": (
            ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
            den_rows,
        ),
        "code": (("Category", "Code", "Language", "Description"), code_rows),
    }
    for name, (header, rows) in specs.items():
        out[f"kbo/{name}.csv"] = writers.write_csv(
            root / f"{name}.csv", header, rows, quote_all=True
        )
    a = business.addresses
    lon, lat = to_lonlat(a["x"].to_numpy(), a["y"].to_numpy())
    rows = zip(
        a["postcode"],
        a["municipality_fr"],
        a["street_fr"],
        a["street_nl"],
        a["house_number"],
        [f"{v:.7f}" for v in lon],
        [f"{v:.7f}" for v in lat],
        strict=True,
    )
    out["kbo/address_points.csv"] = writers.write_csv(
        root / "address_points.csv",
        ("postcode", "municipality_fr", "street_fr", "street_nl", "house_number", "lon", "lat"),
        rows,
    )
    for k in nl_only:
        e = est.iloc[k]
        defects.append(
            _defect(
                "kbo/address.csv",
                int(k) + 1,
                "(valid) StreetFR empty",
                e.establishment_number,
                "joins on StreetNL",
                valid=True,
            )
        )
    return out


def _defect(
    file: str, row: int, reason: str, key: str, detail: str, *, valid: bool = False
) -> dict:
    return {
        "file": file,
        "row": int(row),
        "reason": reason,
        "key": key,
        "detail": detail,
        "defect": not valid,
    }


def write_vacant(business: Business, territory: Territory, landing: Path) -> dict[str, int]:
    """Write ``vacant/vacant_cells.csv`` (three observations per cell, three defects)."""
    a = business.addresses
    cells = business.cells
    ids = cells["address_id"].to_numpy()
    lon, lat = to_lonlat(a["x"].to_numpy()[ids], a["y"].to_numpy()[ids])
    text = (
        a["street_fr"].to_numpy()[ids]
        + " "
        + a["house_number"].to_numpy()[ids]
        + ", "
        + a["postcode"].to_numpy()[ids]
        + " "
        + a["municipality_fr"].to_numpy()[ids]
    )
    slon = [f"{v:.7f}" for v in lon]
    slat = [f"{v:.7f}" for v in lat]
    rows = []
    for t, day in enumerate(REGISTER_DATES):
        for k, c in enumerate(cells.itertuples()):
            status = "vacant" if c.vacant[t] else "occupied"
            rows.append(
                [
                    c.cell_id,
                    c.nis,
                    text[k],
                    slon[k],
                    slat[k],
                    str(c.floor_area_m2),
                    status,
                    day.isoformat(),
                ]
            )
    n = len(cells)
    # defects on the last register: an unknown status, swapped coordinates, a lost decimal point
    targets = [2 * n + 5, 2 * n + n // 2, 2 * n + n - 3]
    rows[targets[0]][6] = "vide?"
    rows[targets[1]][3], rows[targets[1]][4] = rows[targets[1]][4], rows[targets[1]][3]
    rows[targets[2]][4] = rows[targets[2]][4].replace(".", "")
    business.defects.extend(
        [
            _defect(
                "vacant/vacant_cells.csv",
                targets[0] + 1,
                "unknown status",
                rows[targets[0]][0],
                "status 'vide?'",
            ),
            _defect(
                "vacant/vacant_cells.csv",
                targets[1] + 1,
                "coordinates out of range",
                rows[targets[1]][0],
                "lon and lat swapped",
            ),
            _defect(
                "vacant/vacant_cells.csv",
                targets[2] + 1,
                "coordinates out of range",
                rows[targets[2]][0],
                "lat without its decimal point",
            ),
        ]
    )
    header = ("cell_id", "nis", "address", "lon", "lat", "floor_area_m2", "status", "observed_on")
    return {
        "vacant/vacant_cells.csv": writers.write_csv(
            landing / "vacant" / "vacant_cells.csv", header, rows
        )
    }


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
