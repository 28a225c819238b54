"""Pages of the brokerage: dashboards (``dashboards``), the notification feed
(``notifications``), and one module per further area."""
