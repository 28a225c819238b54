"""Fair Housing pages: the nightly scan reports and a broker's approval of a listing's text."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.urls import path

from compliance.filtersets.fair_housing import FairHousingScanRunFilterSet
from compliance.forms import FairHousingOverrideForm
from compliance.models import FairHousingScanRun
from compliance.selectors.fair_housing import fair_housing_listing_review, fair_housing_run_listings
from compliance.services.fair_housing import fair_housing_override_create
from properties.models import Property
from realestate.permissions import VIEW, actor_for
from realestate.views import ObjectDetailView, ObjectFormView, ObjectListView, ScopedMixin

FLAGGED_PER_PAGE = 50


class BrokerRequiredMixin(ScopedMixin):
    """Compliance reports are the broker's: anyone else signed in gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not actor_for(request.user).is_broker:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScanRunListView(BrokerRequiredMixin, ObjectListView):
    """The nightly Fair Housing scans of the brokerage's MLS listings, newest first."""

    queryset = FairHousingScanRun.objects.all()
    filterset_class = FairHousingScanRunFilterSet
    template_name = "compliance/fair_housing_run_list.html"
    context_object_name = "runs"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = any(
            value for key, value in self.request.GET.items() if key not in ("page", "page_size")
        )
        return context


class ScanRunDetailView(BrokerRequiredMixin, ObjectDetailView):
    """One nightly scan: its counts and the listings it flagged, with their findings."""

    queryset = FairHousingScanRun.objects.all()
    template_name = "compliance/fair_housing_run_detail.html"
    context_object_name = "run"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(fair_housing_run_listings(run=self.object), FLAGGED_PER_PAGE)
        context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
        context["flagged"] = context["page_obj"].object_list
        return context


class ListingOverrideView(ObjectFormView):
    """A broker approves a listing's public remarks despite their findings, with a reason."""

    queryset = Property.objects.all()
    form_class = FairHousingOverrideForm
    template_name = "compliance/fair_housing_listing_review.html"
    action = VIEW
    success_message = "Approved: these remarks may now be published. Your reason is on record."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance")
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["listing"] = self.object
        context["review"] = fair_housing_listing_review(listing=self.object)
        context["is_broker"] = actor_for(self.request.user).is_broker
        return context

    def save(self, form):
        fair_housing_override_create(
            text=self.object.public_remarks,
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
            listing=self.object,
        )
        return self.object


urlpatterns = [
    path("fair-housing/", ScanRunListView.as_view(), name="fair-housing-runs"),
    path("fair-housing/runs/<int:pk>/", ScanRunDetailView.as_view(), name="fair-housing-run"),
    path(
        "fair-housing/listings/<int:pk>/",
        ListingOverrideView.as_view(),
        name="fair-housing-listing",
    ),
]
