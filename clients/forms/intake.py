"""Forms of lead intake, client imports and merging."""

from django import forms

from clients.choices import ContactMethod
from clients.imports import DUPLICATE_CHOICES, IMPORT_FIELDS, MAX_IMPORT_BYTES, SKIP
from clients.services.intake import HONEYPOT_FIELD, INTAKE_FIELDS


class LeadIntakeForm(forms.Form):
    """The public lead form of a brokerage's website (the service checks the rules)."""

    first_name = forms.CharField(max_length=INTAKE_FIELDS["first_name"], required=False)
    last_name = forms.CharField(max_length=INTAKE_FIELDS["last_name"], required=False)
    email = forms.CharField(
        max_length=INTAKE_FIELDS["email"],
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        max_length=INTAKE_FIELDS["phone"],
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_contact_method = forms.ChoiceField(
        label="Best way to reach you",
        choices=[("", "Any"), *ContactMethod.choices],
        required=False,
    )
    message = forms.CharField(
        max_length=INTAKE_FIELDS["message"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="How can we help?",
    )
    listing = forms.CharField(
        max_length=INTAKE_FIELDS["listing"], required=False, widget=forms.HiddenInput
    )
    source = forms.CharField(
        max_length=INTAKE_FIELDS["source"], required=False, widget=forms.HiddenInput
    )
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The honeypot: hidden from people by the page, filled in by bots.
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label="Leave this empty",
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def honeypot_filled(self):
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def lead_data(self):
        return {name: self.cleaned_data.get(name, "") for name in INTAKE_FIELDS}


class ImportUploadForm(forms.Form):
    """A CSV or vCard file of clients, and what to do with people already in the CRM."""

    file = forms.FileField(
        label="CSV or vCard file",
        help_text="A .csv with a first line naming the columns, or a .vcf with one or more cards.",
    )
    on_duplicate = forms.ChoiceField(
        label="People already in the CRM (same email or phone)",
        choices=DUPLICATE_CHOICES,
        initial=SKIP,
        widget=forms.RadioSelect,
    )
    route = forms.BooleanField(
        label="Hand the new clients out by the lead routing rules",
        required=False,
        help_text="Otherwise they are yours.",
    )

    def __init__(self, *args, may_route=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_route:
            del self.fields["route"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."
            )
        return upload


FIELD_CHOICES = [("", "— Leave out —"), *IMPORT_FIELDS.items()]


class ImportMappingForm(forms.Form):
    """Which client field each column of the file fills."""

    def __init__(self, *args, headers, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        for index, header in enumerate(self.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=FIELD_CHOICES, required=False
            )

    @staticmethod
    def initial_for(mapping, headers):
        return {f"column_{index}": mapping.get(header, "") for index, header in enumerate(headers)}

    def mapping(self):
        return {
            header: self.cleaned_data.get(f"column_{index}", "")
            for index, header in enumerate(self.headers)
        }

    def columns(self):
        """(column name, its field) pairs for the page."""
        return [(header, self[f"column_{index}"]) for index, header in enumerate(self.headers)]
