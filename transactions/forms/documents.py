"""Forms of deal documents: upload, review and sending for signature."""

from django import forms

from transactions.esign import CONSENT_STATEMENT
from transactions.models.deals import Milestone

SIGNER_ROWS = 4


class DocumentUploadForm(forms.Form):
    """A file for one of the deal's checklist items."""

    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        empty_label="Not for a checklist item",
        label="Checklist item",
    )
    title = forms.CharField(max_length=200)
    upload = forms.FileField(label="File", help_text="PDF, JPEG or PNG.")

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = Milestone.objects.filter(transaction=deal)


class DocumentReviewForm(forms.Form):
    """The broker's decision on a submitted document."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("return", "Return")])
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    @property
    def approve(self):
        return self.cleaned_data["decision"] == "approve"


class SigningRequestForm(forms.Form):
    """Up to a few signers of a PDF document, by name and email."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in range(SIGNER_ROWS):
            self.fields[f"name_{row}"] = forms.CharField(
                label=f"Signer {row + 1} name", max_length=200, required=False
            )
            self.fields[f"email_{row}"] = forms.EmailField(
                label=f"Signer {row + 1} email", required=False
            )

    def signer_rows(self):
        return [(self[f"name_{row}"], self[f"email_{row}"]) for row in range(SIGNER_ROWS)]

    def signers(self):
        return [
            {"name": self.cleaned_data[f"name_{row}"], "email": self.cleaned_data[f"email_{row}"]}
            for row in range(SIGNER_ROWS)
        ]


class SignForm(forms.Form):
    """What a signer does to sign: type their name and agree to sign electronically."""

    typed_name = forms.CharField(label="Type your full name", max_length=200)
    consent = forms.BooleanField(label=CONSENT_STATEMENT, required=True)
