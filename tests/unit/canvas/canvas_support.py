"""Helpers and fixtures of the Canvas tests: a tiny hand-made territory for the Canvas engine: three square communes side by side
(A | B | C, 2 km each), one shopping district in each, a handful of cells."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from pipelines.canvas.catalogue import FAMILIES, load_catalogue

NIS = ["10001", "10002", "10003"]


def _metric(geoms):
    return gpd.GeoSeries(geoms, crs="EPSG:31370").to_crs("EPSG:4326")


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture
def communes() -> gpd.GeoDataFrame:
    x0, y0 = 180000, 120000
    squares = [box(x0 + 2000 * i, y0, x0 + 2000 * (i + 1), y0 + 2000) for i in range(3)]
    return gpd.GeoDataFrame({"nis": NIS, "name_fr": ["Aville", "Bville", "Cville"], "population": [9000, 4000, 1000],
                             "area_km2": [4.0, 4.0, 4.0]}, geometry=_metric(squares))


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    x0, y0 = 180000, 120000
    centres = [(x0 + 1000 + 2000 * i, y0 + 1000) for i in range(3)]
    geoms = _metric([Point(x, y).buffer(150) for x, y in centres])
    lonlat = _metric([Point(x, y) for x, y in centres])
    return gpd.GeoDataFrame({"district_id": [f"{n}-D01" for n in NIS], "nis": NIS, "n_shops": [60, 20, 5],
                             "origin_lon": lonlat.x, "origin_lat": lonlat.y}, geometry=geoms)


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    """Nine 200 m cells per commune on a row through its district centre; no public transport."""
    x0, y0 = 180000, 120000
    rows = []
    for i, nis in enumerate(NIS):
        for j in range(9):
            cx = x0 + 200 + 200 * j + 2000 * i
            rows.append({"h3": i * 100 + j, "nis": nis, "population": 100.0, "pt_class": "none",
                         "pt_departures_per_hour": 0.0, "geometry": box(cx - 100, y0 + 900, cx + 100, y0 + 1100)})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:31370")
    return frame.to_crs("EPSG:4326")


def status_frame(missing: tuple[str, ...] = ()) -> pd.DataFrame:
    """A bronze.source_status frame: every family held except ``missing``."""
    return pd.DataFrame({
        "source": list(FAMILIES),
        "status": ["missing" if f in missing else "held" for f in FAMILIES],
        "required": [f in ("boundaries", "osm") for f in FAMILIES],
        "files": [0 if f in missing else 1 for f in FAMILIES],
        "bytes": [0 if f in missing else 10 for f in FAMILIES],
        "first_day": None, "last_day": None, "days": 0,
        "file_hashes": [[] if f in missing else [f"{f}/x.csv abc"] for f in FAMILIES],
        "reason": [f"no file under landing/{f}" if f in missing else None for f in FAMILIES],
    })


def indicator_frame(values: dict[str, list[float]]) -> pd.DataFrame:
    """Commune rows of gold.commune_indicators: code -> values for A, B, C."""
    rows = [{"nis": n, "district_id": None, "indicator": code, "value": v, "unit": "", "reference": "test"}
            for code, vals in values.items() for n, v in zip(NIS, vals, strict=True)]
    return pd.DataFrame(rows)


@pytest.fixture
def indicator_values(catalogue) -> dict[str, list[float]]:
    """A value for every catalogue indicator; A best everywhere, C worst (direction-aware)."""
    out = {}
    for code, spec in catalogue.indicators.items():
        base = [30.0, 20.0, 10.0]
        out[code] = base if spec.direction == "higher" else base[::-1]
    return out


def peers_frame() -> pd.DataFrame:
    return pd.DataFrame({"nis": NIS, "commune": ["Aville", "Bville", "Cville"], "population": [9000, 4000, 1000],
                         "cluster": [0, 0, 1], "cluster_label": ["G1", "G1", "G2"],
                         "neighbours": [["10002"], ["10001", "10003"], ["10002"]], "typology": [None, None, None]})


def full_coverage() -> pd.DataFrame:
    return pd.DataFrame([{"nis": n, "source": f, "coverage": 1.0, "coverage_basis": "test"} for n in NIS for f in FAMILIES])


def no_quality() -> pd.DataFrame:
    return pd.DataFrame({"source": list(FAMILIES), "rows_accepted": 10, "rows_quarantined": 0,
                         "files_quarantined": 0, "quarantine_rate": 0.0})


__all__ = ["NIS", "full_coverage", "indicator_frame", "no_quality", "np", "peers_frame", "status_frame"]
