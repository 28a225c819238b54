from agents.models.events import Event, Notification
from agents.models.people import Agent, Brokerage, Office, Team, agent_photo_upload_to
from agents.models.webhooks import (
    IncomingWebhook,
    IncomingWebhookLog,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "Agent",
    "Brokerage",
    "Event",
    "IncomingWebhook",
    "IncomingWebhookLog",
    "Notification",
    "Office",
    "Team",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "agent_photo_upload_to",
]
