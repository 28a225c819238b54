"""The sync engine against the demo MLS, over real HTTP (pytest-django's live server)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from mls.choices import RunKind, RunState
from mls.demo.feed import demo_feed_for
from mls.models import MLSProvider, SyncError, SyncRun
from mls.providers.reso import ResoWebApiProvider
from mls.services import SyncAlreadyRunning, provider_save, provider_sync
from properties.choices import ChangeSource, ListingSource, MediaStatus
from properties.models import PriceChange, Property, StatusChange

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queued_tasks")]

T1 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=200)
FEED = "sync-test"


class Waits:
    """Records what the feed reader was asked to wait, instead of waiting."""

    def __init__(self):
        self.seconds = []

    def __call__(self, seconds):
        self.seconds.append(seconds)


@pytest.fixture
def feed_settings(settings):
    settings.MLS_DEMO_NOW = T1
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 11, "size": 80}}
    return settings


def configure_feed(settings, **options):
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 11, "size": 80, **options}}


@pytest.fixture
def provider(live_server, personas, feed_settings):
    return provider_save(
        provider=MLSProvider(
            brokerage=personas.brokerage,
            name="Demo MLS",
            endpoint=f"{live_server.url}/mls/demo/{FEED}/odata",
            page_size=15,
            allow_private_network=True,
        )
    )


def sync(provider, kind=RunKind.FULL, **kwargs):
    waits = Waits()
    feed = ResoWebApiProvider(provider, sleep=waits)
    run = provider_sync(provider=provider, kind=kind, feed=feed, **kwargs)
    run.waits = waits.seconds
    return run


def feed_keys(now):
    """The listings the feed offers at ``now`` (a record reported as deleted is not offered)."""
    records = demo_feed_for(FEED).current_records(now)
    return {record["ListingKey"] for record in records if record["StandardStatus"] != "Delete"}


def live_keys(provider):
    return set(
        Property.objects.filter(mls_provider=provider, feed_removed_at__isnull=True).values_list(
            "listing_key", flat=True
        )
    )


def test_a_full_sync_creates_every_listing_of_the_feed(provider):
    run = sync(provider)
    assert run.state == RunState.SUCCEEDED, run.message
    expected = feed_keys(T1)
    assert live_keys(provider) == expected
    assert run.created == len(expected) and run.fetched >= len(expected)
    assert run.failed == 0
    listing = Property.objects.filter(mls_provider=provider).first()
    record = next(
        r for r in demo_feed_for(FEED).current_records(T1) if r["ListingKey"] == listing.listing_key
    )
    assert listing.source == ListingSource.MLS
    assert listing.brokerage == provider.brokerage
    assert listing.list_price == Decimal(str(record["ListPrice"]))
    assert listing.city == record["City"]
    assert PriceChange.objects.filter(property=listing, source=ChangeSource.MLS).exists()
    provider.refresh_from_db()
    assert provider.high_water_mark == run.newest_timestamp


def test_syncing_an_unchanged_feed_again_writes_nothing(provider):
    sync(provider)
    before = Property.objects.filter(mls_provider=provider).values_list("pk", "updated_at")
    before = dict(before)
    run = sync(provider)
    assert (run.created, run.updated) == (0, 0)
    assert run.unchanged == run.fetched
    after = dict(Property.objects.filter(mls_provider=provider).values_list("pk", "updated_at"))
    assert after == before


def first_change(kind):
    """When the feed first has a ``kind`` event ("price", "status") after a listing's creation."""
    feed = demo_feed_for(FEED)
    moments = []
    for index in range(80):
        history = feed.history(feed.listing_key(index))
        moments += [at for at, what, _ in history.events if what == kind and at > history.created]
    return min(moments)


@pytest.mark.parametrize("kind", ["price", "status"])
def test_an_incremental_sync_writes_the_feeds_changes_to_the_timeline(
    provider, feed_settings, kind
):
    moment = first_change(kind)
    feed_settings.MLS_DEMO_NOW = moment - timedelta(minutes=1)
    sync(provider)
    feed_settings.MLS_DEMO_NOW = moment
    run = sync(provider, kind=RunKind.INCREMENTAL)
    assert run.state == RunState.SUCCEEDED, run.message
    assert run.since is not None
    assert run.updated >= 1
    history = PriceChange if kind == "price" else StatusChange
    changes = history.objects.filter(property__mls_provider=provider, changed_at=moment)
    assert changes.exists()
    assert all(change.source == ChangeSource.MLS for change in changes)
    assert live_keys(provider) == feed_keys(moment)


