"""KBO/BCE reader, address points, establishment location and NACE commerce categories."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import realdata_path as realdata_a

from pipelines.errors import InputError
from pipelines.sources import kbo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources_a"
MINI = FIXTURES / "kbo_mini"
REAL_KBO = "05_business/kbo_open_data_update_0147_2025-10-12"


BAD_ENTERPRISE = "malformed enterprise_number"


@pytest.fixture
def mini():
    return kbo.read_kbo(MINI)


def test_read_kbo_mini_types_and_counts(mini):
    assert {k: len(v.table) for k, v in mini.items()} == {
        "enterprise": 5, "establishment": 7, "activity": 12, "address": 7, "denomination": 8,
    }  # fmt: skip
    assert all(len(r.quarantine) == 0 and r.balanced for r in mini.values())
    ent = mini["enterprise"].table
    assert list(ent.columns) == ["enterprise_number", "status", "juridical_situation",
                                 "type_of_enterprise", "juridical_form", "juridical_form_cac",
                                 "start_date", "source_row"]  # fmt: skip
    assert ent["start_date"].tolist()[3] == pd.Timestamp("2024-02-29").date()  # a leap day
    assert ent["juridical_form"].tolist()[:1] == ["014"]  # leading zeros kept
    act = mini["activity"].table
    assert act["nace_code"].tolist()[4] == "4724101"  # the 7-digit KBO sub-code is kept
    addr = mini["address"].table
    assert addr["date_striking_off"].notna().sum() == 1
    assert {"street_fr", "street_nl", "municipality_fr", "house_number", "zipcode"} <= set(addr)


def _copy_with_row(tmp_path: Path, table: str, line: str) -> Path:
    folder = tmp_path / "kbo"
    shutil.copytree(MINI, folder)
    path = folder / f"{table}.csv"
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("table", "line", "row", "reason"),
    [
        ("enterprise", '"0201.310.92","AC","000","2",,,01-01-2000', 6, BAD_ENTERPRISE),
        ("enterprise", '"0100.000.170","AC","000","2",,,01-01-2000', 6, BAD_ENTERPRISE),
        ("enterprise", '"0201.310.929","AC","000","2",,,31-02-2024', 6,
         "bad start_date (expected dd-mm-yyyy)"),
        ("enterprise", '"0100.000.169","AC","000","2",,,01-01-2000', 6,
         "duplicate enterprise_number"),
        ("establishment", '"2.100.000.114",01-01-2000,"0100.000.169"', 8,
         "duplicate establishment_number"),
        ("establishment", '"1.100.000.114",01-01-2000,"0100.000.169"', 8,
         "malformed establishment_number"),
        ("establishment", '"2.100.000.807",01-01-2000,"0100.000.16"', 8,
         BAD_ENTERPRISE),
        ("establishment", '"2.100.000.807",01-01-2000,"0100.000.169","x"', 8,
         "expected 3 fields, found 4"),
        ("activity", '"0100.000.169","001","2008","4711","MAIN"', 13, "malformed nace_code"),
        ("activity", '"0100.000.169","001","2008","47A10","MAIN"', 13, "malformed nace_code"),
        ("activity", '"0100.000.169","001","2099","47110","MAIN"', 13, "unknown nace_version"),
        ("activity", '"0100.000.169","001","2008","47110","XXXX"', 13, "unknown classification"),
        ("activity", ',"001","2008","47110","MAIN"', 13, "missing entity_number"),
        ("address", '"0100.000.268","REGO",,,"4000","Luik","Liège","A","A","1","","",2022-05-01',
         8, "bad date_striking_off (expected dd-mm-yyyy)"),
        ("denomination", '"0100.000.367","1","001",""', 9, "missing denomination"),
    ],
)
def test_read_kbo_quarantine(tmp_path, table, line, row, reason):
    result = kbo.read_kbo(_copy_with_row(tmp_path, table, line))[table]
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[row, reason]]
    assert result.quarantine["source"].tolist() == ["kbo"]
    assert result.rows_in == row and result.balanced


def test_read_kbo_update_extract_names(tmp_path):
    folder = tmp_path / "update"
    folder.mkdir()
    for name in kbo.TABLES:
        shutil.copy(MINI / f"{name}.csv", folder / f"{name}_insert.csv")
    assert len(kbo.read_kbo(folder)["establishment"].table) == 7


def test_read_kbo_missing_column_names_file_and_column(tmp_path):
    folder = tmp_path / "kbo"
    shutil.copytree(MINI, folder)
    path = folder / "activity.csv"
    frame = pd.read_csv(path, dtype=str).drop(columns="NaceCode")
    frame.to_csv(path, index=False)
    # changed (issue 9): a missing column is a file-level quarantine row, the rest is read
    tables = kbo.read_kbo(folder)
    q = tables["activity"].quarantine
    assert q["source_file"].tolist() == [str(path)] and q["row_number"].tolist() == [0]
    assert q["reason"].iloc[0].startswith("missing required column 'NaceCode'")
    assert len(tables["activity"].table) == 0 and tables["activity"].rows_in == 1
    assert "nace_code" in tables["activity"].table.columns
    assert len(tables["enterprise"].table) > 0


def test_read_kbo_missing_table(tmp_path):
    folder = tmp_path / "kbo"
    shutil.copytree(MINI, folder)
    (folder / "denomination.csv").unlink()
    # changed (issue 9): a missing table is an empty typed table with a file-level row
    tables = kbo.read_kbo(folder)
    q = tables["denomination"].quarantine
    assert q["reason"].tolist() == [
        "missing KBO table denomination (expected denomination.csv or denomination_insert.csv)"
    ]
    assert q["row_number"].tolist() == [0] and tables["denomination"].balanced
    assert "denomination" in tables["denomination"].table.columns
    with pytest.raises(InputError, match="KBO folder not found"):
        kbo.read_kbo(tmp_path / "absent")


def test_entity_number_check_digits():
    numbers = pd.Series(["0201.310.929", "0201.310.928", "0100.000.169", "2.100.000.114",
                         "2.100.000.115", "201.310.929", None])  # fmt: skip
    assert kbo.is_enterprise_number(numbers).tolist() == [True, False, True, False, False, False,
                                                          False]  # fmt: skip
    assert kbo.is_establishment_number(numbers).tolist() == [False, False, False, True, False,
                                                             False, False]  # fmt: skip


@pytest.fixture
def points():
    return kbo.read_address_points(FIXTURES / "address_points.csv")


def test_read_address_points(points):
    assert len(points.table) == 5 and len(points.quarantine) == 0
    assert points.table["lon"].dtype == "float64"
    assert points.table.loc[0, "street_fr"] == "Rue de l’Ange"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("500,Namur,Rue X,,1,4.86,50.46", "malformed postcode"),
        ("5000,Namur,,,1,4.86,50.46", "missing street"),
        ("5000,Namur,Rue X,,,4.86,50.46", "missing house_number"),
        ("5000,Namur,Rue X,,1,4,86,50.46", "expected 7 fields, found 8"),
        ("5000,Namur,Rue X,,1,4.86;50.46,", "non-numeric coordinates"),
        ("5000,Namur,Rue X,,1,50.46,4.86", "lat/lon swapped"),  # changed: named precisely
        ("5000,Namur,Rue X,,1,2.35,48.85", "coordinates outside Belgium"),
    ],
)
def test_read_address_points_quarantine(tmp_path, line, reason):
    path = tmp_path / "points.csv"
    path.write_text((FIXTURES / "address_points.csv").read_text(encoding="utf-8") + line + "\n")
    result = kbo.read_address_points(path)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [[6, reason]]
    assert result.rows_in == 6 and len(result.table) == 5


def test_read_address_points_missing_column(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("postcode,street_fr,street_nl,house_number,lon,lat\n")
    # changed (issue 9): a missing column is a file-level quarantine row
    result = kbo.read_address_points(path)
    assert result.quarantine["reason"].iloc[0].startswith(
        "missing required column 'municipality_fr'"
    )
    assert result.quarantine["row_number"].tolist() == [0] and len(result.table) == 0


def test_locate_establishments(mini, points):
    result = kbo.locate_establishments(mini, points)
    assert result.rows_in == 7 and result.balanced
    table = result.table.set_index("establishment_number")
    assert list(result.table.columns) == list(kbo.LOCATED_COLUMNS)
    # 1: typographic apostrophe in the point file; own commercial name in French, 2008 code
    described = ["name", "nace_code", "nace_version", "category"]
    assert table.loc["2.100.000.114", described].tolist() == [
        "Boulangerie de l'Ange", "47241", "2008", "food",
    ]  # fmt: skip
    assert table.loc["2.100.000.114", ["lon", "lat"]].tolist() == [4.8663, 50.4651]
    # 2: "Pierre-Molinghen 28A" vs "Pierre Molinghen 28 a"; enterprise activity and name
    assert table.loc["2.100.000.213", ["name", "nace_code", "category", "lon"]].tolist() == [
        "Dupont, Marie", "96021", "personal_services", 5.5901,
    ]  # fmt: skip
    # 4: "Kortrijkstraat(Z)" matches the point's Dutch street name; NACE 2025 code
    assert table.loc["2.100.000.411", [*described, "lat"]].tolist() == [
        "Mode Zwevegem BV", "47711", "2025", "fashion", 50.8108,
    ]  # fmt: skip
    reasons = result.quarantine[["row_number", "reason"]].values.tolist()
    assert reasons == [[3, "no address"], [5, "no address point"], [6, "no activity"],
                       [7, "no address"]]  # fmt: skip


def test_normalisation():
    streets = pd.Series(["Rue de l’Ange", "RUE DE L'ANGE", "Heikant(STE)", "Av. Léopold  II",
                         "Chaussée de Bruxelles", "Cœur"])  # fmt: skip
    assert kbo.normalise_street(streets).tolist() == [
        "rue de l ange", "rue de l ange", "heikant", "avenue leopold ii", "chaussee de bruxelles",
        "coeur",
    ]  # fmt: skip
    numbers = pd.Series(["12A", "12 a", "012-a", "7", "3/1"])
    assert kbo.normalise_house_number(numbers).tolist() == ["12a", "12a", "12a", "7", "31"]


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("47110", "food"), ("47.11", "food"), ("47190", "other_retail"), ("47242", "food"),
        ("47260", "other_retail"), ("47300", "other_retail"), ("47410", "household"),
        ("47591", "household"), ("47610", "culture_leisure"), ("47640", "culture_leisure"),
        ("47711", "fashion"), ("47721", "fashion"), ("47730", "health_beauty"),
        ("47750", "health_beauty"), ("47760", "household"), ("47770", "fashion"),
        ("47782", "other_retail"), ("47792", "fashion"), ("47793", "other_retail"),
        ("4764001", "culture_leisure"), ("56101", "horeca"), ("56301", "horeca"),
        ("55100", "horeca"), ("55201", "other"), ("96021", "personal_services"),
        ("96210", "personal_services"), ("96030", "other"), ("96300", "other"),
        ("95230", "personal_services"), ("10711", "other"), ("01110", "other"),
    ],
)  # fmt: skip
def test_commerce_category(code, category):
    assert kbo.commerce_category(pd.Series([code])).tolist() == [category]


def test_commerce_category_missing_code_stays_missing():
    assert kbo.commerce_category(pd.Series(["47110", None])).isna().tolist() == [False, True]


def test_categories_file_is_well_formed():
    table = pd.read_csv(kbo.CATEGORIES_CSV, dtype=str)
    assert list(table.columns) == ["nace_prefix", "category", "label_fr", "label_en"]
    assert table["nace_prefix"].is_unique and table["nace_prefix"].str.fullmatch(r"\d{2,5}").all()
    assert set(table["category"]) == {"food", "fashion", "health_beauty", "household",
                                      "culture_leisure", "other_retail", "horeca",
                                      "personal_services"}  # fmt: skip


def test_nace_labels_mini():
    labels = kbo.nace_labels(MINI).set_index(["nace_version", "nace_code"])
    assert len(labels) == 2
    label = labels.loc[("2025", "47711"), "label_nl"]
    assert label == "Detailhandel in bovenkleding voor dames en heren"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.realdata
def test_real_kbo_update_extract():
    folder = realdata_a(REAL_KBO)
    result = kbo.read_kbo(folder)
    provenance = {"activity": 425, "enterprise": 28, "establishment": 22, "address": 68}
    for name, expected in provenance.items():
        independent = len(_csv_rows(folder / f"{name}_insert.csv"))
        assert independent == expected
        assert result[name].rows_in == expected
        assert len(result[name].table) + len(result[name].quarantine) == expected
    assert all(len(r.quarantine) == 0 for r in result.values())  # every entity number checks
    activity = result["activity"].table
    rows = _csv_rows(folder / "activity_insert.csv")
    assert activity["nace_version"].value_counts().to_dict() == pd.Series(
        [r["NaceVersion"] for r in rows]).value_counts().to_dict()  # fmt: skip
    seven = sum(len(r["NaceCode"]) == 7 for r in rows)
    assert (activity["nace_code"].str.len() == 7).sum() == seven == 141
    zipcode = result["address"].table["zipcode"].astype(int)
    assert (zipcode.between(1300, 1499) | zipcode.between(4000, 7999)).sum() == 10  # Wallonia


@pytest.mark.realdata
def test_real_kbo_located_against_own_addresses():
    """Points made from the extract's own addresses: every establishment is located."""
    folder = realdata_a(REAL_KBO)
    tables = kbo.read_kbo(folder)
    addr = tables["address"].table
    points = addr.rename(columns={"zipcode": "postcode"})[list(kbo.POINT_COLUMNS[:5])]
    points = points.assign(lon=4.35, lat=50.85)
    result = kbo.locate_establishments(tables, points)
    assert result.rows_in == 22 and len(result.table) == 22
    assert result.table["category"].notna().all()
    named = result.table.set_index("establishment_number")["name"]
    assert named.loc["2.190.171.611"] == "Farrauto's"


