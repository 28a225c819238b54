"""Forms of the deal pages: a deal, its stage, a milestone, a waiver and a party."""

from django import forms

from agents.models import Agent
from clients.forms.people import (
    AgentChoiceField,
    AgentMultipleChoiceField,
    assigns_anyone,
    brokerage_agents,
)
from clients.models import Client
from properties.models import Property
from realestate.permissions import restrict
from transactions.choices import DealStage, PartyRole
from transactions.models import Milestone, Party, Transaction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEAL_FORM_FIELDS = [
    "name",
    "side",
    "property",
    "agent",
    "offer_price",
    "earnest_money",
    "commission_rate",
    "commission_amount",
    "buyer_side_commission_rate",
    "buyer_side_commission_amount",
    "referral_rate",
    "referral_amount",
    "contract_accepted_on",
    "inspection_deadline",
    "appraisal_deadline",
    "financing_deadline",
    "closing_on",
    "possession_on",
    "notes",
]


class PropertyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, listing):
        return listing.address_line


class DealForm(forms.ModelForm):
    """A deal's details and key dates; the checklist's due dates are counted from the dates."""

    property = PropertyChoiceField(queryset=Property.objects.none(), required=False)
    agent = AgentChoiceField(queryset=Agent.objects.none(), required=False, label="Agent")
    co_agents = AgentMultipleChoiceField(
        queryset=Agent.objects.none(),
        required=False,
        label="Co-agents",
        help_text="Colleagues who work the deal with its agent: they see and change it.",
    )

    class Meta:
        model = Transaction
        fields = DEAL_FORM_FIELDS
        widgets = dict.fromkeys(
            (
                "contract_accepted_on",
                "inspection_deadline",
                "appraisal_deadline",
                "financing_deadline",
                "closing_on",
                "possession_on",
            ),
            DATE,
        )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        chosen = list(instance.co_agents.all()) if instance.pk else []
        current_agent = instance.agent if instance.agent_id else None
        self.fields["co_agents"].queryset = brokerage_agents(user, keep=chosen)
        self.fields["property"].queryset = restrict(Property.objects.all(), user).order_by(
            "street_name", "street_number", "pk"
        )
        if assigns_anyone(user):
            self.fields["agent"].queryset = brokerage_agents(user, keep=[current_agent])
            self.fields["agent"].help_text = "Yourself when left empty."
        else:
            del self.fields["agent"]
        if instance.pk:
            self.initial["co_agents"] = [agent.pk for agent in chosen]

    def deal_data(self):
        """What the deal service is given for a new deal."""
        return {
            name: self.cleaned_data[name]
            for name in DEAL_FORM_FIELDS
            if name in self.cleaned_data and not (name == "agent" and not self.cleaned_data[name])
        }

    def changed_deal_data(self):
        """Only the fields the person changed, so the service sees what really moved."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in DEAL_FORM_FIELDS and not (name == "agent" and not self.cleaned_data[name])
        }


class StageForm(forms.Form):
    """A move of a deal; closing takes the sale, falling through a reason."""

    stage = forms.ChoiceField(choices=DealStage.choices)
    reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    sale_price = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=0, label="Final sale price"
    )
    closed_on = forms.DateField(required=False, widget=DATE, label="Closed on")


class WaiveForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is it waived?")


class MilestoneForm(forms.ModelForm):
    """An ad-hoc milestone of one deal."""

    class Meta:
        model = Milestone
        fields = ["title", "due_on", "required_for_closing"]
        widgets = {"due_on": DATE}


class PartyForm(forms.ModelForm):
    """Someone in the deal; a client of the CRM brings their name and contact details."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False)
    role = forms.ChoiceField(choices=PartyRole.choices)

    class Meta:
        model = Party
        fields = ["role", "client", "name", "company", "email", "phone"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = restrict(Client.objects.all(), user).order_by(
            "last_name", "first_name", "pk"
        )
        self.fields["name"].required = False
        self.fields["name"].help_text = "The client's name when left empty."

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("client") and not cleaned.get("name"):
            self.add_error("name", "Give a name or choose a client.")
        return cleaned

    def party_data(self):
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
