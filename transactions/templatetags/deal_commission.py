"""The commission box of a deal's page: its statements and, for brokers, the build button."""

from django import template

from realestate.permissions import actor_for, restrict
from transactions.choices import DealStage
from transactions.models.commissions import CommissionStatement

register = template.Library()


@register.inclusion_tag("transactions/includes/statement_box.html", takes_context=True)
def deal_commission(context, deal):
    """The deal's commission statements the person may see, and what they may do with them."""
    user = context.get("user") or context["request"].user
    statements = restrict(
        CommissionStatement.objects.filter(transaction=deal).select_related("agent__user"), user
    )
    is_broker = user.is_authenticated and actor_for(user).is_broker
    return {
        "deal": deal,
        "statements": list(statements),
        "can_build": is_broker and deal.stage == DealStage.CLOSED,
        "csrf_token": context.get("csrf_token"),
    }
