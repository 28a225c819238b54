"""MLS listings and display rules for compliance tests."""

from django.utils import timezone

from compliance.models import MLSDisplayRule
from properties.models import Property
from tests.testing.factories import make_listing, make_mls_provider


def make_mls_listing(actor, provider, listing_id, **fields):
    """A listing made to look as the feed of ``provider`` delivered it."""
    listing = make_listing(actor, **fields)
    Property.objects.filter(pk=listing.pk).update(
        mls_provider=provider,
        source="mls",
        listing_id=listing_id,
        listing_key=f"{provider.pk}-{listing_id}",
        modification_timestamp=timezone.now(),
    )
    listing.refresh_from_db()
    return listing


def make_rule(provider, **fields):
    fields.setdefault(
        "disclaimer", "Listing data © Bright MLS, deemed reliable. Updated {last_updated}."
    )
    return MLSDisplayRule.objects.create(provider=provider, **fields)


def make_provider(brokerage, name="Bright MLS"):
    return make_mls_provider(brokerage, name=name)
