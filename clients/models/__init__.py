from clients.models.people import Activity, BuyerPreference, Client, LeadSource, Tag, Task
from clients.models.routing import IntakeKey, RoutingDecision, RoutingRule
from clients.models.searches import AlertScan, ListingAlert, SavedSearch
from clients.models.showings import CalendarFeed, Showing

__all__ = [
    "Activity",
    "AlertScan",
    "BuyerPreference",
    "CalendarFeed",
    "Client",
    "IntakeKey",
    "LeadSource",
    "ListingAlert",
    "RoutingDecision",
    "RoutingRule",
    "SavedSearch",
    "Showing",
    "Tag",
    "Task",
]
