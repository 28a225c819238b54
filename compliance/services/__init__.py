"""Every write of compliance, one module per area (``fair_housing``: advertising rules)."""
