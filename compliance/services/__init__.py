"""Compliance services, one module per area."""
