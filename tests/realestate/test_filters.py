import copy
import types

import django_filters
from django.http import QueryDict
from django.utils.functional import Promise

from agents.models import Agent
from properties.choices import PropertyType
from properties.filtersets import PropertyFilterSet
from properties.models import Property
from realestate.filters import SharedChoices, StaticFormFilterSet


def test_a_filter_set_with_declared_fields_builds_its_form_class_once():
    first = PropertyFilterSet({"city": "Salem"}, queryset=Property.objects.all())
    second = PropertyFilterSet({"city": "Dover"}, queryset=first.queryset)

    assert type(first.form) is type(second.form)
    # Each form still cleans its own data with fields of its own.
    assert first.form.is_valid() and second.form.is_valid()
    assert first.form.cleaned_data["city"] == "Salem"
    assert second.form.cleaned_data["city"] == "Dover"
    assert first.form.fields["city"] is not second.form.fields["city"]


class AgentChoiceFilterSet(StaticFormFilterSet):
    agent = django_filters.ModelChoiceFilter(
        queryset=lambda request: Agent.objects.filter(brokerage_id=request.brokerage_id)
    )

    class Meta:
        model = Agent
        fields = []


class FakeRequest:
    def __init__(self, brokerage_id):
        self.brokerage_id = brokerage_id


def test_a_filter_whose_choices_come_from_the_request_gets_a_form_class_per_request(db):
    first = AgentChoiceFilterSet({}, queryset=Agent.objects.all(), request=FakeRequest(1))
    second = AgentChoiceFilterSet({}, queryset=Agent.objects.all(), request=FakeRequest(2))

    assert type(first.form) is not type(second.form)
    assert 'brokerage_id" = 1' in str(first.form.fields["agent"].queryset.query)
    assert 'brokerage_id" = 2' in str(second.form.fields["agent"].queryset.query)


def test_filter_sets_share_lists_of_choices_but_not_filters_or_fields():
    first = PropertyFilterSet(QueryDict("status=Active"), queryset=Property.objects.all())
    second = PropertyFilterSet(QueryDict("status=Pending"), queryset=first.queryset)

    assert first.filters["status"] is not second.filters["status"]
    assert first.filters["status"].parent is first and second.filters["status"].parent is second
    assert first.filters["status"].extra["choices"] is second.filters["status"].extra["choices"]
    assert first.form.fields["status"] is not second.form.fields["status"]
    first_choices, second_choices = (
        form.fields["status"].choices for form in (first.form, second.form)
    )
    # django-filter's iterator of choices is the field's own; the list it wraps is shared.
    assert first_choices.field is first.form.fields["status"]
    assert first_choices.choices is second_choices.choices
    assert first.form.is_valid() and second.form.is_valid()
    assert (first.form.cleaned_data["status"], second.form.cleaned_data["status"]) == (
        ["Active"],
        ["Pending"],
    )


def test_setting_one_forms_choices_leaves_the_others_alone():
    first = PropertyFilterSet({"property_type": "Land"}, queryset=Property.objects.all())
    first.form.fields["property_type"].choices = [("Land", "Land only")]
    second = PropertyFilterSet({"property_type": "Residential"}, queryset=first.queryset)

    assert [value for value, _ in first.form.fields["property_type"].choices] == ["", "Land"]
    assert [value for value, _ in second.form.fields["property_type"].choices] == [
        "",
        *PropertyType.values,
    ]
    assert second.form.is_valid()


ATOMS = (str, int, float, bool, type(None), type, types.FunctionType, types.BuiltinFunctionType)


def _shape(item, originals, seen=None):
    """``item`` as plain data: its types and values, which of its objects are the original's
    (shared by the copy) and which point back into the copy itself."""
    seen = {} if seen is None else seen
    if isinstance(item, ATOMS):
        return item
    if isinstance(item, Promise):
        return str(item)
    if id(item) in seen:
        return ("the same object as", seen[id(item)])
    seen[id(item)] = len(seen)
    ownership = "the original's" if id(item) in originals else "its own"
    parts = [_shape(part, originals, seen) for part in _parts(item)]
    return (type(item).__name__, ownership, parts)


def _parts(item):
    if isinstance(item, dict):
        return [entry for pair in item.items() for entry in pair]
    if isinstance(item, (list, tuple)):
        return list(item)
    if hasattr(item, "__dict__"):
        return [entry for pair in sorted(vars(item).items()) for entry in pair]
    return [repr(item)]  # a compiled pattern, a number


def _ids(item, found):
    if not isinstance(item, ATOMS + (Promise,)) and id(item) not in found:
        found.add(id(item))
        for part in _parts(item):
            _ids(part, found)
    return found


def _quick_and_stock_copies(mapping):
    quick = copy.deepcopy(mapping)
    memo = {}
    SharedChoices(mapping).share_choices(memo)
    stock = {name: copy.deepcopy(item, memo) for name, item in mapping.items()}
    return quick, stock


def test_the_quick_copies_of_filters_and_fields_are_what_deepcopy_makes(db):
    filterset = PropertyFilterSet({}, queryset=Property.objects.all())
    for mapping in (PropertyFilterSet.base_filters, filterset.get_form_class().base_fields):
        quick, stock = _quick_and_stock_copies(mapping)
        originals = _ids(dict(mapping), set())
        for name in mapping:
            assert _shape(quick[name], originals) == _shape(stock[name], originals), name
    # Each copy's method filter calls its own filter set; its choices know their own field.
    first, second = (PropertyFilterSet({}, queryset=Property.objects.all()) for _ in "12")
    assert first.filters["mine"].filter.f is first.filters["mine"]
    assert first.filters["mine"].parent is first and second.filters["mine"].parent is second
    assert first.form.fields["sort"].choices.field is first.form.fields["sort"]


def test_a_filter_of_another_shape_is_deep_copied(db):
    request = FakeRequest(1)
    filterset = AgentChoiceFilterSet({}, queryset=Agent.objects.all(), request=request)
    original = AgentChoiceFilterSet.base_filters["agent"]
    copied = filterset.filters["agent"]
    assert "queryset" in vars(original)  # not a shape the quick copy knows
    assert copied is not original and copied.extra is not original.extra
    assert copied.parent is filterset
