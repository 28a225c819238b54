"""Compliance forms."""

from django import forms


class FairHousingOverrideForm(forms.Form):
    """A broker approves a listing's public remarks despite their findings, saying why."""

    reason = forms.CharField(
        label="Why may this text be published?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Recorded in the audit log with your name.",
    )
