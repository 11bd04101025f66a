"""Gold: the online half of the customer journey per commune (the merchant survey's indicators:
buying and being recommended online). The engine is ``pipelines.online``."""

import dagster as dg

from assets.common import OWNERS, materialize
from assets.declared import Inputs
from assets.resources import LakeResource
from pipelines.online import INDICATORS, OSM_INDICATORS, online_journey

KEY = dg.AssetKey(["gold", "online_journey"])
INPUTS = Inputs("silver.merchant_survey", "silver.shops", "silver.communes")


@dg.asset(
    key=KEY,
    deps=INPUTS.deps,
    group_name="gold",
    kinds={"python", "parquet"},
    owners=OWNERS,
    description=(
        "The online journey per commune, from the merchant survey (intention -> purchase online "
        "-> review): " + ", ".join(i.code for i in INDICATORS) + "; and from the shops' OSM tags "
        "for every commune: " + ", ".join(i.code for i in OSM_INDICATORS) + ". One row per "
        "commune and indicator with stage, value, unit, respondents (shops surveyed), shops and "
        "status; a commune without a survey has its survey indicators not_computable with "
        "needs = [survey]."
    ),
    check_specs=[
        dg.AssetCheckSpec("one_row_per_commune_indicator", asset=KEY, description="Every commune has every online indicator once."),
        dg.AssetCheckSpec("shares_in_range", asset=KEY, description="Shares lie between 0 and 100 %."),
    ],
)
def online_journey_asset(lake: LakeResource) -> dg.MaterializeResult:
    read = INPUTS.reader(lake.lake).read
    result = online_journey(read("silver.merchant_survey"), read("silver.shops"), read("silver.communes"))
    return materialize(lake.lake, KEY, result)


assets = [online_journey_asset]
EXPORTS: dict[str, str] = {}
