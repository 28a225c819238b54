from django.urls import path

from compliance.views import audit

app_name = "compliance"

urlpatterns = [
    path("audit/", audit.AuditEntryListView.as_view(), name="audit"),
    path("audit/export.csv", audit.AuditEntryExportView.as_view(), name="audit-export"),
    path("audit/security/", audit.SecurityEventListView.as_view(), name="security-events"),
    path(
        "audit/security/export.csv",
        audit.SecurityEventExportView.as_view(),
        name="security-events-export",
    ),
]
