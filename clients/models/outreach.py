"""Outreach: message templates, saved client segments, campaigns and every message sent."""

import uuid
from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import (
    AttemptStatus,
    CampaignKind,
    CampaignStatus,
    EnrollmentStatus,
    OutreachChannel,
    StopReason,
    SuppressionReason,
)
from realestate.permissions import scoped


@scoped(brokerage="brokerage", owner="owner__user")
class MessageTemplate(models.Model):
    """An email or text with merge fields ({{ client.first_name }}), shared in the brokerage
    and changed by its owner; scanned by the Fair Housing checker before any campaign uses it."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=100)
    channel = models.CharField(
        max_length=10, choices=OutreachChannel.choices, default=OutreachChannel.EMAIL
    )
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    body = models.TextField()
    # The Fair Housing findings of the last save (subject and body), as the checker gives them.
    findings = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:outreach-template", args=[self.pk])

    @property
    def scanned_text(self):
        """The text the Fair Housing checker reads and an override approves."""
        if self.channel == OutreachChannel.EMAIL:
            return f"{self.subject}\n\n{self.body}"
        return self.body


@scoped(brokerage="brokerage", owner="owner__user", private=True)
class ClientSegment(models.Model):
    """A saved client filter: the client list's query string ("stage=active&tag=3")."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    query = models.CharField(
        max_length=1000, blank=True, help_text="The client list's filters, as in its address."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:outreach-segment-edit", args=[self.pk])


@scoped(brokerage="brokerage", owner="owner__user", private=True)
class Campaign(models.Model):
    """Messages to a segment's clients: one step (one-off) or a sequence with delays (drip)."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    segment = models.ForeignKey(ClientSegment, on_delete=models.PROTECT, related_name="campaigns")
    kind = models.CharField(
        max_length=10, choices=CampaignKind.choices, default=CampaignKind.ONE_OFF
    )
    listing = models.ForeignKey(
        "properties.Property",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The listing the {{ listing.* }} merge fields show.",
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status"], name="campaign_status")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:outreach-campaign", args=[self.pk])


@scoped(parent="campaign")
class CampaignStep(models.Model):
    """One message of a campaign, sent ``delay_hours`` after the step before (or the start)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+")
    delay_hours = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(24 * 365)], help_text="After the step before."
    )

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="campaign_step_position")
        ]

    def __str__(self):
        return f"Step {self.position}"


@scoped(parent="campaign")
class CampaignEnrollment(models.Model):
    """A client going through a campaign: the next step and when it is due, or why it stopped."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="campaign_enrollments"
    )
    next_position = models.PositiveSmallIntegerField(default=1)
    next_due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    stop_reason = models.CharField(max_length=20, choices=StopReason.choices, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "client"], name="campaign_enrollment_once")
        ]
        indexes = [
            models.Index(
                fields=["next_due_at"],
                condition=models.Q(status="active"),
                name="campaign_enrollment_due",
            )
        ]

    def __str__(self):
        return f"{self.client_id} in {self.campaign_id}"


@scoped(parent="client")
class OutreachAttempt(models.Model):
    """One message to one client, recorded before it is sent: a retried send finds it claimed
    and never sends twice; delivery events and replies update it."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="outreach_attempts"
    )
    channel = models.CharField(max_length=10, choices=OutreachChannel.choices)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    step = models.ForeignKey(
        CampaignStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts"
    )
    enrollment = models.ForeignKey(
        CampaignEnrollment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attempts",
    )
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.QUEUED
    )
    skip_reason = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=100, unique=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    unsubscribe_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scheduled_for = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["brokerage", "channel", "scheduled_for"],
                condition=models.Q(status="queued"),
                name="outreach_attempt_queued",
            ),
            models.Index(fields=["provider_message_id"], name="outreach_attempt_provider_id"),
            models.Index(fields=["campaign", "step"], name="outreach_attempt_step"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.to_address or self.client_id}"


@scoped(brokerage="brokerage")
class Suppression(models.Model):
    """An address the brokerage no longer sends to: it bounced or its owner complained."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=OutreachChannel.choices)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    attempt = models.ForeignKey(
        OutreachAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "channel", "address"], name="suppression_unique"
            )
        ]

    def __str__(self):
        return f"{self.address} ({self.get_reason_display()})"


@scoped(brokerage="brokerage")
class OutreachSettings(models.Model):
    """A brokerage's sending limits per channel and its quiet hours for texts."""

    brokerage = models.OneToOneField(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="outreach_settings"
    )
    email_per_minute = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    text_per_minute = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    quiet_hours_start = models.TimeField(
        default=time(21, 0), help_text="No texts from this local time of the client ..."
    )
    quiet_hours_end = models.TimeField(default=time(8, 0), help_text="... until this one.")

    class Meta:
        verbose_name = "outreach settings"
        verbose_name_plural = "outreach settings"

    def __str__(self):
        return f"Outreach settings of {self.brokerage_id}"

    def per_minute(self, channel):
        return self.text_per_minute if channel == OutreachChannel.TEXT else self.email_per_minute
