"""Compliance views, one module per area."""