@pytest.mark.realdata
def test_real_code_csv_labels():
    folder = realdata_a(REAL_KBO)
    labels = kbo.nace_labels(folder).set_index(["nace_version", "nace_code"])
    independent = {(r["Category"][4:], r["Code"]) for r in _csv_rows(folder / "code.csv")
                   if r["Category"].startswith("Nace")}  # fmt: skip
    assert len(labels) == len(independent) == 10_438
    assert labels.loc[("2008", "47241"), "label_fr"].startswith("Commerce de détail de pain")
    assert labels.loc[("2008", "96021"), "label_fr"] == "Coiffure"


def test_locate_prefers_a_commerce_main_activity(mini, points):
    """Two MAIN activities of the same version: the shop one wins over consultancy."""
    tables = {k: v.table for k, v in mini.items()}
    extra = pd.DataFrame({"entity_number": ["2.100.000.609"] * 2, "activity_group": ["003"] * 2,
                          "nace_version": ["2008"] * 2, "nace_code": ["70220", "47762"],
                          "classification": ["MAIN"] * 2})  # fmt: skip
    tables["activity"] = pd.concat([tables["activity"], extra], ignore_index=True)
    result = kbo.locate_establishments(tables, points.table)
    row = result.table.set_index("establishment_number").loc["2.100.000.609"]
    assert (row["nace_code"], row["category"], row["name"]) == ("47762", "household",
                                                                "Épicerie du Coin")  # fmt: skip
    assert result.quarantine["reason"].tolist() == ["no address", "no address point", "no address"]


