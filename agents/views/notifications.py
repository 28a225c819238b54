"""A person's notification feed, the top bar's bell and their alert settings.

Everything here is the signed-in person's own: another person's notification is a 404, for a
broker too.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render, resolve_url
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View

from agents.filtersets import NotificationFilterSet
from agents.models import Agent, Notification
from agents.notification_forms import AlertSettingsForm
from agents.selectors import notification_list, notification_unread_count, notifications_latest
from agents.services.notifications import (
    agent_alert_settings_update,
    notification_mark_read,
    notifications_mark_all_read,
)
from realestate.permissions import restrict
from realestate.views import ObjectListView


class NotificationListView(ObjectListView):
    """The person's notifications, newest or unread first, filtered by state and kind."""

    queryset = Notification.objects.all()
    filterset_class = NotificationFilterSet
    template_name = "agents/notification_list.html"
    partial_template_name = "agents/includes/notification_results.html"

    def get_queryset(self):
        return notification_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = any(
            value
            for key, value in self.request.GET.items()
            if key not in ("page", "page_size", "sort")
        )
        context["unread_count"] = notification_unread_count(user=self.request.user)
        return context


def _next_url(request, default):
    """Where a plain form goes back to: the page it was sent from, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _count_context(request):
    return {"unread_count": notification_unread_count(user=request.user)}


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one of the person's notifications read (POST)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = get_object_or_404(notification_list(user=request.user), pk=pk)
        notification_mark_read(notification=notification, user=request.user)
        if request.htmx:
            context = {"notification": notification, "oob_count": True, **_count_context(request)}
            return render(request, "agents/includes/notification_item.html", context)
        return HttpResponseRedirect(_next_url(request, reverse("notifications:list")))


class NotificationReadAllView(LoginRequiredMixin, View):
    """Mark every unread notification of the person read (POST)."""

    http_method_names = ["post"]

    def post(self, request):
        marked = notifications_mark_all_read(user=request.user)
        if request.htmx:
            # From the bell: its panel again, and the count beside it.
            return _bell_panel(request)
        if marked:
            messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} read.")
        return HttpResponseRedirect(_next_url(request, reverse("notifications:list")))


def _bell_panel(request):
    context = {
        "notifications": notifications_latest(user=request.user),
        "oob_count": True,
        **_count_context(request),
    }
    return render(request, "agents/includes/notification_bell.html", context)


class BellView(LoginRequiredMixin, View):
    """The bell's dropdown: the newest few notifications."""

    def handle_no_permission(self):
        # Opened after the session ended: to the sign-in page, not the page into the dropdown.
        if self.request.htmx:
            back = self.request.htmx.current_url_abs_path or "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
            )
            return response
        return super().handle_no_permission()

    def get(self, request):
        return _bell_panel(request)


class UnreadCountView(LoginRequiredMixin, View):
    """The bell's unread count, polled by the top bar."""

    def handle_no_permission(self):
        # A poll after the session ended changes nothing on the page (the person may be
        # typing): no sign-in page swapped into the top bar, no reload.
        if self.request.htmx:
            return HttpResponse(status=204)
        return super().handle_no_permission()

    def get(self, request):
        return render(request, "agents/includes/notification_count.html", _count_context(request))


class AlertSettingsView(LoginRequiredMixin, View):
    """The person's own alert settings: price drops, areas and email."""

    template_name = "agents/alert_settings.html"

    def get_agent(self):
        agent = restrict(Agent.objects.filter(user=self.request.user), self.request.user).first()
        if agent is None:
            raise Http404("You have no agent profile.")
        return agent

    def get(self, request):
        agent = self.get_agent()
        return render(request, self.template_name, {"form": AlertSettingsForm.for_agent(agent)})

    def post(self, request):
        agent = self.get_agent()
        form = AlertSettingsForm.for_agent(agent, data=request.POST)
        if form.is_valid():
            try:
                agent_alert_settings_update(agent=agent, data=form.cleaned_data, actor=request.user)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Your alert settings are saved.")
                return HttpResponseRedirect(reverse("notifications:settings"))
        return render(request, self.template_name, {"form": form})


urlpatterns = [
    path("", NotificationListView.as_view(), name="list"),
    path("<int:pk>/read/", NotificationReadView.as_view(), name="read"),
    path("read-all/", NotificationReadAllView.as_view(), name="read-all"),
    path("bell/", BellView.as_view(), name="bell"),
    path("unread-count/", UnreadCountView.as_view(), name="unread-count"),
    path("settings/", AlertSettingsView.as_view(), name="settings"),
]
