"""Signals the CRM sends for other apps to act on."""

from django.dispatch import Signal

# Sent once a listing alert match committed new alerts: every ``ListingAlert`` whose id is
# above ``after_id`` was matched since (by this run, or one running beside it).
listing_alerts_matched = Signal()
