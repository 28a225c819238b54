"""Forms of the outreach pages: templates, segments, campaigns and their steps."""

from django import forms
from django.db.models import Q

from clients.forms.showings import LISTING_CHOICE_FIELDS
from clients.models import Campaign, Client, ClientSegment, MessageTemplate
from clients.services.outreach import MERGE_FIELDS
from properties.choices import ON_MARKET_STATUSES
from properties.models import Property
from realestate.permissions import restrict

MERGE_HELP = "Merge fields: " + ", ".join("{{ %s }}" % name for name in MERGE_FIELDS)  # noqa: UP031


def _listing_choices(user, current_pk=None):
    field = forms.ModelChoiceField(
        queryset=restrict(Property.objects.only(*LISTING_CHOICE_FIELDS), user)
        .filter(
            Q(archived_at__isnull=True, standard_status__in=ON_MARKET_STATUSES)
            | Q(pk=current_pk or 0)
        )
        .order_by("street_name", "street_number", "pk"),
        required=False,
        empty_label="No listing",
    )
    field.label_from_instance = lambda p: f"{p.street_address}, {p.city}"
    return field


class MessageTemplateForm(forms.ModelForm):
    """An email or text template with merge fields."""

    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": MERGE_HELP + ". A fallback for a missing value: {{ client.first_name|there }}."
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class PreviewForm(forms.Form):
    """Whom to preview a template for: a client and a listing the person can see."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False)
    listing = forms.ModelChoiceField(queryset=Property.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = restrict(Client.objects.all(), user).order_by(
            "last_name", "first_name", "pk"
        )
        self.fields["client"].label_from_instance = lambda client: client.name
        self.fields["client"].empty_label = "A sample (no client)"
        self.fields["listing"] = _listing_choices(user)


class ClientSegmentForm(forms.ModelForm):
    """A name for the client list's filters."""

    class Meta:
        model = ClientSegment
        fields = ["name", "query"]
        labels = {"query": "Client filters"}
        help_texts = {
            "query": "The client list's address after “?”, e.g. stage=active&tag=3. "
            "Filter the client list, then choose “Save as a segment”."
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class CampaignForm(forms.ModelForm):
    """A campaign's name, segment, kind and the listing its merge fields show."""

    class Meta:
        model = Campaign
        fields = ["name", "segment", "kind", "listing"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = restrict(ClientSegment.objects.all(), user)
        self.fields["listing"] = _listing_choices(user, self.instance.listing_id)
        if self.instance.pk and self.instance.status != "draft":
            for name in ("segment", "kind"):
                self.fields[name].disabled = True


class CampaignStepForm(forms.Form):
    """A step to add at the end of a campaign."""

    template = forms.ModelChoiceField(queryset=MessageTemplate.objects.none())
    delay_hours = forms.IntegerField(
        min_value=0, max_value=24 * 365, initial=0, label="Delay (hours after the step before)"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = restrict(MessageTemplate.objects.all(), user).order_by(
            "name", "pk"
        )


class ApproveForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
