"""The base of every API endpoint: scoped querysets, pagination and error shapes."""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from realestate.permissions import CHANGE, DELETE, VIEW, can, can_add, restrict


def required_action(request):
    """What a request does to the object it names: view, change or delete."""
    if request.method in SAFE_METHODS:
        return VIEW
    return DELETE if request.method == "DELETE" else CHANGE


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose rows go through ``restrict()``.

    A row the caller may not see is a 404; a row they may see but not change is a 403.
    Subclasses call services in ``perform_create``/``perform_update``/``perform_destroy``.
    """

    def get_queryset(self):
        return restrict(self.get_base_queryset(), self.request.user, VIEW)

    def get_base_queryset(self):
        """Every row with what the serializer reads; ``get_queryset`` narrows it to the caller."""
        return super().get_queryset()

    def filter_queryset(self, queryset):
        # Filters shape lists; a row's own URL finds it whatever the query string says.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_required_action(self):
        """What this request does to the object it names; override for custom actions."""
        return required_action(self.request)

    def get_object(self):
        obj = super().get_object()
        action = self.get_required_action()
        if action != VIEW and not can(self.request.user, obj, action):
            self.permission_denied(self.request, message="You cannot change this record.")
        return obj

    def check_add_permission(self):
        if not can_add(self.request.user, self.get_queryset().model):
            self.permission_denied(self.request, message="You cannot add records here.")


class VisibleRowField(serializers.PrimaryKeyRelatedField):
    """A related row chosen by id among the rows the caller may see.

    Another brokerage's row answers "does not exist", exactly like an id that was never used.
    """

    def get_queryset(self):
        return restrict(super().get_queryset(), self.context["request"].user)


class ChoiceLabelField(serializers.CharField):
    """The human label of a choice field ("Active Under Contract"), e.g.
    ``ChoiceLabelField(StandardStatus.choices, source="standard_status")``.

    It maps the stored value itself rather than calling ``get_FOO_display`` on every row.
    """

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return self.labels.get(value, value)


class FieldsBuiltOnce:
    """For a read-only ``ModelSerializer`` (a list's rows): its fields are built from the
    model once per class, and each serializer gets copies of its own.

    DRF builds a model serializer's fields anew for every serializer (every request of a
    list), reading the model's fields one by one, then deep-copies declared fields by making
    them again: on the listing API that took as long as serializing the page. The fields depend
    only on the class and its ``Meta``. A copy (``field_twin``) has its own attributes and its
    own style, error messages and validators; what a field only reads (its choices, labels,
    help text) is shared. A field holding other fields (a nested serializer, a list field) is
    deep-copied as DRF does.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = cls._fields_built = super().get_fields()
        return {name: field_twin(field) for name, field in built.items()}


HOLDS_FIELDS = (serializers.BaseSerializer, serializers.ListField, serializers.DictField)


def field_twin(field):
    """A serializer field's copy for one serializer (see ``FieldsBuiltOnce``)."""
    if isinstance(field, HOLDS_FIELDS):
        return copy.deepcopy(field)
    kind = type(field)
    twin = kind.__new__(kind)
    twin.__dict__.update(field.__dict__)
    twin.style = dict(field.style)
    twin.error_messages = dict(field.error_messages)
    twin._kwargs = dict(field._kwargs)
    if "_validators" in field.__dict__:
        twin._validators = list(field._validators)
    return twin


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as a 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        non_field_key = api_settings.NON_FIELD_ERRORS_KEY
        if hasattr(exc, "error_dict"):
            detail = {
                (non_field_key if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {non_field_key: exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)
