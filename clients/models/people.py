"""People: clients and leads, what buyers want, and the timeline of what happened with them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.choices import (
    ActivityKind,
    ContactMethod,
    PreApproval,
    Priority,
    Stage,
    Timeline,
)
from compliance.fields import EncryptedTextField
from realestate.permissions import scoped

MONEY = {"max_digits": 12, "decimal_places": 2}


@scoped(brokerage="brokerage")
class LeadSource(models.Model):
    """Where leads come from (website, Zillow, open house, referral ...), managed by the broker."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="lead_sources"
    )
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="lead_source_unique_name"),
        ]

    def __str__(self):
        return self.name


@scoped(brokerage="brokerage")
class Tag(models.Model):
    """A label agents put on clients ("investor", "relocating", "past client")."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="tag_unique_name"),
        ]

    def __str__(self):
        return self.name


@scoped(brokerage="brokerage", owner="assigned_agent__user", private=True, pooled="in_pond")
class Client(models.Model):
    """A person the brokerage works with: a lead, a buyer, a seller, a landlord or a tenant."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.PROTECT, related_name="clients"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # Stored normalised: emails lower-cased, phones in E.164 ("+15551234567").
    email = models.EmailField(blank=True)
    alternate_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    alternate_phone = models.CharField(max_length=20, blank=True)
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state_or_province = models.CharField("state", max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    language = models.CharField(max_length=10, default="en", help_text="e.g. en, es, zh-hans")
    time_zone = models.CharField(max_length=64, blank=True, help_text="e.g. America/Chicago")
    do_not_email = models.BooleanField(default=False)
    do_not_call = models.BooleanField(default=False)
    do_not_text = models.BooleanField(default=False)
    roles = models.JSONField(default=list, blank=True, help_text="lead, buyer, seller ...")
    source = models.ForeignKey(
        LeadSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="clients"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NEW)
    assigned_agent = models.ForeignKey(
        "agents.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
    )
    co_agents = models.ManyToManyField(
        "agents.Agent",
        blank=True,
        related_name="co_clients",
        help_text="Agents sharing this client.",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="clients")
    notes = models.TextField(blank=True)
    # Encrypted at rest; shown masked, never in lists, logs or the audit log.
    government_id = EncryptedTextField(
        "government ID", editable=False, blank=True, default="", help_text="e.g. a passport number"
    )
    # Set when retention or an erasure request removed the personal data; statistics stay.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Lead routing: an assigned lead is claimed by its agent; an unclaimed one goes to the pond.
    in_pond = models.BooleanField(default=False)
    assigned_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Lead score, 0–100, with the signals that made it.
    score = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    score_reasons = models.JSONField(default=list, blank=True, editable=False)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(fields=["brokerage", "email"], name="client_email"),
            models.Index(fields=["brokerage", "phone"], name="client_phone"),
            models.Index(fields=["assigned_agent", "stage"], name="client_agent_stage"),
            models.Index(fields=["brokerage", "stage"], name="client_stage"),
            models.Index(
                fields=["brokerage", "assigned_at"],
                condition=models.Q(claimed_at__isnull=True, in_pond=False),
                name="client_unclaimed",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:detail", args=[self.pk])

    @property
    def name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email or self.phone or f"Client {self.pk}"


@scoped(parent="client")
class BuyerPreference(models.Model):
    """What a buyer is looking for; matched against listings."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="preference")
    property_types = models.JSONField(
        default=list, blank=True, help_text="RESO PropertyType values"
    )
    min_price = models.DecimalField(null=True, blank=True, **MONEY)
    max_price = models.DecimalField(null=True, blank=True, **MONEY)
    min_beds = models.PositiveSmallIntegerField(null=True, blank=True)
    min_baths = models.PositiveSmallIntegerField(null=True, blank=True)
    min_area = models.PositiveIntegerField("minimum living area (sq ft)", null=True, blank=True)
    max_area = models.PositiveIntegerField("maximum living area (sq ft)", null=True, blank=True)
    cities = models.JSONField(default=list, blank=True)
    postal_codes = models.JSONField(default=list, blank=True)
    must_haves = models.JSONField(default=list, blank=True)
    timeline = models.CharField(max_length=10, choices=Timeline.choices, blank=True)
    preapproval_status = models.CharField(
        "pre-approval", max_length=15, choices=PreApproval.choices, default=PreApproval.NONE
    )
    preapproval_amount = models.DecimalField("pre-approved amount", null=True, blank=True, **MONEY)
    motivation = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Preferences of {self.client}"


@scoped(parent="client")
class Activity(models.Model):
    """One thing on a client's timeline: a call, an email, a note, a showing or a system event."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    listing = models.ForeignKey(
        "properties.Property",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What a system event refers to ({"saved_search": 3, "event": "price_drop"} ...).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["client", "-occurred_at"], name="activity_timeline")]

    def __str__(self):
        return self.subject


@scoped(brokerage="brokerage", owner="assigned_agent__user", private=True)
class Task(models.Model):
    """Something an agent has to do by a date, perhaps about a client, a listing or a deal."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_date = models.DateField()
    due_time = models.TimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assigned_agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, related_name="tasks"
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    listing = models.ForeignKey(
        "properties.Property",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.ForeignKey(
        "transactions.Transaction",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name="deal",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "due_time", "pk"]
        indexes = [
            models.Index(
                fields=["assigned_agent", "due_date"],
                condition=models.Q(done_at__isnull=True),
                name="task_open_due",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("clients:task-edit", args=[self.pk])

    @property
    def is_done(self):
        return self.done_at is not None
