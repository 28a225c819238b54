"""Fair Housing advertising: the phrase rules, brokers' overrides and the nightly scan's reports."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from compliance.phrases import PhraseError, phrase_pattern
from realestate.permissions import scoped


class ProtectedClass(models.TextChoices):
    """The Fair Housing Act's seven classes, then classes some states and cities add."""

    RACE = "race", "Race"
    COLOR = "color", "Color"
    RELIGION = "religion", "Religion"
    SEX = "sex", "Sex"
    HANDICAP = "handicap", "Handicap (disability)"
    FAMILIAL_STATUS = "familial_status", "Familial status"
    NATIONAL_ORIGIN = "national_origin", "National origin"
    SOURCE_OF_INCOME = "source_of_income", "Source of income"
    AGE = "age", "Age"
    MARITAL_STATUS = "marital_status", "Marital status"
    SEXUAL_ORIENTATION = "sexual_orientation", "Sexual orientation"
    GENDER_IDENTITY = "gender_identity", "Gender identity"
    MILITARY_STATUS = "military_status", "Military or veteran status"
    OTHER = "other", "Other (name it)"


FEDERAL_CLASSES = (
    ProtectedClass.RACE,
    ProtectedClass.COLOR,
    ProtectedClass.RELIGION,
    ProtectedClass.SEX,
    ProtectedClass.HANDICAP,
    ProtectedClass.FAMILIAL_STATUS,
    ProtectedClass.NATIONAL_ORIGIN,
)


@scoped(brokerage="brokerage")
class FairHousingRule(models.Model):
    """A phrase that states a preference, limitation or discrimination, with why and a rewrite.

    Rules without a brokerage are the built-in ones, for everyone; a brokerage adds its own
    (a state's classes such as source of income).
    """

    brokerage = models.ForeignKey(
        "agents.Brokerage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fair_housing_rules",
        help_text="Empty for the built-in rules every brokerage has.",
    )
    phrase = models.CharField(
        max_length=200,
        help_text=(
            "Words as written, any case: 'no children'. Plurals and -ed/-ing forms, hyphens "
            "and extra spaces match too. 'a/b' is either word at that place, 'word?' an "
            "optional word: 'perfect/ideal for a? couple'."
        ),
    )
    protected_class = models.CharField(max_length=32, choices=ProtectedClass.choices)
    class_label = models.CharField(
        max_length=100, blank=True, help_text="The class's name when it is not in the list."
    )
    reason = models.CharField(max_length=500)
    suggestion = models.CharField(
        "suggested rewrite", max_length=500, help_text="What to write instead."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Fair Housing rule"
        ordering = ["protected_class", "phrase"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "phrase"], name="fair_housing_rule_unique_phrase"
            ),
            models.UniqueConstraint(
                fields=["phrase"],
                condition=models.Q(brokerage__isnull=True),
                name="fair_housing_rule_unique_builtin_phrase",
            ),
        ]

    def __str__(self):
        return f"{self.phrase} ({self.class_name})"

    def clean(self):
        try:
            phrase_pattern(self.phrase)
        except PhraseError as exc:
            raise ValidationError({"phrase": str(exc)}) from exc
        if self.protected_class == ProtectedClass.OTHER and not self.class_label.strip():
            raise ValidationError({"class_label": "Name the protected class."})

    @property
    def class_name(self):
        return self.class_label or self.get_protected_class_display()

    @property
    def is_builtin(self):
        return self.brokerage_id is None


@scoped(brokerage="brokerage")
class FairHousingOverride(models.Model):
    """A broker's decision that one exact text may be published despite its findings, and why."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="fair_housing_overrides"
    )
    text_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the text.")
    text = models.TextField(editable=False)
    findings = models.JSONField(default=list, editable=False, help_text="What the scan found.")
    reason = models.TextField()
    listing = models.ForeignKey(
        "properties.Property",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fair_housing_overrides",
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Fair Housing override"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "text_hash"], name="fair_housing_override_unique_text"
            )
        ]

    def __str__(self):
        return f"Override of {len(self.findings)} finding(s) by {self.broker}"


class ScanState(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


@scoped(brokerage="brokerage")
class FairHousingScanRun(models.Model):
    """One nightly scan of a brokerage's MLS-synced listings: what it read and found."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="fair_housing_scans"
    )
    state = models.CharField(max_length=10, choices=ScanState.choices, default=ScanState.RUNNING)
    listings_scanned = models.PositiveIntegerField(default=0)
    listings_flagged = models.PositiveIntegerField(default=0)
    findings_total = models.PositiveIntegerField(default=0)
    class_counts = models.JSONField(
        default=dict, blank=True, help_text="Findings per protected class."
    )
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Fair Housing scan"
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["brokerage", "-started_at"], name="fair_housing_scan_recent")
        ]
        constraints = [
            # The nightly scan's lock, on SQLite as on PostgreSQL: one running scan a brokerage.
            models.UniqueConstraint(
                fields=["brokerage"],
                condition=models.Q(state="running"),
                name="fair_housing_scan_one_running",
            )
        ]

    def __str__(self):
        return f"Fair Housing scan of {self.started_at:%Y-%m-%d %H:%M}"


@scoped(parent="run")
class FairHousingScanListing(models.Model):
    """A listing the nightly scan flagged, with its findings as they were then."""

    run = models.ForeignKey(FairHousingScanRun, on_delete=models.CASCADE, related_name="listings")
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, related_name="fair_housing_scans"
    )
    findings = models.JSONField(default=list)

    class Meta:
        verbose_name = "flagged listing"
        ordering = ["run", "pk"]

    def __str__(self):
        return f"{self.listing_id}: {len(self.findings)} finding(s)"
