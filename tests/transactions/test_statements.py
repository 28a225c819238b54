"""Commission statements of closed deals: the plan in force, the cap ledger, approval, payouts."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from transactions.choices import DealStage, ReviewState, Side
from transactions.commission import CapLedger, DealCommission, commission_calculate
from transactions.models import Milestone, Transaction
from transactions.models.commissions import CommissionPlan, Payout, StatementStatus
from transactions.services.commissions import (
    commission_payout_record,
    commission_statement_approve,
    commission_statement_build,
    plan_assign,
)

pytestmark = pytest.mark.django_db

D = Decimal
_numbers = itertools.count(1)


def make_plan(brokerage, **terms):
    """A saved plan of the brokerage: 80/20 with a $16,000 cap unless told otherwise."""
    terms.setdefault("agent_share", D("0.80"))
    terms.setdefault("cap", D("16000.00"))
    plan = CommissionPlan(brokerage=brokerage, name=terms.pop("name", "Standard"), **terms)
    plan.full_clean()
    plan.save()
    return plan


def close_deal(agent, closed_on, price="500000.00", rate="0.03", **fields):
    """A deal of the agent's, closed on the date (made directly: only its figures matter here)."""
    return Transaction.objects.create(
        brokerage=agent.brokerage,
        agent=agent,
        name=f"{next(_numbers)} Oak St",
        side=fields.pop("side", Side.BUYER),
        stage=fields.pop("stage", DealStage.CLOSED),
        sale_price=D(price),
        commission_rate=D(rate) if rate else None,
        closed_on=closed_on,
        **fields,
    )


def build(deal, broker):
    return commission_statement_build(deal=deal, agent=deal.agent, actor=broker.user)


def pay_in_full(statement, broker):
    """Approve the statement and pay the agent's whole net."""
    commission_statement_approve(statement=statement, actor=broker.user)
    commission_payout_record(
        statement=statement,
        amount=statement.agent_net,
        paid_on=date(2025, 3, 1),
        method="check",
        reference="1001",
        actor=broker.user,
    )
    statement.refresh_from_db()
    return statement


@pytest.fixture
def plan(personas):
    return make_plan(personas.brokerage)


@pytest.fixture
def on_plan(personas, plan):
    return plan_assign(
        agent=personas.agent, plan=plan, starts_on=date(2020, 1, 1), actor=personas.broker.user
    )


def test_statement_matches_the_engine_for_the_plan_in_force(personas, plan, on_plan):
    richer = make_plan(personas.brokerage, name="Senior", agent_share=D("0.90"), cap=None)
    plan_assign(
        agent=personas.agent, plan=richer, starts_on=date(2025, 7, 1), actor=personas.broker.user
    )
    deal = close_deal(personas.agent, date(2025, 3, 10), referral_rate=D("0.25"))

    statement = build(deal, personas.broker)

    expected = commission_calculate(
        deal=DealCommission(D("500000.00"), commission_rate=D("0.03"), referral_rate=D("0.25")),
        plan=plan.as_engine_plan(),
        ledger=CapLedger(),
    )
    assert statement.plan == plan
    assert statement.status == StatementStatus.DRAFT
    assert statement.gross == expected.gross == D("15000.00")
    assert statement.agent_net == expected.agent_net
    assert statement.company_dollar == expected.company_dollar
    assert statement.lines == [
        {
            "label": line.label,
            "amount": str(line.amount),
            "payee": str(line.payee),
            "explanation": line.explanation,
        }
        for line in expected.lines
    ]
    assert statement.ledger_before == {
        "company_dollar": "0.00",
        "royalty": "0.00",
        "gross_commission": "0.00",
    }
    assert (statement.period_start, statement.period_end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_later_deal_uses_the_plan_assigned_from_before_it_closed(personas, on_plan):
    richer = make_plan(personas.brokerage, name="Senior", agent_share=D("0.90"), cap=None)
    plan_assign(
        agent=personas.agent, plan=richer, starts_on=date(2025, 7, 1), actor=personas.broker.user
    )
    statement = build(close_deal(personas.agent, date(2025, 8, 1)), personas.broker)
    # $15,000 gross at 90/10.
    assert statement.plan == richer
    assert statement.agent_net == D("13500.00")


def test_cap_ledger_carries_across_deals_and_resets_next_calendar_year(personas, on_plan):
    # Each $500,000 deal at 3% is $15,000 gross: $3,000 of company dollar at 80/20.
    first = build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)
    second = build(close_deal(personas.agent, date(2025, 5, 1)), personas.broker)
    next_year = build(close_deal(personas.agent, date(2026, 1, 5)), personas.broker)

    assert first.company_dollar == D("3000.00")
    assert second.ledger_before["company_dollar"] == "3000.00"
    assert second.ledger_after["company_dollar"] == "6000.00"
    assert second.cap_remaining == D("10000.00")
    assert next_year.ledger_before["company_dollar"] == "0.00"
    assert next_year.cap_remaining == D("13000.00")


