import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from mls.choices import AuthKind, ProviderKind, RunKind, RunState
from realestate.permissions import scoped


def feed_file_path(provider, filename):
    """Uploaded feeds are stored under generated names, never the uploader's."""
    return f"mls/feeds/{provider.brokerage_id}/{uuid.uuid4().hex}.csv"


@scoped(brokerage="brokerage", private=True)
class MLSProvider(models.Model):
    """An MLS feed the brokerage receives listings from, and how and when to read it."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="mls_providers"
    )
    name = models.CharField(max_length=100, help_text="Used by `manage.py mls_sync --provider`.")
    kind = models.CharField(
        max_length=20, choices=ProviderKind.choices, default=ProviderKind.RESO_WEB_API
    )
    endpoint = models.URLField(
        max_length=500,
        blank=True,
        help_text="The RESO Web API service root (…/odata), the CSV file's URL, or the RETS "
        "server's Login URL.",
    )
    feed_file = models.FileField(
        "CSV file",
        upload_to=feed_file_path,
        blank=True,
        help_text="A CSV export uploaded here, read instead of a URL (a CSV feed only).",
    )
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.NONE)
    token_url = models.URLField("OAuth2 token URL", max_length=500, blank=True)
    client_id = models.CharField("OAuth2 client ID", max_length=200, blank=True)
    client_secret = models.CharField("OAuth2 client secret", max_length=500, blank=True)
    scope = models.CharField("OAuth2 scope", max_length=200, blank=True)
    bearer_token = models.CharField(max_length=2000, blank=True)
    username = models.CharField("RETS login username", max_length=200, blank=True)
    password = models.CharField("RETS login password", max_length=500, blank=True)
    search_class = models.CharField(
        "RETS search class",
        max_length=64,
        default="Property",
        help_text='The RETS class searched, e.g. "Residential" or "RE_1".',
    )
    field_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text="Feed field name → RESO field name, for feeds that use their own names.",
    )
    page_size = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    max_requests_per_second = models.DecimalField(
        max_digits=6, decimal_places=2, default=5, validators=[MinValueValidator(0.01)]
    )
    sync_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    enabled = models.BooleanField(default=True)
    allow_private_network = models.BooleanField(
        default=False,
        help_text="Allow the feed and its photos on local or private addresses (a local feed).",
    )
    high_water_mark = models.DateTimeField(
        null=True, blank=True, help_text="Newest ModificationTimestamp applied by a finished run."
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "MLS provider"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="mlsprovider_unique_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == ProviderKind.RETS:
            if self.auth_kind != AuthKind.LOGIN:
                errors["auth_kind"] = (
                    f"A RETS feed logs in with a username and password: choose "
                    f"“{AuthKind.LOGIN.label}”."
                )
            for name in ("username", "password"):
                if not getattr(self, name):
                    errors[name] = f"A RETS feed needs the {name} it logs in with."
        else:
            if self.auth_kind == AuthKind.LOGIN:
                errors["auth_kind"] = "Only a RETS feed logs in with a username and password."
            for name in ("username", "password"):
                if getattr(self, name):
                    errors[name] = (
                        f"Only a RETS feed logs in with a {name}: leave it empty for this kind "
                        "of feed."
                    )
        if self.kind == ProviderKind.CSV:
            if not self.endpoint and not self.feed_file:
                errors["endpoint"] = "Give the CSV file's URL, or upload the file."
        else:
            if not self.endpoint:
                errors["endpoint"] = "This kind of feed is read from a URL."
            if self.feed_file:
                errors["feed_file"] = "Only a CSV feed is read from an uploaded file."
        if errors:
            raise ValidationError(errors)


@scoped(parent="provider")
class SyncRun(models.Model):
    """One sync of one provider: what it read and wrote, and where it stands in the feed."""

    provider = models.ForeignKey(MLSProvider, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=12, choices=RunKind.choices)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True, help_text="Read records modified after.")
    cursor = models.JSONField(default=dict, blank=True, help_text="Position after the last page.")
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Records the feed has.")
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    off_market = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    newest_timestamp = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["provider", "-queued_at"], name="syncrun_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} sync of {self.provider} ({self.get_state_display()})"

    @property
    def duration(self):
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def throughput(self):
        """Records read per second."""
        duration = self.duration
        seconds = duration.total_seconds() if duration else 0
        return round(self.fetched / seconds, 1) if seconds > 0 else None


@scoped(parent="run")
class SyncError(models.Model):
    """A record a run could not apply, and why; the run went on without it."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="errors")
    listing_key = models.CharField(max_length=128, blank=True)
    reason = models.TextField()
    record = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.listing_key or 'record'}: {self.reason[:80]}"
