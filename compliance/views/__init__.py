"""Compliance pages, one module per area."""
