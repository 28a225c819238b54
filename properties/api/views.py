from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from compliance.models.mls import AccessKind
from compliance.services.mls import listing_access_record
from properties.api.serializers import (
    MediaUploadSerializer,
    PropertyDetailSerializer,
    PropertyListSerializer,
    PropertyMediaSerializer,
    TimelineEntrySerializer,
)
from properties.filtersets import PropertyFilterSet
from properties.selectors import property_details, property_rows, property_timeline
from properties.services import (
    listing_archive,
    listing_create,
    listing_update,
    media_add,
    media_delete,
)
from realestate.api import ScopedViewSet
from realestate.permissions import CHANGE


@extend_schema_view(
    list=extend_schema(
        summary="List listings",
        description=(
            "The brokerage's current listings, filtered with the listing page's filters. "
            "Archived listings are left out unless `archived=true`; `sort` orders the page. "
            "A home listed more than once (two MLS feeds, a feed and the brokerage's own "
            "listing, a relisting under a new MLS number) is one row, its current listing "
            "(on the market first, then sold, then the rest; among those the most recently "
            "modified), with `home_listings_count`; the filters apply to that listing. "
            "`all_listings=true` returns every listing as its own row, and rows of the same "
            "home share a `home_key`."
        ),
    ),
    retrieve=extend_schema(
        summary="A listing with its agent and photos",
        description="`also_listed_as` names the other listings of the same home.",
    ),
    create=extend_schema(
        summary="Add a listing",
        description="Agents list for themselves; brokers and assistants may name any agent.",
    ),
    update=extend_schema(summary="Replace a listing's editable fields"),
    partial_update=extend_schema(
        summary="Change some of a listing's fields",
        description="A new price or status is written to the listing's timeline.",
    ),
    destroy=extend_schema(
        summary="Archive a listing",
        description=(
            "Archives the listing rather than deleting it: it leaves the lists, but the "
            "listing, its photos and its price and status history are kept (history is never "
            "lost). It stays readable at its own URL and in the list with `archived=true`."
        ),
    ),
)
class PropertyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Listings of the caller's brokerage; every write goes through the listing services."""

    serializer_class = PropertyDetailSerializer
    filterset_class = PropertyFilterSet

    def get_base_queryset(self):
        return property_rows() if self.action == "list" else property_details()

    def get_required_action(self):
        # Archiving a listing (DELETE) and removing a photo change the listing: the same right
        # as the page's archive button, not a right to destroy anything.
        if self.action in ("destroy", "media_remove"):
            return CHANGE
        return super().get_required_action()

    def get_serializer_class(self):
        if self.action == "list":
            return PropertyListSerializer
        return super().get_serializer_class()

    def retrieve(self, request, *args, **kwargs):
        listing = self.get_object()
        # Reading an MLS listing is logged (MLS rules): one INSERT.
        listing_access_record(user=request.user, listing=listing, kind=AccessKind.API)
        return Response(self.get_serializer(listing).data)

    def perform_create(self, serializer):
        self.check_add_permission()
        serializer.instance = listing_create(
            data=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = listing_update(
            listing=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        listing_archive(listing=instance, actor=self.request.user)

    @extend_schema(
        methods=["GET"],
        summary="A listing's photos",
        description="The listing's photos in display order.",
        responses=PropertyMediaSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a photo",
        description=(
            "A multipart upload of one JPEG, PNG or WebP photo (field `file`, optional "
            "`caption`). Its variants are made in the background; until then their URLs "
            "point at the original."
        ),
        request={"multipart/form-data": MediaUploadSerializer},
        responses={201: PropertyMediaSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=PropertyMediaSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def media(self, request, pk=None):
        listing = self.get_object()
        if request.method == "GET":
            photos = PropertyMediaSerializer(
                listing.media.all(), many=True, context=self.get_serializer_context()
            )
            return Response(photos.data)
        upload = MediaUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            photo = media_add(
                listing=listing,
                upload=upload.validated_data["file"],
                caption=upload.validated_data["caption"],
                actor=request.user,
            )
        except DjangoValidationError as exc:
            # The image checks speak about the upload as a whole: report them on its field.
            if hasattr(exc, "error_dict"):
                raise
            raise serializers.ValidationError({"file": exc.messages}) from exc
        # media_add has committed, so an eager photo task may already have made the variants.
        photo.refresh_from_db()
        data = PropertyMediaSerializer(photo, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete a photo",
        description="Removes the photo and its stored files; the listing's other photos stay.",
        parameters=[
            OpenApiParameter("media_id", int, OpenApiParameter.PATH, description="The photo's id")
        ],
        request=None,
        responses={204: OpenApiResponse(description="The photo was deleted.")},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"media/(?P<media_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def media_remove(self, request, pk=None, media_id=None):
        listing = self.get_object()
        photo = get_object_or_404(listing.media.all(), pk=media_id)
        media_delete(media=photo, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A listing's price and status history",
        description="Price and status changes, newest first.",
        responses=TimelineEntrySerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=TimelineEntrySerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def timeline(self, request, pk=None):
        listing = self.get_object()
        entries = TimelineEntrySerializer(property_timeline(listing=listing), many=True)
        return Response(entries.data)
