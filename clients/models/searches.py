"""Saved searches and the listing alerts they send."""

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import AlertEvent, AlertFrequency
from realestate.permissions import scoped

MONEY = {"max_digits": 12, "decimal_places": 2}


@scoped(parent="client")
class SavedSearch(models.Model):
    """A client's listing search, kept so that new matches are sent to them.

    ``criteria`` holds the listing filters as the listing page and the API take them; the
    columns beside it are those filters in a form the database matches in bulk.
    """

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="saved_searches"
    )
    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    criteria = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(
        max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.DAILY
    )
    is_active = models.BooleanField(default=True)
    # The filters, matched in SQL; empty means "any".
    property_type = models.CharField(max_length=32, blank=True)
    property_sub_type = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=100, blank=True, help_text="Stored upper-case.")
    postal_code = models.CharField(max_length=10, blank=True)
    min_price = models.DecimalField(null=True, blank=True, **MONEY)
    max_price = models.DecimalField(null=True, blank=True, **MONEY)
    min_beds = models.PositiveSmallIntegerField(null=True, blank=True)
    min_baths = models.PositiveSmallIntegerField(null=True, blank=True)
    min_area = models.PositiveIntegerField(null=True, blank=True)
    max_area = models.PositiveIntegerField(null=True, blank=True)
    unsubscribe_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "saved searches"
        indexes = [models.Index(fields=["brokerage", "is_active"], name="saved_search_active")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:detail", args=[self.client_id])


@scoped(parent="saved_search")
class ListingAlert(models.Model):
    """A listing event that matched a saved search: recorded once, sent once."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts")
    listing = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=AlertEvent.choices)
    # The history row behind the event: the same event never alerts the same search twice.
    event_key = models.CharField(max_length=64)
    matched_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-matched_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["saved_search", "event", "event_key"], name="listing_alert_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["saved_search", "matched_at"],
                condition=models.Q(sent_at__isnull=True, skipped_reason=""),
                name="listing_alert_unsent",
            ),
        ]

    def __str__(self):
        return f"{self.get_event_display()}: {self.listing_id}"


class AlertScan(models.Model):
    """How far the alert matcher has read the listing history (one row)."""

    name = models.CharField(max_length=50, unique=True)
    last_price_change_id = models.BigIntegerField(default=0)
    last_status_change_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name
