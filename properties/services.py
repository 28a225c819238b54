"""Every write to listings and their photos, with the rules that go with it."""

import hashlib
import logging
import math
import uuid
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from agents.choices import EventName, Role
from agents.services.events import event_build, event_record, events_record
from compliance.services.licences import licence_assert_active
from properties import images
from properties.choices import (
    ON_MARKET_STATUSES,
    ChangeSource,
    ListingSource,
    MediaStatus,
    StandardStatus,
)
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.reso import RESO_FIELDS
from realestate.permissions import CHANGE, VIEW, actor_for

logger = logging.getLogger(__name__)

# Fields the system or the MLS sync keeps; nobody sets them by hand.
LISTING_SYSTEM_FIELDS = (
    "brokerage",
    "source",
    "mls_provider",
    "content_hash",
    "feed_removed_at",
    "listing_key",
    "originating_system_name",
    "photos_count",
    "photos_change_timestamp",
    "modification_timestamp",
    "archived_at",
    "created_by",
    "created_at",
    "updated_at",
)
# Fields a person may set on a listing.
LISTING_EDITABLE_FIELDS = frozenset(
    field.name
    for field in Property._meta.get_fields()
    if getattr(field, "editable", False)
    and field.concrete
    and field.name not in {"id", *LISTING_SYSTEM_FIELDS}
)


def _check_fields(data, listing=None):
    unknown = set(data) - LISTING_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), "This field cannot be set."), code="read_only"
        )
    if listing is not None and listing.source == ListingSource.MLS:
        # The feed owns these: a local edit would be overwritten by the next sync.
        from_feed = set(data) & set(RESO_FIELDS.values())
        if from_feed:
            raise ValidationError(
                dict.fromkeys(sorted(from_feed), "This comes from the MLS feed; change it there."),
                code="mls_owned",
            )


def _check_listing_people(*, listing, actor):
    """The listing agent and office belong to the brokerage; an agent lists for themselves.

    Brokers and assistants may list for anyone in the firm, or leave a listing unassigned;
    an agent may not hand their listing to nobody (they would lose it).
    """
    agent = listing.list_agent
    who = actor_for(actor)
    may_assign = who.is_broker or who.role == Role.ASSISTANT
    if agent is None:
        if not may_assign:
            raise ValidationError({"list_agent": "A listing needs its listing agent."})
    elif agent.brokerage_id != listing.brokerage_id:
        raise ValidationError({"list_agent": "Choose an agent of your brokerage."})
    elif not may_assign and agent.user_id != actor.pk:
        raise ValidationError({"list_agent": "You can only list properties for yourself."})
    elif listing.list_office_id is None and agent.office_id is not None:
        listing.list_office_id = agent.office_id
    if listing.list_office and listing.list_office.brokerage_id != listing.brokerage_id:
        raise ValidationError({"list_office": "Choose an office of your brokerage."})


def _check_fair_housing(listing, *, was_published, old_remarks):
    """A brokerage listing put on the market, or whose public remarks change while it is on
    the market, is refused while its public text has Fair Housing findings that no broker has
    approved. MLS listings are the MLS's: the nightly scan reports on them instead."""
    if listing.source != ListingSource.LOCAL or listing.standard_status not in ON_MARKET_STATUSES:
        return
    if was_published and listing.public_remarks == old_remarks:
        return
    from compliance.services.fair_housing import fair_housing_publish_check

    fair_housing_publish_check(text=listing.public_remarks, brokerage=listing.brokerage_id)


@transaction.atomic
def listing_create(*, data, actor):
    """Create a brokerage listing with its first price and status in the timeline."""
    who = actor_for(actor)
    if not who.can_write or who.agent is None:
        raise PermissionDenied("You cannot add listings.")
    _check_fields(data)
    listing = Property(
        brokerage_id=who.brokerage_id,
        source=ListingSource.LOCAL,
        listing_key=f"{who.brokerage.slug}-{uuid.uuid4().hex[:12]}",
        created_by=actor,
        **data,
    )
    if listing.list_agent_id is None and not who.is_broker:
        listing.list_agent = who.agent
    if listing.original_list_price is None:
        listing.original_list_price = listing.list_price
    _check_listing_people(listing=listing, actor=actor)
    licence_assert_active(agent=listing.list_agent, field="list_agent")
    _check_fair_housing(listing, was_published=False, old_remarks="")
    listing.search_document = listing.build_search_document()
    listing.home_key = listing.build_home_key()
    listing.full_clean()
    listing.save()
    _record_history(listing, old_price=None, old_status="", actor=actor, source=ChangeSource.LOCAL)
    event_record(
        brokerage=listing.brokerage_id,
        name=EventName.LISTING_CREATED,
        subject=listing,
        payload=listing_event_payload(listing),
        actor=actor,
    )
    _home_refresh(listing, listing.home_key)
    return listing


