"""Listing events from the MLS feeds, sent once the change is committed.

Later features (saved-search alerts, webhooks) connect to these. Each receives ``listing``
(a ``properties.Property``) and, for changes, the old and new values.
"""

from django.dispatch import Signal

listing_created = Signal()  # mls.listing.created
listing_price_changed = Signal()  # mls.listing.price_changed: old_price, new_price
listing_status_changed = Signal()  # mls.listing.status_changed: old_status, new_status
