"""What the brokerage app does with committed domain events: outgoing webhook deliveries."""

from django.dispatch import receiver

from agents.services.events import event_committed


@receiver(event_committed, dispatch_uid="agents.webhooks.deliveries")
def webhook_deliveries_for_event(sender, event, **kwargs):
    """Each committed event becomes one delivery per subscription that wants it."""
    from agents.services.webhooks import webhook_deliveries_create

    webhook_deliveries_create(event=event)
