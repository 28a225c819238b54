import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agents.choices import EventName, NotificationKind
from realestate.permissions import scoped


@scoped(brokerage="brokerage", owner="actor", private=True)
class Event(models.Model):
    """A domain event of a brokerage, written in the same transaction as the change it reports."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    brokerage = models.ForeignKey(
        "agents.Brokerage",
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # event_brokerage_time starts with it
    )
    name = models.CharField(max_length=40, choices=EventName.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # event_actor, of the events a person made
    )
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # event_subject starts with it
    )
    subject_id = models.CharField(max_length=40, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["brokerage", "-occurred_at"], name="event_brokerage_time"),
            models.Index(fields=["name", "-occurred_at"], name="event_name_time"),
            models.Index(fields=["subject_type", "subject_id"], name="event_subject"),
            # Most events are the system's (a sync's): only those a person made are indexed.
            models.Index(fields=["actor"], name="event_actor", condition=Q(actor__isnull=False)),
        ]

    def __str__(self):
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M}"


@scoped(brokerage="brokerage", owner="recipient", private=True)
class Notification(models.Model):
    """A message in one person's notification feed, and by email when they want it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        max_length=20, choices=NotificationKind.choices, default=NotificationKind.EVENT
    )
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # One notification per recipient for a given alert (e.g. "price_drop:<listing>:<price>").
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_feed"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_dedupe",
            ),
        ]

    def __str__(self):
        return self.title
