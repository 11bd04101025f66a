"""The one registry of source families: everything about a source is declared once there."""

from __future__ import annotations

from pathlib import Path

from pipelines import availability, tables
from pipelines.sources import registry

DOCS = Path(__file__).resolve().parents[3] / "docs" / "data-contracts.md"


def test_docs_table_is_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("contracts_table), checked by")
    start = text.index("\n", start) + 1
    end = text.index("<!-- end of source families -->")
    assert text[start:end].strip() == registry.contracts_table()


def test_every_bronze_table_is_typed_once_and_owned_by_one_family():
    declared = [t for b in registry.bronze_assets() for t, spec in b.tables.items() if spec]
    assert len(declared) == len(set(declared))
    assert set(declared) == set(tables.BRONZE)
    for name in declared:
        assert registry.family_of_bronze(name) in registry.FAMILIES, name


def test_every_bronze_asset_belongs_to_a_family_with_landing_files():
    for family in registry.FAMILIES.values():
        for bronze in family.assets:
            assert family.patterns, family.name
            assert registry.family_of_bronze(bronze.name) == family.name


def test_status_scan_has_one_row_per_family(tmp_path):
    frame = availability.scan_landing(tmp_path)
    assert frame["source"].tolist() == list(registry.FAMILIES)
    assert set(frame.loc[frame["required"], "source"]) == {"boundaries", "osm"}


def test_column_spec_shorthand():
    assert registry.columns("nis population:i64 geometry") == (
        ("nis", "str"), ("population", "i64"), ("geometry", "geometry"),
    )
