"""How a page of feed records becomes listings, photos, history and events (the write stage).

The feed here is a list of pages in memory, so each test says exactly what the MLS sends;
the sync engine and its database writes are the real ones (SQLite or PostgreSQL).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mls import signals
from mls.choices import RunKind, RunState
from mls.providers.base import Cursor, FeedProvider, Page
from mls.services import provider_sync
from properties.choices import ChangeSource, MediaStatus
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.services import home_duplicates_refresh
from tests.testing.factories import make_agent, make_mls_provider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queued_tasks")]

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class ListFeed(FeedProvider):
    """A feed whose pages are the lists of records given."""

    def __init__(self, config, *pages):
        super().__init__(config)
        self._pages = pages

    def pages(self, *, since, cursor):
        for number, records in enumerate(self._pages):
            last = records[-1] if records else {}
            yield Page(
                records=records,
                cursor=Cursor(timestamp=T0, listing_key=last.get("ListingKey", "")),
                has_more=number < len(self._pages) - 1,
            )

    def listing_keys(self):
        return iter(())


def record(key="K1", minutes=0, **fields):
    photos = fields.pop("photos", ["p1", "p2"])
    return {
        "ListingKey": key,
        "ListingId": f"MLS-{key}",
        "ModificationTimestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
        "StandardStatus": "Active",
        "PropertyType": "Residential",
        "ListPrice": 500000,
        "StreetNumber": "12",
        "StreetName": "Harbor",
        "StreetSuffix": "Road",
        "City": "Camden",
        "StateOrProvince": "ME",
        "PostalCode": "04843",
        "BedroomsTotal": 3,
        "PublicRemarks": "Sunny cape near the harbor.",
        "Media": [
            {
                "MediaKey": f"{key}-{name}",
                "MediaURL": f"https://photos.mls.test/{key}/{name}.jpg",
                "Order": order,
                "MediaCategory": "Photo",
            }
            for order, name in enumerate(photos)
        ],
        **fields,
    }


@pytest.fixture
def provider(personas):
    return make_mls_provider(personas.brokerage, name="Coastal MLS")


@pytest.fixture
def events():
    """The listing events the sync sends, as (name, arguments), once committed."""
    received = []

    def receiver(name):
        def receive(sender, **kwargs):
            received.append((name, kwargs))

        return receive

    handlers = {
        signal: receiver(name)
        for signal, name in (
            (signals.listing_created, "created"),
            (signals.listing_price_changed, "price_changed"),
            (signals.listing_status_changed, "status_changed"),
        )
    }
    for signal, handler in handlers.items():
        signal.connect(handler)
    yield received
    for signal, handler in handlers.items():
        signal.disconnect(handler)


def sync(provider, *pages, kind=RunKind.FULL):
    run = provider_sync(provider=provider, kind=kind, feed=ListFeed(provider, *pages))
    assert run.state == RunState.SUCCEEDED, run.message
    return run


def listing(provider, key="K1"):
    return Property.objects.get(mls_provider=provider, listing_key=key)


def test_new_listings_get_their_photos_history_cover_and_a_created_event(provider, events):
    run = sync(provider, [record("K1"), record("K2", photos=[])])

    assert (run.created, run.updated, run.unchanged) == (2, 0, 0)
    first = listing(provider, "K1")
    assert first.photos_count == 2
    assert first.cover_thumbnail == "https://photos.mls.test/K1/p1.jpg"
    assert list(first.media.order_by("position").values_list("media_key", "status")) == [
        ("K1-p1", MediaStatus.PENDING),
        ("K1-p2", MediaStatus.PENDING),
    ]
    assert first.original_list_price == Decimal("500000")
    assert first.search_document.startswith("12 Harbor Road")
    assert first.home_key
    price = PriceChange.objects.get(property=first)
    assert (price.old_price, price.new_price, price.source) == (None, 500000, ChangeSource.MLS)
    assert price.changed_at == T0
    assert StatusChange.objects.get(property=first).new_status == "Active"
    assert listing(provider, "K2").photos_count == 0
    created = sorted(kwargs["listing_id"] for name, kwargs in events if name == "created")
    assert created == sorted([first.pk, listing(provider, "K2").pk])


def test_a_price_and_status_change_writes_history_and_sends_events(provider, events):
    sync(provider, [record()])
    events.clear()
    run = sync(
        provider, [record(minutes=5, ListPrice=475000, StandardStatus="Active Under Contract")]
    )

    assert (run.created, run.updated) == (0, 1)
    row = listing(provider)
    assert (row.list_price, row.standard_status) == (475000, "ActiveUnderContract")
    assert row.original_list_price == Decimal("500000")
    cut = PriceChange.objects.filter(property=row).latest("changed_at")
    assert (cut.old_price, cut.new_price) == (500000, 475000)
    assert cut.changed_at == T0 + timedelta(minutes=5)
    status = StatusChange.objects.filter(property=row).latest("changed_at")
    assert (status.old_status, status.new_status) == ("Active", "ActiveUnderContract")
    assert [(name, kwargs["listing_id"]) for name, kwargs in events] == [
        ("price_changed", row.pk),
        ("status_changed", row.pk),
    ]
    assert events[0][1]["old_price"] == 500000 and events[0][1]["new_price"] == 475000


def test_a_record_older_than_the_stored_listing_changes_nothing(provider):
    sync(provider, [record(minutes=10, ListPrice=450000)])
    run = sync(provider, [record(minutes=5, ListPrice=999000)])

    assert (run.updated, run.unchanged) == (0, 1)
    assert listing(provider).list_price == 450000


def test_a_page_holding_a_key_twice_keeps_the_newest_record(provider):
    run = sync(provider, [record(minutes=7, ListPrice=410000), record(minutes=3, ListPrice=420000)])

    assert run.created == 1
    assert listing(provider).list_price == 410000


def test_a_field_the_feed_stops_sending_is_emptied(provider):
    sync(provider, [record(BedroomsTotal=4)])
    changed = record(minutes=1)
    del changed["BedroomsTotal"]
    sync(provider, [changed])

    assert listing(provider).bedrooms_total is None


def test_the_brokerages_own_fields_survive_a_sync(provider, personas):
    agent = make_agent(personas.brokerage)
    sync(provider, [record()])
    Property.objects.filter(mls_provider=provider).update(list_agent=agent)
    sync(provider, [record(minutes=1, ListPrice=480000)])

    row = listing(provider)
    assert row.list_agent == agent and row.list_price == 480000


def test_a_listing_from_the_brokerages_own_agent_is_assigned_to_them(provider, personas):
    agent = make_agent(personas.brokerage)
    agent.mls_agent_id = "AG-77"
    agent.save(update_fields=["mls_agent_id"])
    sync(provider, [record(ListAgentMlsId="AG-77")])

    assert listing(provider).list_agent == agent


def test_photos_the_feed_changes_are_fetched_again_and_dropped_ones_lose_their_files(provider):
    sync(provider, [record(photos=["p1", "p2", "p3"])])
    row = listing(provider)
    kept, dropped = row.media.get(media_key="K1-p1"), row.media.get(media_key="K1-p3")
    for media in (kept, dropped):
        media.original.save("original.jpg", ContentFile(b"jpeg"), save=False)
        media.variants = {"thumbnail": {"jpeg": f"{media.uuid}/thumb.jpg"}}
        media.status = MediaStatus.READY
        media.save()
        default_storage.save(media.variants["thumbnail"]["jpeg"], ContentFile(b"thumb"))
    dropped_files = [dropped.original.name, dropped.variants["thumbnail"]["jpeg"]]
    changed = record(minutes=1, photos=["p1", "p2"])
    changed["Media"][1]["MediaURL"] = "https://photos.mls.test/K1/p2-new.jpg"

    sync(provider, [changed])

    row.refresh_from_db()
    media = {item.media_key: item for item in row.media.all()}
    assert set(media) == {"K1-p1", "K1-p2"}
    assert media["K1-p1"].status == MediaStatus.READY  # same file: not fetched again
    assert media["K1-p2"].status == MediaStatus.PENDING
    assert media["K1-p2"].media_url.endswith("p2-new.jpg")
    assert row.photos_count == 2
    assert row.cover_thumbnail == kept.variants["thumbnail"]["jpeg"]
    assert not any(default_storage.exists(name) for name in dropped_files)
    assert default_storage.exists(kept.original.name)


def test_a_deleted_listing_goes_off_market_and_comes_back_when_the_feed_offers_it_again(
    provider,
):
    sync(provider, [record()])
    run = sync(provider, [record(minutes=1, StandardStatus="Delete")])

    assert run.off_market == 1
    gone = listing(provider)
    assert gone.feed_removed_at is not None and gone.archived_at == gone.feed_removed_at

    run = sync(provider, [record(minutes=2)])

    back = listing(provider)
    assert run.updated == 1
    assert (back.feed_removed_at, back.archived_at) == (None, None)


def test_a_listing_archived_by_a_person_stays_archived_when_it_comes_back(provider):
    sync(provider, [record()])
    archived_at = timezone.now() - timedelta(days=3)
    Property.objects.filter(mls_provider=provider).update(archived_at=archived_at)
    sync(provider, [record(minutes=1, StandardStatus="Delete")])
    sync(provider, [record(minutes=2)])

    back = listing(provider)
    assert back.feed_removed_at is None and back.archived_at == archived_at


def test_an_identical_record_is_recognised_by_its_hash_and_not_written(provider):
    sync(provider, [record()])
    Property.objects.filter(mls_provider=provider).update(city="Edited in the database")
    run = sync(provider, [record()])

    assert (run.updated, run.unchanged) == (0, 1)
    assert listing(provider).city == "Edited in the database"


def test_photos_of_a_page_are_queued_for_download_once_committed(provider, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "mls.tasks.mls_photos_fetch_task.delay", lambda **kwargs: queued.append(kwargs)
    )
    sync(provider, [record("K1"), record("K2", photos=[])])

    assert queued == [{"listing_ids": [listing(provider, "K1").pk]}]
    assert PropertyMedia.objects.filter(property__mls_provider=provider).count() == 2


def test_the_same_home_from_two_feeds_shows_once_and_the_other_takes_over_when_it_leaves(
    provider, personas
):
    other = make_mls_provider(personas.brokerage, name="Bay MLS")
    sync(provider, [record("K1", minutes=1)])
    sync(other, [record("B7", minutes=2, StreetSuffix="Rd", ListingId="BAY-7")])

    coastal, bay = listing(provider, "K1"), listing(other, "B7")
    assert coastal.home_key == bay.home_key
    assert (coastal.home_duplicate, bay.home_duplicate) == (True, False)  # the newer one shows

    sync(other, [record("B7", minutes=3, StandardStatus="Delete")])

    coastal.refresh_from_db()
    assert coastal.home_duplicate is False


def test_a_sync_keeps_each_listing_count_of_its_home(provider, personas):
    other = make_mls_provider(personas.brokerage, name="Bay MLS")
    sync(provider, [record("K1", minutes=1)])
    sync(other, [record("B7", minutes=2, StreetSuffix="Rd", ListingId="BAY-7")])

    counts = [
        listing(feed, key).home_listings_count for feed, key in ((provider, "K1"), (other, "B7"))
    ]
    assert counts == [2, 2]

    # The second feed corrects the address: two homes of one listing each.
    sync(other, [record("B7", minutes=3, StreetNumber="999", ListingId="BAY-7")])

    counts = [
        listing(feed, key).home_listings_count for feed, key in ((provider, "K1"), (other, "B7"))
    ]
    assert counts == [1, 1]


def homes_of(*providers):
    """``{listing key: (home_duplicate, home_listings_count)}`` of the feeds' listings."""
    return {
        key: (duplicate, count)
        for key, duplicate, count in Property.objects.filter(
            mls_provider__in=providers
        ).values_list("listing_key", "home_duplicate", "home_listings_count")
    }


