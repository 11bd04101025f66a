"""One catalogue: the Canvas takes the names, unit and needs of a friction indicator from the
friction engine's declarations; ``indicators.yaml`` never repeats them."""

import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines import online
from pipelines.canvas.catalogue import INDICATORS_YAML, load_catalogue
from pipelines.canvas.scorecard import OWN_CODES, derived_values
from pipelines.friction.catalogue import INDICATORS as FRICTION


def _yaml_indicators() -> dict:
    return yaml.safe_load(INDICATORS_YAML.read_text(encoding="utf-8"))["indicators"]


def test_no_friction_code_declares_its_needs_names_or_unit_in_the_yaml() -> None:
    raw = _yaml_indicators()
    friction = [c for c in raw if c in FRICTION]
    assert len(friction) >= 10
    for code in friction:
        assert not {"needs", "needs_any", "name_fr", "unit"} & set(raw[code]), code
    derived = [c for c, r in raw.items() if (r.get("derived") or {}).get("from") in FRICTION]
    assert derived and all(not {"needs", "needs_any"} & set(raw[c]) for c in derived)


def test_every_yaml_code_exists_in_a_catalogue() -> None:
    known = set(FRICTION) | {i.code for i in (*online.INDICATORS, *online.OSM_INDICATORS)} | set(OWN_CODES)
    for code, raw in _yaml_indicators().items():
        source = (raw.get("derived") or {}).get("from")
        assert code in known or source in known, code
        if raw.get("trend"):
            assert raw["trend"] in known, raw["trend"]


def test_canvas_specs_take_the_engine_declarations() -> None:
    specs = load_catalogue().indicators
    sdg = specs["pt_sdg_11_2_1_share"]
    engine = FRICTION["pt_sdg_11_2_1_share"]
    assert (sdg.name_fr, sdg.unit) == (engine.name_fr, engine.unit_fr)
    assert set(sdg.needs) == {"gtfs", "osm"} and sdg.needs_any == ()
    assert specs["pt_district_trips_per_hour"].unit == "passages/h"  # French form of trips/h
    flows = specs["flows_unexploited_cells_per_district"]
    assert flows.needs == () and set(flows.needs_any) == {"wifi", "counters"}
    assert set(specs["congestion_ratio"].needs) == {"od", "sectors", "osm"}
    assert specs["congestion_ratio"].missing_needs({"od", "osm"}) == ["sectors"]


def test_yaml_repeating_an_engine_declaration_is_refused(tmp_path) -> None:
    text = INDICATORS_YAML.read_text(encoding="utf-8").replace(
        "  vacancy_rate:\n", "  vacancy_rate:\n    needs: [vacancy]\n", 1
    )
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="come from the friction catalogue"):
        load_catalogue(indicators_path=path, references_path=tmp_path / "none.yaml")


def test_derived_values_emit_only_own_codes() -> None:
    features = pd.DataFrame({"nis": ["1"], "shops_per_1000": [2.0]})
    profile = pd.DataFrame({"level": ["commune"], "nis": ["1"], "footfall_daily": [10.0], "n_sites": [1],
                            "n_days": [3], "yoy_change": [np.nan], "yoy_reason": ["x"]})
    catchment = pd.DataFrame({"district_id": ["D"], "expected_customers": [5.0]})
    districts = pd.DataFrame({"district_id": ["D"], "nis": ["1"], "n_shops": [2]})
    out = derived_values(features, profile, catchment, districts)
    assert set(out["indicator"]) == set(OWN_CODES)
