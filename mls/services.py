"""The MLS sync engine: listings arrive from a feed, page by page, and stay current.

Each page is applied in one transaction together with the run's cursor, so a run stopped at
any point (killed worker, feed error, cancel) resumes after the last page it applied, with no
duplicate and no lost listing. Writes are keyed on (provider, ListingKey); a record older than
what is stored never overwrites it, and an unchanged record (same content hash) is not written.
Only MLS-owned fields (``properties.reso.RESO_FIELDS``) follow the feed; the brokerage's own
fields (listing agent assignment, archive state, notes) are never touched by a sync.
"""

import json
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mls import signals
from mls.choices import FINISHED_STATES, RunKind, RunState
from mls.models import MLSProvider, SyncError, SyncRun
from mls.normalize import FeedListing, RecordError, read_record
from mls.providers import provider_for
from mls.providers.base import Cursor, FeedError
from properties.choices import ChangeSource, ListingSource, MediaStatus
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.services import listing_cover_refresh

logger = logging.getLogger(__name__)

# An incremental run re-reads this much before the last high-water mark: a feed may publish a
# record a little after the timestamp it carries.
INCREMENTAL_OVERLAP = timedelta(minutes=5)
# A run holds its provider's lease this long past its last page; a killed run's lease lapses.
LEASE = timedelta(minutes=10)
MAX_LOGGED_RECORD_CHARS = 4000


class SyncAlreadyRunning(Exception):
    """Another run holds this provider's lease."""


# ---------------------------------------------------------------------------------------------
# Lease: one run per provider at a time, on SQLite and PostgreSQL alike (a conditional UPDATE).


def _lease_take(provider, owner):
    now = timezone.now()
    taken = (
        MLSProvider.objects.filter(pk=provider.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + LEASE)
    )
    return taken == 1


