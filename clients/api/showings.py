"""API of the CRM: showings and the signed-in agent's calendar feed."""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent
from clients.calendar import calendar_feed_active, calendar_feed_url, showing_list
from clients.choices import ShowingStatus
from clients.filtersets import ShowingFilterSet
from clients.models import Client, Showing
from clients.services.showings import (
    FEEDBACK_RATINGS,
    calendar_feed_create,
    calendar_feed_revoke,
    showing_cancel,
    showing_complete,
    showing_confirm,
    showing_create,
    showing_update,
)
from properties.models import Property
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from realestate.permissions import actor_for


class ShowingSerializer(serializers.ModelSerializer):
    """A showing with the names a calendar row shows; writes go through the showing services."""

    listing = VisibleRowField(queryset=Property.objects.all())
    client = VisibleRowField(queryset=Client.objects.all(), allow_null=True, required=False)
    agent = VisibleRowField(
        queryset=Agent.objects.all(),
        required=False,
        help_text="Whose calendar; yours when left out. Brokers and assistants may name any "
        "agent of the brokerage.",
    )
    listing_address = serializers.CharField(source="listing.address_line", read_only=True)
    client_name = serializers.SerializerMethodField()
    agent_name = serializers.CharField(source="agent.name", read_only=True)
    status_label = ChoiceLabelField(ShowingStatus.choices, source="status")

    class Meta:
        model = Showing
        fields = [
            "id",
            "listing",
            "listing_address",
            "client",
            "client_name",
            "agent",
            "agent_name",
            "starts_at",
            "ends_at",
            "status",
            "status_label",
            "notes",
            "feedback",
            "feedback_rating",
            "reminder_sent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "feedback",
            "feedback_rating",
            "reminder_sent_at",
            "created_at",
            "updated_at",
        ]

    def get_client_name(self, showing) -> str | None:
        return showing.client.name if showing.client_id else None


class ShowingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ShowingCompleteSerializer(serializers.Serializer):
    feedback = serializers.CharField(required=False, allow_blank=True, default="")
    rating = serializers.ChoiceField(
        choices=list(FEEDBACK_RATINGS), required=False, allow_null=True, default=None
    )


@extend_schema_view(
    list=extend_schema(
        summary="List showings",
        description=(
            "Your showings (a broker: the brokerage's), in time order. Filter by `status` "
            "(repeatable), `from` and `to` (dates, in the brokerage's time zone), `client`, "
            "`listing`, `agent` and `when` (`upcoming` or `past`, newest first)."
        ),
    ),
    retrieve=extend_schema(summary="A showing"),
    create=extend_schema(
        summary="Book a showing",
        description=(
            "Books a requested showing. A time that overlaps another requested or confirmed "
            "showing of the same agent is refused with a 400 naming that showing."
        ),
    ),
    update=extend_schema(summary="Change a showing"),
    partial_update=extend_schema(
        summary="Change or reschedule a showing",
        description="A new time or agent is checked for conflicts and needs confirming again.",
    ),
)
class ShowingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Showings on the agents' calendars; every write goes through the showing services."""

    serializer_class = ShowingSerializer
    filterset_class = ShowingFilterSet

    def get_base_queryset(self):
        return showing_list()

    def perform_create(self, serializer):
        self.check_add_permission()
        serializer.instance = showing_create(
            data=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = showing_update(
            showing=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )

    def _respond(self, showing):
        return Response(self.get_serializer(showing).data)

    @extend_schema(summary="Confirm a showing", request=None, responses=ShowingSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def confirm(self, request, pk=None):
        return self._respond(showing_confirm(showing=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Cancel a showing",
        description="The time is free again; the reason goes on the client's timeline.",
        request=ShowingCancelSerializer,
        responses=ShowingSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        showing = self.get_object()
        body = ShowingCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        showing = showing_cancel(
            showing=showing, reason=body.validated_data["reason"], actor=request.user
        )
        return self._respond(showing)

    @extend_schema(
        summary="Complete a showing with feedback",
        description=(
            "Once the showing has started: records the client's feedback and rating (1–5) "
            "on the showing and on the client's timeline."
        ),
        request=ShowingCompleteSerializer,
        responses=ShowingSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def complete(self, request, pk=None):
        showing = self.get_object()
        body = ShowingCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        showing = showing_complete(
            showing=showing,
            feedback=body.validated_data["feedback"],
            rating=body.validated_data["rating"],
            actor=request.user,
        )
        return self._respond(showing)


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="The secret iCalendar address.")
    created_at = serializers.DateTimeField(read_only=True)


class CalendarFeedView(APIView):
    """The signed-in agent's secret iCalendar address: read it, replace it or turn it off."""

    def _agent(self, request):
        agent = actor_for(request.user).agent
        if agent is None:
            raise Http404("You have no agent profile, so no calendar.")
        return agent

    def _data(self, feed):
        data = {"url": calendar_feed_url(feed), "created_at": feed.created_at}
        return CalendarFeedSerializer(data).data

    @extend_schema(
        summary="My calendar address",
        description="404 when you have none yet: POST makes one.",
        responses={200: CalendarFeedSerializer, 404: OpenApiResponse(description="No address.")},
    )
    def get(self, request):
        feed = calendar_feed_active(agent=self._agent(request))
        if feed is None:
            raise Http404("You have no calendar address yet.")
        return Response(self._data(feed))

    @extend_schema(
        summary="Make a new calendar address",
        description="The previous address, if any, stops working at once.",
        request=None,
        responses={201: CalendarFeedSerializer},
    )
    def post(self, request):
        feed = calendar_feed_create(agent=self._agent(request), actor=request.user)
        return Response(self._data(feed), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Turn my calendar address off",
        request=None,
        responses={204: OpenApiResponse(description="The address no longer works.")},
    )
    def delete(self, request):
        feed = calendar_feed_active(agent=self._agent(request))
        if feed is None:
            raise Http404("You have no calendar address.")
        calendar_feed_revoke(feed=feed, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("me/calendar-feed/", CalendarFeedView.as_view(), name="me-calendar-feed"),
]


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("showings", ShowingViewSet, basename="showing")
