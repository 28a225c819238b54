"""Demo deals for the demo brokerages (see ``agents.demo``): a checklist, commission plans, deals
in every stage, closed deals with their statements, one of them paid.

Written through the deal and commission services with the broker or the agent as the actor, so
the checklist, the stage machine, the cap ledger and the audit trail are what real use gives.
Dates are relative to today so that the agent's day always has milestones due.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from random import Random

from auditlog.context import set_actor
from django.utils import timezone

from agents.choices import Role
from agents.models import Agent
from clients.models import Client
from properties.choices import ListingSource, StandardStatus
from properties.models import Property
from transactions.choices import DateField, DealStage, PartyRole, Side
from transactions.models import ChecklistItem, ChecklistTemplate, CommissionPlan
from transactions.services.commissions import (
    commission_payout_record,
    commission_statement_approve,
    commission_statements_build,
    deal_shares_set,
    plan_assign,
)
from transactions.services.deals import (
    deal_create,
    deal_stage_set,
    milestone_complete,
    milestone_waive,
)

D = Decimal
CHECKLIST = (
    # title, counted from, days, needs a document, required to close
    ("Purchase and sale agreement", DateField.CONTRACT_ACCEPTED, 0, True, True),
    ("Earnest money receipt", DateField.CONTRACT_ACCEPTED, 3, True, True),
    ("Home inspection report", DateField.INSPECTION, 0, True, False),
    ("Appraisal", DateField.APPRAISAL, 0, True, False),
    ("Financing commitment", DateField.FINANCING, 0, True, True),
    ("Final walk-through", DateField.CLOSING, -1, False, False),
    ("Closing disclosure", DateField.CLOSING, -3, True, True),
)
LENDERS = ("Harbor Mortgage", "First Maple Credit Union", "Bayside Home Loans")
TITLE_COMPANIES = ("Granite Title & Escrow", "Old Colony Title")
WAIVE_REASON = "Signed original kept in the office's paper file."


@dataclass
class DemoDeals:
    """What the demo deals loader created."""

    deals: int = 0
    statements: int = 0


def demo_deals_load(*, brokerage_specs, seed):
    """A checklist, two commission plans and deals in every stage for each demo brokerage."""
    result = DemoDeals()
    rng = Random(seed * 104729)
    today = timezone.localdate()
    for spec in brokerage_specs:
        people = Agent.objects.filter(brokerage__slug=spec.slug, is_active=True).select_related(
            "user", "brokerage"
        )
        broker = people.filter(user__groups__name=Role.BROKER.label).first()
        agents = list(people.filter(user__groups__name=Role.AGENT.label).order_by("user__username"))
        if broker is None or len(agents) < 2:
            continue
        brokerage = broker.brokerage
        _checklist(brokerage)
        plans = _plans(brokerage)
        for index, agent in enumerate(agents):
            plan_assign(
                agent=agent,
                plan=plans[index % len(plans)],
                starts_on=date(today.year - 1, 1, 1),
                actor=broker.user,
            )
        listings = list(
            Property.objects.filter(
                brokerage=brokerage,
                source=ListingSource.LOCAL,
                standard_status=StandardStatus.ACTIVE,
                archived_at__isnull=True,
            ).order_by("pk")[:12]
        )
        for index, agent in enumerate(agents[:3]):
            partner = agents[(index + 1) % len(agents)]
            _agent_deals(agent, partner, broker, listings, rng, today, result)
    return result


def _checklist(brokerage):
    template = ChecklistTemplate.objects.create(
        brokerage=brokerage, name="Residential purchase and sale"
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=template,
            title=title,
            position=position,
            due_from=due_from,
            due_offset_days=days,
            requires_document=document,
            required_for_closing=required,
        )
        for position, (title, due_from, days, document, required) in enumerate(CHECKLIST)
    )


def _plans(brokerage):
    plans = [
        CommissionPlan(
            brokerage=brokerage,
            name="70/30 with franchise royalty",
            agent_share=D("0.70"),
            royalty_rate=D("0.06"),
            royalty_cap=D("3000.00"),
            transaction_fee=D("295.00"),
        ),
        CommissionPlan(
            brokerage=brokerage,
            name="80/20 capped",
            agent_share=D("0.80"),
            cap=D("16000.00"),
            post_cap_fee=D("250.00"),
            eo_fee=D("45.00"),
        ),
    ]
    for plan in plans:
        plan.full_clean()
        plan.save()
    return plans


def _parties(agent, rng, buyer_side=True):
    clients = list(Client.objects.filter(assigned_agent=agent).order_by("pk")[:4])
    parties = []
    if clients:
        client = rng.choice(clients)
        role = PartyRole.BUYER if buyer_side else PartyRole.SELLER
        parties.append({"role": role, "client": client})
    parties.append(
        {"role": PartyRole.LENDER, "name": "Loan officer", "company": rng.choice(LENDERS)}
    )
    parties.append(
        {"role": PartyRole.TITLE, "name": "Closing desk", "company": rng.choice(TITLE_COMPANIES)}
    )
    return parties


def _dates(accepted):
    return {
        "contract_accepted_on": accepted,
        "inspection_deadline": accepted + timedelta(days=10),
        "appraisal_deadline": accepted + timedelta(days=21),
        "financing_deadline": accepted + timedelta(days=30),
        "closing_on": accepted + timedelta(days=45),
    }


def _price(listing, rng):
    price = (
        listing.list_price if listing and listing.list_price else D(rng.randrange(40, 120) * 10_000)
    )
    offered = price * D(rng.choice(("0.97", "0.98", "1.00", "1.02")))
    return (offered / 1000).quantize(D("1")) * 1000


def _move(deal, actor, *stages, **closing):
    for stage in stages:
        extra = closing if stage == DealStage.CLOSED else {}
        deal_stage_set(deal=deal, stage=stage, actor=actor, **extra)


def _checklist_done(deal, actor, upto=None):
    """Tick or waive the deal's milestones, the ones due by ``upto`` (all when None)."""
    for milestone in deal.milestones.order_by("position"):
        if upto is not None and (milestone.due_on is None or milestone.due_on > upto):
            continue
        if milestone.required_for_closing:
            milestone_waive(milestone=milestone, reason=WAIVE_REASON, actor=actor)
        else:
            milestone_complete(milestone=milestone, actor=actor)


