"""The form of an agent's alert settings."""

from decimal import Decimal

from django import forms


class AlertSettingsForm(forms.Form):
    """What alerts an agent: how large a price drop, where, and whether by email too."""

    price_drop_alert_percent = forms.DecimalField(
        label="Price drop alert (%)",
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("99.9"),
        max_digits=3,
        decimal_places=1,
        help_text="Alert me when a listing in my areas drops by at least this. Empty: never.",
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    market_areas = forms.CharField(
        label="My areas",
        required=False,
        help_text="Cities or ZIP codes, one a line or separated by commas.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    notify_by_email = forms.BooleanField(label="Email me my alerts as well", required=False)

    @classmethod
    def for_agent(cls, agent, data=None):
        initial = {
            "price_drop_alert_percent": agent.price_drop_alert_percent,
            "market_areas": "\n".join(str(area) for area in agent.market_areas or []),
            "notify_by_email": agent.notify_by_email,
        }
        return cls(data=data, initial=initial)
