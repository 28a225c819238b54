"""API of the CRM: saved searches, a client's listing matches and a listing's buyers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.choices import AlertFrequency, Stage
from clients.filtersets import SavedSearchFilterSet
from clients.matching import buyer_matches, listing_buyers
from clients.models import Client, SavedSearch
from clients.selectors import saved_search_list
from clients.services.alerts import (
    criteria_query,
    criteria_summary,
    saved_search_create,
    saved_search_delete,
    saved_search_update,
)
from properties.api.serializers import absolute_url
from properties.choices import PropertyType, StandardStatus
from properties.models import Property
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from realestate.permissions import CHANGE, VIEW, restrict

DEFAULT_MATCHES, MAX_MATCHES = 20, 100
# What a saved search's service checks under its own name; the rest are listing filters.
SEARCH_FIELDS = frozenset({"client", "name", "frequency", "is_active"})


class SavedSearchSerializer(serializers.ModelSerializer):
    """A client's saved listing search and how often it emails them."""

    client = VisibleRowField(queryset=Client.objects.all())
    criteria = serializers.JSONField(
        required=False,
        help_text=(
            "The listing filters, exactly as `GET /api/v1/properties/` takes them "
            '(`{"city": "Springfield", "min_beds": 3, "status": ["Active"]}`).'
        ),
    )
    frequency_label = ChoiceLabelField(AlertFrequency.choices, source="frequency")
    summary = serializers.SerializerMethodField()
    listings_query = serializers.SerializerMethodField()
    pending_count = serializers.IntegerField(
        read_only=True, help_text="Alerts matched and waiting for the next email."
    )

    class Meta:
        model = SavedSearch
        fields = [
            "id",
            "client",
            "name",
            "criteria",
            "summary",
            "listings_query",
            "frequency",
            "frequency_label",
            "is_active",
            "unsubscribed_at",
            "last_sent_at",
            "pending_count",
            "created_at",
        ]
        read_only_fields = ["unsubscribed_at", "last_sent_at", "created_at"]
        extra_kwargs = {
            "name": {"required": False, "allow_blank": True},
            "frequency": {"required": False},
        }

    def get_summary(self, search) -> str:
        return criteria_summary(search)

    def get_listings_query(self, search) -> str:
        """The listing list's query string of these filters."""
        return criteria_query(search.criteria)

    def validate_client(self, client):
        if self.instance is not None and client.pk != self.instance.client_id:
            raise serializers.ValidationError("A saved search stays with its client.")
        return client

    def validate_criteria(self, criteria):
        if not isinstance(criteria, dict):
            raise serializers.ValidationError("Give the listing filters as an object.")
        return criteria


def _nested_errors(error):
    """A service's errors with the listing filters' under ``criteria``, as they were sent."""
    if not hasattr(error, "error_dict"):
        return error
    outer, criteria = {}, {}
    for name, messages in error.message_dict.items():
        target = outer if name in SEARCH_FIELDS or name == "__all__" else criteria
        target[name] = messages
    if criteria:
        outer["criteria"] = criteria
    return serializers.ValidationError(outer)


