"""Model serializers whose fields are built once per class (``realestate.api.FieldsBuiltOnce``)."""

import pytest
from rest_framework import serializers

from properties.api.serializers import PropertyListSerializer


@pytest.fixture
def fresh_class(monkeypatch):
    """A new serializer class of the same shape, with nothing built yet, and how many model
    fields DRF built for it."""
    built = []
    real_build_field = serializers.ModelSerializer.build_field

    def counting(self, *args, **kwargs):
        built.append(args[0])
        return real_build_field(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)
    cls = type("Listings", (PropertyListSerializer,), {"Meta": PropertyListSerializer.Meta})
    return cls, built


def test_the_model_fields_are_built_for_the_first_serializer_only(fresh_class):
    cls, built = fresh_class
    first = cls().fields
    count = len(built)
    second = cls().fields
    assert count > 10 and len(built) == count
    assert list(first) == list(second) == PropertyListSerializer.Meta.fields


def test_each_serializer_has_fields_of_its_own(fresh_class):
    cls, _ = fresh_class
    first, second = cls(), cls()
    assert first.fields["city"] is not second.fields["city"]
    assert first.fields["city"].parent is first and second.fields["city"].parent is second
    first.fields["city"].label = "Town"
    first.fields["city"].style["base_template"] = "textarea.html"
    assert (
        cls().fields["city"].label == "City" and "base_template" not in cls().fields["city"].style
    )


def test_the_fields_are_those_drf_builds(fresh_class):
    cls, _ = fresh_class
    ours = cls().fields
    drfs = serializers.ModelSerializer.get_fields(cls())
    assert [(name, repr(field)) for name, field in ours.items()] == [
        (name, repr(field)) for name, field in drfs.items()
    ]


class BuiltByDRF(PropertyListSerializer):
    """The same serializer with the fields DRF builds for every serializer."""

    def get_fields(self):
        return serializers.ModelSerializer.get_fields(self)


def test_the_list_rows_are_what_drfs_own_fields_make(personas, rf):
    from properties.selectors import property_rows
    from properties.services import listing_archive
    from tests.testing.factories import make_listing

    make_listing(personas.agent.user, bedrooms_total=None, living_area=None)
    listing_archive(listing=make_listing(personas.broker.user), actor=personas.broker.user)
    make_listing(personas.agent.user, list_price="1234567.50", street_name="Ocean")
    rows = list(property_rows().order_by("pk"))
    context = {"request": rf.get("/api/v1/properties/")}
    ours = PropertyListSerializer(rows, many=True, context=context).data
    drfs = BuiltByDRF(rows, many=True, context=context).data
    assert len(ours) == 3 and ours == drfs
    assert {row["archived_at"] is None for row in ours} == {True, False}


def test_nested_and_list_fields_are_deep_copied():
    from realestate.api import field_twin

    nested = serializers.ListField(child=serializers.CharField())
    twin = field_twin(nested)
    assert twin is not nested and twin.child is not nested.child
    plain = serializers.CharField(max_length=5)
    twin = field_twin(plain)
    assert twin.validators == plain.validators and twin.validators is not plain.validators
    assert twin.error_messages is not plain.error_messages
