from django.urls import path

from agents.views import dashboards as views
from agents.views import events

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
    *events.urlpatterns,
]
