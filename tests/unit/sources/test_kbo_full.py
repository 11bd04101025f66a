"""KBO/BCE full extract streamed with DuckDB, cut to a territory, updates applied (issue 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import realdata_path

from pipelines.demo.kbo_synth import generate_full_extract
from pipelines.errors import InputError
from pipelines.sources import kbo, kbo_full

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "sources_a" / "kbo_mini"
REAL_KBO = "05_business/kbo_open_data_update_0147_2025-10-12"


def _all_postcodes(folder: Path) -> list[str]:
    return sorted(kbo.read_kbo(folder)["address"].table["zipcode"].dropna().unique())


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = "source_row"
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


def _expected_cut(ref: dict, postcodes: list[str]) -> dict[str, pd.DataFrame]:
    """What the territory cut should keep, computed from the pandas reader's tables."""
    addr = ref["address"].table
    addr = addr[addr["zipcode"].isin(postcodes)]
    inside = set(addr["entity_number"])
    est = ref["establishment"].table
    est = est[est["establishment_number"].isin(inside)]
    keep = inside | set(est["enterprise_number"])
    ent = ref["enterprise"].table
    return {
        "address": addr, "establishment": est,
        "enterprise": ent[ent["enterprise_number"].isin(keep)],
        **{n: ref[n].table[ref[n].table["entity_number"].isin(keep)]
           for n in ("activity", "denomination")},
    }  # fmt: skip


def test_full_reader_equals_pandas_reader_on_the_whole_territory():
    postcodes = _all_postcodes(MINI)
    full = kbo_full.read_kbo_full(MINI, postcodes=postcodes)
    ref = kbo.read_kbo(MINI)
    expected = _expected_cut(ref, postcodes)
    for name in kbo.TABLES:
        _same(full[name].table, expected[name])
        assert full[name].balanced and full[name].quarantine.empty
    # the mini extract's establishment without an address is outside every territory
    assert len(ref["establishment"].table) - len(full["establishment"].table) == 1
    located = kbo.locate_establishments(full)
    reference = kbo.locate_establishments(ref)
    pd.testing.assert_frame_equal(located.table, reference.table)


def test_territory_cut_keeps_entities_of_its_postcodes(tmp_path):
    folder = tmp_path / "synth"
    generate_full_extract(folder, ["5000", "4000", "1000", "9000"], establishments=400)
    full = kbo_full.read_kbo_full(folder, postcodes=["5000"])
    expected = _expected_cut(kbo.read_kbo(folder), ["5000"])
    for name in kbo.TABLES:
        _same(full[name].table, expected[name])
    assert set(full["address"].table["zipcode"]) == {"5000"}
    located = kbo.locate_establishments(full)
    assert located.rows_in == len(full["establishment"].table) > 0


def test_malformed_lines_are_quarantined_with_their_data_row(tmp_path):
    folder = tmp_path / "kbo"
    shutil.copytree(MINI, folder)
    path = folder / "establishment.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, '"2.100.000.807",01-01-2000,"0100.000.169","x"')  # data row 2
    lines.append('"2.100.000.114",31-02-2024,"0100.000.169"')  # in the territory, bad date
    lines.append('"1.100.000.114",01-01-2000,"0100.000.169"')  # no address: outside, not read
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = kbo.read_kbo(folder)["establishment"]
    postcodes = _all_postcodes(MINI)
    full = kbo_full.read_kbo_full(folder, postcodes=postcodes)["establishment"]
    assert full.quarantine[["row_number", "reason"]].values.tolist() == [
        [2, "expected 3 fields, found 4"], [9, "bad start_date (expected dd-mm-yyyy)"],
    ]  # fmt: skip
    assert ref.quarantine[["row_number", "reason"]].values.tolist() == full.quarantine[
        ["row_number", "reason"]].values.tolist() + [[10, "malformed establishment_number"]]
    # accepted rows keep their own data row although a rejected line precedes them
    expected = _expected_cut(kbo.read_kbo(folder), postcodes)["establishment"]
    _same(full.table, expected)
    assert full.balanced


def test_missing_table_and_missing_column(tmp_path):
    folder = tmp_path / "kbo"
    shutil.copytree(MINI, folder)
    (folder / "denomination.csv").unlink()
    path = folder / "activity.csv"
    path.write_text(path.read_text().replace('"NaceCode",', '"Nace",', 1))
    result = kbo_full.read_kbo_full(folder, postcodes=["5000"])
    assert result["denomination"].quarantine["reason"].tolist() == [
        "missing KBO table denomination (expected denomination.csv or denomination_insert.csv)"
    ]
    reason = result["activity"].quarantine["reason"].iloc[0]
    assert reason.startswith("missing required column 'NaceCode'")
    assert result["activity"].rows_in == 1 and result["activity"].table.empty
    with pytest.raises(InputError, match="KBO folder not found"):
        kbo_full.read_kbo_full(tmp_path / "absent", postcodes=["5000"])