def _lease_release(provider, owner):
    MLSProvider.objects.filter(pk=provider.pk, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


# ---------------------------------------------------------------------------------------------
# Runs


def sync_run_start(*, provider, kind=RunKind.INCREMENTAL, actor=None):
    """Queue a run of ``provider`` (the worker picks it up); returns the run.

    Refused while another run of the provider is queued or running.
    """
    queued = provider.runs.filter(state=RunState.QUEUED, cancel_requested=False).exists()
    leased = MLSProvider.objects.filter(pk=provider.pk, lease_until__gt=timezone.now()).exists()
    if queued or leased:
        raise ValidationError("A sync of this feed is already queued or running.")
    # A run that stopped part-way is picked up again rather than started over.
    run = _resumable_run(provider, kind) or SyncRun.objects.create(
        provider=provider, kind=kind, triggered_by=actor
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id):
    from mls.tasks import mls_sync_task

    mls_sync_task.delay(run_id=run_id)


def sync_run_cancel(*, run, actor=None):
    """Ask a run to stop after the page it is applying; a queued run is cancelled at once."""
    SyncRun.objects.filter(pk=run.pk).exclude(state__in=FINISHED_STATES).update(
        cancel_requested=True
    )
    SyncRun.objects.filter(pk=run.pk, state=RunState.QUEUED).update(
        state=RunState.CANCELLED, finished_at=timezone.now(), message="Cancelled before it ran."
    )
    run.refresh_from_db()
    return run


def provider_sync(
    *, provider, kind=RunKind.INCREMENTAL, run=None, actor=None, progress=None, feed=None
):
    """Run one sync of ``provider`` now, in this process; returns the finished run.

    A run that stopped part-way (killed, or a feed error) is resumed from its cursor.
    ``progress`` is called with the run after every page. ``feed`` replaces the provider's
    own feed reader (``provider_for``), e.g. one built with other retry settings.
    """
    owner = uuid.uuid4().hex
    if not _lease_take(provider, owner):
        raise SyncAlreadyRunning(f"A sync of {provider} is already running.")
    try:
        run = (
            run
            or _resumable_run(provider, kind)
            or SyncRun.objects.create(provider=provider, kind=kind, triggered_by=actor)
        )
        if run.state in FINISHED_STATES and run.state != RunState.FAILED:
            return run
        try:
            feed = feed or provider_for(provider)
        except FeedError as exc:
            return _finish(run, RunState.FAILED, str(exc))
        return _execute(provider, run, owner, progress, feed)
    finally:
        _lease_release(provider, owner)


def _resumable_run(provider, kind):
    """The provider's latest run when it stopped part-way through the feed."""
    latest = provider.runs.order_by("-queued_at", "-pk").first()
    resumable = (RunState.RUNNING, RunState.FAILED, RunState.QUEUED)
    if latest and latest.kind == kind and latest.state in resumable and latest.cursor:
        return latest
    return None


def _execute(provider, run, owner, progress, feed):
    if run.kind == RunKind.RECONCILE:
        return _reconcile(provider, run, owner, feed)
    if run.started_at is None:
        run.started_at = timezone.now()
        if run.kind == RunKind.INCREMENTAL and provider.high_water_mark:
            run.since = provider.high_water_mark - INCREMENTAL_OVERLAP
    run.state, run.message = RunState.RUNNING, ""
    run.save(update_fields=["started_at", "since", "state", "message"])
    try:
        for page in feed.pages(since=run.since, cursor=Cursor.from_dict(run.cursor)):
            _apply_page(provider, run, page)
            if progress:
                progress(run)
            _lease_take(provider, owner)
            if SyncRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
                return _finish(run, RunState.CANCELLED, "Cancelled.")
    except FeedError as exc:
        logger.warning("sync of %s stopped: %s", provider, exc)
        return _finish(run, RunState.FAILED, str(exc))
    finally:
        feed.close()
    if run.newest_timestamp and (
        provider.high_water_mark is None or run.newest_timestamp > provider.high_water_mark
    ):
        provider.high_water_mark = run.newest_timestamp
        provider.save(update_fields=["high_water_mark", "updated_at"])
    return _finish(run, RunState.SUCCEEDED, "")


def _finish(run, state, message):
    run.state, run.message, run.finished_at = state, message, timezone.now()
    run.save(update_fields=["state", "message", "finished_at"])
    return run


# ---------------------------------------------------------------------------------------------
# Applying a page


@transaction.atomic
def _apply_page(provider, run, page):
    """Write one page's listings and the run's new cursor in one transaction."""
    readable, errors = [], list(page.errors)
    for record in page.records:
        try:
            readable.append(read_record(record))
        except RecordError as exc:
            errors.append((str(record.get("ListingKey") or ""), str(exc), record))
    counts = _upsert(provider, readable, errors)
    for key, reason, *record in errors:
        SyncError.objects.create(
            run=run, listing_key=key[:128], reason=reason, record=_loggable(record)
        )
    run.fetched += len(page.records)
    run.failed += len(errors)
    run.created += counts["created"]
    run.updated += counts["updated"]
    run.unchanged += counts["unchanged"]
    run.off_market += counts["off_market"]
    if page.total is not None and run.total is None:
        run.total = page.total
    newest = max((listing.modified for listing in readable), default=None)
    if newest and (run.newest_timestamp is None or newest > run.newest_timestamp):
        run.newest_timestamp = newest
    run.cursor = page.cursor.as_dict()
    run.save()


def _loggable(record):
    if not record:
        return {}
    record = record[0]
    text = str(record)
    return record if len(text) <= MAX_LOGGED_RECORD_CHARS else {"excerpt": text[:4000]}


def _upsert(provider, listings, errors):
    """Create, update or take off the market each listing; returns the counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "off_market": 0}
    latest = {}
    for listing in listings:  # a page may hold a key twice: the newest wins
        if (
            listing.listing_key not in latest
            or listing.modified >= latest[listing.listing_key].modified
        ):
            latest[listing.listing_key] = listing
    stored = {
        row.listing_key: row
        for row in Property.objects.filter(mls_provider=provider, listing_key__in=latest)
    }
    agents = _agents_by_mls_id(provider)
    now = timezone.now()
    for key, listing in latest.items():
        row = stored.get(key)
        try:
            if listing.deleted:
                counts["off_market"] += _take_off_market(row, now) if row else 0
            elif row is None:
                _create(provider, listing, agents)
                counts["created"] += 1
            elif listing.modified < row.modification_timestamp or (
                listing.content_hash == row.content_hash and row.feed_removed_at is None
            ):
                counts["unchanged"] += 1
            else:
                _update(row, listing)
                counts["updated"] += 1
        except ValidationError as exc:
            errors.append((key, "; ".join(exc.messages), {"ListingKey": key}))
    return counts


def _agents_by_mls_id(provider):
    from agents.models import Agent

    return {
        agent.mls_agent_id: agent
        for agent in Agent.objects.filter(brokerage=provider.brokerage_id).exclude(mls_agent_id="")
    }


def _create(provider, listing: FeedListing, agents):
    values = listing.values
    row = Property(
        brokerage_id=provider.brokerage_id,
        source=ListingSource.MLS,
        mls_provider=provider,
        content_hash=listing.content_hash,
        **values,
    )
    agent = agents.get(values.get("list_agent_mls_id") or "")
    if agent is not None:  # the brokerage's own agent lists it; assignment is ours from here on
        row.list_agent, row.list_office_id = agent, agent.office_id
    if row.original_list_price is None:
        row.original_list_price = row.list_price
    row.search_document = row.build_search_document()
    row.save()
    history = {"changed_at": listing.modified, "source": ChangeSource.MLS}
    PriceChange.objects.create(property=row, new_price=row.list_price, **history)
    StatusChange.objects.create(property=row, new_status=row.standard_status, **history)
    _media_apply(row, listing.media)
    transaction.on_commit(lambda: signals.listing_created.send(sender=Property, listing=row))


def _update(row, listing: FeedListing):
    old_price, old_status = row.list_price, row.standard_status
    for name, value in listing.values.items():
        setattr(row, name, value)
    came_back = row.feed_removed_at is not None
    if came_back:
        if row.archived_at == row.feed_removed_at:  # archived by the sync, not by a person
            row.archived_at = None
        row.feed_removed_at = None
    row.content_hash = listing.content_hash
    row.search_document = row.build_search_document()
    row.save()
    history = {"changed_at": listing.modified, "source": ChangeSource.MLS}
    if row.list_price != old_price:
        PriceChange.objects.create(
            property=row, old_price=old_price, new_price=row.list_price, **history
        )
        transaction.on_commit(
            lambda: signals.listing_price_changed.send(
                sender=Property, listing=row, old_price=old_price, new_price=row.list_price
            )
        )
    if row.standard_status != old_status:
        StatusChange.objects.create(
            property=row, old_status=old_status, new_status=row.standard_status, **history
        )
        transaction.on_commit(
            lambda: signals.listing_status_changed.send(
                sender=Property, listing=row, old_status=old_status, new_status=row.standard_status
            )
        )
    _media_apply(row, listing.media)


def _take_off_market(row, now):
    """The feed no longer offers this listing: keep it and its history, off the lists."""
    if row.feed_removed_at is not None:
        return 0
    row.feed_removed_at = now
    if row.archived_at is None:
        row.archived_at = now
    row.save(update_fields=["feed_removed_at", "archived_at", "updated_at"])
    return 1


def _media_apply(row, photos):
    """Make the listing's photo rows match the feed's; new or changed photos are fetched."""
    existing = {media.media_key: media for media in row.media.all()}
    wanted = {photo["media_key"]: photo for photo in photos}
    stale = [media.pk for key, media in existing.items() if key not in wanted]
    if stale:
        PropertyMedia.objects.filter(pk__in=stale).delete()
    to_fetch = []
    for key, photo in wanted.items():
        media = existing.get(key) or PropertyMedia(property=row, media_key=key)
        stamp = media.media_modification_timestamp
        changed = media.pk is None or (media.media_url, stamp.isoformat() if stamp else "") != (
            photo["media_url"],
            photo["modified"],
        )
        media.media_url = photo["media_url"]
        media.position = photo["position"]
        media.caption = photo["caption"]
        media.media_modification_timestamp = photo["modified"] or None
        if changed:
            media.status, media.error = MediaStatus.PENDING, ""
        media.save()
        if changed:
            to_fetch.append(media.pk)
    if stale or to_fetch or row.photos_count != len(wanted):
        Property.objects.filter(pk=row.pk).update(photos_count=len(wanted))
        row.photos_count = len(wanted)
        listing_cover_refresh(row)
    if to_fetch:
        transaction.on_commit(lambda: _enqueue_photo_fetch(to_fetch))


def _enqueue_photo_fetch(media_ids):
    from mls.tasks import mls_photo_fetch_task

    for media_id in media_ids:
        mls_photo_fetch_task.delay(media_id=media_id)


# ---------------------------------------------------------------------------------------------
# Reconcile: listings that left the feed without a delete record


def _reconcile(provider, run, owner, feed):
    run.started_at = run.started_at or timezone.now()
    run.state = RunState.RUNNING
    run.save(update_fields=["started_at", "state"])
    try:
        keys = set(feed.listing_keys())
    except FeedError as exc:
        return _finish(run, RunState.FAILED, str(exc))
    finally:
        feed.close()
    run.fetched = len(keys)
    stored = Property.objects.filter(mls_provider=provider, feed_removed_at__isnull=True)
    gone = [pk for pk, key in stored.values_list("pk", "listing_key") if key not in keys]
    now = timezone.now()
    for start in range(0, len(gone), 500):
        with transaction.atomic():
            for row in Property.objects.filter(pk__in=gone[start : start + 500]):
                run.off_market += _take_off_market(row, now)
            run.save(update_fields=["fetched", "off_market"])
        _lease_take(provider, owner)
    return _finish(run, RunState.SUCCEEDED, "")


# ---------------------------------------------------------------------------------------------
# Providers and their schedules


RECONCILE_HOUR, RECONCILE_MINUTE = 3, 30
PROVIDER_CONFIG_FIELDS = [
    field.name
    for field in MLSProvider._meta.concrete_fields
    if field.name
    not in {"id", "high_water_mark", "periodic_task", "lease_owner", "lease_until", "created_at"}
]
SYNC_TASK = "mls.tasks.mls_sync_provider_task"


@transaction.atomic
def provider_save(*, provider, actor=None):
    """Save a provider configuration and keep its celery-beat schedules in step with it.

    Schedules are changed through the models' ``save()`` so that celery-beat notices.
    """
    provider.full_clean()
    if provider.pk is None:
        provider.save()
    else:
        # Only the configuration: a running sync moves the lease and the high-water mark.
        provider.save(update_fields=PROVIDER_CONFIG_FIELDS)
    provider_schedule(provider=provider)
    return provider


def provider_schedule(*, provider):
    """The provider's sync every N minutes and its nightly reconcile, enabled as it is."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(
        every=provider.sync_interval_minutes, period=IntervalSchedule.MINUTES
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute=str(RECONCILE_MINUTE),
        hour=str(RECONCILE_HOUR),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    label = f"{provider.brokerage_id}/{provider.pk}"
    for name, schedule, kind in (
        (f"MLS sync {label}", {"interval": every, "crontab": None}, RunKind.INCREMENTAL),
        (f"MLS reconcile {label}", {"interval": None, "crontab": nightly}, RunKind.RECONCILE),
    ):
        task = PeriodicTask.objects.filter(name=name).first() or PeriodicTask(name=name)
        if task.pk is None and kind == RunKind.INCREMENTAL:
            # A new feed is due at once: its first sync need not wait a whole interval.
            task.last_run_at = timezone.now() - timedelta(minutes=provider.sync_interval_minutes)
        task.task = SYNC_TASK
        task.kwargs = json.dumps({"provider_id": provider.pk, "kind": str(kind)})
        task.interval, task.crontab = schedule["interval"], schedule["crontab"]
        task.enabled = provider.enabled
        task.description = f"{RunKind(kind).label} sync of {provider.name}"
        task.save()
        if kind == RunKind.INCREMENTAL and provider.periodic_task_id != task.pk:
            MLSProvider.objects.filter(pk=provider.pk).update(periodic_task=task)
            provider.periodic_task = task


def provider_unschedule(*, provider):
    """Remove a provider's schedules (before it is deleted)."""
    from django_celery_beat.models import PeriodicTask

    label = f"{provider.brokerage_id}/{provider.pk}"
    for task in PeriodicTask.objects.filter(
        name__in=[f"MLS sync {label}", f"MLS reconcile {label}"]
    ):
        task.delete()


def provider_enable(*, provider, enabled, actor):
    """Turn a provider's scheduled syncs on or off."""
    # A running sync moves the lease and the high-water mark: save over the stored row.
    provider.refresh_from_db()
    provider.enabled = enabled
    return provider_save(provider=provider, actor=actor)


def provider_set_interval(*, provider, minutes, actor):
    """Sync a provider every ``minutes`` minutes (1 minute to 1 week)."""
    provider.refresh_from_db()
    provider.sync_interval_minutes = minutes
    return provider_save(provider=provider, actor=actor)
