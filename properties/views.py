"""The agents' listing pages: list, detail, create and edit, archive and restore, photos."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View

from compliance.forms import FairHousingOverrideForm
from compliance.models.mls import AccessKind
from compliance.selectors.fair_housing import fair_housing_listing_review
from compliance.services.mls import (
    listing_access_record,
    listing_mls_attribution,
    listings_export_record,
    mls_card_disclaimers,
)
from properties.choices import PropertySubType, PropertyType, StandardStatus
from properties.descriptions import description_drafts
from properties.exports import EXPORT_LIMIT, listings_export_csv
from properties.filtersets import PropertyFilterSet
from properties.forms import FEATURE_LIST_FIELDS, PhotoUploadForm, PropertyForm
from properties.materials.listing import is_own_listing
from properties.models import Property, PropertyMedia
from properties.selectors import (
    property_details,
    property_export_rows,
    property_home_listings,
    property_rows,
    property_timeline,
)
from properties.services import (
    listing_archive,
    listing_create,
    listing_restore,
    listing_update,
    listing_view_count,
    media_add,
    media_delete,
)
from realestate.permissions import CHANGE, actor_for, can, restrict
from realestate.views import ObjectActionView, ObjectDetailView, ObjectFormView, ObjectListView

# The listing model's default order, as the sort control names it.
DEFAULT_SORT = "-updated"


class PropertyListView(ObjectListView):
    """The brokerage's listings, one card per home, with filters, search, sort and pages."""

    queryset = property_rows()
    filterset_class = PropertyFilterSet
    template_name = "properties/property_list.html"
    partial_template_name = "properties/includes/property_results.html"
    paginate_by = 24
    page_size_options = (24, 48, 96)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status_choices"] = StandardStatus.choices
        context["property_type_choices"] = PropertyType.choices
        context["property_sub_type_choices"] = PropertySubType.choices
        context["sort_options"] = [
            choice for choice in context["filter"].form.fields["sort"].choices if choice[0]
        ]
        context["current_sort"] = self.request.GET.get("sort") or DEFAULT_SORT
        context["selected_statuses"] = self.request.GET.getlist("status")
        context["all_listings"] = self.request.GET.get("all_listings") == "true"
        context["is_filtered"] = any(
            value for key, value in self.request.GET.items() if key not in ("page", "page_size")
        )
        context["mls_disclaimers"] = mls_card_disclaimers(listings=context["object_list"])
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers with a page or a partial: caches must keep them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response


class PropertyExportView(LoginRequiredMixin, View):
    """The listings the person may see, with the list's filters, as a CSV file (logged)."""

    def get(self, request):
        from clients.api.intake import csv_response

        rows = restrict(property_export_rows(), request.user)
        filterset = PropertyFilterSet(request.GET, queryset=rows, request=request)
        listings = list(filterset.qs[:EXPORT_LIMIT])
        listings_export_record(user=request.user, listings=listings)
        filename = f"listings-{timezone.localdate():%Y-%m-%d}.csv"
        return csv_response(listings_export_csv(listings=listings), filename)


class PropertyDetailView(ObjectDetailView):
    """One listing: photos, facts, remarks, timeline, agent and the home's other listings."""

    queryset = property_details()
    template_name = "properties/property_detail.html"
    context_object_name = "listing"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listing = self.object
        context["photos"] = listing.media.all()
        context["features"] = [
            (PropertyForm.base_fields[name].label, getattr(listing, name))
            for name in FEATURE_LIST_FIELDS
        ]
        context["timeline"] = property_timeline(listing=listing)
        context["also_listed_as"] = property_home_listings(listing=listing, user=self.request.user)
        context["can_change"] = can(self.request.user, listing, CHANGE)
        context["mls_attribution"] = listing_mls_attribution(listing=listing)
        listing_access_record(user=self.request.user, listing=listing, kind=AccessKind.VIEW)
        listing_view_count(listing=listing, viewer=self.request.user)
        context["fair_housing"] = fair_housing_listing_review(listing=listing)
        context["is_broker"] = actor_for(self.request.user).is_broker
        context["override_form"] = FairHousingOverrideForm()
        context["can_market"] = is_own_listing(listing)
        return context


class PropertyFormView(ObjectFormView):
    """Create a listing (no ``pk``) or edit one, through the listing services."""

    queryset = Property.objects.select_related("list_agent__user", "list_office")
    form_class = PropertyForm
    form_takes_user = True
    template_name = "properties/property_form.html"

    def save(self, form):
        if self.object is None:
            return listing_create(data=form.listing_data(), actor=self.request.user)
        return listing_update(
            listing=self.object, data=form.changed_listing_data(), actor=self.request.user
        )


class PropertyCreateView(PropertyFormView):
    success_message = "Listing added."


class PropertyUpdateView(PropertyFormView):
    success_message = "Listing saved."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Drafts to copy into the public remarks, from the facts as they are stored.
        if is_own_listing(self.object):
            context["description_drafts"] = description_drafts(listing=self.object)
        return context


class PropertyArchiveView(ObjectActionView):
    """Take a listing off the lists; it keeps its history and can be restored."""

    queryset = Property.objects.all()
    success_message = "Listing archived. Find it under Archived listings."

    def perform(self, obj):
        listing_archive(listing=obj, actor=self.request.user)


class PropertyRestoreView(ObjectActionView):
    """Bring an archived listing back to the lists."""

    queryset = Property.objects.all()
    success_message = "Listing restored."

    def perform(self, obj):
        listing_restore(listing=obj, actor=self.request.user)


class PropertyPhotosView(ObjectFormView):
    """Manage a listing's photos: see them in order, add more, remove some."""

    queryset = Property.objects.all()
    form_class = PhotoUploadForm
    template_name = "properties/property_photos.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["listing"] = self.object
        context["photos"] = self.object.media.all()
        return context

    def save(self, form):
        listing = self.object
        caption = form.cleaned_data["caption"]
        added, problems = 0, []
        # Each photo is checked and stored on its own: a bad file does not lose the good ones.
        for upload in form.cleaned_data["photos"]:
            try:
                media_add(listing=listing, upload=upload, actor=self.request.user, caption=caption)
            except ValidationError as exc:
                problems += [f"{upload.name}: {message}" for message in exc.messages]
            else:
                added += 1
        if problems:
            if added:
                messages.success(self.request, _photos_added_message(added))
            raise ValidationError({"photos": problems})
        self.success_message = _photos_added_message(added)
        return listing

    def get_success_url(self):
        return reverse("properties:photos", args=[self.object.pk])


def _photos_added_message(count):
    return "1 photo added." if count == 1 else f"{count} photos added."


class PhotoDeleteView(ObjectActionView):
    """Remove one photo of a listing and its stored files."""

    queryset = PropertyMedia.objects.select_related("property")
    success_message = "Photo removed."

    def get_object(self, queryset=None):
        photos = self.get_queryset().filter(property_id=self.kwargs["pk"])
        media = get_object_or_404(photos, pk=self.kwargs["media_pk"])
        if not can(self.request.user, media, CHANGE):
            raise PermissionDenied
        return media

    def perform(self, obj):
        media_delete(media=obj, actor=self.request.user)

    def get_success_url(self):
        return reverse("properties:photos", args=[self.kwargs["pk"]])
