"""6 Online visibility: shares of shops with a website and with published opening hours
(OSM tags), and of registry (KBO/BCE) shops found in OpenStreetMap."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipelines.friction.inputs import Context
from pipelines.friction.rows import by_commune_and_district, figure_rows, keys, share
from pipelines.friction.spec import Family, Indicator

INDICATORS = (
    Indicator("online_website_share", "%", "osm", "Commerces avec un site web",
              "Shops with a website", "silver.shops with a website (OSM tag)"),
    Indicator("online_opening_hours_share", "%", "osm",
              "Commerces avec des heures d'ouverture publiées", "Shops with published opening hours",
              "silver.shops with opening_hours (OSM tag)"),
    Indicator("online_osm_match_share", "%", "kbo+osm",
              "Commerces du registre (BCE) présents dans OpenStreetMap",
              "Registry (KBO/BCE) shops found in OpenStreetMap",
              "KBO/BCE shops conflated with an OSM shop (source kbo+osm) among KBO/BCE shops"),
)  # fmt: skip


def _present(values: pd.Series) -> pd.Series:
    return values.notna() & values.astype("string").str.strip().ne("").fillna(False)


def online_visibility(
    shops: pd.DataFrame, district_nis: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Shares of shops with a website, with opening hours, and of registry shops in OSM.

    Parameters
    ----------
    shops : pandas.DataFrame
        ``silver.shops``: nis, district_id, source (``kbo``, ``osm`` or ``kbo+osm``),
        website, opening_hours.

    Returns
    -------
    pandas.DataFrame
        ``online_website_share`` and ``online_opening_hours_share`` (% of all shops),
        ``online_osm_match_share`` (% of the KBO/BCE shops that have a matching OSM record,
        i.e. source ``kbo+osm`` among ``kbo`` and ``kbo+osm``), ``shops``.
    """

    # what each shop shows, read once; each commune and district then sums numpy columns
    frame = shops.assign(
        _website=_present(shops["website"]).to_numpy(bool),
        _hours=_present(shops["opening_hours"]).to_numpy(bool),
        _registry=shops["source"].isin(["kbo", "kbo+osm"]).to_numpy(bool),
        _matched=shops["source"].eq("kbo+osm").to_numpy(dtype=bool, na_value=False),
    )

    def compute(part: pd.DataFrame) -> dict[str, float]:
        return {
            "online_website_share": share(part["_website"].to_numpy().sum(), len(part)),
            "online_opening_hours_share": share(part["_hours"].to_numpy().sum(), len(part)),
            "online_osm_match_share": share(part["_matched"].to_numpy().sum(), part["_registry"].to_numpy().sum()),
            "shops": len(part),
        }

    return by_commune_and_district(frame, compute, district_nis)


def rows(ctx: Context) -> list[pd.DataFrame]:
    """The rows of the visibility indicators."""
    frame = online_visibility(ctx.inputs.shops, ctx.district_nis)
    return figure_rows(frame, keys(ctx.places, ctx.communes), {i.code: i.reference() for i in INDICATORS})


FAMILY = Family(6, "online visibility", INDICATORS, static=rows)
