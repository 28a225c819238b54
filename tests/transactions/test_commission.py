from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transactions.commission import (
    CapLedger,
    CapPeriod,
    CapReset,
    CommissionPlan,
    CommissionTier,
    DealCommission,
    Payee,
    TeamSplit,
    commission_calculate,
)

D = Decimal

# Keller Williams style: 70/30, and a 6% franchise royalty capped at $3,000 a year.
KW_PLAN = CommissionPlan(agent_share=D("0.70"), royalty_rate=D("0.06"), royalty_cap=D("3000.00"))
# eXp style: 80/20 until $16,000 of company dollar, then 100% less a $250 fee per deal.
EXP_PLAN = CommissionPlan(agent_share=D("0.80"), cap=D("16000.00"), post_cap_fee=D("250.00"))


def amounts(breakdown):
    return [(line.label, line.amount) for line in breakdown.lines]


def test_kw_style_deal_pays_royalty_then_splits_the_rest():
    # $400,000 at 3% = $12,000.00 gross.
    # Royalty 6% x $12,000 = $720.00 (the $3,000 royalty cap has $3,000 left).
    # Split base $12,000 - $720 = $11,280.00: brokerage 30% = $3,384.00, agent 70% = $7,896.00.
    # $720 + $3,384 + $7,896 = $12,000.
    deal = DealCommission(D("400000.00"), commission_rate=D("0.03"))
    breakdown = commission_calculate(deal=deal, plan=KW_PLAN, ledger=CapLedger())

    assert breakdown.gross == D("12000.00")
    assert amounts(breakdown) == [
        ("Franchise royalty", D("720.00")),
        ("Brokerage split", D("3384.00")),
        ("Agent net", D("7896.00")),
    ]
    assert breakdown.lines[0].payee == Payee.FRANCHISE
    assert breakdown.lines[1].explanation == "70% agent / 30% brokerage on $11,280.00"
    assert breakdown.ledger_after == CapLedger(
        company_dollar=D("3384.00"), royalty=D("720.00"), gross_commission=D("12000.00")
    )


def test_kw_style_royalty_stops_at_its_cap_after_a_referral():
    # $500,000 at 2.5% = $12,500.00 gross; 25% referral = $3,125.00; GCI left $9,375.00.
    # 6% of $9,375 would be $562.50, but only $300.00 of the $3,000 royalty cap is left.
    # Split base $9,375 - $300 = $9,075.00: brokerage 30% = $2,722.50, agent 70% = $6,352.50.
    # $3,125 + $300 + $2,722.50 + $6,352.50 = $12,500.
    deal = DealCommission(D("500000.00"), commission_rate=D("0.025"), referral_rate=D("0.25"))
    ledger = CapLedger(royalty=D("2700.00"))
    breakdown = commission_calculate(deal=deal, plan=KW_PLAN, ledger=ledger)

    assert amounts(breakdown) == [
        ("Referral fee", D("3125.00")),
        ("Franchise royalty", D("300.00")),
        ("Brokerage split", D("2722.50")),
        ("Agent net", D("6352.50")),
    ]
    assert breakdown.lines[1].explanation == (
        "6% of $9,375.00 after the referral fee, up to the $3,000.00 royalty cap ($300.00 left)"
    )
    assert breakdown.ledger_after.royalty == D("3000.00")
    assert breakdown.ledger_after.gross_commission == D("9375.00")

    # Once the royalty cap is reached, the next deal pays no royalty at all.
    next_deal = DealCommission(D("200000.00"), commission_rate=D("0.03"))
    after_cap = commission_calculate(deal=next_deal, plan=KW_PLAN, ledger=breakdown.ledger_after)
    assert after_cap.totals[Payee.FRANCHISE] == D("0.00")
    assert after_cap.totals[Payee.AGENT] == D("4200.00")


def test_exp_style_deal_before_the_cap_pays_the_plain_split():
    # $300,000 at 3% = $9,000.00: brokerage 20% = $1,800.00, agent 80% = $7,200.00.
    deal = DealCommission(D("300000.00"), commission_rate=D("0.03"))
    breakdown = commission_calculate(deal=deal, plan=EXP_PLAN, ledger=CapLedger())

    assert amounts(breakdown) == [("Brokerage split", D("1800.00")), ("Agent net", D("7200.00"))]
    assert breakdown.lines[0].explanation == (
        "80% agent / 20% brokerage on $9,000.00 until the $16,000.00 cap ($16,000.00 left)"
    )
    assert breakdown.cap_remaining == D("14200.00")