def assert_a_refresh_changes_nothing(brokerage):
    """What the syncs decided is what deciding again from the stored listings decides."""
    keys = set(Property.objects.filter(brokerage=brokerage).values_list("home_key", flat=True))
    with CaptureQueriesContext(connection) as queries:
        home_duplicates_refresh(brokerage_id=brokerage.pk, home_keys=keys)
    assert not [query for query in queries if query["sql"].startswith("UPDATE")]


def test_homes_a_sync_decides_before_writing_are_what_a_refresh_decides(provider, personas):
    other = make_mls_provider(personas.brokerage, name="Bay MLS")
    elsewhere = {"StreetNumber": "40", "StreetName": "Elm"}
    sync(
        provider,
        [record("K1", minutes=1), record("K2", minutes=2), record("K3", minutes=1, **elsewhere)],
        [record("K4", minutes=3), record("K5", minutes=1, StandardStatus="Closed", **elsewhere)],
    )
    assert homes_of(provider) == {
        "K1": (True, 3),
        "K2": (True, 3),
        "K4": (False, 3),  # the newest of the home
        "K3": (False, 2),  # on the market before a newer closed sale
        "K5": (True, 2),
    }
    assert_a_refresh_changes_nothing(personas.brokerage)

    # The other feed lists the second home; K4 moves to a home of its own; K1 is dropped.
    sync(other, [record("B1", minutes=5, **elsewhere)])
    sync(
        provider,
        [
            record("K4", minutes=6, StreetNumber="7"),
            record("K1", minutes=6, StandardStatus="Delete"),
        ],
    )
    assert homes_of(provider, other) == {
        "K1": (False, 2),  # off the lists: never a duplicate, still counted
        "K2": (False, 2),
        "K4": (False, 1),
        "K3": (True, 3),
        "K5": (True, 3),
        "B1": (False, 3),
    }
    assert_a_refresh_changes_nothing(personas.brokerage)


