"""The marketing pages of a listing: its materials page (previews, downloads, description
drafts) and the flyer, sign-in sheet and social image downloads.

Anyone of the brokerage who may see a listing the brokerage lists may make its materials;
every other listing is a 404 (``properties.materials.listing.materials_listings``).
"""

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from compliance.services.fair_housing import fair_housing_override_for, fair_housing_scan
from properties.descriptions import description_drafts
from properties.materials.listing import listing_attribution, materials_listings
from properties.materials.pdf import flyer_pdf, sign_in_sheet_pdf
from properties.materials.social import SOCIAL_DIMENSIONS, SocialBanner, SocialSize, social_png

TEMPLATE = "properties/materials/materials.html"


class SocialForm(forms.Form):
    """The social image asked for: its shape and banner."""

    size = forms.ChoiceField(choices=SocialSize.choices, initial=SocialSize.SQUARE, required=False)
    banner = forms.ChoiceField(
        choices=SocialBanner.choices, initial=SocialBanner.JUST_LISTED, required=False
    )

    def choice(self):
        data = self.cleaned_data
        return data.get("size") or SocialSize.SQUARE, data.get("banner") or SocialBanner.JUST_LISTED


def remarks_findings(listing):
    """The Fair Housing findings that stop a flyer or social image: none once a broker
    approved this exact text."""
    findings = fair_housing_scan(text=listing.public_remarks, brokerage=listing.brokerage_id)
    if findings and fair_housing_override_for(
        text=listing.public_remarks, brokerage=listing.brokerage_id
    ):
        return []
    return findings


def _file_response(content, content_type, filename, *, download):
    response = HttpResponse(content, content_type=content_type)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class MaterialsMixin(LoginRequiredMixin):
    def get_listing(self):
        return get_object_or_404(materials_listings(user=self.request.user), pk=self.kwargs["pk"])

    def page(self, listing, *, form=None, refusal=None, status=200):
        form = form if form is not None else SocialForm(self.request.GET or None)
        size, banner = (
            form.choice()
            if form.is_bound and form.is_valid()
            else (SocialSize.SQUARE, "just_listed")
        )
        findings = remarks_findings(listing)
        context = {
            "listing": listing,
            "social_form": form,
            "social_size": size,
            "social_banner": banner,
            "social_dimensions": SOCIAL_DIMENSIONS[SocialSize(size)],
            "social_url": reverse("properties:materials-social", args=[listing.pk])
            + f"?size={size}&banner={banner}",
            "findings": findings,
            "refusal": refusal,
            "attribution": listing_attribution(listing),
            "drafts": description_drafts(listing=listing),
        }
        return render(self.request, TEMPLATE, context, status=status)


class MaterialsView(MaterialsMixin, View):
    """The listing's materials: previews, downloads and description drafts."""

    def get(self, request, pk):
        return self.page(self.get_listing())


class FlyerView(MaterialsMixin, View):
    """The one-page flyer PDF; refused (409, with the findings) while the public remarks
    have Fair Housing findings."""

    def get(self, request, pk):
        listing = self.get_listing()
        try:
            content = flyer_pdf(listing=listing)
        except ValidationError as error:
            return self.page(listing, refusal=error.messages, status=409)
        return _file_response(
            content,
            "application/pdf",
            f"flyer-{listing.pk}.pdf",
            download="download" in request.GET,
        )


class SignInSheetView(MaterialsMixin, View):
    """The open-house sign-in sheet PDF."""

    def get(self, request, pk):
        listing = self.get_listing()
        return _file_response(
            sign_in_sheet_pdf(listing=listing),
            "application/pdf",
            f"open-house-sign-in-{listing.pk}.pdf",
            download="download" in request.GET,
        )


class SocialImageView(MaterialsMixin, View):
    """A social-media PNG in the asked size with the asked banner."""

    def get(self, request, pk):
        listing = self.get_listing()
        form = SocialForm(request.GET)
        if not form.is_valid():
            return self.page(listing, form=form, status=400)
        size, banner = form.choice()
        try:
            content = social_png(listing=listing, size=size, banner=banner)
        except ValidationError as error:
            return self.page(listing, refusal=error.messages, status=409)
        return _file_response(
            content,
            "image/png",
            f"listing-{listing.pk}-{size}-{banner}.png",
            download="download" in request.GET,
        )
