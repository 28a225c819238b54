from django.urls import path

from agents import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]
