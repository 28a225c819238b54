"""What the brokerage app does with committed domain events (outgoing webhook deliveries,
notifications) and with new listing alert matches (notifications)."""

import logging

from django.dispatch import receiver

from agents.services.events import event_committed
from clients.signals import listing_alerts_matched

logger = logging.getLogger(__name__)


@receiver(event_committed, dispatch_uid="agents.webhooks.deliveries")
def webhook_deliveries_for_event(sender, event, **kwargs):
    """Each committed event becomes one delivery per subscription that wants it."""
    from agents.services.webhooks import webhook_deliveries_create

    webhook_deliveries_create(event=event)


@receiver(event_committed, dispatch_uid="agents.notifications.event_committed")
def notifications_for_event(sender, event, **kwargs):
    """The people an event concerns hear of it in their notifications."""
    from agents.services.notifications import event_notify

    # A failure here must not keep the webhooks and the other receivers from the event: it is
    # logged, and the event stays in the log to notify again.
    try:
        event_notify(event=event)
    except Exception:
        logger.exception("notifications of event %s (%s) not written", event.pk, event.name)


@receiver(listing_alerts_matched, dispatch_uid="agents.notifications.listing_alerts_matched")
def notifications_for_buyer_matches(sender, after_id, **kwargs):
    """Agents hear of the listings their buyers' saved searches matched."""
    from agents.services.notifications import buyer_match_alerts_create

    # The clients' alert emails go out whatever happens here: a failure is logged, not raised.
    try:
        buyer_match_alerts_create(after_id=after_id)
    except Exception:
        logger.exception("buyer match notifications after alert %s not written", after_id)
