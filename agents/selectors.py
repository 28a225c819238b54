import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.expressions import RawSQL

from agents.choices import ROLE_PRECEDENCE, Role
from agents.models import Agent, Brokerage, Notification
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
    """The user's active agent profile (or None) and their highest role.

    Every request asks (``actor_for``), so the answer is kept in the cache for
    ``ACTOR_CACHE_SECONDS``: one cache read instead of a query. ``agents.receivers`` drops a
    user's entry when their agent profile, role groups or brokerage change, at once and again
    when the change commits. The entry is neither read nor written inside a transaction, which
    may be changing exactly this. Each read unpickles its own instances, so nothing a request
    does to them reaches another request.
    """
    if not user.is_authenticated:
        return None, None
    if transaction.get_connection().in_atomic_block:
        return _agent_role_query(user)
    key = actor_cache_key(user.pk)
    cached = cache.get(key)
    if cached is None:
        cached = _agent_role_query(user)
        cache.set(key, cached, ACTOR_CACHE_SECONDS)
    return cached


def _agent_role_query(user):
    """The user's active agent profile and highest role, in one query."""
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


# How long a user's agent profile and role stay cached. A change made through the models is
# seen at once; this bounds a change the receivers cannot see (raw SQL, another process whose
# cache is not shared with this one, such as the local-memory cache of development).
ACTOR_CACHE_SECONDS = 60


def _actor_cache_prefix():
    """The cache key's prefix names the cached models' columns: a deploy that changes them
    reads none of the entries pickled before it."""
    columns = [f.attname for model in (Agent, Brokerage) for f in model._meta.concrete_fields]
    return "actor:" + hashlib.sha256(" ".join(columns).encode()).hexdigest()[:12] + ":"


_ACTOR_CACHE_PREFIX = _actor_cache_prefix()


def actor_cache_key(user_id):
    return f"{_ACTOR_CACHE_PREFIX}{user_id}"


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
