"""API of a listing's marketing materials (flyer, sign-in sheet, social image), its
description drafts, and the caller's email signature."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.views.brand import logo_url_for
from compliance.api.fair_housing import FindingSerializer
from properties.descriptions import description_drafts
from properties.materials.listing import materials_listings
from properties.materials.pdf import flyer_pdf, sign_in_sheet_pdf
from properties.materials.signature import signature_build
from properties.materials.social import SocialBanner, SocialSize, social_png
from realestate.permissions import actor_for


class FirstRenderer(BaseContentNegotiation):
    """A file endpoint answers with its file whatever the Accept header says; its errors are
    JSON (the first renderer), never a 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


REFUSED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The public remarks have Fair Housing findings no broker approved: "
    '`{"public_remarks": ["Fair Housing: …", …]}`. Change the remarks first.',
)
NOT_FOUND = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="No such listing, not one you may see, or not one the brokerage lists "
    "(another firm's listing in an MLS feed).",
)


class MaterialView(APIView):
    content_negotiation_class = FirstRenderer

    def listing(self, pk):
        return get_object_or_404(materials_listings(user=self.request.user), pk=pk)


def _file(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class FlyerView(MaterialView):
    @extend_schema(
        summary="A listing's flyer (PDF)",
        description=(
            "One letter page in the brokerage's brand kit: the hero photo and up to three "
            "more, price, address, key facts, public remarks, the listing agent's card, the "
            "brand disclaimer, the MLS attribution (listing office and agent, source) and the "
            "Equal Housing Opportunity mark. Only for listings the brokerage lists."
        ),
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: REFUSED,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk):
        listing = self.listing(pk)
        return _file(flyer_pdf(listing=listing), "application/pdf", f"flyer-{listing.pk}.pdf")


class SignInSheetView(MaterialView):
    @extend_schema(
        summary="A listing's open-house sign-in sheet (PDF)",
        description=(
            "The listing's header, date and time to fill in, and a table of rows for name, "
            "email, phone, working with an agent and a consent box, with the consent wording, "
            "the MLS attribution and the Equal Housing Opportunity mark."
        ),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        listing = self.listing(pk)
        return _file(
            sign_in_sheet_pdf(listing=listing),
            "application/pdf",
            f"open-house-sign-in-{listing.pk}.pdf",
        )


class SocialQuerySerializer(serializers.Serializer):
    size = serializers.ChoiceField(choices=SocialSize.choices, default=SocialSize.SQUARE)
    banner = serializers.ChoiceField(choices=SocialBanner.choices, default=SocialBanner.JUST_LISTED)


class SocialImageView(MaterialView):
    @extend_schema(
        summary="A listing's social-media image (PNG)",
        description=(
            "The first photo, the banner, price, address and facts, the logo, the MLS "
            "attribution and the Equal Housing Opportunity mark. Sizes: `square` 1080×1080, "
            "`portrait` 1080×1350, `story` 1080×1920, `link` 1200×630 (Facebook and link "
            "previews)."
        ),
        parameters=[
            OpenApiParameter("size", str, enum=SocialSize.values, default=SocialSize.SQUARE),
            OpenApiParameter(
                "banner", str, enum=SocialBanner.values, default=SocialBanner.JUST_LISTED
            ),
        ],
        responses={(200, "image/png"): OpenApiTypes.BINARY, 400: REFUSED, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        listing = self.listing(pk)
        query = SocialQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        size, banner = query.validated_data["size"], query.validated_data["banner"]
        return _file(
            social_png(listing=listing, size=size, banner=banner),
            "image/png",
            f"listing-{listing.pk}-{size}-{banner}.png",
        )


class DraftFindingSerializer(FindingSerializer):
    """A Fair Housing finding in a draft, with its message as the pages show it."""

    message = serializers.CharField()


class DraftSerializer(serializers.Serializer):
    tone = serializers.CharField()
    label = serializers.CharField()
    text = serializers.CharField()
    findings = DraftFindingSerializer(many=True)


class DescriptionDraftsView(MaterialView):
    content_negotiation_class = APIView.content_negotiation_class

    @extend_schema(
        summary="Description drafts of a listing",
        description=(
            "Public-remarks drafts in a few tones (classic, concise, luxury), written from the "
            "listing's facts (beds, baths, living area, lot, year built, features, pool, view, "
            "waterfront, garage, city) with no outside service. Each has the Fair Housing "
            "findings of the brokerage's rules: a draft with findings must be reworded."
        ),
        responses={200: DraftSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, pk):
        drafts = description_drafts(listing=self.listing(pk))
        return Response(DraftSerializer([draft.as_dict() for draft in drafts], many=True).data)


class SignatureSerializer(serializers.Serializer):
    html = serializers.CharField(help_text="Inline-styled HTML for email programs.")
    text = serializers.CharField(help_text="The same signature as plain text.")


class SignatureView(APIView):
    @extend_schema(
        summary="Your email signature",
        description=(
            "The signed-in agent's signature in the brokerage's brand: name, title, phone, "
            "email, brokerage, logo (by its address), licence number and the Equal Housing "
            "Opportunity wording, as HTML and as plain text. 403 without an agent profile."
        ),
        responses={200: SignatureSerializer},
    )
    def get(self, request):
        agent = actor_for(request.user).agent
        if agent is None:
            raise PermissionDenied("You have no agent profile.")
        signature = signature_build(agent=agent, logo_url=logo_url_for(request, agent.brokerage))
        return Response({"html": signature.html, "text": signature.text})


urlpatterns = [
    path(
        "properties/<int:pk>/materials/flyer.pdf",
        FlyerView.as_view(),
        name="property-materials-flyer",
    ),
    path(
        "properties/<int:pk>/materials/sign-in-sheet.pdf",
        SignInSheetView.as_view(),
        name="property-materials-sign-in-sheet",
    ),
    path(
        "properties/<int:pk>/materials/social.png",
        SocialImageView.as_view(),
        name="property-materials-social",
    ),
    path(
        "properties/<int:pk>/description-drafts/",
        DescriptionDraftsView.as_view(),
        name="property-description-drafts",
    ),
    path("me/signature/", SignatureView.as_view(), name="me-signature"),
]


def register(router):
    """This area has no viewsets: its endpoints are in ``urlpatterns``."""
