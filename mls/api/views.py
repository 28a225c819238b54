import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from mls.api.serializers import (
    FeedUploadSerializer,
    IntervalSerializer,
    MLSProviderSerializer,
    MLSStatsSerializer,
    ProviderStatusSerializer,
    SyncErrorSerializer,
    SyncRunSerializer,
    SyncStartSerializer,
)
from mls.choices import RunKind
from mls.models import MLSProvider, SyncRun
from mls.selectors import (
    mls_stats,
    provider_active_runs,
    provider_cards,
    provider_errors,
    provider_runs,
)
from mls.services import (
    provider_enable,
    provider_feed_upload,
    provider_save,
    provider_set_interval,
    sync_run_cancel,
    sync_run_start,
)
from realestate.api import ScopedViewSet
from realestate.permissions import actor_for, restrict

BROKERS_ONLY = (
    " Only the brokers of the provider's brokerage (and superusers) may use the MLS endpoints: "
    "anyone else signed in gets 403, and another brokerage's provider is a 404."
)
FORBIDDEN = OpenApiResponse(description="The caller is not a broker.")
NOT_FOUND = OpenApiResponse(description="No provider of the caller's brokerage has this id.")


class IsBroker(BasePermission):
    """The feeds are the broker's business: agents, assistants and viewers get 403."""

    message = "Only a broker manages the MLS feeds."

    def has_permission(self, request, view):
        return actor_for(request.user).is_broker


def broker_schema(summary, description="", responses=None, **kwargs):
    """An operation's documentation with the broker-only rule spelled out."""
    responses = dict(responses or {})
    responses.setdefault(403, FORBIDDEN)
    return extend_schema(
        summary=summary, description=description + BROKERS_ONLY, responses=responses, **kwargs
    )


class BrokerScopedViewSet(ScopedViewSet):
    permission_classes = [IsAuthenticated, IsBroker]


