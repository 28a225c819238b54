from datetime import timedelta

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from agents.dashboards import (
    BROKERAGE_TABLES,
    agent_pipeline,
    brokerage_dashboard,
    brokerage_table_csv,
    funnel_stage_labels,
    listings_performance,
    listings_performance_csv,
    pipeline_csv,
)
from clients.api.intake import csv_response
from properties.models import Property
from properties.selectors import (
    property_homes,
    property_list,
    property_recent_changes,
    property_status_counts,
)
from realestate.permissions import actor_for, can_add
from transactions.services.commissions import MONTH_LABELS
from transactions.views.commissions import bar_chart

DASHBOARD_LISTINGS = 8
DASHBOARD_CHANGES = 10
# The broker's dashboard offers this many years, this one first.
BROKERAGE_YEARS = 6


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
            property_homes(current).filter(created_at__gte=week_ago).order_by("-created_at", "-pk")
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


class PerformanceView(LoginRequiredMixin, TemplateView):
    """The agent's pipeline value and how each of their listings on the market is doing.

    Loaded by htmx into the dashboard as it shows, like the agent's day; a page of its own
    without htmx.
    """

    template_name = "agents/performance.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.history_restore_request:
            return ["agents/includes/performance.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if actor_for(self.request.user).agent is None:
            raise PermissionDenied
        context["pipeline"] = agent_pipeline(user=self.request.user)
        context["listings"] = listings_performance(user=self.request.user)
        return context


class PerformanceExportView(LoginRequiredMixin, View):
    """The agent's listings performance (``table=listings``) or pipeline as a CSV file."""

    def get(self, request):
        if actor_for(request.user).agent is None:
            raise PermissionDenied
        table = request.GET.get("table", "listings")
        day = f"{timezone.localdate():%Y-%m-%d}"
        if table == "listings":
            lines = listings_performance_csv(rows=listings_performance(user=request.user))
        elif table == "pipeline":
            lines = pipeline_csv(pipeline=agent_pipeline(user=request.user))
        else:
            raise Http404("No such table.")
        return csv_response(lines, f"my-{table}-{day}.csv")


def _year(request):
    """The year asked for in ``?year=``, this year when none or not a sensible one."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if this_year - BROKERAGE_YEARS < year <= this_year else this_year


class BrokerOnlyMixin(LoginRequiredMixin):
    """Only a broker of a brokerage: everyone else signed in gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            person = actor_for(request.user)
            if person.agent is None or not person.is_broker:
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class BrokerageDashboardView(BrokerOnlyMixin, TemplateView):
    """The broker's dashboard: production by agent and office, the lead funnel by source,
    deals by stage and the compliance matters waiting."""

    template_name = "agents/brokerage_dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year(self.request)
        this_year = timezone.localdate().year
        dashboard = brokerage_dashboard(user=self.request.user, year=year)
        context.update(
            dashboard=dashboard,
            chart=bar_chart([figures.gci for figures in dashboard.production.months], MONTH_LABELS),
            year=year,
            years=range(this_year, this_year - BROKERAGE_YEARS, -1),
            funnel_stages=funnel_stage_labels(),
        )
        return context


class BrokerageExportView(BrokerOnlyMixin, View):
    """One table of the broker's dashboard as a CSV file: ``?table=agents`` and so on."""

    def get(self, request):
        table = request.GET.get("table", "")
        if table not in BROKERAGE_TABLES:
            raise Http404("No such table.")
        year = _year(request)
        lines = brokerage_table_csv(user=request.user, year=year, table=table)
        return csv_response(lines, f"brokerage-{table}-{year}.csv")
