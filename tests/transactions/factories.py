"""Deals built through the deal services."""

import itertools

from transactions.choices import Side
from transactions.services.deals import deal_create

_sequence = itertools.count(1)


def make_deal(actor, parties=(), co_agents=(), **fields):
    """A deal created by ``actor`` (a user) through the deal service."""
    data = {"name": f"Deal {next(_sequence)}", "side": Side.BUYER}
    data.update(fields)
    return deal_create(data=data, actor=actor, parties=parties, co_agents=co_agents)


def make_template(brokerage, items, **fields):
    """A checklist template with its items (dicts of ChecklistItem fields)."""
    from transactions.models import ChecklistItem, ChecklistTemplate

    template = ChecklistTemplate.objects.create(
        brokerage=brokerage, name=fields.pop("name", f"Checklist {next(_sequence)}"), **fields
    )
    for position, item in enumerate(items):
        ChecklistItem.objects.create(template=template, position=position, **item)
    return template