def test_cap_reached_mid_deal_gives_the_agent_the_rest(personas, on_plan):
    # Five deals pay $15,000 of the $16,000 cap; the sixth pays the last $1,000, then 100%.
    for month in range(1, 6):
        build(close_deal(personas.agent, date(2025, month, 1)), personas.broker)
    sixth = build(close_deal(personas.agent, date(2025, 6, 1)), personas.broker)
    assert sixth.ledger_before["company_dollar"] == "15000.00"
    assert sixth.company_dollar == D("1000.00")
    assert sixth.cap_remaining == D("0.00")
    assert sixth.agent_net == D("14000.00")


def test_cap_ledger_follows_the_agents_anniversary(personas):
    plan = make_plan(personas.brokerage, name="Anniversary", cap_reset="anniversary")
    plan_assign(
        agent=personas.agent,
        plan=plan,
        starts_on=date(2020, 1, 1),
        anniversary=date(2019, 4, 15),
        actor=personas.broker.user,
    )
    march = build(close_deal(personas.agent, date(2025, 3, 1)), personas.broker)
    april_14 = build(close_deal(personas.agent, date(2025, 4, 14)), personas.broker)
    april_15 = build(close_deal(personas.agent, date(2025, 4, 15)), personas.broker)

    assert (march.period_start, march.period_end) == (date(2024, 4, 15), date(2025, 4, 14))
    assert april_14.ledger_before["company_dollar"] == "3000.00"
    assert april_15.period_start == date(2025, 4, 15)
    assert april_15.ledger_before["company_dollar"] == "0.00"


def test_ledger_counts_earlier_closings_only_whatever_the_build_order(personas, on_plan):
    later = close_deal(personas.agent, date(2025, 6, 1))
    earlier = close_deal(personas.agent, date(2025, 2, 1))
    build(later, personas.broker)
    earlier_statement = build(earlier, personas.broker)
    assert earlier_statement.ledger_before["company_dollar"] == "0.00"


def test_building_again_replaces_the_draft(personas, on_plan):
    deal = close_deal(personas.agent, date(2025, 2, 1))
    first = build(deal, personas.broker)
    Transaction.objects.filter(pk=deal.pk).update(sale_price=D("600000.00"))
    deal.refresh_from_db()
    again = build(deal, personas.broker)
    assert again.pk == first.pk
    assert again.gross == D("18000.00")


def test_approved_statement_is_not_built_again(personas, on_plan):
    deal = close_deal(personas.agent, date(2025, 2, 1))
    commission_statement_approve(statement=build(deal, personas.broker), actor=personas.broker.user)
    with pytest.raises(ValidationError, match="approved"):
        build(deal, personas.broker)


def test_open_deal_has_no_statement(personas, on_plan):
    deal = close_deal(personas.agent, None, stage=DealStage.PENDING)
    with pytest.raises(ValidationError, match="closed deal"):
        build(deal, personas.broker)


def test_agent_without_a_plan_gets_a_clear_message(personas):
    deal = close_deal(personas.agent, date(2025, 2, 1))
    with pytest.raises(ValidationError, match="no commission plan"):
        build(deal, personas.broker)


