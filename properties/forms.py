"""Forms of the listing pages: the listing form and the photo upload form."""

from django import forms
from django.db.models import Q

from agents.models import Agent, Office
from properties.models import Property
from realestate.forms import formfield_https
from realestate.permissions import actor_for, restrict

FEATURE_LIST_FIELDS = (
    "heating",
    "cooling",
    "view",
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
