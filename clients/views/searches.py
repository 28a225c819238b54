"""Pages of the CRM: saved searches, buyer matches and the clients' unsubscribe page."""

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from clients.filtersets import SavedSearchFilterSet
from clients.forms.searches import SavedSearchForm
from clients.matching import buyer_matches, listing_buyers
from clients.models import Client, SavedSearch
from clients.selectors import saved_search_list
from clients.services.alerts import (
    CRITERIA_FIELDS,
    PRESENTATION_PARAMS,
    REFUSED_FILTERS,
    criteria_query,
    criteria_summary,
    listing_alert_view,
    saved_search_create,
    saved_search_delete,
    saved_search_unsubscribe,
    saved_search_update,
)
from properties.choices import ON_MARKET_STATUSES
from properties.models import Property
from realestate.permissions import CHANGE, can, restrict
from realestate.views import ObjectActionView, ObjectFormView, ObjectListView

MATCHES_SHOWN = 20
BUYERS_SHOWN = 50
RECENT_ALERTS_SHOWN = 10


class SavedSearchListView(ObjectListView):
    """Every saved search of the clients the person may see, with its waiting alerts."""

    queryset = SavedSearch.objects.select_related("client")
    filterset_class = SavedSearchFilterSet
    template_name = "clients/savedsearch_list.html"
    partial_template_name = "clients/includes/savedsearch_results.html"

    def get_queryset(self):
        return saved_search_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = any(
            value for key, value in self.request.GET.items() if key not in ("page", "page_size")
        )
        return context


class SavedSearchFormView(ObjectFormView):
    """Create (from the listing page's filters) or edit a saved search, through the services."""

    queryset = SavedSearch.objects.select_related("client")
    form_class = SavedSearchForm
    form_takes_user = True
    template_name = "clients/savedsearch_form.html"
    action = CHANGE

    def get_success_url(self):
        return f"{reverse('clients:searches')}?{urlencode({'client': self.object.client_id})}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object is not None:
            context["summary"] = criteria_summary(self.object)
            context["listings_query"] = criteria_query(self.object.criteria)
            context["alerts"] = self.object.alerts.select_related("listing").only(
                "event",
                "matched_at",
                "claimed_at",
                "sent_at",
                "skipped_reason",
                "saved_search_id",
                "listing__street_number",
                "listing__street_dir_prefix",
                "listing__street_name",
                "listing__street_suffix",
                "listing__unit_number",
                "listing__city",
                "listing__list_price",
            )[:RECENT_ALERTS_SHOWN]
        return context


class SavedSearchCreateView(SavedSearchFormView):
    success_message = "Search saved: the client gets its new matches by email."

    def get_initial(self):
        # The listing page's query string: its filters, and perhaps the client.
        query = self.request.GET
        initial = {name: query.get(name) for name in CRITERIA_FIELDS if query.get(name)}
        statuses = [status for status in query.getlist("status") if status in ON_MARKET_STATUSES]
        if statuses:
            initial["status"] = statuses
        initial["all_listings"] = query.get("all_listings") == "true"
        if query.get("client", "").isdigit():
            initial["client"] = query["client"]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        context["dropped_filters"] = [
            message
            for name, message in REFUSED_FILTERS.items()
            if query.get(name) in ("true", "True", "1", "on")
        ]
        listing_params = {
            name: query.getlist(name)
            for name in query
            if name in CRITERIA_FIELDS or name in PRESENTATION_PARAMS
        }
        context["back_query"] = urlencode(listing_params, doseq=True)
        return context

    def save(self, form):
        return saved_search_create(
            client=form.cleaned_data["client"],
            criteria=form.criteria(),
            name=form.cleaned_data["name"],
            frequency=form.cleaned_data["frequency"],
            actor=self.request.user,
        )


class SavedSearchUpdateView(SavedSearchFormView):
    success_message = "Saved search updated."

    def save(self, form):
        data = {name: form.cleaned_data[name] for name in ("name", "frequency", "is_active")}
        data["criteria"] = form.criteria()
        return saved_search_update(saved_search=self.object, data=data, actor=self.request.user)


