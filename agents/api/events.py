"""API of the event log: a broker reads the brokerage's events, an agent the ones they caused."""

from rest_framework import mixins, pagination, serializers

from agents.choices import EventName
from agents.filtersets import EventFilterSet
from agents.models import Event
from realestate.api import ChoiceLabelField, ScopedViewSet

urlpatterns = []


class EventCursorPagination(pagination.CursorPagination):
    """Newest first, by id: a page stays the same while new events arrive."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class EventSerializer(serializers.ModelSerializer):
    name_label = ChoiceLabelField(EventName.choices, source="name")
    actor_name = serializers.SerializerMethodField()
    subject_type = serializers.SerializerMethodField(
        help_text='What the event is about, as "app_label.model" (e.g. "properties.property").'
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "uid",
            "name",
            "name_label",
            "occurred_at",
            "actor",
            "actor_name",
            "subject_type",
            "subject_id",
            "payload",
        ]
        read_only_fields = fields

    def get_actor_name(self, event) -> str:
        actor = event.actor
        return "" if actor is None else actor.get_full_name() or actor.get_username()

    def get_subject_type(self, event) -> str:
        subject_type = event.subject_type
        return "" if subject_type is None else f"{subject_type.app_label}.{subject_type.model}"


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Domain events, newest first (read-only); filter by event, dates and subject."""

    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    pagination_class = EventCursorPagination
    queryset = Event.objects.select_related("actor", "subject_type")


def register(router):
    """Add the event log endpoints to the API router."""
    router.register("events", EventViewSet, basename="event")
