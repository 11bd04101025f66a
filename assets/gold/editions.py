"""Gold: editions of the audit (one per run date) and the evolution since the previous one.
The engine is ``pipelines.canvas.editions`` (no Dagster there)."""


from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from assets.common import OWNERS, check_results, preview_md, table_metadata
from assets.declared import Inputs
from assets.resources import LakeResource
from pipelines.canvas import editions as engine
from pipelines.results import Check

EDITIONS_KEY, EVOLUTION_KEY = ["gold", "canvas_editions"], ["gold", "canvas_evolution"]
INPUTS = Inputs("gold.canvas_pillars", "gold.actions")
LOCAL = ZoneInfo("Europe/Brussels")


class EditionConfig(dg.Config):
    """``day``: the edition's date (YYYY-MM-DD); empty = today in Europe/Brussels.
    ``previous``: the edition to compare with (e.g. the previous audit's date, when nightly
    runs made editions in between); empty = the latest edition before ``day``."""

    day: str = ""
    previous: str = ""


def _spec(key: list[str], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=INPUTS.deps, group_name="gold", kinds={"python", "parquet"}, owners=OWNERS, description=description)


@dg.multi_asset(
    specs=[
        _spec(EDITIONS_KEY, "The editions of the audit, one per run date (lake/gold/canvas_editions/day=<date>/part.parquet): per commune the goalposts and references versions, the pillar scores with their intervals and the plan with each action's status (proposed, validated, rejected, added). A second run on the same day replaces that day's edition; an earlier day is never rewritten."),
        _spec(EVOLUTION_KEY, "The evolution since the previous edition of the audit: per commune and pillar the previous edition's date and score, this one's, the change (only when both used the same goalposts version) and its French reading, and what became of the previous plan's actions."),
    ],
    check_specs=[dg.AssetCheckSpec("one_edition_per_day", asset=EDITIONS_KEY, description="This run's edition has one row per commune and pillar, and no earlier edition was rewritten.")],
)
def canvas_editions(config: EditionConfig, lake: LakeResource):  # noqa: ANN201
    lk = lake.lake
    reader = INPUTS.reader(lk)
    day = config.day or datetime.now(LOCAL).date().isoformat()
    before = {d: lk.table_path("gold", "canvas_editions", d) for d in lk.days("gold", "canvas_editions") if d != day}
    current = engine.edition(reader.read("gold.canvas_pillars"), reader.read("gold.actions"), day)
    path = lk.write(current, *EDITIONS_KEY, day)  # the gold table's own partitions: read back below
    previous_day = engine.previous_day(list(before), day, config.previous or None)
    previous = lk.read(*EDITIONS_KEY, previous_day) if previous_day else None
    evolution = engine.evolution(current, previous)
    yield dg.MaterializeResult(asset_key=dg.AssetKey(EDITIONS_KEY), metadata={
        **table_metadata(current, str(path)), "edition": day, "previous_edition": previous_day or "none", "editions": len(before) + 1})
    meta = table_metadata(evolution, str(lk.write(evolution, *EVOLUTION_KEY)))
    meta["by_reading"] = preview_md(evolution.groupby("evolution_fr").size().reset_index(name="rows"), rows=10)
    yield dg.MaterializeResult(asset_key=dg.AssetKey(EVOLUTION_KEY), metadata=meta)
    pillars = current[current["record"] == "pillar"]
    kept = all(lk.exists(*EDITIONS_KEY, d) for d in before)
    check = Check("one_edition_per_day", not pillars.duplicated(["nis", "pillar"]).any() and kept,
                  {"edition": day, "pillar_rows": len(pillars), "earlier_editions_kept": kept})
    yield check_results([check], dg.AssetKey(EDITIONS_KEY))[0]


assets = [canvas_editions]
EXPORTS: dict[str, str] = {}
