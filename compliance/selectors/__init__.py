"""Reads of compliance that need more than a filter, one module per area."""
