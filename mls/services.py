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
import os
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.db.models.base import ModelState
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record, events_build, events_dispatch_on_commit
from mls import signals
from mls.choices import FINISHED_STATES, ProviderKind, RunKind, RunState
from mls.models import MLSProvider, SyncError, SyncRun
from mls.normalize import READ_FIELDS, FeedListing, RecordError, read_record, record_hash
from mls.providers import provider_for
from mls.providers.base import Cursor, FeedError
from mls.providers.csv import csv_upload_check
from mls.providers.reso import parse_reso_timestamp
from mls.writes import (
    commit_without_waiting,
    events_insert,
    listings_stored,
    listings_write,
    rows_insert,
    statistics_refresh,
)
from properties.choices import ChangeSource, ListingSource, MediaStatus
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.reso import RESO_FIELDS
from properties.services import (
    home_duplicates_decide,
    home_duplicates_refresh,
    listing_change_payloads,
    listing_event_payload,
    media_cover,
    media_stored_names,
)
from realestate.collector import bulk_collection

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
        # A page of records is thousands of objects: at the default thresholds the collector
        # was a quarter of the work.
        with bulk_collection():
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
        pages = feed.pages(since=run.since, cursor=Cursor.from_dict(run.cursor))
        # Records are read ahead too while pages bring mostly new or changed ones.
        ahead = {"read": run.kind == RunKind.FULL and not provider.high_water_mark}
        for page in _read_ahead(pages, lambda page: _prepare(provider, page, ahead["read"])):
            written = _apply_page(provider, run, page)
            ahead["read"] = written * 2 > len(page.page.records)
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


def _read_ahead(pages, prepare):
    """The feed's pages, each ``prepare``-d, the next one read while the current one is written.

    The feed waits on the network and the write on the database: overlapped, a run takes the
    longer of the two rather than their sum. The reader thread touches no database.
    """

    def next_prepared():
        page = next(pages, None)
        return None if page is None else prepare(page)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mls-feed") as reader:
        try:
            upcoming = reader.submit(next_prepared)
            while (page := upcoming.result()) is not None:
                upcoming = reader.submit(next_prepared)
                yield page
        finally:
            upcoming.cancel()
            wait([upcoming])
            if hasattr(pages, "close"):
                pages.close()


@dataclass
class PreparedPage:
    """A page with what can be worked out before the database is asked: each key's latest
    record and its hash, and, when reading ahead, each record read and its listing row."""

    page: object
    latest: dict
    read: dict | None = None  # listing key -> FeedListing or RecordError
    rows: dict = field(default_factory=dict)  # listing key -> unsaved Property


def _prepare(provider, page, read):
    prepared = PreparedPage(page, _latest_by_key(page.records))
    if read:
        prepared.read, now = {}, timezone.now()
        for key, (record, content_hash) in prepared.latest.items():
            try:
                listing = read_record(record, content_hash)
            except RecordError as error:
                prepared.read[key] = error
                continue
            prepared.read[key] = listing
            if not listing.deleted:
                prepared.rows[key] = _listing_row(provider, listing, now)
    return prepared


SYNC_EVENTS = {RunState.SUCCEEDED: EventName.SYNC_COMPLETED, RunState.FAILED: EventName.SYNC_FAILED}


@transaction.atomic
def _finish(run, state, message):
    run.state, run.message, run.finished_at = state, message, timezone.now()
    run.save(update_fields=["state", "message", "finished_at"])
    if state in SYNC_EVENTS:
        provider = run.provider
        event_record(
            brokerage=provider.brokerage_id,
            name=SYNC_EVENTS[state],
            subject=run,
            payload={
                "run_id": run.pk,
                "provider_id": provider.pk,
                "provider": provider.name,
                "kind": run.kind,
                "state": run.state,
                "message": run.message,
                **{name: getattr(run, name) for name in SYNC_RUN_COUNTS},
            },
            actor=run.triggered_by,
        )
    return run