def _agent_deals(agent, partner, broker, listings, rng, today, result):
    """Five deals of one agent: one per open stage, a shared closed one, one that fell through."""
    user = agent.user

    def take():
        return listings.pop() if listings else None

    with set_actor(user):
        # Just accepted: the checklist is ahead.
        listing = take()
        deal = deal_create(
            data={
                "name": f"{listing.address_line if listing else 'Buyer search'} — offer",
                "side": Side.BUYER,
                "property": listing,
                "offer_price": _price(listing, rng),
                "commission_rate": D("0.025"),
            },
            actor=user,
            parties=_parties(agent, rng),
        )
        result.deals += 1

        # Under contract, inspection done, financing due in a few days.
        listing = take()
        accepted = today - timedelta(days=26)
        deal = deal_create(
            data={
                "name": f"{listing.address_line if listing else 'Seller listing'} — sale",
                "side": Side.LISTING,
                "property": listing,
                "offer_price": _price(listing, rng),
                "earnest_money": D("10000.00"),
                "commission_rate": D("0.03"),
                **_dates(accepted),
            },
            actor=user,
            parties=_parties(agent, rng, buyer_side=False),
        )
        _move(deal, user, DealStage.UNDER_CONTRACT)
        _checklist_done(deal, user, upto=today - timedelta(days=12))
        result.deals += 1

        # Pending with the partner as co-agent on a 60/40 share; closing next week.
        listing = take()
        accepted = today - timedelta(days=38)
        deal = deal_create(
            data={
                "name": f"{listing.address_line if listing else 'Team buyer'} — purchase",
                "side": Side.BUYER,
                "property": listing,
                "offer_price": _price(listing, rng),
                "commission_rate": D("0.025"),
                **_dates(accepted),
            },
            actor=user,
            parties=_parties(agent, rng),
            co_agents=[partner],
        )
        deal_shares_set(deal=deal, shares={partner: D("0.40")}, actor=user)
        _move(deal, user, DealStage.UNDER_CONTRACT, DealStage.PENDING)
        _checklist_done(deal, user, upto=today)
        result.deals += 1

        # Closed earlier this year: both sides, shared with the partner; statements built.
        listing = take()
        accepted = today - timedelta(days=95)
        price = _price(listing, rng)
        deal = deal_create(
            data={
                "name": f"{listing.address_line if listing else 'Dual agency sale'} — dual",
                "side": Side.DUAL,
                "property": listing,
                "offer_price": price,
                "commission_rate": D("0.025"),
                "buyer_side_commission_rate": D("0.02"),
                "referral_rate": D("0.25") if rng.random() < 0.5 else None,
                **_dates(accepted),
            },
            actor=user,
            parties=_parties(agent, rng, buyer_side=False),
            co_agents=[partner],
        )
        deal_shares_set(deal=deal, shares={partner: D("0.30")}, actor=user)
        _move(deal, user, DealStage.UNDER_CONTRACT, DealStage.PENDING)
        _checklist_done(deal, user)
        closed_on = accepted + timedelta(days=45)
        _move(deal, user, DealStage.CLOSED, sale_price=price, closed_on=closed_on)
        result.deals += 1
        with set_actor(broker.user):
            statements = commission_statements_build(deal=deal, actor=broker.user)
            result.statements += len(statements)
            own = next(s for s in statements if s.agent_id == agent.pk)
            commission_statement_approve(statement=own, actor=broker.user)
            commission_payout_record(
                statement=own,
                amount=own.agent_net,
                paid_on=closed_on + timedelta(days=3),
                method="ach",
                reference=f"ACH-{deal.pk:05d}",
                actor=broker.user,
            )

        # Fell through at inspection.
        listing = take()
        deal = deal_create(
            data={
                "name": f"{listing.address_line if listing else 'Buyer search'} — first offer",
                "side": Side.BUYER,
                "property": listing,
                "offer_price": _price(listing, rng),
                "commission_rate": D("0.025"),
                **_dates(today - timedelta(days=60)),
            },
            actor=user,
            parties=_parties(agent, rng),
        )
        _move(deal, user, DealStage.UNDER_CONTRACT)
        deal_stage_set(
            deal=deal,
            stage=DealStage.FELL_THROUGH,
            actor=user,
            reason="Buyer withdrew after the inspection found foundation cracks.",
        )
        result.deals += 1
