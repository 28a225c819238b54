"""Licence pages: an agent's own licences and CE progress, a broker's brokerage-wide list;
the broker's MLS access log."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone

from compliance.filtersets.licences import LicenceFilterSet, ListingAccessFilterSet
from compliance.models.licences import Licence
from compliance.models.mls import ListingAccess
from realestate.permissions import actor_for
from realestate.views import ObjectDetailView, ObjectListView


class LicenceListView(ObjectListView):
    """An agent's licences, or for a broker every licence of the brokerage, by expiry."""

    queryset = Licence.objects.select_related("agent__user").order_by("expires_on", "pk")
    filterset_class = LicenceFilterSet
    template_name = "compliance/licence_list.html"
    partial_template_name = "compliance/includes/licence_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        context["is_broker"] = actor_for(self.request.user).is_broker
        context["is_filtered"] = any(
            value
            for key, value in self.request.GET.items()
            if key not in ("page", "page_size", "sort")
        )
        return context


class LicenceDetailView(ObjectDetailView):
    """One licence: its dates, status, CE progress and the expiry alerts sent."""

    queryset = Licence.objects.select_related("agent__user")
    template_name = "compliance/licence_detail.html"
    context_object_name = "licence"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        context["alerts"] = self.object.alerts.all()
        return context


class ListingAccessListView(ObjectListView):
    """Who viewed or exported which MLS listings: the broker's log, filtered."""

    queryset = ListingAccess.objects.select_related("user", "provider", "listing")
    filterset_class = ListingAccessFilterSet
    template_name = "compliance/listingaccess_list.html"
    partial_template_name = "compliance/includes/listingaccess_results.html"
    paginate_by = 50
    page_size_options = (50, 100, 200)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not actor_for(request.user).is_broker:
            raise PermissionDenied("Only a broker reads the MLS access log.")
        return super().dispatch(request, *args, **kwargs)


urlpatterns = [
    path("licences/", LicenceListView.as_view(), name="licence-list"),
    path("licences/<int:pk>/", LicenceDetailView.as_view(), name="licence-detail"),
    path("mls-access/", ListingAccessListView.as_view(), name="listing-access-list"),
]