# What a run's completion or failure event counts.
SYNC_RUN_COUNTS = ("fetched", "created", "updated", "unchanged", "off_market", "failed")


# ---------------------------------------------------------------------------------------------
# Applying a page
#
# A page is applied in a few statements whatever its size (``mls.writes``): the stored state
# of its keys is read at once; a record whose hash matches is unchanged and is not even read;
# the rest are written together with their photos and history.

# What a page needs to know of the listings it may write.
STORED_FIELDS = (
    "pk",
    "listing_key",
    "content_hash",
    "modification_timestamp",
    "feed_removed_at",
    "archived_at",
    "list_price",
    "standard_status",
    "original_list_price",
    "photos_count",
    "cover_thumbnail",
    "home_key",
)
# What a sync writes over a stored listing: the MLS-owned fields and what is derived from them.
LISTING_UPDATE_FIELDS = [
    *(name for name in RESO_FIELDS.values() if name != "listing_key"),
    "content_hash",
    "cover_thumbnail",
    "search_document",
    "home_key",
    "home_duplicate",  # decided for the page's homes before the write
    "home_listings_count",
    "updated_at",
]
ANALYZE_AFTER = 1000  # new listings in a run, then each fourfold: the planner's statistics
PHOTO_FETCH_CHUNK = 100  # listings whose new photos one download task fetches
FEED_SET_FIELDS = {field_name for _, field_name in READ_FIELDS} | {
    "listing_key",
    "modification_timestamp",
}
# Every column of a listing the feed does not set, as a new listing has it.
LISTING_DEFAULTS = {
    field.attname: field.get_default()
    for field in Property._meta.concrete_fields
    if not field.primary_key and field.name not in FEED_SET_FIELDS
}


@dataclass
class StoredListing:
    pk: int
    listing_key: str
    content_hash: str
    modification_timestamp: object
    feed_removed_at: object
    archived_at: object
    list_price: object
    standard_status: str
    original_list_price: object
    photos_count: int
    cover_thumbnail: str
    home_key: str


@transaction.atomic
def _apply_page(provider, run, prepared):
    """Write one page's listings and the run's new cursor in one transaction.

    Returns how many listings it created or updated.
    """
    commit_without_waiting()
    page = prepared.page
    errors = list(page.errors)
    counts, newest = _upsert(provider, prepared, errors)
    SyncError.objects.bulk_create(
        SyncError(run=run, listing_key=key[:128], reason=reason, record=_loggable(record))
        for key, reason, *record in errors
    )
    if counts["created"] and _grown(run.created, run.created + counts["created"]):
        statistics_refresh()
    run.fetched += len(page.records)
    run.failed += len(errors)
    run.created += counts["created"]
    run.updated += counts["updated"]
    run.unchanged += counts["unchanged"]
    run.off_market += counts["off_market"]
    if page.total is not None and run.total is None:
        run.total = page.total
    if newest and (run.newest_timestamp is None or newest > run.newest_timestamp):
        run.newest_timestamp = newest
    run.cursor = page.cursor.as_dict()
    run.save()
    return counts["created"] + counts["updated"]


