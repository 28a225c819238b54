"""Filter machinery shared by every app's filter sets."""

import copy

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

    Each request's filter set and form deep-copy the filters and the fields. Their lists of
    choices are the same for every request, so the copies share them (``SharedChoices``): the
    copying took half as long again with them.
    """

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_filters"), SharedChoices):
            cls.base_filters = SharedChoices(cls.base_filters)
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if cls._is_static():
                form_class.base_fields = SharedChoices(form_class.base_fields)
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


class SharedChoices(dict):
    """Filters or form fields by name, whose deep copies share their lists of choices.

    A list of choices is data, not state: setting a field's ``choices`` gives it a new
    list, which leaves the shared one as it was. Nothing may change a shared list in place.
    """

    def __deepcopy__(self, memo):
        for item in self.values():
            choices = getattr(item, "_choices", None)  # a form field's
            # django-filter's fields wrap theirs in an iterator that knows its field.
            choices = getattr(choices, "choices", choices)
            if choices is None:
                choices = getattr(item, "extra", {}).get("choices")  # a filter's
            if isinstance(choices, list):
                memo[id(choices)] = choices
        return {name: copy.deepcopy(item, memo) for name, item in self.items()}


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
