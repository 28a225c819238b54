"""Background work of the brokerage: fanning out committed domain events, emailing alerts.

Each task is thin and safe to run twice: its receivers are idempotent.
"""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def events_dispatch_task(*, event_ids):
    """Send the committed events to their receivers (webhooks, notifications)."""
    from agents.services.events import events_dispatch

    events_dispatch(event_ids=event_ids)


@shared_task(acks_late=True)
def notifications_email_task():
    """Email agents their new price drop and buyer match alerts, one email a person."""
    from agents.services.notifications import notifications_email_send

    return notifications_email_send()
