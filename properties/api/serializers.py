from urllib.parse import urljoin

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.api.serializers import AgentSummarySerializer, OfficeSummarySerializer
from agents.models import Agent, Office
from compliance.services.mls import listing_mls_attribution
from properties.choices import (
    ChangeSource,
    ListingSource,
    MediaStatus,
    PropertySubType,
    PropertyType,
    StandardStatus,
)
from properties.images import VARIANT_FORMATS, VARIANT_SIZES
from properties.models import Property, PropertyMedia
from properties.selectors import property_home_listings
from properties.services import LISTING_EDITABLE_FIELDS
from realestate.api import ChoiceLabelField, FieldsBuiltOnce, VisibleRowField

# Every stored column but the search index and the lists' duplicate flag, the database's business.
LISTING_MODEL_FIELDS = [
    field.name
    for field in Property._meta.concrete_fields
    if field.name not in ("search_document", "home_duplicate")
]


def feature_list():
    """A RESO lookup list (heating, cooling, ...): the values as strings."""
    return serializers.ListField(child=serializers.CharField(max_length=100), required=False)


def absolute_url(serializer, url):
    """A storage URL made absolute for the mobile apps (S3 URLs already are)."""
    request = serializer.context.get("request")
    if not url or request is None or url.startswith(("http://", "https://")):
        return url
    # The site's root is worked out once per response, not once per photo.
    root = serializer.context.get("site_root")
    if root is None:
        root = serializer.context["site_root"] = request.build_absolute_uri("/")
    return urljoin(root, url)


class VariantUrlsSerializer(serializers.Serializer):
    jpeg = serializers.CharField(help_text="JPEG variant URL")
    webp = serializers.CharField(help_text="WebP variant URL")


class PhotoUrlsSerializer(serializers.Serializer):
    thumbnail = VariantUrlsSerializer(help_text=f"Fits {VARIANT_SIZES['thumbnail']}")
    medium = VariantUrlsSerializer(help_text=f"Fits {VARIANT_SIZES['medium']}")
    large = VariantUrlsSerializer(help_text=f"Fits {VARIANT_SIZES['large']}")
    original = serializers.CharField(help_text="The uploaded file, or the MLS URL")


class PropertyMediaSerializer(serializers.ModelSerializer):
    """One listing photo; a variant not made yet falls back to the original."""

    status_label = ChoiceLabelField(MediaStatus.choices, source="status")
    urls = serializers.SerializerMethodField()

    class Meta:
        model = PropertyMedia
        fields = [
            "id",
            "uuid",
            "position",
            "caption",
            "width",
            "height",
            "status",
            "status_label",
            "urls",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PhotoUrlsSerializer)
    def get_urls(self, media):
        urls = {
            size: {fmt: absolute_url(self, media.variant_url(size, fmt)) for fmt in VARIANT_FORMATS}
            for size in VARIANT_SIZES
        }
        original = media.original.url if media.original else media.media_url
        urls["original"] = absolute_url(self, original)
        return urls


class MediaUploadSerializer(serializers.Serializer):
    """A photo upload: JPEG, PNG or WebP."""

    file = serializers.FileField(help_text="A JPEG, PNG or WebP photo.")
    caption = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PropertyListSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A listing card: address, price, status, size and the first photo's thumbnail."""

    standard_status_label = ChoiceLabelField(StandardStatus.choices, source="standard_status")
    property_type_label = ChoiceLabelField(PropertyType.choices, source="property_type")
    address_line = serializers.CharField(read_only=True)
    list_agent_name = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    home_listings_count = serializers.IntegerField(
        read_only=True,
        help_text=(
            "How many listings you may see are of this home (two MLS feeds, a relisting); "
            "1 when it is listed once. The others are in the listing's `also_listed_as`."
        ),
    )

    class Meta:
        model = Property
        fields = [
            "id",
            "listing_key",
            "listing_id",
            "standard_status",
            "standard_status_label",
            "property_type",
            "property_type_label",
            "address_line",
            "city",
            "state_or_province",
            "postal_code",
            "list_price",
            "bedrooms_total",
            "bathrooms_total_integer",
            "living_area",
            "photos_count",
            "thumbnail_url",
            "home_key",
            "home_listings_count",
            "list_agent",
            "list_agent_name",
            "modification_timestamp",
            "archived_at",
        ]
        read_only_fields = fields

    def get_list_agent_name(self, listing) -> str | None:
        return listing.list_agent.name if listing.list_agent else None

    def get_thumbnail_url(self, listing) -> str | None:
        return absolute_url(self, listing.thumbnail_url) or None


