"""The brokerage's domain event log.

A service that changes something others care about records an :class:`~agents.models.Event` in
its own transaction with :func:`event_record`, so that an event exists exactly when its change
committed. Once the transaction commits, a task sends :data:`event_committed` for each new event;
webhooks and notifications connect to it. Receivers must be idempotent: a retried task sends the
signal again.
"""

import os
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.base import ModelState
from django.dispatch import Signal
from django.utils import timezone

from agents.models import Event

# Sent once per event after its transaction committed: ``event`` (an Event).
event_committed = Signal()


def _subject_fields(subject):
    if subject is None:
        return {}
    return {
        "subject_type": ContentType.objects.get_for_model(type(subject)),
        "subject_id": str(subject.pk),
    }


def _brokerage_id(brokerage):
    return brokerage if isinstance(brokerage, int) else brokerage.pk


def event_build(*, brokerage, name, subject=None, payload=None, actor=None, occurred_at=None):
    """An unsaved event, for :func:`events_record` to write in bulk."""
    return Event(
        brokerage_id=_brokerage_id(brokerage),
        name=name,
        actor=actor if actor is not None and actor.is_authenticated else None,
        payload=payload or {},
        occurred_at=occurred_at or timezone.now(),
        **_subject_fields(subject),
    )


def events_build(*, brokerage, name, model, items, actor=None, occurred_at=None):
    """Unsaved events of one ``name`` about many rows of one ``model``, for :func:`events_record`.

    ``items`` are ``(subject_id, payload)`` pairs. The same events as :func:`event_build` makes
    one by one, built for a sync's page of thousands: the subject type is looked up once, the
    uids come from one read of the random source, and ``Model.__init__`` is skipped.
    """
    subject_type_id = ContentType.objects.get_for_model(model).pk
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    values = {
        "id": None,
        "brokerage_id": _brokerage_id(brokerage),
        "name": str(name),
        "occurred_at": occurred_at or timezone.now(),
        "actor_id": actor_id,
        "subject_type_id": subject_type_id,
    }
    items = list(items)
    random = os.urandom(16 * len(items))
    events = []
    for position, (subject_id, payload) in enumerate(items):
        event = Event.__new__(Event)
        event._state = ModelState()
        event.__dict__.update(values)
        start = 16 * position
        event.uid = uuid.UUID(bytes=random[start : start + 16], version=4)
        event.subject_id = str(subject_id)
        event.payload = payload or {}
        events.append(event)
    return events


def events_record(events):
    """Write events (from :func:`event_build`) in the caller's transaction; dispatch on commit."""
    events = list(events)
    if not events:
        return []
    Event.objects.bulk_create(events)
    event_ids = [event.pk for event in events]
    if any(pk is None for pk in event_ids):  # a backend that does not return bulk ids
        event_ids = list(
            Event.objects.filter(uid__in=[event.uid for event in events]).values_list(
                "pk", flat=True
            )
        )
    events_dispatch_on_commit(event_ids)
    return events


def events_dispatch_on_commit(event_ids):
    """Dispatch events written in the caller's transaction once it commits.

    :func:`events_record` calls it; a writer of its own (the MLS sync streams a page's events
    with ``COPY``) calls it with the ids it wrote.
    """
    if not event_ids:
        return
    from agents.tasks import events_dispatch_task

    event_ids = list(event_ids)
    transaction.on_commit(lambda: events_dispatch_task.delay(event_ids=event_ids))


def event_record(*, brokerage, name, subject=None, payload=None, actor=None, occurred_at=None):
    """Record one domain event in the caller's transaction; it is dispatched once that commits."""
    event = event_build(
        brokerage=brokerage,
        name=name,
        subject=subject,
        payload=payload,
        actor=actor,
        occurred_at=occurred_at,
    )
    return events_record([event])[0]


def events_dispatch(*, event_ids):
    """Tell every receiver of :data:`event_committed` about these committed events, in order."""
    events = (
        Event.objects.filter(pk__in=event_ids)
        .select_related("brokerage", "subject_type")
        .order_by("occurred_at", "pk")
    )
    for event in events:
        event_committed.send(sender=Event, event=event)
