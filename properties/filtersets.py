import django_filters
from django import forms

from properties.choices import PropertySubType, PropertyType, StandardStatus
from properties.models import CMA, Property
from properties.selectors import property_homes, property_search
from realestate.filters import StableOrderingFilter, StaticFormFilterSet


class PropertyFilterSet(StaticFormFilterSet):
    """Listing filters shared by the listing page and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
    status = django_filters.MultipleChoiceFilter(
        field_name="standard_status",
        choices=StandardStatus.choices,
        label="Status",
        distinct=False,  # no join: DISTINCT would only stop the index from serving the page
        widget=forms.CheckboxSelectMultiple,
    )
    property_type = django_filters.ChoiceFilter(choices=PropertyType.choices, label="Type")
    property_sub_type = django_filters.ChoiceFilter(
        choices=PropertySubType.choices, label="Sub-type"
    )
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact")
    postal_code = django_filters.CharFilter(field_name="postal_code")
    min_price = django_filters.NumberFilter(field_name="list_price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="list_price", lookup_expr="lte")
    min_beds = django_filters.NumberFilter(field_name="bedrooms_total", lookup_expr="gte")
    min_baths = django_filters.NumberFilter(field_name="bathrooms_total_integer", lookup_expr="gte")
    min_area = django_filters.NumberFilter(field_name="living_area", lookup_expr="gte")
    max_area = django_filters.NumberFilter(field_name="living_area", lookup_expr="lte")
    mine = django_filters.BooleanFilter(method="filter_mine", label="My listings only")
    archived = django_filters.BooleanFilter(
        method="filter_archived", label="Archived", widget=forms.NullBooleanSelect
    )
    all_listings = django_filters.BooleanFilter(
        method="filter_all_listings",
        label="Every listing of a home",
        help_text=(
            "A home listed more than once (two MLS feeds, a relisting) shows once, as its "
            "current listing: on the market first, then sold, then the rest, and among those "
            "the most recently modified; `true` lists every listing instead."
        ),
    )
    sort = StableOrderingFilter(
        fields=(
            ("modification_timestamp", "updated"),
            ("list_price", "price"),
            ("bedrooms_total", "beds"),
            ("living_area", "area"),
            ("listing_contract_date", "listed"),
        ),
        # Ascending labels are keyed by field, descending ones by the URL value.
        field_labels={
            "-updated": "Recently updated",
            "modification_timestamp": "Least recently updated",
            "-listed": "Newest listings",
            "listing_contract_date": "Oldest listings",
            "list_price": "Price: low to high",
            "-price": "Price: high to low",
            "-beds": "Most bedrooms",
            "bedrooms_total": "Fewest bedrooms",
            "-area": "Largest",
            "living_area": "Smallest",
        },
        label="Sort",
    )

    class Meta:
        model = Property
        fields = []

    def filter_search(self, queryset, name, value):
        return property_search(queryset, value)

    def filter_mine(self, queryset, name, value):
        if value and self.request is not None:
            return queryset.filter(list_agent__user=self.request.user)
        return queryset

    def filter_archived(self, queryset, name, value):
        # Archived listings stay out of every list unless asked for.
        return queryset.filter(archived_at__isnull=not value)

    def filter_all_listings(self, queryset, name, value):
        # Applied in ``qs``, with the home counts that every list shows.
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        # An unbound filter set has no cleaned data: it shows the current listings.
        cleaned_data = getattr(self.form, "cleaned_data", {})
        if cleaned_data.get("archived") is None:
            # With the duplicate filter, exactly the partial condition of the list's index.
            queryset = queryset.filter(archived_at__isnull=True)
        return property_homes(queryset, one_per_home=not cleaned_data.get("all_listings"))


class CMAFilterSet(django_filters.FilterSet):
    """Filters of the saved CMAs page."""

    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Search")
    ordering = StableOrderingFilter(
        fields=(("created_at", "created"), ("as_of", "as_of"), ("estimate", "estimate"))
    )

    class Meta:
        model = CMA
        fields = ["q"]
