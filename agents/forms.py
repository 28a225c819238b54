"""Forms of the brokerage's own settings pages (webhooks)."""

from django import forms

from agents.choices import EventName, IncomingWebhookKind
from agents.models import WebhookSubscription
from clients.models import LeadSource
from realestate.permissions import restrict


class WebhookSubscriptionForm(forms.ModelForm):
    """A subscription's address, the events it receives and whether it is on."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="A public https:// address of yours that accepts POSTed JSON.",
    )
    events = forms.MultipleChoiceField(
        choices=EventName.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave every box empty to receive every event, including ones added later.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "events", "is_active"]
        labels = {"is_active": "Send deliveries"}


class IncomingWebhookForm(forms.Form):
    """A new endpoint another system posts to; a lead source's names the source of its leads."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=IncomingWebhookKind.choices, initial=IncomingWebhookKind.LEADS)
    lead_source = forms.ModelChoiceField(
        queryset=LeadSource.objects.none(),
        required=False,
        help_text="For a lead source: its leads are recorded under this source "
        "(else a source named after the endpoint).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_source"].queryset = restrict(
            LeadSource.objects.filter(is_active=True), user
        ).order_by("name")
