"""What every asset module shares: owners, metadata builders, and the one way an engine result
becomes a materialisation (:func:`materialize`: write, describe, check)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg
import geopandas as gpd
import pandas as pd

from pipelines.lake import Lake
from pipelines.quarantine import ReadResult, empty_quarantine
from pipelines.results import Check, TableResult

OWNERS = ["team:smartcommerce"]


def preview_md(frame: pd.DataFrame, rows: int = 5, max_width: int = 40) -> dg.MetadataValue:
    """A small Markdown table of the first rows (geometry shown as its type)."""
    head = pd.DataFrame(frame.head(rows))
    if isinstance(frame, gpd.GeoDataFrame):
        head[frame.geometry.name] = frame.geometry.head(rows).geom_type.to_numpy()
    cols = list(head.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in head.iterrows():
        cells = [str(v)[:max_width].replace("|", "/").replace("\n", " ") for v in row.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    """The table's columns and types as Dagster shows them (the asset's Columns tab)."""
    columns = []
    for name, dtype in frame.dtypes.items():
        kind = "geometry (EPSG:4326)" if isinstance(frame, gpd.GeoDataFrame) and name == frame.geometry.name else str(dtype)
        columns.append(dg.TableColumn(name=str(name), type=kind))
    return dg.TableSchema(columns=columns)


def table_metadata(frame: pd.DataFrame, path: str | None = None) -> dict[str, object]:
    """Row count, column schema, bbox (geo), preview and path of a written table."""
    meta: dict[str, object] = {
        "dagster/row_count": len(frame),
        "dagster/column_schema": column_schema(frame),
        "preview": preview_md(frame),
    }
    if isinstance(frame, gpd.GeoDataFrame) and len(frame):
        meta["bbox"] = ", ".join(f"{v:.5f}" for v in frame.total_bounds)
    if path:
        meta["path"] = dg.MetadataValue.path(path)
    return meta


def write_read_results(
    lake: Lake, source: str, results: Mapping[str, ReadResult], day: str | None = None
) -> dict[str, int]:
    """Write each accepted table to ``bronze/<name>`` and all quarantine rows of ``source``
    to ``bronze/quarantine/<source>``; return counts per table plus totals."""
    counts: dict[str, int] = {}
    quarantines = []
    for name, result in results.items():
        lake.write(result.table, "bronze", name, day)
        counts[f"rows_{name}"] = len(result.table)
        counts[f"rows_in_{name}"] = int(result.rows_in or 0)
        quarantines.append(result.quarantine)
    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else empty_quarantine()
    quarantine["source_file"] = landing_relative(quarantine["source_file"], lake)
    lake.write(quarantine, "bronze", f"quarantine/{source}", day)
    counts["quarantined"] = len(quarantine)
    counts["rows_in"] = sum(int(r.rows_in or 0) for r in results.values())
    counts["rows_accepted"] = sum(len(r.table) for r in results.values())
    return counts


def landing_relative(paths: pd.Series, lake: Lake) -> pd.Series:
    """Landing files named relative to the landing zone (``kbo/activity.csv``): the same on
    every machine and data root, and no local path leaks into the lake."""
    prefix = str(lake.landing).rstrip("/") + "/"
    return paths.astype("string").str.removeprefix(prefix)


def read_results_metadata(results: Mapping[str, ReadResult]) -> dict[str, object]:
    """Preview of each accepted table and the quarantined rows counted by reason."""
    meta: dict[str, object] = {f"preview_{name}": preview_md(r.table) for name, r in results.items()}
    quarantine = pd.concat([r.quarantine for r in results.values()], ignore_index=True)
    if len(quarantine):
        by_reason = quarantine.groupby(["source_file", "reason"]).size().reset_index(name="rows")
        meta["quarantine_by_reason"] = preview_md(by_reason, rows=50, max_width=80)
    return meta


def check_results(checks: Iterable[Check], key: dg.AssetKey | None = None) -> list[dg.AssetCheckResult]:
    """Dagster check results of the engine's checks (``key`` for multi-assets); a check marked
    ``warn`` fails as a warning, every other as an error."""
    return [
        dg.AssetCheckResult(
            asset_key=key,
            check_name=c.name,
            passed=bool(c.passed),
            metadata=c.metadata,
            severity=dg.AssetCheckSeverity.WARN if c.warn else dg.AssetCheckSeverity.ERROR,
        )
        for c in checks
    ]


def describe(result: TableResult, path: object = None, key: dg.AssetKey | None = None) -> dg.MaterializeResult:
    """The materialisation of a written table: its metadata, the engine's figures, its checks."""
    meta = {**table_metadata(result.frame, str(path) if path is not None else None), **result.metadata}
    return dg.MaterializeResult(asset_key=key, metadata=meta, check_results=check_results(result.checks, key))


def materialize(lake: Lake, key: dg.AssetKey, result: TableResult, *, multi: bool = False, daily: bool = False) -> dg.MaterializeResult:
    """Write ``result.frame`` as the lake table of ``key`` (one file per ``day`` value when
    ``daily``) and describe it. ``multi``: the asset is one of several of a multi-asset."""
    at = key if multi else None
    if not daily:
        return describe(result, lake.write(result.frame, *key.path), at)
    if len(result.frame):
        for day, frame in result.frame.groupby("day", observed=True):
            lake.write(frame.reset_index(drop=True), *key.path, str(day))
    meta = {"dagster/row_count": len(result.frame), **result.metadata}
    return dg.MaterializeResult(asset_key=at, metadata=meta, check_results=check_results(result.checks, at))
