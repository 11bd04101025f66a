"""Exports for GIS users (GeoParquet 1.1 + GeoPackage) and the analysts' DuckDB warehouse."""


from collections.abc import Sequence

import dagster as dg

from assets import gold
from assets.common import OWNERS, check_results
from assets.resources import LakeResource
from pipelines.exports import export_check, export_layer
from pipelines.warehouse import build_warehouse

EXPORTED = {
    "communes": ("silver", "Commune boundaries with population and area."),
    "shops": ("silver", "Shops (KBO/BCE conflated with OSM) with category and source."),
    **{name: ("gold", description) for name, description in gold.EXPORTS.items()},
}


def _export_asset(name: str, layer: str, description: str) -> dg.AssetsDefinition:
    key = ["exports", name]

    @dg.asset(
        key=key,
        deps=[dg.AssetKey([layer, name])],
        group_name="exports",
        kinds={"geoparquet", "geopackage"},
        owners=OWNERS,
        description=f"{description} As GeoParquet 1.1 and GeoPackage in exports/ (open the .gpkg in QGIS).",
        check_specs=[dg.AssetCheckSpec("crs_and_rows", asset=key, description="Both files hold every row, in EPSG:4326.")],
    )
    def _asset(lake: LakeResource) -> dg.MaterializeResult:
        lk = lake.lake
        frame = lk.read(layer, name)
        paths = export_layer(frame, lk.exports, name)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "geoparquet": dg.MetadataValue.path(str(paths["geoparquet"])),
                "geopackage": dg.MetadataValue.path(str(paths["geopackage"])),
            },
            check_results=check_results([export_check(frame, paths["geopackage"], name)]),
        )

    return _asset


def lake_comments(upstream: Sequence[dg.AssetsDefinition]) -> dict[str, str]:
    """``layer.name`` -> description of every lake asset (the warehouse's view comments).

    An asset writing tables under other names lists them in its ``lake_tables`` metadata.
    """
    comments: dict[str, str] = {}
    for definition in upstream:
        for spec in definition.specs:
            if spec.key.path[0] not in ("bronze", "silver", "gold"):
                continue
            comments[".".join(spec.key.path)] = spec.description or ""
            tables = spec.metadata.get("lake_tables")
            for table in str(tables).split(",") if tables else []:
                comments[table.strip()] = f"{spec.description} (table {table.strip()})"
    return comments


def written_tables(upstream: Sequence[dg.AssetsDefinition]) -> dict[str, list[str]]:
    """``layer.name`` of every lake asset -> the tables it writes (its ``lake_tables``
    metadata, else its own name)."""
    written: dict[str, list[str]] = {}
    for definition in upstream:
        for spec in definition.specs:
            if spec.key.path[0] in ("bronze", "silver", "gold"):
                key = ".".join(spec.key.path)
                tables = spec.metadata.get("lake_tables")
                written[key] = [t.strip() for t in str(tables).split(",")] if tables else [key]
    return written


def warehouse_asset(upstream: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The warehouse depends on every lake table; view comments are the assets' descriptions."""
    comments = lake_comments(upstream)
    deps = [spec.key for definition in upstream for spec in definition.specs if spec.key.path[0] in ("bronze", "silver", "gold")]

    @dg.asset(
        key=["exports", "warehouse"],
        deps=deps,
        group_name="exports",
        kinds={"duckdb"},
        owners=OWNERS,
        description="data/warehouse.duckdb: schemas bronze, silver, gold of commented views over the Parquet lake, and bronze.quarantine. Open it read-only with the pinned duckdb CLI.",
    )
    def warehouse(lake: LakeResource) -> dg.MaterializeResult:
        counts = build_warehouse(lake.lake, comments)
        table = "\n".join(f"| {k} | {v} |" for k, v in sorted(counts.items()))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(lake.lake.warehouse)),
                "views": len(counts),
                "row_counts": dg.MetadataValue.md("| view | rows |\n|---|---|\n" + table),
            }
        )

    return warehouse


assets = [_export_asset(n, layer, d) for n, (layer, d) in EXPORTED.items()]