def test_an_incremental_sync_much_later_matches_the_feed(provider, feed_settings):
    sync(provider)
    feed_settings.MLS_DEMO_NOW = T2
    run = sync(provider, kind=RunKind.INCREMENTAL)
    assert run.state == RunState.SUCCEEDED, run.message
    assert run.created > 0
    assert live_keys(provider) == feed_keys(T2)


def test_a_listing_deleted_by_the_feed_goes_off_market_and_keeps_its_history(
    provider, feed_settings
):
    moment = first_change("delete")
    feed_settings.MLS_DEMO_NOW = moment - timedelta(minutes=1)
    sync(provider)
    feed_settings.MLS_DEMO_NOW = moment
    run = sync(provider, kind=RunKind.INCREMENTAL)
    assert run.off_market >= 1
    gone = Property.objects.filter(mls_provider=provider, feed_removed_at__isnull=False)
    assert gone.count() == run.off_market
    for listing in gone:
        assert listing.archived_at is not None  # off the agents' lists
        assert listing.pricechanges.exists()  # its history is kept


def test_records_sharing_a_timestamp_across_pages_are_all_read_without_next_links(
    provider, settings
):
    configure_feed(settings, next_link=False)
    run = sync(provider)
    assert run.state == RunState.SUCCEEDED, run.message
    assert live_keys(provider) == feed_keys(T1)
    assert run.fetched == len(feed_keys(T1)) + _deleted_count(T1)


def _deleted_count(now):
    records = demo_feed_for(FEED).current_records(now)
    return sum(1 for record in records if record.get("StandardStatus") == "Delete")


def test_display_string_enumerations_and_zoneless_timestamps_are_understood(provider, settings):
    configure_feed(settings, enum_style="display", timestamp_style="naive")
    run = sync(provider)
    assert run.state == RunState.SUCCEEDED, run.message
    assert run.failed == 0
    statuses = set(
        Property.objects.filter(mls_provider=provider).values_list("standard_status", flat=True)
    )
    assert statuses and all(" " not in status for status in statuses)
    listing = Property.objects.filter(mls_provider=provider).first()
    assert listing.modification_timestamp.utcoffset() == timedelta(0)


def test_a_malformed_record_is_logged_and_the_run_goes_on(provider, settings):
    configure_feed(settings, malformed=[3])
    run = sync(provider)
    assert run.state == RunState.SUCCEEDED
    assert run.failed == 1
    error = SyncError.objects.get(run=run)
    assert error.listing_key == demo_feed_for(FEED).listing_key(3)
    assert error.reason
    assert len(live_keys(provider)) == len(feed_keys(T1)) - 1


def test_a_429_is_waited_out_as_the_server_asks(provider, settings):
    configure_feed(settings, rate_limit_after=2)
    run = sync(provider)
    assert run.state == RunState.SUCCEEDED, run.message
    assert max(run.waits) == 1  # the Retry-After the server gave
    assert live_keys(provider) == feed_keys(T1)


def test_a_run_stopped_by_server_errors_resumes_where_it_stopped(provider, settings):
    configure_feed(settings, fail_after=2, fail_times=50)
    failed = sync(provider)
    assert failed.state == RunState.FAILED
    assert failed.cursor and failed.created > 0
    configure_feed(settings)
    resumed = sync(provider)
    assert resumed.pk == failed.pk
    assert resumed.state == RunState.SUCCEEDED
    assert live_keys(provider) == feed_keys(T1)
    assert resumed.created == len(feed_keys(T1))
    assert (
        Property.objects.filter(mls_provider=provider).count()
        == len(feed_keys(T1))
        + Property.objects.filter(mls_provider=provider, feed_removed_at__isnull=False).count()
    )


class Killed(Exception):
    pass


