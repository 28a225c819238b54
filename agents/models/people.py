import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from agents.choices import BrandFont
from properties.images import image_extension, validate_uploaded_image
from realestate.permissions import scoped

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give a colour as #RRGGBB, e.g. #1d5fa8.")


def brand_logo_upload_to(instance, filename):
    """A generated name, with the extension of the image's real format, never the upload's."""
    logo = instance.brand_logo
    logo.seek(0)
    extension = image_extension(logo.read(64 * 1024))
    logo.seek(0)
    return f"brands/{uuid.uuid4().hex}.{extension}"


@scoped(brokerage="pk")
class Brokerage(models.Model):
    """A real-estate brokerage: the tenant that owns every other record."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    license_number = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # The brand kit: what reports, flyers, social images and signatures are dressed in.
    brand_logo = models.FileField(
        "logo", upload_to=brand_logo_upload_to, blank=True, validators=[validate_uploaded_image]
    )
    brand_primary_color = models.CharField(
        "primary colour", max_length=7, default="#1d5fa8", validators=[hex_colour]
    )
    brand_accent_color = models.CharField(
        "accent colour", max_length=7, default="#e6effa", validators=[hex_colour]
    )
    brand_font = models.CharField(
        "font", max_length=20, choices=BrandFont.choices, default=BrandFont.HELVETICA
    )
    brand_disclaimer = models.TextField(
        "disclaimer",
        blank=True,
        help_text="Printed on every flyer, report and email, e.g. the licence and MLS notice.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


@scoped(brokerage="brokerage")
class Office(models.Model):
    """A branch office of a brokerage."""

    brokerage = models.ForeignKey(Brokerage, on_delete=models.CASCADE, related_name="offices")
    name = models.CharField(max_length=200)
    mls_office_id = models.CharField("MLS office ID", max_length=50, blank=True)
    street_address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state_or_province = models.CharField("state", max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["brokerage__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="office_unique_name"),
        ]

    def __str__(self):
        return self.name


@scoped(brokerage="brokerage")
class Team(models.Model):
    """A group of agents who work together, usually under a team lead."""

    brokerage = models.ForeignKey(Brokerage, on_delete=models.CASCADE, related_name="teams")
    office = models.ForeignKey(
        Office, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams"
    )
    name = models.CharField(max_length=200)
    lead = models.ForeignKey(
        "Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="teams_led"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brokerage", "name"], name="team_unique_name"),
        ]

    def __str__(self):
        return self.name


def agent_photo_upload_to(instance, filename):
    """A generated name, with the extension of the image's real format, never the upload's."""
    photo = instance.photo
    photo.seek(0)
    extension = image_extension(photo.read(64 * 1024))
    photo.seek(0)
    return f"agents/{uuid.uuid4().hex}.{extension}"


@scoped(brokerage="brokerage", owner="user")
class Agent(models.Model):
    """A person working for a brokerage: their licence, contact details and market."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    brokerage = models.ForeignKey(Brokerage, on_delete=models.PROTECT, related_name="agents")
    office = models.ForeignKey(
        Office, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    mls_agent_id = models.CharField("MLS agent ID", max_length=50, blank=True)
    license_number = models.CharField(max_length=50, blank=True)
    license_state = models.CharField(max_length=2, blank=True)
    license_expires = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    photo = models.FileField(
        upload_to=agent_photo_upload_to, blank=True, validators=[validate_uploaded_image]
    )
    bio = models.TextField(blank=True)
    market_areas = models.JSONField(
        default=list, blank=True, help_text="Cities or postal codes this agent works."
    )
    specialties = models.JSONField(default=list, blank=True)
    reviews_documents = models.BooleanField(
        default=False,
        help_text=(
            "Reviews every deal's documents with the broker (a transaction coordinator or "
            "compliance reviewer): sees the brokerage's deals, changes none of them."
        ),
    )
    title = models.CharField(
        max_length=100, blank=True, help_text="Shown under the name, e.g. REALTOR®, Listing agent."
    )
    price_drop_alert_percent = models.DecimalField(
        "price drop alert (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        default=5,
        help_text="Alert me when a listing in my areas drops by at least this; empty for never.",
    )
    notify_by_email = models.BooleanField(
        default=True, help_text="Email me my alerts as well as showing them in the product."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "mls_agent_id"],
                condition=~models.Q(mls_agent_id=""),
                name="agent_unique_mls_id",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.user.get_full_name() or self.user.get_username()

    @property
    def email(self):
        return self.user.email
