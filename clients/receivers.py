"""Listing events from the MLS sync start the alert matcher soon, not at the next beat.

A sync sends an event per listing, thousands a minute: the first one of a burst queues one
match for a little later, once its transaction commits; the others find it queued already.
"""

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver

from mls import signals

MATCH_QUEUED_KEY = "clients:listing-alerts-match-queued"
# The match runs this long after the first event of a burst and takes in the whole burst;
# an event after it queues the next one.
MATCH_DELAY_SECONDS = 30


@receiver(signals.listing_created, dispatch_uid="clients.alerts.listing_created")
@receiver(signals.listing_price_changed, dispatch_uid="clients.alerts.listing_price_changed")
@receiver(signals.listing_status_changed, dispatch_uid="clients.alerts.listing_status_changed")
def listing_alerts_match_soon(sender, **kwargs):
    """Queue one alert match for a burst of listing events."""
    if cache.add(MATCH_QUEUED_KEY, True, timeout=MATCH_DELAY_SECONDS):
        transaction.on_commit(_enqueue_match)


def _enqueue_match():
    from clients.tasks import listing_alerts_match_task

    listing_alerts_match_task.apply_async(countdown=MATCH_DELAY_SECONDS)
