"""Clients, their preferences, their timeline and the agents' tasks."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from clients.choices import CONTACT_KINDS, ActivityKind, ClientRole, Stage
from clients.contact import normalize_contact_fields, validate_time_zone
from clients.models import Activity, BuyerPreference, Client, Task
from clients.scoring import ENGAGEMENT_KINDS, ENGAGEMENT_WINDOW, lead_score
from compliance.models.privacy import CHANNEL_FLAGS, ConsentSource
from compliance.services.consent import client_do_not_contact_check, consent_flags_apply
from compliance.services.licences import licence_assert_active
from realestate.permissions import CHANGE, VIEW, actor_for, can

# Fields the product keeps; nobody sets them through a form or the API.
CLIENT_SYSTEM_FIELDS = frozenset(
    {
        "id",
        "brokerage",
        "in_pond",
        "assigned_at",
        "claimed_at",
        "score",
        "score_reasons",
        "last_contacted_at",
        "anonymised_at",
        "created_by",
        "created_at",
        "updated_at",
        "co_agents",
        "tags",
    }
)
CLIENT_EDITABLE_FIELDS = frozenset(
    field.name
    for field in Client._meta.get_fields()
    if field.concrete and not field.many_to_many and field.name not in CLIENT_SYSTEM_FIELDS
)
PREFERENCE_FIELDS = frozenset(
    field.name
    for field in BuyerPreference._meta.get_fields()
    if field.concrete and field.name not in {"id", "client", "updated_at"}
)


def _check_fields(data, allowed):
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), "This field cannot be set."), code="read_only"
        )


def _clean_client(client, data):
    errors = normalize_contact_fields(data)
    for field, value in data.items():
        setattr(client, field, value)
    roles = client.roles or []
    bad_roles = [role for role in roles if role not in ClientRole.values]
    if bad_roles:
        errors["roles"] = [f"Unknown role: {', '.join(map(str, bad_roles))}."]
    client.roles = [role for role in ClientRole.values if role in roles]
    try:
        validate_time_zone(client.time_zone)
    except ValidationError as exc:
        errors["time_zone"] = exc.messages
    if not (client.first_name or client.last_name or client.email or client.phone):
        errors.setdefault("__all__", []).append("Give at least a name, an email or a phone.")
    agent = client.assigned_agent
    if agent is not None and agent.brokerage_id != client.brokerage_id:
        errors["assigned_agent"] = ["Choose an agent of your brokerage."]
    if client.source is not None and client.source.brokerage_id != client.brokerage_id:
        errors["source"] = ["Choose a lead source of your brokerage."]
    try:
        client.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


CONTACT_FIELDS = ("email", "alternate_email", "phone", "alternate_phone")


def _pop_consent_flags(data):
    """The do-not-contact flags sent, taken out of ``data``: they are set through the consent
    log (:func:`compliance.services.consent.consent_record`), never written directly."""
    return {flag: bool(data.pop(flag)) for flag in CHANNEL_FLAGS.values() if flag in data}


def _consent_after_save(*, client, flags, source, actor, contact_changed):
    consent_flags_apply(client=client, flags=flags, source=source, actor=actor)
    if contact_changed:
        client_do_not_contact_check(client=client, actor=actor)


def _check_assignment(*, client, actor):
    """Brokers and assistants assign anyone in the firm; an agent keeps a client themselves."""
    from agents.choices import Role

    who = actor_for(actor)
    if who.is_broker or who.role == Role.ASSISTANT:
        return
    agent = client.assigned_agent
    if agent is None or agent.user_id != actor.pk:
        raise ValidationError({"assigned_agent": "You can only keep clients for yourself."})


@transaction.atomic
def client_create(
    *,
    data,
    actor,
    tags=(),
    co_agents=(),
    preference=None,
    consent_source=ConsentSource.FORM,
):
    """A new client of the actor's brokerage, kept by the actor unless a broker assigns it.

    Do-not-contact flags go to the consent log with ``consent_source``; an address on the
    brokerage's do-not-contact list closes its channels.
    """
    who = actor_for(actor)
    if not who.can_write or who.agent is None:
        raise PermissionDenied("You cannot add clients.")
    data = dict(data)
    _check_fields(data, CLIENT_EDITABLE_FIELDS)
    flags = _pop_consent_flags(data)
    client = Client(brokerage_id=who.brokerage_id, created_by=actor)
    if "assigned_agent" not in data and not who.is_broker:
        data["assigned_agent"] = who.agent
    _clean_client(client, data)
    _check_assignment(client=client, actor=actor)
    licence_assert_active(agent=client.assigned_agent, field="assigned_agent")
    if client.assigned_agent_id:
        client.assigned_at = client.claimed_at = timezone.now()
    client.save()
    _consent_after_save(
        client=client, flags=flags, source=consent_source, actor=actor, contact_changed=True
    )
    client_tags_set(client=client, tags=tags)
    client_co_agents_set(client=client, agents=co_agents)
    if preference:
        buyer_preference_save(client=client, data=preference, actor=actor)
    activity_log(client=client, kind=ActivityKind.SYSTEM, subject="Client added", actor=actor)
    client_created_event(client=client, actor=actor)
    return client


def client_event_payload(client, **changes):
    """What an event about a client tells its readers: who (by name, never how to reach them),
    where they are in the pipeline and who keeps them."""
    return {
        "client_id": client.pk,
        "name": f"{client.first_name} {client.last_name}".strip(),
        "stage": client.stage,
        "assigned_agent_id": client.assigned_agent_id,
        **changes,
    }


def client_created_event(*, client, actor=None):
    """Record ``client.created`` for a client just added (a form, an import, a lead)."""
    return event_record(
        brokerage=client.brokerage_id,
        name=EventName.CLIENT_CREATED,
        subject=client,
        payload=client_event_payload(client, source=client.source.name if client.source else ""),
        actor=actor,
    )


def _client_stage_event(client, *, old_stage, actor):
    event_record(
        brokerage=client.brokerage_id,
        name=EventName.CLIENT_STAGE_CHANGED,
        subject=client,
        payload=client_event_payload(client, old_stage=old_stage, new_stage=client.stage),
        actor=actor,
    )


@transaction.atomic
def client_update(
    *,
    client,
    data,
    actor,
    tags=None,
    co_agents=None,
    preference=None,
    consent_source=ConsentSource.FORM,
):
    """Change a client (and their buyer preferences); a new stage or agent goes on the timeline.

    Do-not-contact flags go to the consent log with ``consent_source``.
    """
    data = dict(data)
    _check_fields(data, CLIENT_EDITABLE_FIELDS)
    if client.anonymised_at is not None:
        raise ValidationError("This client's personal data was removed; it cannot be changed.")
    flags = _pop_consent_flags(data)
    old_contacts = [getattr(client, name) for name in CONTACT_FIELDS]
    old_stage, old_agent = client.stage, client.assigned_agent
    _clean_client(client, data)
    if client.assigned_agent_id != (old_agent.pk if old_agent else None):
        _check_assignment(client=client, actor=actor)
        licence_assert_active(agent=client.assigned_agent, field="assigned_agent")
        client.assigned_at = client.claimed_at = timezone.now() if client.assigned_agent else None
        client.in_pond = False
    client.save()
    _consent_after_save(
        client=client,
        flags=flags,
        source=consent_source,
        actor=actor,
        contact_changed=old_contacts != [getattr(client, name) for name in CONTACT_FIELDS],
    )
    if tags is not None:
        client_tags_set(client=client, tags=tags)
    if co_agents is not None:
        client_co_agents_set(client=client, agents=co_agents)
    if client.stage != old_stage:
        activity_log(
            client=client,
            kind=ActivityKind.SYSTEM,
            subject=f"Stage: {Stage(old_stage).label} → {client.get_stage_display()}",
            actor=actor,
            details={"old_stage": old_stage, "new_stage": client.stage},
        )
        _client_stage_event(client, old_stage=old_stage, actor=actor)
    if client.assigned_agent != old_agent:
        new_name = client.assigned_agent.name if client.assigned_agent else "nobody"
        activity_log(
            client=client,
            kind=ActivityKind.SYSTEM,
            subject=f"Assigned to {new_name}",
            actor=actor,
        )
    if preference:
        buyer_preference_save(client=client, data=preference, actor=actor)
    return client


@transaction.atomic
def client_delete(*, client, actor):
    """Delete a client and their timeline; brokers only (the audit log keeps the record)."""
    who = actor_for(actor)
    if not (actor.is_superuser or (who.is_broker and who.brokerage_id == client.brokerage_id)):
        raise PermissionDenied("Only a broker deletes clients.")
    client.delete()


def client_stage_set(*, client, stage, actor):
    """Move a client along the pipeline (the board's buttons and drag and drop)."""
    if stage not in Stage.values:
        raise ValidationError({"stage": f"Unknown stage {stage!r}."})
    return client_update(client=client, data={"stage": stage}, actor=actor)


def client_tags_set(*, client, tags):
    """The client's tags, by name; new names become brokerage tags."""
    from clients.models import Tag

    names = sorted({str(name).strip()[:50] for name in tags if str(name).strip()})
    existing = {tag.name: tag for tag in Tag.objects.filter(brokerage=client.brokerage_id)}
    chosen = []
    for name in names:
        tag = existing.get(name) or Tag.objects.create(brokerage_id=client.brokerage_id, name=name)
        chosen.append(tag)
    client.tags.set(chosen)


def client_co_agents_set(*, client, agents):
    """Agents who share the client: they see and change it (guardian object permissions)."""
    from guardian.shortcuts import assign_perm, remove_perm

    agents = list(agents)
    if any(agent.brokerage_id != client.brokerage_id for agent in agents):
        raise ValidationError({"co_agents": "Choose agents of your brokerage."})
    before = set(client.co_agents.all())
    for agent in before - set(agents):
        for action in (VIEW, CHANGE):
            remove_perm(f"clients.{action}_client", agent.user, client)
    for agent in set(agents) - before:
        for action in (VIEW, CHANGE):
            assign_perm(f"clients.{action}_client", agent.user, client)
    client.co_agents.set(agents)


def client_may_share(*, client, user):
    """The broker and the client's own agent share a client with colleagues."""
    agent = client.assigned_agent
    return actor_for(user).is_broker or (agent is not None and agent.user_id == user.pk)


def client_share(*, client, agent, actor, can_change=False):
    """Share one client with a colleague (view, and optionally change)."""
    from guardian.shortcuts import assign_perm

    if not client_may_share(client=client, user=actor):
        raise PermissionDenied("Only the broker or the client's agent shares a client.")
    if agent.brokerage_id != client.brokerage_id:
        raise ValidationError("Clients can only be shared within the brokerage.")
    assign_perm(f"clients.{VIEW}_client", agent.user, client)
    if can_change:
        assign_perm(f"clients.{CHANGE}_client", agent.user, client)
    activity_log(
        client=client, kind=ActivityKind.SYSTEM, subject=f"Shared with {agent.name}", actor=actor
    )


@transaction.atomic
def buyer_preference_save(*, client, data, actor):
    """Create or change what a buyer is looking for; the lead score follows."""
    from properties.choices import PropertyType

    data = dict(data)
    _check_fields(data, PREFERENCE_FIELDS)
    preference = BuyerPreference.objects.filter(client=client).first() or BuyerPreference(
        client=client
    )
    for field, value in data.items():
        setattr(preference, field, value)
    errors = {}
    bad_types = [t for t in preference.property_types if t not in PropertyType.values]
    if bad_types:
        errors["property_types"] = [f"Unknown property type: {', '.join(map(str, bad_types))}."]
    preference.cities = [str(c).strip() for c in preference.cities if str(c).strip()]
    preference.postal_codes = [str(c).strip() for c in preference.postal_codes if str(c).strip()]
    for low, high in (("min_price", "max_price"), ("min_area", "max_area")):
        low_value, high_value = getattr(preference, low), getattr(preference, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            errors[high] = ["Must be at least the minimum."]
    from clients.choices import MustHave

    bad_musts = [m for m in preference.must_haves if m not in MustHave.values]
    if bad_musts:
        errors["must_haves"] = [f"Unknown must-have: {', '.join(map(str, bad_musts))}."]
    try:
        preference.full_clean(exclude=[*errors, "client"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    preference.save()
    client.preference = preference
    client_score_refresh(client=client)
    return preference


@transaction.atomic
def activity_log(
    *,
    client,
    kind,
    subject,
    actor=None,
    body="",
    listing=None,
    details=None,
    occurred_at=None,
):
    """Add to a client's timeline; a call, email, text or meeting counts as contact."""
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": f"Unknown activity kind {kind!r}."})
    activity = Activity(
        client=client,
        kind=kind,
        subject=subject[:200],
        body=body,
        actor=actor,
        listing=listing,
        details=details or {},
        occurred_at=occurred_at or timezone.now(),
    )
    activity.full_clean(exclude=["client", "actor", "listing"])
    activity.save()
    changed = []
    if kind in CONTACT_KINDS:
        if client.last_contacted_at is None or activity.occurred_at > client.last_contacted_at:
            client.last_contacted_at = activity.occurred_at
            changed.append("last_contacted_at")
        if client.stage == Stage.NEW:
            client.stage = Stage.CONTACTED
            changed.append("stage")
        agent = client.assigned_agent
        if client.claimed_at is None and agent and actor and agent.user_id == actor.pk:
            # The agent reached out: the lead is theirs, no longer at risk of the pond.
            client.claimed_at = activity.occurred_at
            changed.append("claimed_at")
    if changed:
        Client.objects.filter(pk=client.pk).update(
            **{field: getattr(client, field) for field in changed}
        )
    if "stage" in changed:
        _client_stage_event(client, old_stage=Stage.NEW, actor=actor)
    if kind in ENGAGEMENT_KINDS or kind in CONTACT_KINDS:
        client_score_refresh(client=client)
    return activity


def client_score_refresh(*, client, now=None):
    """Recompute the lead score from its signals and store it with its reasons."""
    now = now or timezone.now()
    preference = BuyerPreference.objects.filter(client=client).first()
    engagement = Activity.objects.filter(
        client=client, kind__in=ENGAGEMENT_KINDS, occurred_at__gte=now - ENGAGEMENT_WINDOW
    ).count()
    engagement += Activity.objects.filter(
        client=client,
        kind=ActivityKind.SYSTEM,
        details__engagement=True,
        occurred_at__gte=now - ENGAGEMENT_WINDOW,
    ).count()
    score, reasons = lead_score(
        preference=preference,
        engagement_count=engagement,
        last_touch=client.last_contacted_at,
        now=now,
    )
    client.score, client.score_reasons = score, reasons
    Client.objects.filter(pk=client.pk).update(score=score, score_reasons=reasons)
    return score


TASK_FIELDS = frozenset(
    {"title", "notes", "due_date", "due_time", "priority", "client", "listing", "transaction"}
)


def _clean_task(task, data, actor):
    for field, value in data.items():
        setattr(task, field, value)
    errors = {}
    if task.client is not None and (
        task.client.brokerage_id != task.brokerage_id
        or ("client" in data and not can(actor, task.client, CHANGE))
    ):
        errors["client"] = ["Choose a client you work with."]
    if task.listing is not None and task.listing.brokerage_id != task.brokerage_id:
        errors["listing"] = ["Choose a listing of your brokerage."]
    if task.transaction is not None and not can(actor, task.transaction, VIEW):
        errors["transaction"] = ["Choose a deal you work on."]
    try:
        task.full_clean(
            exclude=[*errors, "brokerage", "assigned_agent", "client", "listing", "transaction"]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def task_create(*, data, actor, assigned_agent=None):
    """A task for the actor, or for another agent when a broker or assistant assigns it."""
    from agents.choices import Role

    who = actor_for(actor)
    if not who.can_write or who.agent is None:
        raise PermissionDenied("You cannot add tasks.")
    data = dict(data)
    _check_fields(data, TASK_FIELDS)
    agent = assigned_agent or who.agent
    if agent.brokerage_id != who.brokerage_id:
        raise ValidationError({"assigned_agent": "Choose an agent of your brokerage."})
    if agent != who.agent and not (who.is_broker or who.role == Role.ASSISTANT):
        raise ValidationError({"assigned_agent": "You can only add tasks for yourself."})
    task = Task(brokerage_id=who.brokerage_id, assigned_agent=agent, created_by=actor)
    _clean_task(task, data, actor)
    task.save()
    return task


@transaction.atomic
def task_update(*, task, data, actor):
    data = dict(data)
    _check_fields(data, TASK_FIELDS | {"done"})
    done = data.pop("done", None)
    _clean_task(task, data, actor)
    if done is not None:
        task.done_at = (task.done_at or timezone.now()) if done else None
    task.save()
    return task


def task_complete(*, task, actor):
    """Mark a task done; it leaves the agent's day."""
    return task_update(task=task, data={"done": True}, actor=actor)


def task_delete(*, task, actor):
    """Delete a task (its agent, or a broker)."""
    who = actor_for(actor)
    if not (who.is_broker or task.assigned_agent.user_id == actor.pk):
        raise PermissionDenied("Only the task's agent or a broker deletes it.")
    task.delete()
