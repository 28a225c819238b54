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
