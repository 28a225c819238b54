from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q

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


def property_list(*, user):
    """Listings the user may see, with what a listing card shows."""
    return restrict(
        Property.objects.select_related("list_agent__user", "list_office"), user
    ).prefetch_related("media")


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a listing's timeline: a price or a status change."""

    kind: str  # "price" or "status"
    changed_at: datetime
    old: object
    new: object
    changed_by: object
    source: str

    @property
    def old_label(self):
        return StandardStatus(self.old).label if self.kind == "status" and self.old else self.old

    @property
    def new_label(self):
        return StandardStatus(self.new).label if self.kind == "status" else self.new


def property_timeline(*, listing):
    """The listing's price and status changes, newest first, as one list (two queries)."""
    prices = PriceChange.objects.filter(property=listing).select_related("changed_by")
    statuses = StatusChange.objects.filter(property=listing).select_related("changed_by")
    entries = [
        TimelineEntry("price", c.changed_at, c.old_price, c.new_price, c.changed_by, c.source)
        for c in prices
    ] + [
        TimelineEntry("status", c.changed_at, c.old_status, c.new_status, c.changed_by, c.source)
        for c in statuses
    ]
    entries.sort(key=lambda entry: (entry.changed_at, entry.kind == "price"), reverse=True)
    return entries
