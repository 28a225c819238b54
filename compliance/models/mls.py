"""MLS display rules per feed, the log of who viewed or exported MLS listings, and its alerts."""

from django.conf import settings
from django.db import models

from realestate.permissions import scoped

LAST_UPDATED_PLACEHOLDER = "{last_updated}"
# The rolling window an agent's exported MLS listings are counted over.
EXPORT_WINDOW_HOURS = 24


@scoped(brokerage="provider__brokerage")
class MLSDisplayRule(models.Model):
    """What an MLS requires shown with its listings: disclaimer, attribution, export limit."""

    provider = models.OneToOneField(
        "mls.MLSProvider", on_delete=models.CASCADE, related_name="display_rule"
    )
    disclaimer = models.TextField(
        help_text=(
            "Shown on the MLS's listing pages and in exports. "
            f"{LAST_UPDATED_PLACEHOLDER} is replaced by the time the listing was last updated."
        )
    )
    show_listing_office = models.BooleanField(
        default=True, help_text="Name the listing office (the MLS's attribution rule)."
    )
    show_listing_agent = models.BooleanField(
        default=False, help_text="Name the listing agent as well."
    )
    logo_url = models.URLField("MLS logo URL", max_length=500, blank=True)
    show_on_cards = models.BooleanField(
        default=False, help_text="Show the disclaimer under listing lists as well."
    )
    export_alert_threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            f"Email the brokers when an agent exports more of this MLS's listings than this in "
            f"{EXPORT_WINDOW_HOURS} hours; empty for no alert."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "MLS display rule"
        ordering = ["provider__name"]

    def __str__(self):
        return f"Display rule of {self.provider}"

    def disclaimer_text(self, last_updated):
        """The disclaimer with the listing's last-updated time in it."""
        when = f"{last_updated:%b %-d, %Y %H:%M} UTC" if last_updated else "unknown"
        return self.disclaimer.replace(LAST_UPDATED_PLACEHOLDER, when)


class AccessKind(models.TextChoices):
    VIEW = "view", "Viewed the page"
    API = "api", "Read through the API"
    EXPORT = "export", "Exported"


@scoped(brokerage="brokerage", owner="user", private=True)
class ListingAccess(models.Model):
    """Who viewed or exported which MLS listings: one row per view, or per export and feed."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider = models.ForeignKey(
        "mls.MLSProvider", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    listing = models.ForeignKey(
        "properties.Property",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The listing viewed; empty for an export (see listing ids).",
    )
    kind = models.CharField(max_length=10, choices=AccessKind.choices)
    listing_ids = models.JSONField(
        default=list, blank=True, help_text="The ids of the listings an export held."
    )
    count = models.PositiveIntegerField(default=1, help_text="Listings viewed or exported.")
    accessed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "MLS listing access"
        verbose_name_plural = "MLS listing access log"
        ordering = ["-accessed_at", "-pk"]
        indexes = [
            models.Index(fields=["agent", "kind", "accessed_at"], name="listingaccess_agent_kind"),
            models.Index(fields=["listing", "accessed_at"], name="listingaccess_listing"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.user} at {self.accessed_at:%Y-%m-%d %H:%M}"


@scoped(brokerage="brokerage")
class ExportAlert(models.Model):
    """An email to the brokers that an agent exported more MLS listings than the feed allows."""

    brokerage = models.ForeignKey("agents.Brokerage", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey("mls.MLSProvider", on_delete=models.CASCADE, related_name="+")
    exported = models.PositiveIntegerField(help_text="Listings exported in the window.")
    threshold = models.PositiveIntegerField()
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"{self.agent} exported {self.exported} listings of {self.provider}"