@transaction.atomic
def listing_update(*, listing, data, actor, source=ChangeSource.LOCAL):
    """Change a listing; a new price or status is written to its timeline."""
    _check_fields(data, listing)
    old_price, old_status = listing.list_price, listing.standard_status
    old_home_key, old_remarks = listing.home_key, listing.public_remarks
    old_people = (listing.list_agent_id, listing.list_office_id)
    for field, value in data.items():
        setattr(listing, field, value)
    if (listing.list_agent_id, listing.list_office_id) != old_people:
        _check_listing_people(listing=listing, actor=actor)
    if listing.list_agent_id != old_people[0]:
        licence_assert_active(agent=listing.list_agent, field="list_agent")
    _check_fair_housing(
        listing, was_published=old_status in ON_MARKET_STATUSES, old_remarks=old_remarks
    )
    listing.search_document = listing.build_search_document()
    listing.home_key = listing.build_home_key()
    if not listing.home_key:
        # No home, so no other listing stands for it or shares it.
        listing.home_duplicate, listing.home_listings_count = False, 1
    listing.modification_timestamp = timezone.now()
    listing.full_clean()
    listing.save()
    _record_history(listing, old_price=old_price, old_status=old_status, actor=actor, source=source)
    _record_change_events(listing, old_price=old_price, old_status=old_status, actor=actor)
    # Always: the new modification time (or status) may make this the home's primary listing.
    _home_refresh(listing, old_home_key, listing.home_key)
    return listing


def _record_history(listing, *, old_price, old_status, actor, source):
    """Write the listing's new price and status to its timeline when they changed."""
    history = {"changed_at": listing.modification_timestamp, "changed_by": actor, "source": source}
    if listing.list_price != old_price:
        PriceChange.objects.create(
            property=listing, old_price=old_price, new_price=listing.list_price, **history
        )
    if listing.standard_status != old_status:
        StatusChange.objects.create(
            property=listing, old_status=old_status, new_status=listing.standard_status, **history
        )


def _money(value):
    """A price as a webhook consumer reads it: a decimal string (never a float), or None."""
    return None if value is None else str(value)


def listing_event_payload(listing, **changes):
    """What an event about a listing tells its readers: which listing, where, at what price.

    ``listing`` may be a saved listing or a sync's written row with its id set; ``changes``
    (old and new price or status) are added as they are, prices as decimal strings.
    """
    payload = {
        "listing_id": listing.pk,
        "listing_key": listing.listing_key,
        "mls_number": listing.listing_id,
        "source": listing.source,
        "address": listing.address_line,
        "list_price": _money(listing.list_price),
        "standard_status": listing.standard_status,
    }
    for name, value in changes.items():
        payload[name] = _money(value) if name.endswith("_price") else value
    return payload


def listing_change_payloads(listing, *, old_price, old_status):
    """``{event name: payload}`` of a listing whose price or status moved from ``old_price``
    / ``old_status``: ``listing.price_changed``, ``listing.status_changed``, or neither."""
    payloads = {}
    if listing.list_price != old_price:
        payloads[EventName.LISTING_PRICE_CHANGED] = listing_event_payload(
            listing, old_price=old_price, new_price=listing.list_price
        )
    if listing.standard_status != old_status:
        payloads[EventName.LISTING_STATUS_CHANGED] = listing_event_payload(
            listing, old_status=old_status, new_status=listing.standard_status
        )
    return payloads


def listing_change_events(listing, *, old_price, old_status, actor=None):
    """Unsaved price and status change events of a listing (see ``listing_change_payloads``)."""
    return [
        event_build(
            brokerage=listing.brokerage_id, name=name, subject=listing, payload=payload, actor=actor
        )
        for name, payload in listing_change_payloads(
            listing, old_price=old_price, old_status=old_status
        ).items()
    ]


def _record_change_events(listing, *, old_price, old_status, actor):
    events_record(
        listing_change_events(listing, old_price=old_price, old_status=old_status, actor=actor)
    )


@transaction.atomic
def listing_archive(*, listing, actor):
    """Take a listing off the agents' lists without losing it or its history."""
    if listing.archived_at is None:
        listing.archived_at = timezone.now()
        listing.save(update_fields=["archived_at", "updated_at"])
        _home_refresh(listing, listing.home_key)
    return listing


@transaction.atomic
def listing_restore(*, listing, actor):
    """Bring an archived listing back."""
    if listing.archived_at is not None:
        listing.archived_at = None
        listing.save(update_fields=["archived_at", "updated_at"])
        _home_refresh(listing, listing.home_key)
    return listing


# Which listing stands for a home on the lists: on the market first, then sold, then the rest
# (withdrawn, expired, ...); among equals the most recently modified, then the first entered.
HOME_STATUS_RANKS = {**dict.fromkeys(ON_MARKET_STATUSES, 0), StandardStatus.CLOSED: 1}
HOME_OTHER_STATUS_RANK = 2
# What the refresh reads of each listing of a home.
SHARED_HOMES_FIRST = 50  # homes in a batch above which the shared ones are found first
HOME_ROW_FIELDS = (
    "pk",
    "home_key",
    "standard_status",
    "modification_timestamp",
    "archived_at",
    "home_duplicate",
    "home_listings_count",
)


def _home_primary_order(row):
    """The home's primary listing has the greatest of these (``row`` as the refresh reads it)."""
    pk, _, status, modified, *_ = row
    return (-HOME_STATUS_RANKS.get(status, HOME_OTHER_STATUS_RANK), modified, -pk)


def home_duplicates_refresh(*, brokerage_id, home_keys):
    """Decide again which listing stands for each of these homes; flag the others as duplicates,
    and count each home's listings.

    A home is the listings of a brokerage with the same non-empty ``home_key``. Its primary
    listing is chosen among its current (not archived) ones, by status (on the market, then
    closed, then the rest), then the newest ``modification_timestamp``, then the lowest id; its
    other current listings get ``home_duplicate=True`` and the lists hide them. An archived
    listing, or one without a key, is never a duplicate. Every listing of a home, archived ones
    included, gets ``home_listings_count``: how many there are (the cards' "2 listings").

    Call it after any write that changes a listing's home key, status, modification time or
    archived state, with the old and the new keys of the listings written (a listing that moved
    to another home may have stood for the old one). Empty keys are ignored: a write that
    empties a listing's key writes ``home_duplicate=False`` and ``home_listings_count=1`` with
    it. One query reads the homes' listings (for a big batch, a first one finds the homes with
    more than one listing, a flag or a count to correct), and an UPDATE per pair of values
    writes the flags and counts that change, each listing once; no key, no query. Returns the
    ids of those homes' listings that are duplicates now.
    """
    return _homes_refresh(brokerage_id, home_keys)[0]


def _homes_refresh(brokerage_id, home_keys):
    """``home_duplicates_refresh``: the duplicates' ids, and each listing read with its count."""
    keys = {key for key in home_keys if key}
    if not keys:
        return set(), {}
    homes = defaultdict(list)
    rows = Property.objects.filter(brokerage_id=brokerage_id, home_key__any=keys)
    if len(keys) > SHARED_HOMES_FIRST:
        # Most homes of a big batch have one listing, already unflagged and counted: only the
        # others need their rows read.
        keys = set(
            rows.values("home_key")
            .annotate(
                listings=Count("pk"),
                flagged=Count("pk", filter=Q(home_duplicate=True)),
                miscounted=Count("pk", filter=~Q(home_listings_count=1)),
            )
            .filter(Q(listings__gt=1) | Q(flagged__gt=0) | Q(miscounted__gt=0))
            .values_list("home_key", flat=True)
        )
        if not keys:
            return set(), {}
        rows = Property.objects.filter(brokerage_id=brokerage_id, home_key__any=keys)
    for row in rows.values_list(*HOME_ROW_FIELDS):
        homes[row[1]].append(row)
    duplicates, counts = set(), {}
    to_write = defaultdict(list)  # (flag, count) -> ids of listings stored with another
    for row, duplicate, count in _home_decisions(homes):
        pk, *_, flagged, counted = row
        if duplicate:
            duplicates.add(pk)
        counts[pk] = count
        if (duplicate, count) != (flagged, counted):
            to_write[duplicate, count].append(pk)
    _homes_write(to_write)
    return duplicates, counts


def home_duplicates_decide(*, brokerage_id, new=(), changed=()):
    """Decide the homes of listings before they are written: ``home_duplicates_refresh`` for a
    batch about to be written, which then writes each of its rows once.

    ``new`` are unsaved listings, which will take ids above every stored one in this order;
    ``changed`` are ``(id, instance)`` pairs of stored listings. The instances hold the values
    they are about to be written with (a stored one, the ``archived_at`` it will have), and
    each gets its ``home_duplicate`` and ``home_listings_count``. The brokerage's other
    listings of those homes whose flag or count changes are updated now. When a stored
    listing leaves a home, refresh its old key after the write: it may have stood for it.
    One query reads the other listings of the homes; an UPDATE per pair of values writes
    those that change.
    """
    # A new listing's id is not known yet but is above every stored one. Among equals ``max``
    # keeps the first, and new listings come last, in their order: the lowest id first.
    listings = [*changed, *((math.inf, listing) for listing in new)]
    keys = {listing.home_key for _, listing in listings if listing.home_key}
    homes = defaultdict(list)
    if keys:
        rows = Property.objects.filter(brokerage_id=brokerage_id, home_key__any=keys)
        if changed:
            rows = rows.exclude(pk__any=[pk for pk, _ in changed])
        for row in rows.values_list(*HOME_ROW_FIELDS):
            homes[row[1]].append(row)
    for pk, listing in listings:
        if not listing.home_key:
            listing.home_duplicate, listing.home_listings_count = False, 1
            continue
        homes[listing.home_key].append(
            (
                pk,
                listing.home_key,
                listing.standard_status,
                listing.modification_timestamp,
                listing.archived_at,
                listing,
            )
        )
    to_write = defaultdict(list)
    for row, duplicate, count in _home_decisions(homes):
        if isinstance(row[-1], Property):
            row[-1].home_duplicate, row[-1].home_listings_count = duplicate, count
        elif (duplicate, count) != tuple(row[-2:]):
            to_write[duplicate, count].append(row[0])
    _homes_write(to_write)


def _home_decisions(homes):
    """``(row, duplicate, count)`` for every listing of ``homes`` (key -> rows as the refresh
    reads them): the primary listing of each home is the greatest by ``_home_primary_order``
    among its current ones, and every other current one is a duplicate."""
    for listings in homes.values():
        primary = max(
            (row for row in listings if row[4] is None), key=_home_primary_order, default=None
        )
        for row in listings:
            yield row, row[4] is None and row is not primary, len(listings)


def _homes_write(to_write):
    """Write ``{(flag, count): ids}``: a listing whose flag and count both change, once."""
    for (duplicate, count), pks in to_write.items():
        Property.objects.filter(pk__any=pks).update(
            home_duplicate=duplicate, home_listings_count=count
        )


def _home_refresh(listing, *home_keys):
    """Refresh the listing's home(s) and keep the instance's own flag and count as stored."""
    duplicates, counts = _homes_refresh(listing.brokerage_id, home_keys)
    listing.home_duplicate = listing.pk in duplicates
    listing.home_listings_count = counts.get(listing.pk, 1)


def listing_share(*, listing, agent, actor, can_change=False):
    """Share a listing with an agent of the same brokerage (view, and optionally change)."""
    from guardian.shortcuts import assign_perm

    if agent.brokerage_id != listing.brokerage_id:
        raise ValidationError("Listings can only be shared within the brokerage.")
    assign_perm(f"properties.{VIEW}_property", agent.user, listing)
    if can_change:
        assign_perm(f"properties.{CHANGE}_property", agent.user, listing)


@transaction.atomic
def media_add(*, listing, upload, actor, caption=""):
    """Store an uploaded photo under a generated name and queue its variants."""
    images.check_file_size(upload.size)
    data = upload.read()
    info = images.inspect_image(data)
    last = PropertyMedia.objects.filter(property=listing).aggregate(last=Max("position"))["last"]
    position = 0 if last is None else last + 1
    media = PropertyMedia(
        property=listing,
        position=position,
        caption=caption,
        checksum=hashlib.sha256(data).hexdigest(),
        width=info.width,
        height=info.height,
    )
    media.original.save(f"original.{info.extension}", ContentFile(data), save=False)
    media.save()
    _photos_changed(listing)
    transaction.on_commit(lambda: _enqueue_media_processing(media.pk))
    return media


def _enqueue_media_processing(media_id):
    from properties.tasks import media_process_task

    media_process_task.delay(media_id=media_id)


def media_process(*, media):
    """Make the photo's variants and store them; a failure is recorded on the photo."""
    try:
        with media.original.open("rb") as original:
            data = original.read()
        rendered = images.render_variants(data)
    except (OSError, ValidationError) as exc:
        logger.warning("photo %s could not be processed: %s", media.pk, exc)
        media.status = MediaStatus.FAILED
        media.error = "; ".join(getattr(exc, "messages", [])) or str(exc)
        media.save(update_fields=["status", "error"])
        return media
    variants = {}
    base = media.original.name.rsplit("/", 1)[0]
    for size, formats in rendered.items():
        variants[size] = {}
        for fmt, content in formats.items():
            extension = "jpg" if fmt == "jpeg" else fmt
            name = default_storage.save(f"{base}/{size}.{extension}", ContentFile(content))
            variants[size][fmt] = name
    old_names = [name for formats in media.variants.values() for name in formats.values()]
    media.variants = variants
    media.status = MediaStatus.READY
    media.error = ""
    media.save(update_fields=["variants", "status", "error"])
    listing_cover_refresh(media.property)
    for name in old_names:
        if name not in {n for formats in variants.values() for n in formats.values()}:
            default_storage.delete(name)
    return media


def media_attach_original(*, media, data):
    """Store a photo fetched from the MLS as the original and make its variants.

    The same bytes as before (same checksum) are not stored or processed again.
    """
    checksum = hashlib.sha256(data).hexdigest()
    if checksum == media.checksum and media.status == MediaStatus.READY:
        return media
    info = images.inspect_image(data)
    old_files = [media.original.name] if media.original else []
    media.checksum, media.width, media.height = checksum, info.width, info.height
    media.original.save(f"original.{info.extension}", ContentFile(data), save=False)
    media.save(update_fields=["checksum", "width", "height", "original"])
    for name in old_files:
        if name != media.original.name:
            default_storage.delete(name)
    return media_process(media=media)


def media_fail(*, media, reason):
    """Record why a photo could not be had; the listing keeps showing the MLS URL."""
    media.status, media.error = MediaStatus.FAILED, reason[:2000]
    media.save(update_fields=["status", "error"])
    return media


@transaction.atomic
def media_delete(*, media, actor):
    """Remove a photo and its stored files."""
    listing = media.property
    names = media_stored_names(media)
    media.delete()
    _photos_changed(listing)
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def _photos_changed(listing):
    # Counted in the database: the listing may carry a prefetched, now stale, photo list.
    listing.photos_count = PropertyMedia.objects.filter(property=listing).count()
    listing.photos_change_timestamp = timezone.now()
    listing.save(update_fields=["photos_count", "photos_change_timestamp", "updated_at"])
    listing_cover_refresh(listing)


def media_stored_names(media):
    """The names of a photo's stored files (its original and its variants)."""
    names = [name for formats in media.variants.values() for name in formats.values()]
    if media.original:
        names.append(media.original.name)
    return names


def media_cover(media):
    """What a listing card shows for ``media`` as the first photo ("" for none)."""
    if media is None:
        return ""
    # Never a full-size upload: until its thumbnail exists a card shows no photo (an MLS
    # photo's own URL is fine, the MLS serves it).
    return media.variants.get("thumbnail", {}).get("jpeg") or (
        "" if media.original else media.media_url
    )


def listing_cover_refresh(listing):
    """Keep the first photo's thumbnail on the listing, so that listing cards load no photos."""
    first = PropertyMedia.objects.filter(property=listing).order_by("position", "pk").first()
    cover = media_cover(first)
    Property.objects.filter(pk=listing.pk).update(cover_thumbnail=cover)
    listing.cover_thumbnail = cover


def listing_view_count(*, listing, viewer, day=None):
    """Count one view of a listing's page by a person other than its listing agent."""
    from properties.models import ListingViewDay

    # The agent opening their own listing is not interest in it.
    if listing.list_agent_id is not None and listing.list_agent_id == getattr(
        actor_for(viewer).agent, "pk", None
    ):
        return
    table = connection.ops.quote_name(ListingViewDay._meta.db_table)
    with connection.cursor() as cursor:
        # One statement on SQLite and PostgreSQL alike; concurrent views add up, never clash.
        cursor.execute(
            f"INSERT INTO {table} (listing_id, day, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (listing_id, day) DO UPDATE SET count = {table}.count + 1",
            [listing.pk, day or timezone.localdate()],
        )
