"""Filters of the compliance pages."""

import django_filters
from auditlog.models import LogEntry

from clients.filtersets import AgentChoiceFilter
from compliance.models import SecurityEvent, SecurityEventKind
from compliance.selectors.audit import audited_content_types


class AuditEntryFilterSet(django_filters.FilterSet):
    """The audit page's filters: who, which object, when and what was done."""

    actor = AgentChoiceFilter(field_name="actor__agent", label="User", empty_label="Anyone")
    content_type = django_filters.ModelChoiceFilter(
        queryset=lambda request: audited_content_types(),
        label="Object type",
        empty_label="Any type",
    )
    object_id = django_filters.CharFilter(field_name="object_pk", label="Object id")
    date = django_filters.DateFromToRangeFilter(field_name="timestamp__date", label="Between")
    action = django_filters.ChoiceFilter(
        choices=LogEntry.Action.choices, label="Action", empty_label="Any action"
    )

    class Meta:
        model = LogEntry
        fields = []


class SecurityEventFilterSet(django_filters.FilterSet):
    """Security events by person, kind and date."""

    user = AgentChoiceFilter(field_name="user__agent", label="User", empty_label="Anyone")
    username = django_filters.CharFilter(label="Username tried", lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(
        choices=SecurityEventKind.choices, label="Event", empty_label="Any event"
    )
    date = django_filters.DateFromToRangeFilter(field_name="created_at__date", label="Between")

    class Meta:
        model = SecurityEvent
        fields = []
