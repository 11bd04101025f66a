"""The demo territory generator: determinism, the territory, and every landing format.

The territory is generated once per module (about 4 s) and checked against known answers:
the recipe's populations, the contracts' headers, the injected defects at their documented
rows, the WiFi detection rates and the Huff beta built into the flows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from support import realdata_path as realdata_demo

from pipelines.demo import generate
from pipelines.demo.generator import TRUTH_FILE
from pipelines.demo.region import PROVINCES, WALLONIA_AREA_KM2, WALLONIA_COMMUNES
from pipelines.demo.territory import build_territory, load_recipe
from pipelines.errors import ConfigError

START = date(2026, 10, 12)
DST_DAY = "2026-10-25"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], dict]:
    root = tmp_path_factory.mktemp("demo_landing")
    summary = generate(root, seed=42)
    truth = json.loads((root / TRUTH_FILE).read_text(encoding="utf-8"))
    return root, summary, truth


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _csv(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _geojson(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def _seconds(text: str) -> int:
    h, m, s = (int(v) for v in text.split(":"))
    return h * 3600 + m * 60 + s


def _defects(truth: dict, file_prefix: str) -> list[dict]:
    return [d for d in truth["defects"] if d["file"].startswith(file_prefix) and d["defect"]]


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_bytes(demo, tmp_path):
    root, summary, _ = demo
    again = generate(tmp_path / "again", seed=42)
    assert again == summary
    first, second = _tree_hashes(root), _tree_hashes(tmp_path / "again")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_another_seed_gives_another_territory(demo, tmp_path):
    root, _, _ = demo
    generate(tmp_path / "other", seed=7, days=1)
    a = (root / "statbel" / "sectors.geojson").read_bytes()
    b = (tmp_path / "other" / "statbel" / "sectors.geojson").read_bytes()
    assert a != b


def test_summary_lists_every_file_with_its_row_count(demo):
    root, summary, _ = demo
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert files == set(summary)
    for name, count in summary.items():
        if name.endswith(".csv"):
            lines = (root / name).read_text(encoding="utf-8-sig").splitlines()
            assert len(lines) - 1 == count, name
    # 28 days of WiFi counts, OD and transactions; one probe file; 9 counters x 28 days
    assert sum(k.startswith("wifi/counts/") for k in summary) == 28
    assert sum(k.startswith("od/") for k in summary) == 28
    assert sum(k.startswith("vouchers/transactions/") for k in summary) == 28
    assert sum(k.startswith("wifi/probes/") for k in summary) == 1
    assert sum(k.startswith("counters/") and k.count("/") == 2 for k in summary) == 9 * 28


# --------------------------------------------------------------------------- territory
def test_ten_communes_with_the_recipe_populations(demo):
    root, _, _ = demo
    communes = _geojson(root / "statbel" / "communes.geojson")
    sectors = _geojson(root / "statbel" / "sectors.geojson")
    assert len(communes) == 10
    recipe = load_recipe().set_index("nis")
    per_commune = Counter()
    for f in sectors:
        per_commune[f["properties"]["CD_MUNTY_REFNIS"]] += f["properties"]["MS_POPULATION"]
    for f in communes:
        p = f["properties"]
        assert re.fullmatch(r"\d{5}", p["CD_MUNTY_REFNIS"])
        assert p["MS_POPULATION"] == per_commune[p["CD_MUNTY_REFNIS"]]
        assert p["MS_POPULATION"] == recipe.loc[p["CD_MUNTY_REFNIS"], "population"]
    pops = {
        f["properties"]["TX_MUNTY_DESCR_FR"]: f["properties"]["MS_POPULATION"] for f in communes
    }
    assert 80_000 <= pops["Valmeuse"] <= 120_000
    roles = recipe.set_index("name_fr")["role"]
    assert all(10_000 <= pops[n] <= 40_000 for n in roles.index[roles == "town"])
    assert all(3_000 <= pops[n] <= 8_000 for n in roles.index[roles == "rural"])


def test_communes_are_contiguous_and_do_not_overlap(demo):
    root, _, truth = demo
    geoms = [
        shapely.geometry.shape(f["geometry"])
        for f in _geojson(root / "statbel" / "communes.geojson")
    ]
    assert all(g.is_valid and g.geom_type == "Polygon" for g in geoms)
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon"  # one territory, no gap between communes
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-6)
    areas = {c["role"]: [] for c in truth["communes"]}
    for c in truth["communes"]:
        areas[c["role"]].append(c["area_km2"])
    assert 130 <= areas["regional_centre"][0] <= 170
    assert all(40 <= a <= 80 for a in areas["town"])
    assert all(60 <= a <= 120 for a in areas["rural"])


def test_sectors_tile_their_commune_with_statbel_codes(demo):
    root, _, _ = demo
    communes = {
        f["properties"]["CD_MUNTY_REFNIS"]: shapely.geometry.shape(f["geometry"])
        for f in _geojson(root / "statbel" / "communes.geojson")
    }
    sectors = _geojson(root / "statbel" / "sectors.geojson")
    by_commune: dict[str, list] = {}
    for f in sectors:
        p = f["properties"]
        assert re.fullmatch(r"\d{5}[A-Z]\d{2}-", p["CD_SECTOR"]), p["CD_SECTOR"]
        assert p["CD_SECTOR"][:5] == p["CD_MUNTY_REFNIS"]
        assert p["MS_POPULATION"] >= 0
        by_commune.setdefault(p["CD_MUNTY_REFNIS"], []).append(
            shapely.geometry.shape(f["geometry"])
        )
    assert len({f["properties"]["CD_SECTOR"] for f in sectors}) == len(sectors)
    for nis, parts in by_commune.items():
        assert 8 <= len(parts) <= 60
        assert shapely.union_all(parts).area == pytest.approx(communes[nis].area, rel=1e-4)
    assert len(by_commune["92801"]) > len(by_commune["91880"])  # more sectors in bigger communes


def test_every_generated_point_lies_inside_the_territory_bbox(demo):
    root, _, truth = demo
    communes = [
        shapely.geometry.shape(f["geometry"])
        for f in _geojson(root / "statbel" / "communes.geojson")
    ]
    minx, miny, maxx, maxy = shapely.union_all(communes).bounds
    bad_cells = {d["key"] for d in _defects(truth, "vacant/")}

    def inside(lon, lat) -> np.ndarray:
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)

    for name in (
        "kbo/address_points.csv",
        "wifi/sensors.csv",
        "counters/counters.csv",
        "vouchers/merchants.csv",
    ):
        frame = _csv(root / name)
        assert inside(frame["lon"], frame["lat"]).all(), name
    cells = _csv(root / "vacant" / "vacant_cells.csv")
    ok = ~cells["cell_id"].isin(bad_cells) | (cells["observed_on"] != "2026-10-01")
    assert inside(cells.loc[ok, "lon"], cells.loc[ok, "lat"]).all()
    for feed in ("bus", "rail"):
        with zipfile.ZipFile(root / "gtfs" / f"{feed}.zip") as z:
            stops = pd.read_csv(z.open("stops.txt"))
        assert inside(stops["stop_lon"], stops["stop_lat"]).all()
    text = (root / "osm" / "territory.osm").read_text(encoding="utf-8")
    lat = [float(v) for v in re.findall(r' lat="([-0-9.]+)"', text)]
    lon = [float(v) for v in re.findall(r' lon="([-0-9.]+)"', text)]
    assert inside(lon, lat).all()


# --------------------------------------------------------------------------- OSM
def test_osm_loads_with_osmnx_into_one_strongly_connected_drive_network(demo):
    import osmnx as ox

    root, _, truth = demo
    assert 8_000 <= truth["osm"]["nodes"] <= 15_000
    graph = ox.graph_from_xml(root / "osm" / "territory.osm", simplify=False, retain_all=True)
    drive = {
        "trunk",
        "trunk_link",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
    }
    edges = [(u, v) for u, v, d in graph.edges(data=True) if d.get("highway") in drive]
    directed = nx.DiGraph(edges)
    largest = max(nx.strongly_connected_components(directed), key=len)
    assert len(largest) >= 0.95 * directed.number_of_nodes()
    highways = Counter(d.get("highway") for _, _, d in graph.edges(data=True))
    for kind in ("trunk", "primary", "residential", "pedestrian", "footway", "cycleway"):
        assert highways[kind] > 0, kind
    trunk = [d for _, _, d in graph.edges(data=True) if d.get("highway") == "trunk"]
    assert all(d["oneway"] is True and d["maxspeed"] == "120" for d in trunk)


def test_osm_pois_have_the_promised_tags(demo):
    root, _, _ = demo
    text = (root / "osm" / "territory.osm").read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<bounds " in text and 'version="0.6"' in text
    tree = ET.fromstring(text.encode("utf-8"))
    tags = [
        {t.get("k"): t.get("v") for t in e.findall("tag")} for e in tree if e.tag in ("node", "way")
    ]
    shops = [t for t in tags if "shop" in t]
    assert len(shops) > 400
    assert 0.3 <= sum("website" in t for t in shops) / len(shops) <= 0.5
    assert 0.4 <= sum("opening_hours" in t for t in shops) / len(shops) <= 0.6
    assert sum("addr:housenumber" in t for t in shops) / len(shops) > 0.7
    capacities = [t["capacity"] for t in tags if t.get("amenity") == "parking"]
    assert "approx 40" in capacities and any(c.isdigit() for c in capacities)
    tourism = {t.get("tourism") for t in tags}
    assert {"museum", "viewpoint", "information", "attraction"} <= tourism
    assert {"restaurant", "cafe", "pharmacy"} <= {t.get("amenity") for t in tags}
    ids = [int(e.get("id")) for e in tree if e.tag == "node"]
    assert len(ids) == len(set(ids)) and min(ids) > 0
    way_ids = [int(e.get("id")) for e in tree if e.tag == "way"]
    assert len(way_ids) == len(set(way_ids)) and min(way_ids) > 0
    assert all(e.get("version") == "1" for e in tree if e.tag in ("node", "way"))


# --------------------------------------------------------------------------- GTFS
def _gtfs(root: Path, feed: str) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(root / "gtfs" / f"{feed}.zip") as z:
        return {n[:-4]: pd.read_csv(z.open(n), dtype=str) for n in z.namelist()}


def test_gtfs_feeds_have_the_right_files_and_valid_trips(demo):
    root, _, _ = demo
    bus, rail = _gtfs(root, "bus"), _gtfs(root, "rail")
    required = {"agency", "stops", "routes", "trips", "stop_times"}
    assert required | {"calendar", "calendar_dates"} == set(bus)
    assert required | {"calendar_dates"} == set(rail)
    assert bus["agency"]["agency_name"].tolist() == ["Demo TEC"]
    assert rail["agency"]["agency_name"].tolist() == ["Demo SNCB"]
    assert 15 <= len(bus["routes"]) <= 30 and set(bus["routes"]["route_type"]) == {"3"}
    assert set(rail["routes"]["route_type"]) == {"2"} and 3 <= len(rail["stops"]) <= 4
    for feed in (bus, rail):
        st = feed["stop_times"].assign(
            t=lambda f: f["arrival_time"].map(_seconds),
            seq=lambda f: f["stop_sequence"].astype(int),
        )
        st = st.sort_values(["trip_id", "seq"])
        assert (st.groupby("trip_id").size() >= 2).all()
        assert set(st["trip_id"]) == set(feed["trips"]["trip_id"])
        same_trip = st["trip_id"].eq(st["trip_id"].shift())
        assert (st["t"].diff()[same_trip] > 0).all()  # times strictly increase along a trip
        assert st["t"].max() >= 24 * 3600  # a late trip runs past midnight
    unused = set(bus["stops"]["stop_id"]) - set(bus["stop_times"]["stop_id"])
    assert len(unused) == 4  # disused poles are kept in stops.txt
    cal = bus["calendar"].set_index("service_id")
    assert cal.loc["WEEK", "start_date"] <= "20261012" and cal.loc["WEEK", "end_date"] >= "20261108"
    exceptions = set(map(tuple, bus["calendar_dates"].to_numpy()))
    assert {
        ("SUN", "20261101", "1"),
        ("WEEK", "20261111", "2"),
        ("SUN", "20261111", "1"),
    } <= exceptions
    dates = rail["calendar_dates"]
    assert (dates["exception_type"] == "1").all() and dates["date"].is_unique
    assert {"20261012", "20261108"} <= set(dates["date"])


# --------------------------------------------------------------------------- WiFi and counters
def test_wifi_summer_time_day_has_25_hours_per_sensor(demo):
    root, _, truth = demo
    counts = _csv(root / "wifi" / "counts" / f"{DST_DAY}.csv")
    per_sensor = counts.groupby("sensor_id")["timestamp"].nunique()
    installed = {
        s["sensor_id"] for s in truth["footfall"]["sensors"] if s["installed_on"] <= DST_DAY
    }
    assert set(per_sensor.index) == installed
    assert (per_sensor == 25).all()
    two = counts.loc[counts["timestamp"].str[11:13] == "02", "timestamp"].unique()
    assert sorted(two) == ["2026-10-25T02:00:00+01:00", "2026-10-25T02:00:00+02:00"]
    normal = _csv(root / "wifi" / "counts" / "2026-10-13.csv")
    assert (normal.groupby("sensor_id")["timestamp"].nunique() == 24).all()
    assert normal["timestamp"].str.endswith("+02:00").all()
    assert (
        _csv(root / "wifi" / "counts" / "2026-10-26.csv")["timestamp"].str.endswith("+01:00").all()
    )


def test_wifi_gaps_are_absent_hours_not_zeros(demo):
    root, _, truth = demo
    gaps = [d for d in truth["defects"] if d["reason"].startswith("(gap)")]
    assert len(gaps) == 2
    for gap in gaps:
        counts = _csv(root / gap["file"])
        hours = counts.loc[counts["sensor_id"] == gap["key"], "timestamp"].str[11:13].astype(int)
        assert len(hours) < 24
    sensors = _csv(root / "wifi" / "sensors.csv")
    assert len(sensors) >= 40
    assert set(sensors.columns) == {"sensor_id", "nis", "name", "lon", "lat", "installed_on"}


def test_wifi_follows_the_shops_and_sees_a_fixed_share_of_the_counted_pedestrians(demo):
    root, _, truth = demo
    counts = pd.concat([_csv(p) for p in sorted((root / "wifi" / "counts").glob("*.csv"))])
    counts = counts[counts["unique_devices"].str.fullmatch(r"\d+")]
    counts["n"] = counts["unique_devices"].astype(int)
    sensors = pd.DataFrame(truth["footfall"]["sensors"]).set_index("sensor_id")
    # pedestrians per hour = PED_PER_SHOP * (shops + 2) * profile: the mean of counts / detect
    # divided by (shops + 2) is the same for every sensor with a full record
    full = counts.groupby("sensor_id")["n"].agg(["mean", "size"])
    full = full[full["size"] == full["size"].max()].join(sensors)
    per_shop = full["mean"] / full["detect"] / (full["shops_150m"] + 2)
    assert per_shop.std() / per_shop.mean() < 0.1
    assert np.corrcoef(full["mean"] / full["detect"], full["shops_150m"])[0, 1] > 0.95
    # co-located counters: WiFi / counter = the sensor's detection rate
    registry = _csv(root / "counters" / "counters.csv")
    wifi_xy = _csv(root / "wifi" / "sensors.csv").set_index("sensor_id")
    for s in sensors[sensors["counter_id"] != ""].itertuples():
        c = registry.set_index("counter_id").loc[s.counter_id]
        d = np.hypot(
            (float(c.lon) - float(wifi_xy.loc[s.Index, "lon"])) * 71_000,
            (float(c.lat) - float(wifi_xy.loc[s.Index, "lat"])) * 111_000,
        )
        assert d < 20
        ghent = pd.concat(
            [_csv(p, ";") for p in sorted((root / "counters" / s.counter_id).glob("*.csv"))]
        )
        wifi_total = counts.loc[counts["sensor_id"] == s.Index, "n"].sum()
        ratio = wifi_total / ghent["Totaal"].astype(int).sum()
        assert ratio == pytest.approx(s.detect, abs=0.03)
        assert 0.3 <= s.detect <= 0.6
    assert 6 <= (registry["kind"] == "pedestrian").sum() <= 10
    assert (registry["kind"] == "bike").sum() == 2


def test_counters_use_the_ghent_layout_and_add_up(demo):
    root, _, truth = demo
    bad = {(d["file"], d["row"]) for d in _defects(truth, "counters/")}
    assert len(bad) == 2
    files = sorted((root / "counters").glob("*/*.csv"))
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(
            b"\xef\xbb\xbfCode;Locatie;Datum;Uur5Minuten;Ordening;Totaal;Tegenrichting;Hoofdrichting\n"
        )
        frame = _csv(path, ";")
        assert len(frame) == (300 if path.stem == DST_DAY else 288)
        ok = frame["Totaal"].astype(int) == frame["Tegenrichting"].astype(int) + frame[
            "Hoofdrichting"
        ].astype(int)
        name = str(path.relative_to(root))
        assert {(name, i + 1) for i in np.flatnonzero(~ok.to_numpy())} == {
            b for b in bad if b[0] == name
        }
    day = _csv(root / "counters" / "ped-92801-1" / f"{DST_DAY}.csv", ";")
    assert day["Uur5Minuten"].iloc[0] == "0:00:00" and day["Datum"].eq(DST_DAY).all()
    assert (day["Uur5Minuten"] == "2:00:00").sum() == 2 and day["Ordening"].is_unique


def test_probe_file_matches_the_hourly_unique_devices(demo):
    root, _, _ = demo
    [path] = list((root / "wifi" / "probes").glob("*.csv"))
    probes = _csv(path)
    assert 1_000 <= len(probes) <= 10_000
    assert probes["device_id"].str.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}").all()
    [sensor] = probes["sensor_id"].unique()
    counts = _csv(root / "wifi" / "counts" / path.name)
    counts = (
        counts[counts["sensor_id"] == sensor].set_index("timestamp")["unique_devices"].astype(int)
    )
    hour = probes["timestamp"].str[:13] + ":00:00" + probes["timestamp"].str[19:]
    unique = probes.groupby(hour)["device_id"].nunique()
    assert unique.to_dict() == counts[counts > 0].to_dict()


# --------------------------------------------------------------------------- KBO, vacancy, vouchers
KBO_COLUMNS = {
    "enterprise": "EnterpriseNumber Status JuridicalSituation TypeOfEnterprise JuridicalForm "
    "JuridicalFormCAC StartDate",
    "establishment": "EstablishmentNumber StartDate EnterpriseNumber",
    "activity": "EntityNumber ActivityGroup NaceVersion NaceCode Classification",
    "address": "EntityNumber TypeOfAddress CountryNL CountryFR Zipcode MunicipalityNL "
    "MunicipalityFR StreetNL StreetFR HouseNumber Box ExtraAddressInfo DateStrikingOff",
    "denomination": "EntityNumber Language TypeOfDenomination Denomination",
    "code": "Category Code Language Description",
}
KBO_HEADERS = {k: ",".join(f'"{c}"' for c in v.split()) for k, v in KBO_COLUMNS.items()}


def _mod97(number: str) -> bool:
    digits = number.replace(".", "")
    return len(digits) == 10 and 97 - int(digits[:8]) % 97 == int(digits[8:])


def test_kbo_files_follow_the_published_layout(demo):
    root, _, _ = demo
    for name, header in KBO_HEADERS.items():
        first = (root / "kbo" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert first == header
    ent = _csv(root / "kbo" / "enterprise.csv")
    est = _csv(root / "kbo" / "establishment.csv")
    assert ent["EnterpriseNumber"].str.fullmatch(r"0\d{3}\.\d{3}\.\d{3}").all()
    assert est["EstablishmentNumber"].str.fullmatch(r"2\.\d{3}\.\d{3}\.\d{3}").all()
    assert (
        ent["EnterpriseNumber"].map(_mod97).all() and est["EstablishmentNumber"].map(_mod97).all()
    )
    assert ent["StartDate"].str.fullmatch(r"\d{2}-\d{2}-\d{4}").all()
    line = (root / "kbo" / "establishment.csv").read_text(encoding="utf-8").splitlines()[1]
    assert re.fullmatch(r'"2\.\d{3}\.\d{3}\.\d{3}",\d{2}-\d{2}-\d{4},"0\d{3}\.\d{3}\.\d{3}"', line)
    act = _csv(root / "kbo" / "activity.csv")
    codes = _csv(root / "kbo" / "code.csv")
    nace = set(codes.loc[codes["Category"] == "Nace2008", "Code"])
    good = act["NaceCode"].str.fullmatch(r"\d{5}")
    assert set(act.loc[good, "NaceCode"]) <= nace
    assert {"47241", "56101", "96021", "62010", "69101", "86210"} <= set(act["NaceCode"])
    assert (act["NaceVersion"] == "2008").all()
    assert set(codes.loc[codes["Category"] == "JuridicalForm", "Code"]) >= {"014", "610"}
    addr = _csv(root / "kbo" / "address.csv")
    assert set(addr["TypeOfAddress"]) == {"BAET", "REGO"}
    assert set(est["EstablishmentNumber"]) == set(
        addr.loc[addr["TypeOfAddress"] == "BAET", "EntityNumber"]
    )


def test_kbo_labels_are_the_official_ones():
    real = realdata_demo("05_business/kbo_open_data_update_0147_2025-10-12/code.csv")
    from pipelines.demo._kbo_codes import JURIDICAL_FORM, NACE_2008

    with real.open(encoding="utf-8") as handle:
        rows = {
            (r["Category"], r["Code"], r["Language"]): r["Description"]
            for r in csv.DictReader(handle)
        }
    for code, (fr, nl) in NACE_2008.items():
        assert rows[("Nace2008", code, "FR")] == fr and rows[("Nace2008", code, "NL")] == nl
    for code, (fr, nl) in JURIDICAL_FORM.items():
        assert (
            rows[("JuridicalForm", code, "FR")] == fr and rows[("JuridicalForm", code, "NL")] == nl
        )


@pytest.mark.parametrize(
    ("file", "reason", "check"),
    [
        ("kbo/establishment.csv", "invalid date", lambda r: r["StartDate"] == "31-02-2020"),
        ("kbo/activity.csv", "malformed NACE code", lambda r: r["NaceCode"] in ("47.11", "4711")),
        ("kbo/address.csv", "no address point", lambda r: int(r["HouseNumber"]) > 400),
        ("vacant/vacant_cells.csv", "unknown status", lambda r: r["status"] == "vide?"),
        (
            "vacant/vacant_cells.csv",
            "coordinates out of range",
            lambda r: not (4 < float(r["lon"]) < 6 and 49 < float(r["lat"]) < 51),
        ),
        ("wifi/counts/", "negative count", lambda r: int(r["unique_devices"]) < 0),
        ("wifi/counts/", "timestamp without UTC offset", lambda r: len(r["timestamp"]) == 19),
        ("vouchers/transactions/", "negative amount", lambda r: float(r["amount_eur"]) < 0),
    ],
)
def test_injected_defects_sit_at_their_documented_rows(demo, file, reason, check):
    root, _, truth = demo
    found = [d for d in _defects(truth, file) if d["reason"] == reason]
    assert found, (file, reason)
    for d in found:
        frame = _csv(root / d["file"])
        assert check(frame.iloc[d["row"] - 1]), d


def test_defects_without_a_bad_cell_are_documented_too(demo):
    root, _, truth = demo
    reasons = Counter(d["reason"] for d in truth["defects"] if d["defect"])
    assert reasons["no activity"] == 2 and reasons["no address point"] == 3
    assert reasons["duplicate transaction_id"] == 1
    act = _csv(root / "kbo" / "activity.csv")
    for d in truth["defects"]:
        if d["reason"] == "no activity":
            assert d["key"] not in set(act["EntityNumber"])
        if d["reason"] == "duplicate transaction_id":
            frame = _csv(root / d["file"])
            assert (
                frame.iloc[d["row"] - 1]["transaction_id"]
                == frame.iloc[d["row"] - 2]["transaction_id"]
            )


def test_vacancy_registers_follow_the_recipe_trends(demo):
    root, _, truth = demo
    cells = _csv(root / "vacant" / "vacant_cells.csv")
    assert set(cells["observed_on"]) == {"2025-10-01", "2026-04-01", "2026-10-01"}
    assert cells.groupby("observed_on")["cell_id"].nunique().nunique() == 1
    recipe = load_recipe().set_index("nis")
    for nis, rates in truth["vacancy"].items():
        assert rates["2025-10-01"] == pytest.approx(recipe.loc[nis, "vacancy_2025"], abs=0.03)
        assert rates["2026-10-01"] == pytest.approx(recipe.loc[nis, "vacancy_2026"], abs=0.03)
        assert 0.04 <= rates["2026-10-01"] <= 0.21
    assert truth["vacancy"]["56835"]["2026-10-01"] > truth["vacancy"]["56835"]["2025-10-01"]


def test_od_files_are_suppressed_below_five_and_moderate(demo):
    root, summary, _ = demo
    sectors = {f["properties"]["CD_SECTOR"] for f in _geojson(root / "statbel" / "sectors.geojson")}
    assert all(0 < n < 20_000 for k, n in summary.items() if k.startswith("od/"))
    day = _csv(root / "od" / "2026-10-17.csv", ";")
    assert list(day.columns) == ["hour_start", "origin_sector", "destination_sector", "trips"]
    assert (day["trips"].astype(int) >= 5).all()
    assert set(day["origin_sector"]) | set(day["destination_sector"]) <= sectors
    assert (day["origin_sector"] != day["destination_sector"]).all()
    assert day["hour_start"].str.fullmatch(r"2026-10-17T\d{2}:00:00\+02:00").all()


def _huff_beta(truth: dict, root: Path) -> float:
    """Maximum-likelihood beta from the vouchers, given the true A_j and distances D_ij."""
    from pipelines.demo.business import build_business
    from pipelines.demo.flows import district_merchants, huff_inputs, huff_probabilities
    from pipelines.demo.streets import build_network
    from pipelines.demo.territory import build_territory

    territory = build_territory(truth["seed"])
    network = build_network(territory, truth["seed"])
    business = build_business(territory, network, truth["seed"])
    huff = huff_inputs(territory, network, business)
    members = district_merchants(business, huff)
    district_of = {
        business.merchants["merchant_id"].iat[m]: k for k, ms in enumerate(members) for m in ms
    }
    tx = pd.concat([_csv(p) for p in sorted((root / "vouchers" / "transactions").glob("*.csv"))])
    tx = tx[tx["customer_sector"] != ""]
    row_of = {s: i for i, s in enumerate(territory.sectors["sector_id"])}
    i = tx["customer_sector"].map(row_of).to_numpy()
    j = tx["merchant_id"].map(district_of).to_numpy()
    betas = np.arange(1.0, 2.61, 0.05)
    loglik = [
        np.log(huff_probabilities(huff["attract"], huff["d_km"], b)[i, j]).sum() for b in betas
    ]
    return float(betas[int(np.argmax(loglik))])


def test_voucher_origins_follow_huff_with_the_documented_beta(demo):
    root, _, truth = demo
    assert truth["huff"]["beta"] == 1.8
    assert _huff_beta(truth, root) == pytest.approx(1.8, abs=0.1)
    merchants = _csv(root / "vouchers" / "merchants.csv")
    est = set(_csv(root / "kbo" / "establishment.csv")["EstablishmentNumber"])
    assert set(merchants["establishment_number"]) <= est
    tx = _csv(root / "vouchers" / "transactions" / "2026-10-13.csv")
    assert set(tx["merchant_id"]) <= set(merchants["merchant_id"])
    assert 0.05 <= (tx["customer_sector"] == "").mean() <= 0.15
    hours = tx["timestamp"].str[11:13].astype(int)
    assert hours.between(9, 19).all()
    assert tx["customer_postcode"].str.fullmatch(r"[4-7]\d{3}").all()


# --------------------------------------------------------------------------- regions
@pytest.fixture(scope="module")
def region() -> object:
    return build_territory(42, 24)


def test_a_region_of_n_communes_has_wallonia_density_and_unique_codes(region):
    c = region.communes
    assert len(c) == 24 and c["nis"].is_unique and c["name_fr"].is_unique
    assert c["nis"].str.fullmatch(r"\d{5}").all()
    assert c["nis"].str[-3:].str.startswith("8").all()  # no real commune ends in 8xx
    area_km2 = c.geometry.area.sum() / 1e6
    assert area_km2 == pytest.approx(WALLONIA_AREA_KM2 * 24 / WALLONIA_COMMUNES, rel=0.02)
    assert 250_000 <= c["population"].sum() <= 450_000  # 3.7 M * 24 / 262 = 339,000
    assert (c["role"] == "regional_centre").sum() >= 1
    assert {"town", "rural"} <= set(c["role"])
    codes = [code for codes in c["postcodes"] for code in codes]
    assert len(codes) == len(set(codes))
    for r in c.itertuples():
        prefix, prov_nis, (lo, hi) = PROVINCES[r.province]
        assert r.nis.startswith(prefix) and r.prov_nis == prov_nis
        assert all(lo <= int(code) <= hi for code in r.postcodes), r
    pops = region.sectors.groupby("nis")["population"].sum()
    assert c.set_index("nis")["population"].sort_index().equals(pops.sort_index())


def test_a_region_is_one_contiguous_partition_in_groups_of_about_ten(region):
    c = region.communes
    assert all(g.is_valid and g.geom_type == "Polygon" for g in c.geometry)
    union = shapely.union_all(list(c.geometry))
    assert union.geom_type == "Polygon"
    assert c.geometry.area.sum() == pytest.approx(union.area, rel=1e-6)
    sizes = c.groupby("tile").size()
    assert sorted(sizes.index) == [0, 1, 2] and sizes.between(2, 20).all()
    # every group has a railway of at least two stations, numbered along the line
    for _, part in c.groupby("tile"):
        orders = sorted(part.loc[part["rail_order"] > 0, "rail_order"])
        assert orders == list(range(1, len(orders) + 1)) and len(orders) >= 2


def test_a_region_drive_network_is_one_component(region):
    from scipy.sparse.csgraph import connected_components

    from pipelines.demo.streets import build_network

    network = build_network(region, 42)
    _, label = connected_components(network.graph(drive_only=True), directed=False)
    assert len(np.unique(label[network.drive_nodes()])) == 1
    trunks = [w for w in network.ways if w.kind == "trunk"]
    assert len(trunks) >= 2  # every group with room for it has an express road


@pytest.fixture(scope="module")
def small_region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], dict]:
    root = tmp_path_factory.mktemp("region_landing")
    summary = generate(root, seed=3, communes=12, days=3, osm_pbf=True)
    truth = json.loads((root / TRUTH_FILE).read_text(encoding="utf-8"))
    return root, summary, truth


def test_communes_and_days_are_independent(small_region):
    root, summary, truth = small_region
    assert len(_geojson(root / "statbel" / "communes.geojson")) == 12
    assert truth["n_communes"] == 12 and "scale" not in truth
    assert truth["period"] == ["2026-10-12", "2026-10-14"]
    assert sum(k.startswith("wifi/counts/") for k in summary) == 3
    assert sum(k.startswith("od/") for k in summary) == 3


def test_the_readers_accept_a_region(small_region):
    pytest.importorskip("pipelines.sources.kbo")
    import osmnx as ox

    from pipelines.sources import kbo, statbel

    root, _, _ = small_region
    communes = statbel.read_communes(root / "statbel" / "communes.geojson")
    assert communes.balanced and len(communes.quarantine) == 0 and len(communes.table) == 12
    tables = kbo.read_kbo(root / "kbo")
    assert all(r.balanced for r in tables.values())
    graph = ox.graph_from_xml(root / "osm" / "territory.osm", retain_all=True)
    assert graph.number_of_nodes() > 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be between 1 and 60"),
        ({"scale": 61}, "scale must be between 1 and 60"),
        ({"communes": 0}, "communes must be between 1 and 600"),
        ({"communes": 601}, "communes must be between 1 and 600"),
        ({"scale": 2, "communes": 20}, "give scale or communes, not both"),
        ({"days": 0}, "days must be between 1 and 1100"),
        ({"days": 1101}, "days must be between 1 and 1100"),
    ],
)
def test_bad_settings_raise_config_errors(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        generate(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_the_cli_passes_communes_and_days(monkeypatch, tmp_path):
    import pipelines.demo
    from assets import cli

    seen = {}
    monkeypatch.setattr(pipelines.demo, "generate", lambda landing, **kw: seen.update(kw) or {})
    cli.main(["--data", str(tmp_path), "generate", "--communes", "262", "--days", "2"])
    assert seen == {"seed": 42, "scale": None, "communes": 262, "days": 2, "osm_pbf": False}
    cli.main(["--data", str(tmp_path), "generate", "--scale", "5", "--osm-pbf"])
    assert seen == {"seed": 42, "scale": 5, "communes": None, "days": 28, "osm_pbf": True}
    with pytest.raises(SystemExit):
        cli.main(["--data", str(tmp_path), "generate", "--scale", "5", "--communes", "50"])


# --------------------------------------------------------------------------- readers
def test_the_readers_accept_the_demo_and_quarantine_exactly_the_defects(demo):
    pytest.importorskip("pipelines.sources.kbo")
    from pipelines.sources import kbo, statbel, vacant, vouchers, wifi

    root, _, truth = demo
    for result in (
        statbel.read_communes(root / "statbel" / "communes.geojson"),
        statbel.read_sectors(root / "statbel" / "sectors.geojson"),
    ):
        assert result.balanced and len(result.quarantine) == 0
    tables = kbo.read_kbo(root / "kbo")
    assert all(r.balanced for r in tables.values())
    rows = sorted(int(r) for r in tables["activity"].quarantine["row_number"])
    assert rows == sorted(d["row"] for d in _defects(truth, "kbo/activity.csv"))
    points = kbo.read_address_points(root / "kbo" / "address_points.csv")
    located = kbo.locate_establishments(tables, points)
    assert Counter(located.quarantine["reason"]) == {"no address point": 3, "no activity": 2}
    cells = vacant.read_vacant_cells(root / "vacant" / "vacant_cells.csv")
    assert sorted(cells.quarantine["row_number"]) == sorted(
        d["row"] for d in _defects(truth, "vacant/")
    )
    for d in _defects(truth, "wifi/counts/") + _defects(truth, "vouchers/"):
        reader = wifi.read_counts if d["file"].startswith("wifi") else vouchers.read_transactions
        result = reader(root / d["file"])
        assert result.balanced
        assert d["row"] in set(result.quarantine["row_number"]), d


@pytest.mark.parametrize("n", [262, 581])
def test_a_region_spreads_each_province_over_its_arrondissements(n):
    """Every intercommunale of the cockpit gets communes: Hainaut's three are by arrondissement
    (IDETA 51/54/57, IDEA 53/55/58, IGRETEC 52/56), so the region fills all eight."""
    from pipelines.cockpit.groups import assign_groups
    from pipelines.demo.region import ARRONDISSEMENTS, region_recipe

    table, _ = region_recipe(np.random.default_rng(42), n)
    assert table["nis"].is_unique
    for province, digits in ARRONDISSEMENTS.items():
        prefix = PROVINCES[province][0]
        held = set(table.loc[table["province"] == province, "nis"].str[:2])
        assert held == {prefix + d for d in digits}, province
    hainaut = table[table["province"] == "Hainaut"].sort_values("x")
    assert hainaut["nis"].iloc[0][:2] in {"54", "57"} and hainaut["nis"].iloc[-1][:2] in {"52", "56"}  # west -> east
    groups = assign_groups(table.assign(commune=table["name_fr"])[["nis", "commune"]])
    assert {"ideta", "idea", "igretec", "bep", "spi", "idelux", "inbw"} <= set(groups["group"])


@pytest.mark.parametrize("n", [300, 450, 581, 600])
def test_a_region_beyond_wallonia_stays_in_belgium(n):
    """The readers refuse coordinates outside Belgium: a region of Belgium's 581 communes has
    Belgium's area (not 581 Walloon-sized communes) and lies around its centre."""
    from pipelines.demo.region import BELGIUM_AREA_KM2, region_outline
    from pipelines.sources.statbel import BELGIUM_LONLAT

    for seed in (0, 7, 42):
        outline = region_outline(np.random.default_rng(seed), n)
        minx, miny, maxx, maxy = gpd.GeoSeries([outline], crs=31370).to_crs(4326).total_bounds
        west, south, east, north = BELGIUM_LONLAT
        assert west < minx and south < miny and maxx < east and maxy < north, (n, seed)
        assert outline.area / 1e6 <= BELGIUM_AREA_KM2 * 1.03


def test_a_sector_no_road_reaches_chooses_by_attractiveness():
    """A sector in an isolated street component (infinite distance to every centre) gets the
    attractiveness shares, not NaN probabilities (seen in a 581-commune region)."""
    from pipelines.demo.flows import huff_probabilities

    p = huff_probabilities(np.array([1.0, 3.0]), np.array([[1.0, 2.0], [np.inf, np.inf]]))
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p[1], [0.25, 0.75])