@pytest.mark.parametrize("name", ["agent", "colleague", "assistant", "stranger"])
def test_only_the_broker_builds_and_approves(personas, on_plan, name):
    deal = close_deal(personas.agent, date(2025, 2, 1))
    with pytest.raises(PermissionDenied):
        commission_statement_build(deal=deal, agent=personas.agent, actor=personas.user(name))
    statement = build(deal, personas.broker)
    with pytest.raises(PermissionDenied):
        commission_statement_approve(statement=statement, actor=personas.user(name))
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT


def test_team_leader_takes_their_share(personas, plan):
    plan_assign(
        agent=personas.agent,
        plan=plan,
        starts_on=date(2020, 1, 1),
        team_leader=personas.colleague,
        team_leader_share=D("0.25"),
        actor=personas.broker.user,
    )
    statement = build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)
    # $12,000 after the 80/20 split; a quarter to the team leader.
    assert [line["label"] for line in statement.lines][-2:] == ["Team leader share", "Agent net"]
    assert statement.agent_net == D("9000.00")


# ---------- payouts ----------


@pytest.fixture
def approved(personas, on_plan):
    statement = build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)
    return commission_statement_approve(statement=statement, actor=personas.broker.user)


def record(statement, actor, amount):
    return commission_payout_record(
        statement=statement,
        amount=D(amount),
        paid_on=date(2025, 3, 1),
        method="ach",
        reference="T-1",
        actor=actor.user,
    )


def required_item(deal, **fields):
    return Milestone.objects.create(
        transaction=deal, title="Signed closing disclosure", required_for_closing=True, **fields
    )


def test_payout_refused_while_a_required_item_is_not_approved(personas, approved):
    required_item(approved.transaction, review_state=ReviewState.SUBMITTED)
    Milestone.objects.create(transaction=approved.transaction, title="Thank-you card")
    with pytest.raises(ValidationError, match="Signed closing disclosure"):
        record(approved, personas.broker, "100.00")
    assert not Payout.objects.exists()


@pytest.mark.parametrize(
    "fields", [{"review_state": ReviewState.APPROVED}, {"waived_at": timezone.now()}]
)
def test_payout_allowed_once_required_items_are_approved_or_waived(personas, approved, fields):
    required_item(approved.transaction, **fields)
    record(approved, personas.broker, "100.00")
    assert approved.payouts.get().amount == D("100.00")


def test_payouts_cannot_exceed_the_agent_net(personas, approved):
    # $12,000 net: two payouts of $5,000, then $2,000.01 is a cent too many.
    record(approved, personas.broker, "5000.00")
    record(approved, personas.broker, "5000.00")
    with pytest.raises(ValidationError, match=r"Only \$2,000.00"):
        record(approved, personas.broker, "2000.01")
    approved.refresh_from_db()
    assert approved.status == StatementStatus.APPROVED


def test_statement_is_paid_when_payouts_reach_the_net(personas, approved):
    record(approved, personas.broker, "4000.00")
    record(approved, personas.broker, "8000.00")
    approved.refresh_from_db()
    assert approved.status == StatementStatus.PAID
    assert approved.paid_at is not None
    with pytest.raises(ValidationError, match="already paid"):
        record(approved, personas.broker, "1.00")


def test_draft_statement_is_not_paid(personas, on_plan):
    statement = build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)
    with pytest.raises(ValidationError, match="Approve the statement"):
        record(statement, personas.broker, "1.00")


@pytest.mark.parametrize("name", ["agent", "colleague", "assistant", "stranger"])
def test_only_the_broker_records_payouts(personas, approved, name):
    with pytest.raises(PermissionDenied):
        record(approved, getattr(personas, name), "1.00")
    assert not Payout.objects.exists()


def test_paid_statement_is_not_built_again(personas, approved):
    record(approved, personas.broker, str(approved.agent_net))
    with pytest.raises(ValidationError, match="paid"):
        build(approved.transaction, personas.broker)
