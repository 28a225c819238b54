from datetime import timedelta

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from properties.models import Property
from properties.selectors import (
    property_homes,
    property_list,
    property_recent_changes,
    property_status_counts,
)
from realestate.permissions import actor_for, can_add

DASHBOARD_LISTINGS = 8
DASHBOARD_CHANGES = 10


class DashboardView(LoginRequiredMixin, TemplateView):
    """The agent's day: tasks, showings and leads, their listings, new listings and changes."""

    # The tasks, showings and leads are the ``clients:day`` partial, loaded by htmx as the page
    # shows, so the listing sections never wait for the CRM's reads.
    template_name = "agents/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["has_profile"] = actor_for(user).agent is not None or user.is_superuser
        if not context["has_profile"]:
            return context
        current = property_list(user=user).filter(archived_at__isnull=True)
        week_ago = timezone.now() - timedelta(days=7)
        # One row per home, as on the listing page: a second feed's copy is not news.
        new_this_week = (
            property_homes(current, user=user)
            .filter(created_at__gte=week_ago)
            .order_by("-created_at", "-pk")
        )
        mine = current.filter(list_agent__user=user)
        status_counts = property_status_counts(listings=mine)
        context.update(
            new_this_week=new_this_week[:DASHBOARD_LISTINGS],
            my_listings=mine[:DASHBOARD_LISTINGS],
            my_status_counts=status_counts,
            my_total=sum(count for _, _, count in status_counts),
            recent_changes=property_recent_changes(user=user, limit=DASHBOARD_CHANGES),
            can_add_listing=can_add(user, Property),
        )
        return context
