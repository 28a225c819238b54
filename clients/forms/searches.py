"""Forms of the saved-search pages: the listing filters, for whom, and how often."""

import copy

from django import forms
from django.core.exceptions import ValidationError

from clients.choices import AlertFrequency
from clients.models import Client
from clients.services.alerts import CRITERIA_FIELDS
from properties.choices import (
    ON_MARKET_STATUSES,
    PropertySubType,
    PropertyType,
    StandardStatus,
)
from realestate.permissions import CHANGE, restrict

CRITERIA_LABELS = {
    "q": "Search words",
    "status": "Status",
    "property_type": "Type",
    "property_sub_type": "Sub-type",
    "city": "City",
    "postal_code": "Postal code",
    "min_price": "Min price ($)",
    "max_price": "Max price ($)",
    "min_beds": "Min beds",
    "min_baths": "Min baths",
    "min_area": "Min living area (sq ft)",
    "max_area": "Max living area (sq ft)",
}
# Alerts are sent for listings on the market: the other statuses would never send one.
ALERT_STATUS_CHOICES = [
    (value, label) for value, label in StandardStatus.choices if value in ON_MARKET_STATUSES
]


def _criteria_fields():
    """The listing page's own filter fields, so that a saved search checks what it checks."""
    from properties.filtersets import PropertyFilterSet

    fields = PropertyFilterSet(queryset=None).form.fields
    chosen = {name: copy.deepcopy(fields[name]) for name in CRITERIA_FIELDS}
    for name, label in CRITERIA_LABELS.items():
        chosen[name].label = label
    chosen["q"].help_text = "Words of the address or the remarks, as in the listing search."
    chosen["status"].choices = ALERT_STATUS_CHOICES
    chosen["status"].help_text = "None ticked: any listing on the market."
    for name, choices, any_label in (
        ("property_type", PropertyType.choices, "Any type"),
        ("property_sub_type", PropertySubType.choices, "Any"),
    ):
        chosen[name].empty_label = any_label
        chosen[name].choices = choices  # the widget's options again, with the new label
    # A box to tick, rather than the list page's yes / no / either.
    chosen["all_listings"] = forms.BooleanField(
        required=False,
        label="Every listing of a home",
        help_text="Alert for each feed's listing of a home, not only the one on the lists.",
    )
    for name in ("min_price", "max_price", "min_beds", "min_baths", "min_area", "max_area"):
        chosen[name].widget.attrs.update({"min": 0, "step": "any"})
    return chosen


class SavedSearchForm(forms.Form):
    """A saved search: for which client, its name, how often, and its listing filters."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client")
    name = forms.CharField(
        max_length=100,
        required=False,
        help_text="What the client sees in their emails; left empty, named after the filters.",
    )
    frequency = forms.ChoiceField(
        label="Emails", choices=AlertFrequency.choices, initial=AlertFrequency.DAILY
    )
    is_active = forms.BooleanField(
        required=False, initial=True, label="Send alerts", help_text="Untick to pause them."
    )

    def __init__(self, *args, user, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs["initial"] = {
                **instance.criteria,
                "all_listings": instance.all_listings,
                "name": instance.name,
                "frequency": instance.frequency,
                "is_active": instance.is_active,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        self.fields.update(_criteria_fields())
        if instance is None:
            # Only clients whose searches this person may change.
            self.fields["client"].queryset = restrict(Client.objects.all(), user, CHANGE)
            del self.fields["is_active"]
        else:
            del self.fields["client"]

    @property
    def criteria_fields(self):
        return [self[name] for name in CRITERIA_FIELDS]

    @property
    def search_fields(self):
        names = ("client", "name", "frequency", "is_active")
        return [self[name] for name in names if name in self.fields]

    def criteria(self):
        """The listing filters as the listing page's query string has them."""
        data = {}
        for name in CRITERIA_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, "", [], False):
                continue
            data[name] = [str(item) for item in value] if isinstance(value, list) else str(value)
        if data.get("all_listings"):
            data["all_listings"] = "true"
        return data

    def add_error(self, field, error):
        # A service names the filter or field at fault; anything else is the whole form's.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                super().add_error(name if name in self.fields else None, errors)
            return
        super().add_error(field, error)
