"""Commission plans, statements of closed deals, payouts and the production report."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from realestate.permissions import actor_for
from transactions.choices import DealStage
from transactions.commission import (
    CENT,
    ZERO,
    CapLedger,
    DealCommission,
    Payee,
    commission_calculate,
)
from transactions.models.commissions import (
    CommissionPlan,
    CommissionStatement,
    Payout,
    PlanAssignment,
    StatementStatus,
)
from transactions.models.deals import Transaction
from transactions.services.deals import deal_items_unapproved

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


def deal_commission_for(deal):
    """The engine's view of a deal's commission."""
    return DealCommission(
        sale_price=deal.sale_price,
        commission_rate=deal.commission_rate if deal.commission_amount is None else None,
        commission_amount=deal.commission_amount,
        referral_rate=deal.referral_rate,
        referral_amount=deal.referral_amount if deal.referral_rate is None else None,
    )


def commission_statement_build(*, deal, agent, actor):
    """Work out (or work out again) the agent's statement of a closed deal as a draft."""
    _require_broker(actor, deal.brokerage_id, "build commission statements")
    if deal.stage != DealStage.CLOSED or deal.closed_on is None:
        raise ValidationError("Only a closed deal has a commission statement.")
    if agent.pk != deal.agent_id:
        raise ValidationError({"agent": "The statement is for the deal's agent."})
    if deal.sale_price is None:
        raise ValidationError("The deal needs its final sale price first.")
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
        deal_commission = deal_commission_for(deal)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc

    with transaction.atomic():
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
    units: int = 0
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
    deals = Transaction.objects.filter(
        agent_id__in=rows, stage=DealStage.CLOSED, closed_on__year=year
    ).only(
        "agent_id",
        "closed_on",
        "sale_price",
        "commission_rate",
        "commission_amount",
        "referral_rate",
        "referral_amount",
    )
    for deal in deals:
        figures = Production(volume=deal.sale_price or ZERO, units=1)
        if deal.sale_price is not None and (
            deal.commission_rate is not None or deal.commission_amount is not None
        ):
            try:
                figures.gci = deal_commission_for(deal).gross_commission
            except (TypeError, ValueError):
                figures.gci = ZERO
        row = rows[deal.agent_id]
        row.totals.add(figures)
        row.months[deal.closed_on.month - 1].add(figures)
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
