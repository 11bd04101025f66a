"""A Wallonia-size demo region: ``n`` communes synthesised on one contiguous outline.

The ten-commune demo comes from a hand-written recipe (``geodata/demo_territory.csv``).
Any other number of communes is synthesised here as a recipe table with the same
columns, so that the rest of the generator (partition, settlements, sectors, streets,
business, transit, flows) runs unchanged:

- **Outline.** One irregular blob (an ellipse of aspect 2 with random harmonics) of
  ``16,900 km2 * n / 262`` around Namur: at ``n = 262`` the size of Wallonia.
- **Commune centres.** Evenly spread by a few Lloyd iterations over random points of the
  outline. ``round(n / 50)`` of them (at least one) are regional centres, placed by a
  k-means of the centres so that they are far apart; 28 % are towns, the rest rural.
- **Population.** Regional centres 90,000-200,000, towns 12,000-40,000 (log-uniform),
  rural communes 3,000-10,000; towns and rural communes are then scaled together so that
  the region has ``3.7 M * n / 262`` inhabitants (the scale factor is clipped to
  0.6-1.6, so a small region keeps plausible communes).
- **Groups.** The communes are grouped by k-means into ``ceil(n / 10)`` groups of about
  ten neighbours (the ``tile`` column, the unit of the railway line, the express road and
  the bus numbering of the recipe). Group 0 holds the most populous commune.
- **Codes.** The province follows the position in the outline (Hainaut west, Brabant
  wallon north-centre, Namur centre, Liège north-east, Luxembourg south-east). NIS codes
  are ``<province digit><1-9>8<00-99>`` (Brabant wallon ``258xx``): their last three digits
  ``8xx`` are used by no real commune. Postcodes are taken in each province's real range,
  one per settlement kind (regional centre 3, town 2, rural commune 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pipelines.demo._common import to_metric
from pipelines.errors import ConfigError

WALLONIA_AREA_KM2 = 16_900.0
WALLONIA_POPULATION = 3_700_000
WALLONIA_COMMUNES = 262
MAX_COMMUNES = 600
REGION_CENTRE_LONLAT = (4.87, 50.36)
"""Centre of the synthesised region (south of Namur)."""
REGION_ASPECT = 2.0
BELGIUM_AREA_KM2 = 30_689.0
BELGIUM_COMMUNES = 581
BELGIUM_CENTRE_LONLAT = (4.45, 50.52)
BELGIUM_ASPECT = 1.2
"""A region of Belgium's size: its area, centre and width / height (the outline of a
581-commune region stays inside Belgium's bounding box)."""
GROUP_SIZE = 10
TOWN_SHARE = 0.28
COMMUNES_PER_REGIONAL_CENTRE = 50

PROVINCES: dict[str, tuple[str, str, tuple[int, int]]] = {
    # name: (NIS prefix, CD_PROV_REFNIS, postcode range)
    "Hainaut": ("5", "50000", (7000, 7999)),
    "Namur": ("9", "90000", (5000, 5999)),
    "Liège": ("6", "60000", (4000, 4999)),
    "Luxembourg": ("8", "80000", (6600, 6999)),
    "Brabant wallon": ("25", "20002", (1300, 1499)),
}

COMMUNE_ROOTS = (
    "Valmeuse",
    "Bois-Saint-Rémy",
    "Orvaux",
    "Marcheval",
    "Thiernay",
    "Ronchesse",
    "Les Hayettes",
    "Fagnoul",
    "Wasmerin",
    "Chenois",
    "Hautrage",
    "Sombrefays",
    "Mollemont",
    "Rièzes",
    "Verlinval",
    "Grandrieu",
    "Aubechies",
    "Trivières",
    "Flamerois",
    "Haversin",
    "Mozet-le-Grand",
    "Bioulx",
    "Sautin",
    "Vierves",
    "Lompret",
    "Chérain",
    "Bovigny",
    "Ferrières-Haut",
    "Thimister",
    "Waimes-Bas",
    "Aywaille-Sart",
    "Esneux-Haut",
    "Clavier-Bas",
    "Ouffet-Bois",
    "Tinlot",
    "Nandrin-Haut",
    "Seny",
    "Ellemelle",
    "Tavier",
    "Xhoris",
    "Lierneux-Bas",
    "Bihain",
    "Ottré",
    "Montleban",
    "Limerlé",
    "Tailles",
    "Dochamps",
    "Samrée",
)
QUALIFIER_PLACES = (
    "Condroz",
    "Ourthe",
    "Famenne",
    "Ardenne",
    "Meuse",
    "Sambre",
    "Hesbaye",
    "Lesse",
    "Semois",
    "Gaume",
    "Vesdre",
    "Amblève",
    "Thudinie",
    "Haine",
    "Dendre",
    "Molignée",
    "Hoyoux",
    "Salm",
    "Sûre",
    "Viroin",
)
QUALIFIERS = tuple(
    f"{prep}-{place}"
    for prep in ("en", "sur", "lez")
    for place in QUALIFIER_PLACES
)
"""Name qualifiers (``Valmeuse-en-Condroz``) that keep synthesised names unique."""
MARKET_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")



