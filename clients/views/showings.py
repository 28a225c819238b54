"""Pages of the CRM: showings, the agent's week calendar and the calendar feed."""

import hashlib
from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.views.generic import TemplateView, View

from clients.calendar import (
    FEED_REFRESH,
    agent_calendar,
    calendar_feed_active,
    calendar_feed_get,
    calendar_feed_url,
    calendar_week,
    showing_list,
)
from clients.choices import ShowingStatus
from clients.filtersets import WHEN_CHOICES, ShowingFilterSet
from clients.forms.showings import ShowingCompleteForm, ShowingForm
from clients.models import Showing
from clients.selectors import agent_choices
from clients.services.showings import (
    calendar_feed_create,
    calendar_feed_revoke,
    showing_cancel,
    showing_complete,
    showing_confirm,
    showing_create,
    showing_update,
)
from realestate.permissions import CHANGE, actor_for, can, can_add
from realestate.views import ObjectActionView, ObjectDetailView, ObjectFormView, ObjectListView

CALENDAR_YEARS = (1900, 2999)


def _int_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


class ShowingListView(ObjectListView):
    """The showings the person may see: upcoming first, or the past, with filters and pages."""

    queryset = showing_list()
    filterset_class = ShowingFilterSet
    template_name = "clients/showing_list.html"
    partial_template_name = "clients/includes/showing_results.html"

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = kwargs["data"] or QueryDict()
        if "when" not in data:
            # The page opens on what is coming up; "Any time" is an explicit choice.
            kwargs["data"] = data.copy()
            kwargs["data"]["when"] = "upcoming"
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = context["filter"].form
        context.update(
            when_choices=WHEN_CHOICES,
            current_when=form["when"].value() or "",
            status_choices=ShowingStatus.choices,
            selected_statuses=self.request.GET.getlist("status"),
            agents=agent_choices(user) if actor_for(user).is_broker else (),
            is_filtered=any(
                value
                for key, value in self.request.GET.items()
                if key not in ("page", "page_size", "when")
            ),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers with a page or a partial: caches must keep them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response


class ShowingDetailView(ObjectDetailView):
    """One showing: where, when, with whom, its status and what the client thought."""

    queryset = showing_list()
    template_name = "clients/showing_detail.html"
    context_object_name = "showing"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        showing = self.object
        can_change = can(self.request.user, showing, CHANGE)
        started = showing.starts_at <= timezone.now()
        context.update(
            can_change=can_change,
            can_complete=can_change and showing.is_booked and started,
            complete_form=ShowingCompleteForm(),
            client_zone=_client_zone_name(showing),
        )
        return context


def _client_zone_name(showing):
    """The client's time zone when it is not the brokerage's, to show their time too."""
    client = showing.client
    if client is None or not client.time_zone:
        return ""
    if client.time_zone == timezone.get_current_timezone_name():
        return ""
    return client.time_zone


class ShowingFormView(ObjectFormView):
    queryset = showing_list()
    form_class = ShowingForm
    form_takes_user = True
    template_name = "clients/showing_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["prefill"] = {
            "listing": _int_param(self.request, "listing"),
            "client": _int_param(self.request, "client"),
        }
        return kwargs

    def save(self, form):
        try:
            if self.object is None:
                return showing_create(data=form.showing_data(), actor=self.request.user)
            return showing_update(
                showing=self.object, data=form.showing_data(), actor=self.request.user
            )
        except ValidationError as exc:
            raise form.service_errors(exc) from exc


class ShowingCreateView(ShowingFormView):
    """Book a showing, from a listing or a client page (``?listing=<id>&client=<id>``)."""

    success_message = "Showing booked."


class ShowingUpdateView(ShowingFormView):
    """Change or reschedule a showing; a new time needs confirming again."""

    success_message = "Showing saved."


class ShowingConfirmView(ObjectActionView):
    """The listing side agreed to the time."""

    queryset = Showing.objects.all()
    success_message = "Showing confirmed."

    def perform(self, obj):
        showing_confirm(showing=obj, actor=self.request.user)


class ShowingCancelView(ObjectActionView):
    """Call a showing off, with a reason for the client's timeline."""

    queryset = Showing.objects.select_related("listing", "client")
    success_message = "Showing cancelled. Its time is free again."

    def perform(self, obj):
        reason = self.request.POST.get("reason", "")[:500]
        showing_cancel(showing=obj, reason=reason, actor=self.request.user)


class ShowingCompleteView(ObjectFormView):
    """Record that a showing took place, with the client's feedback and rating."""

    queryset = showing_list()
    form_class = ShowingCompleteForm
    template_name = "clients/showing_complete.html"
    success_message = "Showing completed."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["showing"] = self.object
        context["started"] = self.object.starts_at <= timezone.now()
        return context

    def save(self, form):
        return showing_complete(
            showing=self.object,
            feedback=form.cleaned_data["feedback"],
            rating=form.cleaned_data["rating"],
            actor=self.request.user,
        )


