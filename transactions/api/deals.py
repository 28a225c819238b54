"""API of deals: deals with their parties and milestones, stage moves and milestone actions."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from agents.models import Agent
from clients.models import Client
from properties.models import Property
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from realestate.permissions import CHANGE
from transactions.choices import DealStage, PartyRole, ReviewState, Side
from transactions.filtersets import DealFilterSet
from transactions.models import CommissionShare, Milestone, Party, Transaction
from transactions.selectors import deal_details, milestone_rows
from transactions.services.commissions import deal_shares_set
from transactions.services.deals import (
    DEAL_EDITABLE_FIELDS,
    deal_create,
    deal_stage_set,
    deal_update,
    milestone_complete,
    milestone_reopen,
    milestone_waive,
    party_add,
    party_remove,
)

urlpatterns = []


class PartySerializer(serializers.ModelSerializer):
    role_label = ChoiceLabelField(PartyRole.choices, source="role")

    class Meta:
        model = Party
        fields = ["id", "role", "role_label", "client", "name", "company", "email", "phone"]
        read_only_fields = fields


class PartyWriteSerializer(serializers.Serializer):
    """Someone to add to a deal; a client of the CRM brings their name and contact details."""

    role = serializers.ChoiceField(PartyRole.choices)
    client = VisibleRowField(
        queryset=Client.objects.all(), required=False, allow_null=True, help_text="A client's id."
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("client") and not attrs.get("name"):
            raise serializers.ValidationError({"name": "Give a name or choose a client."})
        return attrs


class CommissionShareSerializer(serializers.ModelSerializer):
    agent_name = serializers.CharField(source="agent.name", read_only=True)

    class Meta:
        model = CommissionShare
        fields = ["agent", "agent_name", "share"]
        read_only_fields = fields


class ShareWriteSerializer(serializers.Serializer):
    agent = VisibleRowField(queryset=Agent.objects.all(), help_text="A co-agent's id.")
    share = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=0, max_value=1, help_text="0.5000 for half"
    )


class SharesWriteSerializer(serializers.Serializer):
    """The co-agents' shares of the commission; the deal's agent keeps the rest."""

    shares = ShareWriteSerializer(many=True)

    def validate_shares(self, rows):
        agents = [row["agent"].pk for row in rows]
        if len(agents) != len(set(agents)):
            raise serializers.ValidationError("Give each co-agent once.")
        return rows


class MilestoneSerializer(serializers.ModelSerializer):
    """A step of a deal; done or waived milestones are closed."""

    review_state_label = ChoiceLabelField(ReviewState.choices, source="review_state")
    owner_name = serializers.CharField(source="owner.name", read_only=True, allow_null=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "transaction",
            "title",
            "position",
            "due_on",
            "owner",
            "owner_name",
            "requires_document",
            "required_for_closing",
            "review_state",
            "review_state_label",
            "is_open",
            "done_at",
            "waived_at",
            "waived_reason",
        ]
        read_only_fields = fields


class DealSerializer(serializers.ModelSerializer):
    """A deal: its side, stage, property, agents, money and key dates."""

    side_label = ChoiceLabelField(Side.choices, source="side")
    stage_label = ChoiceLabelField(DealStage.choices, source="stage")
    property = VisibleRowField(queryset=Property.objects.all(), required=False, allow_null=True)
    agent = VisibleRowField(
        queryset=Agent.objects.all(),
        required=False,
        help_text="The agent's id; yourself when left out. Brokers and assistants name anyone.",
    )
    agent_name = serializers.CharField(source="agent.name", read_only=True)
    co_agents = VisibleRowField(
        queryset=Agent.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the colleagues working the deal: they see and change it.",
    )
    parties = PartySerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    commission_shares = CommissionShareSerializer(
        many=True,
        read_only=True,
        help_text="Co-agents' shares of the commission; the deal's agent keeps the rest.",
    )

    class Meta:
        model = Transaction
        fields = [
            "id",
            *sorted(DEAL_EDITABLE_FIELDS),
            "side_label",
            "stage",
            "stage_label",
            "agent_name",
            "co_agents",
            "sale_price",
            "closed_on",
            "fell_through_reason",
            "parties",
            "milestones",
            "commission_shares",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage",
            "sale_price",
            "closed_on",
            "fell_through_reason",
            "created_at",
            "updated_at",
        ]


class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=DealStage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    sale_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    closed_on = serializers.DateField(required=False, allow_null=True, default=None)


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


@extend_schema_view(
    list=extend_schema(
        summary="List deals",
        description="The deals you run or work as co-agent (brokers: the brokerage's).",
    ),
    retrieve=extend_schema(summary="A deal with its parties and milestones"),
    create=extend_schema(summary="Add a deal; its checklist follows from the broker's templates"),
    update=extend_schema(summary="Replace a deal's editable fields"),
    partial_update=extend_schema(summary="Change some of a deal's fields"),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Deals of the caller's brokerage; every write goes through the deal services."""

    # Only numbers are deals: /transactions/milestones/ and the like are the deal's parts.
    lookup_value_regex = r"\d+"

    serializer_class = DealSerializer
    filterset_class = DealFilterSet

    def get_base_queryset(self):
        return deal_details()

    def get_required_action(self):
        if self.action in ("stage", "parties", "remove_party", "shares"):
            return CHANGE
        return super().get_required_action()

    def perform_create(self, serializer):
        self.check_add_permission()
        data = dict(serializer.validated_data)
        co_agents = data.pop("co_agents", ())
        serializer.instance = deal_create(data=data, actor=self.request.user, co_agents=co_agents)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        co_agents = data.pop("co_agents", None)
        serializer.instance = deal_update(
            deal=serializer.instance, data=data, actor=self.request.user, co_agents=co_agents
        )

    @extend_schema(
        summary="Move a deal to another stage",
        description=(
            "Only the allowed moves pass. Closing needs `sale_price` (and takes `closed_on`, "
            "today when left out) and every milestone required for closing approved or "
            "waived; falling through needs a `reason`."
        ),
        request=StageSerializer,
        responses=DealSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def stage(self, request, pk=None):
        deal = self.get_object()
        move = StageSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        deal_stage_set(deal=deal, actor=request.user, **move.validated_data)
        return self._deal_answer(deal)

    def _deal_answer(self, deal, status=200):
        fresh = self.get_base_queryset().get(pk=deal.pk)
        return Response(
            DealSerializer(fresh, context=self.get_serializer_context()).data, status=status
        )

    @extend_schema(
        summary="Add someone to a deal",
        request=PartyWriteSerializer,
        responses={201: DealSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def parties(self, request, pk=None):
        deal = self.get_object()
        body = PartyWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        party_add(deal=deal, data=body.validated_data, actor=request.user)
        return self._deal_answer(deal, status=201)

    @extend_schema(
        summary="Share the commission with co-agents",
        description=(
            "Replaces the co-agents' shares; the deal's agent keeps what they leave. Each co-agent "
            "gets a commission statement of their share when the deal closes."
        ),
        request=SharesWriteSerializer,
        responses=DealSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def shares(self, request, pk=None):
        deal = self.get_object()
        body = SharesWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        shares = {row["agent"]: row["share"] for row in body.validated_data["shares"]}
        deal_shares_set(deal=deal, shares=shares, actor=request.user)
        return self._deal_answer(deal)

    @extend_schema(summary="Take someone off a deal", request=None, responses=DealSerializer)
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"parties/(?P<party_id>[0-9]+)",
        filter_backends=[],
    )
    def remove_party(self, request, pk=None, party_id=None):
        deal = self.get_object()
        party = deal.parties.filter(pk=party_id).first()
        if party is None:
            raise NotFound("No such party in this deal.")
        party_remove(party=party, actor=request.user)
        return self._deal_answer(deal)


@extend_schema_view(
    list=extend_schema(summary="List milestones of the deals you may see"),
    retrieve=extend_schema(summary="A milestone"),
)
class MilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Milestones of deals; done, waived and reopened through the deal services."""

    serializer_class = MilestoneSerializer

    def get_base_queryset(self):
        return milestone_rows()

    def get_required_action(self):
        if self.action in ("complete", "waive", "reopen"):
            return CHANGE
        return super().get_required_action()

    def _answer(self, milestone):
        return Response(MilestoneSerializer(milestone, context=self.get_serializer_context()).data)

    @extend_schema(summary="Mark a milestone done", request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        return self._answer(milestone_complete(milestone=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Waive a milestone, saying why",
        request=WaiveSerializer,
        responses=MilestoneSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def waive(self, request, pk=None):
        milestone = self.get_object()
        body = WaiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        waived = milestone_waive(
            milestone=milestone, reason=body.validated_data["reason"], actor=request.user
        )
        return self._answer(waived)

    @extend_schema(summary="Open a done or waived milestone again", request=None)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        return self._answer(milestone_reopen(milestone=self.get_object(), actor=request.user))


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("transactions", DealViewSet, basename="transaction")
    router.register("transactions/milestones", MilestoneViewSet, basename="milestone")