def blob(
    rng: np.random.Generator,
    centre: tuple[float, float],
    area_m2: float,
    aspect: float,
) -> shapely.Geometry:
    """An irregular, roughly elliptic outline of the given area."""
    theta = np.linspace(0.0, 2.0 * np.pi, 180, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0.05, 0.22) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    x = aspect * radius * np.cos(theta)
    y = radius * np.sin(theta)
    poly = shapely.Polygon(np.column_stack([x, y]))
    factor = np.sqrt(area_m2 / poly.area)
    return shapely.Polygon(np.column_stack([centre[0] + x * factor, centre[1] + y * factor]))


def qualified(roots: tuple[str, ...], k: int) -> str:
    """The ``k``-th unique name: ``roots`` in turn, then qualified (``Orvaux-sur-Ourthe``).

    Raises
    ------
    ConfigError
        If ``k`` exceeds the ``len(roots) * (1 + len(QUALIFIERS))`` names available.
    """
    n = len(roots)
    if k >= n * (1 + len(QUALIFIERS)):
        raise ConfigError(f"no unique name left for item {k} (at most {n * (1 + len(QUALIFIERS))})")
    return roots[k % n] if k < n else f"{roots[k % n]}-{QUALIFIERS[k // n - 1]}"


def _beyond_wallonia(n: int) -> float:
    """0 up to Wallonia's 262 communes, 1 at Belgium's 581 (linear in between and beyond)."""
    return max(0.0, (n - WALLONIA_COMMUNES) / (BELGIUM_COMMUNES - WALLONIA_COMMUNES))


def region_area_m2(n: int) -> float:
    """Area of a region of ``n`` communes: Wallonia's area per commune times ``n`` up to 262
    communes; beyond, towards Belgium's area at its 581 communes (Flemish communes are
    smaller: 581 communes of Wallonia's size would not fit in Belgium)."""
    if n <= WALLONIA_COMMUNES:
        return WALLONIA_AREA_KM2 * 1e6 * n / WALLONIA_COMMUNES
    return (WALLONIA_AREA_KM2 + _beyond_wallonia(n) * (BELGIUM_AREA_KM2 - WALLONIA_AREA_KM2)) * 1e6


def region_outline(rng: np.random.Generator, n: int) -> shapely.Geometry:
    """The outline of a region of ``n`` communes (Lambert 72 metres): around Wallonia's
    centre up to 262 communes, moving to Belgium's centre and shape by 421, so that a larger
    region lies in Belgium (the readers check coordinates against Belgium's bounds)."""
    t = min(1.0, 2.0 * _beyond_wallonia(n))  # Belgium's centre and shape from 421 communes
    lon, lat = (a + t * (b - a) for a, b in zip(REGION_CENTRE_LONLAT, BELGIUM_CENTRE_LONLAT, strict=True))
    cx, cy = to_metric(np.array([lon]), np.array([lat]))
    aspect = REGION_ASPECT + t * (BELGIUM_ASPECT - REGION_ASPECT)
    return blob(rng, (float(cx[0]), float(cy[0])), region_area_m2(n), aspect)


