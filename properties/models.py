"""Listings, their photos and their price and status history.

Field names are the RESO Data Dictionary 2.0 names in snake case (``ListingKey`` is
``listing_key``); ``properties.reso`` maps between the two.
"""

import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Upper
from django.urls import reverse
from django.utils import timezone

from properties.addresses import HOME_KEY_MAX_LENGTH, home_key_of
from properties.choices import (
    ChangeSource,
    ListingSource,
    MediaStatus,
    PropertySubType,
    PropertyType,
    StandardStatus,
)
from realestate.database import PartialRowsModel
from realestate.permissions import scoped

MONEY = {"max_digits": 14, "decimal_places": 2}


def storage_url(name):
    """The URL of a stored file's name; an absolute URL (an MLS photo) is returned as it is."""
    if not name:
        return ""
    if name.startswith(("http://", "https://")):
        return name
    return default_storage.url(name)


@scoped(brokerage="brokerage", owner="list_agent__user")
class Property(PartialRowsModel, models.Model):
    """A listing: a home for sale or lease, entered by the brokerage or received from an MLS."""

    # Indexed by the composite indexes below, which all start with the brokerage.
    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.PROTECT, related_name="properties", db_index=False
    )
    source = models.CharField(
        max_length=10, choices=ListingSource.choices, default=ListingSource.LOCAL
    )
    mls_provider = models.ForeignKey(
        "mls.MLSProvider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # the leading column of property_unique_mls_listing_key
        related_name="listings",
        help_text="The feed this listing comes from; empty for the brokerage's own listings.",
    )
    content_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Of the MLS fields last applied."
    )
    feed_removed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the MLS feed stopped listing it."
    )

    # Identity
    listing_key = models.CharField(max_length=64, help_text="RESO ListingKey")
    listing_id = models.CharField("MLS number", max_length=64, blank=True, help_text="ListingId")
    originating_system_name = models.CharField(max_length=100, blank=True)

    # Status and type
    standard_status = models.CharField(
        max_length=24, choices=StandardStatus.choices, default=StandardStatus.ACTIVE
    )
    mls_status = models.CharField("MLS status", max_length=50, blank=True)
    property_type = models.CharField(
        max_length=24, choices=PropertyType.choices, default=PropertyType.RESIDENTIAL
    )
    property_sub_type = models.CharField(max_length=32, choices=PropertySubType.choices, blank=True)

    # Address and location
    street_number = models.CharField(max_length=20, blank=True)
    street_dir_prefix = models.CharField("street direction", max_length=4, blank=True)
    street_name = models.CharField(max_length=100)
    street_suffix = models.CharField(max_length=20, blank=True)
    unit_number = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100)
    state_or_province = models.CharField("state", max_length=2)
    postal_code = models.CharField(max_length=10)
    county_or_parish = models.CharField("county", max_length=100, blank=True)
    country = models.CharField(max_length=2, default="US")
    subdivision_name = models.CharField("subdivision", max_length=100, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    # Structure
    bedrooms_total = models.PositiveSmallIntegerField("bedrooms", null=True, blank=True)
    bathrooms_full = models.PositiveSmallIntegerField("full baths", null=True, blank=True)
    bathrooms_half = models.PositiveSmallIntegerField("half baths", null=True, blank=True)
    bathrooms_total_integer = models.PositiveSmallIntegerField(
        "bathrooms", null=True, blank=True, help_text="Full plus half baths."
    )
    living_area = models.PositiveIntegerField("living area (sq ft)", null=True, blank=True)
    lot_size_square_feet = models.PositiveIntegerField("lot size (sq ft)", null=True, blank=True)
    lot_size_acres = models.DecimalField(
        "lot size (acres)", max_digits=10, decimal_places=4, null=True, blank=True
    )
    year_built = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1600), MaxValueValidator(2100)]
    )
    stories_total = models.PositiveSmallIntegerField("stories", null=True, blank=True)
    garage_spaces = models.PositiveSmallIntegerField(null=True, blank=True)
    parking_total = models.PositiveSmallIntegerField("parking spaces", null=True, blank=True)

    # Features (RESO lookup lists)
    heating = models.JSONField(default=list, blank=True)
    cooling = models.JSONField(default=list, blank=True)
    view = models.JSONField(default=list, blank=True)
    interior_features = models.JSONField(default=list, blank=True)
    exterior_features = models.JSONField(default=list, blank=True)
    appliances = models.JSONField(default=list, blank=True)
    waterfront_yn = models.BooleanField("waterfront", default=False)
    view_yn = models.BooleanField("view", default=False)
    property_condition = models.JSONField(
        "condition", default=list, blank=True, help_text="RESO PropertyCondition values."
    )
    pool_private_yn = models.BooleanField("private pool", default=False)
    fireplace_yn = models.BooleanField("fireplace", default=False)
    association_fee = models.DecimalField("HOA fee", null=True, blank=True, **MONEY)
    tax_annual_amount = models.DecimalField("annual taxes", null=True, blank=True, **MONEY)

    # Price and dates
    list_price = models.DecimalField(validators=[MinValueValidator(0)], **MONEY)
    original_list_price = models.DecimalField(null=True, blank=True, **MONEY)
    close_price = models.DecimalField(null=True, blank=True, **MONEY)
    listing_contract_date = models.DateField("listing date", null=True, blank=True)
    on_market_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    days_on_market = models.PositiveIntegerField(null=True, blank=True)

    # Remarks and showing
    public_remarks = models.TextField(blank=True)
    private_remarks = models.TextField(blank=True, help_text="Agents only; never published.")
    showing_instructions = models.TextField(blank=True)
    virtual_tour_url_unbranded = models.URLField("virtual tour", blank=True, max_length=500)

    # Listing agent and office
    list_agent = models.ForeignKey(
        "agents.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listings",
        db_index=False,  # the "property_agent" index starts with it
    )
    list_office = models.ForeignKey(
        "agents.Office",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listings",
        db_index=False,  # property_office, where set: a feed's listings mostly have none
    )
    list_agent_mls_id = models.CharField("list agent MLS ID", max_length=50, blank=True)
    list_office_mls_id = models.CharField("list office MLS ID", max_length=50, blank=True)

    # Photos summary and change tracking
    photos_count = models.PositiveSmallIntegerField(default=0)
    cover_thumbnail = models.CharField(
        max_length=1000,
        blank=True,
        editable=False,
        help_text="The first photo's thumbnail: a stored file's name, or the MLS URL.",
    )
    photos_change_timestamp = models.DateTimeField(null=True, blank=True)
    modification_timestamp = models.DateTimeField(default=timezone.now)
    search_document = models.TextField(blank=True, editable=False)
    home_key = models.CharField(
        max_length=HOME_KEY_MAX_LENGTH,
        blank=True,
        editable=False,
        help_text="The normalized address: listings with the same key are one home.",
    )
    # Kept by ``services.home_duplicates_refresh``: the lists hide these with a plain filter.
    home_duplicate = models.BooleanField(
        default=False,
        editable=False,
        help_text="Another listing of the same home stands for it on the lists.",
    )
    # Kept by ``services.home_duplicates_refresh`` too: the lists show it without a subquery.
    home_listings_count = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="How many listings of the brokerage are of this home, this one included.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # property_author, where set: a feed's listings have none
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "listing"
        verbose_name_plural = "listings"
        ordering = ["-modification_timestamp", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "listing_key"],
                condition=models.Q(mls_provider__isnull=True),
                name="property_unique_listing_key",
            ),
            # Not partial (NULLs are distinct): a sync's INSERT ... ON CONFLICT names it.
            models.UniqueConstraint(
                fields=["mls_provider", "listing_key"], name="property_unique_mls_listing_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["brokerage", "standard_status", "-modification_timestamp"],
                name="property_status_recent",
            ),
            models.Index(fields=["brokerage", "-modification_timestamp"], name="property_recent"),
            # The list page's city filter is case-insensitive and its default order is newest.
            # Partial on exactly what the default list keeps (current listings, one per home),
            # so that the list's COUNT(*), filtered or not, is an index-only scan of it; for
            # that PostgreSQL also needs the column under UPPER() in the index, hence INCLUDE.
            models.Index(
                F("brokerage"),
                Upper("city"),
                F("standard_status"),
                F("modification_timestamp").desc(),
                F("id").desc(),
                name="property_city_status_recent",
                include=["city"],
                condition=Q(archived_at__isnull=True, home_duplicate=False),
            ),
            models.Index(fields=["brokerage", "postal_code"], name="property_postal_code"),
            # The listings of a home: the duplicate refresh, the cards' count and the detail.
            models.Index(fields=["brokerage", "home_key"], name="property_home"),
            models.Index(fields=["brokerage", "list_price"], name="property_price"),
            # Most MLS listings have no agent, office or author of the brokerage's.
            models.Index(
                fields=["list_agent", "-modification_timestamp"],
                name="property_agent",
                condition=Q(list_agent__isnull=False),
            ),
            models.Index(
                fields=["list_office"],
                name="property_office",
                condition=Q(list_office__isnull=False),
            ),
            models.Index(
                fields=["created_by"],
                name="property_author",
                condition=Q(created_by__isnull=False),
            ),
            # Market statistics of a town (``properties.market``), read from the index alone
            # (a listing row is wide): its sales by close date, and its listings by the day
            # they came on the market.
            models.Index(
                F("brokerage"),
                Upper("city"),
                F("close_date"),
                name="property_market_sales",
                # PostgreSQL reads an index alone only when it holds the columns under
                # its expressions too (``city``; the dates under the COALESCE).
                include=[
                    "city",
                    "close_price",
                    "list_price",
                    "living_area",
                    "days_on_market",
                    "on_market_date",
                    "listing_contract_date",
                    "property_type",
                ],
                condition=Q(
                    standard_status="Closed", archived_at__isnull=True, home_duplicate=False
                ),
            ),
            models.Index(
                F("brokerage"),
                Upper("city"),
                Coalesce("on_market_date", "listing_contract_date"),
                name="property_market_listings",
                include=[
                    "city",
                    "on_market_date",
                    "listing_contract_date",
                    "standard_status",
                    "close_date",
                    "list_price",
                    "original_list_price",
                    "property_type",
                ],
                condition=Q(archived_at__isnull=True, home_duplicate=False),
            ),
            # The comparable sales of a CMA: closed sales of a type inside a latitude band.
            models.Index(
                fields=["brokerage", "property_type", "latitude"],
                name="property_closed_location",
                condition=Q(standard_status="Closed", home_duplicate=False),
            ),
        ]

    def __str__(self):
        return self.address_line

    def get_absolute_url(self):
        return reverse("properties:detail", args=[self.pk])

    @property
    def street_address(self):
        parts = [
            self.street_number,
            self.street_dir_prefix,
            self.street_name,
            self.street_suffix,
        ]
        line = " ".join(p for p in parts if p)
        return f"{line} #{self.unit_number}" if self.unit_number else line

    @property
    def address_line(self):
        return f"{self.street_address}, {self.city}, {self.state_or_province} {self.postal_code}"

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def current_days_on_market(self):
        """Days on market as the MLS reports it, or counted from the on-market date."""
        return self.days_on_market_as_of(timezone.localdate())

    def days_on_market_as_of(self, today):
        """``current_days_on_market`` on the local date ``today`` (a list asks it once)."""
        if self.days_on_market is not None:
            return self.days_on_market
        start = self.on_market_date or self.listing_contract_date
        if start is None:
            return None
        end = self.close_date or today
        return max((end - start).days, 0)

    @property
    def map_url(self):
        if self.latitude is None or self.longitude is None:
            return ""
        return (
            "https://www.openstreetmap.org/?mlat="
            f"{self.latitude}&mlon={self.longitude}#map=17/{self.latitude}/{self.longitude}"
        )

    @property
    def thumbnail_url(self):
        """The first photo's thumbnail, kept on the listing so that lists load no photos."""
        return storage_url(self.cover_thumbnail)

    def build_search_document(self):
        """The text that full-text search matches: the address and the public remarks."""
        return " ".join(
            part
            for part in (
                self.street_address,
                self.city,
                self.state_or_province,
                self.postal_code,
                self.county_or_parish,
                self.subdivision_name,
                self.listing_id,
                self.public_remarks,
            )
            if part
        )

    def build_home_key(self):
        """The normalized address that tells this home's other listings (``addresses``)."""
        return home_key_of(self)


