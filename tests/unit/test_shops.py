import geopandas as gpd
import shapely

from pipelines.shops import conflate_shops, name_similarity, normalise_name


def _kbo(rows):
    return gpd.GeoDataFrame(
        {"establishment_number": [r[0] for r in rows], "name": [r[1] for r in rows],
         "nace_code": "47110", "category": "food"},
        geometry=[shapely.Point(r[2], r[3]) for r in rows], crs=4326,
    )


def _osm(rows):
    return gpd.GeoDataFrame(
        {"osm_id": [r[0] for r in rows], "name": [r[1] for r in rows], "subtype": "bakery",
         "website": "https://x.be", "opening_hours": "Mo-Sa 08:00-18:00"},
        geometry=[shapely.Point(r[2], r[3]) for r in rows], crs=4326,
    )


def test_normalise_name():
    assert normalise_name("  Boulangerie  Dupré-Ça ") == "boulangerie dupre ca"
    assert name_similarity("Boulangerie Dupré", "BOULANGERIE DUPRE") == 1.0
    assert name_similarity(None, "x") == 0.0


def test_conflation_matches_near_and_similar_only():
    # 0.0001 deg lat ~ 11 m; 0.001 ~ 111 m
    kbo = _kbo([
        ("2.000.000.001", "Boulangerie Dupré", 5.0, 50.0),        # matches osm/1 (11 m, same name)
        ("2.000.000.002", "Boucherie Martin", 5.01, 50.0),        # osm/2 is 111 m away: no match
        ("2.000.000.003", "Librairie du Centre", 5.02, 50.0),     # osm/3 close but other name
    ])
    osm = _osm([
        ("node/1", "Boulangerie Dupre", 5.0, 50.0001),
        ("node/2", "Boucherie Martin", 5.01, 50.001),
        ("node/3", "Pharmacie Centrale", 5.02, 50.0001),
    ])
    shops = conflate_shops(kbo, osm)
    assert len(shops) == 5  # 3 KBO rows + 2 OSM-only rows
    by_id = shops.set_index("shop_id")
    assert by_id.loc["kbo:2.000.000.001", "source"] == "kbo+osm"
    assert by_id.loc["kbo:2.000.000.001", "osm_id"] == "node/1"
    assert by_id.loc["kbo:2.000.000.001", "website"] == "https://x.be"
    assert by_id.loc["kbo:2.000.000.002", "source"] == "kbo"
    assert by_id.loc["kbo:2.000.000.003", "source"] == "kbo"
    assert set(shops.loc[shops["source"] == "osm", "osm_id"]) == {"node/2", "node/3"}
    assert shops.crs.to_epsg() == 4326


def test_conflation_looks_past_the_nearest_neighbour():
    # dense street: the nearest OSM shop (about 6 m) is the neighbour; the same shop is 11 m away
    kbo = _kbo([("2.000.000.001", "Boulangerie Dupré", 5.0, 50.0)])
    osm = _osm([
        ("node/1", "Pharmacie Centrale", 5.0, 50.00005),
        ("node/2", "Boulangerie Dupre", 5.0, 50.0001),
    ])
    shops = conflate_shops(kbo, osm).set_index("shop_id")
    assert shops.loc["kbo:2.000.000.001", "osm_id"] == "node/2"
    assert set(shops.loc[shops["source"] == "osm", "osm_id"]) == {"node/1"}
