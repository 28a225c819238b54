"""API of comparative market analyses: run one, save it, read the saved ones."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from clients.models import Client
from properties.cma import cma_run, cma_save, valuation_snapshot
from properties.models import CMA, Property
from realestate.api import ScopedViewSet
from realestate.permissions import restrict


class CMARequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Defaults to today.")
    subject = serializers.DictField(
        help_text=(
            '`{"property": <listing id>}`, or the home\'s features under RESO names '
            "(LivingArea, BedroomsTotal, BathroomsTotalInteger, YearBuilt, LotSizeSquareFeet, "
            "GarageSpaces, PoolPrivateYN, WaterfrontYN, ViewYN, PropertyCondition, Latitude, "
            "Longitude, PropertyType)."
        )
    )
    exclude = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    include = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    save = serializers.BooleanField(required=False, default=False)
    client = serializers.IntegerField(required=False, allow_null=True)
    listing = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class CMASerializer(serializers.ModelSerializer):
    """A saved CMA with its comparables (``result``)."""

    class Meta:
        model = CMA
        fields = [
            "id",
            "title",
            "listing",
            "client",
            "as_of",
            "subject",
            "estimate",
            "low",
            "high",
            "price_per_sqft",
            "confidence",
            "confidence_label",
            "excluded",
            "included",
            "result",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CMAListSerializer(CMASerializer):
    class Meta(CMASerializer.Meta):
        fields = [f for f in CMASerializer.Meta.fields if f != "result"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Saved CMAs", description="Your own; a broker sees them all."),
    retrieve=extend_schema(summary="A saved CMA with every comparable and adjustment"),
    create=extend_schema(
        summary="Run a CMA",
        description=(
            "Values a subject home as of a date (default today) from the closed sales of the "
            "brokerage sold before that date. Returns the estimate, the low–high range, price "
            "per square foot, the confidence (0–100), the search steps (how far the search "
            "was widened), the local adjustment rates, and every comparable with its distance, "
            "sale date, raw price, each adjustment, adjusted price, weight and contribution: "
            "the contributions add up to the estimate. `exclude`/`include` take comparables "
            "out or add them by listing id. With `save: true` the CMA is saved (with `client` "
            "and `listing`) and the answer is 201 with its `id`."
        ),
        request=CMARequestSerializer,
    ),
)
class CMAViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Run CMAs; list and read the saved ones."""

    serializer_class = CMASerializer
    queryset = CMA.objects.all()

    def get_serializer_class(self):
        if self.action == "list":
            return CMAListSerializer
        return super().get_serializer_class()

    def create(self, request):
        params = CMARequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        subject = data["subject"]
        listing = None
        if "property" in subject:
            try:
                pk = int(subject["property"])
            except (TypeError, ValueError):
                raise serializers.ValidationError(
                    {"subject": "property is a listing id."}
                ) from None
            listing = get_object_or_404(restrict(Property.objects.all(), request.user), pk=pk)
        try:
            run = cma_run(
                user=request.user,
                as_of=data.get("as_of"),
                listing=listing,
                features=None if listing else subject,
                exclude=data["exclude"],
                include=data["include"],
            )
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else error.messages
            raise serializers.ValidationError({"subject": detail}) from error
        body = {"subject": run.subject, "title": run.title, **valuation_snapshot(run.valuation)}
        if not data["save"]:
            return Response(body)
        self.check_add_permission()
        client = other_listing = None
        if data.get("client"):
            client = get_object_or_404(
                restrict(Client.objects.all(), request.user), pk=data["client"]
            )
        if data.get("listing"):
            other_listing = get_object_or_404(
                restrict(Property.objects.all(), request.user), pk=data["listing"]
            )
        cma = cma_save(
            run=run, user=request.user, client=client, listing=other_listing, title=data["title"]
        )
        return Response({"id": cma.pk, **body}, status=status.HTTP_201_CREATED)


urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("market/cma", CMAViewSet, basename="cma")
