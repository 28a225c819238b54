"""Commission plans, statements of closed deals, payouts and the production report."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone

from realestate.permissions import actor_for
from transactions.choices import DealStage, Side
from transactions.commission import (
    CENT,
    ONE,
    ZERO,
    CapLedger,
    DealCommission,
    GrossStep,
    Payee,
    SideCommission,
    commission_calculate,
    share_step,
    split_by_shares,
)
from transactions.models.commissions import (
    CommissionPlan,
    CommissionStatement,
    Payout,
    PlanAssignment,
    StatementStatus,
)
from transactions.models.deals import CommissionShare, Transaction
from transactions.services.deals import _require_change, deal_items_unapproved

MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _require_broker(actor, brokerage_id, doing):
    """Only the brokerage's broker (or a superuser) may do this."""
    person = actor_for(actor)
    if actor.is_superuser:
        return
    if not person.is_broker or person.brokerage_id != brokerage_id:
        raise PermissionDenied(f"Only the broker can {doing}.")


def _ledger_json(ledger):
    return {
        "company_dollar": str(ledger.company_dollar),
        "royalty": str(ledger.royalty),
        "gross_commission": str(ledger.gross_commission),
    }


# ---------- plans ----------


def commission_plan_save(*, plan, actor):
    """Save a plan; a plan that statements already used is kept, and a new version saved."""
    _require_broker(actor, plan.brokerage_id, "change commission plans")
    plan.full_clean(exclude=["version", "previous"])
    with transaction.atomic():
        if plan.pk is None or not CommissionStatement.objects.filter(plan_id=plan.pk).exists():
            plan.save()
            return plan
        stored = CommissionPlan.objects.get(pk=plan.pk)
        if stored.terms() == plan.terms() and stored.name == plan.name:
            stored.is_active = plan.is_active
            stored.save(update_fields=["is_active"])
            return stored
        new_version = CommissionPlan(
            brokerage_id=stored.brokerage_id,
            name=plan.name,
            version=stored.version + 1,
            previous=stored,
            is_active=True,
            **plan.terms(),
        )
        new_version.full_clean()
        new_version.save()
        stored.is_active = False
        stored.save(update_fields=["is_active"])
        # Agents on the plan move to the new version; statements keep the one they used.
        PlanAssignment.objects.filter(plan=stored).update(plan=new_version)
        return new_version


