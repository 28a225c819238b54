"""Deal filters shared by the deal list, the pipeline board and the API."""

import django_filters
from django import forms
from django.db.models import Q

from clients.filtersets import AgentChoiceFilter
from realestate.filters import StableOrderingFilter
from transactions.choices import DealStage, Side
from transactions.models import Transaction


def deal_search(queryset, text):
    """Deals whose name or property address has every word of ``text``."""
    condition = Q()
    for word in (text or "").split():
        condition &= (
            Q(name__icontains=word)
            | Q(property__street_number__icontains=word)
            | Q(property__street_name__icontains=word)
            | Q(property__city__icontains=word)
            | Q(property__postal_code__icontains=word)
        )
    return queryset.filter(condition)


class DealFilterSet(django_filters.FilterSet):
    """Deal filters shared by the deal list, the pipeline board and the API."""

    q = django_filters.CharFilter(
        method="filter_search", label="Search", help_text="Words of the name or the address."
    )
    stage = django_filters.MultipleChoiceFilter(
        choices=DealStage.choices, label="Stage", widget=forms.CheckboxSelectMultiple
    )
    side = django_filters.ChoiceFilter(choices=Side.choices, label="Side", empty_label="Any side")
    agent = AgentChoiceFilter(label="Agent", empty_label="Any agent")
    closing = django_filters.DateFromToRangeFilter(
        field_name="closing_on",
        label="Closing between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    sort = StableOrderingFilter(
        fields=(("closing_on", "closing"), ("created_at", "created"), ("name", "name")),
        field_labels={"closing_on": "Closing date", "created_at": "Added", "name": "Name"},
        label="Sort",
    )

    class Meta:
        model = Transaction
        fields = []

    def filter_search(self, queryset, name, value):
        return deal_search(queryset, value)
