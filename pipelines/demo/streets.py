"""The street network of the demo territory and its OpenStreetMap XML.

Every centre gets a jittered grid of streets (denser and larger for bigger communes) whose
two axes are the main streets ("Grand-Rue", "Rue de la Station", with a pedestrian part
in the bigger centres), every village a small grid. Tertiary roads join the villages to
their centre, primary roads join the centres of neighbouring communes, unclassified roads
join villages across communal borders, and a dual-carriageway trunk road (one-way
carriageways, 120 km/h) crosses each tile with a few interchanges. A former railway turned
cycleway (RAVeL) joins two villages, and a railway line serves three or four centres.

Coordinates are Lambert 72 metres until :func:`write_osm` converts them to WGS84.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import cKDTree

from pipelines.demo import writers
from pipelines.demo._common import stream, to_lonlat
from pipelines.demo.territory import Territory

DRIVE_HIGHWAYS = frozenset(
    {
        "trunk",
        "trunk_link",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
    }
)
"""``highway`` values open to cars."""
WALK_ONLY = frozenset({"pedestrian", "footway", "cycleway"})

STREET_TYPES = (
    "Rue",
    "Rue",
    "Rue",
    "Rue",
    "Avenue",
    "Chemin",
    "Allée",
    "Place",
    "Clos",
    "Impasse",
    "Sentier",
    "Boulevard",
)
STREET_PARTS = (
    "de l'Église",
    "du Moulin",
    "des Écoles",
    "du Château",
    "des Tilleuls",
    "des Prés",
    "Saint-Jean",
    "Saint-Martin",
    "Albert Ier",
    "Léopold II",
    "des Combattants",
    "de la Libération",
    "Émile Vandervelde",
    "Jules Destrée",
    "de la Fontaine",
    "des Fusillés",
    "du Pont",
    "de la Croix",
    "des Champs",
    "du Try",
    "des Alliés",
    "de Bruxelles",
    "du Tige",
    "des Vignes",
    "du Bois",
    "de la Chapelle",
    "des Peupliers",
    "des Hêtres",
    "des Chênes",
    "des Saules",
    "des Aubépines",
    "des Roses",
    "des Lilas",
    "des Violettes",
    "du Vieux Moulin",
    "de la Sucrerie",
    "de la Brasserie",
    "du Cimetière",
    "de la Ferme",
    "des Artisans",
    "du Calvaire",
    "Haute",
    "Basse",
    "Neuve",
    "du Marais",
    "des Carrières",
    "des Houilleurs",
    "du Stade",
    "de la Poste",
    "de l'Industrie",
    "du Parc",
    "de l'Hôtel de Ville",
    "du Général Jacques",
    "Roi Baudouin",
    "Reine Astrid",
    "Joseph Wauters",
    "Arthur Masson",
    "Félicien Rops",
    "du Bosquet",
    "des Rabots",
    "du Fort",
    "du Sart",
    "de la Hulle",
    "des Minières",
    "du Ruisseau",
    "de la Meuse",
    "de la Sambre",
    "des Déportés",
    "du Onze Novembre",
    "de la Paix",
    "des Glycines",
    "du Couvent",
    "des Remparts",
    "des Tanneurs",
    "du Pachy",
    "de la Justice",
    "des Sorbiers",
    "du Chêne",
    "de Hesbaye",
)


class NamePool:
    """Street names, unique within a postcode (so addresses are unambiguous)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: dict[str, set[str]] = {}

    def take(self, postcode: str, preferred: str | None = None) -> str:
        used = self.used.setdefault(postcode, set())
        if preferred and preferred not in used:
            used.add(preferred)
            return preferred
        for _ in range(10000):
            name = f"{self.rng.choice(STREET_TYPES)} {self.rng.choice(STREET_PARTS)}"
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError("street name pool exhausted")  # pragma: no cover


@dataclass
class Way:
    """An OSM way: node indices, tags and what the generator knows about it."""

    nodes: list[int]
    tags: dict[str, str]
    kind: str
    nis: str = ""
    settlement: int = -1
    postcode: str = ""
    main: bool = False