def media_upload_to(instance, filename):
    """Originals are stored under a generated name so that nothing is ever overwritten."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"listings/{instance.property_id}/{instance.uuid}/original.{extension}"


@scoped(parent="property")
class PropertyMedia(models.Model):
    """One ordered photo of a listing: the original and its processed variants."""

    property = models.ForeignKey(
        Property,
        on_delete=models.CASCADE,
        related_name="media",
        db_index=False,  # media_order starts with it
    )
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    caption = models.CharField(max_length=200, blank=True)
    media_key = models.CharField("RESO MediaKey", max_length=128, blank=True)
    media_url = models.URLField("original URL", max_length=1000, blank=True)
    media_modification_timestamp = models.DateTimeField(null=True, blank=True)
    original = models.FileField(upload_to=media_upload_to, blank=True, max_length=300)
    checksum = models.CharField("SHA-256", max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    variants = models.JSONField(
        default=dict, blank=True, help_text="Variant name to {format: storage path}."
    )
    status = models.CharField(
        max_length=10, choices=MediaStatus.choices, default=MediaStatus.PENDING
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "listing photo"
        ordering = ["property_id", "position", "pk"]
        indexes = [models.Index(fields=["property", "position"], name="media_order")]

    def __str__(self):
        return self.caption or f"Photo {self.position + 1}"

    # Plain methods (templates call them): ``property`` here is the listing foreign key.
    def thumbnail_url(self):
        return self.variant_url("thumbnail")

    def medium_url(self):
        return self.variant_url("medium")

    def large_url(self):
        return self.variant_url("large")

    def variant_name(self, size, fmt="jpeg"):
        """Storage name of a variant, else of the original, else the MLS URL."""
        return self.variants.get(size, {}).get(fmt) or self.original.name or self.media_url

    def variant_url(self, size, fmt="jpeg"):
        """URL of a stored variant, else the original, else the MLS URL."""
        return storage_url(self.variant_name(size, fmt))


class HistoryEntry(models.Model):
    """What every timeline row has: the listing, when, who and from where."""

    property = models.ForeignKey(
        Property,
        on_delete=models.CASCADE,
        related_name="%(class)ss",
        db_index=False,  # each history's "..._recent" index starts with it
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # indexed where set: a feed's history has no author
    )
    source = models.CharField(max_length=10, choices=ChangeSource.choices)

    class Meta:
        abstract = True
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(
                fields=["changed_by"],
                name="%(class)s_author",
                condition=Q(changed_by__isnull=False),
            ),
        ]


@scoped(parent="property")
class PriceChange(HistoryEntry):
    """A change of a listing's list price; ``old_price`` is empty for the first price."""

    old_price = models.DecimalField(null=True, blank=True, **MONEY)
    new_price = models.DecimalField(**MONEY)

    class Meta(HistoryEntry.Meta):
        indexes = [
            *HistoryEntry.Meta.indexes,
            models.Index(fields=["property", "-changed_at"], name="price_change_recent"),
        ]

    def __str__(self):
        return f"{self.old_price} → {self.new_price}"

    @property
    def delta(self):
        return None if self.old_price is None else self.new_price - self.old_price


