"""The domain event log: written with the change, dispatched once it commits."""

import pytest
from django.db import transaction

from agents.choices import EventName
from agents.models import Event
from agents.services.events import event_committed, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    events = []

    def receiver(sender, event, **kwargs):
        events.append(event)

    event_committed.connect(receiver, dispatch_uid="test-events-received")
    yield events
    event_committed.disconnect(dispatch_uid="test-events-received")


def test_event_is_dispatched_only_after_its_transaction_commits(
    personas, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = event_record(
            brokerage=personas.brokerage,
            name=EventName.CLIENT_CREATED,
            subject=personas.agent,
            payload={"name": "Ada"},
            actor=personas.agent.user,
        )
        assert received == []
    assert [e.pk for e in received] == [event.pk]
    assert received[0].subject == personas.agent
    assert received[0].payload == {"name": "Ada"}


def test_event_of_a_rolled_back_change_is_neither_written_nor_dispatched(
    personas, received, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event_record(brokerage=personas.brokerage, name=EventName.CLIENT_CREATED)
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert received == []