@dataclass
class Network:
    """Street nodes (Lambert metres), ways, railway stations and each centre's node."""

    x: np.ndarray
    y: np.ndarray
    ways: list[Way]
    stations: pd.DataFrame
    centre_node: dict[int, int]
    grid_nodes: dict[int, np.ndarray] = field(default_factory=dict)

    def edges(self, *, drive_only: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Undirected edges (u, v, length m) of the drive (or walk+drive) network."""
        us, vs = [], []
        for way in self.ways:
            hw = way.tags.get("highway")
            if hw is None or (drive_only and hw not in DRIVE_HIGHWAYS):
                continue
            us.extend(way.nodes[:-1])
            vs.extend(way.nodes[1:])
        u, v = np.asarray(us), np.asarray(vs)
        return u, v, np.hypot(self.x[u] - self.x[v], self.y[u] - self.y[v])

    def graph(self, *, drive_only: bool = True) -> csr_matrix:
        """Symmetric sparse graph of edge lengths, for scipy shortest paths."""
        u, v, w = self.edges(drive_only=drive_only)
        n = len(self.x)
        w = np.maximum(w, 0.01)
        return coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()

    def drive_nodes(self) -> np.ndarray:
        """Indices of the nodes on drivable ways."""
        u, v, _ = self.edges(drive_only=True)
        return np.unique(np.r_[u, v])

    def nearest(self, x: np.ndarray, y: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
        """Index of the nearest node (optionally among a subset) to each point."""
        pool = np.arange(len(self.x)) if among is None else np.asarray(among)
        tree = cKDTree(np.column_stack([self.x[pool], self.y[pool]]))
        _, i = tree.query(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
        return pool[i]


class _Builder:
    def __init__(self) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.ways: list[Way] = []

    def node(self, x: float, y: float) -> int:
        self.xs.append(float(x))
        self.ys.append(float(y))
        return len(self.xs) - 1

    def nodes(self, pts: np.ndarray) -> list[int]:
        return [self.node(x, y) for x, y in pts]

    def xy(self, i: int) -> np.ndarray:
        return np.array([self.xs[i], self.ys[i]])

    def add(self, nodes: Sequence[int], tags: dict[str, str], kind: str, **meta: object) -> None:
        if len(nodes) >= 2:
            self.ways.append(Way(list(nodes), dict(tags), kind, **meta))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- speed tags
def _urban_speed(rng: np.random.Generator, core: bool) -> dict[str, str]:
    u = rng.random()
    if core and u < 0.7:
        return {"maxspeed": "30", "zone:maxspeed": "BE:30", "source:maxspeed": "BE:zone30"}
    if u < 0.5:
        return {"maxspeed": "50", "source:maxspeed": "BE:urban"}
    return {}


def _rural_speed(rng: np.random.Generator, limit: str) -> dict[str, str]:
    if rng.random() < 0.75:
        src = "BE-WAL:rural" if limit == "90" else "sign"
        return {"maxspeed": limit, "source:maxspeed": src}
    return {}


# --------------------------------------------------------------------------- grids
@dataclass
class _Grid:
    index: dict[tuple[int, int], int]
    centre: int
    nodes: np.ndarray


def _grid_nodes(
    b: _Builder, rng: np.random.Generator, st: pd.Series, angle: float
) -> tuple[dict[tuple[int, int], int], float]:
    radius, step = float(st.radius), float(st.spacing)
    half = int(np.ceil(radius * 1.2 / step))
    ii, jj = np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    phase = rng.uniform(0, 2 * np.pi)
    wobble = 1.0 + 0.14 * np.sin(3 * np.arctan2(jj, ii) + phase)
    dist = np.hypot(ii, jj) * step
    on_axis = (ii == 0) | (jj == 0)
    keep = (dist <= radius * wobble) | (on_axis & (dist <= radius * 1.2))
    ii, jj = ii[keep], jj[keep]
    jitter = rng.normal(0.0, 0.09 * step, (len(ii), 2))
    jitter[(ii == 0) | (jj == 0)] *= 0.25
    jitter[(ii == 0) & (jj == 0)] = 0.0
    u = ii * step + jitter[:, 0]
    v = jj * step + jitter[:, 1]
    ca, sa = np.cos(angle), np.sin(angle)
    x = st.x + u * ca - v * sa
    y = st.y + u * sa + v * ca
    index = {}
    for i, j, px, py in zip(ii, jj, x, y, strict=True):
        index[(int(i), int(j))] = b.node(px, py)
    return index, radius


def _grid_edges(
    rng: np.random.Generator, index: dict[tuple[int, int], int], radius: float, step: float
) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    """The kept grid edges: a random spanning tree plus most other edges near the centre."""
    keys = list(index)
    pos = {k: n for n, k in enumerate(keys)}
    cand = []
    for i, j in keys:
        for di, dj in ((1, 0), (0, 1)):
            if (i + di, j + dj) in index:
                cand.append(((i, j), (i + di, j + dj)))
    axis = np.array([(a[1] == 0 and b[1] == 0) or (a[0] == 0 and b[0] == 0) for a, b in cand])
    weight = np.where(axis, 1e-6, rng.uniform(1.0, 2.0, len(cand)))
    rows = [pos[a] for a, _ in cand]
    cols = [pos[b] for _, b in cand]
    tree = minimum_spanning_tree(coo_matrix((weight, (rows, cols)), shape=(len(keys),) * 2))
    in_tree = {(min(r, c), max(r, c)) for r, c in zip(*tree.nonzero(), strict=True)}
    kept = set()
    for e, (a, b) in enumerate(cand):
        r, c = pos[a], pos[b]
        mid = np.hypot(a[0] + b[0], a[1] + b[1]) / 2 * step / radius
        p_drop = 0.03 + 0.30 * min(mid, 1.2) ** 2
        if axis[e] or (min(r, c), max(r, c)) in in_tree or rng.random() > p_drop:
            kept.add((a, b))
    return kept


def _chains(
    kept: set, index: dict, along: int
) -> list[list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Maximal runs of consecutive kept edges along rows (``along=0``) or columns."""
    lines: dict[int, list] = {}
    for a, b in kept:
        if (b[0] - a[0], b[1] - a[1]) == ((1, 0) if along == 0 else (0, 1)):
            lines.setdefault(a[1 - along], []).append((a, b))
    out = []
    for key in sorted(lines):
        edges = sorted(lines[key], key=lambda e: e[0][along])
        run = [edges[0]]
        for e in edges[1:]:
            if e[0] == run[-1][1]:
                run.append(e)
            else:
                out.append(run)
                run = [e]
        out.append(run)
    return out


def _build_grid(
    b: _Builder,
    rng: np.random.Generator,
    st: pd.Series,
    role: str,
    angle: float,
    pool: NamePool,
) -> _Grid:
    index, radius = _grid_nodes(b, rng, st, angle)
    step = float(st.spacing)
    kept = _grid_edges(rng, index, radius, step)
    centre = st.kind == "centre"
    big = centre and role in ("regional_centre", "town")
    ped_half = 3 if role == "regional_centre" else (2 if big and st.population_hint > 15000 else 0)
    inner = 6 if role == "regional_centre" else 4
    meta = dict(nis=st.nis, settlement=int(st.settlement_id), postcode=st.postcode)

    def mid_nodes(a: tuple[int, int], c: tuple[int, int]) -> list[int]:
        na, nc = index[a], index[c]
        if rng.random() < 0.5:
            pa, pc = b.xy(na), b.xy(nc)
            d = pc - pa
            normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9)
            m = (pa + pc) / 2 + normal * rng.normal(0, 5.0)
            return [na, b.node(*m), nc]
        return [na, nc]

    for along in (0, 1):
        for run in _chains(kept, index, along):
            fixed = run[0][0][1 - along]
            axis = fixed == 0
            chunks = _axis_chunks(run, along, inner) if axis else _random_chunks(rng, run)
            for part, label in chunks:
                _emit_street(
                    b,
                    rng,
                    part,
                    label,
                    along,
                    fixed,
                    mid_nodes,
                    pool,
                    meta,
                    st=st,
                    role=role,
                    big=big,
                    centre=centre,
                    ped_half=ped_half,
                    radius=radius,
                    step=step,
                )
    # a few footpaths across blocks near the centre
    if big:
        for (i, j), n in sorted(index.items()):
            near = np.hypot(i, j) * step < radius * 0.5
            if near and rng.random() < 0.06 and (i + 1, j + 1) in index:
                b.add([n, index[(i + 1, j + 1)]], {"highway": "footway"}, "path", **meta)
    nodes = np.array(sorted(index.values()))
    return _Grid(index, index[(0, 0)], nodes)


