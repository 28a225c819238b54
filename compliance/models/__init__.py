"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

from compliance.models.fair_housing import (
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
)
from compliance.models.licences import Licence, LicenceAlert
from compliance.models.mls import ExportAlert, ListingAccess, MLSDisplayRule
from compliance.models.privacy import (
    ConsentRecord,
    DoNotContactEntry,
    PayoutAccount,
    RetentionPolicy,
    RetentionRun,
)
from compliance.models.security import SecurityEvent, SecurityEventKind

__all__ = [
    "ConsentRecord",
    "DoNotContactEntry",
    "ExportAlert",
    "FairHousingOverride",
    "FairHousingRule",
    "FairHousingScanListing",
    "FairHousingScanRun",
    "Licence",
    "LicenceAlert",
    "ListingAccess",
    "MLSDisplayRule",
    "PayoutAccount",
    "RetentionPolicy",
    "RetentionRun",
    "SecurityEvent",
    "SecurityEventKind",
]
