"""API of a broker's webhooks: subscriptions, their deliveries (replay, test send) and incoming
endpoints with their request logs. Brokers only: anyone else signed in gets 403."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from agents.choices import EventName, IncomingWebhookKind
from agents.filtersets import IncomingWebhookLogFilterSet, WebhookDeliveryFilterSet
from agents.models import (
    IncomingWebhook,
    IncomingWebhookLog,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.services.webhooks import (
    incoming_endpoint_create,
    webhook_deliveries_replay,
    webhook_delivery_replay,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_secret_rotate,
    webhook_subscription_update,
    webhook_test_send,
)
from clients.models import LeadSource
from realestate.api import ScopedViewSet, VisibleRowField
from realestate.permissions import CHANGE, actor_for, restrict


class IsBroker(BasePermission):
    """Webhooks are the broker's business: agents, assistants and viewers get 403."""

    message = "Only a broker manages the brokerage's webhooks."

    def has_permission(self, request, view):
        person = actor_for(request.user)
        return request.user.is_superuser or (person.agent is not None and person.is_broker)


BROKER_ONLY = [IsAuthenticated, IsBroker]


# ---------- serializers ----------


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription; its secret is never shown after the answer that created it."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventName.choices),
        required=False,
        help_text="Event names to receive; an empty list means every event.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "description", "events", "is_active", "created_at"]
        read_only_fields = ["created_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: shown in this answer only."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["id", "attempted_at", "status_code", "error", "duration_ms", "response_excerpt"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A delivery's state: status, last answer, attempts and the next one."""

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "message_id",
            "event_name",
            "is_test",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    """A delivery with the body it sends and every attempt."""

    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "body", "attempt_log"]


class IncomingWebhookSerializer(serializers.ModelSerializer):
    """An incoming endpoint; its secret is only in the answer that created it."""

    lead_source = VisibleRowField(
        queryset=LeadSource.objects.all(), required=False, allow_null=True
    )
    hook_url = serializers.SerializerMethodField()

    class Meta:
        model = IncomingWebhook
        fields = ["id", "name", "kind", "lead_source", "is_active", "hook_url", "created_at"]
        read_only_fields = ["is_active", "created_at"]
        # The brokerage is set by the service: its name rule is checked there.
        validators = []

    def get_hook_url(self, webhook) -> str:
        path = webhook.get_hook_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if path and request else path


class IncomingWebhookCreatedSerializer(IncomingWebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: shown in this answer only."
    )

    class Meta(IncomingWebhookSerializer.Meta):
        fields = [*IncomingWebhookSerializer.Meta.fields, "secret"]


class IncomingWebhookLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncomingWebhookLog
        fields = [
            "id",
            "received_at",
            "verified",
            "status_code",
            "message_id",
            "error",
            "remote_addr",
            "body_excerpt",
        ]


REPLAYED = inline_serializer("WebhookReplayed", {"replayed": serializers.IntegerField()})
SECRET = inline_serializer("WebhookSecret", {"secret": serializers.CharField()})


# ---------- viewsets ----------


class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """The brokerage's webhook subscriptions. The secret is only in the create answer."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = BROKER_ONLY

    def get_base_queryset(self):
        return WebhookSubscription.objects.order_by("url", "pk")

    @extend_schema(responses={201: WebhookSubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = webhook_subscription_create(
            brokerage=actor_for(request.user).brokerage,
            actor=request.user,
            **serializer.validated_data,
        )
        created.subscription.secret = created.secret
        answer = WebhookSubscriptionCreatedSerializer(created.subscription)
        return Response(answer.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = webhook_subscription_update(
            subscription=serializer.instance,
            data=serializer.validated_data,
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        webhook_subscription_delete(subscription=instance, actor=self.request.user)

    def get_required_action(self):
        if self.action in ("test_send", "rotate_secret"):
            return CHANGE
        return super().get_required_action()

    @extend_schema(
        summary="Send a test message", request=None, responses={201: WebhookDeliverySerializer}
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test_send(self, request, pk=None):
        delivery = webhook_test_send(subscription=self.get_object(), actor=request.user)
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Make a new signing secret", request=None, responses=SECRET)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        secret = webhook_subscription_secret_rotate(
            subscription=self.get_object(), actor=request.user
        )
        return Response({"secret": secret})


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Every delivery of the brokerage's subscriptions, newest first; filter by ``status``."""

    permission_classes = BROKER_ONLY
    filterset_class = WebhookDeliveryFilterSet

    def get_base_queryset(self):
        deliveries = WebhookDelivery.objects.all()
        if self.action == "retrieve":
            deliveries = deliveries.prefetch_related("attempt_log")
        return deliveries

    def get_serializer_class(self):
        if self.action == "retrieve":
            return WebhookDeliveryDetailSerializer
        return WebhookDeliverySerializer

    def get_required_action(self):
        return CHANGE if self.action == "replay" else super().get_required_action()

    @extend_schema(summary="Send a delivery again", request=None, responses=REPLAYED)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = self.get_object()
        return Response(
            {"replayed": webhook_delivery_replay(delivery=delivery, actor=request.user)}
        )

    @extend_schema(
        summary="Replay every dead letter (of one subscription with ?subscription=)",
        request=None,
        responses=REPLAYED,
    )
    @action(detail=False, methods=["post"], url_path="replay-dead")
    def replay_dead(self, request):
        dead = restrict(
            WebhookDelivery.objects.filter(status="dead"), request.user, CHANGE
        ).select_related("subscription")
        subscription = request.query_params.get("subscription", "")
        if subscription.isdigit():
            dead = dead.filter(subscription_id=int(subscription))
        with transaction.atomic():
            count = webhook_deliveries_replay(deliveries=dead, actor=request.user)
        return Response({"replayed": count})


class IncomingWebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Endpoints other systems post to; the secret is only in the create answer."""

    serializer_class = IncomingWebhookSerializer
    permission_classes = BROKER_ONLY

    def get_base_queryset(self):
        return IncomingWebhook.objects.order_by("name", "pk")

    @extend_schema(
        request=IncomingWebhookSerializer, responses={201: IncomingWebhookCreatedSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook = incoming_endpoint_create(
            brokerage=actor_for(request.user).brokerage,
            name=data["name"],
            kind=data.get("kind", IncomingWebhookKind.LEADS),
            lead_source=data.get("lead_source"),
            actor=request.user,
        )
        answer = IncomingWebhookCreatedSerializer(webhook, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The endpoint's request log", responses=IncomingWebhookLogSerializer(many=True)
    )
    @action(detail=True, methods=["get"])
    def log(self, request, pk=None):
        webhook = self.get_object()
        rows = IncomingWebhookLogFilterSet(
            request.query_params, queryset=webhook.log.all(), request=request
        ).qs
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(IncomingWebhookLogSerializer(page, many=True).data)


urlpatterns = []


def register(router):
    """Add the webhook endpoints to the API router."""
    router.register(
        "webhooks/subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription"
    )
    router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
    router.register("webhooks/incoming", IncomingWebhookViewSet, basename="incoming-webhook")