def _axis_chunks(run: list, along: int, inner: int) -> list[tuple[list, str]]:
    """Split an axis into its inner part and the two outer parts."""
    inside = [e for e in run if abs(e[0][along]) < inner and abs(e[1][along]) <= inner]
    before = [e for e in run if e[1][along] <= -inner]
    after = [e for e in run if e[0][along] >= inner]
    return [(p, lab) for p, lab in ((before, "outer-"), (inside, "inner"), (after, "outer+")) if p]


def _random_chunks(rng: np.random.Generator, run: list) -> list[tuple[list, str]]:
    out, k = [], 0
    while k < len(run):
        n = int(rng.integers(3, 8))
        out.append((run[k : k + n], "street"))
        k += n
    return out


def _emit_street(
    b: _Builder,
    rng: np.random.Generator,
    edges: list,
    label: str,
    along: int,
    fixed: int,
    mid_nodes: Callable[[tuple[int, int], tuple[int, int]], list[int]],
    pool: NamePool,
    meta: dict,
    *,
    st: pd.Series,
    role: str,
    big: bool,
    centre: bool,
    ped_half: int,
    radius: float,
    step: float,
) -> None:
    """Name and tag one street (a run of grid edges) and emit it as one or more ways."""
    postcode = st.postcode
    core = (
        np.hypot(edges[len(edges) // 2][0][0], edges[len(edges) // 2][0][1]) * step < radius * 0.55
    )
    main = False
    if label == "inner":
        main = centre
        if centre:
            preferred = "Grand-Rue" if along == 0 else "Rue de la Station"
        else:
            preferred = "Rue de l'Église" if along == 0 else None
        name = pool.take(postcode, preferred)
        hw = "secondary" if (role == "regional_centre" and along == 0) else "tertiary"
        if not centre:
            hw = "residential"
        base = {"highway": hw, "name": name}
        base.update(_urban_speed(rng, core=False) if centre else {})
    elif label.startswith("outer"):
        name = pool.take(postcode, None)
        if along == 0 and centre:
            name = (
                pool.take(postcode, "Chaussée " + name.split(" ", 1)[1])
                if rng.random() < 0.5
                else name
            )
        base = {"highway": "secondary" if role == "regional_centre" else "tertiary", "name": name}
        base.update(_urban_speed(rng, core=False))
    else:
        commerce = centre and big and along == 0 and fixed == 1 and core
        name = pool.take(postcode, "Rue du Commerce" if commerce else None)
        main = commerce
        base = {"highway": "residential", "name": name}
        base.update(_urban_speed(rng, core=core and centre))
        if centre and big and core and not commerce and rng.random() < 0.3:
            base["oneway"] = "yes"
            if fixed % 2:
                edges = [(e[1], e[0]) for e in reversed(edges)]
    # per-edge tags: pedestrian parts and the market square
    per_edge = []
    for a, c in edges:
        tags = dict(base)
        k = max(abs(a[along]), abs(c[along]))
        if label == "inner" and along == 0 and centre and ped_half and k <= ped_half:
            tags = {"highway": "pedestrian", "name": base["name"]}
        if (
            label == "street"
            and main
            and role == "regional_centre"
            and max(abs(a[0]), abs(c[0])) <= 2
        ):
            tags = {"highway": "pedestrian", "name": base["name"]}
        if label == "inner" and along == 1 and centre and big and k <= 1:
            tags = {"highway": "living_street", "name": "Place du Marché"}
        per_edge.append(tags)
    place_name = "Place du Marché"
    if any(t.get("name") == place_name for t in per_edge):
        pool.used.setdefault(postcode, set()).add(place_name)
    # merge consecutive edges with identical tags into one way
    k = 0
    while k < len(edges):
        m = k
        while m + 1 < len(edges) and per_edge[m + 1] == per_edge[k]:
            m += 1
        seq: list[int] = []
        for a, c in edges[k : m + 1]:
            part = mid_nodes(a, c)
            seq.extend(part if not seq else part[1:])
        is_main = main or per_edge[k].get("name") == place_name
        b.add(seq, per_edge[k], "grid", main=is_main, **meta)
        k = m + 1


# --------------------------------------------------------------------------- roads
def _meander(
    rng: np.random.Generator, p0: np.ndarray, p1: np.ndarray, step: float, amp: float
) -> np.ndarray:
    """Interior points of a gently wandering road from p0 to p1 (endpoints excluded)."""
    d = p1 - p0
    length = float(np.hypot(*d))
    n = max(2, int(length / step))
    t = np.linspace(0.0, 1.0, n + 1)[1:-1]
    normal = np.array([-d[1], d[0]]) / max(length, 1e-9)
    off = np.zeros_like(t)
    for k in (1, 2, 3):
        off += rng.normal(0.0, amp * length / k) * np.sin(k * np.pi * t)
    off = np.clip(off, -1500, 1500)
    return p0[None, :] + t[:, None] * d[None, :] + off[:, None] * normal[None, :]


def _attach(b: _Builder, grid: _Grid, st: pd.Series, toward: np.ndarray) -> int:
    """The grid node of a settlement where a road toward ``toward`` enters it."""
    d = toward - np.array([st.x, st.y])
    d /= max(np.hypot(*d), 1e-9)
    target = np.array([st.x, st.y]) + d * st.radius * 0.95
    xs = np.array([b.xs[i] for i in grid.nodes])
    ys = np.array([b.ys[i] for i in grid.nodes])
    return int(grid.nodes[np.argmin(np.hypot(xs - target[0], ys - target[1]))])


def _road(
    b: _Builder,
    rng: np.random.Generator,
    n0: int,
    n1: int,
    *,
    amp: float = 0.05,
    step: float = 100.0,
) -> list[int]:
    pts = _meander(rng, b.xy(n0), b.xy(n1), step, amp)
    return [n0, *b.nodes(pts), n1]


def _insert_crossings(b: _Builder, roads: list[list[int]]) -> list[list[int]]:
    """Add a shared node where two roads cross, so that crossings are junctions."""
    xs, ys = np.asarray(b.xs), np.asarray(b.ys)
    lines = [shapely.LineString(np.column_stack([xs[r], ys[r]])) for r in roads]
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="crosses")
    inserts: list[list[tuple[float, int]]] = [[] for _ in roads]
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        hit = shapely.intersection(lines[i], lines[j])
        for p in shapely.get_parts(hit):
            if p.geom_type != "Point":
                continue
            ends = [b.xy(roads[i][0]), b.xy(roads[i][-1]), b.xy(roads[j][0]), b.xy(roads[j][-1])]
            if min(np.hypot(*(np.array([p.x, p.y]) - e)) for e in ends) < 30.0:
                continue
            node = b.node(p.x, p.y)
            inserts[i].append((lines[i].project(p), node))
            inserts[j].append((lines[j].project(p), node))
    out = []
    for road, extra in zip(roads, inserts, strict=True):
        if not extra:
            out.append(road)
            continue
        cum = np.r_[0.0, np.cumsum(np.hypot(np.diff(xs[road]), np.diff(ys[road])))]
        items = [(float(c), n) for c, n in zip(cum, road, strict=True)] + extra
        items.sort(key=lambda t: t[0])
        out.append([n for _, n in items])
    return out


def _split_at_border(road: list[int]) -> tuple[list[int], list[int]]:
    k = len(road) // 2
    return road[: k + 1], road[k:]


# --------------------------------------------------------------------------- rail
def plan_rail(territory: Territory, rng: np.random.Generator) -> pd.DataFrame:
    """Station points of the railway of each tile (beside the centres with a rail order)."""
    c = territory.communes
    rows = []
    for tile, part in c[c["rail_order"] > 0].groupby("tile", sort=True):
        part = part.sort_values("rail_order")
        pts = part[["x", "y"]].to_numpy()
        for k, r in enumerate(part.itertuples()):
            prev = pts[max(k - 1, 0)]
            nxt = pts[min(k + 1, len(pts) - 1)]
            d = nxt - prev
            d /= max(np.hypot(*d), 1e-9)
            side = 1.0 if rng.random() < 0.5 else -1.0
            normal = np.array([-d[1], d[0]]) * side
            offset = 650.0 if r.role == "regional_centre" else 450.0
            sx, sy = np.array([r.x, r.y]) + normal * offset
            rows.append(
                dict(tile=int(tile), order=int(r.rail_order), nis=r.nis, name=r.name_fr, x=sx, y=sy)
            )
    return pd.DataFrame(rows, columns=["tile", "order", "nis", "name", "x", "y"])  # none: no rail


# --------------------------------------------------------------------------- network
def build_network(territory: Territory, seed: int) -> Network:
    """Build the street network (grids, roads, trunk, paths) and the railway stations."""
    rng = stream(seed, "streets")
    b = _Builder()
    pool = NamePool(rng)
    comm = territory.communes.set_index("nis")
    st_all = territory.settlements.copy()
    st_all["population_hint"] = st_all["nis"].map(comm["population"])
    stations = plan_rail(territory, rng)
    grids: dict[int, _Grid] = {}
    for st in st_all.itertuples(index=False):
        role = comm.loc[st.nis, "role"]
        angle = rng.uniform(0, np.pi / 2)
        hit = stations[(stations["nis"] == st.nis)] if st.kind == "centre" else stations.iloc[:0]
        if len(hit):
            # the grid's second axis ("Rue de la Station") points at the station
            dx, dy = hit.iloc[0]["x"] - st.x, hit.iloc[0]["y"] - st.y
            angle = float(np.arctan2(dy, dx)) - np.pi / 2
        grids[st.settlement_id] = _build_grid(b, rng, pd.Series(st._asdict()), role, angle, pool)
    roads, road_tags = _roads(b, rng, territory, st_all, grids)
    roads = _insert_crossings(b, roads)
    for road, (tags, meta, split) in zip(roads, road_tags, strict=True):
        if split:
            first, second = _split_at_border(road)
            b.add(first, tags[0], "road", **meta)
            b.add(second, tags[1], "road", **meta)
        else:
            b.add(road, tags[0], "road", **meta)
    _trunks(b, rng, territory, grids, st_all)
    _ravel(b, rng, territory, st_all, grids)
    station_nodes = _railway(b, rng, territory, stations)
    stations = stations.assign(node=station_nodes)
    return Network(
        np.asarray(b.xs),
        np.asarray(b.ys),
        b.ways,
        stations,
        {k: g.centre for k, g in grids.items()},
        {k: g.nodes for k, g in grids.items()},
    )


def _roads(
    b: _Builder,
    rng: np.random.Generator,
    territory: Territory,
    st_all: pd.DataFrame,
    grids: dict[int, _Grid],
) -> tuple[list[list[int]], list[tuple[list[dict], dict, bool]]]:
    roads: list[list[int]] = []
    info: list[tuple[list[dict], dict, bool]] = []
    linked: set[tuple[int, int]] = set()
    centres = st_all[st_all["kind"] == "centre"].set_index("nis")

    def connect(s0: pd.Series, s1: pd.Series, tags: list[dict], *, split: bool, amp: float) -> None:
        p0, p1 = np.array([s0.x, s0.y]), np.array([s1.x, s1.y])
        n0 = _attach(b, grids[s0.settlement_id], s0, p1)
        n1 = _attach(b, grids[s1.settlement_id], s1, p0)
        roads.append(_road(b, rng, n0, n1, amp=amp))
        info.append((tags, dict(nis=s0.nis), split))
        linked.add(
            (min(s0.settlement_id, s1.settlement_id), max(s0.settlement_id, s1.settlement_id))
        )

    # villages to their centre
    for v in st_all[st_all["kind"] == "village"].itertuples(index=False):
        c = centres.loc[v.nis]
        c = pd.Series({**c.to_dict(), "nis": v.nis})
        tags = {"highway": "tertiary", "name": f"Route de {v.name}"}
        tags.update(_rural_speed(rng, "70" if rng.random() < 0.3 else "90"))
        connect(c, pd.Series(v._asdict()), [tags], split=False, amp=0.06)
    # centres of neighbouring communes
    geoms = territory.communes.geometry.buffer(30.0)
    nis = territory.communes["nis"].tolist()
    names = dict(zip(territory.communes["nis"], territory.communes["name_fr"], strict=True))
    ref = 900
    left, right = shapely.STRtree(geoms.to_numpy()).query(geoms.to_numpy(), predicate="intersects")
    pairs = sorted((int(i), int(j)) for i, j in zip(left, right, strict=True) if i < j)
    for i, j in pairs:
        a = pd.Series({**centres.loc[nis[i]].to_dict(), "nis": nis[i]})
        c = pd.Series({**centres.loc[nis[j]].to_dict(), "nis": nis[j]})
        if np.hypot(a.x - c.x, a.y - c.y) > 30000:
            continue
        ref += 1
        common = {"highway": "primary", "ref": f"N{ref}"}
        common.update(_rural_speed(rng, "90"))
        t0 = {**common, "name": f"Chaussée de {names[nis[j]]}"}
        t1 = {**common, "name": f"Chaussée de {names[nis[i]]}"}
        connect(a, c, [t0, t1], split=True, amp=0.04)
    # villages to the nearest settlement of another commune
    pts = st_all[["x", "y"]].to_numpy()
    for v in st_all[st_all["kind"] == "village"].itertuples(index=False):
        d = np.hypot(pts[:, 0] - v.x, pts[:, 1] - v.y)
        d[st_all["nis"].to_numpy() == v.nis] = np.inf
        k = int(np.argmin(d))
        other = st_all.iloc[k]
        key = (min(v.settlement_id, other.settlement_id), max(v.settlement_id, other.settlement_id))
        if d[k] > 7000 or key in linked:
            continue
        tags = {"highway": "unclassified", "name": f"Chemin de {other['name']}"}
        tags.update(_rural_speed(rng, "90") if rng.random() < 0.4 else {})
        connect(pd.Series(v._asdict()), other, [tags], split=False, amp=0.08)
    return roads, info


def _trunks(
    b: _Builder,
    rng: np.random.Generator,
    territory: Territory,
    grids: dict[int, _Grid],
    st_all: pd.DataFrame,
) -> None:
    """A dual carriageway across each tile, with interchanges and U-turns at its ends."""
    xs_all, ys_all = np.asarray(b.xs), np.asarray(b.ys)
    road_nodes = np.unique([n for w in b.ways if w.kind == "road" for n in w.nodes[1:-1]])
    for tile, part in territory.communes.groupby("tile", sort=True):
        outline = shapely.union_all(list(part.geometry)).buffer(-400.0)
        main = part.loc[part["population"].idxmax()]  # the hub of the group
        minx, _, maxx, _ = outline.bounds
        x = np.arange(minx - 3000.0, maxx + 3000.0, 150.0)
        phase = rng.uniform(0, 2 * np.pi)
        y = main.y - 3800.0 + 1400.0 * np.sin(2 * np.pi * (x - minx) / 30000.0 + phase)
        inside = shapely.contains_xy(outline, x, y)
        best, run, start = (0, 0), 0, 0
        for k, ok in enumerate(inside):
            if ok:
                if run == 0:
                    start = k
                run += 1
                if run > best[1] - best[0]:
                    best = (start, k + 1)
            else:
                run = 0
        x, y = x[best[0] : best[1]], y[best[0] : best[1]]
        if len(x) < 10:
            continue
        dx, dy = np.gradient(x), np.gradient(y)
        norm = np.hypot(dx, dy)
        nx, ny = -dy / norm, dx / norm
        east = b.nodes(np.column_stack([x - nx * 12, y - ny * 12]))
        west = b.nodes(np.column_stack([x + nx * 12, y + ny * 12])[::-1])
        tags = {
            "highway": "trunk",
            "oneway": "yes",
            "maxspeed": "120",
            "lanes": "2",
            "ref": f"N{97 + int(tile)}",
            "name": "Route Express des Vallées",
        }
        meta = dict(nis=main.nis)
        b.add(east, tags, "trunk", **meta)
        b.add(west, tags, "trunk", **meta)
        link = {"highway": "trunk_link", "oneway": "yes", "maxspeed": "70"}
        b.add([east[-1], west[0]], link, "link", **meta)
        b.add([west[-1], east[0]], link, "link", **meta)
        # interchanges near the towns of the tile
        towns = part[part["role"] != "rural"]
        chosen: list[int] = []
        cand = (
            road_nodes[shapely.contains_xy(outline, xs_all[road_nodes], ys_all[road_nodes])]
            if len(road_nodes)
            else road_nodes
        )
        for t in towns.itertuples():
            k = int(np.argmin(np.hypot(x - t.x, y - t.y)))
            if k < 6 or k > len(x) - 7 or any(abs(k - c) < 25 for c in chosen):
                continue
            if not len(cand):
                break
            dj = np.hypot(xs_all[cand] - x[k], ys_all[cand] - y[k])
            if dj.min() > 2500:
                continue
            chosen.append(k)
            _interchange(b, rng, (east, west), k, int(cand[np.argmin(dj)]), link, meta)
            if len(chosen) == 3:
                break
        if not chosen and len(cand) and len(x) >= 14:
            # no town near the road: one interchange where a road passes closest, so that
            # the express road is never cut off from the network
            inner = np.arange(6, len(x) - 6)
            dj = np.hypot(
                xs_all[cand][None, :] - x[inner, None], ys_all[cand][None, :] - y[inner, None]
            )
            k, j = np.unravel_index(int(np.argmin(dj)), dj.shape)
            _interchange(b, rng, (east, west), int(inner[k]), int(cand[j]), link, meta)


def _interchange(
    b: _Builder,
    rng: np.random.Generator,
    lanes: tuple[list[int], list[int]],
    k: int,
    junction: int,
    link: dict[str, str],
    meta: dict,
) -> None:
    """Slip roads between both carriageways at position ``k`` and a road node."""
    east, west = lanes
    m = len(east) - 1 - k
    for lane in (east, west):
        kk = k if lane is east else m
        off = _road(b, rng, lane[kk - 4], junction, amp=0.0, step=200.0)
        on = _road(b, rng, junction, lane[kk + 4], amp=0.0, step=200.0)
        b.add(off, link, "link", **meta)
        b.add(on, link, "link", **meta)


def _ravel(
    b: _Builder,
    rng: np.random.Generator,
    territory: Territory,
    st_all: pd.DataFrame,
    grids: dict[int, _Grid],
) -> None:
    """A RAVeL cycleway (former railway) between two villages of different communes."""
    for tile in sorted(st_all["tile"].unique()):
        v = st_all[(st_all["kind"] == "village") & (st_all["tile"] == tile)]
        best = None
        for a in v.itertuples(index=False):
            for c in v.itertuples(index=False):
                if a.nis >= c.nis:
                    continue
                d = np.hypot(a.x - c.x, a.y - c.y)
                if 4000 <= d <= 9000 and (best is None or d < best[0]):
                    best = (d, a, c)
        if best is None:
            continue
        _, a, c = best
        n0 = _attach(b, grids[a.settlement_id], pd.Series(a._asdict()), np.array([c.x, c.y]))
        n1 = _attach(b, grids[c.settlement_id], pd.Series(c._asdict()), np.array([a.x, a.y]))
        path = _road(b, rng, n0, n1, amp=0.03, step=110.0)
        tags = {
            "highway": "cycleway",
            "name": f"RAVeL {a.name} - {c.name}",
            "bicycle": "designated",
            "foot": "designated",
            "surface": "asphalt",
        }
        b.add(path, tags, "path", nis=a.nis)


def _railway(
    b: _Builder, rng: np.random.Generator, territory: Territory, stations: pd.DataFrame
) -> list[int]:
    """The railway line through the stations of each tile; returns each station's node."""
    node_of: dict[int, int] = {}
    for tile, part in stations.groupby("tile", sort=True):
        outline = shapely.union_all(
            list(territory.communes.loc[territory.communes["tile"] == tile].geometry)
        ).buffer(-200.0)
        part = part.sort_values("order")
        pts = part[["x", "y"]].to_numpy()
        head = (pts[1] - pts[0]) / np.hypot(*(pts[1] - pts[0]))
        tail = (pts[-1] - pts[-2]) / np.hypot(*(pts[-1] - pts[-2]))
        seq = np.asarray([pts[0] - head * 4000, *pts, pts[-1] + tail * 4000])
        points, at = _catmull_rom(seq, 300.0)
        arr = points
        inside = shapely.contains_xy(outline, arr[:, 0], arr[:, 1])
        lo, hi = at[0], at[-1]
        while lo > 0 and inside[lo - 1]:
            lo -= 1
        while hi < len(arr) - 1 and inside[hi + 1]:
            hi += 1
        ids = b.nodes(arr[lo : hi + 1])
        for row, k in zip(part.index, at, strict=True):
            node_of[int(row)] = ids[k - lo]
        b.add(
            ids,
            {"railway": "rail", "usage": "main", "gauge": "1435", "electrified": "contact_line"},
            "rail",
        )
    return [node_of[int(i)] for i in stations.index]


def _catmull_rom(ctrl: np.ndarray, step: float) -> tuple[np.ndarray, list[int]]:
    """A smooth curve through the control points; also the positions of the inner ones."""
    padded = np.vstack([2 * ctrl[0] - ctrl[1], ctrl, 2 * ctrl[-1] - ctrl[-2]])
    out: list[np.ndarray] = []
    at: list[int] = []
    for k in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[k - 1 : k + 3]
        n = max(2, int(np.hypot(*(p2 - p1)) / step))
        t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
        seg = 0.5 * (
            2 * p1
            + (-p0 + p2) * t
            + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
            + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
        )
        if k >= 2:
            at.append(sum(len(o) for o in out))
        out.append(seg)
    out.append(ctrl[-1][None, :])
    return np.vstack(out), at


# --------------------------------------------------------------------------- OSM XML
@dataclass
class Poi:
    """A point of interest: a tagged node, or a closed way when ``ring`` is given."""

    x: float
    y: float
    tags: dict[str, str]
    ring: np.ndarray | None = None


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _tag_lines(tags: dict[str, str]) -> list[str]:
    return [f'    <tag k="{_attr(k)}" v="{_attr(v)}"/>' for k, v in tags.items()]


def write_osm(
    path: Path, network: Network, pois: Iterable[Poi], *, bounds: tuple
) -> dict[str, int]:
    """Write ``osm/territory.osm`` (OSM XML 0.6) and return node/way counts."""
    pois = list(pois)
    lon, lat = to_lonlat(network.x, network.y)
    minx, miny, maxx, maxy = bounds
    blon, blat = to_lonlat(np.array([minx, maxx]), np.array([miny, maxy]))
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="smartcommerce demo generator">',
        f'  <bounds minlat="{blat[0]:.7f}" minlon="{blon[0]:.7f}" '
        f'maxlat="{blat[1]:.7f}" maxlon="{blon[1]:.7f}"/>',
    ]
    station_tags = {
        int(r.node): {
            "railway": "station",
            "public_transport": "station",
            "name": f"{r.name}",
            "operator": "Demo SNCB",
        }
        for r in network.stations.itertuples()
    }
    for i in range(len(lon)):
        head = f'  <node id="{i + 1}" version="1" lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"'
        if i in station_tags:
            out.append(head + ">")
            out.extend(_tag_lines(station_tags[i]))
            out.append("  </node>")
        else:
            out.append(head + "/>")
    next_id = len(lon) + 1
    poi_ways: list[tuple[list[int], dict[str, str]]] = []
    px = np.array([p.x for p in pois]) if pois else np.zeros(0)
    py = np.array([p.y for p in pois]) if pois else np.zeros(0)
    plon, plat = to_lonlat(px, py)
    for k, poi in enumerate(pois):
        if poi.ring is None:
            out.append(
                f'  <node id="{next_id}" version="1" lat="{plat[k]:.7f}" lon="{plon[k]:.7f}">'
            )
            out.extend(_tag_lines(poi.tags))
            out.append("  </node>")
            next_id += 1
            continue
        rlon, rlat = to_lonlat(poi.ring[:, 0], poi.ring[:, 1])
        ids = []
        for a, c in zip(rlon, rlat, strict=True):
            out.append(f'  <node id="{next_id}" version="1" lat="{c:.7f}" lon="{a:.7f}"/>')
            ids.append(next_id)
            next_id += 1
        poi_ways.append((ids + [ids[0]], poi.tags))
    way_id = 1
    for way in network.ways:
        out.append(f'  <way id="{way_id}" version="1">')
        out.extend(f'    <nd ref="{n + 1}"/>' for n in way.nodes)
        out.extend(_tag_lines(way.tags))
        out.append("  </way>")
        way_id += 1
    for ids, tags in poi_ways:
        out.append(f'  <way id="{way_id}" version="1">')
        out.extend(f'    <nd ref="{n}"/>' for n in ids)
        out.extend(_tag_lines(tags))
        out.append("  </way>")
        way_id += 1
    out.append("</osm>")
    writers.write_text(path, "\n".join(out) + "\n")
    return {"nodes": next_id - 1, "ways": way_id - 1}


