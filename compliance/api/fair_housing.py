"""API of Fair Housing advertising: scan a text, approve one, read the nightly reports."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.filtersets.fair_housing import FairHousingScanRunFilterSet
from compliance.models import FairHousingOverride, FairHousingRule, FairHousingScanRun
from compliance.selectors.fair_housing import fair_housing_rules_for, fair_housing_run_listings
from compliance.services.fair_housing import (
    fair_housing_override_create,
    fair_housing_override_for,
    fair_housing_rule_delete,
    fair_housing_rule_save,
    fair_housing_scan,
)
from properties.models import Property
from realestate.api import ScopedViewSet
from realestate.permissions import actor_for, restrict


class IsBrokerageMember(BasePermission):
    """A signed-in member of a brokerage (its rules are the ones applied)."""

    message = "Only members of a brokerage can scan text."

    def has_permission(self, request, view):
        return request.user.is_authenticated and actor_for(request.user).agent is not None


class IsBroker(BasePermission):
    """Only a brokerage's broker."""

    message = "Only the broker can do this."

    def has_permission(self, request, view):
        return request.user.is_authenticated and actor_for(request.user).is_broker


# ---------- serializers ----------


class FindingSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset of the first character of the phrase.")
    end = serializers.IntegerField(help_text="Offset just after its last character.")
    text = serializers.CharField(help_text="The words as written in the text.")
    phrase = serializers.CharField(help_text="The rule that matched them.")
    protected_class = serializers.CharField()
    class_name = serializers.CharField()
    reason = serializers.CharField()
    suggestion = serializers.CharField()
    rule_id = serializers.IntegerField(allow_null=True)


class ScanRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=100_000, trim_whitespace=False)


class ScanResultSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True)
    approved = serializers.BooleanField(
        help_text="A broker approved this exact text: it may be published as it is."
    )


class OverrideRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000, trim_whitespace=False)
    reason = serializers.CharField(max_length=2000)
    listing = serializers.IntegerField(required=False, help_text="The listing it is for.")


class OverrideSerializer(serializers.ModelSerializer):
    """A broker's approval of one exact text despite its findings."""

    class Meta:
        model = FairHousingOverride
        fields = [
            "id",
            "text",
            "text_hash",
            "findings",
            "reason",
            "listing",
            "broker",
            "created_at",
        ]
        read_only_fields = fields


class ScanRunSerializer(serializers.ModelSerializer):
    """One nightly scan of the brokerage's MLS listings."""

    class Meta:
        model = FairHousingScanRun
        fields = [
            "id",
            "state",
            "listings_scanned",
            "listings_flagged",
            "findings_total",
            "class_counts",
            "message",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    """A Fair Housing rule: built-in (no brokerage) or the brokerage's own."""

    builtin = serializers.BooleanField(source="is_builtin", read_only=True)
    class_name = serializers.CharField(read_only=True)

    class Meta:
        model = FairHousingRule
        fields = [
            "id",
            "phrase",
            "protected_class",
            "class_label",
            "class_name",
            "reason",
            "suggestion",
            "is_active",
            "builtin",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class FlaggedListingSerializer(serializers.Serializer):
    listing = serializers.IntegerField(source="listing_id")
    listing_key = serializers.CharField(source="listing.listing_key")
    address = serializers.CharField(source="listing.address_line")
    findings = FindingSerializer(many=True)


# ---------- views ----------


class ScanView(APIView):
    """Fair Housing findings of a text, by the caller's brokerage's rules."""

    permission_classes = [IsAuthenticated, IsBrokerageMember]

    @extend_schema(
        summary="Scan a text for Fair Housing findings",
        description=(
            "Finds the words and phrases of a listing's remarks, a template or any public text "
            "that state a preference, limitation or discrimination under the Fair Housing Act "
            "(HUD's advertising guidance), by the built-in rules and the brokerage's own. "
            "Each finding has its protected class, the reason, its span and a rewrite."
        ),
        request=ScanRequestSerializer,
        responses=ScanResultSerializer,
    )
    def post(self, request):
        payload = ScanRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        text = payload.validated_data["text"]
        brokerage = actor_for(request.user).brokerage_id
        findings = fair_housing_scan(text=text, brokerage=brokerage)
        approved = bool(findings) and (
            fair_housing_override_for(text=text, brokerage=brokerage) is not None
        )
        result = {"findings": [finding.as_dict() for finding in findings], "approved": approved}
        return Response(ScanResultSerializer(result).data)


class OverrideView(APIView):
    """A broker approves a text with findings so that it may be published."""

    permission_classes = [IsAuthenticated, IsBroker]

    @extend_schema(
        summary="Approve a text despite its Fair Housing findings",
        description=(
            "Records the broker's reason (in the audit log); a listing whose public remarks are "
            "exactly this text may then be published."
        ),
        request=OverrideRequestSerializer,
        responses={201: OverrideSerializer},
    )
    def post(self, request):
        payload = OverrideRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        listing = None
        if "listing" in payload.validated_data:
            listing = get_object_or_404(
                restrict(Property.objects.all(), request.user), pk=payload.validated_data["listing"]
            )
        override = fair_housing_override_create(
            text=payload.validated_data["text"],
            reason=payload.validated_data["reason"],
            actor=request.user,
            listing=listing,
        )
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="The Fair Housing rules of the caller's brokerage",
        description="The built-in rules (`builtin`, read-only) and the brokerage's own.",
    ),
    create=extend_schema(
        summary="Add a rule for the brokerage (broker)",
        description=(
            "A state's or city's class, e.g. source of income. In `phrase`, words match "
            "their plurals and -ed/-ing forms; `a/b` is either word, `word?` an optional word."
        ),
    ),
)
class RuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Fair Housing rules: members read them; the broker changes the brokerage's own."""

    serializer_class = RuleSerializer
    permission_classes = [IsAuthenticated, IsBrokerageMember]

    def get_queryset(self):
        return fair_housing_rules_for(user=self.request.user)

    def perform_create(self, serializer):
        self.check_add_permission()
        rule = FairHousingRule(**serializer.validated_data)
        serializer.instance = fair_housing_rule_save(rule=rule, actor=self.request.user)

    def perform_update(self, serializer):
        rule = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(rule, field, value)
        serializer.instance = fair_housing_rule_save(rule=rule, actor=self.request.user)

    def perform_destroy(self, instance):
        fair_housing_rule_delete(rule=instance, actor=self.request.user)


class ScanRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The brokerage's nightly Fair Housing scans, for the broker."""

    serializer_class = ScanRunSerializer
    permission_classes = [IsAuthenticated, IsBroker]
    queryset = FairHousingScanRun.objects.all()
    filterset_class = FairHousingScanRunFilterSet

    @extend_schema(
        summary="The listings a scan flagged, with their findings",
        responses=FlaggedListingSerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=FlaggedListingSerializer)
    def listings(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(fair_housing_run_listings(run=run))
        return self.get_paginated_response(FlaggedListingSerializer(page, many=True).data)


urlpatterns = [
    path("compliance/fair-housing/scan/", ScanView.as_view(), name="fair-housing-scan"),
    path(
        "compliance/fair-housing/overrides/",
        OverrideView.as_view(),
        name="fair-housing-override",
    ),
]


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("compliance/fair-housing/runs", ScanRunViewSet, basename="fair-housing-run")
    router.register("compliance/fair-housing/rules", RuleViewSet, basename="fair-housing-rule")
