"""Source families as the Canvas shows them: French label, provider, licence and required flag
come from :data:`pipelines.availability.FAMILIES`, and so does the family of each bronze table."""

from __future__ import annotations

from pipelines import availability
from pipelines.availability import Family


def family_info() -> dict[str, Family]:
    """Every source family by name."""
    return dict(availability.FAMILIES)


def labels_fr() -> dict[str, str]:
    """French label of every family."""
    return {name: family.label_fr for name, family in availability.FAMILIES.items()}


def family_of(name: str) -> str | None:
    """The source family of a bronze asset or table (``wifi_counts`` -> ``wifi``)."""
    return availability.family_of_bronze(name)