def test_exp_style_deal_crossing_the_cap_is_split_across_both_rates():
    # $600,000 at 3% = $18,000.00 gross; $3,200.00 of the $16,000 cap is left.
    # At 20%, the first $3,200 / 0.20 = $16,000.00 fills the cap: brokerage $3,200, agent $12,800.
    # The other $2,000.00 is after the cap at 100%: agent $2,000, less the $250.00 post-cap fee.
    # Agent $12,800 + $2,000 - $250 = $14,550.00; $3,200 + $0 + $250 + $14,550 = $18,000.
    deal = DealCommission(D("600000.00"), commission_rate=D("0.03"))
    ledger = CapLedger(company_dollar=D("12800.00"))
    breakdown = commission_calculate(deal=deal, plan=EXP_PLAN, ledger=ledger)

    assert amounts(breakdown) == [
        ("Brokerage split", D("3200.00")),
        ("Brokerage split after cap", D("0.00")),
        ("Post-cap fee", D("250.00")),
        ("Agent net", D("14550.00")),
    ]
    explanations = [line.explanation for line in breakdown.lines]
    assert explanations == [
        "80% agent / 20% brokerage on $16,000.00 until the $16,000.00 cap ($3,200.00 left)",
        "100% agent / 0% brokerage on $2,000.00 after the $16,000.00 cap",
        "$250.00 per deal after the cap",
        "$14,800.00 from the split, less $250.00 in fees",
    ]
    assert breakdown.company_dollar == D("3200.00")
    assert breakdown.ledger_after.company_dollar == D("16000.00")
    assert breakdown.cap_remaining == D("0.00")


def test_exp_style_capped_agent_keeps_everything_but_the_per_deal_fee():
    # $250,000 at 2.5% = $6,250.00, all after the cap: agent $6,250 - $250 = $6,000.00.
    deal = DealCommission(D("250000.00"), commission_rate=D("0.025"))
    ledger = CapLedger(company_dollar=D("16000.00"))
    breakdown = commission_calculate(deal=deal, plan=EXP_PLAN, ledger=ledger)

    assert breakdown.totals == {
        Payee.BROKERAGE: D("250.00"),
        Payee.AGENT: D("6000.00"),
        Payee.TEAM_LEADER: D("0.00"),
        Payee.REFERRAL: D("0.00"),
        Payee.FRANCHISE: D("0.00"),
    }
    assert breakdown.company_dollar == D("0.00")


def test_post_cap_fee_never_takes_more_than_the_deal_earns_after_the_cap():
    # $3,200 left at 20% fills at $16,000; a $16,100 deal has only $100.00 after the cap,
    # so the $250 fee is limited to $100 and crossing the cap never costs the agent money.
    deal = DealCommission(D("0.00"), commission_amount=D("16100.00"))
    ledger = CapLedger(company_dollar=D("12800.00"))
    breakdown = commission_calculate(deal=deal, plan=EXP_PLAN, ledger=ledger)

    assert dict(amounts(breakdown))["Post-cap fee"] == D("100.00")
    assert breakdown.agent_net == D("12800.00")


def test_team_member_pays_the_team_leader_after_the_brokerage_split_and_fees():
    # $350,000 at 3% = $10,500.00: brokerage 30% = $3,150.00, agent split $7,350.00.
    # The $250.00 transaction fee leaves $7,100.00; the team leader takes 15% = $1,065.00.
    # Agent $7,100 - $1,065 = $6,035.00; $3,150 + $250 + $1,065 + $6,035 = $10,500.
    plan = CommissionPlan(agent_share=D("0.70"), transaction_fee=D("250.00"))
    deal = DealCommission(D("350000.00"), commission_rate=D("0.03"))
    breakdown = commission_calculate(
        deal=deal, plan=plan, ledger=CapLedger(), team=TeamSplit(D("0.15"))
    )

    assert amounts(breakdown) == [
        ("Brokerage split", D("3150.00")),
        ("Transaction fee", D("250.00")),
        ("Team leader share", D("1065.00")),
        ("Agent net", D("6035.00")),
    ]
    assert breakdown.lines[2].payee == Payee.TEAM_LEADER
    assert breakdown.lines[3].explanation == (
        "$7,350.00 from the split, less $250.00 in fees, less $1,065.00 to the team leader"
    )


