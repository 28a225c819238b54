"""Filter machinery shared by every app's filter sets."""

import copy

import django_filters
from django import forms
from django.db.models import F
from django_filters.fields import ChoiceIterator
from django_filters.filters import (
    AllValuesFilter,
    AllValuesMultipleFilter,
    Filter,
    FilterMethod,
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

    A filter or a field of the usual shape is copied by ``_filter_copy`` or ``_field_copy``:
    they make what ``copy.deepcopy`` makes of it in a third of the time, because the generic
    deep copy walks every attribute of every filter. Any other shape is deep-copied as usual.
    """

    def __deepcopy__(self, memo):
        self.share_choices(memo)
        return {name: _copy(item, memo) for name, item in self.items()}

    def share_choices(self, memo):
        """Enter the lists of choices in a deep copy's ``memo``: the copy keeps them."""
        for item in self.values():
            choices = getattr(item, "_choices", None)  # a form field's
            # django-filter's fields wrap theirs in an iterator that knows its field.
            choices = getattr(choices, "choices", choices)
            if choices is None:
                choices = getattr(item, "extra", {}).get("choices")  # a filter's
            if isinstance(choices, list):
                memo[id(choices)] = choices


# What a django-filter filter holds: atoms, the ``extra`` arguments of its form field (each
# of which the field copies when it is made), a map of names, and the method it calls.
FILTER_STATE = frozenset(
    {
        "_label",
        "_method",
        "conjoined",
        "creation_counter",
        "distinct",
        "exclude",
        "extra",
        "field_class",
        "field_name",
        "filter",
        "lookup_expr",
        "null_value",
        "param_map",
    }
)
# The deep copies of Django's fields and widgets that ``_field_copy`` makes the same way.
FIELD_DEEPCOPIES = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__)
WIDGET_DEEPCOPIES = (forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__)


def _copy(item, memo):
    kind = type(item)
    if isinstance(item, Filter):
        usual = getattr(kind, "__deepcopy__", None) is None and item.__dict__.keys() <= FILTER_STATE
        return _filter_copy(item) if usual else copy.deepcopy(item, memo)
    if (
        isinstance(item, forms.Field)
        and kind.__deepcopy__ in FIELD_DEEPCOPIES
        and type(item.widget).__deepcopy__ in WIDGET_DEEPCOPIES
    ):
        return _field_copy(item, memo)
    return copy.deepcopy(item, memo)


def _shallow(item):
    """What ``copy.copy`` makes of a plain object."""
    kind = type(item)
    twin = kind.__new__(kind)
    twin.__dict__.update(item.__dict__)
    return twin


def _filter_copy(filter_):
    twin = _shallow(filter_)
    twin.extra = filter_.extra.copy()
    if "param_map" in filter_.__dict__:  # an ordering filter's
        twin.param_map = filter_.param_map.copy()
    if isinstance(filter_.__dict__.get("filter"), FilterMethod):
        twin.filter = FilterMethod(twin)  # calls the method of the copy's filter set
    return twin


def _field_copy(field, memo):
    """``forms.Field.__deepcopy__`` (and ``ChoiceField``'s), with plain shallow copies."""
    twin = _shallow(field)
    memo[id(field)] = twin
    widget = field.widget
    widget_twin = memo.get(id(widget))
    if widget_twin is None:
        widget_twin = _shallow(widget)
        widget_twin.attrs = widget.attrs.copy()
        if isinstance(widget, forms.widgets.ChoiceWidget):
            choices = widget.choices
            shallow = _shallow if type(choices) is ChoiceIterator else copy.copy
            widget_twin.choices = shallow(choices)
        memo[id(widget)] = widget_twin
    twin.widget = widget_twin
    twin.error_messages = field.error_messages.copy()
    twin.validators = field.validators[:]
    if isinstance(field, forms.ChoiceField):
        choices = field._choices
        if type(choices) is ChoiceIterator and choices.__dict__.keys() == {"field", "choices"}:
            iterator = _shallow(choices)
            iterator.field = memo.get(id(choices.field), choices.field)
            iterator.choices = copy.deepcopy(choices.choices, memo)
            twin._choices = iterator
        else:
            twin._choices = copy.deepcopy(choices, memo)
    return twin


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
