"""Reads of deals: list rows, one deal's page, the pipeline board, the agent's milestones and
the broker's review queue."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Prefetch

from realestate.permissions import CHANGE, VIEW, actor_for, restrict
from transactions.choices import OPEN_DEAL_STAGES, STAGE_TRANSITIONS, DealStage, ReviewState
from transactions.models import Document, Milestone, Transaction

BOARD_COLUMN_LIMIT = 50
DUE_SOON_DAYS = 3


def deal_rows():
    """Deals with what a row of the list or the board shows: agent and property."""
    return Transaction.objects.select_related("agent__user", "property")


def deal_details():
    """Deals with what their own page or API answer shows."""
    return Transaction.objects.select_related(
        "agent__user", "property", "created_by"
    ).prefetch_related(
        "co_agents__user",
        "parties__client",
        "commission_shares__agent__user",
        Prefetch("milestones", queryset=Milestone.objects.select_related("owner__user")),
    )


def milestone_rows():
    """Milestones with their deal and owner."""
    return Milestone.objects.select_related("transaction", "owner__user")


def milestone_state(milestone, today):
    """Done, waived, overdue, due soon or open: how a milestone is shown."""
    if milestone.done_at:
        return "done"
    if milestone.waived_at:
        return "waived"
    if milestone.due_on and milestone.due_on < today:
        return "overdue"
    if milestone.due_on and milestone.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "open"


@dataclass
class BoardColumn:
    stage: str
    label: str
    count: int
    cards: list = field(default_factory=list)


@dataclass
class DealBoard:
    columns: list
    ended: list  # (stage, label, count) of the closed and fell-through deals


def deal_board(*, deals, user, limit=BOARD_COLUMN_LIMIT):
    """The board of ``deals`` (already visible to ``user``): open stages as columns."""
    counts = dict(deals.values_list("stage").annotate(n=Count("pk")).order_by())
    by_stage = {stage: [] for stage in OPEN_DEAL_STAGES}
    rows = deals.filter(stage__in=OPEN_DEAL_STAGES).select_related("agent__user", "property")
    for stage in OPEN_DEAL_STAGES:
        # Few open deals per stage: one short query per column keeps each column's own order.
        by_stage[stage] = list(rows.filter(stage=stage).order_by("closing_on", "pk")[:limit])
    pks = [card.pk for cards in by_stage.values() for card in cards]
    movable = set()
    if pks:
        movable = set(
            restrict(Transaction.objects.filter(pk__in=pks), user, CHANGE).values_list(
                "pk", flat=True
            )
        )
    for cards in by_stage.values():
        for card in cards:
            card.movable = card.pk in movable
            # Closing needs its form (price and blockers); falling through needs a reason.
            card.moves = [
                {"value": stage, "label": DealStage(stage).label}
                for stage in STAGE_TRANSITIONS[card.stage]
                if stage in OPEN_DEAL_STAGES
            ]
    columns = [
        BoardColumn(
            stage=stage,
            label=DealStage(stage).label,
            count=counts.get(stage, 0),
            cards=by_stage[stage],
        )
        for stage in OPEN_DEAL_STAGES
    ]
    ended = [
        (stage, DealStage(stage).label, counts.get(stage, 0))
        for stage in (DealStage.CLOSED, DealStage.FELL_THROUGH)
    ]
    return DealBoard(columns=columns, ended=ended)


def agent_deal_milestones(*, user, today):
    """Open milestones, overdue or due within three days, of open deals ``user`` may see."""
    milestones = (
        restrict(Milestone.objects.all(), user)
        .filter(
            done_at__isnull=True,
            waived_at__isnull=True,
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
            transaction__stage__in=OPEN_DEAL_STAGES,
        )
        .select_related("transaction", "owner__user")
        .order_by("due_on", "transaction__name", "pk")
    )
    rows = list(milestones)
    for milestone in rows:
        milestone.is_overdue = milestone.due_on < today
    return rows


def review_queue(*, user):
    """Documents waiting for review in the reviewer's brokerage, oldest first."""
    if not actor_for(user).is_reviewer:
        return Document.objects.none()
    return (
        restrict(Document.objects.all(), user, VIEW)
        .filter(review_state=ReviewState.SUBMITTED)
        .select_related("transaction", "milestone", "uploaded_by")
        .order_by("uploaded_at", "pk")
    )
