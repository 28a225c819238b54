"""Filters of the licence list and the MLS access log, shared by the pages and the API."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from clients.filtersets import AgentChoiceFilter
from compliance.models.licences import Licence, LicenceStatus
from compliance.models.mls import AccessKind, ListingAccess
from realestate.filters import StableOrderingFilter

EXPIRY_CHOICES = (
    ("lapsed", "Lapsed (expired or not active)"),
    ("30", "Expiring within 30 days"),
    ("60", "Expiring within 60 days"),
    ("90", "Expiring within 90 days"),
)


class LicenceFilterSet(django_filters.FilterSet):
    """Licences by agent, state, status and how soon they expire."""

    q = django_filters.CharFilter(
        method="filter_search", label="Search", help_text="Agent name or licence number."
    )
    agent = AgentChoiceFilter(label="Agent", empty_label="Any agent")
    state = django_filters.CharFilter(
        field_name="state", lookup_expr="iexact", label="State", max_length=2
    )
    status = django_filters.ChoiceFilter(
        choices=LicenceStatus.choices, label="Status", empty_label="Any status"
    )
    expiry = django_filters.ChoiceFilter(
        choices=EXPIRY_CHOICES, method="filter_expiry", label="Expiry", empty_label="Any"
    )
    sort = StableOrderingFilter(
        fields=(("expires_on", "expires"), ("state", "state"), ("agent__user__last_name", "agent")),
        field_labels={"expires": "Expiry date", "state": "State", "agent": "Agent"},
        label="Sort",
        empty_label="Soonest expiry",
    )

    class Meta:
        model = Licence
        fields = []

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(number__icontains=word)
                | Q(agent__user__first_name__icontains=word)
                | Q(agent__user__last_name__icontains=word)
            )
        return queryset.filter(condition)

    def filter_expiry(self, queryset, name, value):
        today = timezone.localdate()
        lapsed = Q(expires_on__lt=today) | ~Q(status=LicenceStatus.ACTIVE)
        if value == "lapsed":
            return queryset.filter(lapsed)
        return queryset.filter(expires_on__lte=today + timedelta(days=int(value))).exclude(lapsed)


class ListingAccessFilterSet(django_filters.FilterSet):
    """The MLS access log by agent, listing, kind and date."""

    agent = AgentChoiceFilter(label="Agent", empty_label="Any agent")
    listing = django_filters.NumberFilter(
        method="filter_listing", label="Listing ID", help_text="Views and exports of it."
    )
    kind = django_filters.ChoiceFilter(
        choices=AccessKind.choices, label="Kind", empty_label="Any kind"
    )
    accessed = django_filters.DateFromToRangeFilter(
        field_name="accessed_at__date",
        label="Between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = ListingAccess
        fields = []

    def filter_listing(self, queryset, name, value):
        # An export stores its listings' ids in a list; a view names its listing.
        exported = queryset.filter(kind=AccessKind.EXPORT)
        exported_ids = [
            pk for pk, ids in exported.values_list("pk", "listing_ids") if int(value) in ids
        ]
        return queryset.filter(Q(listing_id=value) | Q(pk__in=exported_ids))