class CalendarView(LoginRequiredMixin, TemplateView):
    """An agent's week: showings placed by time in day columns, and the tasks due each day."""

    template_name = "clients/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        agents = list(agent_choices(user))
        agent = _chosen_agent(self.request, agents)
        try:
            day = date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            day = timezone.localdate()
        if not CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]:
            day = timezone.localdate()  # the first and last weeks of the calendar do not fit
        context.update(
            agent=agent,
            agents=agents if actor_for(user).is_broker else (),
            today=timezone.localdate(),
        )
        if agent is None:
            return context
        week = calendar_week(agent=agent, user=user, day=day)
        agent_query = {"agent": agent.pk} if agent != actor_for(user).agent else {}
        context.update(
            week=week,
            agent_query=urlencode(agent_query),
            previous_query=urlencode({**agent_query, "date": week.previous.isoformat()}),
            next_query=urlencode({**agent_query, "date": week.next.isoformat()}),
            can_book=can_add(user, Showing),
        )
        return context


def _chosen_agent(request, agents):
    """The agent asked for (a broker picks among the brokerage), or the person's own."""
    wanted = _int_param(request, "agent")
    own = actor_for(request.user).agent
    if wanted is None:
        return own if own is not None else (agents[0] if agents else None)
    for agent in agents:
        if agent.pk == wanted:
            return agent
    raise Http404("No such agent.")


class CalendarFeedView(View):
    """The iCalendar feed behind a secret address; calendar apps fetch it without signing in."""

    http_method_names = ["get", "head"]

    def get(self, request, token):
        feed = calendar_feed_get(token=token)
        if feed is None:
            raise Http404("This calendar address does not work any more.")
        body = agent_calendar(agent=feed.agent)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="showings.ics"'
        response["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        # Only the agent's own calendar app may keep a copy; shared caches never.
        patch_cache_control(response, private=True, max_age=int(FEED_REFRESH.total_seconds()))
        response["X-Robots-Tag"] = "noindex"
        return get_conditional_response(request, etag=response["ETag"], response=response)


class CalendarFeedSettingsView(LoginRequiredMixin, TemplateView):
    """Subscribe to one's showings in Google Calendar, Apple Calendar or Outlook."""

    template_name = "clients/calendar_feed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agent = actor_for(self.request.user).agent
        feed = calendar_feed_active(agent=agent) if agent is not None else None
        url = calendar_feed_url(feed) if feed is not None else ""
        context.update(
            agent=agent,
            feed=feed,
            feed_url=url,
            webcal_url=url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
        )
        return context


class CalendarFeedCreateView(LoginRequiredMixin, View):
    """Make a new secret address; the previous one stops working."""

    http_method_names = ["post"]

    def post(self, request):
        agent = actor_for(request.user).agent
        if agent is None:
            raise PermissionDenied
        had_one = calendar_feed_active(agent=agent) is not None
        calendar_feed_create(agent=agent, actor=request.user)
        messages.success(
            request,
            "New calendar address made. The old one has stopped working: subscribe again "
            "with this one."
            if had_one
            else "Your calendar address is ready. Add it to your calendar app.",
        )
        return HttpResponseRedirect(reverse("clients:calendar-feed-settings"))


class CalendarFeedRevokeView(LoginRequiredMixin, View):
    """Turn the secret address off; calendars subscribed to it stop updating."""

    http_method_names = ["post"]

    def post(self, request):
        agent = actor_for(request.user).agent
        feed = calendar_feed_active(agent=agent) if agent is not None else None
        if feed is None:
            raise Http404("You have no calendar address.")
        calendar_feed_revoke(feed=feed, actor=request.user)
        messages.success(request, "Calendar address turned off. Calendars using it stop updating.")
        return HttpResponseRedirect(reverse("clients:calendar-feed-settings"))


urlpatterns = [
    path("showings/", ShowingListView.as_view(), name="showings"),
    path("showings/new/", ShowingCreateView.as_view(), name="showing-create"),
    path("showings/<int:pk>/", ShowingDetailView.as_view(), name="showing-detail"),
    path("showings/<int:pk>/edit/", ShowingUpdateView.as_view(), name="showing-edit"),
    path("showings/<int:pk>/confirm/", ShowingConfirmView.as_view(), name="showing-confirm"),
    path("showings/<int:pk>/cancel/", ShowingCancelView.as_view(), name="showing-cancel"),
    path("showings/<int:pk>/complete/", ShowingCompleteView.as_view(), name="showing-complete"),
    path("calendar/", CalendarView.as_view(), name="calendar"),
    path("calendar/feed/", CalendarFeedSettingsView.as_view(), name="calendar-feed-settings"),
    path("calendar/feed/new/", CalendarFeedCreateView.as_view(), name="calendar-feed-create"),
    path("calendar/feed/revoke/", CalendarFeedRevokeView.as_view(), name="calendar-feed-revoke"),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
]
