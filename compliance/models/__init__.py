"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

from compliance.models.licences import Licence, LicenceAlert
from compliance.models.mls import ExportAlert, ListingAccess, MLSDisplayRule

__all__ = ["ExportAlert", "Licence", "LicenceAlert", "ListingAccess", "MLSDisplayRule"]