# -- fallback geocoder: postcode centroids (issue 9) ---------------------------------------

POSTCODES = "5000,Namur,4.8719854,50.4665284\n5000,Beez,4.9164,50.4730\n4031,Angleur,5.59,50.61\n"


def test_read_postcodes_and_centroids(tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES + "50000,Nowhere,4.8,50.4\n4800,Verviers,50.59,5.86\n")
    result = kbo.read_postcodes(path)
    assert result.quarantine[["row_number", "reason"]].values.tolist() == [
        [4, "malformed postcode"], [5, "lat/lon swapped"],
    ]  # fmt: skip
    assert result.rows_in == 5 and len(result.table) == 3
    centroids = kbo.postcode_centroids(result).set_index("postcode")
    assert centroids.loc["5000", "lon"] == pytest.approx((4.8719854 + 4.9164) / 2)
    assert centroids.loc["4031", "lat"] == pytest.approx(50.61)


def test_locate_without_address_points_falls_back_to_postcode_centroids(tmp_path, mini):
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES)
    result = kbo.locate_establishments(mini, None, kbo.read_postcodes(path))
    assert result.rows_in == 7 and result.balanced
    table = result.table.set_index("establishment_number")
    assert set(table["geocode_precision"]) == {"postcode"}
    assert table.loc["2.100.000.213", "lat"] == pytest.approx(50.61)  # 4031
    reasons = result.quarantine.set_index("row_number")["reason"].to_dict()
    # 8550 and 4800 are not in the postcode list; 4000's address is struck off
    assert "no address point and no postcode centroid" in reasons.values()
    assert all(r in {"no address", "no activity", "no address point and no postcode centroid"}
               for r in reasons.values())


