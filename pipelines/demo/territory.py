"""The demo territory: communes, their centres and villages, statistical sectors, population.

The recipe (``geodata/demo_territory.csv``) lists ten fictional communes with their role,
population, centre and relative area. The communes partition an irregular outline: a fine
Voronoi mesh of the outline is assigned to the commune centres by an additively weighted
distance with smooth noise, the weights being tuned until every commune has its relative
area (additively weighted regions stay in one piece). Each commune is then cut into
statistical sectors (a Voronoi of seeds denser near the centre and the villages, clipped
to the commune) and its population is spread over them with a density that decays away
from the centre and the villages, summing exactly to the commune population.

Any other number of communes is a synthesised region the size of a part of Wallonia
(:mod:`pipelines.demo.region`), partitioned, settled and cut into sectors the same way.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree

from pipelines.constants import CRS_METRIC
from pipelines.demo import writers
from pipelines.demo._common import largest_remainder, stream, to_lonlat, to_metric
from pipelines.demo.region import blob, qualified, region_recipe

RECIPE = Path(__file__).resolve().parents[2] / "geodata" / "demo_territory.csv"
RECIPE_COMMUNES = 10
"""Number of communes of the hand-written recipe (the default demo)."""
PROVINCE_NIS = {"Namur": "90000", "Liège": "60000", "Hainaut": "50000"}
MESH_SPACING_M = 450.0
NEAREST_SITES = 16
"""A region's mesh cell goes to one of its 16 nearest commune centres (all of them up to 16)."""
OUTLINE_CENTRE_KM = (-0.5, -0.5)
OUTLINE_ASPECT = 1.55

VILLAGE_NAMES = (
    "Sart-Dames",
    "Hanzinne",
    "Fontenoy",
    "Bois-de-Villers",
    "Mazée",
    "Rochefontaine",
    "Héron-Bas",
    "Vellereille",
    "Warnant",
    "Corroy",
    "Haillot",
    "Sorinnes",
    "Strée",
    "Loyers",
    "Falaën",
    "Mettet-Haut",
    "Biesmerée",
    "Gesves-Sart",
    "Assesse-Bois",
    "Maillen",
    "Courrière",
    "Thon",
    "Samart",
    "Nismes-Haut",
    "Vodecée",
    "Florée",
    "Jallet",
    "Goyet",
    "Petigny",
    "Romedenne",
    "Surice",
    "Bouvignes",
    "Hastière-Haut",
    "Ermeton",
    "Anhée-Bas",
    "Lustin",
    "Wépion-Haut",
    "Dave-Sart",
    "Naninne",
    "Erpent-Bois",
)
QUARTER_NAMES = (
    "GARE",
    "SAINT-ROCH",
    "LES VIVIERS",
    "BOIS DU ROY",
    "CITE DES FLEURS",
    "CHAMP DE LA CROIX",
    "SAINT-JOSEPH",
    "LES AUBEPINES",
    "HAUT-PRE",
    "LE CALVAIRE",
    "LA FERME",
    "LES TILLEULS",
    "FOND DES VAUX",
    "LE MOULIN",
    "LA CHAPELLE",
    "LES BRUYERES",
    "CHAUSSEE",
    "LE PARC",
    "SAINT-MARTIN",
    "LES COURTILS",
    "HAUTE-VOIE",
    "LE TIENNE",
    "LES CLOSIERES",
    "PLATEAU",
    "LES MARLIERES",
    "LA SAUVENIERE",
    "SAINT-NICOLAS",
    "LES PRES",
    "LE CHENOIS",
    "LA BRUYERE",
)


