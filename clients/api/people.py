"""API of the CRM: people — clients with their preferences and timeline, and tasks."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agents.models import Agent
from clients.choices import (
    LOGGED_KINDS,
    ActivityKind,
    ClientRole,
    ContactMethod,
    MustHave,
    PreApproval,
    Priority,
    Stage,
    Timeline,
)
from clients.contact import display_phone
from clients.filtersets import ClientFilterSet, TaskFilterSet
from clients.models import Activity, BuyerPreference, Client, LeadSource, Task
from clients.selectors import client_details, client_timeline, task_rows
from clients.services.people import (
    PREFERENCE_FIELDS,
    activity_log,
    client_create,
    client_delete,
    client_update,
    task_complete,
    task_create,
    task_delete,
    task_update,
)
from compliance.models.privacy import ConsentSource
from properties.choices import PropertyType
from properties.models import Property
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from transactions.models import Transaction

urlpatterns = []


# ---------- serializers ----------


class BuyerPreferenceSerializer(serializers.ModelSerializer):
    """What a buyer is looking for; prices are decimal strings."""

    property_types = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        help_text="RESO PropertyType values, as listings have them (Residential, Land ...).",
    )
    cities = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    postal_codes = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
    must_haves = serializers.ListField(
        child=serializers.ChoiceField(choices=MustHave.choices), required=False
    )
    timeline_label = ChoiceLabelField(Timeline.choices, source="timeline")
    preapproval_status_label = ChoiceLabelField(PreApproval.choices, source="preapproval_status")

    class Meta:
        model = BuyerPreference
        fields = [
            *sorted(PREFERENCE_FIELDS),
            "timeline_label",
            "preapproval_status_label",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_property_types(self, values):
        unknown = [value for value in values if value not in PropertyType.values]
        if unknown:
            raise serializers.ValidationError(f"Unknown property type: {', '.join(unknown)}.")
        return values


class TagNamesField(serializers.ListField):
    """A client's tags by name; names not used yet become tags of the brokerage."""

    child = serializers.CharField(max_length=50)

    def get_attribute(self, instance):
        return [tag.name for tag in instance.tags.all()]


class ScoreReasonSerializer(serializers.Serializer):
    signal = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField()


class ClientSerializer(serializers.ModelSerializer):
    """A client or lead: contact details, stage, agent, tags, buyer preferences and score."""

    name = serializers.CharField(read_only=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientRole.choices), required=False
    )
    stage_label = ChoiceLabelField(Stage.choices, source="stage")
    preferred_contact_method_label = ChoiceLabelField(
        ContactMethod.choices, source="preferred_contact_method"
    )
    phone_display = serializers.SerializerMethodField()
    source = VisibleRowField(
        queryset=LeadSource.objects.all(),
        required=False,
        allow_null=True,
        help_text="The lead source's id.",
    )
    source_name = serializers.CharField(source="source.name", read_only=True, allow_null=True)
    assigned_agent = VisibleRowField(
        queryset=Agent.objects.all(),
        required=False,
        allow_null=True,
        help_text=(
            "The agent's id. Agents keep their clients themselves; brokers and assistants "
            "may name any agent of the brokerage."
        ),
    )
    assigned_agent_name = serializers.CharField(
        source="assigned_agent.name", read_only=True, allow_null=True
    )
    co_agents = VisibleRowField(
        queryset=Agent.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the colleagues sharing the client: they see and change it.",
    )
    tags = TagNamesField(required=False, help_text="Tag names; new names become tags.")
    preference = BuyerPreferenceSerializer(
        required=False,
        allow_null=True,
        help_text="What the buyer wants; the fields sent are changed, the others kept.",
    )
    score_reasons = ScoreReasonSerializer(many=True, read_only=True)
    government_id = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Stored encrypted and never returned; blank or left out keeps the stored one.",
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "alternate_email",
            "phone",
            "phone_display",
            "alternate_phone",
            "street_address",
            "city",
            "state_or_province",
            "postal_code",
            "preferred_contact_method",
            "preferred_contact_method_label",
            "language",
            "time_zone",
            "do_not_email",
            "do_not_call",
            "do_not_text",
            "roles",
            "stage",
            "stage_label",
            "source",
            "source_name",
            "assigned_agent",
            "assigned_agent_name",
            "co_agents",
            "tags",
            "notes",
            "government_id",
            "preference",
            "score",
            "score_reasons",
            "in_pond",
            "assigned_at",
            "claimed_at",
            "last_contacted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "score",
            "in_pond",
            "assigned_at",
            "claimed_at",
            "last_contacted_at",
            "created_at",
            "updated_at",
        ]

    def get_phone_display(self, client) -> str:
        return display_phone(client.phone)


