"""Every write of compliance, one module per area."""
