"""Forms of the listing pages: the listing form, the photo upload form and the CMA forms."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from agents.models import Agent, Office
from properties.choices import PropertyType
from properties.market import (
    DEFAULT_MONTHS,
    MAX_MONTHS,
    MAX_RADIUS_MILES,
    MIN_MONTHS,
    AreaKind,
    market_area,
)
from properties.models import Property
from realestate.forms import formfield_https
from realestate.permissions import CHANGE, actor_for, restrict

FEATURE_LIST_FIELDS = (
    "heating",
    "cooling",
    "view",
    "property_condition",
    "interior_features",
    "exterior_features",
    "appliances",
)

# Field groups of the listing form, in the order a listing agent fills them in.
LISTING_FIELDSETS = (
    (
        "Address",
        (
            "street_number",
            "street_dir_prefix",
            "street_name",
            "street_suffix",
            "unit_number",
            "city",
            "state_or_province",
            "postal_code",
            "county_or_parish",
            "country",
            "subdivision_name",
            "latitude",
            "longitude",
        ),
    ),
    (
        "Details",
        (
            "standard_status",
            "mls_status",
            "listing_id",
            "property_type",
            "property_sub_type",
            "bedrooms_total",
            "bathrooms_full",
            "bathrooms_half",
            "bathrooms_total_integer",
            "living_area",
            "lot_size_square_feet",
            "lot_size_acres",
            "year_built",
            "stories_total",
            "garage_spaces",
            "parking_total",
        ),
    ),
    (
        "Features",
        (
            *FEATURE_LIST_FIELDS,
            "view_yn",
            "waterfront_yn",
            "pool_private_yn",
            "fireplace_yn",
        ),
    ),
    (
        "Price & dates",
        (
            "list_price",
            "original_list_price",
            "close_price",
            "association_fee",
            "tax_annual_amount",
            "listing_contract_date",
            "on_market_date",
            "close_date",
            "days_on_market",
        ),
    ),
    (
        "Remarks",
        (
            "public_remarks",
            "private_remarks",
            "showing_instructions",
            "virtual_tour_url_unbranded",
        ),
    ),
    (
        "Listing agent",
        ("list_agent", "list_office", "list_agent_mls_id", "list_office_mls_id"),
    ),
)

# Every field a person may set (LISTING_EDITABLE_FIELDS) is on the form; a test keeps it so.
LISTING_FORM_FIELDS = tuple(name for _, names in LISTING_FIELDSETS for name in names)


class CommaSeparatedListField(forms.CharField):
    """A list of short values typed as one line, separated by commas."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Separate values with commas.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()]


