from django.contrib.auth.models import Group
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When

from agents.choices import ROLE_PRECEDENCE, Role
from agents.models import Agent, Notification
from realestate.permissions import restrict

# Rank of each role group's name: the lowest rank is the role a person acts with.
_ROLE_RANK = Case(
    *[When(name=role.label, then=Value(rank)) for rank, role in enumerate(ROLE_PRECEDENCE)],
    default=Value(len(ROLE_PRECEDENCE)),
    output_field=IntegerField(),
)
_ROLE_BY_LABEL = {role.label: role for role in Role}


def agent_role_for_user(*, user):
    """The user's active agent profile (or None) and their highest role, in one query."""
    if not user.is_authenticated:
        return None, None
    top_group = (
        Group.objects.filter(user=OuterRef("user"), name__in=_ROLE_BY_LABEL)
        .annotate(rank=_ROLE_RANK)
        .order_by("rank")
        .values("name")[:1]
    )
    agent = (
        Agent.objects.select_related("brokerage")
        .filter(user=user, is_active=True)
        .annotate(role_label=Subquery(top_group))
        .first()
    )
    if agent is None:
        return None, None
    return agent, _ROLE_BY_LABEL.get(agent.role_label, Role.VIEWER)


def agent_cards():
    """Agents with what an agent card shows, in name order."""
    return Agent.objects.select_related("user", "office", "team", "brokerage").order_by(
        "user__last_name", "user__first_name", "pk"
    )


# How many of the newest notifications the top bar's bell shows.
BELL_SIZE = 5


def notification_list(*, user):
    """The notifications of ``user``'s own feed, newest first: never anyone else's, whatever a
    broker may see of the brokerage."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return restrict(Notification.objects.all(), user).filter(recipient=user)


def notification_unread_count(*, user):
    """How many notifications of ``user``'s feed are unread."""
    return notification_list(user=user).filter(read_at__isnull=True).count()


def notifications_latest(*, user):
    """The newest notifications of ``user``'s feed, for the top bar's bell."""
    return list(notification_list(user=user).order_by("-created_at", "-pk")[:BELL_SIZE])