def _grown(before, after):
    """Whether a run's new listings passed 1,000, then each fourfold (time to analyze)."""
    if after < ANALYZE_AFTER:
        return False
    scale = (before // ANALYZE_AFTER).bit_length() // 2
    return before < ANALYZE_AFTER or (after // ANALYZE_AFTER).bit_length() // 2 > scale


def _loggable(record):
    if not record:
        return {}
    record = record[0]
    text = str(record)
    return record if len(text) <= MAX_LOGGED_RECORD_CHARS else {"excerpt": text[:4000]}


def _upsert(provider, prepared, errors):
    """Create, update or take off the market a page's records; returns counts and the newest."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "off_market": 0}
    latest = prepared.latest
    stored = {
        row[1]: StoredListing(*row)
        for row in listings_stored(provider.pk, list(latest), STORED_FIELDS)
    }
    newest = None
    created, updated, gone = [], [], []
    for key, (record, content_hash) in latest.items():
        row = stored.get(key)
        if row is not None and row.content_hash == content_hash and row.feed_removed_at is None:
            counts["unchanged"] += 1  # the very record already applied: not even read
            newest = _newer(newest, row.modification_timestamp)
            continue
        listing = prepared.read.get(key) if prepared.read is not None else None
        if listing is None:
            try:
                listing = read_record(record, content_hash)
            except RecordError as exc:
                listing = exc
        if isinstance(listing, RecordError):
            errors.append((key, str(listing), record))
            continue
        newest = _newer(newest, listing.modified)
        if listing.deleted:
            if row is not None and row.feed_removed_at is None:
                gone.append(row.pk)
        elif row is None:
            created.append(listing)
        elif listing.modified < row.modification_timestamp:
            counts["unchanged"] += 1  # older than what is stored
        else:
            updated.append((row, listing))
    counts["off_market"] = _take_off_market(gone, timezone.now())
    counts["created"], counts["updated"] = _write(provider, created, updated, prepared.rows)
    return counts, newest


def _latest_by_key(records):
    """``{listing_key: (record, hash)}``; a page holding a key twice keeps the newest."""
    latest = {}
    for record in records:
        key = str(record.get("ListingKey") or "").strip()
        seen = latest.get(key)
        if seen is not None and _modified(record) < _modified(seen[0]):
            continue
        latest[key] = (record, record_hash(record))
    return latest


def _modified(record):
    try:
        return parse_reso_timestamp(record.get("ModificationTimestamp"))
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _newer(newest, moment):
    return moment if newest is None or moment > newest else newest


def _write(provider, created, updated, rows):
    """Write new and changed listings with their photos and history; returns the counts.

    ``rows`` holds the listing rows already built from the records, by listing key.
    """
    now = timezone.now()
    agents = _agents_by_mls_id(provider) if created else {}
    existing_media = _media_of([row.pk for row, _ in updated])
    new_rows, changed_rows, media_plans = [], [], {}
    for listing in created:
        row = rows.get(listing.listing_key) or _listing_row(provider, listing, now)
        agent = agents.get(row.list_agent_mls_id or "")
        if agent is not None:  # the brokerage's own agent lists it; assignment is ours from here on
            row.list_agent_id, row.list_office_id = agent.pk, agent.office_id
        row.original_list_price = row.original_list_price or row.list_price
        media_plans[listing.listing_key] = plan = _media_plan([], listing.media)
        row.photos_count, row.cover_thumbnail = len(listing.media), media_cover(plan.first)
        new_rows.append(row)
    for stored, listing in updated:
        row = rows.get(listing.listing_key) or _listing_row(provider, listing, now)
        row.original_list_price = row.original_list_price or stored.original_list_price
        plan = _media_plan(existing_media.get(stored.pk, []), listing.media)
        media_plans[listing.listing_key] = plan
        row.photos_count = len(listing.media)
        row.cover_thumbnail = media_cover(plan.first) if plan.changed else stored.cover_thumbnail
        row.archived_at = _archived_once_back(stored)
        changed_rows.append(row)
    # Homes are decided before the write, so that a row is written once, flag and count with it.
    home_duplicates_decide(
        brokerage_id=provider.brokerage_id,
        new=new_rows,
        changed=[(stored.pk, row) for (stored, _), row in zip(updated, changed_rows, strict=True)],
    )
    ids = listings_write(new=new_rows, changed=changed_rows, update_fields=LISTING_UPDATE_FIELDS)
    _came_back([stored.pk for stored, _ in updated if stored.feed_removed_at is not None])
    # A listing that left a home may have stood for it; one not written (a newer one is stored)
    # was decided with values it does not have.
    home_duplicates_refresh(
        brokerage_id=provider.brokerage_id,
        home_keys={
            key
            for (stored, listing), row in zip(updated, changed_rows, strict=True)
            if stored.home_key != row.home_key or listing.listing_key not in ids
            for key in (stored.home_key, row.home_key)
        },
    )
    fetch = _media_write(ids, media_plans)
    _history_write(ids, created, updated)
    _events_write(provider, ids, new_rows, zip(updated, changed_rows, strict=True))
    if fetch:
        transaction.on_commit(lambda: _enqueue_photo_fetch(fetch))
    transaction.on_commit(partial(_send_events, ids, created, updated))
    return (
        sum(listing.listing_key in ids for listing in created),
        sum(listing.listing_key in ids for _, listing in updated),
    )


def _listing_row(provider, listing: FeedListing, now):
    row = _unsaved(
        Property,
        {
            **LISTING_DEFAULTS,
            "brokerage_id": provider.brokerage_id,
            "source": ListingSource.MLS.value,
            "mls_provider_id": provider.pk,
            "content_hash": listing.content_hash,
            "created_at": now,
            "updated_at": now,
            **listing.values,
        },
    )
    row.search_document = row.build_search_document()
    row.home_key = row.build_home_key()
    return row


def _unsaved(model, values):
    """An unsaved ``model`` instance holding ``values`` (attnames), made as ``from_db`` does.

    ``Model.__init__`` costs more than the rest of a listing's write; the values here are
    complete and already of the fields' types.
    """
    instance = model.__new__(model)
    instance._state = ModelState()
    instance.__dict__[model._meta.pk.attname] = None
    instance.__dict__.update(values)
    return instance


def _came_back(pks):
    """Listings the feed offers again after it had dropped them."""
    if not pks:
        return
    # Archived by the sync (at the moment it dropped them), not by a person: back on the lists.
    Property.objects.filter(pk__in=pks, archived_at=F("feed_removed_at")).update(archived_at=None)
    Property.objects.filter(pk__in=pks).update(feed_removed_at=None)


def _archived_once_back(stored):
    """The ``archived_at`` a stored listing has once written (``_came_back``)."""
    if stored.feed_removed_at is not None and stored.archived_at == stored.feed_removed_at:
        return None
    return stored.archived_at


def _agents_by_mls_id(provider):
    from agents.models import Agent

    return {
        agent.mls_agent_id: agent
        for agent in Agent.objects.filter(brokerage=provider.brokerage_id).exclude(mls_agent_id="")
    }


# Photos


@dataclass
class MediaPlan:
    """How a listing's photo rows become the feed's: rows to add, change and remove."""

    add: list = field(default_factory=list)
    change: list = field(default_factory=list)
    remove: list = field(default_factory=list)
    first: PropertyMedia | None = None
    changed: bool = False


def _media_of(listing_ids):
    media = {}
    if listing_ids:
        for item in PropertyMedia.objects.filter(property_id__in=listing_ids):
            media.setdefault(item.property_id, []).append(item)
    return media


def _media_plan(existing, photos):
    """Compare a listing's photo rows with the feed's photos; new or changed ones are fetched.

    New photos stay as the feed's dicts (no model instance: a full sync adds millions).
    """
    plan = MediaPlan()
    by_key = {media.media_key: media for media in existing}
    first = None
    for photo in photos:
        media = by_key.pop(photo["media_key"], None)
        if media is None:
            plan.add.append(photo)
            if first is None or photo["position"] < first.position:
                first = _unsaved(PropertyMedia, {**MEDIA_DEFAULTS, **photo, "original": ""})
            continue
        stamp = media.media_modification_timestamp
        same_file = (media.media_url, stamp.isoformat() if stamp else "") == (
            photo["media_url"],
            photo["modified"],
        )
        if not same_file:
            media.status, media.error = MediaStatus.PENDING, ""
            media.media_url = photo["media_url"]
            media.media_modification_timestamp = _photo_stamp(photo)
        if not same_file or (media.position, media.caption) != (
            photo["position"],
            photo["caption"],
        ):
            media.position, media.caption = photo["position"], photo["caption"]
            plan.change.append(media)
        if first is None or media.position < first.position:
            first = media
    plan.remove = list(by_key.values())
    plan.changed = bool(plan.add or plan.change or plan.remove)
    plan.first = first
    return plan


def _photo_stamp(photo):
    return datetime.fromisoformat(photo["modified"]) if photo["modified"] else None


MEDIA_DEFAULTS = {
    field.attname: field.get_default()
    for field in PropertyMedia._meta.concrete_fields
    if not field.primary_key
}
MEDIA_FIELDS = (
    "property_id",
    "uuid",
    "position",
    "caption",
    "media_key",
    "media_url",
    "media_modification_timestamp",
    "original",
    "checksum",
    "width",
    "height",
    "variants",
    "status",
    "error",
    "created_at",
)


def _media_write(ids, plans):
    """Apply the photo plans of the listings written; returns the listings with photos to fetch."""
    now = timezone.now()
    added, changed, removed = [], [], []
    new_ids = _uuid4s(sum(len(plan.add) for plan in plans.values()))
    for key, plan in plans.items():
        listing_id = ids.get(key)
        if listing_id is None:
            continue
        for photo in plan.add:
            added.append(
                (
                    listing_id,
                    next(new_ids),
                    photo["position"],
                    photo["caption"],
                    photo["media_key"],
                    photo["media_url"],
                    _photo_stamp(photo),
                    "",
                    "",
                    None,
                    None,
                    {},
                    MediaStatus.PENDING.value,
                    "",
                    now,
                )
            )
        changed += plan.change
        removed += plan.remove
    if removed:
        names = [name for media in removed for name in media_stored_names(media)]
        PropertyMedia.objects.filter(pk__in=[media.pk for media in removed]).delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    if changed:
        PropertyMedia.objects.bulk_update(
            changed,
            ["media_url", "position", "caption", "media_modification_timestamp", "status", "error"],
        )
    rows_insert(PropertyMedia, MEDIA_FIELDS, added)
    pending = {media.property_id for media in changed if media.status == MediaStatus.PENDING}
    return sorted(pending | {row[0] for row in added})


def _uuid4s(count):
    """``count`` random (version 4) UUIDs from one read of the system's random source.

    A sync adds thousands of photos a page; ``uuid.uuid4()`` reads the source once each.
    """
    random = os.urandom(16 * count)
    return iter(
        [
            uuid.UUID(bytes=random[start : start + 16], version=4)
            for start in range(0, 16 * count, 16)
        ]
    )


def _enqueue_photo_fetch(listing_ids):
    from mls.tasks import mls_photos_fetch_task

    for start in range(0, len(listing_ids), PHOTO_FETCH_CHUNK):
        mls_photos_fetch_task.delay(listing_ids=listing_ids[start : start + PHOTO_FETCH_CHUNK])


# History and events


HISTORY_FIELDS = ("property_id", "changed_at", "changed_by_id", "source")


def _history_write(ids, created, updated):
    """The price and status history of the listings written, as the feed dates it."""
    source = ChangeSource.MLS.value
    prices, statuses = [], []
    for listing in created:
        listing_id = ids.get(listing.listing_key)
        if listing_id is not None:
            history = (listing_id, listing.modified, None, source)
            prices.append((*history, None, listing.values["list_price"]))
            statuses.append((*history, "", listing.values["standard_status"]))
    for stored, listing in updated:
        if listing.listing_key not in ids:
            continue
        history = (stored.pk, listing.modified, None, source)
        price, status = listing.values["list_price"], listing.values["standard_status"]
        if price != stored.list_price:
            prices.append((*history, stored.list_price, price))
        if status != stored.standard_status:
            statuses.append((*history, stored.standard_status, status))
    rows_insert(PriceChange, (*HISTORY_FIELDS, "old_price", "new_price"), prices)
    rows_insert(StatusChange, (*HISTORY_FIELDS, "old_status", "new_status"), statuses)


def _events_write(provider, ids, new_rows, changes):
    """The domain events of the listings written, in one bulk write with the page.

    ``changes`` pairs each updated listing ``(stored, listing)`` with its written row.
    """
    items = {name: [] for name in LISTING_EVENTS}
    for row in new_rows:
        row.pk = ids.get(row.listing_key)
        if row.pk is not None:
            items[EventName.LISTING_CREATED].append((row.pk, listing_event_payload(row)))
    for (stored, listing), row in changes:
        if listing.listing_key in ids:
            row.pk = stored.pk
            payloads = listing_change_payloads(
                row, old_price=stored.list_price, old_status=stored.standard_status
            )
            for name, payload in payloads.items():
                items[name].append((row.pk, payload))
    events = [
        event
        for name, named in items.items()
        for event in events_build(
            brokerage=provider.brokerage_id, name=name, model=Property, items=named
        )
    ]
    events_dispatch_on_commit(events_insert(events))


LISTING_EVENTS = (
    EventName.LISTING_CREATED,
    EventName.LISTING_PRICE_CHANGED,
    EventName.LISTING_STATUS_CHANGED,
)


def _send_events(ids, created, updated):
    """``mls.listing.created``, ``.price_changed`` and ``.status_changed``, once committed."""
    for listing in created:
        if listing.listing_key in ids:
            signals.listing_created.send(
                sender=Property, listing_id=ids[listing.listing_key], values=listing.values
            )
    for stored, listing in updated:
        if listing.listing_key not in ids:
            continue
        new_price, new_status = listing.values["list_price"], listing.values["standard_status"]
        if new_price != stored.list_price:
            signals.listing_price_changed.send(
                sender=Property,
                listing_id=stored.pk,
                old_price=stored.list_price,
                new_price=new_price,
            )
        if new_status != stored.standard_status:
            signals.listing_status_changed.send(
                sender=Property,
                listing_id=stored.pk,
                old_status=stored.standard_status,
                new_status=new_status,
            )


def _take_off_market(listing_ids, now):
    """The feed no longer offers these listings: keep them and their history, off the lists."""
    if not listing_ids:
        return 0
    listings = Property.objects.filter(pk__in=listing_ids, feed_removed_at__isnull=True)
    listings.filter(archived_at__isnull=True).update(archived_at=now, updated_at=now)
    gone = listings.update(feed_removed_at=now, updated_at=now)
    _homes_refresh(listing_ids)
    return gone


def _homes_refresh(listing_ids):
    """Decide again which listing shows each home, once some left or rejoined the lists."""
    homes = Property.objects.filter(pk__in=listing_ids).exclude(home_key="")
    by_brokerage = {}
    for brokerage_id, home_key in homes.values_list("brokerage_id", "home_key"):
        by_brokerage.setdefault(brokerage_id, set()).add(home_key)
    for brokerage_id, home_keys in by_brokerage.items():
        home_duplicates_refresh(brokerage_id=brokerage_id, home_keys=home_keys)


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
            run.off_market += _take_off_market(gone[start : start + 500], now)
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


@transaction.atomic
def provider_feed_upload(*, provider, upload, actor=None):
    """Store an uploaded CSV export as a CSV provider's feed and queue a full sync of it.

    Saves the provider's other changes with it. Bad rows are the sync's to report (by line,
    the good rows kept); a file that is not a CSV feed at all is refused here. The file it
    replaces is deleted once this commits. Returns the queued run, or None when a run of the
    feed is already queued or running (the next run reads the new file).
    """
    if provider.kind != ProviderKind.CSV:
        raise ValidationError({"feed_file": "Only a CSV feed is read from an uploaded file."})
    try:
        csv_upload_check(upload, provider.field_mapping)
    except ValidationError as error:
        raise ValidationError({"feed_file": error.messages}) from error
    stored = MLSProvider.objects.filter(pk=provider.pk).values_list("feed_file", flat=True)
    old_name = stored.first() if provider.pk else ""
    provider.feed_file = upload
    provider_save(provider=provider, actor=actor)
    if old_name:
        transaction.on_commit(lambda: default_storage.delete(old_name))
    try:
        return sync_run_start(provider=provider, kind=RunKind.FULL, actor=actor)
    except ValidationError:
        return None


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
