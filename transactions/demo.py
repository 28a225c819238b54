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
            ).order_by("pk")[: 3 * len(DEAL_PLANS)]
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


def _checklist_done(deal, actor, upto=None):
    """Tick or waive the deal's milestones, the ones due by ``upto`` (all when None)."""
    for milestone in deal.milestones.order_by("position"):
        if upto is not None and (milestone.due_on is None or milestone.due_on > upto):
            continue
        if milestone.required_for_closing:
            milestone_waive(milestone=milestone, reason=WAIVE_REASON, actor=actor)
        else:
            milestone_complete(milestone=milestone, actor=actor)


# Each demo agent's deals: (name suffix, side, days since the contract was accepted or None for
# an offer, stages to move through, co-agent share, extra terms).
DEAL_PLANS = (
    ("offer", Side.BUYER, None, (), None, {"commission_rate": D("0.025")}),
    (
        "sale",
        Side.LISTING,
        26,
        (DealStage.UNDER_CONTRACT,),
        None,
        {"commission_rate": D("0.03"), "earnest_money": D("10000.00")},
    ),
    (
        "purchase",
        Side.BUYER,
        38,
        (DealStage.UNDER_CONTRACT, DealStage.PENDING),
        D("0.40"),
        {"commission_rate": D("0.025")},
    ),
    (
        "dual",
        Side.DUAL,
        95,
        (DealStage.UNDER_CONTRACT, DealStage.PENDING, DealStage.CLOSED),
        D("0.30"),
        {"commission_rate": D("0.025"), "buyer_side_commission_rate": D("0.02")},
    ),
    (
        "first offer",
        Side.BUYER,
        60,
        (DealStage.UNDER_CONTRACT, DealStage.FELL_THROUGH),
        None,
        {"commission_rate": D("0.025")},
    ),
)
FELL_THROUGH_REASON = "Buyer withdrew after the inspection found foundation cracks."


def _agent_deals(agent, partner, broker, listings, rng, today, result):
    """One agent's deals: one per open stage, a shared closed one, one that fell through."""
    user = agent.user
    with set_actor(user):
        for suffix, side, accepted_days, stages, share, terms in DEAL_PLANS:
            listing = listings.pop() if listings else None
            price = _price(listing, rng)
            data = {
                "name": f"{listing.address_line if listing else 'Home search'} — {suffix}",
                "side": side,
                "property": listing,
                "offer_price": price,
                **terms,
            }
            if side == Side.DUAL and rng.random() < 0.5:
                data["referral_rate"] = D("0.25")
            accepted = None
            if accepted_days is not None:
                accepted = today - timedelta(days=accepted_days)
                data.update(_dates(accepted))
            deal = deal_create(
                data=data,
                actor=user,
                parties=_parties(agent, rng, buyer_side=side == Side.BUYER),
                co_agents=[partner] if share else [],
            )
            if share:
                deal_shares_set(deal=deal, shares={partner: share}, actor=user)
            result.deals += 1
            for stage in stages:
                if stage == DealStage.CLOSED:
                    _checklist_done(deal, user)
                    closed_on = accepted + timedelta(days=45)
                    deal_stage_set(
                        deal=deal, stage=stage, actor=user, sale_price=price, closed_on=closed_on
                    )
                    _statements_paid(deal, agent, broker, closed_on, result)
                elif stage == DealStage.FELL_THROUGH:
                    deal_stage_set(deal=deal, stage=stage, actor=user, reason=FELL_THROUGH_REASON)
                else:
                    deal_stage_set(deal=deal, stage=stage, actor=user)
            if accepted is not None and deal.stage in (
                DealStage.UNDER_CONTRACT,
                DealStage.PENDING,
            ):
                _checklist_done(deal, user, upto=today - timedelta(days=accepted_days // 3))


def _statements_paid(deal, agent, broker, closed_on, result):
    """The broker builds every agent's statement of a closed deal and pays the agent's own."""
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
