"""Forms of the brand kit page and of an agent's email signature details."""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from agents.models import Agent, Brokerage


class BrandKitForm(forms.ModelForm):
    """The brokerage's brand kit: logo, colours, font and disclaimer."""

    class Meta:
        model = Brokerage
        fields = [
            "brand_logo",
            "brand_primary_color",
            "brand_accent_color",
            "brand_font",
            "brand_disclaimer",
        ]
        widgets = {
            "brand_logo": forms.ClearableFileInput(
                attrs={"accept": "image/jpeg,image/png,image/webp"}
            ),
            "brand_primary_color": forms.TextInput(
                attrs={"placeholder": "#1d5fa8", "maxlength": 7, "spellcheck": "false"}
            ),
            "brand_accent_color": forms.TextInput(
                attrs={"placeholder": "#e6effa", "maxlength": 7, "spellcheck": "false"}
            ),
            "brand_disclaimer": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "brand_logo": "A JPEG, PNG or WebP image; a square logo on a plain background "
            "prints best.",
            "brand_primary_color": "Bands, headings and prices, as #RRGGBB.",
            "brand_accent_color": "Banners, fact bars and cards, as #RRGGBB.",
        }

    def brand_data(self):
        """The changed brand fields for the service: a new logo file, ``False`` to remove it,
        and nothing for the logo when it is left as it is."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "brand_logo"}
        logo = self.cleaned_data.get("brand_logo")
        if logo is False or isinstance(logo, UploadedFile):
            data["brand_logo"] = logo
        return data


class SignatureDetailsForm(forms.ModelForm):
    """What an agent sets for their signature: their title and phone."""

    class Meta:
        model = Agent
        fields = ["title", "phone"]
