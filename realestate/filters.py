"""Filter machinery shared by every app's filter sets."""

import django_filters
from django.db.models import F


class StableOrderingFilter(django_filters.OrderingFilter):
    """An ordering filter that puts empty values last and breaks ties on the primary key.

    Databases disagree on where NULLs go (PostgreSQL puts them first when descending), and
    "most bedrooms" must not open with the land listings; the tie-break keeps pages apart.
    """

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        field = F(value.lstrip("-"))
        return field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs
