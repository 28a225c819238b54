"""The compliance start page: what an agent keeps in order, and for a broker every register."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views.generic import TemplateView

from realestate.permissions import actor_for

# (title, url name, what it is for, brokers only)
SECTIONS = (
    ("Licences", "compliance:licence-list", "Licence numbers, expiry and CE hours.", False),
    ("Payout account", "compliance:payout-account", "Where commission is paid.", False),
    (
        "Fair Housing",
        "compliance:fair-housing-runs",
        "Nightly scans of MLS listings' public remarks.",
        True,
    ),
    ("MLS access log", "compliance:listing-access-list", "Who viewed or exported MLS data.", True),
    (
        "Do-not-contact list",
        "compliance:do-not-contact",
        "Numbers and addresses never contacted.",
        True,
    ),
    (
        "Data retention",
        "compliance:retention",
        "Closed-out clients anonymised after a period.",
        True,
    ),
)


class ComplianceHomeView(LoginRequiredMixin, TemplateView):
    """Links to the compliance registers the person keeps or oversees."""

    template_name = "compliance/home.html"

    def get_context_data(self, **kwargs):
        person = actor_for(self.request.user)
        if person.agent is None and not self.request.user.is_superuser:
            raise PermissionDenied
        context = super().get_context_data(**kwargs)
        context["sections"] = [
            {"title": title, "url_name": url_name, "summary": summary}
            for title, url_name, summary, brokers_only in SECTIONS
            if person.is_broker or not brokers_only
        ]
        return context


urlpatterns = [path("", ComplianceHomeView.as_view(), name="home")]