def _random_points(rng: np.random.Generator, outline: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``outline`` (rejection sampling, vectorised)."""
    minx, miny, maxx, maxy = outline.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.column_stack(
            [rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)]
        )
        out = np.vstack([out, cand[shapely.contains_xy(outline, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _kmeans(
    rng: np.random.Generator, points: np.ndarray, k: int, iterations: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means from ``k`` random points: (centres, label of each point)."""
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    label = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        _, label = cKDTree(centres).query(points)
        counts = np.bincount(label, minlength=k)
        for axis in (0, 1):
            sums = np.bincount(label, weights=points[:, axis], minlength=k)
            centres[:, axis] = np.where(counts > 0, sums / np.maximum(counts, 1), centres[:, axis])
    return centres, np.asarray(label)


def _centres(rng: np.random.Generator, outline: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` evenly spread commune centres inside ``outline``."""
    sample = _random_points(rng, outline, 60 * n)
    centres, _ = _kmeans(rng, sample, n, iterations=30)
    inside = shapely.contains_xy(outline, centres[:, 0], centres[:, 1])
    if not inside.all():  # a centroid of a concave piece: take the nearest sample point
        _, k = cKDTree(sample).query(centres[~inside])
        centres[~inside] = sample[k]
    # west to east, then north to south, for stable numbering
    order = np.lexsort((-centres[:, 1], np.round(centres[:, 0] / 5000.0)))
    return centres[order]


def _roles(rng: np.random.Generator, xy: np.ndarray) -> np.ndarray:
    n = len(xy)
    roles = np.full(n, "rural", dtype=object)
    n_rc = max(1, round(n / COMMUNES_PER_REGIONAL_CENTRE))
    if n_rc == 1:
        rc = np.array([int(np.argmin(np.hypot(*(xy - xy.mean(axis=0)).T)))])
    else:
        spots, _ = _kmeans(rng, xy, n_rc)
        _, rc = cKDTree(xy).query(spots)
        rc = np.unique(rc)
    roles[rc] = "regional_centre"
    rest = np.flatnonzero(roles == "rural")
    towns = rng.choice(rest, size=min(len(rest), round(TOWN_SHARE * n)), replace=False)
    roles[towns] = "town"
    return roles


def _populations(rng: np.random.Generator, roles: np.ndarray) -> np.ndarray:
    n = len(roles)
    rc, town = roles == "regional_centre", roles == "town"
    pop = rng.uniform(3_000, 10_000, n)
    pop[town] = np.exp(rng.uniform(np.log(12_000), np.log(40_000), int(town.sum())))
    pop[rc] = rng.uniform(90_000, 200_000, int(rc.sum()))
    target = WALLONIA_POPULATION * n / WALLONIA_COMMUNES
    others = pop[~rc].sum()
    if others > 0:
        pop[~rc] *= np.clip((target - pop[rc].sum()) / others, 0.6, 1.6)
    return (np.round(pop / 10.0) * 10).astype(np.int64)


def _province(xy: np.ndarray, outline: shapely.Geometry) -> np.ndarray:
    minx, miny, maxx, maxy = outline.bounds
    u = (xy[:, 0] - minx) / (maxx - minx)
    v = (xy[:, 1] - miny) / (maxy - miny)
    return np.select(
        [u < 0.3, (u < 0.55) & (v > 0.72), u > 0.68, (u > 0.5) & (v < 0.35)],
        [
            "Hainaut",
            "Brabant wallon",
            np.where(v > 0.45, "Liège", "Luxembourg"),
            "Luxembourg",
        ],
        default="Namur",
    ).astype(object)


ARRONDISSEMENTS: dict[str, tuple[str, ...]] = {
    # the real NIS arrondissement digits of each province, from west to east
    "Hainaut": ("4", "7", "1", "3", "5", "8", "6", "2"),
    "Namur": ("3", "1", "2"),
    "Liège": ("4", "1", "2", "3"),
    "Luxembourg": ("3", "4", "2", "5", "1"),
}
"""Province -> its arrondissements' second NIS digit (Hainaut: 54 Mouscron, 57 Tournai, 51 Ath,
53 Mons, 55 Soignies, 58 La Louvière, 56 Thuin, 52 Charleroi), ordered west to east: the
communes of a province are spread over them by longitude, so the groups built by
arrondissement (the Hainaut intercommunales, :mod:`pipelines.cockpit.groups`) all have some."""


def _codes(
    provinces: np.ndarray, roles: np.ndarray, x: np.ndarray
) -> tuple[list[str], list[tuple[str, ...]]]:
    """NIS codes and postcodes, numbered within each province; a province's communes are
    spread over its arrondissements from west to east (``x``: easting)."""
    nis = [""] * len(provinces)
    postcodes: list[tuple[str, ...]] = [()] * len(provinces)
    n_codes = {"regional_centre": 3, "town": 2, "rural": 1}
    for name, (prefix, _, (lo, hi)) in PROVINCES.items():
        members = np.flatnonzero(provinces == name)
        step = max(3, min(10, (hi - lo + 1) // max(len(members), 1)))
        if len(members) * step > hi - lo + 1:
            raise ConfigError(f"too many communes in province {name} for its postcodes")
        for k, i in enumerate(members):
            base = lo + k * step
            postcodes[i] = tuple(str(base + j) for j in range(n_codes[roles[i]]))
        if len(prefix) == 2:  # Brabant wallon: one arrondissement (25)
            chunks = [(prefix, members)]
        else:
            by_x = members[np.argsort(x[members], kind="stable")]
            arr = ARRONDISSEMENTS[name]
            chunks = [(prefix + a, np.sort(c)) for a, c in zip(arr, np.array_split(by_x, len(arr)), strict=True)]
        for code, chunk in chunks:
            if len(chunk) > 100:
                raise ConfigError(f"too many communes in arrondissement {code} of {name}: {len(chunk)} (at most 100)")
            for k, i in enumerate(chunk):
                nis[i] = f"{code}8{k:02d}"
    return nis, postcodes


def _groups(rng: np.random.Generator, xy: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Groups of about :data:`GROUP_SIZE` neighbouring communes; group 0 has the largest."""
    k = math.ceil(len(xy) / GROUP_SIZE)
    if k == 1:
        return np.zeros(len(xy), dtype=np.int64)
    _, label = _kmeans(rng, xy, k)
    _, label = np.unique(label, return_inverse=True)  # drop empty groups
    biggest = np.zeros(label.max() + 1)
    np.maximum.at(biggest, label, population)
    rank = np.empty_like(biggest, dtype=np.int64)
    rank[np.argsort(-biggest, kind="stable")] = np.arange(len(biggest))
    return rank[label]


def _rail_order(
    rng: np.random.Generator, xy: np.ndarray, roles: np.ndarray, group: np.ndarray, pop: np.ndarray
) -> np.ndarray:
    """Stations: a group's largest commune and about 60 % of its towns, along its main axis."""
    order = np.zeros(len(xy), dtype=np.int64)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        if len(members) < 2:
            continue
        hub = members[np.argmax(pop[members])]
        towns = members[(roles[members] != "rural") & (members != hub)]
        chosen = [hub, *towns[rng.random(len(towns)) < 0.6]]
        if len(chosen) < 2:
            others = members[members != hub]
            chosen.append(others[np.argmax(pop[others])])
        chosen_arr = np.asarray(chosen)
        pts = xy[chosen_arr] - xy[chosen_arr].mean(axis=0)
        axis = np.linalg.svd(pts, full_matrices=False)[2][0] if len(pts) > 1 else np.ones(2)
        rank = np.argsort(np.argsort(pts @ axis, kind="stable"), kind="stable")
        order[chosen_arr] = rank + 1
    return order


def region_recipe(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, shapely.Geometry]:
    """The recipe table of a synthesised region of ``n`` communes, and its outline.

    Parameters
    ----------
    rng : numpy.random.Generator
        The territory's random stream.
    n : int
        Number of communes (1 to :data:`MAX_COMMUNES`).

    Returns
    -------
    (pandas.DataFrame, shapely.Geometry)
        One row per commune with the columns of :func:`pipelines.demo.territory.expand_recipe`
        (``x``, ``y`` in Lambert 72 metres, ``tile`` the group), and the outline.
    """
    if not 1 <= n <= MAX_COMMUNES:
        raise ConfigError(f"communes must be between 1 and {MAX_COMMUNES}, got {n}")
    outline = region_outline(rng, n)
    xy = _centres(rng, outline, n)
    roles = _roles(rng, xy)
    population = _populations(rng, roles)
    provinces = _province(xy, outline)
    nis, postcodes = _codes(provinces, roles, xy[:, 0])
    group = _groups(rng, xy, population)
    rc, town = roles == "regional_centre", roles == "town"
    rel_area = np.round(rng.uniform(60, 120, n))
    rel_area[town] = np.round(rng.uniform(40, 80, int(town.sum())))
    rel_area[rc] = np.round(rng.uniform(100, 170, int(rc.sum())))
    villages = rng.integers(2, 5, n)
    villages[town] = rng.integers(2, 4, int(town.sum()))
    villages[rc] = 4
    v25 = np.round(rng.uniform(0.07, 0.16, n), 2)
    v25[town] = np.round(rng.uniform(0.05, 0.14, int(town.sum())), 2)
    v25[rc] = np.round(rng.uniform(0.06, 0.10, int(rc.sum())), 2)
    v26 = np.round(np.clip(v25 + rng.normal(0.01, 0.025, n), 0.02, 0.30), 2)
    market = np.where(rng.random(n) < 0.2, rng.choice(MARKET_DAYS, n), "").astype(object)
    market[town] = rng.choice(MARKET_DAYS, int(town.sum()))
    market[rc] = "sat"
    wifi = np.where(rng.random(n) < 0.3, 1, 0)
    wifi[town], wifi[rc] = 4, 8
    ped = np.where(town & (rng.random(n) < 0.5), 1, 0)
    ped[rc] = 3
    bike = np.where(town & (rng.random(n) < 0.2), 1, 0)
    bike[rc] = 1
    names = [qualified(COMMUNE_ROOTS, k) for k in range(n)]
    table = pd.DataFrame(
        {
            "nis": nis,
            "name_fr": names,
            "name_nl": names,
            "province": provinces,
            "role": roles,
            "population": population,
            "rel_area_km2": rel_area,
            "postcodes": postcodes,
            "villages": villages,
            "vacancy_2025": v25,
            "vacancy_2026": v26,
            "market_day": market,
            "wifi_sensors": wifi,
            "ped_counters": ped,
            "bike_counters": bike,
            "rail_order": _rail_order(rng, xy, roles, group, population),
            "tile": group,
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    table["prov_nis"] = table["province"].map({k: v[1] for k, v in PROVINCES.items()})
    return table, outline
