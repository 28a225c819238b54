"""Reads of the CRM that need more than a filter: lists, the pipeline board and the agent's day."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from agents.models import Agent
from clients.choices import BOOKED_STATUSES, OPEN_STAGES, Stage
from clients.models import Activity, Client, SavedSearch, Showing, Task
from realestate.permissions import CHANGE, actor_for, restrict

# How many cards each column of the pipeline board shows; the list page has the rest.
BOARD_COLUMN_LIMIT = 50
# A lead assigned within this many days is new on the agent's day.
NEW_LEAD_DAYS = 7
CLOSED_STAGES = (Stage.CLOSED, Stage.LOST)


def client_rows():
    """Clients with what a row of the list shows: agent, source and tags."""
    return Client.objects.select_related("assigned_agent__user", "source").prefetch_related("tags")


def client_details():
    """Clients with what their own page or API answer shows."""
    return Client.objects.select_related(
        "assigned_agent__user", "source", "preference", "created_by"
    ).prefetch_related("tags", "co_agents__user")


def client_timeline(*, client, limit=None):
    """The client's activities, newest first, with who logged them."""
    activities = Activity.objects.filter(client=client).select_related("actor", "listing")
    return activities[:limit] if limit else activities


def client_open_tasks(*, client, user):
    """The client's tasks not done yet that ``user`` may see, soonest first."""
    return restrict(Task.objects.filter(client=client, done_at__isnull=True), user).select_related(
        "client", "assigned_agent__user"
    )


def task_rows():
    """Tasks with what a row shows: the client and the agent."""
    return Task.objects.select_related("client", "assigned_agent__user")


@dataclass
class PipelineColumn:
    """One stage of the board: its cards (at most ``BOARD_COLUMN_LIMIT``) and how many in all."""

    stage: str
    label: str
    count: int
    cards: list = field(default_factory=list)
    previous: Stage | None = None  # where the cards' back button moves them
    following: Stage | None = None  # where the cards' forward button moves them

    @property
    def hidden_count(self):
        return self.count - len(self.cards)


@dataclass
class Pipeline:
    columns: list
    closed: list  # (stage, label, count) of the stages the board folds away
    movable: set  # primary keys of the cards the person may move (each card has ``movable``)


def pipeline_board(*, clients, user, limit=BOARD_COLUMN_LIMIT):
    """The board of ``clients`` (already visible to ``user``): open stages as columns."""
    counts = dict(clients.values_list("stage").annotate(n=Count("pk")).order_by())
    ranked = (
        clients.filter(stage__in=OPEN_STAGES)
        .select_related("assigned_agent__user")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage")],
                order_by=[F("score").desc(), F("last_name").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("-score", "last_name", "pk")
    )
    by_stage = {stage: [] for stage in OPEN_STAGES}
    for card in ranked:
        by_stage[card.stage].append(card)
    card_pks = [card.pk for cards in by_stage.values() for card in cards]
    movable = set()
    if card_pks:
        movable = set(
            restrict(Client.objects.filter(pk__in=card_pks), user, CHANGE).values_list(
                "pk", flat=True
            )
        )
    for cards in by_stage.values():
        for card in cards:
            card.movable = card.pk in movable
    columns = [
        PipelineColumn(
            stage=stage,
            label=Stage(stage).label,
            count=counts.get(stage, 0),
            cards=by_stage[stage],
            previous=OPEN_STAGES[index - 1] if index > 0 else None,
            following=OPEN_STAGES[index + 1] if index + 1 < len(OPEN_STAGES) else None,
        )
        for index, stage in enumerate(OPEN_STAGES)
    ]
    closed = [(stage, Stage(stage).label, counts.get(stage, 0)) for stage in CLOSED_STAGES]
    return Pipeline(columns=columns, closed=closed, movable=movable)


def day_bounds(day):
    """The first and last instants of ``day`` in the site's time zone, as aware datetimes."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end


@dataclass
class AgentDay:
    """What an agent has on today: late and due tasks, showings and leads to call."""

    today: date
    overdue_tasks: list
    today_tasks: list
    showings: list
    new_leads: list
    pooled_count: int
    deal_milestones: list = field(default_factory=list)


def agent_day(*, user, today=None):
    """The signed-in agent's day, in the site's time zone; ``None`` without an agent profile."""
    agent = actor_for(user).agent
    if agent is None:
        return None
    today = today or timezone.localdate()
    open_tasks = restrict(
        Task.objects.filter(assigned_agent=agent, done_at__isnull=True, due_date__lte=today),
        user,
    ).select_related("client")
    overdue, due_today = [], []
    for task in open_tasks:
        (overdue if task.due_date < today else due_today).append(task)
    start, end = day_bounds(today)
    showings = restrict(
        Showing.objects.filter(
            agent=agent, starts_at__gte=start, starts_at__lt=end, status__in=BOOKED_STATUSES
        ),
        user,
    ).select_related("listing", "client")
    new_since = timezone.now() - timedelta(days=NEW_LEAD_DAYS)
    new_leads = (
        restrict(Client.objects.all(), user)
        .filter(assigned_agent=agent, stage=Stage.NEW, in_pond=False)
        .filter(
            Q(assigned_at__gte=new_since) | Q(assigned_at__isnull=True, created_at__gte=new_since)
        )
        .order_by("-assigned_at", "-pk")
    )
    pooled_count = restrict(Client.objects.filter(in_pond=True), user).count()
    # Deals build on clients; their milestones join the day from the app above.
    from transactions.selectors import agent_deal_milestones

    return AgentDay(
        today=today,
        overdue_tasks=overdue,
        today_tasks=due_today,
        showings=list(showings),
        new_leads=list(new_leads),
        pooled_count=pooled_count,
        deal_milestones=[
            milestone
            for milestone in agent_deal_milestones(user=user, today=today)
            if milestone.owner_id in (None, agent.pk)
        ],
    )


def agent_choices(user):
    """The agents whose calendars ``user`` may book on or look at: everyone for a broker."""
    who = actor_for(user)
    agents = restrict(Agent.objects.select_related("user"), user).filter(is_active=True)
    if not who.is_broker:
        agents = agents.filter(pk=getattr(who.agent, "pk", None))
    return agents.order_by("user__first_name", "user__last_name", "pk")


def saved_search_list(*, user, client=None):
    """The saved searches ``user`` may see (of one client), each with its waiting alerts."""
    searches = restrict(SavedSearch.objects.select_related("client"), user)
    if client is not None:
        searches = searches.filter(client=client)
    return searches.annotate(
        pending_count=Count(
            "alerts",
            filter=Q(
                alerts__sent_at__isnull=True,
                alerts__claimed_at__isnull=True,
                alerts__skipped_reason="",
            ),
        )
    ).order_by(*SavedSearch._meta.ordering)