@dataclass
class Territory:
    """Communes, settlements (centres and villages) and sectors, in Lambert 72 metres."""

    communes: gpd.GeoDataFrame
    settlements: pd.DataFrame
    sectors: gpd.GeoDataFrame
    outline: shapely.Geometry

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Bounds of the union of the communes (metres)."""
        return tuple(self.communes.total_bounds)  # type: ignore[return-value]


def load_recipe(path: Path | None = None) -> pd.DataFrame:
    """Read the recipe of the ten demo communes (``geodata/demo_territory.csv``)."""
    recipe = pd.read_csv(path or RECIPE, dtype={"nis": str, "postcodes": str, "market_day": str})
    recipe["market_day"] = recipe["market_day"].fillna("")
    recipe["rail_order"] = recipe["rail_order"].fillna(0).astype(int)
    return recipe


def expand_recipe(recipe: pd.DataFrame) -> pd.DataFrame:
    """The recipe with Lambert 72 centres (``x``, ``y``), ``tile`` 0 and province codes."""
    x0, y0 = to_metric(recipe["centre_lon"].to_numpy(), recipe["centre_lat"].to_numpy())
    out = recipe.copy()
    out["tile"] = 0
    out["x"] = np.asarray(x0)
    out["y"] = np.asarray(y0)
    out["nis"] = out["nis"].astype(str)
    out["postcodes"] = out["postcodes"].map(lambda codes: tuple(codes.split("|")))
    out["prov_nis"] = out["province"].map(PROVINCE_NIS)
    return out.drop(columns=["centre_lon", "centre_lat"])


def _outline(rng: np.random.Generator, communes: pd.DataFrame) -> shapely.Geometry:
    """The recipe's outline: an irregular blob of the communes' total relative area."""
    main = communes.loc[communes["role"] == "regional_centre"].iloc[0]
    cx = float(main["x"]) + OUTLINE_CENTRE_KM[0] * 1000
    cy = float(main["y"]) + OUTLINE_CENTRE_KM[1] * 1000
    area = float(communes["rel_area_km2"].sum()) * 1e6
    return shapely.union_all([blob(rng, (cx, cy), area, OUTLINE_ASPECT)]).buffer(0)


def _mesh(rng: np.random.Generator, outline: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Seeds (jittered grid) and their Voronoi cells clipped to the outline."""
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(minx - MESH_SPACING_M, maxx + MESH_SPACING_M, MESH_SPACING_M)
    ys = np.arange(miny - MESH_SPACING_M, maxy + MESH_SPACING_M, MESH_SPACING_M)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts += rng.uniform(-0.35, 0.35, pts.shape) * MESH_SPACING_M
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(pts), extend_to=shapely.box(*outline.buffer(2000).bounds), ordered=True
    )
    parts = np.asarray(shapely.get_parts(cells))
    clipped = shapely.intersection(parts, outline)
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 1.0)
    return pts[keep], clipped[keep]


def _noise(rng: np.random.Generator, n: int, pts: np.ndarray) -> np.ndarray:
    """Smooth noise (metres) per commune and mesh cell, to make borders wander."""
    out = np.zeros((len(pts), n))
    for j in range(n):
        for _ in range(3):
            wavelength = rng.uniform(3500.0, 9000.0)
            angle = rng.uniform(0, np.pi)
            phase = rng.uniform(0, 2 * np.pi)
            proj = pts[:, 0] * np.cos(angle) + pts[:, 1] * np.sin(angle)
            out[:, j] += 700.0 * np.sin(2 * np.pi * proj / wavelength + phase)
    return out


def _nearest_sites(pts: np.ndarray, sites: np.ndarray) -> np.ndarray | None:
    """The :data:`NEAREST_SITES` sites nearest to each mesh cell (None: all of them)."""
    if len(sites) <= NEAREST_SITES:
        return None
    _, idx = cKDTree(sites).query(pts, k=NEAREST_SITES)
    return np.asarray(idx)


