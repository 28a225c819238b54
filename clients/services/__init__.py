"""Every write to clients, leads, searches and showings, one module per area.

``people`` (clients, preferences, timeline, tasks), ``intake`` (web form, imports, routing,
merging), ``alerts`` (saved searches and listing alerts) and ``showings`` (calendar).
"""
