import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from agents.choices import IncomingWebhookKind, WebhookDeliveryStatus
from compliance.fields import EncryptedTextField
from realestate.permissions import scoped


@scoped(brokerage="brokerage", private=True)
class WebhookSubscription(models.Model):
    """An outgoing webhook: the brokerage's events posted, signed, to a URL of theirs."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list, blank=True, help_text="Event names to send; none means every event."
    )
    # "whsec_" + base64 of the key (the Standard Webhooks form), shown once when made.
    secret = EncryptedTextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brokerage", "url"]

    def __str__(self):
        return self.description or self.url

    def get_absolute_url(self):
        return reverse("webhooks:detail", args=[self.pk])


@scoped(parent="subscription")
class WebhookDelivery(models.Model):
    """One message to one subscription: its signed body, its state and its retries."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "agents.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    message_id = models.CharField(max_length=64)
    event_name = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact JSON sent (and signed) each time.")
    is_test = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"],
                condition=models.Q(event__isnull=False),
                name="webhook_delivery_once_per_event",
            ),
        ]

    def __str__(self):
        return f"{self.event_name} to {self.subscription_id} ({self.status})"

    def get_absolute_url(self):
        return reverse("webhooks:delivery", args=[self.pk])


@scoped(parent="delivery")
class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: when, the response code or the error, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"{self.status_code or self.error} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"


@scoped(brokerage="brokerage", private=True)
class IncomingWebhook(models.Model):
    """An endpoint another system posts to (delivery events, a lead source), with its secret."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="incoming_webhooks"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=IncomingWebhookKind.choices)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    secret = EncryptedTextField(editable=False)
    lead_source = models.ForeignKey(
        "clients.LeadSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a lead source endpoint: the source its leads are recorded under.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brokerage", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="incoming_webhook_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("webhooks:incoming-detail", args=[self.pk])

    def get_hook_url(self):
        """The path the other system posts to: a lead source's, or an email/text provider's."""
        if self.kind == IncomingWebhookKind.LEADS:
            return reverse("lead-webhook", args=[self.token])
        return reverse("outreach-delivery-events", args=[self.token])


@scoped(parent="webhook")
class IncomingWebhookLog(models.Model):
    """One request to an incoming webhook: whether its signature held and what came of it."""

    webhook = models.ForeignKey(IncomingWebhook, on_delete=models.CASCADE, related_name="log")
    received_at = models.DateTimeField(default=timezone.now)
    verified = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField()
    message_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    body_excerpt = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # A message (its webhook-id) is taken in once: a sender's retry is not a new lead.
            models.UniqueConstraint(
                fields=["webhook", "message_id"],
                condition=models.Q(status_code=201) & ~models.Q(message_id=""),
                name="incoming_webhook_message_once",
            ),
        ]

    def __str__(self):
        return f"{self.status_code} at {self.received_at:%Y-%m-%d %H:%M:%S}"
