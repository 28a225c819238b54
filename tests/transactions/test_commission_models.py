"""Commission plans as the engine sees them, plan versions, and paid statements that stay put."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.transactions.test_statements import build, close_deal, make_plan, pay_in_full
from transactions.commission import CommissionPlan as EnginePlan
from transactions.commission import CommissionTier
from transactions.models.commissions import CommissionPlan, CommissionStatement, PlanAssignment
from transactions.services.commissions import commission_plan_save, plan_assign

pytestmark = pytest.mark.django_db

D = Decimal


def test_plan_becomes_the_engines_plan(personas):
    plan = make_plan(
        personas.brokerage,
        agent_share=None,
        tiers=[
            {"threshold": "0.00", "agent_share": "0.60"},
            {"threshold": "50000.00", "agent_share": "0.80"},
        ],
        royalty_rate=D("0.06"),
        royalty_cap=D("3000.00"),
        transaction_fee=D("395.00"),
    )
    assert plan.as_engine_plan() == EnginePlan(
        tiers=[CommissionTier(D("0.00"), D("0.60")), CommissionTier(D("50000.00"), D("0.80"))],
        cap=D("16000.00"),
        royalty_rate=D("0.06"),
        royalty_cap=D("3000.00"),
        transaction_fee=D("395.00"),
    )


def test_plan_with_two_kinds_of_split_is_invalid(personas):
    plan = CommissionPlan(
        brokerage=personas.brokerage,
        name="Mixed",
        agent_share=D("0.7"),
        flat_company_dollar=D("500"),
    )
    with pytest.raises(ValidationError, match="exactly one"):
        plan.full_clean()


@pytest.fixture
def used_plan(personas):
    plan = make_plan(personas.brokerage)
    plan_assign(
        agent=personas.agent, plan=plan, starts_on=date(2020, 1, 1), actor=personas.broker.user
    )
    statement = build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)
    return plan, statement


def test_changing_a_plan_in_use_makes_a_new_version(personas, used_plan):
    plan, statement = used_plan
    plan.agent_share = D("0.85")
    new_version = commission_plan_save(plan=plan, actor=personas.broker.user)

    assert new_version.pk != statement.plan_id
    assert (new_version.version, new_version.previous_id) == (2, statement.plan_id)
    old = CommissionPlan.objects.get(pk=statement.plan_id)
    assert (old.agent_share, old.is_active) == (D("0.8000"), False)
    statement.refresh_from_db()
    assert statement.plan_id == old.pk
    # The agent is on the new version from now on.
    assert PlanAssignment.objects.get(agent=personas.agent).plan == new_version
    later = build(close_deal(personas.agent, date(2025, 3, 1)), personas.broker)
    assert later.plan == new_version


def test_changing_an_unused_plan_keeps_its_version(personas):
    plan = make_plan(personas.brokerage)
    plan.agent_share = D("0.85")
    saved = commission_plan_save(plan=plan, actor=personas.broker.user)
    assert (saved.pk, saved.version) == (plan.pk, 1)


def test_only_the_broker_changes_plans(personas):
    from django.core.exceptions import PermissionDenied

    plan = make_plan(personas.brokerage)
    plan.agent_share = D("0.99")
    with pytest.raises(PermissionDenied):
        commission_plan_save(plan=plan, actor=personas.agent.user)


def test_paid_statement_refuses_any_change_on_save(personas, used_plan):
    _plan, statement = used_plan
    pay_in_full(statement, personas.broker)
    statement.agent_net = D("1.00")
    with pytest.raises(ValidationError, match="paid"):
        statement.save()
    with pytest.raises(ValidationError, match="paid"):
        statement.delete()
    assert CommissionStatement.objects.get(pk=statement.pk).agent_net == D("12000.00")
