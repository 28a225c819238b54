"""Showings on the agent's calendar and the secret calendar feed of them."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import BOOKED_STATUSES, ShowingStatus
from realestate.permissions import scoped


@scoped(brokerage="brokerage", owner="agent__user", private=True)
class Showing(models.Model):
    """A visit of a listing with a client, on an agent's calendar."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, related_name="showings"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="showings"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="showings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ShowingStatus.choices, default=ShowingStatus.REQUESTED
    )
    notes = models.TextField(blank=True)
    feedback = models.TextField(blank=True, help_text="What the client thought, after the showing.")
    feedback_rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How the client liked the home, from 1 to 5.",
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Revision number of the calendar event (iCalendar SEQUENCE): a new time or status is a
    # new revision, so calendar apps replace the copy they hold.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["agent", "starts_at"], name="showing_agent_time"),
            # The reminder job's scan: booked showings that have not been reminded yet.
            models.Index(
                fields=["starts_at"],
                condition=models.Q(reminder_sent_at__isnull=True, status__in=BOOKED_STATUSES),
                name="showing_reminder_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="showing_ends_after"
            ),
        ]

    def __str__(self):
        return f"{self.listing} at {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("clients:showing-detail", args=[self.pk])

    @property
    def is_booked(self):
        """Whether the showing still holds its time on the agent's calendar."""
        return self.status in BOOKED_STATUSES


def new_feed_token():
    return secrets.token_urlsafe(32)


@scoped(brokerage="agent__brokerage", owner="agent__user", private=True)
class CalendarFeed(models.Model):
    """An agent's secret iCalendar subscription address; revoking it turns the URL into a 404."""

    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One working address per agent: a new one replaces the old, never adds to it.
            models.UniqueConstraint(
                fields=["agent"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            ),
        ]

    def __str__(self):
        return f"Calendar feed of {self.agent}"

    def get_absolute_url(self):
        return reverse("clients:calendar-feed", args=[self.token])

    @property
    def is_active(self):
        return self.revoked_at is None