@scoped(parent="property")
class StatusChange(HistoryEntry):
    """A change of a listing's standard status; ``old_status`` is empty for the first one."""

    old_status = models.CharField(max_length=24, choices=StandardStatus.choices, blank=True)
    new_status = models.CharField(max_length=24, choices=StandardStatus.choices)

    class Meta(HistoryEntry.Meta):
        indexes = [
            *HistoryEntry.Meta.indexes,
            models.Index(fields=["property", "-changed_at"], name="status_change_recent"),
        ]

    def __str__(self):
        return f"{self.old_status or '—'} → {self.new_status}"


@scoped(brokerage="brokerage", owner="created_by", private=True)
class CMA(models.Model):
    """A saved comparative market analysis: its subject, estimate and every comparable."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.PROTECT, related_name="cmas", db_index=False
    )
    title = models.CharField(max_length=200, help_text="The subject's address or a name.")
    listing = models.ForeignKey(
        Property,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cmas",
        help_text="The listing the CMA is for (the subject, or the seller's listing).",
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="cmas"
    )
    as_of = models.DateField()
    subject = models.JSONField(help_text="The subject's features under RESO names.")
    estimate = models.DecimalField(null=True, blank=True, **MONEY)
    low = models.DecimalField(null=True, blank=True, **MONEY)
    high = models.DecimalField(null=True, blank=True, **MONEY)
    price_per_sqft = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    confidence_label = models.CharField(max_length=10, blank=True)
    excluded = models.JSONField(default=list, blank=True, help_text="Sales the agent took out.")
    included = models.JSONField(default=list, blank=True, help_text="Sales the agent added.")
    result = models.JSONField(help_text="The comparables, adjustments, rates and search steps.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "CMA"
        verbose_name_plural = "CMAs"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["brokerage", "-created_at"], name="cma_recent")]

    def __str__(self):
        return f"CMA of {self.title} as of {self.as_of}"

    def get_absolute_url(self):
        return reverse("properties:cma-detail", args=[self.pk])


@scoped(parent="listing")
class ListingViewDay(models.Model):
    """How many times the brokerage's people opened a listing's page on one day."""

    # One row a listing and day, bumped by one INSERT … ON CONFLICT per page view: the count
    # costs no read and no row per view.
    listing = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="view_days")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["listing", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "day"], name="listing_view_day_unique"),
        ]

    def __str__(self):
        return f"{self.listing} on {self.day}: {self.count} views"
