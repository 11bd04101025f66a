"""Catchment areas (*zones de chalandise*).

``huff`` holds the Huff model, its maximum-likelihood calibration and the catchment tiers
(re-exported here: ``pipelines.catchment.huff_probabilities``); ``area`` the travel costs
from H3 cells to shopping districts per mode; ``isochrones`` the bulk isochrone polygons;
``model`` the Huff and tier tables of the gold assets; ``revealed`` the catchment observed
in voucher transactions and OD flows.
"""

from pipelines.catchment.huff import (
    CalibrationResult,
    calibrate_beta,
    catchment_tiers,
    expected_customers,
    huff_log_likelihood,
    huff_pair_probabilities,
    huff_probabilities,
    reachable_origins,
)

__all__ = [
    "CalibrationResult",
    "calibrate_beta",
    "catchment_tiers",
    "expected_customers",
    "huff_log_likelihood",
    "huff_pair_probabilities",
    "huff_probabilities",
    "reachable_origins",
]