def _noise_near(rng: np.random.Generator, n: int, pts: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """:func:`_noise` at the candidate sites of each mesh cell only (shape of ``cand``)."""
    wavelength = rng.uniform(3500.0, 9000.0, (n, 3))
    angle = rng.uniform(0, np.pi, (n, 3))
    phase = rng.uniform(0, 2 * np.pi, (n, 3))
    out = np.zeros(cand.shape)
    for w in range(3):
        a = angle[cand, w]
        proj = pts[:, None, 0] * np.cos(a) + pts[:, None, 1] * np.sin(a)
        out += 700.0 * np.sin(2 * np.pi * proj / wavelength[cand, w] + phase[cand, w])
    return out


def _assign_near(
    pts: np.ndarray,
    areas: np.ndarray,
    sites: np.ndarray,
    target: np.ndarray,
    noise: np.ndarray,
    cand: np.ndarray,
) -> np.ndarray:
    """:func:`_assign` among the nearest sites of each mesh cell (memory O(cells))."""
    dist = np.hypot(pts[:, None, 0] - sites[cand, 0], pts[:, None, 1] - sites[cand, 1])
    rows = np.arange(len(pts))
    weights = np.zeros(len(sites))
    for _ in range(80):
        label = cand[rows, np.argmin(dist - weights[cand] + noise, axis=1)]
        got = np.bincount(label, weights=areas, minlength=len(sites))
        weights += 0.6 * (np.sqrt(target / np.pi) - np.sqrt(np.maximum(got, 1.0) / np.pi))
    label = cand[rows, np.argmin(dist - weights[cand] + noise, axis=1)]
    _, own = cKDTree(pts).query(sites)  # the mesh cell nearest to each site belongs to it
    label[own] = np.arange(len(sites))
    return label


def _assign(
    pts: np.ndarray, areas: np.ndarray, sites: np.ndarray, target: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Assign mesh cells to sites with additive weights tuned to the target areas."""
    dist = np.hypot(pts[:, None, 0] - sites[None, :, 0], pts[:, None, 1] - sites[None, :, 1])
    weights = np.zeros(len(sites))
    for _ in range(80):
        label = np.argmin(dist - weights[None, :] + noise, axis=1)
        got = np.bincount(label, weights=areas, minlength=len(sites))
        weights += 0.6 * (np.sqrt(target / np.pi) - np.sqrt(np.maximum(got, 1.0) / np.pi))
    label = np.argmin(dist - weights[None, :] + noise, axis=1)
    own = np.argmin(dist, axis=0)  # the mesh cell nearest to each site belongs to it
    label[own] = np.arange(len(sites))
    return label


def _make_contiguous(pts: np.ndarray, label: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Give every detached piece of a commune to the neighbour it touches most."""
    tri = Delaunay(pts)
    s = tri.simplices
    a = np.concatenate([s[:, 0], s[:, 1], s[:, 2]])
    b = np.concatenate([s[:, 1], s[:, 2], s[:, 0]])
    _, own = cKDTree(pts).query(sites)
    for _ in range(20):
        same = label[a] == label[b]
        graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(len(pts),) * 2)
        _, comp = connected_components(graph, directed=False)
        keep_comp = comp[own]
        stray = ~np.isin(comp, keep_comp)
        if not stray.any():
            return label
        for c in np.unique(comp[stray]):
            members = np.flatnonzero(comp == c)
            mask = np.isin(a, members) & ~np.isin(b, members)
            if not mask.any():
                continue
            label[members] = np.bincount(label[b[mask]]).argmax()
    return label


def _partition(
    rng: np.random.Generator, communes: pd.DataFrame, outline: shapely.Geometry
) -> np.ndarray:
    pts, cells = _mesh(rng, outline)
    areas = shapely.area(cells)
    sites = communes[["x", "y"]].to_numpy()
    rel = communes["rel_area_km2"].to_numpy(float)
    target = rel / rel.sum() * areas.sum()
    cand = _nearest_sites(pts, sites)
    if cand is None:
        label = _assign(pts, areas, sites, target, _noise(rng, len(sites), pts))
    else:
        noise = _noise_near(rng, len(sites), pts, cand)
        label = _assign_near(pts, areas, sites, target, noise, cand)
    label = _make_contiguous(pts, label, sites)
    geoms = [shapely.union_all(cells[label == j]) for j in range(len(sites))]
    return _absorb_detached(np.asarray([_clean_polygon(g) for g in geoms], dtype=object))


def _absorb_detached(geoms: np.ndarray) -> np.ndarray:
    """Give each detached piece of a commune to the neighbour sharing most border with it.

    Mesh cells that are neighbours in the Delaunay sense may not touch where the outline
    is concave, so a commune can still come out in pieces; the recipe's never does.
    """
    geoms = geoms.copy()
    tree = shapely.STRtree(geoms)
    for i in np.flatnonzero(shapely.get_num_geometries(geoms) > 1):
        parts = sorted(shapely.get_parts(geoms[i]), key=lambda g: -g.area)
        geoms[i] = parts[0]
        for piece in parts[1:]:
            rim = piece.buffer(1.0)
            near = [int(j) for j in tree.query(rim, predicate="intersects") if j != i]
            if not near:
                continue  # a sliver cut off by the outline: dropped
            best = max(near, key=lambda j: shapely.intersection(rim, geoms[j]).area)
            geoms[best] = _clean_polygon(shapely.union_all([geoms[best], piece]))
    return geoms


def _clean_polygon(geom: shapely.Geometry) -> shapely.Geometry:
    """The union of mesh cells as a valid polygon without tiny holes (largest part first)."""
    geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1.0]
    parts = [
        shapely.Polygon(p.exterior, [i for i in p.interiors if shapely.Polygon(i).area > 5e4])
        for p in parts
    ]
    parts.sort(key=lambda p: -p.area)
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _settlements(rng: np.random.Generator, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each commune's centre and 0-4 villages (2.5 km apart at least, inside the commune)."""
    rows = []
    n_villages = 0
    for c in communes.itertuples():
        radius, spacing = _grid_size(c.role, c.population)
        rows.append(
            dict(
                nis=c.nis,
                kind="centre",
                name=c.name_fr,
                x=c.x,
                y=c.y,
                radius=radius,
                spacing=spacing,
                postcode=c.postcodes[0],
                letter="A",
                tile=c.tile,
            )
        )
        inner = c.geometry.buffer(-900.0)
        minx, miny, maxx, maxy = c.geometry.bounds
        cand = np.column_stack([rng.uniform(minx, maxx, 600), rng.uniform(miny, maxy, 600)])
        cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
        placed = [(c.x, c.y)]
        for k in range(int(c.villages)):
            ok = np.all(
                [np.hypot(cand[:, 0] - px, cand[:, 1] - py) > 2600.0 for px, py in placed], axis=0
            )
            if not ok.any():
                break
            vx, vy = cand[np.flatnonzero(ok)[0]]
            placed.append((vx, vy))
            name = qualified(VILLAGE_NAMES, n_villages)
            n_villages += 1
            codes = c.postcodes
            postcode = codes[1 + k % (len(codes) - 1)] if len(codes) > 1 else codes[0]
            rows.append(
                dict(
                    nis=c.nis,
                    kind="village",
                    name=name,
                    x=vx,
                    y=vy,
                    radius=230.0,
                    spacing=115.0,
                    postcode=postcode,
                    letter=chr(ord("B") + k),
                    tile=c.tile,
                )
            )
    out = pd.DataFrame(rows)
    out.insert(0, "settlement_id", np.arange(len(out)))
    return out


def _grid_size(role: str, population: int) -> tuple[float, float]:
    """Radius and spacing (m) of a centre's street grid."""
    if role == "regional_centre":
        return 1650.0, 110.0
    if role == "town":
        return 380.0 + 2.6 * np.sqrt(population) * 1.0, 100.0
    return 330.0, 105.0


def _sector_seeds(
    rng: np.random.Generator, commune: pd.Series, towns: pd.DataFrame, n: int
) -> np.ndarray:
    """Sector seeds: dense near the centre and the villages, some spread over the commune."""
    geom = commune.geometry
    shapely.prepare(geom)
    minx, miny, maxx, maxy = geom.bounds
    placed = np.empty((n, 2))
    count = 0
    town_xy = towns[["x", "y"]].to_numpy()
    centre_xy, centre_sd = town_xy[0], float(towns["radius"].iat[0]) * 0.9
    tries = 0
    while count < n and tries < 20000:
        tries += 1
        u = rng.random()
        if u < 0.55:
            x, y = rng.normal(centre_xy, centre_sd)
        elif u < 0.8 and len(towns) > 1:
            x, y = rng.normal(town_xy[1 + rng.integers(len(towns) - 1)], 500.0)
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(geom, x, y):
            continue
        if count and np.min(np.hypot(placed[:count, 0] - x, placed[:count, 1] - y)) < 180.0:
            continue
        placed[count] = (x, y)
        count += 1
    return placed[:count]


def _sectors_of(rng: np.random.Generator, commune: pd.Series, towns: pd.DataFrame) -> list[dict]:
    n = int(np.clip(round(8 + commune.population / 1900), 8, 60))
    seeds = _sector_seeds(rng, commune, towns, n)
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(seeds), extend_to=commune.geometry.envelope.buffer(500), ordered=True
    )
    geoms = shapely.intersection(np.asarray(shapely.get_parts(cells)), commune.geometry)
    reps = shapely.point_on_surface(geoms)
    rx, ry = shapely.get_x(reps), shapely.get_y(reps)
    d = np.hypot(
        rx[:, None] - towns["x"].to_numpy()[None, :], ry[:, None] - towns["y"].to_numpy()[None, :]
    )
    nearest = d.argmin(axis=1)
    # density: the centre decays over its grid radius, villages over 450 m, plus a floor
    scale = np.where(towns["kind"].to_numpy() == "centre", towns["radius"].to_numpy() * 0.9, 450.0)
    peak = np.where(towns["kind"].to_numpy() == "centre", 1.0, 0.25)
    density = (peak[None, :] * np.exp(-d / scale[None, :])).sum(axis=1) + 0.012
    weight = density * shapely.area(geoms)
    # one or two sectors without inhabitants (a business park, a forest), never A00
    n_empty = 1 + int(commune.population > 20000)
    far = np.argsort(-d.min(axis=1))[: n_empty * 3]
    empty = rng.choice(far, size=min(n_empty, len(far)), replace=False)
    weight[empty] = 0.0
    population = largest_remainder(int(commune.population), weight)
    rows = []
    for t_idx, town in enumerate(towns.itertuples()):
        members = np.flatnonzero(nearest == t_idx)
        members = members[np.argsort(d[members, t_idx], kind="stable")]
        for k, i in enumerate(members):
            code = f"{commune.nis}{town.letter}{k:02d}-"
            name = _sector_name(town, k, i in empty)
            rows.append(
                dict(
                    sector_id=code,
                    name_fr=name,
                    name_nl=name,
                    nis=commune.nis,
                    population=int(population[i]),
                    settlement_id=int(town.settlement_id),
                    x=float(rx[i]),
                    y=float(ry[i]),
                    geometry=geoms[i],
                )
            )
    return rows


