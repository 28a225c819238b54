from django.urls import include, path

from agents.views import brand, events, notifications, webhooks
from agents.views import dashboards as views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/performance/", views.PerformanceView.as_view(), name="dashboard-performance"),
    path(
        "dashboard/performance/export.csv",
        views.PerformanceExportView.as_view(),
        name="dashboard-performance-export",
    ),
    path(
        "dashboard/brokerage/", views.BrokerageDashboardView.as_view(), name="dashboard-brokerage"
    ),
    path(
        "dashboard/brokerage/export.csv",
        views.BrokerageExportView.as_view(),
        name="dashboard-brokerage-export",
    ),
    path("webhooks/", include((webhooks.urlpatterns, "webhooks"))),
    *webhooks.hook_urlpatterns,
    path("brand/", brand.BrandKitView.as_view(), name="brand-kit"),
    path("signature/", brand.SignatureView.as_view(), name="signature"),
    path("notifications/", include((notifications.urlpatterns, "notifications"))),
    *events.urlpatterns,
]