class SavedSearchDeleteView(ObjectActionView):
    """Remove a saved search (changing the client's searches is enough)."""

    queryset = SavedSearch.objects.select_related("client")
    action = CHANGE
    success_message = "Saved search removed."

    def perform(self, obj):
        saved_search_delete(saved_search=obj, actor=self.request.user)

    def get_success_url(self):
        return f"{reverse('clients:searches')}?{urlencode({'client': self.object.client_id})}"


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """The client's unsubscribe link, without signing in: a page to confirm, then done.

    Mail programs that unsubscribe in one click (``List-Unsubscribe-Post``) POST straight
    here, without a CSRF token: the unguessable token in the URL is the proof.
    """

    def get(self, request, token):
        search = get_object_or_404(
            SavedSearch.objects.select_related("brokerage", "client"), unsubscribe_token=token
        )
        return render(request, "clients/unsubscribe.html", {"search": search})

    def post(self, request, token):
        search = saved_search_unsubscribe(token=token, all_email=request.POST.get("all") == "1")
        if search is None:
            raise Http404("No such subscription.")
        return render(request, "clients/unsubscribe_done.html", {"search": search})


class AlertListingView(View):
    """A listing from a client's alert email, for the client, without signing in.

    The search's secret token proves who they are; only a listing the search has alerted them
    of is shown, and opening it goes on their timeline.
    """

    def get(self, request, token, pk):
        viewed = listing_alert_view(token=token, listing_id=pk)
        if viewed is None:
            raise Http404("No such listing in your alerts.")
        search, listing = viewed
        agent = search.client.assigned_agent
        context = {
            "search": search,
            "listing": listing,
            "brokerage": search.brokerage,
            "agent": agent,
            "on_market": listing.archived_at is None
            and listing.standard_status in ON_MARKET_STATUSES,
        }
        response = render(request, "clients/alert_listing.html", context)
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
        return response


class ListingBuyersView(LoginRequiredMixin, View):
    """The clients a listing suits, best first; an htmx request gets only the list."""

    def get(self, request, pk):
        listing = get_object_or_404(restrict(Property.objects.all(), request.user), pk=pk)
        context = {
            "listing": listing,
            "buyers": listing_buyers(listing=listing, user=request.user, limit=BUYERS_SHOWN),
            "buyers_shown": BUYERS_SHOWN,
            "on_market": listing.archived_at is None
            and listing.standard_status in ON_MARKET_STATUSES,
        }
        template = (
            "clients/listing_buyers_partial.html" if request.htmx else "clients/listing_buyers.html"
        )
        return render(request, template, context)


class ClientMatchesView(LoginRequiredMixin, View):
    """A client's best listing matches, as the part of a page that shows them (htmx)."""

    def get(self, request, pk):
        client = get_object_or_404(restrict(Client.objects.all(), request.user), pk=pk)
        context = {
            "client": client,
            "matches": buyer_matches(client=client, user=request.user, limit=MATCHES_SHOWN),
            "can_change": can(request.user, client, CHANGE),
        }
        return render(request, "clients/includes/client_matches.html", context)


urlpatterns = [
    path("searches/", SavedSearchListView.as_view(), name="searches"),
    path("searches/new/", SavedSearchCreateView.as_view(), name="search-create"),
    path("searches/<int:pk>/edit/", SavedSearchUpdateView.as_view(), name="search-edit"),
    path("searches/<int:pk>/delete/", SavedSearchDeleteView.as_view(), name="search-delete"),
    path("unsubscribe/<uuid:token>/", UnsubscribeView.as_view(), name="unsubscribe"),
    path(
        "alerts/<uuid:token>/listing/<int:pk>/",
        AlertListingView.as_view(),
        name="alert-listing",
    ),
    path("listing/<int:pk>/buyers/", ListingBuyersView.as_view(), name="listing-buyers"),
    path("client/<int:pk>/matches/", ClientMatchesView.as_view(), name="client-matches"),
]