@extend_schema_view(
    list=extend_schema(
        summary="List saved searches",
        description="The saved searches of the clients you may see; `client=<id>` narrows.",
    ),
    create=extend_schema(
        summary="Save a search for a client",
        description=(
            "The client is emailed the new listings, price drops and homes back on the "
            "market that match `criteria`, at `frequency`. Bad filters are answered under "
            "`criteria`, by filter name."
        ),
    ),
    partial_update=extend_schema(summary="Change a saved search"),
    destroy=extend_schema(summary="Remove a saved search"),
)
class SavedSearchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Saved searches, seen and changed through their client; writes go through the services."""

    queryset = SavedSearch.objects.select_related("client")
    serializer_class = SavedSearchSerializer
    filterset_class = SavedSearchFilterSet

    def get_queryset(self):
        return saved_search_list(user=self.request.user)

    def get_required_action(self):
        # A client's searches are part of the client: changing the client is enough.
        action = super().get_required_action()
        return VIEW if action == VIEW else CHANGE

    def perform_create(self, serializer):
        self.check_add_permission()
        data = serializer.validated_data
        try:
            search = saved_search_create(
                client=data["client"],
                criteria=data.get("criteria") or {},
                name=data.get("name", ""),
                frequency=data.get("frequency", AlertFrequency.DAILY),
                actor=self.request.user,
            )
        except DjangoValidationError as error:
            raise _nested_errors(error) from error
        serializer.instance = saved_search_list(user=self.request.user).get(pk=search.pk)

    def perform_update(self, serializer):
        data = {
            name: value
            for name, value in serializer.validated_data.items()
            if name in ("name", "frequency", "is_active", "criteria")
        }
        try:
            saved_search_update(
                saved_search=serializer.instance, data=data, actor=self.request.user
            )
        except DjangoValidationError as error:
            raise _nested_errors(error) from error
        serializer.instance = saved_search_list(user=self.request.user).get(
            pk=serializer.instance.pk
        )

    def perform_destroy(self, instance):
        saved_search_delete(saved_search=instance, actor=self.request.user)


class ListingSummarySerializer(serializers.ModelSerializer):
    """A listing as a match shows it."""

    standard_status_label = ChoiceLabelField(StandardStatus.choices, source="standard_status")
    property_type_label = ChoiceLabelField(PropertyType.choices, source="property_type")
    address_line = serializers.CharField(read_only=True)
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Property
        fields = [
            "id",
            "listing_id",
            "standard_status",
            "standard_status_label",
            "property_type",
            "property_type_label",
            "address_line",
            "city",
            "postal_code",
            "list_price",
            "bedrooms_total",
            "bathrooms_total_integer",
            "living_area",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_thumbnail_url(self, listing) -> str | None:
        return absolute_url(self, listing.thumbnail_url) or None


class BuyerMatchSerializer(serializers.Serializer):
    listing = ListingSummarySerializer()
    score = serializers.IntegerField(help_text="0–100: how well the listing fits.")
    reasons = serializers.ListField(child=serializers.CharField())


class ClientSummarySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    stage_label = ChoiceLabelField(Stage.choices, source="stage")

    class Meta:
        model = Client
        fields = ["id", "name", "email", "stage", "stage_label", "assigned_agent"]
        read_only_fields = fields


class ListingBuyerSerializer(serializers.Serializer):
    client = ClientSummarySerializer()
    score = serializers.IntegerField(help_text="0–100: how well the listing fits the buyer.")
    reasons = serializers.ListField(child=serializers.CharField())


LIMIT_PARAMETER = OpenApiParameter(
    "limit", int, description=f"How many, best first (default {DEFAULT_MATCHES}, at most 100)."
)


def _limit(request):
    try:
        limit = int(request.query_params.get("limit", DEFAULT_MATCHES))
    except ValueError:
        raise serializers.ValidationError({"limit": "A whole number."}) from None
    return max(1, min(limit, MAX_MATCHES))


class ClientMatchesView(APIView):
    """The on-market listings that fit a client's buyer preference, best first."""

    @extend_schema(
        summary="A client's listing matches",
        parameters=[LIMIT_PARAMETER],
        responses=BuyerMatchSerializer(many=True),
    )
    def get(self, request, pk):
        client = get_object_or_404(restrict(Client.objects.all(), request.user), pk=pk)
        matches = buyer_matches(client=client, user=request.user, limit=_limit(request))
        context = {"request": request}
        return Response(BuyerMatchSerializer(matches, many=True, context=context).data)


class ListingBuyersView(APIView):
    """The clients whose buyer preference a listing fits, best first."""

    @extend_schema(
        summary="A listing's matching buyers",
        parameters=[LIMIT_PARAMETER],
        responses=ListingBuyerSerializer(many=True),
    )
    def get(self, request, pk):
        listing = get_object_or_404(restrict(Property.objects.all(), request.user), pk=pk)
        buyers = listing_buyers(listing=listing, user=request.user, limit=_limit(request))
        return Response(ListingBuyerSerializer(buyers, many=True).data)


urlpatterns = [
    # Beside the "clients" and "properties" routes of their own viewsets, which stay theirs.
    path("clients/<int:pk>/matches/", ClientMatchesView.as_view(), name="client-matches"),
    path("properties/<int:pk>/buyers/", ListingBuyersView.as_view(), name="listing-buyers"),
]


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
