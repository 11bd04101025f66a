"""The intercommunale reference and the rule for codes outside it."""

import pandas as pd
import pytest
from support import realdata_path

from pipelines.cockpit.groups import (
    GROUPS,
    assign_groups,
    load_reference,
    reference_from_statbel,
    rule_group,
)
from pipelines.errors import InputError


def test_reference_covers_the_262_walloon_communes_by_province():
    ref = load_reference()
    assert len(ref) == 262 and ref["nis"].is_unique
    assert ref["province"].value_counts().to_dict() == {"Liège": 84, "Hainaut": 69, "Luxembourg": 44, "Namur": 38, "Brabant wallon": 27}
    by = dict(zip(ref["nis"], ref["intercommunale"], strict=True))
    # Mons, Charleroi, Tournai, Mouscron, Enghien (Ath since 2019), La Louvière, Liège, Namur, Arlon, Wavre
    assert [by[n] for n in ("53053", "52011", "57081", "57096", "51067", "58001", "62063", "92094", "81001", "25112")] == \
        ["idea", "igretec", "ideta", "ideta", "ideta", "idea", "spi", "bep", "idelux", "inbw"]
    assert ref.groupby("intercommunale").size().to_dict() == {"bep": 38, "idea": 23, "idelux": 44, "ideta": 23, "igretec": 23, "inbw": 27, "spi": 84}
    assert set(ref.loc[ref["to_verify"] == "oui", "nis"]) == {"52010", "56001"}


def test_reference_is_reproducible_from_statbel():
    built = reference_from_statbel(realdata_path("06_other/belgian_municipalities_2020.csv"))
    pd.testing.assert_frame_equal(built.reset_index(drop=True), load_reference().reset_index(drop=True))


@pytest.mark.parametrize(("nis", "group", "basis"), [
    ("92801", "bep", "province"), ("61824", "spi", "province"), ("52812", "igretec", "arrondissement"),
    ("56835", "igretec", "arrondissement"), ("51800", "ideta", "arrondissement"), ("55801", "idea", "arrondissement"),
    ("25803", "inbw", "province"), ("84801", "idelux", "province"),
    ("21004", "hors-referentiel", "hors règle"), ("23002", "hors-referentiel", "hors règle"), ("59001", "hors-referentiel", "hors règle"), ("9280", "hors-referentiel", "hors règle"),
])
def test_rule_for_codes_outside_the_reference(nis, group, basis):
    assert rule_group(nis) == (group, basis)


def test_assign_groups_prefers_the_reference():
    ref = pd.DataFrame({"nis": ["92801"], "commune": ["Valmeuse"], "arrondissement": ["Namur"], "province": ["Namur"],
                        "intercommunale": ["igretec"], "basis": ["exception"], "to_verify": ["non"], "note": [""]})
    out = assign_groups(pd.DataFrame({"nis": ["92801", "92813"], "commune": ["Valmeuse", "Orvaux"]}), ref)
    assert out["group"].tolist() == ["igretec", "bep"]
    assert out["basis"].tolist() == ["référentiel", "province"]
    assert out["group_name"].tolist() == [GROUPS["igretec"].name, "BEP"]


@pytest.mark.parametrize(("row", "message"), [
    ({"nis": "9280"}, "row 2: NIS code '9280' is not 5 digits"),
    ({"intercommunale": "xyz"}, "row 2: unknown intercommunale 'xyz'"),
])
def test_bad_reference_rows_are_named(tmp_path, row, message):
    base = {"nis": "92801", "commune": "V", "arrondissement": "Namur", "province": "Namur", "intercommunale": "bep",
            "basis": "province", "to_verify": "non", "note": ""}
    path = tmp_path / "ref.csv"
    pd.DataFrame([base | row]).to_csv(path, index=False)
    with pytest.raises(InputError, match=message):
        load_reference(path)


def test_duplicate_code_is_refused(tmp_path):
    path = tmp_path / "ref.csv"
    row = "92801,V,Namur,Namur,bep,province,non,\n"
    path.write_text("nis,commune,arrondissement,province,intercommunale,basis,to_verify,note\n" + row + row, encoding="utf-8")
    with pytest.raises(InputError, match="row 3: NIS code 92801 appears twice"):
        load_reference(path)
