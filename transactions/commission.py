"""The commission calculation for one side of a closed deal, as pure functions over dataclasses.

A deal's commission goes, in this order: gross commission, referral fee off the top, franchise
royalty, the brokerage split (across cap and tier thresholds), post-split fees charged to the
agent, the team leader's share, and what the agent keeps. Each step is a line paid to one payee,
and the lines add up to the gross to the cent.

Rounding: the gross is rounded to the cent (half up) because that is what the closing pays. Every
other amount is computed exactly (as a fraction, so a cap filled at 30% leaves no stray digits) and
rounded once, by the largest-remainder rule: each line is rounded down to the cent, and the cents
still missing from the gross go one each to the lines with the largest remainders, the earlier line
first on a tie. The split lines that count toward the cap are rounded as one group first, so
rounding can never take an agent past the cap.
"""

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal("1")


class Payee(StrEnum):
    """Who a commission line is paid to."""

    BROKERAGE = "brokerage"
    AGENT = "agent"
    TEAM_LEADER = "team_leader"
    REFERRAL = "referral"
    FRANCHISE = "franchise"


class CapReset(StrEnum):
    """When a plan's cap and royalty cap start again."""

    ANNIVERSARY = "anniversary"
    CALENDAR = "calendar"


def _check_money(name, value):
    """Reject a money amount that is not a non-negative Decimal in whole cents."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}.")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be zero or more, not {value}.")
    if value % CENT:
        raise ValueError(f"{name} must be in whole cents, not {value}.")


def _check_share(name, value):
    """Reject a share or rate that is not a Decimal fraction between 0 and 1."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}.")
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1 (0.70 for 70%), not {value}.")


def _money(amount):
    """Format a Decimal or an exact fraction as dollars, rounded half up to the cent."""
    cents = math.floor(Fraction(amount) * 100 + Fraction(1, 2))
    return f"${Decimal(cents).scaleb(-2):,.2f}"


def _percent(share):
    """Format a Decimal fraction as a percentage: 0.70 as 70%, 0.055 as 5.5%."""
    return f"{(share * 100).normalize():f}%"


class CommissionTier(NamedTuple):
    """One step of a graduated plan: the agent's share once year-to-date GCI reaches threshold."""

    threshold: Decimal
    agent_share: Decimal


@dataclass(frozen=True)
class CapPeriod:
    """The dates one cap ledger covers, both inclusive."""

    start: date
    end: date


