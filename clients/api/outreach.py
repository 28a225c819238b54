"""API of outreach: templates (with a preview), segments, campaigns (start, pause, resume,
metrics) and the messages sent."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.choices import AttemptStatus, CampaignStatus, OutreachChannel
from clients.filtersets import (
    CampaignFilterSet,
    ClientSegmentFilterSet,
    MessageTemplateFilterSet,
    OutreachAttemptFilterSet,
)
from clients.models import (
    Campaign,
    CampaignStep,
    Client,
    ClientSegment,
    MessageTemplate,
    OutreachAttempt,
)
from clients.services.campaigns import (
    campaign_create,
    campaign_delete,
    campaign_metrics,
    campaign_pause,
    campaign_resume,
    campaign_start,
    campaign_step_add,
    campaign_step_remove,
    campaign_update,
    outreach_send_one,
)
from clients.services.outreach import (
    attempt_state,
    segment_create,
    segment_delete,
    segment_update,
    template_create,
    template_delete,
    template_is_usable,
    template_preview,
    template_update,
)
from compliance.models.fair_housing import FairHousingOverride
from compliance.services.fair_housing import text_hash
from properties.models import Property
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from realestate.permissions import VIEW

CRUD = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)


class OutreachAttemptSerializer(serializers.ModelSerializer):
    """One message sent (or not, with the reason) and what came of it."""

    status_label = ChoiceLabelField(AttemptStatus.choices, source="status")
    state = serializers.SerializerMethodField()

    class Meta:
        model = OutreachAttempt
        fields = [
            "id",
            "client",
            "channel",
            "campaign",
            "step",
            "template",
            "to_address",
            "subject",
            "body",
            "status",
            "status_label",
            "state",
            "skip_reason",
            "error",
            "provider_message_id",
            "scheduled_for",
            "sent_at",
            "delivered_at",
            "opened_at",
            "clicked_at",
            "replied_at",
            "bounced_at",
            "complained_at",
            "unsubscribed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_state(self, attempt) -> str:
        return attempt_state(attempt)


class SendOneSerializer(serializers.Serializer):
    client = VisibleRowField(queryset=Client.objects.all())
    listing = VisibleRowField(queryset=Property.objects.all(), required=False, allow_null=True)


class MessageTemplateSerializer(serializers.ModelSerializer):
    """An email or text with merge fields; ``usable`` is false while it has Fair Housing
    findings the broker has not approved."""

    channel_label = ChoiceLabelField(OutreachChannel.choices, source="channel")
    usable = serializers.SerializerMethodField()

    class Meta:
        model = MessageTemplate
        fields = [
            "id",
            "name",
            "channel",
            "channel_label",
            "subject",
            "body",
            "findings",
            "usable",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["findings", "owner", "created_at", "updated_at"]
        extra_kwargs = {"subject": {"required": False, "allow_blank": True}}

    def get_usable(self, template) -> bool:
        if not template.findings:
            return True
        approved = self.context.get("approved_hashes")
        if approved is not None:
            return text_hash(template.scanned_text) in approved
        return template_is_usable(template)


class PreviewSerializer(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()
    html_body = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField())


class PreviewQuerySerializer(serializers.Serializer):
    client = VisibleRowField(queryset=Client.objects.all(), required=False, allow_null=True)
    listing = VisibleRowField(queryset=Property.objects.all(), required=False, allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="List message templates"),
    create=extend_schema(
        summary="Write a template",
        description="Merge fields: `{{ client.first_name }}`, with a fallback "
        "`{{ client.first_name|there }}`. Saving scans the text for Fair Housing wording.",
    ),
    partial_update=extend_schema(summary="Change a template"),
    destroy=extend_schema(summary="Remove a template no campaign uses"),
)
class MessageTemplateViewSet(*CRUD, ScopedViewSet):
    """The brokerage's templates; their owner (or the broker) changes them."""

    queryset = MessageTemplate.objects.all()
    serializer_class = MessageTemplateSerializer
    filterset_class = MessageTemplateFilterSet
    http_method_names = ["get", "post", "patch", "delete"]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # Whether each flagged template is approved, in one query for the page.
        hashes = {text_hash(template.scanned_text) for template in page if template.findings}
        approved = set(
            FairHousingOverride.objects.filter(text_hash__in=hashes)
            .filter(brokerage_id__in={template.brokerage_id for template in page})
            .values_list("text_hash", flat=True)
            if hashes
            else ()
        )
        context = {**self.get_serializer_context(), "approved_hashes": approved}
        data = self.get_serializer_class()(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def perform_create(self, serializer):
        self.check_add_permission()
        serializer.instance = template_create(
            data=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = template_update(
            template=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        template_delete(template=instance, actor=self.request.user)

    @extend_schema(
        summary="Preview a template with real data",
        parameters=[
            OpenApiParameter("client", int, description="A client you can see."),
            OpenApiParameter("listing", int, description="A listing you can see."),
        ],
        responses=PreviewSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request, pk=None):
        template = self.get_object()
        query = PreviewQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        rendered = template_preview(
            template=template,
            actor=request.user,
            client=query.validated_data.get("client"),
            listing=query.validated_data.get("listing"),
        )
        return Response(PreviewSerializer(rendered).data)

    def get_required_action(self):
        # Sending a template uses it: anyone who sees it may, to a client they may change.
        if self.action == "send":
            return VIEW
        return super().get_required_action()

    @extend_schema(
        summary="Send a template to one client now",
        description="Outside any campaign; recorded like every message (see `attempts`), "
        "with the same consent, suppression, quiet-hours and Fair Housing checks.",
        request=SendOneSerializer,
        responses={202: OutreachAttemptSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def send(self, request, pk=None):
        template = self.get_object()
        body = SendOneSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        attempt = outreach_send_one(
            client=body.validated_data["client"],
            template=template,
            listing=body.validated_data.get("listing"),
            actor=request.user,
        )
        return Response(OutreachAttemptSerializer(attempt).data, status=202)


class ClientSegmentSerializer(serializers.ModelSerializer):
    """A saved client filter: the client list's query string."""

    class Meta:
        model = ClientSegment
        fields = ["id", "name", "query", "owner", "created_at"]
        read_only_fields = ["owner", "created_at"]
        extra_kwargs = {"query": {"required": False, "allow_blank": True}}


@extend_schema_view(
    list=extend_schema(summary="List client segments"),
    create=extend_schema(
        summary="Save a client segment",
        description="`query` is the client list's filters (`stage=active&tag=3`), the same "
        "as `GET /api/v1/clients/` takes.",
    ),
)
class ClientSegmentViewSet(*CRUD, ScopedViewSet):
    """The caller's segments (a broker sees the brokerage's)."""

    queryset = ClientSegment.objects.all()
    serializer_class = ClientSegmentSerializer
    filterset_class = ClientSegmentFilterSet
    http_method_names = ["get", "post", "patch", "delete"]

    def perform_create(self, serializer):
        self.check_add_permission()
        data = serializer.validated_data
        serializer.instance = segment_create(
            name=data.get("name", ""), query=data.get("query", ""), actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = segment_update(
            segment=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        segment_delete(segment=instance, actor=self.request.user)


class CampaignStepSerializer(serializers.ModelSerializer):
    template = VisibleRowField(queryset=MessageTemplate.objects.all())

    class Meta:
        model = CampaignStep
        fields = ["id", "position", "template", "delay_hours"]
        read_only_fields = ["id", "position"]


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign and its steps; ``steps`` given on create or on a draft's update replace
    the sequence."""

    segment = VisibleRowField(queryset=ClientSegment.objects.all())
    listing = VisibleRowField(queryset=Property.objects.all(), required=False, allow_null=True)
    steps = CampaignStepSerializer(many=True, required=False)
    status_label = ChoiceLabelField(CampaignStatus.choices, source="status")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "segment",
            "kind",
            "listing",
            "status",
            "status_label",
            "steps",
            "owner",
            "started_at",
            "paused_at",
            "created_at",
        ]
        read_only_fields = ["status", "owner", "started_at", "paused_at", "created_at"]


class MetricsRowSerializer(serializers.Serializer):
    step = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField(allow_null=True)
    template = serializers.CharField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    replied = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    bounced = serializers.IntegerField()
    skipped = serializers.IntegerField()
    waiting = serializers.IntegerField()


class MetricsSerializer(serializers.Serializer):
    steps = MetricsRowSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    create=extend_schema(summary="Build a campaign (a draft)"),
    partial_update=extend_schema(summary="Change a campaign"),
    destroy=extend_schema(summary="Remove a draft campaign"),
)
class CampaignViewSet(*CRUD, ScopedViewSet):
    """The caller's campaigns; start, pause and resume them, and read their metrics."""

    queryset = Campaign.objects.prefetch_related("steps")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    http_method_names = ["get", "post", "patch", "delete"]

    def _replace_steps(self, campaign, steps):
        for step in list(campaign.steps.order_by("-position")):
            campaign_step_remove(step=step, actor=self.request.user)
        for step in steps:
            campaign_step_add(
                campaign=campaign,
                template=step["template"],
                delay_hours=step.get("delay_hours", 0),
                actor=self.request.user,
            )

    def _fresh(self, campaign):
        return self.get_queryset().get(pk=campaign.pk)

    def perform_create(self, serializer):
        self.check_add_permission()
        data = dict(serializer.validated_data)
        steps = data.pop("steps", [])
        campaign = campaign_create(data=data, actor=self.request.user)
        self._replace_steps(campaign, steps)
        serializer.instance = self._fresh(campaign)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        steps = data.pop("steps", None)
        campaign = campaign_update(campaign=serializer.instance, data=data, actor=self.request.user)
        if steps is not None:
            self._replace_steps(campaign, steps)
        serializer.instance = self._fresh(campaign)

    def perform_destroy(self, instance):
        campaign_delete(campaign=instance, actor=self.request.user)

    def _respond(self, campaign):
        return Response(self.get_serializer(self._fresh(campaign)).data)

    @extend_schema(summary="Start a campaign", request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def start(self, request, pk=None):
        campaign = self.get_object()
        campaign_start(campaign=campaign, actor=request.user)
        return self._respond(campaign)

    @extend_schema(summary="Pause a campaign", request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def pause(self, request, pk=None):
        campaign = self.get_object()
        campaign_pause(campaign=campaign, actor=request.user)
        return self._respond(campaign)

    @extend_schema(summary="Resume a campaign", request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resume(self, request, pk=None):
        campaign = self.get_object()
        campaign_resume(campaign=campaign, actor=request.user)
        return self._respond(campaign)

    @extend_schema(summary="A campaign's metrics per step", responses=MetricsSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def metrics(self, request, pk=None):
        return Response(MetricsSerializer(campaign_metrics(campaign=self.get_object())).data)


@extend_schema_view(
    list=extend_schema(
        summary="List messages sent",
        description="The outreach messages to the clients you can see; filter by `campaign`, "
        "`client`, `channel`, `status`.",
    ),
    retrieve=extend_schema(summary="One message"),
)
class OutreachAttemptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Messages, seen through their client."""

    queryset = OutreachAttempt.objects.all()
    serializer_class = OutreachAttemptSerializer
    filterset_class = OutreachAttemptFilterSet


urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("outreach/templates", MessageTemplateViewSet, basename="outreach-template")
    router.register("outreach/segments", ClientSegmentViewSet, basename="outreach-segment")
    router.register("outreach/campaigns", CampaignViewSet, basename="outreach-campaign")
    router.register("outreach/attempts", OutreachAttemptViewSet, basename="outreach-attempt")
