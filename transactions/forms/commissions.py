"""Forms of commissions: a payout, and the production report's choices."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from transactions.models.commissions import PayoutMethod


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
