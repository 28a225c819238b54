import django_filters

from agents.models import Agent
from properties.filtersets import PropertyFilterSet
from properties.models import Property
from realestate.filters import StaticFormFilterSet


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
