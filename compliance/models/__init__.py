"""Compliance records: Fair Housing rules and findings, licences, consent, retention, audit."""

__all__ = []
