"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

from compliance.models.security import SecurityEvent, SecurityEventKind

__all__ = ["SecurityEvent", "SecurityEventKind"]
