"""The KBO/BCE open-data files of the demo territory, and the address points.

``write_kbo`` writes the six CSVs of the published extract (``enterprise``,
``establishment``, ``activity``, ``address``, ``denomination``, ``code``; every field
quoted, dates ``dd-mm-yyyy``) and ``kbo/address_points.csv``, one function per file. A few
defects are injected at rows drawn from the ``kbo-defects`` stream (:class:`KboDefects`);
each is documented, with the 1-based data row where it lands, in ``business.defects``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo import writers
from pipelines.demo._common import stream, to_lonlat
from pipelines.demo._kbo_codes import JURIDICAL_FORM, NACE_2008, OTHER_CODES
from pipelines.demo.business import Business, defect

KBO_FILES = ("enterprise", "establishment", "activity", "address", "denomination", "code")
HEADERS: dict[str, tuple[str, ...]] = {
    "enterprise": (
        "EnterpriseNumber",
        "Status",
        "JuridicalSituation",
        "TypeOfEnterprise",
        "JuridicalForm",
        "JuridicalFormCAC",
        "StartDate",
    ),
    "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
    "activity": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
    "address": (
        "EntityNumber",
        "TypeOfAddress",
        "CountryNL",
        "CountryFR",
        "Zipcode",
        "MunicipalityNL",
        "MunicipalityFR",
        "StreetNL",
        "StreetFR",
        "HouseNumber",
        "Box",
        "ExtraAddressInfo",
        "DateStrikingOff",
    ),
    "denomination": ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    "code": ("Category", "Code", "Language", "Description"),
}
"""Header of each KBO file, as published."""
ADDRESS_POINT_HEADER = (
    "postcode",
    "municipality_fr",
    "street_fr",
    "street_nl",
    "house_number",
    "lon",
    "lat",
)


@dataclass(frozen=True)
class KboDefects:
    """Rows (positions among the KBO establishments) that get an injected defect."""

    no_point: np.ndarray
    """Shops whose house number has no address point (number + 400)."""
    bad_nace: np.ndarray
    """Shops with a second, malformed NACE code (``47.11``, ``4711``)."""
    bad_date: int
    """A shop whose start date is ``31-02-2020``."""
    nl_only: np.ndarray
    """Shops whose address has no StreetFR (valid: joins on StreetNL)."""
    no_activity: np.ndarray
    """Offices (not chains, not the commune) without any activity row."""

    @classmethod
    def draw(cls, rng: np.random.Generator, est: pd.DataFrame) -> KboDefects:
        shops = np.flatnonzero((est["kind"] == "shop").to_numpy())
        offices = np.flatnonzero(
            (est["kind"] == "office").to_numpy()
            & (est["nace"] != "84114").to_numpy()
            & (est["chain"] == "").to_numpy()
        )
        picks = rng.permutation(shops)
        return cls(
            no_point=picks[:3],
            bad_nace=picks[3:5],
            bad_date=int(picks[5]),
            nl_only=picks[6:9],
            no_activity=rng.permutation(offices)[:2],
        )


def _d(day: date | str) -> writers.Unquoted:
    text = day if isinstance(day, str) else day.strftime("%d-%m-%Y")
    return writers.Unquoted(text)


def write_kbo(business: Business, landing: Path, seed: int) -> dict[str, int]:
    """Write the six KBO open-data CSVs and the address points, with a few defects.

    Parameters
    ----------
    business : Business
        What the business generator decided; its ``defects`` list is extended with the
        injected defects (file, 1-based data row, reason, key, detail).
    landing : Path
        The landing folder; files go to ``landing/kbo/``.
    seed : int
        Seed of the ``kbo-defects`` stream.

    Returns
    -------
    dict[str, int]
        ``kbo/<file>.csv`` -> data rows.
    """
    est = business.establishments[business.establishments["in_kbo"]].reset_index(drop=True)
    ent = business.enterprises
    bad = KboDefects.draw(stream(seed, "kbo-defects"), est)
    defects = business.defects
    rows = {
        "enterprise": _enterprise_rows(ent),
        "establishment": _establishment_rows(est, bad, defects),
        "activity": _activity_rows(est, ent, bad, defects),
        "address": _address_rows(est, ent, business.addresses, bad, defects),
        "denomination": _denomination_rows(est, ent),
        "code": _code_rows(est),
    }
    root = landing / "kbo"
    out = {
        f"kbo/{name}.csv": writers.write_csv(
            root / f"{name}.csv", HEADERS[name], rows[name], quote_all=True
        )
        for name in KBO_FILES
    }
    out["kbo/address_points.csv"] = write_address_points(business.addresses, root)
    for k in bad.nl_only:
        defects.append(
            defect(
                "kbo/address.csv",
                int(k) + 1,
                "(valid) StreetFR empty",
                est["establishment_number"].iat[int(k)],
                "joins on StreetNL",
                valid=True,
            )
        )
    return out


def _enterprise_rows(ent: pd.DataFrame) -> list[tuple]:
    return [
        (e.enterprise, "AC", "000", e.type, e.form or None, None, _d(e.start))
        for e in ent.itertuples()
    ]


def _establishment_rows(est: pd.DataFrame, bad: KboDefects, defects: list[dict]) -> list[tuple]:
    rows = []
    for k, e in enumerate(est.itertuples()):
        start = _d("31-02-2020") if k == bad.bad_date else _d(e.start)
        if k == bad.bad_date:
            defects.append(
                defect(
                    "kbo/establishment.csv",
                    len(rows) + 1,
                    "invalid date",
                    e.establishment_number,
                    "StartDate 31-02-2020",
                )
            )
        rows.append((e.establishment_number, start, e.enterprise))
    return rows


def _activity_rows(
    est: pd.DataFrame, ent: pd.DataFrame, bad: KboDefects, defects: list[dict]
) -> list[tuple]:
    """Each enterprise's main activity (that of its first establishment), then each
    establishment's, with the malformed codes and the establishments without activity."""
    rows = []
    first_nace = dict(zip(est["enterprise"][::-1], est["nace"][::-1], strict=True))
    silent = set(est["enterprise"].iloc[bad.no_activity])  # their enterprise has none either
    for e in ent.itertuples():
        nace = first_nace.get(e.enterprise, "")
        if nace and e.enterprise not in silent:
            rows.append((e.enterprise, "001", "2008", nace, "MAIN"))
    no_activity, bad_nace = set(bad.no_activity.tolist()), bad.bad_nace.tolist()
    for k, e in enumerate(est.itertuples()):
        if k in no_activity:
            defects.append(
                defect(
                    "kbo/establishment.csv",
                    k + 1,
                    "no activity",
                    e.establishment_number,
                    "establishment without any activity row",
                )
            )
            continue
        rows.append((e.establishment_number, "001", "2008", e.nace, "MAIN"))
        if k in bad_nace:
            code = "47.11" if k == bad_nace[0] else "4711"
            rows.append((e.establishment_number, "001", "2008", code, "SECO"))
            defects.append(
                defect(
                    "kbo/activity.csv",
                    len(rows),
                    "malformed NACE code",
                    e.establishment_number,
                    f"NaceCode {code}",
                )
            )
    return rows


