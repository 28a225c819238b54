"""API of a person's notification feed (list, count, mark read) and alert settings; only ever
their own."""

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.choices import NotificationKind
from agents.filtersets import NotificationFilterSet
from agents.models import Agent, Notification
from agents.selectors import notification_list, notification_unread_count
from agents.services.notifications import (
    agent_alert_settings_update,
    notification_mark_read,
    notifications_mark_all_read,
)
from realestate.api import ChoiceLabelField, ScopedViewSet
from realestate.permissions import VIEW, restrict


class NotificationSerializer(serializers.ModelSerializer):
    """One notification of the caller's feed."""

    kind_label = ChoiceLabelField(NotificationKind.choices, source="kind")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "url",
            "event",
            "created_at",
            "read_at",
            "is_read",
            "emailed_at",
        ]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


COUNT = inline_serializer("NotificationCount", {"unread": serializers.IntegerField()})
MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications",
        description=(
            "Your own notifications, newest first (`sort=unread`: unread first); "
            "`unread=true` and `kind` narrow. Nobody sees anyone else's, a broker neither."
        ),
    ),
    retrieve=extend_schema(summary="One of your notifications"),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The caller's notifications; marking them read goes through the services."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        return notification_list(user=self.request.user)

    def get_required_action(self):
        # Reading one's own notification changes nothing of the brokerage's: a viewer may too.
        return VIEW

    @extend_schema(summary="Mark a notification read", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object(), user=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(summary="Mark all your notifications read", request=None, responses=MARKED)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})

    @extend_schema(summary="How many of your notifications are unread", responses=COUNT)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request):
        return Response({"unread": notification_unread_count(user=request.user)})


class AlertSettingsSerializer(serializers.ModelSerializer):
    """What alerts the caller: how large a price drop, where, and whether by email too."""

    market_areas = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text='Cities or ZIP codes the caller works, e.g. `["Springfield", "62701"]`.',
    )

    class Meta:
        model = Agent
        fields = ["price_drop_alert_percent", "notify_by_email", "market_areas"]
        extra_kwargs = {
            "price_drop_alert_percent": {"min_value": Decimal("0.1"), "max_value": Decimal("99.9")}
        }


class AlertSettingsView(APIView):
    """The caller's own alert settings."""

    def get_agent(self, request):
        agent = restrict(Agent.objects.filter(user=request.user), request.user).first()
        if agent is None:
            raise NotFound("You have no agent profile.")
        return agent

    @extend_schema(summary="Your alert settings", responses=AlertSettingsSerializer)
    def get(self, request):
        return Response(AlertSettingsSerializer(self.get_agent(request)).data)

    @extend_schema(
        summary="Change your alert settings",
        description=(
            "`price_drop_alert_percent`: alert me when a listing in my `market_areas` drops by "
            "at least this (null: never); `notify_by_email`: email my alerts as well."
        ),
        request=AlertSettingsSerializer,
        responses=AlertSettingsSerializer,
    )
    def patch(self, request):
        agent = self.get_agent(request)
        serializer = AlertSettingsSerializer(agent, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        agent = agent_alert_settings_update(
            agent=agent, data=serializer.validated_data, actor=request.user
        )
        return Response(AlertSettingsSerializer(agent).data)


urlpatterns = [
    path("me/alert-settings/", AlertSettingsView.as_view(), name="me-alert-settings"),
]


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("notifications", NotificationViewSet, basename="notification")
