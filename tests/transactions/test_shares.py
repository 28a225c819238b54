"""Commission per side of a dual deal, co-agents' shares, and cap ledgers worked out again."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.testing.factories import make_agent
from tests.transactions.test_statements import build, close_deal, make_plan
from transactions.choices import DealStage, Side
from transactions.commission import split_by_shares
from transactions.models import CommissionShare, Transaction
from transactions.models.commissions import CommissionStatement, StatementStatus
from transactions.services.commissions import (
    agent_production,
    commission_statement_approve,
    commission_statements_build,
    deal_shares_set,
    deal_split,
    plan_assign,
)
from transactions.services.deals import deal_co_agents_set, deal_update

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def partner(personas):
    """A second agent of the brokerage who works deals with the agent."""
    return make_agent(personas.brokerage, username="pat")


@pytest.fixture
def plans(personas, partner):
    """The agent on 80/20 capped at $16,000, the partner on 70/30 uncapped."""
    standard = make_plan(personas.brokerage)
    senior = make_plan(personas.brokerage, name="Seventy", agent_share=D("0.70"), cap=None)
    for agent, plan in ((personas.agent, standard), (partner, senior)):
        plan_assign(agent=agent, plan=plan, starts_on=date(2020, 1, 1), actor=personas.broker.user)
    return standard, senior


def shared_deal(personas, partner, share="0.40", **fields):
    deal = close_deal(personas.agent, date(2025, 3, 1), **fields)
    deal_co_agents_set(deal=deal, agents=[partner])
    deal_shares_set(deal=deal, shares={partner: D(share)}, actor=personas.agent.user)
    return deal


# ---------- dual deals ----------


def test_dual_deal_earns_both_sides_and_shows_each(personas, plans):
    deal = close_deal(
        personas.agent,
        date(2025, 3, 1),
        side=Side.DUAL,
        buyer_side_commission_rate=D("0.025"),
    )
    [statement] = commission_statements_build(deal=deal, actor=personas.broker.user)
    # 3% and 2.5% of $500,000.
    assert statement.gross == D("27500.00")
    assert statement.gross_steps == [
        {
            "label": "Listing side",
            "amount": "15000.00",
            "explanation": "3% of the $500,000.00 price",
        },
        {
            "label": "Buyer side",
            "amount": "12500.00",
            "explanation": "2.5% of the $500,000.00 price",
        },
        {"label": "Gross commission", "amount": "27500.00", "explanation": "Both sides together"},
    ]
    assert sum(D(line["amount"]) for line in statement.lines) == statement.gross


def test_dual_deal_without_buyer_side_terms_says_so(personas, plans):
    deal = close_deal(personas.agent, date(2025, 3, 1), side=Side.DUAL)
    with pytest.raises(ValidationError, match="buyer side needs"):
        commission_statements_build(deal=deal, actor=personas.broker.user)


def test_buyer_side_commission_only_on_dual_deals(personas):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    with pytest.raises(ValidationError) as raised:
        deal_update(
            deal=deal, data={"buyer_side_commission_rate": D("0.02")}, actor=personas.agent.user
        )
    assert "buyer_side_commission_rate" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        deal_update(
            deal=deal,
            data={
                "side": Side.DUAL,
                "buyer_side_commission_rate": D("0.02"),
                "buyer_side_commission_amount": D("9000.00"),
            },
            actor=personas.agent.user,
        )
    assert "buyer_side_commission_amount" in raised.value.message_dict
    deal.refresh_from_db()
    assert deal.side == Side.BUYER


# ---------- co-agents' shares ----------


def test_each_agent_gets_a_statement_of_their_share(personas, partner, plans):
    deal = shared_deal(personas, partner)
    statements = commission_statements_build(deal=deal, actor=personas.broker.user)
    by_agent = {statement.agent_id: statement for statement in statements}
    mine, theirs = by_agent[personas.agent.pk], by_agent[partner.pk]
    assert (mine.gross, theirs.gross) == (D("9000.00"), D("6000.00"))
    assert mine.gross + theirs.gross == D("15000.00")
    # Each share goes through the agent's own plan.
    assert mine.agent_net == D("7200.00")
    assert theirs.agent_net == D("4200.00")
    assert theirs.gross_steps[-1] == {
        "label": f"{partner.name}'s share",
        "amount": "6000.00",
        "explanation": "40% of the $15,000.00 gross",
    }


def test_flat_referral_fee_comes_off_each_share(personas, partner, plans):
    deal = shared_deal(personas, partner, share="0.5", referral_amount=D("3000.01"))
    statements = commission_statements_build(deal=deal, actor=personas.broker.user)
    referrals = [
        D(line["amount"])
        for statement in statements
        for line in statement.lines
        if line["payee"] == "referral"
    ]
    assert sorted(referrals) == [D("1500.00"), D("1500.01")]


@given(
    total_cents=st.integers(min_value=0, max_value=10**10),
    weights=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
)
def test_shares_always_add_up_to_the_gross_to_the_cent(total_cents, weights):
    total = D(total_cents).scaleb(-2)
    shares = [(D(weight) / sum(weights)).quantize(D("0.0001")) for weight in weights]
    shares[0] += D(1) - sum(shares)
    if not 0 <= shares[0] <= 1:
        return
    parts = split_by_shares(total, shares)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    for part, share in zip(parts, shares, strict=True):
        assert abs(part - total * share) < D("0.01")


def test_a_co_agent_sees_their_statement_not_the_agents(personas, partner, plans):
    from realestate.permissions import restrict

    deal = shared_deal(personas, partner)
    commission_statements_build(deal=deal, actor=personas.broker.user)
    seen = restrict(CommissionStatement.objects.all(), partner.user)
    assert [statement.agent_id for statement in seen] == [partner.pk]


def test_shares_are_for_co_agents_and_add_up_to_at_most_the_whole(personas, partner):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    with pytest.raises(ValidationError, match="not a co-agent"):
        deal_shares_set(deal=deal, shares={partner: D("0.5")}, actor=personas.agent.user)
    other = make_agent(personas.brokerage, username="otto")
    deal_co_agents_set(deal=deal, agents=[partner, other])
    with pytest.raises(ValidationError, match="more than the whole"):
        deal_shares_set(
            deal=deal, shares={partner: D("0.6"), other: D("0.5")}, actor=personas.agent.user
        )
    assert not CommissionShare.objects.exists()


def test_only_who_may_change_the_deal_shares_it(personas, partner):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    deal_co_agents_set(deal=deal, agents=[partner])
    for name in ("colleague", "stranger", "viewer"):
        with pytest.raises(PermissionDenied):
            deal_shares_set(deal=deal, shares={partner: D("0.5")}, actor=personas.user(name))
    assert not CommissionShare.objects.exists()


def test_shares_are_fixed_once_a_statement_is_approved(personas, partner, plans):
    deal = shared_deal(personas, partner)
    statements = commission_statements_build(deal=deal, actor=personas.broker.user)
    commission_statement_approve(statement=statements[0], actor=personas.broker.user)
    with pytest.raises(ValidationError, match="approved or paid"):
        deal_shares_set(deal=deal, shares={partner: D("0.9")}, actor=personas.broker.user)
    assert CommissionShare.objects.get().share == D("0.4")


def test_a_co_agent_taken_off_the_deal_loses_their_share(personas, partner):
    deal = shared_deal(personas, partner)
    deal_co_agents_set(deal=deal, agents=[])
    assert not CommissionShare.objects.filter(transaction=deal).exists()
    assert [part.agent for part in deal_split(deal=deal).parts] == [personas.agent]


def test_production_credits_each_agent_their_share(personas, partner, plans):
    shared_deal(personas, partner)
    close_deal(personas.agent, date(2025, 4, 1))
    report = agent_production(year=2025, brokerage=personas.brokerage)
    rows = {row.agent.pk: row.totals for row in report.rows}
    assert rows[partner.pk].units == D("0.4")
    assert rows[partner.pk].volume == D("200000.00")
    assert rows[partner.pk].gci == D("6000.00")
    assert rows[personas.agent.pk].units == D("1.6")
    assert rows[personas.agent.pk].gci == D("24000.00")
    assert report.totals.units == 2
    assert report.totals.volume == D("1000000.00")


# ---------- the cap ledger in closing order ----------


def test_an_earlier_closing_built_late_works_the_later_drafts_out_again(personas, plans):
    later = build(close_deal(personas.agent, date(2025, 6, 1)), personas.broker)
    approved_even_later = build(close_deal(personas.agent, date(2025, 9, 1)), personas.broker)
    commission_statement_approve(statement=approved_even_later, actor=personas.broker.user)
    assert later.ledger_before["company_dollar"] == "0.00"

    build(close_deal(personas.agent, date(2025, 2, 1)), personas.broker)

    later.refresh_from_db()
    assert later.ledger_before["company_dollar"] == "3000.00"
    assert later.ledger_after["company_dollar"] == "6000.00"
    assert later.cap_remaining == D("10000.00")
    # What the broker approved stays as approved.
    approved_even_later.refresh_from_db()
    assert approved_even_later.status == StatementStatus.APPROVED
    assert approved_even_later.ledger_before["company_dollar"] == "3000.00"


# ---------- pages and API ----------


def shares_url(deal):
    return reverse("transactions:shares", args=[deal.pk])


@pytest.mark.parametrize(
    ("name", "saved", "code"),
    [
        ("agent", True, 302),
        ("broker", True, 302),
        ("colleague", False, 404),
        ("stranger", False, 404),
        ("anonymous", False, 302),
    ],
)
def test_share_form_per_persona(client_for, personas, partner, name, saved, code):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    deal_co_agents_set(deal=deal, agents=[partner])
    response = client_for(name).post(shares_url(deal), {f"share_{partner.pk}": "25"})
    assert response.status_code == code
    assert CommissionShare.objects.filter(transaction=deal).exists() is saved
    if saved:
        assert CommissionShare.objects.get().share == D("0.25")


def test_deal_page_shows_the_split_and_the_share_form(client_for, personas, partner):
    deal = close_deal(
        personas.agent,
        date(2025, 3, 1),
        stage=DealStage.PENDING,
        side=Side.DUAL,
        buyer_side_commission_amount=D("10000.00"),
    )
    deal_co_agents_set(deal=deal, agents=[partner])
    deal_shares_set(deal=deal, shares={partner: D("0.5")}, actor=personas.agent.user)
    html = client_for("agent").get(deal.get_absolute_url()).content.decode()
    assert 'id="commission-split"' in html
    assert "Flat commission of $10,000.00" in html
    assert "$12,500.00" in html  # each agent's half of $25,000
    assert 'id="shares-form"' in html
    assert (
        'id="shares-form"' not in client_for("viewer").get(deal.get_absolute_url()).content.decode()
    )


def test_statement_page_shows_how_the_gross_is_reached(client_for, personas, partner, plans):
    deal = shared_deal(personas, partner)
    statements = commission_statements_build(deal=deal, actor=personas.broker.user)
    theirs = next(statement for statement in statements if statement.agent_id == partner.pk)
    html = client_for("broker").get(theirs.get_absolute_url()).content.decode()
    assert 'id="gross-steps"' in html
    assert "40% of the $15,000.00 gross" in html


def api_shares(deal):
    return reverse("transaction-shares", args=[deal.pk])


@pytest.mark.parametrize(
    ("name", "code"),
    [("agent", 200), ("broker", 200), ("colleague", 404), ("stranger", 404), ("anonymous", 401)],
)
def test_api_shares_per_persona(api_for, personas, partner, name, code):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    deal_co_agents_set(deal=deal, agents=[partner])
    body = {"shares": [{"agent": partner.pk, "share": "0.3000"}]}
    response = api_for(name).post(api_shares(deal), body, format="json")
    assert response.status_code == code
    if code == 200:
        assert response.json()["commission_shares"] == [
            {"agent": partner.pk, "agent_name": partner.name, "share": "0.3000"}
        ]
    else:
        assert not CommissionShare.objects.exists()


def test_api_shares_refuses_strangers_to_the_deal_with_a_field_error(api_for, personas, partner):
    deal = close_deal(personas.agent, date(2025, 3, 1), stage=DealStage.PENDING)
    response = api_for("agent").post(
        api_shares(deal), {"shares": [{"agent": partner.pk, "share": "0.3"}]}, format="json"
    )
    assert response.status_code == 400
    assert "not a co-agent" in str(response.json())
    stranger = personas.stranger
    response = api_for("agent").post(
        api_shares(deal), {"shares": [{"agent": stranger.pk, "share": "0.3"}]}, format="json"
    )
    assert response.status_code == 400
    assert Transaction.objects.get(pk=deal.pk).commission_shares.count() == 0