def _sector_name(town: object, k: int, empty: bool) -> str:
    base = _ascii_upper(town.name)  # type: ignore[attr-defined]
    if empty:
        return f"{base}-ZONING"
    if k == 0:
        return f"{base}-CENTRE" if town.kind == "centre" else base  # type: ignore[attr-defined]
    return f"{base}-{QUARTER_NAMES[(k - 1) % len(QUARTER_NAMES)]}" + (
        "" if k <= len(QUARTER_NAMES) else f" {k // len(QUARTER_NAMES) + 1}"
    )


def _ascii_upper(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def build_territory(
    seed: int, communes: int = RECIPE_COMMUNES, recipe: pd.DataFrame | None = None
) -> Territory:
    """Build the communes, settlements and sectors of the demo territory.

    Parameters
    ----------
    seed : int
        Seed of the territory's random stream.
    communes : int, default 10
        Number of communes: 10 is the hand-written recipe (or ``recipe``), any other
        number a synthesised region (:func:`pipelines.demo.region.region_recipe`).
    recipe : pandas.DataFrame, optional
        A recipe table in the layout of ``geodata/demo_territory.csv``, for 10 communes.
    """
    rng = stream(seed, "territory")
    if communes == RECIPE_COMMUNES:
        table = expand_recipe(load_recipe() if recipe is None else recipe)
        outline = _outline(rng, table)
    else:
        table, outline = region_recipe(rng, communes)
    geoms = _partition(rng, table, outline)
    communes = gpd.GeoDataFrame(table, geometry=list(geoms), crs=CRS_METRIC)
    settlements = _settlements(rng, communes)
    rows: list[dict] = []
    for c in communes.itertuples(index=False):
        towns = settlements[settlements["nis"] == c.nis].reset_index(drop=True)
        rows.extend(_sectors_of(rng, pd.Series(c._asdict()), towns))
    sectors = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS_METRIC)
    pops = sectors.groupby("nis")["population"].sum()
    communes["population"] = communes["nis"].map(pops).astype(int)
    return Territory(communes, settlements, sectors, outline)


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    out = shapely.transform(geom, project)
    if not shapely.is_valid(out):
        out = shapely.make_valid(out)
        parts = [p for p in shapely.get_parts(out) if p.geom_type in ("Polygon", "MultiPolygon")]
        out = shapely.union_all(parts)
    return out


