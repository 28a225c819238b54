"""Filter machinery shared by every app's filter sets."""

import django_filters


class StableOrderingFilter(django_filters.OrderingFilter):
    """An ordering filter that breaks ties on the primary key, so pages never overlap."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs
