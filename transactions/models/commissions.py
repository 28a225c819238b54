"""Commissions: the brokerage's plans, who is on which, statements of closed deals and payouts."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from realestate.permissions import scoped
from transactions import commission

MONEY = {"max_digits": 12, "decimal_places": 2}
SHARE = {"max_digits": 5, "decimal_places": 4}

# The fields that define how a plan splits a commission; a change to any of them on a plan
# already used by a statement makes a new version.
PLAN_TERMS = (
    "agent_share",
    "tiers",
    "flat_company_dollar",
    "cap",
    "post_cap_agent_share",
    "post_cap_fee",
    "royalty_rate",
    "royalty_cap",
    "transaction_fee",
    "eo_fee",
    "cap_reset",
)


class CapResetChoice(models.TextChoices):
    CALENDAR = commission.CapReset.CALENDAR.value, "Calendar year"
    ANNIVERSARY = commission.CapReset.ANNIVERSARY.value, "Agent's anniversary"


class StatementStatus(models.TextChoices):
    """Where a commission statement is: built, approved by the broker, or paid in full."""

    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


class PayoutMethod(models.TextChoices):
    CHECK = "check", "Check"
    ACH = "ach", "ACH transfer"
    WIRE = "wire", "Wire"
    OTHER = "other", "Other"


@scoped(brokerage="brokerage")
class CommissionPlan(models.Model):
    """One version of a brokerage's commission plan: split, cap, royalty and per-deal fees."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.PROTECT, related_name="commission_plans"
    )
    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        help_text="The version this one replaced",
    )
    agent_share = models.DecimalField(null=True, blank=True, help_text="0.7000 for 70/30", **SHARE)
    tiers = models.JSONField(
        default=list,
        blank=True,
        help_text='Graduated split: [{"threshold": "0.00", "agent_share": "0.70"}, ...]',
    )
    flat_company_dollar = models.DecimalField(null=True, blank=True, **MONEY)
    cap = models.DecimalField(null=True, blank=True, **MONEY)
    post_cap_agent_share = models.DecimalField(default=Decimal("1"), **SHARE)
    post_cap_fee = models.DecimalField(default=Decimal("0"), **MONEY)
    royalty_rate = models.DecimalField(default=Decimal("0"), **SHARE)
    royalty_cap = models.DecimalField(null=True, blank=True, **MONEY)
    transaction_fee = models.DecimalField(default=Decimal("0"), **MONEY)
    eo_fee = models.DecimalField("E&O fee", default=Decimal("0"), **MONEY)
    cap_reset = models.CharField(
        max_length=12, choices=CapResetChoice.choices, default=CapResetChoice.CALENDAR
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "name", "version"], name="commission_plan_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def clean(self):
        try:
            self.as_engine_plan()
        except (TypeError, ValueError, KeyError) as exc:
            raise ValidationError(str(exc)) from exc

    def terms(self):
        """The values of the fields that decide the split, to tell whether a plan changed."""
        return {name: getattr(self, name) for name in PLAN_TERMS}

    def as_engine_plan(self):
        """This plan as the commission engine's plan."""
        tiers = [
            commission.CommissionTier(
                Decimal(str(tier["threshold"])), Decimal(str(tier["agent_share"]))
            )
            for tier in self.tiers or ()
        ]
        return commission.CommissionPlan(
            agent_share=self.agent_share,
            tiers=tiers,
            flat_company_dollar=self.flat_company_dollar,
            cap=self.cap,
            post_cap_agent_share=self.post_cap_agent_share,
            post_cap_fee=self.post_cap_fee,
            royalty_rate=self.royalty_rate,
            royalty_cap=self.royalty_cap,
            transaction_fee=self.transaction_fee,
            eo_fee=self.eo_fee,
            cap_reset=self.cap_reset,
        )


@scoped(brokerage="agent__brokerage", owner="agent__user", private=True)
class PlanAssignment(models.Model):
    """The plan an agent is on from a date, with their anniversary and team leader."""

    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, related_name="plan_assignments"
    )
    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="assignments")
    starts_on = models.DateField()
    anniversary = models.DateField(
        null=True, blank=True, help_text="Start of the agent's cap year, for anniversary caps"
    )
    team_leader = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team_leader_share = models.DecimalField(
        null=True, blank=True, help_text="0.2500 for 25% of what the agent keeps", **SHARE
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agent", "-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "starts_on"], name="plan_assignment_unique"),
        ]

    def __str__(self):
        return f"{self.agent} on {self.plan} from {self.starts_on}"

    def team_split(self):
        """The engine's team split, or None for an agent who is not on a team."""
        if self.team_leader_id is None or not self.team_leader_share:
            return None
        return commission.TeamSplit(self.team_leader_share)


class PaidStatementError(ValidationError):
    """A change to a statement that is already paid."""


@scoped(brokerage="transaction__brokerage", owner="agent__user", private=True)
class CommissionStatement(models.Model):
    """What one agent earns from one closed deal, line by line, as a plan version worked it out."""

    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.PROTECT, related_name="commission_statements"
    )
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.PROTECT, related_name="commission_statements"
    )
    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="statements")
    # Kept from the deal so the agent's ledger is summed in closing order without a join.
    closed_on = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    gross = models.DecimalField(**MONEY)
    # How the gross was reached: each side's commission and the agent's share of the deal.
    gross_steps = models.JSONField(default=list)
    company_dollar = models.DecimalField(**MONEY)
    royalty = models.DecimalField(default=Decimal("0"), **MONEY)
    # GCI after the referral fee: what graduated tiers are measured on.
    ledger_gross = models.DecimalField(default=Decimal("0"), **MONEY)
    agent_net = models.DecimalField(**MONEY)
    cap_remaining = models.DecimalField(null=True, blank=True, **MONEY)
    lines = models.JSONField(default=list)
    ledger_before = models.JSONField(default=dict)
    ledger_after = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-closed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "agent"], name="commission_statement_unique"
            ),
        ]
        indexes = [models.Index(fields=["agent", "closed_on"], name="statement_agent_closed")]

    def __str__(self):
        return f"{self.agent} · {self.transaction}"

    def save(self, *args, **kwargs):
        # The last line of defence behind the services: what was paid stays as it was paid.
        if self.pk is not None and self._stored_status() == StatementStatus.PAID:
            raise PaidStatementError("A paid commission statement cannot be changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("transactions:statement", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self._stored_status() == StatementStatus.PAID:
            raise PaidStatementError("A paid commission statement cannot be deleted.")
        return super().delete(*args, **kwargs)

    def _stored_status(self):
        return (
            type(self)._default_manager.filter(pk=self.pk).values_list("status", flat=True).first()
        )

    @property
    def is_paid(self):
        return self.status == StatementStatus.PAID


@scoped(parent="statement")
class Payout(models.Model):
    """Money paid to the agent against an approved statement."""

    statement = models.ForeignKey(
        CommissionStatement, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    method = models.CharField(max_length=10, choices=PayoutMethod.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="Check or transfer number")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "pk"]

    def __str__(self):
        return f"{self.amount} on {self.paid_on}"