def test_a_page_of_new_listings_writes_each_once_with_its_home_decided(provider):
    with CaptureQueriesContext(connection) as queries:
        sync(provider, [record("K1", minutes=1), record("K2", minutes=1), record("K3")])

    assert homes_of(provider) == {"K1": (False, 3), "K2": (True, 3), "K3": (True, 3)}
    updates = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    assert not [sql for sql in updates if "properties_property" in sql], updates


def test_a_new_listing_as_recent_as_a_stored_one_of_its_home_does_not_take_over(provider):
    sync(provider, [record("K1", minutes=1)])
    sync(provider, [record("K2", minutes=1)])  # a tie: the first listing entered stands

    assert homes_of(provider) == {"K1": (False, 2), "K2": (True, 2)}


def test_a_listing_the_feed_brings_back_stands_for_its_home_again(provider):
    sync(provider, [record("K1", minutes=1), record("K2", minutes=2)])
    sync(provider, [record("K2", minutes=3, StandardStatus="Delete")])
    assert homes_of(provider) == {"K1": (False, 2), "K2": (False, 2)}

    sync(provider, [record("K2", minutes=4)])  # back on the lists, and the newest

    assert homes_of(provider) == {"K1": (True, 2), "K2": (False, 2)}
    assert_a_refresh_changes_nothing(provider.brokerage)


