from clients.models.outreach import (
    Campaign,
    CampaignEnrollment,
    CampaignStep,
    ClientSegment,
    MessageTemplate,
    OutreachAttempt,
    OutreachSettings,
    Suppression,
)
from clients.models.people import Activity, BuyerPreference, Client, LeadSource, Tag, Task
from clients.models.routing import IntakeKey, RoutingDecision, RoutingRule
from clients.models.searches import AlertScan, ListingAlert, SavedSearch
from clients.models.showings import CalendarFeed, Showing

__all__ = [
    "Activity",
    "AlertScan",
    "BuyerPreference",
    "Campaign",
    "CampaignEnrollment",
    "CampaignStep",
    "CalendarFeed",
    "Client",
    "ClientSegment",
    "IntakeKey",
    "LeadSource",
    "ListingAlert",
    "MessageTemplate",
    "OutreachAttempt",
    "OutreachSettings",
    "RoutingDecision",
    "RoutingRule",
    "SavedSearch",
    "Showing",
    "Suppression",
    "Tag",
    "Task",
]
