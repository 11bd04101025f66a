"""Dagster resources: the lake root and settings (privacy threshold, pseudonymisation key)."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import PrivateAttr

from pipelines.constants import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV, SUPPRESSION_K
from pipelines.lake import Lake, data_root_from_env


class LakeResource(dg.ConfigurableResource):
    """Where the data lives: ``$SMARTCOMMERCE_DATA`` (default ``./data``).

    The lake object is built once per resource instance (once per run or step process), so an
    object-storage landing zone is synced once, not at every access."""

    root: str
    _lake: Lake | None = PrivateAttr(default=None)

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = Lake(self.root)
        return self._lake


class SettingsResource(dg.ConfigurableResource):
    """Project settings.

    ``suppression_k``: figures from fewer than k devices/customers are suppressed in gold and
    exports. ``pseudonym_key``: the secret of the keyed hash applied to device ids at
    ingestion (set ``SMARTCOMMERCE_PSEUDONYM_KEY`` in production; the default is for the demo).
    """

    suppression_k: int = SUPPRESSION_K
    pseudonym_key: str = DEMO_PSEUDONYM_KEY


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "lake": LakeResource(root=str(data_root_from_env())),
        "settings": SettingsResource(
            pseudonym_key=os.environ.get(PSEUDONYM_KEY_ENV) or DEMO_PSEUDONYM_KEY
        ),
    }
