"""The commission box of a deal's page: the split by side and agent, its statements and, for
brokers, the build button."""

from django import template

from realestate.permissions import CHANGE, actor_for, can, restrict
from transactions.choices import DealStage
from transactions.forms.commissions import CommissionSharesForm
from transactions.models.commissions import CommissionStatement, StatementStatus
from transactions.services.commissions import deal_split

register = template.Library()


@register.inclusion_tag("transactions/includes/statement_box.html", takes_context=True)
def deal_commission(context, deal):
    """The deal's commission split, the statements the person may see, and what they may do."""
    user = context.get("user") or context["request"].user
    statements = list(
        restrict(
            CommissionStatement.objects.filter(transaction=deal).select_related("agent__user"),
            user,
        )
    )
    is_broker = user.is_authenticated and actor_for(user).is_broker
    shares = deal.commission_shares.all()
    price = deal.sale_price or deal.offer_price
    try:
        split = deal_split(deal=deal, price=price, shares=shares) if price else None
        split_error = None
    except ValueError as exc:
        split, split_error = None, str(exc)
    settled = any(statement.status != StatementStatus.DRAFT for statement in statements)
    share_form = None
    if deal.co_agents.all() and not settled and can(user, deal, CHANGE):
        share_form = CommissionSharesForm(deal=deal)
    return {
        "deal": deal,
        "split": split,
        "split_price": price,
        "split_error": split_error,
        "share_form": share_form,
        "statements": statements,
        "can_build": is_broker and deal.stage == DealStage.CLOSED,
        "csrf_token": context.get("csrf_token"),
    }