class HomeListingSerializer(serializers.ModelSerializer):
    """Another listing of the same home: which feed it comes from, its status and price."""

    provider = serializers.SerializerMethodField()
    standard_status_label = ChoiceLabelField(StandardStatus.choices, source="standard_status")

    class Meta:
        model = Property
        fields = [
            "id",
            "listing_id",
            "provider",
            "standard_status",
            "standard_status_label",
            "list_price",
            "archived_at",
        ]
        read_only_fields = fields

    def get_provider(self, listing) -> str | None:
        """The MLS feed's name; null for the brokerage's own listing."""
        return listing.mls_provider.name if listing.mls_provider else None


class MLSAttributionSerializer(serializers.Serializer):
    """The disclaimer and attribution an MLS's display rule requires with its listings."""

    provider = serializers.CharField()
    disclaimer = serializers.CharField()
    listing_office = serializers.CharField(help_text="Empty when the rule does not ask for it.")
    listing_agent = serializers.CharField(help_text="Empty when the rule does not ask for it.")
    logo_url = serializers.CharField()


class PropertyDetailSerializer(serializers.ModelSerializer):
    """Every field of a listing, human labels for its codes, its agent and its photos.

    Only the fields a person may set are writable; the rest belong to the system or the MLS.
    """

    standard_status_label = ChoiceLabelField(StandardStatus.choices, source="standard_status")
    property_type_label = ChoiceLabelField(PropertyType.choices, source="property_type")
    property_sub_type_label = ChoiceLabelField(PropertySubType.choices, source="property_sub_type")
    source_label = ChoiceLabelField(ListingSource.choices, source="source")
    address_line = serializers.CharField(read_only=True)
    current_days_on_market = serializers.IntegerField(read_only=True, allow_null=True)
    list_agent = VisibleRowField(
        queryset=Agent.objects.all(),
        required=False,
        allow_null=True,
        help_text="The listing agent's id; agents may only list for themselves.",
    )
    list_agent_summary = AgentSummarySerializer(
        source="list_agent", read_only=True, allow_null=True
    )
    list_office = VisibleRowField(
        queryset=Office.objects.all(),
        required=False,
        allow_null=True,
        help_text="The listing office's id; defaults to the listing agent's office.",
    )
    list_office_summary = OfficeSummarySerializer(
        source="list_office", read_only=True, allow_null=True
    )
    photos = PropertyMediaSerializer(source="media", many=True, read_only=True)
    mls_attribution = serializers.SerializerMethodField(
        help_text="What the MLS requires shown with its listing (disclaimer, listing office "
        "and agent, logo); null for the brokerage's own listings."
    )
    also_listed_as = serializers.SerializerMethodField(
        help_text="The other listings of the same home that you may see, newest first."
    )
    heating = feature_list()
    cooling = feature_list()
    view = feature_list()
    interior_features = feature_list()
    exterior_features = feature_list()
    appliances = feature_list()

    class Meta:
        model = Property
        fields = [
            *LISTING_MODEL_FIELDS,
            "standard_status_label",
            "property_type_label",
            "property_sub_type_label",
            "source_label",
            "address_line",
            "current_days_on_market",
            "list_agent_summary",
            "list_office_summary",
            "photos",
            "also_listed_as",
            "mls_attribution",
        ]
        read_only_fields = [
            name for name in LISTING_MODEL_FIELDS if name not in LISTING_EDITABLE_FIELDS
        ]

    @extend_schema_field(MLSAttributionSerializer(allow_null=True))
    def get_mls_attribution(self, listing):
        return listing_mls_attribution(listing=listing)

    @extend_schema_field(HomeListingSerializer(many=True))
    def get_also_listed_as(self, listing):
        request = self.context.get("request")
        if request is None:
            return []
        others = property_home_listings(listing=listing, user=request.user)
        return HomeListingSerializer(others, many=True, context=self.context).data


class PreviousValueField(serializers.CharField):
    """The value before a change: null, not an empty string, for the first entry."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) or None


class TimelineEntrySerializer(serializers.Serializer):
    """A price or status change of a listing; prices are decimal strings."""

    kind = serializers.ChoiceField(choices=[("price", "Price"), ("status", "Status")])
    changed_at = serializers.DateTimeField()
    old = PreviousValueField(help_text="Null for the first entry.")
    new = serializers.CharField()
    old_label = PreviousValueField()
    new_label = serializers.CharField()
    changed_by = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=ChangeSource.choices)
    source_label = serializers.SerializerMethodField()

    def get_changed_by(self, entry) -> str | None:
        user = entry.changed_by
        return (user.get_full_name() or user.get_username()) if user else None

    def get_source_label(self, entry) -> str:
        return ChangeSource(entry.source).label