def _feature_collection(name: str, props: list[dict], geoms: list[shapely.Geometry]) -> str:
    feats = []
    for p, g in zip(props, geoms, strict=True):
        feats.append(
            '{"type":"Feature","properties":'
            + json.dumps(p, ensure_ascii=False)
            + ',"geometry":'
            + shapely.to_geojson(_to_wgs84(g))
            + "}"
        )
    head = (
        '{"type":"FeatureCollection","name":"' + name + '",'
        '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},'
        '"features":[\n'
    )
    return head + ",\n".join(feats) + "\n]}\n"


def write_statbel(territory: Territory, landing: Path) -> dict[str, int]:
    """Write ``statbel/communes.geojson`` and ``statbel/sectors.geojson`` (Statbel layout)."""
    c = territory.communes
    props = [
        {
            "CD_MUNTY_REFNIS": r.nis,
            "TX_MUNTY_DESCR_FR": r.name_fr,
            "TX_MUNTY_DESCR_NL": r.name_nl,
            "CD_PROV_REFNIS": r.prov_nis,
            "MS_POPULATION": int(r.population),
        }
        for r in c.itertuples()
    ]
    writers.write_text(
        landing / "statbel" / "communes.geojson",
        _feature_collection("communes", props, list(c.geometry)),
    )
    s = territory.sectors
    names = dict(zip(c["nis"], c["name_fr"], strict=True))
    props = [
        {
            "CD_SECTOR": r.sector_id,
            "TX_SECTOR_DESCR_FR": r.name_fr,
            "TX_SECTOR_DESCR_NL": r.name_nl,
            "CD_MUNTY_REFNIS": r.nis,
            "TX_MUNTY_DESCR_FR": names[r.nis],
            "MS_POPULATION": int(r.population),
        }
        for r in s.itertuples()
    ]
    writers.write_text(
        landing / "statbel" / "sectors.geojson",
        _feature_collection("sectors", props, list(s.geometry)),
    )
    return {"statbel/communes.geojson": len(c), "statbel/sectors.geojson": len(s)}