LISTING_OWN_COLUMNS = {"id", "mls_provider", "created_at", "updated_at"}
MEDIA_OWN_COLUMNS = {"id", "uuid", "property", "created_at"}


def stored_rows(provider):
    """Each listing's columns and its photos' (less ids and times), by listing key."""
    listing_fields = [
        field.attname
        for field in Property._meta.concrete_fields
        if field.name not in LISTING_OWN_COLUMNS
    ]
    media_fields = [
        field.attname
        for field in PropertyMedia._meta.concrete_fields
        if field.name not in MEDIA_OWN_COLUMNS
    ]
    return {
        row.listing_key: (
            {name: getattr(row, name) for name in listing_fields},
            sorted(row.media.values_list(*media_fields)),
        )
        for row in Property.objects.filter(mls_provider=provider).prefetch_related("media")
    }


def test_rows_built_while_the_feed_is_read_are_the_rows_built_at_the_write(provider, personas):
    """A full sync of a new feed builds its listing rows in the reading thread; an incremental
    one at the write. Both write the same listings and photos, whatever their text holds."""
    agent = make_agent(personas.brokerage)
    agent.mls_agent_id = "AG-77"
    agent.save(update_fields=["mls_agent_id"])
    records = [
        record(
            "K1",
            PublicRemarks='Tabs\there, a new\nline, a back\\slash, "quotes", café — 100%',
            InteriorFeatures=["Walk-In Closet(s)", 'Wet "Bar"', "Back\\slash"],
            ListAgentMlsId="AG-77",
            ListPrice=512345.67,
            photos=["p1", "p2", "p3"],
        ),
        record("K2", minutes=1, BedroomsTotal=None, PublicRemarks="", photos=[]),
        record("K3", minutes=2, StreetNumber="9", UnitNumber="\\N", ListAgentMlsId="NOBODY"),
    ]
    other = make_mls_provider(personas.brokerage, name="Bay MLS")

    sync(provider, records)  # rows built while the feed is read
    sync(other, records, kind=RunKind.INCREMENTAL)  # rows built at the write

    made_ahead, made_at_write = stored_rows(provider), stored_rows(other)
    assert set(made_ahead) == {"K1", "K2", "K3"}
    assert made_ahead["K1"][0]["public_remarks"].startswith("Tabs\there, a new\nline")
    assert made_ahead["K1"][0]["list_agent_id"] == agent.pk
    assert made_ahead["K3"][0]["unit_number"] == "\\N"
    assert len(made_ahead["K1"][1]) == 3
    for key in made_ahead:
        ahead, at_write = made_ahead[key], made_at_write[key]
        # The two feeds list the same homes: each feed's copy counts the other's.
        ahead[0].pop("home_duplicate"), at_write[0].pop("home_duplicate")
        assert ahead == at_write, key