@extend_schema_view(
    list=broker_schema(
        "List the MLS providers",
        "The brokerage's MLS feeds with the state of their newest run and their next "
        "scheduled run. Secrets are never returned.",
        {200: MLSProviderSerializer(many=True)},
    ),
    retrieve=broker_schema(
        "An MLS provider", responses={200: MLSProviderSerializer, 404: NOT_FOUND}
    ),
    create=broker_schema(
        "Add an MLS provider",
        "The provider belongs to the caller's brokerage; its schedules are created with it.",
        {201: MLSProviderSerializer},
    ),
    update=broker_schema(
        "Replace an MLS provider's settings",
        "A secret left out keeps the stored one.",
        {200: MLSProviderSerializer, 404: NOT_FOUND},
    ),
    partial_update=broker_schema(
        "Change some of an MLS provider's settings",
        "A secret left out keeps the stored one; the schedules follow the new settings.",
        {200: MLSProviderSerializer, 404: NOT_FOUND},
    ),
)
class MLSProviderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    BrokerScopedViewSet,
):
    """The brokerage's MLS feeds; every write goes through the MLS services."""

    serializer_class = MLSProviderSerializer
    filterset_fields = ["kind", "enabled"]

    def get_base_queryset(self):
        return provider_cards()

    def perform_create(self, serializer):
        self.check_add_permission()
        brokerage = actor_for(self.request.user).brokerage
        if brokerage is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Only a broker of a brokerage can add a feed."]}
            )
        provider = MLSProvider(brokerage=brokerage, **serializer.validated_data)
        serializer.instance = provider_save(provider=provider, actor=self.request.user)

    def perform_update(self, serializer):
        provider = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(provider, name, value)
        provider_save(provider=provider, actor=self.request.user)
        serializer.instance = self._fresh(provider)

    def _fresh(self, provider):
        """The provider as the serializer reads it, after a service changed it."""
        return provider_cards().get(pk=provider.pk)

    def _provider_response(self, provider, code=status.HTTP_200_OK):
        data = MLSProviderSerializer(self._fresh(provider), context=self.get_serializer_context())
        return Response(data.data, status=code)

    @broker_schema(
        "Start a sync now",
        "Queues a run of the provider: the changes since the last sync, or the whole feed "
        'with `{"full": true}`. The run is returned at once; follow it in `runs/`.',
        {202: SyncRunSerializer, 404: NOT_FOUND},
        request=SyncStartSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=SyncStartSerializer)
    def sync(self, request, pk=None):
        provider = self.get_object()
        options = SyncStartSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        kind = RunKind.FULL if options.validated_data["full"] else RunKind.INCREMENTAL
        run = sync_run_start(provider=provider, kind=kind, actor=request.user)
        run.refresh_from_db()  # an eager worker may have run it already
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @broker_schema(
        "Upload a CSV feed",
        "Stores a CSV export as this CSV provider's feed (multipart form, field `file`) and "
        "queues a full sync of it: the run is returned; its errors list the bad rows by line. "
        "When a run is already going, the file is stored and the provider is returned.",
        {202: SyncRunSerializer, 200: MLSProviderSerializer, 404: NOT_FOUND},
        request={"multipart/form-data": FeedUploadSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        serializer_class=FeedUploadSerializer,
        parser_classes=[MultiPartParser],
    )
    def upload(self, request, pk=None):
        provider = self.get_object()
        upload = FeedUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        run = provider_feed_upload(
            provider=provider, upload=upload.validated_data["file"], actor=request.user
        )
        if run is None:
            return self._provider_response(provider)
        run.refresh_from_db()
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @broker_schema(
        "Cancel the provider's runs",
        "A queued run is cancelled at once; a running one stops after the page it is "
        "applying. Returns the runs that were asked to stop (none when nothing was going).",
        {200: SyncRunSerializer(many=True), 404: NOT_FOUND},
        request=None,
    )
    @action(detail=True, methods=["post"], serializer_class=SyncRunSerializer)
    def cancel(self, request, pk=None):
        provider = self.get_object()
        runs = [
            sync_run_cancel(run=run, actor=request.user)
            for run in provider_active_runs(provider=provider)
        ]
        return Response(SyncRunSerializer(runs, many=True).data)

    @broker_schema(
        "Enable the scheduled syncs",
        responses={200: MLSProviderSerializer, 404: NOT_FOUND},
        request=None,
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        provider = provider_enable(provider=self.get_object(), enabled=True, actor=request.user)
        return self._provider_response(provider)

    @broker_schema(
        "Disable the scheduled syncs",
        "The provider stays; a sync can still be started by hand.",
        {200: MLSProviderSerializer, 404: NOT_FOUND},
        request=None,
    )
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        provider = provider_enable(provider=self.get_object(), enabled=False, actor=request.user)
        return self._provider_response(provider)

    @broker_schema(
        "Change how often the provider syncs",
        "`minutes` from 1 to 10080 (a week); the schedule follows at once.",
        {200: MLSProviderSerializer, 404: NOT_FOUND},
        request=IntervalSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=IntervalSerializer)
    def interval(self, request, pk=None):
        provider = self.get_object()
        interval = IntervalSerializer(data=request.data)
        interval.is_valid(raise_exception=True)
        provider = provider_set_interval(
            provider=provider, minutes=interval.validated_data["minutes"], actor=request.user
        )
        return self._provider_response(provider)

    @broker_schema(
        "The provider's runs",
        "Every run of the provider, newest first.",
        {200: SyncRunSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], serializer_class=SyncRunSerializer, filter_backends=[])
    def runs(self, request, pk=None):
        provider = self.get_object()
        page = self.paginate_queryset(provider_runs(provider=provider))
        return self.get_paginated_response(SyncRunSerializer(page, many=True).data)

    @broker_schema(
        "The provider's sync errors",
        "Records the provider's runs could not apply, newest first.",
        {200: SyncErrorSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], serializer_class=SyncErrorSerializer, filter_backends=[])
    def errors(self, request, pk=None):
        provider = self.get_object()
        page = self.paginate_queryset(provider_errors(provider=provider))
        return self.get_paginated_response(SyncErrorSerializer(page, many=True).data)

    @broker_schema(
        "Every provider's current state",
        "All the brokerage's providers in one response (not paginated): the newest run with "
        "its progress, and the next scheduled run.",
        {200: ProviderStatusSerializer(many=True)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="status",
        url_name="status",
        serializer_class=ProviderStatusSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def status_board(self, request):
        providers = self.get_queryset()
        return Response(ProviderStatusSerializer(providers, many=True).data)

    @broker_schema(
        "MLS statistics",
        "Providers, listings from the feeds, and the runs of the last 24 hours: how many by "
        "state, the records they read, created and updated, and the average throughput.",
        {200: MLSStatsSerializer},
    )
    @action(
        detail=False,
        methods=["get"],
        serializer_class=MLSStatsSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def stats(self, request):
        return Response(MLSStatsSerializer(mls_stats(user=request.user)).data)


def visible_providers(request):
    return restrict(MLSProvider.objects.all(), request.user if request else None)


class SyncRunFilterSet(django_filters.FilterSet):
    """An id of a provider the caller may not see is refused like one never used."""

    provider = django_filters.ModelChoiceFilter(queryset=visible_providers)

    class Meta:
        model = SyncRun
        fields = ["provider", "state", "kind"]


@extend_schema_view(
    list=broker_schema(
        "List sync runs",
        "Every run of the brokerage's providers, newest first; filter by provider, state and kind.",
        {200: SyncRunSerializer(many=True)},
    ),
    retrieve=broker_schema("A sync run", responses={200: SyncRunSerializer, 404: NOT_FOUND}),
)
class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BrokerScopedViewSet):
    """The runs of the brokerage's MLS feeds (read-only)."""

    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet

    def get_base_queryset(self):
        return SyncRun.objects.order_by("-queued_at", "-pk")
