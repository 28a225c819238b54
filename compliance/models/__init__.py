"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

from compliance.models.privacy import (
    ConsentRecord,
    DoNotContactEntry,
    PayoutAccount,
    RetentionPolicy,
    RetentionRun,
)

__all__ = [
    "ConsentRecord",
    "DoNotContactEntry",
    "PayoutAccount",
    "RetentionPolicy",
    "RetentionRun",
]
