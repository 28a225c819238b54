"""API of deals: commission statements, plans and the production report."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent
from realestate.api import ScopedViewSet
from realestate.permissions import CHANGE, actor_for, restrict
from transactions.models import Transaction
from transactions.models.commissions import (
    CommissionPlan,
    CommissionStatement,
    Payout,
    PayoutMethod,
)
from transactions.services.commissions import (
    agent_production,
    commission_payout_record,
    commission_statement_approve,
    commission_statements_build,
)


class IsBroker(BasePermission):
    """Only a brokerage's broker."""

    message = "Only the broker can do this."

    def has_permission(self, request, view):
        return request.user.is_authenticated and actor_for(request.user).is_broker


# ---------- serializers ----------


class StatementLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    payee = serializers.CharField()
    explanation = serializers.CharField()


class GrossStepSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    explanation = serializers.CharField()


class PayoutSerializer(serializers.ModelSerializer):
    """Money paid to the agent against a statement."""

    class Meta:
        model = Payout
        fields = ["id", "amount", "paid_on", "method", "reference", "created_at"]
        read_only_fields = ["id", "created_at"]


class CommissionStatementSerializer(serializers.ModelSerializer):
    """One agent's statement of one closed deal, line by line; money as decimal strings."""

    deal = serializers.PrimaryKeyRelatedField(source="transaction", read_only=True)
    deal_name = serializers.CharField(source="transaction.name", read_only=True)
    agent_name = serializers.CharField(source="agent.name", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    plan_version = serializers.IntegerField(source="plan.version", read_only=True)
    gross_steps = GrossStepSerializer(many=True, read_only=True)
    lines = StatementLineSerializer(many=True, read_only=True)
    payouts = PayoutSerializer(many=True, read_only=True)

    class Meta:
        model = CommissionStatement
        fields = [
            "id",
            "deal",
            "deal_name",
            "agent",
            "agent_name",
            "plan",
            "plan_name",
            "plan_version",
            "status",
            "closed_on",
            "period_start",
            "period_end",
            "gross",
            "gross_steps",
            "company_dollar",
            "agent_net",
            "cap_remaining",
            "lines",
            "ledger_before",
            "ledger_after",
            "payouts",
            "created_at",
            "approved_at",
            "paid_at",
        ]
        read_only_fields = fields


class BuildSerializer(serializers.Serializer):
    deal = serializers.IntegerField(help_text="The closed deal's id.")


class PayoutRecordSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PayoutMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class CommissionPlanSerializer(serializers.ModelSerializer):
    """One version of a commission plan."""

    class Meta:
        model = CommissionPlan
        fields = [
            "id",
            "name",
            "version",
            "previous",
            "agent_share",
            "tiers",
            "flat_company_dollar",
            "cap",
            "post_cap_agent_share",
            "post_cap_fee",
            "royalty_rate",
            "royalty_cap",
            "transaction_fee",
            "eo_fee",
            "cap_reset",
            "is_active",
        ]
        read_only_fields = fields


# ---------- viewsets ----------


class CommissionStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Commission statements: an agent's own, every one of the brokerage for the broker."""

    serializer_class = CommissionStatementSerializer

    def get_base_queryset(self):
        return CommissionStatement.objects.select_related(
            "transaction", "agent__user", "plan"
        ).prefetch_related("payouts")

    def get_required_action(self):
        if self.action in ("approve", "payout"):
            return CHANGE
        return super().get_required_action()

    def get_broker_object(self):
        statement = self.get_object()
        if not actor_for(self.request.user).is_broker:
            self.permission_denied(self.request, message="Only the broker can do this.")
        return statement

    def respond(self, statement, code=status.HTTP_200_OK):
        statement = self.get_base_queryset().get(pk=statement.pk)
        return Response(self.get_serializer(statement).data, status=code)

    @extend_schema(
        summary="Build (again) the draft statements of a closed deal, one per agent with a share",
        request=BuildSerializer,
        responses={201: CommissionStatementSerializer(many=True)},
    )
    @action(detail=False, methods=["post"])
    def build(self, request):
        payload = BuildSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = get_object_or_404(
            restrict(Transaction.objects.select_related("agent"), request.user),
            pk=payload.validated_data["deal"],
        )
        if not actor_for(request.user).is_broker:
            self.permission_denied(request, message="Only the broker can do this.")
        statements = commission_statements_build(deal=deal, actor=request.user)
        rows = self.get_base_queryset().filter(pk__in=[statement.pk for statement in statements])
        return Response(
            self.get_serializer(rows.order_by("pk"), many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Approve a draft statement", request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        statement = commission_statement_approve(
            statement=self.get_broker_object(), actor=request.user
        )
        return self.respond(statement)

    @extend_schema(summary="Record a payout to the agent", request=PayoutRecordSerializer)
    @action(detail=True, methods=["post"])
    def payout(self, request, pk=None):
        statement = self.get_broker_object()
        payload = PayoutRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        commission_payout_record(statement=statement, actor=request.user, **payload.validated_data)
        return self.respond(statement, status.HTTP_201_CREATED)


class CommissionPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The brokerage's commission plans, every version, for the broker."""

    serializer_class = CommissionPlanSerializer
    permission_classes = [IsAuthenticated, IsBroker]
    queryset = CommissionPlan.objects.all()


class ProductionQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    agent = serializers.IntegerField(required=False, help_text="Brokers: one agent's report.")


def _figures(production):
    return {
        "volume": str(production.volume),
        # A shared deal counts in part: a number like 1.5.
        "units": float(production.units),
        "gci": str(production.gci),
        "company_dollar": str(production.company_dollar),
    }


def _cap(progress):
    if progress is None:
        return None
    return {
        "plan": progress.plan_name,
        "cap": None if progress.cap is None else str(progress.cap),
        "paid": str(progress.paid),
        "remaining": None if progress.remaining is None else str(progress.remaining),
        "percent": progress.percent,
        "period_start": progress.period_start,
        "period_end": progress.period_end,
    }


class ProductionView(APIView):
    """The production report: the caller's own, or for a broker an agent's or the brokerage's."""

    @extend_schema(
        summary="Closed volume, units, GCI and cap progress",
        parameters=[ProductionQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = ProductionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        person = actor_for(request.user)
        if person.agent is None:
            self.permission_denied(request, message="Only members of a brokerage have production.")
        year = query.validated_data.get("year") or timezone.localdate().year
        agent_id = query.validated_data.get("agent")
        if not person.is_broker:
            report = agent_production(year=year, agent=person.agent)
        elif agent_id is not None:
            agent = get_object_or_404(
                restrict(Agent.objects.select_related("user"), request.user), pk=agent_id
            )
            report = agent_production(year=year, agent=agent)
        else:
            report = agent_production(year=year, brokerage=person.brokerage)
        return Response(
            {
                "year": report.year,
                "totals": _figures(report.totals),
                "months": [
                    {"month": row["month"], **_figures(row["figures"])}
                    for row in report.month_rows()
                ],
                "agents": [
                    {
                        "agent": row.agent.pk,
                        "agent_name": row.agent.name,
                        **_figures(row.totals),
                        "cap": _cap(row.cap),
                    }
                    for row in report.rows
                ],
            }
        )


urlpatterns = [
    path("transactions/production/", ProductionView.as_view(), name="production"),
]


def register(router):
    """Add this area's viewsets to the API router."""
    router.register(
        "transactions/commission-statements",
        CommissionStatementViewSet,
        basename="commission-statement",
    )
    router.register(
        "transactions/commission-plans", CommissionPlanViewSet, basename="commission-plan"
    )