class ActivitySerializer(serializers.ModelSerializer):
    """One entry of a client's timeline; calls, emails, texts, meetings and notes are logged."""

    kind = serializers.ChoiceField(
        choices=ActivityKind.choices,
        help_text="What is logged by hand: call, email, text, meeting or note.",
    )
    kind_label = ChoiceLabelField(ActivityKind.choices, source="kind")
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When it happened; now when left out."
    )
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject",
            "body",
            "occurred_at",
            "actor",
            "actor_name",
            "listing",
            "details",
        ]
        read_only_fields = ["actor", "listing", "details"]

    def validate_kind(self, kind):
        if kind not in LOGGED_KINDS:
            raise serializers.ValidationError("Log a call, email, text, meeting or note.")
        return kind

    def get_actor_name(self, activity) -> str | None:
        user = activity.actor
        return (user.get_full_name() or user.get_username()) if user else None


class TaskSerializer(serializers.ModelSerializer):
    """A task of an agent, perhaps about a client, a listing or a deal."""

    priority_label = ChoiceLabelField(Priority.choices, source="priority")
    assigned_agent = VisibleRowField(
        queryset=Agent.objects.all(),
        required=False,
        allow_null=True,
        help_text=(
            "The agent's id, chosen when the task is added (yourself when left out); brokers "
            "and assistants may name any agent. Ignored when a task is changed."
        ),
    )
    assigned_agent_name = serializers.CharField(source="assigned_agent.name", read_only=True)
    client = VisibleRowField(
        queryset=Client.objects.all(), required=False, allow_null=True, help_text="The client's id."
    )
    client_name = serializers.CharField(source="client.name", read_only=True, allow_null=True)
    listing = VisibleRowField(
        queryset=Property.objects.all(),
        required=False,
        allow_null=True,
        help_text="The listing's id.",
    )
    transaction = VisibleRowField(
        queryset=Transaction.objects.all(),
        required=False,
        allow_null=True,
        help_text="The deal's id.",
    )
    done = serializers.BooleanField(
        source="is_done", required=False, help_text="Whether the task is done."
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "notes",
            "due_date",
            "due_time",
            "priority",
            "priority_label",
            "assigned_agent",
            "assigned_agent_name",
            "client",
            "client_name",
            "listing",
            "transaction",
            "done",
            "done_at",
            "created_at",
        ]
        read_only_fields = ["done_at", "created_at"]


# ---------- viewsets ----------


def _without_blank_government_id(validated_data):
    """The write-only government ID is changed only when a value is sent."""
    data = dict(validated_data)
    if not str(data.get("government_id", "")).strip():
        data.pop("government_id", None)
    return data


