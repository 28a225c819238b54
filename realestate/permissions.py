"""The one place that decides what a person may see and change.

Every queryset shown to a person (page, API list, export, search, autocomplete) goes
through :func:`restrict`. A model takes part by declaring its :class:`Scope` with
:func:`scoped`. The rules:

* nobody sees another brokerage's data;
* a broker sees and changes everything in their brokerage;
* an agent or assistant sees the whole brokerage's records of a shared model (listings,
  agents) and only what they own or what was shared with them (django-guardian object
  permissions) of a private model (clients);
* an agent or assistant changes only what they own or what was shared with them for that action;
* a viewer reads and changes nothing beyond what a shared model shows the whole brokerage;
* a row of a private model in its brokerage's pool (a lead nobody has claimed) is seen, not
  changed, by every member of the brokerage, so that one of them can claim it;
* a document reviewer (an agent or assistant the broker names) sees, not changes, every row of a
  model the review covers (deals and, through them, their documents).
"""

from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ACTIONS = (VIEW, ADD, CHANGE, DELETE)


@dataclass(frozen=True)
class Scope:
    """How a model's rows belong to a brokerage and to a person."""

    brokerage: str | None = None  # lookup from the model to its Brokerage ("pk" for Brokerage)
    owner: str | None = None  # lookup from the model to the owning user
    private: bool = False  # agents see only their own and shared rows, not the brokerage's
    parent: str | None = None  # a child row follows the permissions of this foreign key
    pooled: str | None = None  # boolean field: such rows are seen by the whole brokerage
    reviewed: bool = False  # document reviewers see every row of the brokerage


_scopes: dict[type[Model], Scope] = {}


def scoped(**scope_kwargs):
    """Class decorator that registers a model's :class:`Scope`."""

    def register(model):
        _scopes[model] = Scope(**scope_kwargs)
        return model

    return register


def is_scoped(model) -> bool:
    return model in _scopes


def scope_for(model) -> Scope:
    try:
        return _scopes[model]
    except KeyError:
        raise ImproperlyConfigured(f"{model.__name__} has no permission scope") from None


@dataclass(frozen=True)
class Actor:
    """The signed-in person as the permission rules see them: their agent profile and role."""

    user: object
    agent: object | None
    role: str | None

    @property
    def brokerage_id(self):
        return self.agent.brokerage_id if self.agent else None

    @cached_property
    def brokerage(self):
        return self.agent.brokerage if self.agent else None

    @property
    def is_broker(self):
        from agents.choices import Role

        return self.user.is_superuser or self.role == Role.BROKER

    @property
    def is_reviewer(self):
        """Whether they review deal documents: the broker, or someone the broker named."""
        from agents.choices import Role

        return self.is_broker or (
            self.agent is not None
            and self.agent.reviews_documents
            and self.role in (Role.AGENT, Role.ASSISTANT)
        )

    @property
    def can_write(self):
        from agents.choices import Role

        return self.user.is_superuser or (
            self.agent is not None and self.role in (Role.BROKER, Role.AGENT, Role.ASSISTANT)
        )


def actor_for(user) -> Actor:
    """The :class:`Actor` for a user, loaded once per user object (two queries)."""
    cached = getattr(user, "_actor_cache", None)
    if cached is not None:
        return cached
    from agents.selectors import agent_role_for_user

    agent, role = agent_role_for_user(user=user)
    actor = Actor(user=user, agent=agent, role=role)
    if user.is_authenticated:
        user._actor_cache = actor
    return actor


def restrict(queryset: QuerySet, user, action: str = VIEW) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may ``action`` (view, change or delete)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    model = queryset.model
    scope = scope_for(model)
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if scope.parent:
        parent_model = model._meta.get_field(scope.parent).related_model
        visible_parents = restrict(parent_model._default_manager.all(), user, action)
        return queryset.filter(**{f"{scope.parent}__in": visible_parents.values("pk")})
    if user.is_superuser:
        return queryset
    actor = actor_for(user)
    if actor.agent is None:
        return queryset.none()
    queryset = queryset.filter(**{scope.brokerage: actor.brokerage_id})
    if actor.is_broker:
        return queryset
    if action == VIEW and (not scope.private or (scope.reviewed and actor.is_reviewer)):
        return queryset
    if action != VIEW and not actor.can_write:
        return queryset.none()
    allowed = Q(pk__in=_shared_pks(model, user, action))
    if scope.owner:
        allowed |= Q(**{scope.owner: user})
    if scope.pooled and action == VIEW:
        allowed |= Q(**{scope.pooled: True})
    return queryset.filter(allowed)


def _shared_pks(model, user, action):
    """Primary keys of ``model`` rows shared with ``user`` for ``action`` (guardian)."""
    from guardian.shortcuts import get_objects_for_user

    perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    return get_objects_for_user(
        user,
        perm,
        klass=model._default_manager.all(),
        accept_global_perms=False,
        with_superuser=False,
    ).values("pk")


def can(user, obj, action: str = VIEW) -> bool:
    """Whether ``user`` may ``action`` this one object."""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()


def can_add(user, model) -> bool:
    """Whether ``user`` may create rows of ``model`` in their brokerage."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    actor = actor_for(user)
    scope = scope_for(model)
    if scope.parent:
        return actor.can_write
    if scope.owner is None:
        return actor.is_broker
    return actor.can_write