def test_update_deletes_then_inserts(tmp_path):
    update = tmp_path / "update"
    update.mkdir()
    ref = kbo.read_kbo(MINI)
    gone = ref["establishment"].table["establishment_number"].iloc[0]
    (update / "establishment_delete.csv").write_text(f'"EstablishmentNumber"\n"{gone}"\n')
    (update / "address_delete.csv").write_text(f'"EntityNumber"\n"{gone}"\n')
    # a new establishment in Namur, and one moving out of the territory (to 9000 Gent)
    moved = ref["establishment"].table["establishment_number"].iloc[1]
    ent = ref["establishment"].table["enterprise_number"].iloc[1]
    (update / "establishment_insert.csv").write_text(
        '"EstablishmentNumber","StartDate","EnterpriseNumber"\n'
        f'"2.100.000.807",01-10-2025,"{ent}"\n'
    )
    (update / "address_delete.csv").write_text(f'"EntityNumber"\n"{gone}"\n"{moved}"\n')
    (update / "address_insert.csv").write_text(
        '"EntityNumber","TypeOfAddress","CountryNL","CountryFR","Zipcode","MunicipalityNL",'
        '"MunicipalityFR","StreetNL","StreetFR","HouseNumber","Box","ExtraAddressInfo",'
        '"DateStrikingOff"\n'
        '"2.100.000.807","BAET",,,"5000","Namen","Namur","Engelstraat","Rue de l\'Ange","76","","",\n'
        f'"{moved}","BAET",,,"9000","Gent","Gand","Veldstraat","Veldstraat","1","","",\n'
    )
    territory = [p for p in _all_postcodes(MINI) if p != "9000"]
    result = kbo_full.read_kbo_full(MINI, postcodes=territory, updates=[update])
    numbers = set(result["establishment"].table["establishment_number"])
    base = kbo_full.read_kbo_full(MINI, postcodes=territory)["establishment"].table
    before = set(base["establishment_number"])
    assert {gone, moved} <= before
    assert numbers == (before - {gone, moved}) | {"2.100.000.807"}
    new = result["establishment"].table.set_index("establishment_number").loc["2.100.000.807"]
    assert new["source_row"] == 1 and str(new["start_date"]) == "2025-10-01"
    assert all(r.balanced for r in result.values())


@pytest.mark.realdata
def test_real_update_extract_applied_on_a_full_extract():
    update = realdata_path(REAL_KBO)
    real = kbo.read_kbo(update)
    territory = sorted(real["address"].table["zipcode"].dropna().unique())
    result = kbo_full.read_kbo_full(MINI, postcodes=territory, updates=[update])
    inserted = set(real["establishment"].table["establishment_number"])
    assert inserted <= set(result["establishment"].table["establishment_number"])
    postcodes = kbo.read_postcodes(realdata_path("06_other/zipcode-belgium.csv"))
    located = kbo.locate_establishments(result, None, postcodes)
    mine = located.table[located.table["establishment_number"].isin(inserted)]
    assert len(mine) == 22 and set(mine["geocode_precision"]) == {"postcode"}
    assert all(r.balanced for r in result.values())
    # the Walloon territory only: the 10 Walloon addresses of the extract
    walloon = [p for p in territory if 1300 <= int(p) <= 1499 or 4000 <= int(p) <= 7999]
    cut = kbo_full.read_kbo_full(MINI, postcodes=walloon, updates=[update])
    assert set(cut["address"].table["zipcode"]) <= set(walloon)


@pytest.mark.realdata
def test_territory_postcodes_of_namur_from_the_real_lists():
    from pipelines.sources.statbel import read_communes

    communes = read_communes(realdata_path("01_boundaries/belgium_municipalities_2019_bmesuere.geojson"))
    namur = communes.table[communes.table["nis"] == "92094"]
    postcodes = kbo.read_postcodes(realdata_path("06_other/zipcode-belgium.csv"))
    codes = kbo_full.territory_postcodes(postcodes, namur)
    assert "5000" in codes and "5100" in codes and "4000" not in codes
    assert all(c.startswith("50") or c.startswith("51") for c in codes)