def test_graduated_tiers_split_a_deal_across_the_threshold_with_the_royalty_first():
    # Year-to-date GCI $45,000; 60% up to $50,000, 70% from there. Royalty 6%, $150 left of it.
    # The royalty comes off the first $150 / 0.06 = $2,500 of the deal.
    # 60% tier: $5,000 of GCI less $150 royalty = $4,850 base: brokerage $1,940, agent $2,910.
    # 70% tier: $5,000 base: brokerage $1,500, agent $3,500. Agent $6,410.00 in all.
    plan = CommissionPlan(
        tiers=[
            (D("0.00"), D("0.60")),
            (D("50000.00"), D("0.70")),
            (D("100000.00"), D("0.80")),
        ],
        royalty_rate=D("0.06"),
        royalty_cap=D("3000.00"),
    )
    deal = DealCommission(D("0.00"), commission_amount=D("10000.00"))
    ledger = CapLedger(royalty=D("2850.00"), gross_commission=D("45000.00"))
    breakdown = commission_calculate(deal=deal, plan=plan, ledger=ledger)

    assert amounts(breakdown) == [
        ("Franchise royalty", D("150.00")),
        ("Brokerage split", D("1940.00")),
        ("Brokerage split", D("1500.00")),
        ("Agent net", D("6410.00")),
    ]
    assert breakdown.lines[2].explanation == (
        "70% agent / 30% brokerage on $5,000.00, the tier from $50,000.00 GCI"
    )
    assert breakdown.ledger_after.gross_commission == D("55000.00")


def test_flat_company_dollar_counts_toward_the_cap_and_stops_at_it():
    plan = CommissionPlan(flat_company_dollar=D("500.00"), cap=D("6000.00"))
    deal = DealCommission(D("300000.00"), commission_rate=D("0.03"))

    fresh = commission_calculate(deal=deal, plan=plan, ledger=CapLedger())
    assert fresh.totals[Payee.BROKERAGE] == D("500.00")
    assert fresh.agent_net == D("8500.00")

    # Only $200 of the cap is left: the brokerage takes $200 and the rest is after the cap.
    nearly_capped = CapLedger(company_dollar=D("5800.00"))
    crossing = commission_calculate(deal=deal, plan=plan, ledger=nearly_capped)
    assert amounts(crossing) == [
        ("Flat company dollar", D("200.00")),
        ("Brokerage split after cap", D("0.00")),
        ("Agent net", D("8800.00")),
    ]
    assert crossing.ledger_after.company_dollar == D("6000.00")


def test_a_cap_filled_at_an_odd_base_leaves_no_stray_cents():
    # $1,000 left at 30% fills at $3,333.33...; the rest ($1,666.66...) is after the cap at 100%.
    # Computed exactly, the brokerage gets exactly $1,000.00 and the agent $4,000.00.
    plan = CommissionPlan(agent_share=D("0.70"), cap=D("20000.00"))
    deal = DealCommission(D("0.00"), commission_amount=D("5000.00"))
    breakdown = commission_calculate(
        deal=deal, plan=plan, ledger=CapLedger(company_dollar=D("19000.00"))
    )

    assert breakdown.company_dollar == D("1000.00")
    assert breakdown.agent_net == D("4000.00")
    assert breakdown.lines[0].explanation.startswith("70% agent / 30% brokerage on $3,333.33")
    assert breakdown.lines[1].explanation.startswith("100% agent / 0% brokerage on $1,666.67")


def test_rounding_gives_the_leftover_cent_to_one_line_only():
    # 50/50 of $100.01 is $50.005 each; rounding each half up would pay out $100.02.
    # Largest remainder: both round down to $50.00 and the tie goes to the earlier line.
    plan = CommissionPlan(agent_share=D("0.50"))
    deal = DealCommission(D("0.00"), commission_amount=D("100.01"))
    breakdown = commission_calculate(deal=deal, plan=plan, ledger=CapLedger())

    assert amounts(breakdown) == [("Brokerage split", D("50.01")), ("Agent net", D("50.00"))]


def test_gross_from_a_rate_is_rounded_half_up_to_the_cent():
    # $333,333 at 2.5% = $8,333.325.
    deal = DealCommission(D("333333.00"), commission_rate=D("0.025"))
    assert deal.gross_commission == D("8333.33")
    deal = DealCommission(D("333335.00"), commission_rate=D("0.025"))
    assert deal.gross_commission == D("8333.38")


def test_calendar_cap_period_is_the_closing_year():
    plan = CommissionPlan(agent_share=D("0.70"), cap_reset=CapReset.CALENDAR)
    assert plan.cap_period(date(2025, 6, 30)) == CapPeriod(date(2025, 1, 1), date(2025, 12, 31))


