"""Showings on the agent's calendar and the secret calendar feed of them."""

import secrets

from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import ShowingStatus
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
    feedback_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["agent", "starts_at"], name="showing_agent_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="showing_ends_after"
            ),
        ]

    def __str__(self):
        return f"{self.listing} at {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("clients:showing-detail", args=[self.pk])


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

    def __str__(self):
        return f"Calendar feed of {self.agent}"
