"""Forms of commissions: co-agents' shares, a payout, and the production report's choices."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from transactions.models.commissions import PayoutMethod

HUNDRED = Decimal("100")


class CommissionSharesForm(forms.Form):
    """Each co-agent's share of a deal's commission, in percent; the deal's agent keeps the rest."""

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.co_agents = list(deal.co_agents.all())
        current = {row.agent_id: row.share for row in deal.commission_shares.all()}
        for agent in self.co_agents:
            share = current.get(agent.pk)
            self.fields[f"share_{agent.pk}"] = forms.DecimalField(
                label=f"{agent.name} (%)",
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=None if share is None else (share * HUNDRED).normalize(),
            )

    def shares(self):
        """The co-agents' shares as fractions, for the service."""
        return {
            agent: (self.cleaned_data.get(f"share_{agent.pk}") or Decimal(0)) / HUNDRED
            for agent in self.co_agents
        }


class PayoutForm(forms.Form):
    """Money paid to the agent against an approved statement."""

    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=PayoutMethod.choices)
    reference = forms.CharField(
        max_length=100, required=False, help_text="Check or transfer number"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class ProductionForm(forms.Form):
    """Which year, and for a broker which agent, the production report shows."""

    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    agent = forms.ModelChoiceField(queryset=None, required=False, empty_label="Every agent")

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agents is None:
            del self.fields["agent"]
        else:
            self.fields["agent"].queryset = agents