# --------------------------------------------------------------------------- OSM PBF
def osm_elements(
    network: Network, pois: Iterable[Poi]
) -> tuple[list[tuple[int, float, float, dict[str, str]]], list[tuple[int, list[int], dict[str, str]]]]:
    """The nodes ``(id, lon, lat, tags)`` and ways ``(id, refs, tags)`` of :func:`write_osm`.

    Same ids, coordinates (WGS84, 7 decimals) and tags as the XML file, in file order:
    street nodes, then POI nodes and the ring nodes of POI areas; street ways, then POI areas.
    """
    pois = list(pois)
    lon, lat = to_lonlat(network.x, network.y)
    station_tags = {
        int(r.node): {
            "railway": "station",
            "public_transport": "station",
            "name": f"{r.name}",
            "operator": "Demo SNCB",
        }
        for r in network.stations.itertuples()
    }
    nodes = [
        (i + 1, float(lon[i]), float(lat[i]), station_tags.get(i, {})) for i in range(len(lon))
    ]
    next_id = len(lon) + 1
    poi_ways: list[tuple[list[int], dict[str, str]]] = []
    px = np.array([p.x for p in pois]) if pois else np.zeros(0)
    py = np.array([p.y for p in pois]) if pois else np.zeros(0)
    plon, plat = to_lonlat(px, py)
    for k, poi in enumerate(pois):
        if poi.ring is None:
            nodes.append((next_id, float(plon[k]), float(plat[k]), dict(poi.tags)))
            next_id += 1
            continue
        rlon, rlat = to_lonlat(poi.ring[:, 0], poi.ring[:, 1])
        ids = list(range(next_id, next_id + len(rlon)))
        nodes.extend((i, float(a), float(c), {}) for i, a, c in zip(ids, rlon, rlat, strict=True))
        next_id += len(rlon)
        poi_ways.append((ids + [ids[0]], poi.tags))
    ways = [(k + 1, [n + 1 for n in w.nodes], dict(w.tags)) for k, w in enumerate(network.ways)]
    ways += [
        (len(network.ways) + k + 1, refs, dict(tags)) for k, (refs, tags) in enumerate(poi_ways)
    ]
    return nodes, ways