def test_anniversary_cap_period_runs_from_the_last_anniversary():
    plan = CommissionPlan(agent_share=D("0.70"), cap_reset="anniversary")
    joined = date(2019, 4, 15)
    assert plan.cap_period(date(2025, 4, 14), anniversary=joined) == CapPeriod(
        date(2024, 4, 15), date(2025, 4, 14)
    )
    assert plan.cap_period(date(2025, 4, 15), anniversary=joined) == CapPeriod(
        date(2025, 4, 15), date(2026, 4, 14)
    )


def test_leap_day_anniversary_falls_on_28_february_in_other_years():
    plan = CommissionPlan(agent_share=D("0.70"), cap_reset=CapReset.ANNIVERSARY)
    joined = date(2020, 2, 29)
    assert plan.cap_period(date(2025, 3, 1), anniversary=joined) == CapPeriod(
        date(2025, 2, 28), date(2026, 2, 27)
    )
    assert plan.cap_period(date(2024, 2, 29), anniversary=joined) == CapPeriod(
        date(2024, 2, 29), date(2025, 2, 27)
    )


def test_anniversary_cap_period_needs_the_agents_anniversary():
    plan = CommissionPlan(agent_share=D("0.70"), cap_reset=CapReset.ANNIVERSARY)
    with pytest.raises(ValueError, match="anniversary"):
        plan.cap_period(date(2025, 6, 30))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"agent_share": D("1.20")}, "between 0 and 1"),
        ({"agent_share": D("-0.10")}, "between 0 and 1"),
        ({}, "exactly one of"),
        ({"agent_share": D("0.70"), "tiers": [(D("0"), D("0.6"))]}, "exactly one of"),
        (
            {"tiers": [(D("0"), D("0.6")), (D("50000"), D("0.7")), (D("50000"), D("0.8"))]},
            "increase",
        ),
        (
            {"tiers": [(D("0"), D("0.6")), (D("50000"), D("0.7")), (D("40000"), D("0.8"))]},
            "increase",
        ),
        ({"tiers": [(D("1000"), D("0.6"))]}, "first tier must start at"),
        ({"agent_share": D("0.70"), "cap": D("-1.00")}, "zero or more"),
        ({"agent_share": D("0.70"), "post_cap_fee": D("250.00")}, "needs a cap"),
        ({"agent_share": D("0.70"), "royalty_rate": D("6")}, "between 0 and 1"),
        ({"agent_share": D("0.70"), "transaction_fee": D("9.999")}, "whole cents"),
        ({"agent_share": D("0.70"), "cap_reset": "monthly"}, "not a valid CapReset"),
    ],
)
def test_invalid_plans_are_refused_with_a_clear_message(fields, message):
    with pytest.raises(ValueError, match=message):
        CommissionPlan(**fields)


def test_money_as_float_is_refused():
    with pytest.raises(TypeError, match="must be a Decimal, not float"):
        CommissionPlan(agent_share=0.7)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sale_price": D("-1.00"), "commission_rate": D("0.03")}, "zero or more"),
        ({"sale_price": D("100000.00")}, "either a commission rate"),
        (
            {
                "sale_price": D("100000.00"),
                "commission_rate": D("0.03"),
                "commission_amount": D("3000.00"),
            },
            "either a commission rate",
        ),
        ({"sale_price": D("100000.00"), "commission_rate": D("1.5")}, "between 0 and 1"),
        (
            {
                "sale_price": D("100000.00"),
                "commission_rate": D("0.03"),
                "referral_amount": D("3000.01"),
            },
            "more than the gross commission",
        ),
        (
            {
                "sale_price": D("100000.00"),
                "commission_rate": D("0.03"),
                "referral_rate": D("0.25"),
                "referral_amount": D("100.00"),
            },
            "not both",
        ),
    ],
)
def test_invalid_deals_are_refused_with_a_clear_message(fields, message):
    with pytest.raises(ValueError, match=message):
        DealCommission(**fields)


def test_invalid_ledgers_and_team_splits_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        CapLedger(company_dollar=D("-5.00"))
    with pytest.raises(ValueError, match="between 0 and 1"):
        TeamSplit(D("1.01"))


def money(max_dollars):
    return st.integers(0, max_dollars * 100).map(lambda cents: D(cents).scaleb(-2))


def fractions(max_thousandths=1000):
    return st.integers(0, max_thousandths).map(lambda thousandths: D(thousandths).scaleb(-3))


