from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Count, Q

from properties.choices import StandardStatus
from properties.models import PriceChange, Property, StatusChange
from realestate.permissions import restrict

SEARCH_CONFIG = "english"


def search_vector():
    """The expression full-text search matches; the PostgreSQL GIN index is built on it."""
    return SearchVector("search_document", config=SEARCH_CONFIG)


def property_search(queryset, text):
    """Listings whose address or remarks match ``text``.

    PostgreSQL uses full-text search (stemming, the GIN index); other databases match
    every word as a substring.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.annotate(search=search_vector()).filter(search=query)
    condition = Q()
    for word in text.split():
        condition &= Q(search_document__icontains=word)
    return queryset.filter(condition)


# The columns a listing card (page or API list) reads; the other ~50 stay in the database.
CARD_FIELDS = (
    "brokerage_id",
    "mls_provider_id",  # which feed's display rule applies to the card
    "listing_key",
    "listing_id",
    "standard_status",
    "property_type",
    "street_number",
    "street_dir_prefix",
    "street_name",
    "street_suffix",
    "unit_number",
    "city",
    "state_or_province",
    "postal_code",
    "list_price",
    "bedrooms_total",
    "bathrooms_total_integer",
    "living_area",
    "days_on_market",
    "on_market_date",
    "listing_contract_date",
    "close_date",
    "photos_count",
    "cover_thumbnail",
    "modification_timestamp",
    "archived_at",
    "created_at",
    "home_key",
    "home_listings_count",
    "list_agent__user__username",
    "list_agent__user__first_name",
    "list_agent__user__last_name",
)


def property_rows():
    """Listings with what a listing card and the API's list of listings show.

    The disclaimers an MLS feed asks for under the cards are read apart, for the feeds of the
    page's listings only (``compliance.services.mls.mls_card_disclaimers``): joining each
    listing's feed and rule made the query take twice as long to plan, on every page, for
    listings that mostly come from one or two feeds, or from none.
    """
    return Property.objects.select_related("list_agent__user").only(*CARD_FIELDS)


def property_export_rows():
    """Listings with what a row of the listings' CSV file shows: a card and its MLS feed."""
    return property_rows().select_related("mls_provider").only(*CARD_FIELDS, "mls_provider__name")


def property_details():
    """Listings with everything a listing's own page or API answer shows."""
    return Property.objects.select_related(
        "list_agent__user", "list_office", "created_by"
    ).prefetch_related("media")


def property_list(*, user):
    """Listings the user may see, with what a listing card shows."""
    return restrict(property_rows(), user)


def property_homes(listings, *, one_per_home=True):
    """``listings`` as homes: with ``one_per_home``, only the listing that stands for its home.

    Listings with the same non-empty ``home_key`` in a brokerage are one home (two MLS feeds,
    a feed and the brokerage's own entry, a relisting). Which one stands for it is decided when
    listings are written (``services.home_duplicates_refresh``) and stored: the others have
    ``home_duplicate`` set, so hiding them is a plain filter that the lists' partial index
    (``property_city_status_recent``) covers, for the rows and the COUNT(*) alike.

    Each listing's ``home_listings_count`` is stored by the same refresh: every listing of the
    home in the brokerage, whatever the filters, which is what anyone who sees the list may
    see, so that a card's "2 listings" matches its page's "Also listed as". (It was a
    correlated subquery per card, whose building and compiling took a tenth of the list page
    and of the API list.)
    """
    if one_per_home:
        listings = listings.filter(home_duplicate=False)
    return listings


# What the "Also listed as" rows show; the provider's name comes in the same query.
HOME_LISTING_FIELDS = (
    "brokerage_id",
    "listing_id",
    "source",
    "standard_status",
    "list_price",
    "modification_timestamp",
    "archived_at",
    "mls_provider__name",
)


def property_home_listings(*, listing, user):
    """The other listings of ``listing``'s home that ``user`` may see, newest first."""
    if not listing.home_key:
        return Property.objects.none()
    return (
        restrict(Property.objects.select_related("mls_provider"), user)
        .only(*HOME_LISTING_FIELDS)
        .filter(brokerage=listing.brokerage_id, home_key=listing.home_key)
        .exclude(pk=listing.pk)
    )


def property_status_counts(*, listings):
    """``[(status, label, count)]`` of these listings, in the RESO status order."""
    counts = dict(
        listings.order_by()
        .values_list("standard_status")
        .annotate(count=Count("pk"))
        .values_list("standard_status", "count")
    )
    return [
        (value, label, counts[value]) for value, label in StandardStatus.choices if value in counts
    ]


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a listing's timeline: a price or a status change."""

    kind: str  # "price" or "status"
    changed_at: datetime
    old: object
    new: object
    changed_by: object
    source: str
    listing: object = None

    @property
    def old_label(self):
        return StandardStatus(self.old).label if self.kind == "status" and self.old else self.old

    @property
    def new_label(self):
        return StandardStatus(self.new).label if self.kind == "status" else self.new


def property_recent_changes(*, user, limit=10):
    """The newest price and status changes of listings the user may see, newest first."""
    newest = ("-changed_at", "-pk")
    prices = restrict(PriceChange.objects.select_related("property", "changed_by"), user)
    statuses = restrict(StatusChange.objects.select_related("property", "changed_by"), user)
    entries = [_price_entry(c, c.property) for c in prices.order_by(*newest)[:limit]]
    entries += [_status_entry(c, c.property) for c in statuses.order_by(*newest)[:limit]]
    entries.sort(key=lambda entry: (entry.changed_at, entry.kind == "price"), reverse=True)
    return entries[:limit]


def _price_entry(change, listing):
    return TimelineEntry(
        "price",
        change.changed_at,
        change.old_price,
        change.new_price,
        change.changed_by,
        change.source,
        listing,
    )


def _status_entry(change, listing):
    return TimelineEntry(
        "status",
        change.changed_at,
        change.old_status,
        change.new_status,
        change.changed_by,
        change.source,
        listing,
    )


def property_timeline(*, listing):
    """The listing's price and status changes, newest first, as one list (two queries)."""
    prices = PriceChange.objects.filter(property=listing).select_related("changed_by")
    statuses = StatusChange.objects.filter(property=listing).select_related("changed_by")
    entries = [_price_entry(c, listing) for c in prices]
    entries += [_status_entry(c, listing) for c in statuses]
    entries.sort(key=lambda entry: (entry.changed_at, entry.kind == "price"), reverse=True)
    return entries