def write_osm_pbf(
    path: Path, network: Network, pois: Iterable[Poi], *, bounds: tuple
) -> dict[str, int]:
    """Write the OSM extract as PBF (``osm/territory.osm.pbf``) with pyosmium.

    The elements are those of :func:`write_osm` (:func:`osm_elements`), each with
    ``version=1``, and the header carries the bounding box, as Geofabrik's extracts do.
    Written atomically; returns node/way counts.
    """
    import osmium

    nodes, ways = osm_elements(network, pois)
    minx, miny, maxx, maxy = bounds
    blon, blat = to_lonlat(np.array([minx, maxx]), np.array([miny, maxy]))
    header = osmium.io.Header()
    header.set("generator", "smartcommerce demo generator")
    header.add_box(osmium.osm.Box(osmium.osm.Location(blon[0], blat[0]), osmium.osm.Location(blon[1], blat[1])))

    def writer(tmp: Path) -> None:
        out = osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf"), header=header, overwrite=True)
        try:
            for i, x, y, tags in nodes:
                out.add_node(osmium.osm.mutable.Node(id=i, version=1, location=(x, y), tags=tags))
            for i, refs, tags in ways:
                out.add_way(osmium.osm.mutable.Way(id=i, version=1, nodes=refs, tags=tags))
        finally:
            out.close()

    writers.write_atomic(path, writer)
    return {"nodes": len(nodes), "ways": len(ways)}
