# ruff: noqa: S608  (the SQL is built from numbers and code constants only; the postcodes are bound)
"""A synthetic KBO/BCE full extract at national size, for benchmarks (never committed).

The files have the published headers, quoting and date format (see
``docs/data-contracts.md``), entity numbers with valid mod-97 check digits and postcodes
drawn from a given list, so :func:`pipelines.sources.kbo_full.read_kbo_full` and
:func:`pipelines.sources.kbo.read_kbo` both read them. DuckDB writes them (about 1.5 GB
for 2 M establishments and 20 M activity rows, in about a minute on 2 cores).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

_ENT = (
    "substr(lpad(CAST(b AS VARCHAR), 8, '0') || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 1, 4)"
    " || '.' || substr(lpad(CAST(b AS VARCHAR), 8, '0') || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 5, 3)"
    " || '.' || substr(lpad(CAST(b AS VARCHAR), 8, '0') || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 8, 3)"
)
_EST = (
    "substr(CAST(b AS VARCHAR) || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 1, 1)"
    " || '.' || substr(CAST(b AS VARCHAR) || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 2, 3)"
    " || '.' || substr(CAST(b AS VARCHAR) || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 5, 3)"
    " || '.' || substr(CAST(b AS VARCHAR) || lpad(CAST(97 - b % 97 AS VARCHAR), 2, '0'), 8, 3)"
)
_NACE = ["47110", "47190", "47241", "47711", "56101", "56301", "96021", "62010", "41201", "69201",
         "4764001", "86210", "47730", "45201", "10711"]  # fmt: skip


def generate_full_extract(
    folder: Path,
    postcodes: Sequence[str],
    *,
    establishments: int = 2_000_000,
    activities_per_entity: int = 5,
    seed: int = 11,
) -> dict[str, int]:
    """Write ``enterprise, establishment, activity, address, denomination`` CSVs.

    One enterprise per establishment (so ``establishments`` of each); every entity gets
    ``activities_per_entity`` activity rows (one MAIN in NACE 2008), an address (REGO for
    the enterprise, BAET for the establishment, the same postcode) and a denomination.
    Returns the row count per table.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 100) / 100})")
    con.execute("CREATE TABLE pc AS SELECT unnest($p::VARCHAR[]) AS postcode", {"p": list(postcodes)})
    n, k, m = establishments, activities_per_entity, len(postcodes)
    con.execute(
        f"""CREATE TABLE ids AS SELECT i,
               (SELECT {_ENT} FROM (SELECT 10000000 + i * 3 AS b)) AS ent,
               (SELECT {_EST} FROM (SELECT 20000000 + i * 3 AS b)) AS est,
               (hash(i) % {m})::INTEGER AS pc_i
            FROM range({n}) t(i)"""
    )
    con.execute("CREATE TABLE pcs AS SELECT row_number() OVER () - 1 AS pc_i, postcode FROM pc")
    opts = "(HEADER, QUOTE '\"', FORCE_QUOTE *)"

    def copy(sql: str, name: str) -> None:
        params = {"nace": _NACE} if "$nace" in sql else None
        con.execute(f"COPY ({sql}) TO '{folder / (name + '.csv')}' {opts}", params)

    copy(
        """SELECT ent AS EnterpriseNumber, 'AC' AS Status, '000' AS JuridicalSituation,
                  CASE WHEN i % 3 = 0 THEN '1' ELSE '2' END AS TypeOfEnterprise,
                  CASE WHEN i % 3 = 0 THEN NULL ELSE '014' END AS JuridicalForm,
                  NULL AS JuridicalFormCAC,
                  strftime(DATE '1990-01-01' + (i % 12000)::INTEGER, '%d-%m-%Y') AS StartDate
           FROM ids""",
        "enterprise",
    )
    copy(
        """SELECT est AS EstablishmentNumber,
                  strftime(DATE '1995-01-01' + (i % 10000)::INTEGER, '%d-%m-%Y') AS StartDate,
                  ent AS EnterpriseNumber FROM ids""",
        "establishment",
    )
    copy(
        f"""SELECT CASE WHEN j % 2 = 0 THEN est ELSE ent END AS EntityNumber,
                   lpad(CAST(1 + j % 7 AS VARCHAR), 3, '0') AS ActivityGroup,
                   CASE WHEN j < 2 THEN '2008' ELSE '2025' END AS NaceVersion,
                   list_extract($nace::VARCHAR[], (1 + hash(i * 31 + j) % {len(_NACE)})::INTEGER) AS NaceCode,
                   CASE WHEN j < 2 THEN 'MAIN' ELSE 'SECO' END AS Classification
            FROM ids, range({k}) r(j)""",
        "activity",
    )
    copy(
        """SELECT e AS EntityNumber, t AS TypeOfAddress, NULL AS CountryNL, NULL AS CountryFR,
                  p.postcode AS Zipcode, 'Gemeente ' || p.postcode AS MunicipalityNL,
                  'Commune ' || p.postcode AS MunicipalityFR,
                  'Straat ' || (i % 97) AS StreetNL, 'Rue ' || (i % 97) AS StreetFR,
                  CAST(1 + i % 250 AS VARCHAR) AS HouseNumber, '' AS Box, '' AS ExtraAddressInfo,
                  NULL AS DateStrikingOff
           FROM (SELECT i, pc_i, ent AS e, 'REGO' AS t FROM ids
                 UNION ALL SELECT i, pc_i, est, 'BAET' FROM ids) a
           JOIN pcs p USING (pc_i)""",
        "address",
    )
    copy(
        """SELECT e AS EntityNumber, '2' AS Language, t AS TypeOfDenomination,
                  'Entreprise ' || i AS Denomination
           FROM (SELECT i, ent AS e, '001' AS t FROM ids UNION ALL SELECT i, est, '003' FROM ids)""",
        "denomination",
    )
    return {"enterprise": n, "establishment": n, "activity": n * k, "address": 2 * n,
            "denomination": 2 * n}  # fmt: skip
