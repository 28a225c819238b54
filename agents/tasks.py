"""Background work of the brokerage: fanning out committed domain events, sending webhooks,
emailing alerts.

Each task is thin and safe to run twice: its receivers are idempotent.
"""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def events_dispatch_task(*, event_ids):
    """Send the committed events to their receivers (webhooks, notifications)."""
    from agents.services.events import events_dispatch

    events_dispatch(event_ids=event_ids)


@shared_task(acks_late=True)
def webhook_delivery_send_task(*, delivery_id, lease=None):
    """One attempt of a webhook delivery; a delivery someone else holds is left alone."""
    from agents.services.webhooks import lease_parse, webhook_delivery_send

    webhook_delivery_send(delivery_id=delivery_id, lease=lease_parse(lease))


@shared_task(acks_late=True)
def webhook_deliveries_due_task():
    """Every minute: queue the webhook deliveries whose next attempt is due."""
    from agents.services.webhooks import webhook_deliveries_queue_due

    return webhook_deliveries_queue_due()


@shared_task(acks_late=True)
def notifications_email_task():
    """Email agents their new price drop and buyer match alerts, one email a person."""
    from agents.services.notifications import notifications_email_send

    return notifications_email_send()
