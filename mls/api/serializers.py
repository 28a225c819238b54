from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mls.choices import AuthKind, ProviderKind, RunKind, RunState
from mls.models import MLSProvider, SyncError, SyncRun
from mls.selectors import provider_latest_run, provider_next_run_at
from realestate.api import ChoiceLabelField

SECRET_FIELDS = ("client_secret", "bearer_token", "password")


class SyncRunSerializer(serializers.ModelSerializer):
    """One sync of one provider: its counts, timing and progress."""

    kind_label = ChoiceLabelField(RunKind.choices, source="kind")
    state_label = ChoiceLabelField(RunState.choices, source="state")
    progress = serializers.SerializerMethodField(
        help_text="Percent of the feed read (0–100) when the feed said how many records it has."
    )
    duration_seconds = serializers.SerializerMethodField(
        help_text="Seconds from start to finish (to now while running)."
    )
    throughput = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Records read per second."
    )

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "provider",
            "kind",
            "kind_label",
            "state",
            "state_label",
            "triggered_by",
            "since",
            "total",
            "fetched",
            "progress",
            "created",
            "updated",
            "unchanged",
            "off_market",
            "failed",
            "newest_timestamp",
            "message",
            "cancel_requested",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "throughput",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_progress(self, run):
        if not run.total:
            return None
        return round(min(100.0, run.fetched * 100 / run.total), 1)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_duration_seconds(self, run):
        duration = run.duration
        return round(duration.total_seconds(), 1) if duration is not None else None


class SyncErrorSerializer(serializers.ModelSerializer):
    """A record a run could not apply, and why."""

    class Meta:
        model = SyncError
        fields = ["id", "run", "listing_key", "reason", "record", "created_at"]
        read_only_fields = fields


class ProviderStateMixin(serializers.Serializer):
    """The provider's current state: its newest run and its next scheduled run."""

    state = serializers.SerializerMethodField(
        help_text="State of the newest run (queued, running, succeeded, failed, cancelled); "
        "null before the first run."
    )
    latest_run = serializers.SerializerMethodField()
    next_run_at = serializers.SerializerMethodField(
        help_text="When the scheduled sync next starts; null when the provider is disabled."
    )

    @extend_schema_field(
        serializers.ChoiceField(choices=RunState.choices, allow_null=True, read_only=True)
    )
    def get_state(self, provider):
        run = provider_latest_run(provider)
        return run.state if run else None

    @extend_schema_field(SyncRunSerializer(allow_null=True))
    def get_latest_run(self, provider):
        run = provider_latest_run(provider)
        return SyncRunSerializer(run, context=self.context).data if run else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at(self, provider):
        next_run_at = provider_next_run_at(provider)
        return serializers.DateTimeField().to_representation(next_run_at) if next_run_at else None


class MLSProviderSerializer(ProviderStateMixin, serializers.ModelSerializer):
    """An MLS feed. Its secrets are written, never read back: ``has_*`` says one is stored."""

    kind_label = ChoiceLabelField(ProviderKind.choices, source="kind")
    auth_kind_label = ChoiceLabelField(AuthKind.choices, source="auth_kind")
    client_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        style={"input_type": "password"},
        help_text="Write-only. Left out, the stored secret is kept; an empty string clears it.",
    )
    bearer_token = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        style={"input_type": "password"},
        help_text="Write-only. Left out, the stored token is kept; an empty string clears it.",
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        style={"input_type": "password"},
        help_text="Write-only RETS login password. Left out, the stored password is kept; an "
        "empty string clears it.",
    )
    max_requests_per_second = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    has_client_secret = serializers.SerializerMethodField()
    has_bearer_token = serializers.SerializerMethodField()
    has_password = serializers.SerializerMethodField()
    has_feed_file = serializers.SerializerMethodField()
    listings_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Listings of this feed currently on the market."
    )

    class Meta:
        model = MLSProvider
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "endpoint",
            "has_feed_file",
            "auth_kind",
            "auth_kind_label",
            "token_url",
            "client_id",
            "client_secret",
            "has_client_secret",
            "scope",
            "bearer_token",
            "has_bearer_token",
            "username",
            "password",
            "has_password",
            "search_class",
            "field_mapping",
            "page_size",
            "max_requests_per_second",
            "sync_interval_minutes",
            "enabled",
            "allow_private_network",
            "high_water_mark",
            "listings_count",
            "state",
            "latest_run",
            "next_run_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["high_water_mark", "created_at", "updated_at"]

    def get_has_feed_file(self, provider) -> bool:
        """Whether an uploaded CSV is the feed (it is read through ``upload/``, never back)."""
        return bool(provider.feed_file)

    def get_has_client_secret(self, provider) -> bool:
        return bool(provider.client_secret)

    def get_has_bearer_token(self, provider) -> bool:
        return bool(provider.bearer_token)

    def get_has_password(self, provider) -> bool:
        return bool(provider.password)


class ProviderStatusSerializer(ProviderStateMixin, serializers.ModelSerializer):
    """A provider's current state, for a status board."""

    class Meta:
        model = MLSProvider
        fields = ["id", "name", "enabled", "state", "latest_run", "next_run_at"]
        read_only_fields = fields


class SyncStartSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        default=False,
        help_text="Read the whole feed again instead of the changes since the last sync.",
    )


class FeedUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A CSV export: one row per listing, a header line naming the columns (RESO "
        "names, or the MLS's own names mapped in the provider's field mapping)."
    )


class IntervalSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, help_text="Minutes between scheduled syncs."
    )


class RunsByStateSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class MLSStatsSerializer(serializers.Serializer):
    providers = serializers.IntegerField()
    enabled_providers = serializers.IntegerField()
    mls_listings = serializers.IntegerField(help_text="Listings from the feeds on the market.")
    mls_listings_off_market = serializers.IntegerField(
        help_text="Listings the feeds no longer offer (kept with their history)."
    )
    since = serializers.DateTimeField(help_text="Start of the 24-hour window.")
    runs_last_24h = RunsByStateSerializer(help_text="Runs queued in the last 24 hours by state.")
    runs_last_24h_total = serializers.IntegerField()
    fetched_last_24h = serializers.IntegerField()
    created_last_24h = serializers.IntegerField()
    updated_last_24h = serializers.IntegerField()
    average_throughput = serializers.FloatField(
        allow_null=True,
        help_text="Records read per second over the finished runs of the last 24 hours.",
    )