def test_locate_mixes_address_and_postcode_precision(tmp_path, mini, points):
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES + "4800,Verviers,5.86,50.59\n")
    without = kbo.locate_establishments(mini, points)
    result = kbo.locate_establishments(mini, points, kbo.read_postcodes(path))
    precision = result.table.set_index("establishment_number")["geocode_precision"]
    assert (precision[without.table["establishment_number"]] == "address").all()
    assert (precision == "postcode").sum() == len(result.table) - len(without.table) > 0
    assert result.balanced


@pytest.mark.realdata
def test_real_kbo_update_located_by_real_postcode_list():
    folder = realdata_a(REAL_KBO)
    postcodes = kbo.read_postcodes(realdata_a("06_other/zipcode-belgium.csv"))
    assert postcodes.rows_in == 2757 and postcodes.quarantine.empty
    assert postcodes.table["postcode"].nunique() > 1100
    tables = kbo.read_kbo(folder)
    result = kbo.locate_establishments(tables, None, postcodes)
    assert result.rows_in == 22 and result.balanced
    assert len(result.table) == 22 and set(result.table["geocode_precision"]) == {"postcode"}
    x0, y0, x1, y1 = kbo.BELGIUM_BBOX
    assert result.table["lon"].between(x0, x1).all() and result.table["lat"].between(y0, y1).all()
    # the real list has several localities per postcode: the centroid is their mean
    first = result.table.iloc[0]
    rows = postcodes.table[postcodes.table["postcode"] == first["zipcode"]]
    assert first["lon"] == pytest.approx(rows["lon"].mean())
