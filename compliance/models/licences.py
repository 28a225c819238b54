"""Agents' real-estate licences, their continuing education and the expiry alerts sent."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from realestate.permissions import scoped

# The fifty states, the District of Columbia and the territories that license agents.
US_STATE_CODES = [
    "AK",
    "AL",
    "AR",
    "AZ",
    "CA",
    "CO",
    "CT",
    "DC",
    "DE",
    "FL",
    "GA",
    "GU",
    "HI",
    "IA",
    "ID",
    "IL",
    "IN",
    "KS",
    "KY",
    "LA",
    "MA",
    "MD",
    "ME",
    "MI",
    "MN",
    "MO",
    "MS",
    "MT",
    "NC",
    "ND",
    "NE",
    "NH",
    "NJ",
    "NM",
    "NV",
    "NY",
    "OH",
    "OK",
    "OR",
    "PA",
    "PR",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VA",
    "VI",
    "VT",
    "WA",
    "WI",
    "WV",
    "WY",
]
# Days before expiry at which the agent and their brokers are emailed, widest first.
EXPIRY_ALERT_DAYS = (90, 60, 30)


class LicenceType(models.TextChoices):
    SALESPERSON = "salesperson", "Salesperson"
    BROKER = "broker", "Broker"
    ASSOCIATE_BROKER = "associate_broker", "Associate broker"


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    INACTIVE = "inactive", "Inactive"


def validate_state_code(value):
    if value not in US_STATE_CODES:
        raise ValidationError("Enter a US state code, such as IL or NY.", code="invalid_state")


@scoped(brokerage="agent__brokerage", owner="agent__user", private=True)
class Licence(models.Model):
    """A state's licence to practise real estate held by an agent, with its CE progress."""

    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="licences")
    number = models.CharField("licence number", max_length=50)
    state = models.CharField(max_length=2, validators=[validate_state_code])
    licence_type = models.CharField(
        max_length=20, choices=LicenceType.choices, default=LicenceType.SALESPERSON
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.ACTIVE
    )
    ce_hours_required = models.DecimalField(
        "CE hours required",
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Continuing-education hours the state requires before this licence renews.",
    )
    ce_hours_completed = models.DecimalField(
        "CE hours completed",
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "state", "number"], name="licence_unique_agent_state_number"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"], name="licence_status_expiry")]

    def __str__(self):
        return f"{self.state} {self.number}"

    def get_absolute_url(self):
        return reverse("compliance:licence-detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.issued_on and self.expires_on and self.issued_on > self.expires_on:
            raise ValidationError({"expires_on": "A licence expires after it is issued."})

    def is_in_good_standing(self, today):
        """Active and not past its expiry date."""
        return self.status == LicenceStatus.ACTIVE and self.expires_on >= today

    def days_left(self, today):
        return (self.expires_on - today).days

    @property
    def days_to_expiry(self):
        return self.days_left(timezone.localdate())

    @property
    def is_lapsed(self):
        return not self.is_in_good_standing(timezone.localdate())

    @property
    def ce_percent(self):
        """Share of the required CE hours done, 0–100 (100 when none are required)."""
        if not self.ce_hours_required:
            return 100
        return min(100, int(self.ce_hours_completed * 100 / self.ce_hours_required))


@scoped(parent="licence")
class LicenceAlert(models.Model):
    """One expiry alert sent for a licence: a threshold is sent once per expiry date."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="alerts")
    days_before = models.PositiveSmallIntegerField()
    expires_on = models.DateField(help_text="The expiry date the alert was about.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "days_before", "expires_on"], name="licencealert_once"
            ),
        ]

    def __str__(self):
        return f"{self.licence}: {self.days_before} days"
