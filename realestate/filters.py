"""Filter machinery shared by every app's filter sets."""

import django_filters
from django.db.models import F
from django_filters.filters import (
    AllValuesFilter,
    AllValuesMultipleFilter,
    QuerySetRequestMixin,
)


class StaticFormFilterSet(django_filters.FilterSet):
    """A filter set whose form class is built once, not on every request.

    For each filter set it makes, django-filter builds a form class with a new field per
    filter: on the listing page and the listing API that was a twentieth of the request. When
    the fields depend on nothing but the filters' declaration, one form class serves every
    request (a form copies its fields when it is made). A filter whose choices come from the
    request or the database (``queryset=callable``, ``AllValuesFilter``) builds its field from
    them: a filter set holding one keeps django-filter's form class per filter set.
    """

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if cls._is_static():
                cls._static_form_class = form_class
        return form_class

    @classmethod
    def _is_static(cls):
        static = cls.__dict__.get("_static")
        if static is None:
            static = cls._static = not any(
                isinstance(filter_, CHOICES_FROM_ELSEWHERE) for filter_ in cls.base_filters.values()
            )
        return static


CHOICES_FROM_ELSEWHERE = (QuerySetRequestMixin, AllValuesFilter, AllValuesMultipleFilter)


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
