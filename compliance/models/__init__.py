"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

from compliance.models.fair_housing import (
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
)

__all__ = [
    "FairHousingOverride",
    "FairHousingRule",
    "FairHousingScanListing",
    "FairHousingScanRun",
]
