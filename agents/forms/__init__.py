"""Forms of the brokerage's pages, one module per area."""
