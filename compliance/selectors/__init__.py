"""Compliance selectors, one module per area."""