def test_a_run_killed_between_pages_resumes_with_no_duplicate_and_no_loss(provider):
    pages = []

    def die_after_two_pages(run):
        pages.append(run.fetched)
        if len(pages) == 2:
            raise Killed

    with pytest.raises(Killed):
        sync(provider, progress=die_after_two_pages)
    killed = SyncRun.objects.get(provider=provider)
    assert killed.state == RunState.RUNNING and killed.cursor
    resumed = sync(provider)
    assert resumed.pk == killed.pk
    assert live_keys(provider) == feed_keys(T1)
    assert resumed.created == len(feed_keys(T1))


def test_overlapping_runs_are_refused(provider):
    MLSProvider.objects.filter(pk=provider.pk).update(
        lease_owner="another-worker", lease_until=datetime.now(UTC) + timedelta(minutes=5)
    )
    with pytest.raises(SyncAlreadyRunning):
        sync(provider)


def test_changing_the_interval_reschedules_the_beat_task(provider):
    task = PeriodicTask.objects.get(pk=provider.periodic_task_id)
    assert task.interval.every == 15 and task.enabled
    changed_before = PeriodicTasks.last_change()
    provider.sync_interval_minutes = 60
    provider.enabled = False
    provider_save(provider=provider)
    task.refresh_from_db()
    assert task.interval.every == 60
    assert not task.enabled
    assert PeriodicTasks.last_change() > changed_before
    assert PeriodicTask.objects.filter(name__startswith="MLS reconcile").count() == 1


def test_mls_photos_are_downloaded_and_get_their_variants(provider):
    from mls.tasks import mls_photo_fetch_task

    sync(provider)
    listing = Property.objects.filter(mls_provider=provider, photos_count__gt=0).first()
    assert listing.thumbnail_url.startswith("http")  # the MLS's own photo until ours is made
    for photo in listing.media.all():
        mls_photo_fetch_task.apply(kwargs={"media_id": photo.pk})
    photos = list(listing.media.all())
    assert photos and all(photo.status == MediaStatus.READY for photo in photos)
    assert set(photos[0].variants) == {"large", "medium", "thumbnail"}
    listing.refresh_from_db()
    assert listing.cover_thumbnail == photos[0].variants["thumbnail"]["jpeg"]


def test_an_unreachable_photo_is_marked_failed_and_keeps_its_mls_url(provider):
    from mls.tasks import mls_photo_fetch_task
    from properties.models import PropertyMedia

    sync(provider)
    photo = PropertyMedia.objects.filter(property__mls_provider=provider).first()
    PropertyMedia.objects.filter(pk=photo.pk).update(
        media_url=f"{provider.endpoint.rsplit('/odata', 1)[0]}/photos/NOPE/1.jpg",
        status=MediaStatus.PENDING,
        checksum="",
    )
    mls_photo_fetch_task.apply(kwargs={"media_id": photo.pk})
    photo.refresh_from_db()
    assert photo.status == MediaStatus.FAILED
    assert "404" in photo.error


def test_a_reconcile_takes_listings_that_left_the_feed_off_market(provider):
    sync(provider)
    orphan = Property.objects.filter(mls_provider=provider).first()
    Property.objects.filter(pk=orphan.pk).update(listing_key="NOT-IN-FEED")
    run = sync(provider, kind=RunKind.RECONCILE)
    assert run.state == RunState.SUCCEEDED
    assert run.off_market == 1
    orphan.refresh_from_db()
    assert orphan.feed_removed_at is not None
    assert orphan.pricechanges.exists()


def test_local_edits_to_mls_owned_fields_are_refused(provider, personas):
    from django.core.exceptions import ValidationError

    from properties.services import listing_update

    sync(provider)
    listing = Property.objects.filter(mls_provider=provider).first()
    with pytest.raises(ValidationError) as error:
        listing_update(listing=listing, data={"list_price": 1}, actor=personas.broker.user)
    assert "list_price" in error.value.message_dict


def test_the_command_syncs_one_provider_in_the_foreground(provider, capsys):
    call_command("mls_sync", "--provider", "Demo MLS", "--full")
    out = capsys.readouterr().out
    assert "Succeeded" in out
    assert live_keys(provider) == feed_keys(T1)