def _anniversary_in(year, anniversary):
    """The anniversary's day in the given year."""
    # An agent who joined on 29 February starts a new period on 28 February in other years.
    if (anniversary.month, anniversary.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return anniversary.replace(year=year)


@dataclass(frozen=True)
class CommissionPlan:
    """How a brokerage splits an agent's commission: split, cap, royalty and per-deal fees.

    The split is exactly one of: `agent_share` (0.70 for 70/30), graduated `tiers` by year-to-date
    GCI, or `flat_company_dollar` per deal. Company dollar from the split (or the flat amount)
    counts toward `cap`; after the cap the agent gets `post_cap_agent_share` and pays
    `post_cap_fee` per deal. The royalty is a rate on GCI after referral fees with its own cap.
    Transaction and E&O fees come out of the agent's share and do not count toward the cap.
    """

    agent_share: Decimal | None = None
    tiers: Sequence[CommissionTier] = ()
    flat_company_dollar: Decimal | None = None
    cap: Decimal | None = None
    post_cap_agent_share: Decimal = ONE
    post_cap_fee: Decimal = ZERO
    royalty_rate: Decimal = ZERO
    royalty_cap: Decimal | None = None
    transaction_fee: Decimal = ZERO
    eo_fee: Decimal = ZERO
    cap_reset: CapReset = CapReset.CALENDAR

    def __post_init__(self):
        object.__setattr__(self, "tiers", tuple(CommissionTier(*tier) for tier in self.tiers))
        object.__setattr__(self, "cap_reset", CapReset(self.cap_reset))
        split_kinds = [
            self.agent_share is not None,
            bool(self.tiers),
            self.flat_company_dollar is not None,
        ]
        if sum(split_kinds) != 1:
            raise ValueError(
                "A plan needs exactly one of an agent share, graduated tiers or a flat company "
                "dollar per deal."
            )
        if self.agent_share is not None:
            _check_share("The agent share", self.agent_share)
        if self.flat_company_dollar is not None:
            _check_money("The flat company dollar", self.flat_company_dollar)
        self._check_tiers()
        if self.cap is not None:
            _check_money("The cap", self.cap)
        elif self.post_cap_agent_share != 1 or self.post_cap_fee != 0:
            raise ValueError("A post-cap split or post-cap fee needs a cap.")
        _check_share("The post-cap agent share", self.post_cap_agent_share)
        _check_money("The post-cap fee", self.post_cap_fee)
        _check_share("The royalty rate", self.royalty_rate)
        if self.royalty_cap is not None:
            _check_money("The royalty cap", self.royalty_cap)
        _check_money("The transaction fee", self.transaction_fee)
        _check_money("The E&O fee", self.eo_fee)

    def _check_tiers(self):
        """Tiers start at $0 of GCI and their thresholds strictly increase."""
        previous = None
        for tier in self.tiers:
            _check_money("A tier threshold", tier.threshold)
            _check_share("A tier's agent share", tier.agent_share)
            if previous is None and tier.threshold != 0:
                raise ValueError(
                    f"The first tier must start at $0.00, not {_money(tier.threshold)}."
                )
            if previous is not None and tier.threshold <= previous:
                raise ValueError(
                    f"Tier thresholds must increase: {_money(tier.threshold)} comes after "
                    f"{_money(previous)}."
                )
            previous = tier.threshold

    def cap_period(self, closing_date, *, anniversary=None):
        """The cap period a deal closing on this date counts toward.

        The anniversary is the agent's (plans are templates shared by many agents).
        """
        if self.cap_reset == CapReset.CALENDAR:
            return CapPeriod(date(closing_date.year, 1, 1), date(closing_date.year, 12, 31))
        if anniversary is None:
            raise ValueError("A plan that resets on the anniversary needs the agent's anniversary.")
        start = _anniversary_in(closing_date.year, anniversary)
        if start > closing_date:
            start = _anniversary_in(closing_date.year - 1, anniversary)
        end = _anniversary_in(start.year + 1, anniversary) - timedelta(days=1)
        return CapPeriod(start, end)

    def _tier_at(self, gross_commission):
        """The tier in force at this year-to-date GCI, and where the next one starts."""
        thresholds = [Fraction(tier.threshold) for tier in self.tiers]
        index = max(i for i, threshold in enumerate(thresholds) if threshold <= gross_commission)
        following = thresholds[index + 1] if index + 1 < len(thresholds) else None
        return self.tiers[index], following


@dataclass(frozen=True)
class TeamSplit:
    """A team member's deal: the team leader takes a share of what the agent keeps."""

    leader_share: Decimal

    def __post_init__(self):
        _check_share("The team leader share", self.leader_share)


@dataclass(frozen=True)
class CapLedger:
    """What an agent has paid and earned so far in one plan period."""

    company_dollar: Decimal = ZERO
    royalty: Decimal = ZERO
    # GCI after referral fees: what graduated tiers are measured on.
    gross_commission: Decimal = ZERO

    def __post_init__(self):
        _check_money("Company dollar paid so far", self.company_dollar)
        _check_money("Royalty paid so far", self.royalty)
        _check_money("Gross commission so far", self.gross_commission)


@dataclass(frozen=True)
class DealCommission:
    """One side of a closed deal: its price, commission and referral fee.

    Rates are fractions of the price or of the gross (0.03 for 3%); a flat amount replaces a rate.
    """

    sale_price: Decimal
    commission_rate: Decimal | None = None
    commission_amount: Decimal | None = None
    referral_rate: Decimal | None = None
    referral_amount: Decimal | None = None

    def __post_init__(self):
        _check_money("The sale price", self.sale_price)
        if (self.commission_rate is None) == (self.commission_amount is None):
            raise ValueError("A deal needs either a commission rate or a flat commission amount.")
        if self.commission_rate is not None:
            _check_share("The commission rate", self.commission_rate)
        else:
            _check_money("The commission amount", self.commission_amount)
        if self.referral_rate is not None and self.referral_amount is not None:
            raise ValueError("A referral fee is either a rate or a flat amount, not both.")
        if self.referral_rate is not None:
            _check_share("The referral rate", self.referral_rate)
        if self.referral_amount is not None:
            _check_money("The referral amount", self.referral_amount)
            if self.referral_amount > self.gross_commission:
                raise ValueError(
                    f"The referral fee of {_money(self.referral_amount)} is more than the gross "
                    f"commission of {_money(self.gross_commission)}."
                )

    @property
    def gross_commission(self):
        """The commission this side earns, rounded half up to the cent."""
        if self.commission_amount is not None:
            return self.commission_amount
        return (self.sale_price * self.commission_rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class GrossStep:
    """One step from a deal's price to the gross commission on an agent's statement."""

    label: str
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class SideCommission:
    """The commission of one side of a deal: a rate of the price or a flat amount."""

    label: str
    sale_price: Decimal
    rate: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self):
        _check_money("The sale price", self.sale_price)
        if (self.rate is None) == (self.amount is None):
            raise ValueError(
                f"The {self.label.lower()} needs either a commission rate or a flat amount."
            )
        if self.rate is not None:
            _check_share("The commission rate", self.rate)
        else:
            _check_money("The commission amount", self.amount)

    @property
    def gross(self):
        """This side's commission, rounded half up to the cent."""
        if self.amount is not None:
            return self.amount
        return (self.sale_price * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)

    def step(self):
        if self.amount is not None:
            explanation = f"Flat commission of {_money(self.amount)}"
        else:
            explanation = f"{_percent(self.rate)} of the {_money(self.sale_price)} price"
        return GrossStep(self.label, self.gross, explanation)


def share_step(name, share, of_gross, amount):
    """The step that takes an agent's share of a deal's gross commission."""
    return GrossStep(
        f"{name}'s share", amount, f"{_percent(share)} of the {_money(of_gross)} gross"
    )


def split_by_shares(total, shares):
    """``total`` split by ``shares`` (which add up to 1) in whole cents that add up to it.

    The largest-remainder rule of the module docstring, the earlier share first on a tie.
    """
    _check_money("The amount to split", total)
    shares = list(shares)
    for share in shares:
        _check_share("A share", share)
    if sum(shares, Decimal(0)) != ONE:
        raise ValueError("The agents' shares must add up to 100%.")
    exact = [Fraction(total) * Fraction(share) for share in shares]
    return [Decimal(cents).scaleb(-2) for cents in _largest_remainder(exact, int(total * 100))]


@dataclass(frozen=True)
class CommissionLine:
    """One step of a commission: an amount paid to a payee, and why."""

    label: str
    amount: Decimal
    payee: Payee
    explanation: str


@dataclass(frozen=True)
class CommissionBreakdown:
    """A deal's commission as lines that add up to the gross, and the agent's ledger after it."""

    gross: Decimal
    lines: tuple[CommissionLine, ...]
    # This deal's company dollar toward the cap (the split or flat amount before the cap).
    company_dollar: Decimal
    ledger_after: CapLedger
    cap_remaining: Decimal | None

    @property
    def totals(self):
        """The amount each payee receives, zero for a payee with no line."""
        totals = dict.fromkeys(Payee, ZERO)
        for line in self.lines:
            totals[line.payee] += line.amount
        return totals

    @property
    def agent_net(self):
        """What the agent takes home from this deal."""
        return self.totals[Payee.AGENT]


# Kinds of split part, each shown as its own brokerage line.
_SPLIT = "split"
_FLAT = "flat"
_FLAT_REST = "flat_rest"
_POST_CAP = "post_cap"


@dataclass
class _SplitPart:
    """A stretch of the deal over which the split stays the same."""

    kind: str
    agent_share: Decimal
    tier_threshold: Decimal | None
    cap_left: Fraction | None
    base: Fraction = Fraction(0)

    def same_split(self, other):
        """Whether two stretches show as one brokerage line."""
        return (self.kind, self.agent_share, self.tier_threshold) == (
            other.kind,
            other.agent_share,
            other.tier_threshold,
        )

    @property
    def brokerage(self):
        return self.base * (1 - Fraction(self.agent_share))

    @property
    def agent(self):
        return self.base * Fraction(self.agent_share)


@dataclass
class _Walk:
    """The royalty and the split parts of one deal's GCI."""

    royalty: Fraction = Fraction(0)
    royalty_left: Fraction | None = None
    parts: list[_SplitPart] = field(default_factory=list)


def _walk(gross_commission, plan, ledger):
    """Split the deal's GCI (after referral) into stretches with one royalty rate and one split.

    The deal's dollars are taken in order, continuing the agent's year: the royalty comes off the
    first dollars until its cap, and each tier or cap threshold starts a new split where it falls.
    Because a higher price only adds dollars at the end, it never lowers what the agent keeps.
    """
    royalty_rate = Fraction(plan.royalty_rate)
    walk = _Walk()
    if plan.royalty_cap is not None:
        walk.royalty_left = max(Fraction(plan.royalty_cap) - Fraction(ledger.royalty), 0)
    cap_left = None
    if plan.cap is not None:
        cap_left = max(Fraction(plan.cap) - Fraction(ledger.company_dollar), 0)
    flat_left = None
    if plan.flat_company_dollar is not None:
        flat_left = Fraction(plan.flat_company_dollar)
    year_gci = Fraction(ledger.gross_commission)
    left = gross_commission
    while left > 0:
        length = left
        rate = royalty_rate
        if walk.royalty_left == 0:
            rate = Fraction(0)
        elif walk.royalty_left is not None and rate > 0:
            length = min(length, walk.royalty_left / rate)

        tier_threshold = None
        if cap_left == 0:
            kind, agent_share = _POST_CAP, plan.post_cap_agent_share
        elif flat_left is not None:
            kind, agent_share = (_FLAT, Decimal(0)) if flat_left > 0 else (_FLAT_REST, ONE)
        elif plan.tiers:
            tier, next_threshold = plan._tier_at(year_gci)
            kind, agent_share, tier_threshold = _SPLIT, tier.agent_share, tier.threshold
            if next_threshold is not None:
                length = min(length, next_threshold - year_gci)
        else:
            kind, agent_share = _SPLIT, plan.agent_share

        company_rate = (1 - rate) * (1 - Fraction(agent_share))
        if kind != _POST_CAP and company_rate > 0:
            if cap_left is not None:
                length = min(length, cap_left / company_rate)
            if flat_left is not None:
                length = min(length, flat_left / company_rate)

        part = _SplitPart(kind, agent_share, tier_threshold, cap_left)
        # A royalty cap reached mid-split changes the base, not the split: one line, not two.
        if walk.parts and walk.parts[-1].same_split(part):
            part = walk.parts[-1]
        else:
            walk.parts.append(part)
        part.base += length * (1 - rate)

        walk.royalty += length * rate
        if walk.royalty_left is not None:
            walk.royalty_left -= length * rate
        if kind != _POST_CAP:
            company_dollar = length * company_rate
            if cap_left is not None:
                cap_left -= company_dollar
            if flat_left is not None:
                flat_left -= company_dollar
        year_gci += length
        left -= length
    return walk


def _largest_remainder(amounts, total_cents):
    """Whole cents for each exact amount, adding up to total_cents (see the module docstring)."""
    exact_cents = [amount * 100 for amount in amounts]
    cents = [math.floor(amount) for amount in exact_cents]
    missing = total_cents - sum(cents)
    by_remainder = sorted(range(len(cents)), key=lambda i: (cents[i] - exact_cents[i], i))
    for i in by_remainder[:missing]:
        cents[i] += 1
    return cents


def _round_lines(amounts, groups, total_cents):
    """Round every amount once to add up to total_cents, rounding each group as a whole first."""
    members = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    group_totals = [sum(amounts[i] for i in indexes) for indexes in members.values()]
    group_cents = _largest_remainder(group_totals, total_cents)
    cents = [0] * len(amounts)
    for indexes, target in zip(members.values(), group_cents, strict=True):
        for i, line_cents in zip(
            indexes, _largest_remainder([amounts[i] for i in indexes], target), strict=True
        ):
            cents[i] = line_cents
    return [Decimal(line_cents).scaleb(-2) for line_cents in cents]


def _split_explanation(part, plan):
    """Why a split part gives the brokerage what it does."""
    agent_share = _percent(part.agent_share)
    brokerage_share = _percent(ONE - part.agent_share)
    if part.kind == _POST_CAP:
        return (
            f"{agent_share} agent / {brokerage_share} brokerage on {_money(part.base)} after the "
            f"{_money(plan.cap)} cap"
        )
    if part.kind == _FLAT_REST:
        return f"100% agent on the remaining {_money(part.base)}"
    if part.kind == _FLAT:
        text = f"Flat {_money(plan.flat_company_dollar)} per deal"
    else:
        text = f"{agent_share} agent / {brokerage_share} brokerage on {_money(part.base)}"
        if part.tier_threshold is not None:
            text += f", the tier from {_money(part.tier_threshold)} GCI"
    if plan.cap is not None:
        text += f" until the {_money(plan.cap)} cap ({_money(part.cap_left)} left)"
    return text


def _royalty_explanation(plan, ledger, after_referral, has_referral):
    """Why the franchise royalty is what it is."""
    text = f"{_percent(plan.royalty_rate)} of the {_money(after_referral)} gross"
    if has_referral:
        text = f"{_percent(plan.royalty_rate)} of {_money(after_referral)} after the referral fee"
    if plan.royalty_cap is None:
        return text
    royalty_left = max(plan.royalty_cap - ledger.royalty, ZERO)
    if royalty_left == 0:
        return f"The {_money(plan.royalty_cap)} royalty cap is already reached"
    return f"{text}, up to the {_money(plan.royalty_cap)} royalty cap ({_money(royalty_left)} left)"


def _fee_explanation(fee, charged):
    """Why a per-deal fee charged to the agent is what it is."""
    text = f"{_money(fee)} per deal, from the agent's share"
    if charged < Fraction(fee):
        text += ", limited to what the agent had left"
    return text


def commission_calculate(*, deal, plan, ledger, team=None):
    """Work out who is paid what for one side of a deal, step by step, and the ledger after it."""
    gross = deal.gross_commission
    # Each pending line: label, payee, exact amount, explanation, rounding group.
    pending = []

    if deal.referral_rate is not None:
        referral = Fraction(gross) * Fraction(deal.referral_rate)
        explanation = f"{_percent(deal.referral_rate)} of the {_money(gross)} gross"
        pending.append(("Referral fee", Payee.REFERRAL, referral, explanation))
    elif deal.referral_amount is not None:
        referral = Fraction(deal.referral_amount)
        explanation = f"Flat referral fee of {_money(referral)}"
        pending.append(("Referral fee", Payee.REFERRAL, referral, explanation))
    else:
        referral = Fraction(0)
    after_referral = Fraction(gross) - referral

    walk = _walk(after_referral, plan, ledger)
    if plan.royalty_rate > 0:
        explanation = _royalty_explanation(plan, ledger, after_referral, bool(pending))
        pending.append(("Franchise royalty", Payee.FRANCHISE, walk.royalty, explanation))

    cap_lines = set()
    for part in walk.parts:
        label = {
            _POST_CAP: "Brokerage split after cap",
            _FLAT: "Flat company dollar",
        }.get(part.kind, "Brokerage split")
        if part.kind in (_SPLIT, _FLAT, _FLAT_REST):
            cap_lines.add(len(pending))
        explanation = _split_explanation(part, plan)
        pending.append((label, Payee.BROKERAGE, part.brokerage, explanation))

    agent_left = sum((part.agent for part in walk.parts), Fraction(0))
    post_cap_agent = sum((part.agent for part in walk.parts if part.kind == _POST_CAP), Fraction(0))
    fee_lines = []
    if plan.post_cap_fee > 0 and any(part.kind == _POST_CAP for part in walk.parts):
        # Never more than the deal's post-cap part, so crossing the cap never costs the agent.
        charged = min(Fraction(plan.post_cap_fee), post_cap_agent)
        text = f"{_money(plan.post_cap_fee)} per deal after the cap"
        if charged < Fraction(plan.post_cap_fee):
            text += f", limited to the agent's {_money(post_cap_agent)} after the cap"
        fee_lines.append(len(pending))
        pending.append(("Post-cap fee", Payee.BROKERAGE, charged, text))
        agent_left -= charged
    for label, fee in (("Transaction fee", plan.transaction_fee), ("E&O fee", plan.eo_fee)):
        if fee > 0:
            charged = min(Fraction(fee), agent_left)
            fee_lines.append(len(pending))
            pending.append((label, Payee.BROKERAGE, charged, _fee_explanation(fee, charged)))
            agent_left -= charged

    if team is not None:
        leader = agent_left * Fraction(team.leader_share)
        explanation = (
            f"{_percent(team.leader_share)} of the agent's {_money(agent_left)} after the "
            "brokerage split and fees"
        )
        pending.append(("Team leader share", Payee.TEAM_LEADER, leader, explanation))
        agent_left -= leader
    pending.append(("Agent net", Payee.AGENT, agent_left, ""))

    groups = ["cap" if index in cap_lines else index for index in range(len(pending))]
    amounts = _round_lines([line[2] for line in pending], groups, int(gross * 100))

    # The agent's line explains itself from the rounded lines, so its numbers add up on paper.
    fees = sum((amounts[i] for i in fee_lines), ZERO)
    team_amount = amounts[-2] if team is not None else ZERO
    agent_explanation = f"{_money(amounts[-1] + fees + team_amount)} from the split"
    if fee_lines:
        agent_explanation += f", less {_money(fees)} in fees"
    if team is not None:
        agent_explanation += f", less {_money(team_amount)} to the team leader"

    lines = []
    for (label, payee, _exact, explanation), amount in zip(pending, amounts, strict=True):
        lines.append(CommissionLine(label, amount, payee, explanation or agent_explanation))

    company_dollar = sum((amounts[i] for i in cap_lines), ZERO)
    royalty = sum((line.amount for line in lines if line.payee == Payee.FRANCHISE), ZERO)
    referral_paid = sum((line.amount for line in lines if line.payee == Payee.REFERRAL), ZERO)
    ledger_after = CapLedger(
        company_dollar=ledger.company_dollar + company_dollar,
        royalty=ledger.royalty + royalty,
        gross_commission=ledger.gross_commission + gross - referral_paid,
    )
    cap_remaining = None
    if plan.cap is not None:
        cap_remaining = max(plan.cap - ledger_after.company_dollar, ZERO)
    return CommissionBreakdown(
        gross=gross,
        lines=tuple(lines),
        company_dollar=company_dollar,
        ledger_after=ledger_after,
        cap_remaining=cap_remaining,
    )
