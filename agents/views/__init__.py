"""Pages of the brokerage: dashboards (``dashboards``), and one module per further area."""
