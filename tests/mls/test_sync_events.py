"""The sync writes the domain events of the listings it changes, in bulk with each page, and
one event when a run completes or fails."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.choices import EventName
from agents.models import Event
from mls.choices import RunKind, RunState
from mls.models import SyncRun
from mls.providers.base import FeedError
from mls.services import provider_sync
from properties.models import Property
from tests.mls.test_sync_writes import ListFeed, record
from tests.testing.factories import make_mls_provider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queued_tasks")]


@pytest.fixture
def provider(personas):
    return make_mls_provider(personas.brokerage, name="Coastal MLS")


def sync(provider, *pages):
    return provider_sync(provider=provider, kind=RunKind.FULL, feed=ListFeed(provider, *pages))


def event_writes(queries):
    """The statements that wrote events: INSERTs, and on PostgreSQL the COPYs of a page, each
    preceded by one draw of the new ids from the table's sequence (COPY itself is not among
    the captured queries)."""
    table = connection.ops.quote_name(Event._meta.db_table)
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(f"INSERT INTO {table}")
        or (q["sql"].startswith("SELECT nextval(") and table in q["sql"])
    ]


def listing_events(name):
    return {event.payload["listing_key"]: event for event in Event.objects.filter(name=name)}


def test_new_listings_write_listing_created_in_one_insert_per_page(provider, personas):
    with CaptureQueriesContext(connection) as queries:
        run = sync(provider, [record("K1"), record("K2"), record("K3")], [record("K4")])

    assert run.state == RunState.SUCCEEDED
    created = listing_events(EventName.LISTING_CREATED)
    assert sorted(created) == ["K1", "K2", "K3", "K4"]
    # One write of each page's events, one INSERT for the run's completion.
    assert len(event_writes(queries.captured_queries)) == 3
    k1 = Property.objects.get(listing_key="K1")
    event = created["K1"]
    assert (event.brokerage, event.actor, event.subject) == (personas.brokerage, None, k1)
    assert event.payload == {
        "listing_id": k1.pk,
        "listing_key": "K1",
        "mls_number": "MLS-K1",
        "source": "mls",
        "address": k1.address_line,
        "list_price": "500000.00",
        "standard_status": "Active",
    }


def test_feed_changes_write_price_and_status_events_with_old_and_new(provider):
    sync(provider, [record("K1"), record("K2"), record("K3")])
    Event.objects.all().delete()

    sync(
        provider,
        [
            record("K1", minutes=5, ListPrice=480000),
            record("K2", minutes=5, StandardStatus="Pending"),
            record("K3"),  # the very record already applied
        ],
    )

    prices = listing_events(EventName.LISTING_PRICE_CHANGED)
    statuses = listing_events(EventName.LISTING_STATUS_CHANGED)
    assert list(prices) == ["K1"] and list(statuses) == ["K2"]
    assert (prices["K1"].payload["old_price"], prices["K1"].payload["new_price"]) == (
        "500000.00",
        "480000.00",
    )
    assert statuses["K2"].payload["old_status"] == "Active"
    assert statuses["K2"].payload["new_status"] == "Pending"
    assert statuses["K2"].subject == Property.objects.get(listing_key="K2")
    assert not Event.objects.filter(name=EventName.LISTING_CREATED).exists()


def test_an_unchanged_feed_writes_no_listing_event(provider):
    sync(provider, [record("K1")])
    Event.objects.all().delete()
    sync(provider, [record("K1")])
    assert list(Event.objects.values_list("name", flat=True)) == [EventName.SYNC_COMPLETED]


def test_a_completed_run_writes_mls_sync_completed_with_its_counts(provider, personas):
    run = sync(provider, [record("K1"), record("K2")])

    event = Event.objects.get(name=EventName.SYNC_COMPLETED)
    assert event.subject == run
    assert event.brokerage == personas.brokerage
    assert event.payload == {
        "run_id": run.pk,
        "provider_id": provider.pk,
        "provider": "Coastal MLS",
        "kind": "full",
        "state": "succeeded",
        "message": "",
        "fetched": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "off_market": 0,
        "failed": 0,
    }


class BrokenFeed(ListFeed):
    def pages(self, *, since, cursor):
        yield from super().pages(since=since, cursor=cursor)
        raise FeedError("The MLS answered 503 three times.")


def test_a_failed_run_writes_mls_sync_failed_and_keeps_the_pages_it_applied(provider):
    run = provider_sync(
        provider=provider, kind=RunKind.FULL, feed=BrokenFeed(provider, [record("K1")])
    )

    assert run.state == RunState.FAILED
    event = Event.objects.get(name=EventName.SYNC_FAILED)
    assert event.payload["message"] == "The MLS answered 503 three times."
    assert event.payload["created"] == 1
    assert event.subject == SyncRun.objects.get()
    assert not Event.objects.filter(name=EventName.SYNC_COMPLETED).exists()
    assert list(listing_events(EventName.LISTING_CREATED)) == ["K1"]


def test_each_committed_page_dispatches_its_events_to_receivers(provider, monkeypatch):
    from agents.services.events import event_committed
    from realestate.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    received = []

    def receiver(sender, event, **kwargs):
        received.append(event)

    event_committed.connect(receiver, dispatch_uid="test-sync-events")
    try:
        sync(provider, [record("K1"), record("K2")], [record("K3")])
    finally:
        event_committed.disconnect(dispatch_uid="test-sync-events")

    assert sorted(event.pk for event in received) == sorted(
        Event.objects.values_list("pk", flat=True)
    )
    assert [event.name for event in received].count(EventName.LISTING_CREATED) == 3
    assert received[-1].name == EventName.SYNC_COMPLETED
