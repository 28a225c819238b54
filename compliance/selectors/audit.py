"""Reads of the audit trail: change entries and security events a broker may see."""

import csv

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType

from clients.imports import _Line, _safe_cell
from compliance.models import SecurityEvent
from realestate.permissions import VIEW, restrict

AUDIT_COLUMNS = ("time", "user", "action", "object type", "object id", "object", "changes", "ip")
SECURITY_COLUMNS = ("time", "event", "user", "username tried", "ip", "method", "path", "browser")


def audit_entries(*, user):
    """Change entries (auditlog) made by people of the user's brokerage, newest first."""
    rows = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    return restrict(rows, user, VIEW)


def security_events(*, user):
    """Security events of the user's brokerage, newest first."""
    return restrict(SecurityEvent.objects.select_related("user"), user, VIEW)


def audited_content_types():
    """The content types of every model the audit log records, for the object filter."""
    models = auditlog.get_models()
    types = ContentType.objects.get_for_models(*models)
    return ContentType.objects.filter(pk__in=[ct.pk for ct in types.values()]).order_by(
        "app_label", "model"
    )


def entry_changes(entry):
    """``[(field, old, new)]`` of one entry, read from its stored JSON without queries."""
    return [
        (field, *(values if len(values) == 2 else ("", values)))
        for field, values in (entry.changes_dict or {}).items()
        if isinstance(values, list | tuple)
    ]


def _who(user):
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def audit_entries_csv(*, queryset):
    """CSV lines (header first) of the change entries of ``queryset``."""
    writer = csv.writer(_Line())
    yield writer.writerow(AUDIT_COLUMNS)
    for entry in queryset.iterator(chunk_size=500):
        changes = "; ".join(f"{field}: {old} → {new}" for field, old, new in entry_changes(entry))
        row = (
            entry.timestamp.isoformat(),
            _who(entry.actor),
            entry.get_action_display(),
            entry.content_type.name if entry.content_type_id else "",
            entry.object_pk,
            entry.object_repr,
            changes,
            entry.remote_addr or "",
        )
        yield writer.writerow([_safe_cell(value) for value in row])


def security_events_csv(*, queryset):
    """CSV lines (header first) of the security events of ``queryset``."""
    writer = csv.writer(_Line())
    yield writer.writerow(SECURITY_COLUMNS)
    for event in queryset.iterator(chunk_size=500):
        row = (
            event.created_at.isoformat(),
            event.get_kind_display(),
            _who(event.user),
            event.username,
            event.ip_address or "",
            event.method,
            event.path,
            event.user_agent,
        )
        yield writer.writerow([_safe_cell(value) for value in row])
