"""Saved searches and the listing alerts they send."""

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import AlertEvent, AlertFrequency
from realestate.permissions import scoped

MONEY = {"max_digits": 12, "decimal_places": 2}
STATUS_SEPARATOR = ","


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
    statuses = models.CharField(
        max_length=200,
        blank=True,
        help_text='Standard statuses, each between commas (",Active,ComingSoon,").',
    )
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
    keywords = models.CharField(
        max_length=200, blank=True, help_text="The listing page's search words (q)."
    )
    all_listings = models.BooleanField(
        default=False, help_text="Every listing of a home, not only the one that stands for it."
    )
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
        return reverse("clients:search-edit", args=[self.pk])

    @property
    def is_subscribed(self):
        return self.unsubscribed_at is None

    @property
    def status_list(self):
        return [status for status in self.statuses.split(STATUS_SEPARATOR) if status]


@scoped(parent="saved_search")
class ListingAlert(models.Model):
    """A listing event that matched a saved search: recorded once, sent once."""

    saved_search = models.ForeignKey(
        SavedSearch,
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,  # the leading column of listing_alert_once
    )
    listing = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=AlertEvent.choices)
    # The history row behind the event: the same event never alerts the same search twice.
    event_key = models.CharField(max_length=64)
    matched_at = models.DateTimeField(default=timezone.now)
    # A sender claims rows before it sends them, so that a retried or concurrent send never
    # mails them again; a claim never confirmed by ``sent_at`` means the send was interrupted.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    claim = models.UUIDField(null=True, blank=True, editable=False)
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
                condition=models.Q(
                    sent_at__isnull=True, claimed_at__isnull=True, skipped_reason=""
                ),
                name="listing_alert_pending",
            ),
        ]

    def __str__(self):
        return f"{self.get_event_display()}: {self.listing_id}"

    @property
    def state_label(self):
        if self.sent_at:
            return "Sent"
        if self.skipped_reason:
            return "Not sent"
        return "Sending" if self.claimed_at else "Waiting"


class AlertScan(models.Model):
    """How far the alert matcher has read the listing history (one row)."""

    name = models.CharField(max_length=50, unique=True)
    last_price_change_id = models.BigIntegerField(default=0)
    last_status_change_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name
