"""Every write to brokerages and their people, one module per area.

``people`` (brokerages, offices, teams, agents and roles), ``events`` (the domain event log and its
fan-out), ``incoming`` (signed requests from other systems), ``webhooks`` (outgoing
subscriptions and their deliveries) and ``notifications`` (the agents' feed and alerts).
"""
