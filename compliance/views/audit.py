"""The broker's audit pages: who changed what, and who signed in, failed or was refused."""

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone
from django.views import View

from clients.api.intake import csv_response
from compliance.filtersets.audit import AuditEntryFilterSet, SecurityEventFilterSet
from compliance.models import SecurityEvent
from compliance.selectors.audit import (
    audit_entries,
    audit_entries_csv,
    entry_changes,
    security_events,
    security_events_csv,
)
from realestate.permissions import actor_for
from realestate.views import ObjectListView


class BrokerOnlyMixin:
    """Only a broker (or a superuser) reads the audit trail; anyone else gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not actor_for(request.user).is_broker:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AuditEntryListView(BrokerOnlyMixin, ObjectListView):
    """Every change made by the brokerage's people, with its diff, filtered and paginated."""

    queryset = LogEntry.objects.all()
    template_name = "compliance/audit_list.html"
    filterset_class = AuditEntryFilterSet
    context_object_name = "entries"

    def get_queryset(self):
        return audit_entries(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        context["rows"] = [(entry, entry_changes(entry)) for entry in context["entries"]]
        return context


class SecurityEventListView(BrokerOnlyMixin, ObjectListView):
    """Sign-ins, sign-outs, failures, lockouts and refusals of the brokerage's people."""

    queryset = SecurityEvent.objects.all()
    template_name = "compliance/security_event_list.html"
    filterset_class = SecurityEventFilterSet
    context_object_name = "events"

    def get_queryset(self):
        return security_events(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        return context


class AuditEntryExportView(BrokerOnlyMixin, View):
    """The audit page's rows, as filtered, in a CSV file (streamed)."""

    def get(self, request):
        rows = AuditEntryFilterSet(
            request.GET, queryset=audit_entries(user=request.user), request=request
        ).qs
        filename = f"audit-{timezone.localdate():%Y-%m-%d}.csv"
        return csv_response(audit_entries_csv(queryset=rows), filename)


class SecurityEventExportView(BrokerOnlyMixin, View):
    """The security events, as filtered, in a CSV file (streamed)."""

    def get(self, request):
        rows = SecurityEventFilterSet(
            request.GET, queryset=security_events(user=request.user), request=request
        ).qs
        filename = f"security-events-{timezone.localdate():%Y-%m-%d}.csv"
        return csv_response(security_events_csv(queryset=rows), filename)


urlpatterns = [
    path("audit/", AuditEntryListView.as_view(), name="audit"),
    path("audit/export.csv", AuditEntryExportView.as_view(), name="audit-export"),
    path("audit/security/", SecurityEventListView.as_view(), name="security-events"),
    path(
        "audit/security/export.csv",
        SecurityEventExportView.as_view(),
        name="security-events-export",
    ),
]
