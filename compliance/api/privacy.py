"""API of privacy: a client's consent log, data export and erasure; the do-not-contact list;
data retention; the caller's payout account (numbers write-only, shown masked)."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.choices import Channel
from clients.models import Client
from compliance.encryption import mask
from compliance.models.privacy import (
    ConsentRecord,
    ConsentStatus,
    DoNotContactEntry,
    PayoutAccount,
    RetentionRun,
)
from compliance.services.consent import (
    consent_history,
    consent_set_by_person,
    do_not_contact_entry_delete,
    do_not_contact_import,
)
from compliance.services.payouts import payout_account_save
from compliance.services.retention import (
    client_data_export,
    client_erase,
    retention_policy_for,
    retention_policy_save,
    retention_run,
)
from realestate.api import ScopedViewSet
from realestate.pagination import PageNumberPagination as ListPagination
from realestate.permissions import CHANGE, VIEW, actor_for, can, restrict


def _broker_only(request):
    who = actor_for(request.user)
    if not who.is_broker or who.brokerage_id is None:
        raise PermissionDenied("Only a broker manages this.")
    return who


def _client(request, pk, action=VIEW):
    client = get_object_or_404(restrict(Client.objects.all(), request.user), pk=pk)
    if action != VIEW and not can(request.user, client, action):
        raise PermissionDenied("You cannot change this client.")
    return client


class ConsentRecordSerializer(serializers.ModelSerializer):
    """One consent decision of a client for one channel."""

    decision = serializers.ChoiceField(
        ConsentStatus.choices, source="status", help_text="granted, or revoked (do not contact)."
    )
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "channel",
            "decision",
            "source",
            "note",
            "actor",
            "actor_name",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_actor_name(self, record) -> str | None:
        user = record.actor
        return (user.get_full_name() or user.get_username()) if user else None


class ConsentWriteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(Channel.choices)
    decision = serializers.ChoiceField(ConsentStatus.choices, source="status")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ClientConsentView(APIView):
    """A client's consent log; recording a decision sets the do-not-contact flag with it."""

    pagination_class = ListPagination

    @extend_schema(summary="A client's consent log", responses=ConsentRecordSerializer(many=True))
    def get(self, request, pk):
        client = _client(request, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(consent_history(client=client), request, view=self)
        return paginator.get_paginated_response(ConsentRecordSerializer(page, many=True).data)

    @extend_schema(
        summary="Record a client's consent decision",
        description="An agent records what the client said (source: agent). Nothing is "
        "recorded when the channel is already in that state (200 with a `detail`).",
        request=ConsentWriteSerializer,
        responses={
            201: ConsentRecordSerializer,
            200: inline_serializer("ConsentUnchanged", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request, pk):
        client = _client(request, pk, CHANGE)
        data = ConsentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = consent_set_by_person(client=client, actor=request.user, **data.validated_data)
        if record is None:
            return Response({"detail": "Nothing changed: the channel is already so."})
        return Response(ConsentRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class ClientDataExportView(APIView):
    """Everything the CRM holds about a client (a data-access request)."""

    @extend_schema(summary="Export a client's data", responses={200: dict})
    def get(self, request, pk):
        client = _client(request, pk)
        response = Response(client_data_export(client=client, actor=request.user))
        response["Cache-Control"] = "no-store"
        return response


class EraseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ClientEraseView(APIView):
    """Erase a client's personal data on their request; brokers only."""

    @extend_schema(
        summary="Erase a client's personal data",
        request=EraseSerializer,
        responses={
            200: inline_serializer("Erased", {"anonymised_at": serializers.DateTimeField()})
        },
    )
    def post(self, request, pk):
        client = _client(request, pk)
        data = EraseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client_erase(client=client, actor=request.user, reason=data.validated_data["reason"])
        return Response({"anonymised_at": client.anonymised_at})


class DoNotContactEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = DoNotContactEntry
        fields = ["id", "kind", "value", "list_name", "added_at"]
        read_only_fields = fields


class DoNotContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """The brokerage's do-not-contact list; brokers only."""

    serializer_class = DoNotContactEntrySerializer
    queryset = DoNotContactEntry.objects.all()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _broker_only(request)

    def perform_destroy(self, instance):
        do_not_contact_entry_delete(entry=instance, actor=self.request.user)


class DoNotContactUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class DoNotContactImportView(APIView):
    """Upload a DNC file: listed, and matching clients marked do-not-contact."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Add a do-not-contact file to the list",
        request={"multipart/form-data": DoNotContactUploadSerializer},
        responses=inline_serializer(
            "DoNotContactImportReport",
            {
                "read": serializers.IntegerField(),
                "added": serializers.IntegerField(),
                "clients_changed": serializers.IntegerField(),
                "errors": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def post(self, request):
        _broker_only(request)
        data = DoNotContactUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        report = do_not_contact_import(
            content=upload.read(), list_name=upload.name, actor=request.user
        )
        return Response(
            {
                "read": report.read,
                "added": report.added,
                "clients_changed": report.clients_changed,
                "errors": [
                    {"line": line, "text": text, "message": message}
                    for line, text, message in report.errors
                ],
            }
        )


class RetentionRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetentionRun
        fields = [
            "id",
            "dry_run",
            "trigger",
            "period_months",
            "cutoff",
            "candidates",
            "anonymised",
            "client_ids",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RetentionRunWriteSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=True)


class RetentionRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Retention runs of the brokerage; a new one is a dry run unless asked otherwise."""

    serializer_class = RetentionRunSerializer
    queryset = RetentionRun.objects.all()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _broker_only(request)

    @extend_schema(request=RetentionRunWriteSerializer, responses={201: RetentionRunSerializer})
    def create(self, request):
        data = RetentionRunWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = retention_run(
            brokerage_id=actor_for(request.user).brokerage_id,
            dry_run=data.validated_data["dry_run"],
            actor=request.user,
        )
        return Response(RetentionRunSerializer(run).data, status=status.HTTP_201_CREATED)


class RetentionPolicySerializer(serializers.Serializer):
    period_months = serializers.IntegerField(min_value=6, max_value=1200)
    enabled = serializers.BooleanField()


class RetentionPolicyView(APIView):
    """The brokerage's retention period and whether the monthly job anonymises."""

    @extend_schema(summary="The retention policy", responses=RetentionPolicySerializer)
    def get(self, request):
        who = _broker_only(request)
        policy = retention_policy_for(brokerage_id=who.brokerage_id)
        return Response(RetentionPolicySerializer(policy).data)

    @extend_schema(
        summary="Change the retention policy",
        request=RetentionPolicySerializer,
        responses=RetentionPolicySerializer,
    )
    def put(self, request):
        who = _broker_only(request)
        data = RetentionPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = retention_policy_save(
            brokerage_id=who.brokerage_id, actor=request.user, **data.validated_data
        )
        return Response(RetentionPolicySerializer(policy).data)


class PayoutAccountSerializer(serializers.Serializer):
    """The caller's payout account: numbers are write-only and come back masked."""

    account_holder = serializers.CharField(max_length=200)
    bank_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    account_number = serializers.CharField(
        max_length=30, required=False, allow_blank=True, write_only=True
    )
    routing_number = serializers.CharField(
        max_length=15, required=False, allow_blank=True, write_only=True
    )
    account_number_masked = serializers.SerializerMethodField()
    routing_number_masked = serializers.SerializerMethodField()

    def get_account_number_masked(self, account) -> str:
        return mask(account.account_number)

    def get_routing_number_masked(self, account) -> str:
        return mask(account.routing_number)


class PayoutAccountView(APIView):
    """The signed-in agent's bank account for commission payouts."""

    def _agent(self, request):
        agent = actor_for(request.user).agent
        if agent is None:
            raise PermissionDenied("Only agents have a payout account.")
        return agent

    @extend_schema(summary="My payout account", responses=PayoutAccountSerializer)
    def get(self, request):
        account = get_object_or_404(PayoutAccount, agent=self._agent(request))
        return Response(PayoutAccountSerializer(account).data)

    @extend_schema(
        summary="Set my payout account",
        description="Numbers left out or blank keep the stored ones.",
        request=PayoutAccountSerializer,
        responses=PayoutAccountSerializer,
    )
    def put(self, request):
        data = PayoutAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = payout_account_save(
            agent=self._agent(request), data=data.validated_data, actor=request.user
        )
        return Response(PayoutAccountSerializer(account).data)


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("compliance/do-not-contact", DoNotContactViewSet, basename="do-not-contact")
    router.register("compliance/retention-runs", RetentionRunViewSet, basename="retention-run")


urlpatterns = [
    path("clients/<int:pk>/consent/", ClientConsentView.as_view(), name="client-consent"),
    path(
        "clients/<int:pk>/data-export/", ClientDataExportView.as_view(), name="client-data-export"
    ),
    path("clients/<int:pk>/erase/", ClientEraseView.as_view(), name="client-erase"),
    path(
        "compliance/do-not-contact/import/",
        DoNotContactImportView.as_view(),
        name="do-not-contact-import",
    ),
    path("compliance/retention-policy/", RetentionPolicyView.as_view(), name="retention-policy"),
    path("me/payout-account/", PayoutAccountView.as_view(), name="me-payout-account"),
]
