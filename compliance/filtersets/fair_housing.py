"""Compliance filters shared by the pages and the API."""

import django_filters

from compliance.models import FairHousingScanRun
from compliance.models.fair_housing import ScanState
from realestate.filters import StableOrderingFilter


class FairHousingScanRunFilterSet(django_filters.FilterSet):
    """The nightly Fair Housing scans: by state, by day, flagged ones only."""

    state = django_filters.ChoiceFilter(
        choices=ScanState.choices, label="State", empty_label="Any state"
    )
    started = django_filters.DateFromToRangeFilter(
        field_name="started_at",
        label="Run between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    flagged = django_filters.BooleanFilter(method="filter_flagged", label="With flagged listings")
    sort = StableOrderingFilter(
        fields=(("started_at", "started"), ("listings_flagged", "flagged")),
        field_labels={"started_at": "Run", "listings_flagged": "Flagged listings"},
        label="Sort",
    )

    class Meta:
        model = FairHousingScanRun
        fields = ["state"]

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(listings_flagged__gt=0)
            if value
            else queryset.filter(listings_flagged=0)
        )