def plan_assign(
    *, agent, plan, starts_on, actor, anniversary=None, team_leader=None, team_leader_share=None
):
    """Put an agent on a plan from a date (with their anniversary and team leader, if any)."""
    _require_broker(actor, agent.brokerage_id, "assign commission plans")
    if plan.brokerage_id != agent.brokerage_id:
        raise ValidationError({"plan": "The plan belongs to another brokerage."})
    if team_leader is not None and team_leader.brokerage_id != agent.brokerage_id:
        raise ValidationError({"team_leader": "The team leader works for another brokerage."})
    if plan.cap_reset == "anniversary" and anniversary is None:
        raise ValidationError({"anniversary": "A plan that resets on the anniversary needs one."})
    if (team_leader is None) != (team_leader_share is None):
        raise ValidationError({"team_leader_share": "A team leader and their share go together."})
    assignment = PlanAssignment(
        agent=agent,
        plan=plan,
        starts_on=starts_on,
        anniversary=anniversary,
        team_leader=team_leader,
        team_leader_share=team_leader_share,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


def plan_in_force(*, agent, on):
    """The agent's plan assignment in force on a date, or None."""
    return (
        PlanAssignment.objects.select_related("plan")
        .filter(agent=agent, starts_on__lte=on)
        .order_by("-starts_on", "-pk")
        .first()
    )


# ---------- statements ----------


def _ledger_before(*, agent, deal, period):
    """What the agent's earlier statements in the period paid toward the cap, in closing order."""
    earlier = (
        CommissionStatement.objects.filter(
            agent=agent, closed_on__gte=period.start, closed_on__lte=period.end
        )
        .filter(
            Q(closed_on__lt=deal.closed_on)
            | Q(closed_on=deal.closed_on, transaction_id__lt=deal.pk)
        )
        .exclude(transaction=deal)
        .aggregate(
            company_dollar=Sum("company_dollar"),
            royalty=Sum("royalty"),
            gross_commission=Sum("ledger_gross"),
        )
    )
    # SQLite sums lose the scale of a decimal column: put the cents back.
    return CapLedger(**{name: (value or ZERO).quantize(CENT) for name, value in earlier.items()})


@dataclass(frozen=True)
class AgentPart:
    """One agent's part of a deal's gross commission."""

    agent: object
    share: Decimal
    amount: Decimal


@dataclass(frozen=True)
class DealSplit:
    """A deal's gross commission, side by side, and each agent's part of it."""

    steps: tuple
    gross: Decimal
    parts: tuple

    def part_for(self, agent):
        """The agent's part, or None for an agent who has no share of the deal."""
        return next((part for part in self.parts if part.agent.pk == agent.pk), None)

    def steps_for(self, part):
        """The steps from the price to this agent's gross: the sides, then their share."""
        steps = list(self.steps)
        if len(self.steps) > 1:
            steps.append(GrossStep("Gross commission", self.gross, "Both sides together"))
        if part.share != ONE:
            steps.append(share_step(part.agent.name, part.share, self.gross, part.amount))
        return steps


def deal_sides(deal, price):
    """The commission of each side the brokerage earns on the deal, at a price."""
    if deal.side != Side.DUAL:
        return [SideCommission("Commission", price, deal.commission_rate, deal.commission_amount)]
    return [
        SideCommission("Listing side", price, deal.commission_rate, deal.commission_amount),
        SideCommission(
            "Buyer side",
            price,
            deal.buyer_side_commission_rate,
            deal.buyer_side_commission_amount,
        ),
    ]


def deal_split(*, deal, price=None, shares=None):
    """The deal's gross commission by side at its sale price (or another), shared by its agents.

    The deal's agent keeps what the co-agents' shares leave; ``shares`` are the deal's
    :class:`CommissionShare` rows when already loaded. Raises ValueError for missing terms.
    """
    price = deal.sale_price if price is None else price
    if price is None:
        raise ValueError("The deal needs its final sale price first.")
    sides = deal_sides(deal, price)
    steps = tuple(side.step() for side in sides)
    gross = sum((step.amount for step in steps), ZERO)
    if shares is None:
        shares = deal.commission_shares.select_related("agent__user")
    others = [(row.agent, row.share) for row in shares if row.agent_id != deal.agent_id]
    own = ONE - sum((share for _agent, share in others), ZERO)
    if own < 0:
        raise ValueError("The co-agents' shares add up to more than the whole commission.")
    people = ([(deal.agent, own)] if own > 0 else []) + others
    amounts = split_by_shares(gross, [share for _agent, share in people])
    parts = tuple(
        AgentPart(agent, share, amount)
        for (agent, share), amount in zip(people, amounts, strict=True)
    )
    return DealSplit(steps=steps, gross=gross, parts=parts)


def deal_commission_for(deal, *, split=None, agent=None):
    """The engine's view of one agent's part of a closed deal (the deal's agent by default)."""
    split = split or deal_split(deal=deal)
    part = split.part_for(agent or deal.agent)
    if part is None:
        raise ValueError(f"{(agent or deal.agent).name} has no share of this deal's commission.")
    referral_amount = None
    if deal.referral_rate is None and deal.referral_amount is not None:
        # A flat referral fee comes off the top in the same shares as the gross.
        fees = split_by_shares(deal.referral_amount, [each.share for each in split.parts])
        referral_amount = fees[split.parts.index(part)]
    return DealCommission(
        sale_price=deal.sale_price,
        commission_amount=part.amount,
        referral_rate=deal.referral_rate,
        referral_amount=referral_amount,
    )


def deal_shares_set(*, deal, shares, actor):
    """Share the deal's commission with its co-agents: ``shares`` maps a co-agent to a share.

    The deal's agent keeps the rest. A co-agent left out (or given no share) has none.
    """
    _require_change(deal, actor)
    if (
        CommissionStatement.objects.filter(transaction=deal)
        .exclude(status=StatementStatus.DRAFT)
        .exists()
    ):
        raise ValidationError(
            "A statement of this deal is approved or paid; its shares can no longer change."
        )
    co_agents = {agent.pk for agent in deal.co_agents.all()}
    errors = []
    for agent, share in shares.items():
        if agent.pk not in co_agents:
            errors.append(f"{agent.name} is not a co-agent of this deal.")
        elif not isinstance(share, Decimal) or not 0 <= share <= 1 or share % Decimal("0.0001"):
            errors.append(f"{agent.name}'s share must be between 0% and 100%.")
    if not errors and sum(shares.values(), ZERO) > ONE:
        errors.append("The co-agents' shares add up to more than the whole commission.")
    if errors:
        raise ValidationError({"shares": errors})
    with transaction.atomic():
        CommissionShare.objects.filter(transaction=deal).delete()
        CommissionShare.objects.bulk_create(
            CommissionShare(transaction=deal, agent=agent, share=share)
            for agent, share in shares.items()
            if share > 0
        )
    return list(deal.commission_shares.select_related("agent__user"))


def commission_statement_build(*, deal, agent, actor):
    """Work out (or work out again) the agent's statement of a closed deal as a draft.

    The agent's draft statements of deals that closed later in the same cap period are worked
    out again after it, so each one's cap ledger counts the deals that closed before it.
    """
    _require_broker(actor, deal.brokerage_id, "build commission statements")
    with transaction.atomic():
        statement = _statement_build(deal=deal, agent=agent)
        later = (
            CommissionStatement.objects.filter(
                agent=agent,
                status=StatementStatus.DRAFT,
                period_start=statement.period_start,
            )
            .filter(
                Q(closed_on__gt=statement.closed_on)
                | Q(closed_on=statement.closed_on, transaction_id__gt=deal.pk)
            )
            .select_related("transaction__agent__user")
            .order_by("closed_on", "transaction_id")
        )
        for draft in later:
            _statement_build(deal=draft.transaction, agent=agent)
    return statement


def commission_statements_build(*, deal, actor):
    """Work out the statement of every agent who has a share of a closed deal."""
    _require_broker(actor, deal.brokerage_id, "build commission statements")
    split = _split_checked(deal)
    return [
        commission_statement_build(deal=deal, agent=part.agent, actor=actor) for part in split.parts
    ]


def _split_checked(deal):
    if deal.stage != DealStage.CLOSED or deal.closed_on is None:
        raise ValidationError("Only a closed deal has a commission statement.")
    if deal.sale_price is None:
        raise ValidationError("The deal needs its final sale price first.")
    try:
        return deal_split(deal=deal)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc


def _statement_build(*, deal, agent):
    """The agent's draft statement of the deal, worked out from the ledger before it."""
    split = _split_checked(deal)
    part = split.part_for(agent)
    if part is None:
        raise ValidationError({"agent": f"{agent.name} has no share of this deal's commission."})
    assignment = plan_in_force(agent=agent, on=deal.closed_on)
    if assignment is None:
        raise ValidationError(
            f"{agent.name} has no commission plan on {deal.closed_on:%b %-d, %Y}. "
            "Assign one in the back office."
        )
    plan = assignment.plan
    try:
        engine_plan = plan.as_engine_plan()
        period = engine_plan.cap_period(deal.closed_on, anniversary=assignment.anniversary)
        deal_commission = deal_commission_for(deal, split=split, agent=agent)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc

    statement = CommissionStatement.objects.filter(transaction=deal, agent=agent).first()
    if statement is not None and statement.status != StatementStatus.DRAFT:
        raise ValidationError(
            f"The statement is {statement.get_status_display().lower()} and can no longer "
            "be built again."
        )
    ledger = _ledger_before(agent=agent, deal=deal, period=period)
    breakdown = commission_calculate(
        deal=deal_commission, plan=engine_plan, ledger=ledger, team=assignment.team_split()
    )
    totals = breakdown.totals
    if statement is None:
        statement = CommissionStatement(transaction=deal, agent=agent)
    statement.plan = plan
    statement.closed_on = deal.closed_on
    statement.period_start = period.start
    statement.period_end = period.end
    statement.gross = breakdown.gross
    statement.gross_steps = [
        {"label": step.label, "amount": str(step.amount), "explanation": step.explanation}
        for step in split.steps_for(part)
    ]
    statement.company_dollar = breakdown.company_dollar
    statement.royalty = totals[Payee.FRANCHISE]
    statement.ledger_gross = breakdown.ledger_after.gross_commission - ledger.gross_commission
    statement.agent_net = breakdown.agent_net
    statement.cap_remaining = breakdown.cap_remaining
    statement.lines = [
        {
            "label": line.label,
            "amount": str(line.amount),
            "payee": str(line.payee),
            "explanation": line.explanation,
        }
        for line in breakdown.lines
    ]
    statement.ledger_before = _ledger_json(ledger)
    statement.ledger_after = _ledger_json(breakdown.ledger_after)
    statement.created_at = timezone.now()
    statement.save()
    return statement


def commission_statement_approve(*, statement, actor):
    """The broker approves a draft statement, ready to be paid."""
    _require_broker(actor, statement.transaction.brokerage_id, "approve commission statements")
    if statement.status != StatementStatus.DRAFT:
        raise ValidationError(f"The statement is already {statement.get_status_display().lower()}.")
    statement.status = StatementStatus.APPROVED
    statement.approved_at = timezone.now()
    statement.approved_by = actor
    statement.save(update_fields=["status", "approved_at", "approved_by"])
    return statement


def commission_payout_record(*, statement, amount, paid_on, method, reference, actor):
    """Record money paid to the agent; the statement is paid once the payouts reach its net."""
    deal = statement.transaction
    _require_broker(actor, deal.brokerage_id, "record commission payouts")
    if statement.status == StatementStatus.PAID:
        raise ValidationError("The statement is already paid in full.")
    if statement.status != StatementStatus.APPROVED:
        raise ValidationError("Approve the statement before recording a payout.")
    blockers = [item.title for item in deal_items_unapproved(deal=deal)]
    if blockers:
        raise ValidationError(
            "The commission cannot be paid until the broker approves these checklist items: "
            + ", ".join(blockers)
            + "."
        )
    if not isinstance(amount, Decimal) or amount <= 0 or amount % Decimal("0.01"):
        raise ValidationError({"amount": "Enter an amount of at least $0.01, in whole cents."})
    with transaction.atomic():
        paid_so_far = statement.payouts.aggregate(total=Sum("amount"))["total"] or ZERO
        left = statement.agent_net - paid_so_far
        if amount > left:
            raise ValidationError(
                {
                    "amount": f"Only ${left:,.2f} of the agent's ${statement.agent_net:,.2f} "
                    "is left to pay."
                }
            )
        payout = Payout(
            statement=statement,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference,
            recorded_by=actor,
        )
        payout.full_clean()
        payout.save()
        if amount == left:
            statement.status = StatementStatus.PAID
            statement.paid_at = timezone.now()
            statement.save(update_fields=["status", "paid_at"])
    return payout


# ---------- production ----------


@dataclass
class Production:
    """An agent's (or the brokerage's) closed business in a year."""

    volume: Decimal = ZERO
    # A deal shared by agents counts toward each one's units in their share.
    units: Decimal = ZERO
    gci: Decimal = ZERO
    company_dollar: Decimal = ZERO

    def add(self, other):
        self.volume += other.volume
        self.units += other.units
        self.gci += other.gci
        self.company_dollar += other.company_dollar


@dataclass
class CapProgress:
    """An agent's company dollar so far against their plan's cap, in the current cap period."""

    cap: Decimal | None
    paid: Decimal
    period_start: date
    period_end: date
    plan_name: str

    @property
    def remaining(self):
        return None if self.cap is None else max(self.cap - self.paid, ZERO)

    @property
    def percent(self):
        if not self.cap:
            return None
        return min(int(self.paid * 100 / self.cap), 100)


@dataclass
class AgentProduction:
    agent: object
    totals: Production = field(default_factory=Production)
    months: list = field(default_factory=lambda: [Production() for _ in range(12)])
    cap: CapProgress | None = None


@dataclass
class ProductionReport:
    """Closed volume, units, GCI and company dollar by month, per agent, and cap progress."""

    year: int
    rows: list
    totals: Production
    months: list

    def month_rows(self):
        return [
            {"month": index + 1, "label": MONTH_LABELS[index], "figures": figures}
            for index, figures in enumerate(self.months)
        ]


def _cap_progress(agents, year):
    """Each agent's cap progress on the last day of the year that has passed (today at most)."""
    on = min(timezone.localdate(), date(year, 12, 31))
    assignments = {}
    for assignment in (
        PlanAssignment.objects.select_related("plan")
        .filter(agent__in=agents, starts_on__lte=on)
        .order_by("agent_id", "-starts_on", "-pk")
    ):
        assignments.setdefault(assignment.agent_id, assignment)
    periods = {}
    for agent_id, assignment in assignments.items():
        try:
            period = assignment.plan.as_engine_plan().cap_period(
                on, anniversary=assignment.anniversary
            )
        except ValueError:
            continue
        periods[agent_id] = (assignment.plan, period)
    if not periods:
        return {}
    earliest = min(period.start for _plan, period in periods.values())
    paid = {}
    for agent_id, closed_on, company_dollar in CommissionStatement.objects.filter(
        agent_id__in=periods, closed_on__gte=earliest, closed_on__lte=on
    ).values_list("agent_id", "closed_on", "company_dollar"):
        if closed_on >= periods[agent_id][1].start:
            paid[agent_id] = paid.get(agent_id, ZERO) + company_dollar
    return {
        agent_id: CapProgress(
            cap=plan.cap,
            paid=paid.get(agent_id, ZERO),
            period_start=period.start,
            period_end=period.end,
            plan_name=str(plan),
        )
        for agent_id, (plan, period) in periods.items()
    }


def _production_parts(deal):
    """(agent id, share, GCI) of each agent with a part of a closed deal's commission."""
    try:
        split = deal_split(deal=deal, shares=deal.commission_shares.all())
    except (TypeError, ValueError):
        # A deal without commission terms still counts for volume and units.
        own = ONE - sum((row.share for row in deal.commission_shares.all()), ZERO)
        people = [(deal.agent_id, own)] if own > 0 else []
        people += [(row.agent_id, row.share) for row in deal.commission_shares.all()]
        return [(agent_id, share, ZERO) for agent_id, share in people]
    return [(part.agent.pk, part.share, part.amount) for part in split.parts]


def agent_production(*, year, agent=None, brokerage=None):
    """The production report of one agent, or of every agent of a brokerage, for a year."""
    from agents.models import Agent

    if (agent is None) == (brokerage is None):
        raise ValueError("Give an agent or a brokerage.")
    if agent is not None:
        agents = [agent]
    else:
        agents = list(
            Agent.objects.filter(brokerage=brokerage, is_active=True).select_related("user")
        )
    rows = {member.pk: AgentProduction(agent=member) for member in agents}
    deals = (
        Transaction.objects.filter(stage=DealStage.CLOSED, closed_on__year=year)
        .filter(Q(agent_id__in=rows) | Q(commission_shares__agent_id__in=rows))
        .distinct()
        .select_related("agent__user")
        .prefetch_related(
            Prefetch(
                "commission_shares",
                queryset=CommissionShare.objects.select_related("agent__user"),
            )
        )
    )
    for deal in deals:
        for agent_id, share, gci in _production_parts(deal):
            if agent_id not in rows:
                continue
            figures = Production(
                volume=((deal.sale_price or ZERO) * share).quantize(CENT), units=share, gci=gci
            )
            rows[agent_id].totals.add(figures)
            rows[agent_id].months[deal.closed_on.month - 1].add(figures)
    for agent_id, closed_on, company_dollar in CommissionStatement.objects.filter(
        agent_id__in=rows, closed_on__year=year
    ).values_list("agent_id", "closed_on", "company_dollar"):
        figures = Production(company_dollar=company_dollar)
        rows[agent_id].totals.add(figures)
        rows[agent_id].months[closed_on.month - 1].add(figures)
    for agent_id, progress in _cap_progress(list(rows), year).items():
        rows[agent_id].cap = progress

    totals = Production()
    months = [Production() for _ in range(12)]
    for row in rows.values():
        totals.add(row.totals)
        for index, figures in enumerate(row.months):
            months[index].add(figures)
    ordered = sorted(rows.values(), key=lambda row: (-row.totals.volume, row.agent.name))
    return ProductionReport(year=year, rows=ordered, totals=totals, months=months)