@st.composite
def commission_plans(draw):
    split_kind = draw(st.sampled_from(["share", "tiers", "flat"]))
    if split_kind == "share":
        split = {"agent_share": draw(fractions())}
    elif split_kind == "tiers":
        thresholds = sorted(draw(st.sets(st.integers(1, 300_000), max_size=3)))
        split = {
            "tiers": [CommissionTier(D("0.00"), draw(fractions()))]
            + [CommissionTier(D(threshold), draw(fractions())) for threshold in thresholds]
        }
    else:
        split = {"flat_company_dollar": draw(money(5_000))}
    cap = draw(st.none() | money(50_000))
    after_cap = {}
    if cap is not None:
        after_cap = {"post_cap_agent_share": draw(fractions()), "post_cap_fee": draw(money(1_000))}
    return CommissionPlan(
        **split,
        cap=cap,
        **after_cap,
        royalty_rate=draw(st.sampled_from([D("0"), D("0.06")]) | fractions(200)),
        royalty_cap=draw(st.none() | money(5_000)),
        transaction_fee=draw(money(1_000)),
        eo_fee=draw(money(200)),
    )


@st.composite
def deals(draw):
    if draw(st.booleans()):
        deal = DealCommission(draw(money(5_000_000)), commission_rate=draw(fractions(100)))
    else:
        deal = DealCommission(draw(money(0)), commission_amount=draw(money(200_000)))
    referral_kind = draw(st.sampled_from(["none", "rate", "amount"]))
    if referral_kind == "rate":
        deal = replace(deal, referral_rate=draw(fractions(500)))
    elif referral_kind == "amount":
        gross_cents = int(deal.gross_commission * 100)
        referral_cents = draw(st.integers(0, gross_cents))
        deal = replace(deal, referral_amount=D(referral_cents).scaleb(-2))
    return deal


ledgers = st.builds(
    CapLedger,
    company_dollar=money(60_000),
    royalty=money(6_000),
    gross_commission=money(500_000),
)
teams = st.none() | st.builds(TeamSplit, fractions(500))

fast = settings(max_examples=200, deadline=None)


@fast
@given(deal=deals(), plan=commission_plans(), ledger=ledgers, team=teams)
def test_lines_are_whole_cents_never_negative_and_add_up_to_the_gross(deal, plan, ledger, team):
    breakdown = commission_calculate(deal=deal, plan=plan, ledger=ledger, team=team)

    assert sum(line.amount for line in breakdown.lines) == breakdown.gross == deal.gross_commission
    assert sum(breakdown.totals.values()) == breakdown.gross
    for line in breakdown.lines:
        assert line.amount >= 0
        assert line.amount == line.amount.quantize(D("0.01"))


@fast
@given(deal=deals(), plan=commission_plans(), ledger=ledgers, team=teams)
def test_caps_are_never_exceeded_and_the_ledger_adds_this_deal(deal, plan, ledger, team):
    breakdown = commission_calculate(deal=deal, plan=plan, ledger=ledger, team=team)

    if plan.cap is not None:
        assert breakdown.company_dollar <= max(plan.cap - ledger.company_dollar, D("0"))
    if plan.royalty_cap is not None:
        royalty_left = max(plan.royalty_cap - ledger.royalty, D("0"))
        assert breakdown.totals[Payee.FRANCHISE] <= royalty_left
    referral = breakdown.totals[Payee.REFERRAL]
    assert breakdown.ledger_after == CapLedger(
        company_dollar=ledger.company_dollar + breakdown.company_dollar,
        royalty=ledger.royalty + breakdown.totals[Payee.FRANCHISE],
        gross_commission=ledger.gross_commission + breakdown.gross - referral,
    )


@fast
@given(
    deal=deals(),
    plan=commission_plans(),
    ledger=ledgers,
    team=teams,
    raise_by=money(500_000),
)
def test_a_higher_price_never_pays_the_agent_less(deal, plan, ledger, team, raise_by):
    if deal.commission_rate is not None:
        higher = replace(deal, sale_price=deal.sale_price + raise_by)
    else:
        higher = replace(deal, commission_amount=deal.commission_amount + raise_by)
    lower_net = commission_calculate(deal=deal, plan=plan, ledger=ledger, team=team).agent_net
    higher_net = commission_calculate(deal=higher, plan=plan, ledger=ledger, team=team).agent_net

    assert higher_net >= lower_net - D("0.01")
