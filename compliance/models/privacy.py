"""Privacy: the consent log, the do-not-contact list, data retention and payout bank details."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from clients.choices import Channel
from compliance.fields import EncryptedTextField
from realestate.permissions import scoped

# The Client flag that holds the current state of each channel.
CHANNEL_FLAGS = {
    Channel.EMAIL: "do_not_email",
    Channel.PHONE: "do_not_call",
    Channel.TEXT: "do_not_text",
}


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "May contact"
    REVOKED = "revoked", "Do not contact"


class ConsentSource(models.TextChoices):
    """Where a consent decision came from."""

    FORM = "form", "Client form"
    IMPORT = "import", "Client import"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe link"
    AGENT = "agent", "Agent"
    DNC_LIST = "dnc_list", "Do-not-contact list"
    API = "api", "API"
    MERGE = "merge", "Merge of duplicates"


class ContactPurpose(models.TextChoices):
    """Why a message is sent; every purpose honours the client's do-not-contact choices."""

    MARKETING = "marketing", "Marketing (listing alerts)"
    SERVICE = "service", "Service (reminders)"
    TRANSACTION = "transaction", "Deal documents (signature requests)"


class DoNotContactKind(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"


@scoped(parent="client")
class ConsentRecord(models.Model):
    """One consent decision of a client for one channel: append-only, the newest is current."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="consent_records"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    source = models.CharField(max_length=15, choices=ConsentSource.choices)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["client", "-recorded_at"], name="consent_client_time")]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("The consent log is append-only: record a new decision.")
        super().save(*args, **kwargs)


@scoped(brokerage="brokerage")
class DoNotContactEntry(models.Model):
    """An email or phone number the brokerage must not contact (a DNC registry download ...)."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="do_not_contact_entries"
    )
    kind = models.CharField(max_length=10, choices=DoNotContactKind.choices)
    # Stored normalised like a client's: emails lower-cased, phones in E.164.
    value = models.CharField(max_length=254)
    list_name = models.CharField(max_length=200, blank=True, help_text="The file it came from.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = "do-not-contact entry"
        verbose_name_plural = "do-not-contact entries"
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "kind", "value"], name="do_not_contact_unique"
            ),
        ]

    def __str__(self):
        return self.value


@scoped(brokerage="brokerage")
class RetentionPolicy(models.Model):
    """How long a brokerage keeps the personal data of clients it no longer works with."""

    brokerage = models.OneToOneField(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="retention_policy"
    )
    period_months = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(6), MaxValueValidator(1200)],
        help_text="Months after a closed or lost client's last activity before anonymising.",
    )
    enabled = models.BooleanField(
        default=False, help_text="Let the monthly job anonymise such clients."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self):
        return f"Retention of {self.brokerage}: {self.period_months} months"


class RetentionTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled job"
    MANUAL = "manual", "Run by a broker"


@scoped(brokerage="brokerage")
class RetentionRun(models.Model):
    """One retention pass over a brokerage: a dry run lists, a real run anonymises."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="retention_runs"
    )
    dry_run = models.BooleanField(default=True)
    trigger = models.CharField(max_length=10, choices=RetentionTrigger.choices)
    period_months = models.PositiveSmallIntegerField()
    cutoff = models.DateTimeField(help_text="No activity since then.")
    candidates = models.PositiveIntegerField(default=0)
    anonymised = models.PositiveIntegerField(default=0)
    client_ids = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        kind = "Dry run" if self.dry_run else "Run"
        return f"{kind} of {self.started_at:%Y-%m-%d}: {self.candidates} clients"


@scoped(brokerage="brokerage", owner="agent__user", private=True)
class PayoutAccount(models.Model):
    """The bank account an agent's commission is paid to; numbers encrypted at rest."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    agent = models.OneToOneField(
        "agents.Agent", on_delete=models.CASCADE, related_name="payout_account"
    )
    account_holder = models.CharField(max_length=200)
    bank_name = models.CharField(max_length=200, blank=True)
    account_number = EncryptedTextField(editable=False, blank=True, default="")
    routing_number = EncryptedTextField(editable=False, blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Payout account of {self.agent}"