def _address_rows(
    est: pd.DataFrame,
    ent: pd.DataFrame,
    addresses: pd.DataFrame,
    bad: KboDefects,
    defects: list[dict],
) -> list[tuple]:
    """The establishments' addresses (``BAET``), then the chains' Brussels seats (``REGO``)."""
    cols = {
        k: addresses[k].to_numpy()
        for k in (
            "postcode",
            "municipality_nl",
            "municipality_fr",
            "street_nl",
            "street_fr",
            "house_number",
        )
    }
    no_point, nl_only = set(bad.no_point.tolist()), set(bad.nl_only.tolist())
    rows: list[tuple] = []
    for k, e in enumerate(est.itertuples()):
        i = e.address_id
        number = cols["house_number"][i]
        if k in no_point:
            number = str(int(number) + 400)
            defects.append(
                defect(
                    "kbo/address.csv",
                    len(rows) + 1,
                    "no address point",
                    e.establishment_number,
                    f"{cols['street_fr'][i]} {number}, {cols['postcode'][i]}",
                )
            )
        street_fr = None if k in nl_only else cols["street_fr"][i]
        rows.append(
            (
                e.establishment_number,
                "BAET",
                None,
                None,
                cols["postcode"][i],
                cols["municipality_nl"][i],
                cols["municipality_fr"][i],
                cols["street_nl"][i],
                street_fr,
                number,
                "",
                "",
                None,
            )
        )
    for e in ent[ent["type"] == "2"].itertuples():
        if e.chain:
            rows.append(
                (
                    e.enterprise,
                    "REGO",
                    None,
                    None,
                    "1000",
                    "Brussel",
                    "Bruxelles",
                    "Anspachlaan",
                    "Boulevard Anspach",
                    str(10 + len(rows) % 80),
                    "",
                    "",
                    None,
                )
            )
    return rows


def _denomination_rows(est: pd.DataFrame, ent: pd.DataFrame) -> list[tuple]:
    rows = [
        (e.enterprise, "0" if e.type == "1" else "1", "001", e.name) for e in ent.itertuples()
    ]
    rows += [(e.establishment_number, "1", "003", e.name) for e in est.itertuples()]
    return rows


def _code_rows(est: pd.DataFrame) -> list[tuple]:
    """The code table: the fixed categories, every juridical form, the NACE codes used."""
    rows = [(cat, code, lang, text) for cat, code, lang, text in OTHER_CODES]
    for form in sorted(JURIDICAL_FORM):
        fr, nl = JURIDICAL_FORM[form]
        rows += [("JuridicalForm", form, "FR", fr), ("JuridicalForm", form, "NL", nl)]
    for nace in sorted(set(est["nace"]) & set(NACE_2008)):
        fr, nl = NACE_2008[nace]
        rows += [("Nace2008", nace, "FR", fr), ("Nace2008", nace, "NL", nl)]
    return rows


def write_address_points(addresses: pd.DataFrame, root: Path) -> int:
    """Write ``address_points.csv`` (WGS84, 7 decimals) under ``root``; return its rows."""
    lon, lat = to_lonlat(addresses["x"].to_numpy(), addresses["y"].to_numpy())
    rows = zip(
        addresses["postcode"],
        addresses["municipality_fr"],
        addresses["street_fr"],
        addresses["street_nl"],
        addresses["house_number"],
        [f"{v:.7f}" for v in lon],
        [f"{v:.7f}" for v in lat],
        strict=True,
    )
    return writers.write_csv(root / "address_points.csv", ADDRESS_POINT_HEADER, rows)