class PropertyForm(forms.ModelForm):
    """A listing's editable fields, grouped as the page shows them."""

    heating = CommaSeparatedListField(label="Heating")
    cooling = CommaSeparatedListField(label="Cooling")
    view = CommaSeparatedListField(label="View")
    property_condition = CommaSeparatedListField(label="Condition")
    interior_features = CommaSeparatedListField(label="Interior features")
    exterior_features = CommaSeparatedListField(label="Exterior features")
    appliances = CommaSeparatedListField(label="Appliances")
    virtual_tour_url_unbranded = forms.URLField(
        label="Virtual tour", required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        formfield_callback = formfield_https
        model = Property
        fields = LISTING_FORM_FIELDS
        labels = {"standard_status": "Status", "property_sub_type": "Sub-type"}
        help_texts = {"listing_id": "The MLS listing number, once the MLS has assigned one."}
        widgets = {
            "listing_contract_date": forms.DateInput(attrs={"type": "date"}),
            "on_market_date": forms.DateInput(attrs={"type": "date"}),
            "close_date": forms.DateInput(attrs={"type": "date"}),
            "public_remarks": forms.Textarea(attrs={"rows": 5}),
            "private_remarks": forms.Textarea(attrs={"rows": 3}),
            "showing_instructions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the people and offices of the signed-in person's brokerage can be chosen.
        current_agent_id = self.instance.list_agent_id if self.instance.pk else None
        self.fields["list_agent"].queryset = (
            restrict(Agent.objects.select_related("user"), user)
            .filter(Q(is_active=True) | Q(pk=current_agent_id))
            .order_by("user__first_name", "user__last_name", "pk")
        )
        self.fields["list_agent"].label_from_instance = lambda agent: agent.name
        self.fields["list_office"].queryset = restrict(Office.objects.all(), user).order_by("name")
        if self.instance.pk is None and not self.is_bound:
            agent = actor_for(user).agent
            if agent is not None:
                self.initial.setdefault("list_agent", agent.pk)
                if agent.office_id:
                    self.initial.setdefault("list_office", agent.office_id)

    @property
    def fieldsets(self):
        """(title, [bound fields]) in page order."""
        return [(title, [self[name] for name in names]) for title, names in LISTING_FIELDSETS]

    def listing_data(self):
        """Every cleaned value, for creating a listing."""
        return {name: self.cleaned_data[name] for name in LISTING_FORM_FIELDS}

    def changed_listing_data(self):
        """Only the values the person changed, for updating a listing."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more uploaded files; the bytes are checked by the photo service, not here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple) and data:
            return [single_clean(item, initial) for item in data]
        return [single_clean(data or None, initial)]


class PhotoUploadForm(forms.Form):
    """Photos to add to a listing, with one caption for all of them."""

    photos = MultipleFileField(
        label="Photos",
        help_text="JPEG, PNG or WebP. You can choose several files at once.",
    )
    caption = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, instance=None, **kwargs):
        # The generic form view passes the listing; the photos are added through a service.
        self.listing = instance
        super().__init__(*args, **kwargs)


CMA_CONDITIONS = (
    ("", "Unknown"),
    ("Fixer", "Fixer"),
    ("Average", "Average"),
    ("Updated/Remodeled", "Updated/Remodeled"),
    ("New Construction", "New Construction"),
)


def _ids(text):
    """Listing ids typed or carried as "12, 15 18"."""
    try:
        return sorted({int(part) for part in text.replace(",", " ").split()})
    except ValueError:
        raise forms.ValidationError("Listing ids are numbers, separated by commas.") from None


class CMAForm(forms.Form):
    """The subject of a CMA (a listing, or its features typed in), the date and the comps."""

    listing = forms.IntegerField(
        required=False, label="Listing id", help_text="Value one of the brokerage's listings…"
    )
    living_area = forms.IntegerField(required=False, min_value=1, label="Living area (sq ft)")
    bedrooms = forms.IntegerField(required=False, min_value=0)
    bathrooms = forms.IntegerField(required=False, min_value=0)
    year_built = forms.IntegerField(required=False, min_value=1600, max_value=2100)
    lot_size = forms.IntegerField(required=False, min_value=0, label="Lot size (sq ft)")
    garage_spaces = forms.IntegerField(required=False, min_value=0)
    pool = forms.BooleanField(required=False, label="Private pool")
    waterfront = forms.BooleanField(required=False)
    view = forms.BooleanField(required=False)
    condition = forms.ChoiceField(required=False, choices=CMA_CONDITIONS)
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, decimal_places=6)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, decimal_places=6)
    property_type = forms.ChoiceField(
        required=False, choices=PropertyType.choices, initial=PropertyType.RESIDENTIAL
    )
    address = forms.CharField(required=False, max_length=200, label="Address or name")
    as_of = forms.DateField(
        required=False, label="As of", widget=forms.DateInput(attrs={"type": "date"})
    )
    exclude = forms.CharField(required=False, widget=forms.HiddenInput)
    include = forms.CharField(required=False, label="Add comparables (listing ids)")

    feature_fields = (
        "address",
        "living_area",
        "bedrooms",
        "bathrooms",
        "year_built",
        "lot_size",
        "garage_spaces",
        "pool",
        "waterfront",
        "view",
        "condition",
        "latitude",
        "longitude",
        "property_type",
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_listing(self):
        pk = self.cleaned_data.get("listing")
        if pk is None:
            return None
        listing = restrict(Property.objects.all(), self.user).filter(pk=pk).first()
        if listing is None:
            raise forms.ValidationError("No listing of your brokerage has this id.")
        return listing

    def clean_exclude(self):
        return _ids(self.cleaned_data.get("exclude") or "")

    def clean_include(self):
        return _ids(self.cleaned_data.get("include") or "")

    def clean(self):
        data = super().clean()
        if data.get("listing") is None and not self.errors:
            for name in ("living_area", "latitude", "longitude"):
                if data.get(name) is None:
                    self.add_error(name, "Needed when no listing is chosen.")
        return data

    def features(self):
        """The typed-in subject under RESO names."""
        data = self.cleaned_data
        features = {
            "UnparsedAddress": data.get("address") or "",
            "LivingArea": data.get("living_area"),
            "BedroomsTotal": data.get("bedrooms"),
            "BathroomsTotalInteger": data.get("bathrooms"),
            "YearBuilt": data.get("year_built"),
            "LotSizeSquareFeet": data.get("lot_size"),
            "GarageSpaces": data.get("garage_spaces"),
            "PoolPrivateYN": data.get("pool"),
            "WaterfrontYN": data.get("waterfront"),
            "ViewYN": data.get("view"),
            "Latitude": data.get("latitude"),
            "Longitude": data.get("longitude"),
            "PropertyType": data.get("property_type") or PropertyType.RESIDENTIAL,
        }
        if data.get("condition"):
            features["PropertyCondition"] = [data["condition"]]
        return {name: value for name, value in features.items() if value not in (None, "")}


class CMASaveForm(forms.Form):
    """Where a CMA is saved: with a client (yours) and a listing, under a title."""

    title = forms.CharField(required=False, max_length=200)
    client = forms.IntegerField(required=False, widget=forms.Select)
    save_listing = forms.IntegerField(required=False, label="Listing id")

    def __init__(self, *args, user, **kwargs):
        from clients.models import Client

        self.user = user
        super().__init__(*args, **kwargs)
        clients = restrict(Client.objects.all(), user, CHANGE).order_by("last_name", "first_name")
        self.client_queryset = clients
        self.fields["client"].widget.choices = [("", "No client")] + [
            (c.pk, str(c)) for c in clients[:500]
        ]

    def clean_client(self):
        pk = self.cleaned_data.get("client")
        if pk is None:
            return None
        client = self.client_queryset.filter(pk=pk).first()
        if client is None:
            raise forms.ValidationError("Choose one of your clients.")
        return client

    def clean_save_listing(self):
        pk = self.cleaned_data.get("save_listing")
        if pk is None:
            return None
        listing = restrict(Property.objects.all(), self.user).filter(pk=pk).first()
        if listing is None:
            raise forms.ValidationError("No listing of your brokerage has this id.")
        return listing


class MarketForm(forms.Form):
    """The area (a city, a postal code, or a radius around a point or a listing), the
    property type and the months of a market statistics page or API call."""

    area = forms.ChoiceField(choices=AreaKind.choices, initial=AreaKind.CITY)
    city = forms.CharField(required=False, max_length=100)
    postal_code = forms.CharField(required=False, max_length=10)
    listing = forms.IntegerField(
        required=False, label="Around listing (id)", help_text="…or a latitude and longitude."
    )
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, decimal_places=6)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, decimal_places=6)
    radius = forms.DecimalField(
        required=False,
        min_value=Decimal("0.1"),
        max_value=MAX_RADIUS_MILES,
        decimal_places=2,
        label="Radius (miles)",
        initial=1,
    )
    property_type = forms.ChoiceField(
        required=False, choices=[("", "All types"), *PropertyType.choices]
    )
    months = forms.IntegerField(
        required=False, min_value=MIN_MONTHS, max_value=MAX_MONTHS, initial=DEFAULT_MONTHS
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["market_area"] = market_area(
                user=self.user,
                kind=data["area"],
                city=data.get("city"),
                postal_code=data.get("postal_code"),
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                listing=data.get("listing"),
                radius_miles=data.get("radius"),
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        data["months"] = data.get("months") or DEFAULT_MONTHS
        return data
