"""Lead routing: the broker's rules, a record of every decision with its reason, intake keys."""

import hashlib

from django.db import models
from django.utils import timezone

from clients.choices import RoutingMethod, RoutingOutcome
from realestate.permissions import scoped


@scoped(brokerage="brokerage")
class RoutingRule(models.Model):
    """How new leads are handed out: round robin or by area, among agents the broker picks."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="routing_rules"
    )
    name = models.CharField(max_length=100)
    method = models.CharField(max_length=15, choices=RoutingMethod.choices)
    agents = models.ManyToManyField("agents.Agent", related_name="routing_rules")
    areas = models.JSONField(
        default=list, blank=True, help_text="Cities or postal codes this rule takes (by area)."
    )
    sources = models.ManyToManyField(
        "clients.LeadSource",
        blank=True,
        related_name="routing_rules",
        help_text="Only leads from these sources; none means every source.",
    )
    claim_timeout_minutes = models.PositiveIntegerField(
        default=60, help_text="An assigned lead not claimed in this time goes to the shared pond."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Rules are tried in this order; the first that takes a lead wins."
    )
    is_active = models.BooleanField(default=True)
    # Round robin: how many leads this rule has handed out; the next goes to the next agent.
    assigned_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


@scoped(parent="client")
class RoutingDecision(models.Model):
    """One routing step for a lead (assigned, sent to the pond, claimed ...) and why."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="routing_decisions"
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=15, choices=RoutingOutcome.choices)
    reason = models.CharField(max_length=300)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        # The pond job reads each unclaimed lead's latest decision.
        indexes = [models.Index(fields=["client", "-decided_at"], name="routing_decision_latest")]

    def __str__(self):
        return f"{self.get_outcome_display()}: {self.reason}"


def intake_key_digest(secret):
    """What is stored of an intake key: its SHA-256, so a leaked database leaks no key."""
    return hashlib.sha256(secret.encode()).hexdigest()


@scoped(brokerage="brokerage")
class IntakeKey(models.Model):
    """A secret that lets a website or lead provider send the brokerage leads without a form token.

    Only a digest is kept; the key itself is shown once, when it is made. A revoked key is
    refused from then on.
    """

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="intake_keys"
    )
    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “Website” or “Zillow”.")
    source = models.ForeignKey(
        "clients.LeadSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intake_keys",
        help_text="The source of leads sent with this key when they name none we know.",
    )
    prefix = models.CharField(max_length=8, editable=False, help_text="To recognise the key.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None
