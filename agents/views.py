from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class DashboardView(LoginRequiredMixin, TemplateView):
    """The agent's day: new listings, their listings and recent changes."""

    template_name = "agents/dashboard.html"
