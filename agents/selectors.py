from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.expressions import RawSQL

from agents.choices import ROLE_PRECEDENCE, Role
from agents.models import Agent, Notification
from realestate.permissions import restrict

_ROLE_BY_LABEL = {role.label: role for role in Role}


def _top_role_label():
    """The name of the highest role group of the agent's user (by ``ROLE_PRECEDENCE``).

    Every request asks for it (``actor_for``), so it is written out once rather than compiled
    from a ``Subquery`` each time: the ORM's version cost more than the query itself.
    """
    memberships = get_user_model().groups.through._meta
    labels = [role.label for role in ROLE_PRECEDENCE]
    marks = ", ".join(["%s"] * len(labels))
    ranks = " ".join(f"WHEN %s THEN {rank}" for rank in range(len(labels)))
    return RawSQL(
        f'(SELECT g."name" FROM "{Group._meta.db_table}" g '
        f'INNER JOIN "{memberships.db_table}" m ON m."group_id" = g."id" '
        f'WHERE m."user_id" = "{Agent._meta.db_table}"."user_id" AND g."name" IN ({marks}) '
        f'ORDER BY CASE g."name" {ranks} END LIMIT 1)',
        [*labels, *labels],
    )


_TOP_ROLE_LABEL = _top_role_label()


def agent_role_for_user(*, user):
    """The user's active agent profile (or None) and their highest role, in one query."""
    if not user.is_authenticated:
        return None, None
    # One agent per user: no ordering (and no join for the agents' default order) needed.
    agent = next(
        iter(
            Agent.objects.select_related("brokerage")
            .filter(user=user, is_active=True)
            .annotate(role_label=_TOP_ROLE_LABEL)
            .order_by()[:1]
        ),
        None,
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