@extend_schema_view(
    list=extend_schema(
        summary="List clients",
        description=(
            "The clients you may see: your own, those shared with you and the brokerage's "
            "pooled leads (brokers see every client of the brokerage), with the client "
            "list's filters. `q` matches words of the name or email, or a phone number "
            "written any way. Phones are sent in any common way and stored in E.164."
        ),
    ),
    retrieve=extend_schema(summary="A client with preferences, tags and score"),
    create=extend_schema(
        summary="Add a client",
        description=(
            "Kept by you unless a broker or assistant names the agent; `preference` may be "
            "sent along for a buyer."
        ),
    ),
    update=extend_schema(summary="Replace a client's editable fields"),
    partial_update=extend_schema(
        summary="Change some of a client's fields",
        description=(
            "A new stage or agent is written to the timeline. `tags` and `co_agents` replace "
            "the current ones when sent; `preference` changes the fields it names."
        ),
    ),
)
class ClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Clients and leads of the caller's brokerage; every write goes through the client services."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet

    def get_base_queryset(self):
        return client_details()

    def perform_create(self, serializer):
        self.check_add_permission()
        data = _without_blank_government_id(serializer.validated_data)
        tags = data.pop("tags", ())
        co_agents = data.pop("co_agents", ())
        preference = data.pop("preference", None)
        serializer.instance = client_create(
            data=data,
            actor=self.request.user,
            tags=tags,
            co_agents=co_agents,
            preference=preference,
            consent_source=ConsentSource.API,
        )

    def perform_destroy(self, instance):
        client_delete(client=instance, actor=self.request.user)

    def perform_update(self, serializer):
        data = _without_blank_government_id(serializer.validated_data)
        tags = data.pop("tags", None)
        co_agents = data.pop("co_agents", None)
        preference = data.pop("preference", None)
        user = self.request.user
        serializer.instance = client_update(
            client=serializer.instance,
            data=data,
            actor=user,
            tags=tags,
            co_agents=co_agents,
            preference=preference,
            consent_source=ConsentSource.API,
        )

    @extend_schema(
        methods=["GET"],
        summary="A client's timeline",
        description="Calls, emails, notes, showings and system events, newest first.",
        responses=ActivitySerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Log an activity",
        description=(
            "Adds a call, email, text, meeting or note to the timeline. A call, email, text "
            "or meeting counts as contact: a new lead moves to Contacted and the score follows."
        ),
        request=ActivitySerializer,
        responses={201: ActivitySerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=ActivitySerializer,
        filter_backends=[],
    )
    def activities(self, request, pk=None):
        client = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(client_timeline(client=client))
            entries = ActivitySerializer(page, many=True, context=self.get_serializer_context())
            return self.get_paginated_response(entries.data)
        entry = ActivitySerializer(data=request.data, context=self.get_serializer_context())
        entry.is_valid(raise_exception=True)
        activity = activity_log(
            client=client,
            kind=entry.validated_data["kind"],
            subject=entry.validated_data["subject"],
            body=entry.validated_data.get("body", ""),
            occurred_at=entry.validated_data.get("occurred_at"),
            actor=request.user,
        )
        data = ActivitySerializer(activity, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List tasks",
        description=(
            "The tasks you may see (your own; brokers see the brokerage's), soonest first. "
            "`due` narrows to overdue, today's or upcoming tasks; `done=false` to open ones."
        ),
    ),
    retrieve=extend_schema(summary="A task"),
    create=extend_schema(summary="Add a task"),
    update=extend_schema(summary="Replace a task's fields"),
    partial_update=extend_schema(summary="Change some of a task's fields"),
)
class TaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Agents' tasks; every write goes through the task services."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet

    def get_base_queryset(self):
        return task_rows()

    def perform_create(self, serializer):
        self.check_add_permission()
        data = _without_blank_government_id(serializer.validated_data)
        agent = data.pop("assigned_agent", None)
        done = data.pop("is_done", False)
        user = self.request.user
        with transaction.atomic():
            task = task_create(data=data, actor=user, assigned_agent=agent)
            if done:
                task = task_complete(task=task, actor=user)
        serializer.instance = task

    def perform_update(self, serializer):
        data = _without_blank_government_id(serializer.validated_data)
        data.pop("assigned_agent", None)
        if "is_done" in data:
            data["done"] = data.pop("is_done")
        serializer.instance = task_update(
            task=serializer.instance, data=data, actor=self.request.user
        )

    def perform_destroy(self, instance):
        task_delete(task=instance, actor=self.request.user)

    @extend_schema(
        summary="Mark a task done",
        description="Done now; a task already done keeps the time it was done.",
        request=None,
        responses=TaskSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        task = task_complete(task=self.get_object(), actor=request.user)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("clients", ClientViewSet, basename="client")
    router.register("tasks", TaskViewSet, basename="task")
