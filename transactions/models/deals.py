"""Deals: a transaction, the people in it, and its checklist of milestones."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from realestate.permissions import scoped
from transactions.choices import DateField, DealStage, PartyRole, ReviewState, Side

MONEY = {"max_digits": 12, "decimal_places": 2}


@scoped(brokerage="brokerage", owner="agent__user", private=True, reviewed=True)
class Transaction(models.Model):
    """A deal from accepted offer to paid commission, seen by its agents and the broker."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.PROTECT, related_name="transactions"
    )
    name = models.CharField(max_length=200, help_text="e.g. the address and the buyer's name")
    side = models.CharField(max_length=10, choices=Side.choices)
    stage = models.CharField(
        max_length=20, choices=DealStage.choices, default=DealStage.PRE_CONTRACT
    )
    property = models.ForeignKey(
        "properties.Property",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    # The agent who runs the deal; co-agents (the other side's agent in the firm, a team
    # member) see it through guardian object permissions granted by the deal services.
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="deals")
    co_agents = models.ManyToManyField("agents.Agent", blank=True, related_name="co_deals")
    offer_price = models.DecimalField(null=True, blank=True, **MONEY)
    earnest_money = models.DecimalField(null=True, blank=True, **MONEY)
    sale_price = models.DecimalField("final sale price", null=True, blank=True, **MONEY)
    # Commission of this side: a percentage of the price or a flat amount.
    commission_rate = models.DecimalField(
        max_digits=6, decimal_places=4, null=True, blank=True, help_text="0.0300 for 3%"
    )
    commission_amount = models.DecimalField(null=True, blank=True, **MONEY)
    # A dual deal earns the buyer side's commission too (the fields above are the listing side).
    buyer_side_commission_rate = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Dual deals: 0.0250 for 2.5%",
    )
    buyer_side_commission_amount = models.DecimalField(
        null=True, blank=True, help_text="Dual deals: a flat buyer-side commission", **MONEY
    )
    referral_rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    referral_amount = models.DecimalField(null=True, blank=True, **MONEY)
    contract_accepted_on = models.DateField(null=True, blank=True)
    inspection_deadline = models.DateField(null=True, blank=True)
    appraisal_deadline = models.DateField(null=True, blank=True)
    financing_deadline = models.DateField(null=True, blank=True)
    closing_on = models.DateField("closing date", null=True, blank=True)
    possession_on = models.DateField("possession date", null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    fell_through_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["brokerage", "stage"], name="deal_stage"),
            models.Index(fields=["agent", "stage"], name="deal_agent_stage"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("transactions:detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.commission_rate is not None and self.commission_amount is not None:
            errors["commission_amount"] = "Give a commission rate or a flat amount, not both."
        buyer_side = (self.buyer_side_commission_rate, self.buyer_side_commission_amount)
        if self.side != Side.DUAL and any(value is not None for value in buyer_side):
            errors["buyer_side_commission_rate"] = "Only a dual deal has a buyer-side commission."
        elif None not in buyer_side:
            errors["buyer_side_commission_amount"] = (
                "Give a buyer-side rate or a flat amount, not both."
            )
        if self.referral_rate is not None and self.referral_amount is not None:
            errors["referral_amount"] = "Give a referral rate or a flat amount, not both."
        if errors:
            raise ValidationError(errors)


@scoped(parent="transaction")
class CommissionShare(models.Model):
    """A co-agent's share of a deal's gross commission; the deal's agent keeps the rest."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="commission_shares"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(max_digits=5, decimal_places=4, help_text="0.5000 for half")

    class Meta:
        ordering = ["transaction", "agent_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "agent"], name="commission_share_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=1), name="commission_share_range"
            ),
        ]

    def __str__(self):
        return f"{self.agent} · {self.share:.2%}"


@scoped(parent="transaction")
class Party(models.Model):
    """Someone in a deal: a buyer, a seller, an agent on the other side, a lender ..."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=15, choices=PartyRole.choices)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["role", "name", "pk"]
        verbose_name_plural = "parties"

    def __str__(self):
        return f"{self.get_role_display()}: {self.name}"


@scoped(brokerage="brokerage")
class ChecklistTemplate(models.Model):
    """The milestones a kind of deal goes through, managed by the broker in the admin."""

    brokerage = models.ForeignKey(
        "agents.Brokerage", on_delete=models.CASCADE, related_name="checklist_templates"
    )
    name = models.CharField(max_length=100)
    sides = models.JSONField(default=list, blank=True, help_text="Sides it applies to; none: all")
    states = models.JSONField(
        default=list, blank=True, help_text="US states it applies to (e.g. MA); none: all"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


@scoped(parent="template")
class ChecklistItem(models.Model):
    """One milestone of a checklist template, due a number of days from a key date."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    due_from = models.CharField(max_length=30, choices=DateField.choices, blank=True)
    due_offset_days = models.IntegerField(default=0, help_text="Negative: before the date")
    requires_document = models.BooleanField(default=False)
    required_for_closing = models.BooleanField(
        default=False, help_text="The deal cannot close, nor its commission be paid, until approved"
    )

    class Meta:
        ordering = ["template", "position", "pk"]

    def __str__(self):
        return self.title


@scoped(parent="transaction")
class Milestone(models.Model):
    """A step of one deal: due on a date, owned by an agent, done or waived."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="milestones"
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    due_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requires_document = models.BooleanField(default=False)
    required_for_closing = models.BooleanField(default=False)
    # Kept by the document review: the state of the item's latest document.
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.MISSING
    )
    done_at = models.DateTimeField(null=True, blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_reason = models.CharField(max_length=300, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["transaction", "position", "due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(done_at__isnull=True, waived_at__isnull=True),
                name="milestone_open_due",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.done_at is None and self.waived_at is None
