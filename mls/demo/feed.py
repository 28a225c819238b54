"""The demo MLS: a deterministic RESO ``Property`` feed that changes over time.

Listing ``i`` of a feed is generated on its own from ``random.Random(f"{seed}:{i}")``: first its
timeline (created, price cuts, status changes, a new photo set, perhaps a deletion), then its
fields. Every event falls on a whole minute at a fixed offset from a fixed epoch, so the state of
the feed at a time ``T`` is the events at or before ``T``, and ``ModificationTimestamp`` is the
latest of them. Listings are entered in batches that share a creation minute, and a listing's
later events fall on weekly anniversaries of it, so groups of listings share exactly the same
``ModificationTimestamp`` (a sync's cursor must cope with a page boundary inside such a group).

Nothing holds the records: to answer a ``$filter`` on ``ModificationTimestamp`` at 100,000
listings, each (seed, size, minute) keeps only a sorted array of (timestamp, index) in an LRU
cache, and a page generates just the records it returns.
"""

import hashlib
import json
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from itertools import accumulate
from operator import itemgetter
from random import Random

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from agents.choices import Role
from agents.demo import (
    ADJECTIVES,
    APPLIANCES,
    COASTAL_VIEWS,
    COOLING,
    DEMO_BROKERAGES,
    EXTERIOR,
    HARBOR_TOWNS,
    HEATING,
    HEATING_FUEL,
    HOME_STYLES,
    INTERIOR,
    KIND_WEIGHTS,
    KITCHEN_FEATURES,
    KITCHENS,
    LAND_PRIVATE_REMARKS,
    LEASE_PRIVATE_REMARKS,
    MAPLE_TOWNS,
    PHOTO_CAPTIONS,
    PRIVATE_REMARKS,
    ROOMS,
    SHOWING_INSTRUCTIONS,
    UPDATES,
    VIEWS,
)
from properties.choices import PropertySubType, PropertyType, StandardStatus
from properties.reso import RESO_FIELDS

DEFAULT_FEED_NAME = "demo"
DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_BASE_URL = "http://testserver"
DELETE_STATUS = "Delete"  # not a StandardStatus: how many MLSs report a withdrawn record
ORIGINATING_SYSTEM = "DemoMLS"
MAX_SIZE = 9_999_999  # ListingKeys have seven digits
MAX_PHOTOS = 6

DAY = 24 * 60  # minutes
WEEK = 7 * DAY
BATCH_SIZE = 8  # listings entered together share their creation minute
BEFORE_EPOCH_SHARE = 0.5  # of the listings exist at the epoch, entered over the days before it
BEFORE_EPOCH_DAYS = 180
AFTER_EPOCH_DAYS = 730  # the rest appear over the two years after it
DELETE_SHOWN_DAYS = 14  # a deleted record is reported as "Delete" this long, then is gone
NEVER = 2**31 - 1
MINUTE_OFFSET = 2**31  # index entries are (minute + offset) << KEY_BITS | index
KEY_BITS = 24

ENUM_STYLES = ("names", "display")
TIMESTAMP_STYLES = ("utc", "naive", "offset")
DELETE_STYLES = ("status", "vanish")

# Event kinds of a listing's timeline.
STATUS, PRICE, PHOTOS, DELETE = "status", "price", "photos", "delete"

# The enumerations as plain strings: an enum member is slow to reach in code run for every record.
ACTIVE = StandardStatus.ACTIVE.value
COMING_SOON = StandardStatus.COMING_SOON.value
UNDER_CONTRACT = StandardStatus.ACTIVE_UNDER_CONTRACT.value
PENDING = StandardStatus.PENDING.value
CLOSED = StandardStatus.CLOSED.value
LAND = PropertyType.LAND.value
LEASE = PropertyType.RESIDENTIAL_LEASE.value
SINGLE_FAMILY = PropertySubType.SINGLE_FAMILY_RESIDENCE.value
CONDO = PropertySubType.CONDOMINIUM.value
APARTMENT = PropertySubType.APARTMENT.value
TOWNHOUSE = PropertySubType.TOWNHOUSE.value
DUPLEX = PropertySubType.DUPLEX.value
TRIPLEX = PropertySubType.TRIPLEX.value
CABIN = PropertySubType.CABIN.value

PRICE_CUTS = (0.02, 0.03, 0.04, 0.05, 0.07)
OFF_MARKET = tuple(
    status.value
    for status in (StandardStatus.WITHDRAWN, StandardStatus.EXPIRED, StandardStatus.CANCELED)
)
ACTIVE_STATUSES = (ACTIVE, COMING_SOON)
MLS_STATUS = {
    ACTIVE: "Active",
    UNDER_CONTRACT: "Under Agreement",
    PENDING: "Pending",
    CLOSED: "Sold",
    "Withdrawn": "Withdrawn",
    "Expired": "Expired",
    "Canceled": "Canceled",
    COMING_SOON: "Coming Soon",
    DELETE_STATUS: "Deleted",
}
DISPLAY = {
    "StandardStatus": dict(StandardStatus.choices),
    "PropertyType": dict(PropertyType.choices),
    "PropertySubType": dict(PropertySubType.choices),
}
TIMESTAMP_FIELDS = ("PhotosChangeTimestamp", "ModificationTimestamp")
OFFSET_STYLE_ZONE = timedelta(hours=2)


@dataclass(frozen=True)
class ListingOffice:
    """An MLS office that lists in the demo feed, its agents' MLS IDs and where it lists."""

    mls_id: str
    agent_ids: tuple[str, ...]
    towns: tuple
    weight: int


def _brokerage_offices():
    """The demo brokerages' offices, so that synced listings find their agents in the CRM."""
    offices = []
    for spec in DEMO_BROKERAGES:
        for office in spec.offices:
            agent_ids = tuple(
                f"{spec.mls_prefix}{1001 + index}"
                for index, person in enumerate(spec.people)
                if person.role in (Role.BROKER, Role.AGENT) and person.office == office.name
            )
            offices.append(ListingOffice(office.mls_office_id, agent_ids, spec.towns, 10))
    return offices


# Most of an MLS's listings belong to other brokerages.
LISTING_OFFICES = (
    *_brokerage_offices(),
    ListingOffice("CB-CON", ("CB2001", "CB2002", "CB2003", "CB2004"), MAPLE_TOWNS, 14),
    ListingOffice("RE-LEX", ("RE4001", "RE4002", "RE4003"), MAPLE_TOWNS, 10),
    ListingOffice("KW-POR", ("KW3001", "KW3002", "KW3003"), HARBOR_TOWNS, 10),
    ListingOffice("LA-CAP", ("LA5001", "LA5002"), HARBOR_TOWNS, 6),
)
OFFICE_CUM_WEIGHTS = tuple(accumulate(office.weight for office in LISTING_OFFICES))
KINDS = tuple((kind.value, sub_kind.value) for kind, sub_kind in KIND_WEIGHTS)
KIND_CUM_WEIGHTS = tuple(accumulate(KIND_WEIGHTS.values()))
STREET_SUFFIXES = ("Street", "Road", "Avenue", "Lane", "Drive", "Way")
UNITS = ("1", "2", "3", "2A", "4B", "305")
BEDS_CUM_WEIGHTS = tuple(accumulate((8, 34, 36, 16, 6)))
PRICE_FACTOR = {
    CONDO: 0.95,
    APARTMENT: 0.95,
    TOWNHOUSE: 0.9,
    DUPLEX: 0.75,
    TRIPLEX: 0.7,
    CABIN: 0.8,
}
HOME_STYLES_BY_SUB_TYPE = {sub_type.value: styles for sub_type, styles in HOME_STYLES.items()}
SORTED_INTERIOR, SORTED_EXTERIOR, SORTED_APPLIANCES = (
    tuple(sorted(values)) for values in (INTERIOR, EXTERIOR, APPLIANCES)
)
TAX_RATES = {"MA": 0.0115, "ME": 0.0135}


# --- One listing's timeline -----------------------------------------------------------------


class ListingRandom(Random):
    """``random.Random`` whose few draws the feed uses take fewer steps (a page makes ~50,000).

    Seeded like ``Random``; only ``random()`` is drawn from, so a sequence is as deterministic.
    """

    def randint(self, a, b):
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def uniform(self, a, b):
        return a + (b - a) * self.random()

    def sample(self, population, k):
        pool = list(population)
        for position in range(k):
            other = position + int(self.random() * (len(pool) - position))
            pool[position], pool[other] = pool[other], pool[position]
        return pool[:k]

    def weighted(self, items, cum_weights):
        return items[bisect_right(cum_weights, self.random() * cum_weights[-1])]


@dataclass
class Timeline:
    """When a listing appears, what happens to it (minutes from the epoch), and when it goes."""

    rng: ListingRandom
    created: int
    events: list  # (minute, kind, value), in order
    gone: int = NEVER
    photo_counts: tuple = ()


def _created_minute(seed, size, index):
    """Batches appear in index order: half before the epoch, the rest over two years after."""
    batches = -(-size // BATCH_SIZE)
    batch = index // BATCH_SIZE
    jitter = zlib.crc32(f"{seed}:batch:{batch}".encode()) / 2**32
    share = (batch + 0.5 * jitter) / batches
    if share < BEFORE_EPOCH_SHARE:
        days = -BEFORE_EPOCH_DAYS + share / BEFORE_EPOCH_SHARE * BEFORE_EPOCH_DAYS
    else:
        days = (share - BEFORE_EPOCH_SHARE) / (1 - BEFORE_EPOCH_SHARE) * AFTER_EPOCH_DAYS
    return int(days * DAY)


def _timeline(seed, size, index, delete_style):
    """The listing's events; its generator is then left where its fields start."""
    rng = ListingRandom(f"{seed}:{index}")
    created = _created_minute(seed, size, index)

    def week(number):
        return created + number * WEEK

    photo_counts = (rng.randint(1, MAX_PHOTOS), rng.randint(1, MAX_PHOTOS))
    events = [(created, PHOTOS, 0)]
    listed = 0
    if rng.random() < 0.1:
        events.append((created, STATUS, COMING_SOON))
        listed = rng.randint(1, 2)
    events.append((week(listed), STATUS, ACTIVE))

    factor, cut_week = 1.0, listed
    for chance in (0.45, 0.3):
        if rng.random() >= chance:
            break
        factor *= 1 - rng.choice(PRICE_CUTS)
        cut_week += rng.randint(2, 5)
        events.append((week(cut_week), PRICE, round(factor, 4)))
    if rng.random() < 0.3:
        events.append((week(rng.randint(1, 6)), PHOTOS, 1))

    outcome = rng.random()
    if outcome < 0.35:
        pending = listed + rng.randint(3, 12)
        if rng.random() < 0.3:
            events.append((week(pending), STATUS, UNDER_CONTRACT))
            pending += 1
        events.append((week(pending), STATUS, PENDING))
        closing = (CLOSED, round(rng.uniform(0.96, 1.05), 4), pending - listed)
        events.append((week(pending + rng.randint(3, 6)), STATUS, closing))
    elif outcome < 0.55:
        events.append((week(listed + rng.randint(6, 26)), STATUS, rng.choice(OFF_MARKET)))

    events.sort(key=itemgetter(0))
    # Once under contract or off the market, the price no longer changes.
    off_at = next(
        (
            minute
            for minute, kind, value in events
            if kind == STATUS and value not in ACTIVE_STATUSES
        ),
        NEVER,
    )
    events = [event for event in events if not (event[1] == PRICE and event[0] >= off_at)]

    gone = NEVER
    if rng.random() < 0.06:
        deleted = week(rng.randint(1, 10))
        events = [event for event in events if event[0] < deleted]
        if delete_style == "status":
            events.append((deleted, DELETE, None))
            gone = deleted + DELETE_SHOWN_DAYS * DAY
        else:
            gone = deleted
    return Timeline(rng, created, events, gone, photo_counts)


# --- The index: which listings exist at a minute, in feed order -------------------------------


@lru_cache(maxsize=4)
def _schedule_table(seed, size, delete_style):
    """Every listing's creation, disappearance and event minutes, as flat arrays."""
    created, gone, starts, minutes = array("i"), array("i"), array("i"), array("i")
    for index in range(size):
        timeline = _timeline(seed, size, index, delete_style)
        created.append(timeline.created)
        gone.append(timeline.gone)
        starts.append(len(minutes))
        minutes.extend(sorted({event[0] for event in timeline.events}))
    starts.append(len(minutes))
    return created, gone, starts, minutes


@lru_cache(maxsize=32)
def _feed_index(seed, size, delete_style, at):
    """Sorted (ModificationTimestamp minute, index) of the listings present at minute ``at``."""
    created, gone, starts, minutes = _schedule_table(seed, size, delete_style)
    entries = []
    for index in range(size):
        if created[index] > at or gone[index] <= at:
            continue
        latest = bisect_right(minutes, at, starts[index], starts[index + 1]) - 1
        entries.append(((minutes[latest] + MINUTE_OFFSET) << KEY_BITS) | index)
    entries.sort()
    return array("q", entries)


def _entry(minute, index):
    return ((minute + MINUTE_OFFSET) << KEY_BITS) | index


def _entry_minute(entry):
    return (entry >> KEY_BITS) - MINUTE_OFFSET


def _entry_index(entry):
    return entry & ((1 << KEY_BITS) - 1)


# --- Feed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a ``$filter`` starts, in (ModificationTimestamp, ListingKey) order.

    ``ModificationTimestamp gt timestamp`` (``ge`` when ``inclusive``); with a ``listing_key``,
    also the records of exactly that timestamp whose key is greater (or equal, with
    ``key_inclusive``).
    """

    timestamp: datetime
    inclusive: bool = False
    listing_key: str | None = None
    key_inclusive: bool = False


@dataclass
class ListingHistory:
    """What happens to one listing of a feed, and when."""

    created: datetime
    events: list[tuple]
    gone: datetime | None


@dataclass
class FeedPage:
    """Records of one response, how many match in all, and whether more follow."""

    records: list[dict]
    total: int
    more: bool


@dataclass(frozen=True)
class DemoFeed:
    """A named demo MLS feed: what it holds at a time, and how it serves it.

    ``seed`` and ``size`` choose the listings; ``epoch`` is the time their events count from;
    ``now`` is the default time to read the feed at (else the real time). Serving: ``auth``
    (bearer token required), ``next_link`` (give ``@odata.nextLink``), ``page_size`` (records
    per response without ``$top``), ``enum_style`` ("names" or "display"), ``timestamp_style``
    ("utc", "naive" or "offset"), ``delete_style`` ("status": reported as "Delete" for a week,
    then gone; "vanish": gone at once), ``malformed`` (indexes of deliberately broken records).
    Faults, counted per feed: one 429 after ``rate_limit_after`` requests, and ``fail_times``
    500s after ``fail_after`` requests.
    """

    name: str = DEFAULT_FEED_NAME
    seed: int = 42
    size: int = 500
    epoch: datetime = DEFAULT_EPOCH
    now: datetime | None = None
    auth: bool = False
    next_link: bool = True
    page_size: int = 100
    enum_style: str = "names"
    timestamp_style: str = "utc"
    delete_style: str = "status"
    malformed: frozenset = field(default_factory=frozenset)
    rate_limit_after: int | None = None
    fail_after: int | None = None
    fail_times: int = 1

    def __post_init__(self):
        choices = {
            "enum_style": ENUM_STYLES,
            "timestamp_style": TIMESTAMP_STYLES,
            "delete_style": DELETE_STYLES,
        }
        for option, allowed in choices.items():
            if getattr(self, option) not in allowed:
                raise ValueError(f"{option} must be one of {', '.join(allowed)}.")
        if not 0 <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between 0 and {MAX_SIZE}.")
        object.__setattr__(self, "epoch", _aware(self.epoch))
        object.__setattr__(self, "now", _aware(self.now) if self.now is not None else None)
        object.__setattr__(self, "malformed", frozenset(int(i) for i in self.malformed))

    # -- Keys and time

    @property
    def key_prefix(self):
        return f"DEMO{self.seed}-"

    def listing_key(self, index):
        return f"{self.key_prefix}{index:07d}"

    def listing_index(self, listing_key):
        """The index of a key of this feed, or None."""
        number = listing_key.removeprefix(self.key_prefix)
        if number == listing_key or len(number) != 7 or not number.isdigit():
            return None
        index = int(number)
        return index if index < self.size else None

    def minute_at(self, now=None):
        """The whole minute of ``now`` (events fall on whole minutes), from the epoch."""
        moment = _aware(now or self.now or timezone.now())
        return (moment - self.epoch) // timedelta(minutes=1)

    def timestamp(self, minute):
        return self.epoch + timedelta(minutes=minute)

    def _index(self, now):
        return _feed_index(self.seed, self.size, self.delete_style, self.minute_at(now))

    # -- Reading the feed

    def page(
        self,
        *,
        since=None,
        skip=0,
        top=None,
        select=None,
        expand=False,
        now=None,
        base_url=DEFAULT_BASE_URL,
    ):
        """The records after ``since`` (a ``Position``), in feed order, from ``skip``."""
        at = self.minute_at(now)
        index = _feed_index(self.seed, self.size, self.delete_style, at)
        start = self._start(index, since) if since is not None else 0
        total = len(index) - start
        top = self.page_size if top is None else top
        first = start + skip
        chosen = index[first : first + top]
        photo_prefix = photo_url_prefix(self.name, base_url) if expand else ""
        records = [
            self._record(_entry_index(entry), at, select, expand, photo_prefix) for entry in chosen
        ]
        return FeedPage(records=records, total=total, more=first + len(chosen) < len(index))

    def record(self, listing_key, *, now=None, select=None, expand=True, base_url=DEFAULT_BASE_URL):
        """One record as served at ``now``, or None when the feed does not hold it then."""
        index = self.listing_index(listing_key)
        if index is None:
            return None
        photo_prefix = photo_url_prefix(self.name, base_url) if expand else ""
        return self._record(index, self.minute_at(now), select, expand, photo_prefix)

    def current_records(self, now=None, *, base_url=DEFAULT_BASE_URL) -> Iterator[dict]:
        """Every record present at ``now``, with its ``Media``, in feed order, as served."""
        at = self.minute_at(now)
        photo_prefix = photo_url_prefix(self.name, base_url)
        for entry in _feed_index(self.seed, self.size, self.delete_style, at):
            yield self._record(_entry_index(entry), at, None, True, photo_prefix)

    def current_keys(self, now=None):
        """The ListingKeys present at ``now`` (including records reported as "Delete")."""
        return [self.listing_key(_entry_index(entry)) for entry in self._index(now)]

    def count(self, now=None):
        return len(self._index(now))

    def history(self, listing_key):
        """A listing's timeline: (time, kind, value) events and when it leaves the feed.

        Kinds are "status", "price" (the factor of the original price), "photos" (the photo
        set's number) and "delete". For tests that need a moment when something happens.
        """
        index = self.listing_index(listing_key)
        if index is None:
            return None
        timeline = _timeline(self.seed, self.size, index, self.delete_style)
        return ListingHistory(
            created=self.timestamp(timeline.created),
            events=[
                (self.timestamp(minute), kind, value) for minute, kind, value in timeline.events
            ],
            gone=None if timeline.gone == NEVER else self.timestamp(timeline.gone),
        )

    def photo_exists(self, listing_key, number):
        """Whether ``<number>.jpg`` is one of the listing's photos (of any photo set)."""
        index = self.listing_index(listing_key)
        if index is None:
            return False
        timeline = _timeline(self.seed, self.size, index, self.delete_style)
        version, order = divmod(number, 10)
        versions = {event[2] for event in timeline.events if event[1] == PHOTOS}
        return version in versions and 1 <= order <= timeline.photo_counts[version]

    def _start(self, index, since):
        """The position in ``index`` of the first record after ``since``."""
        micro = (_aware(since.timestamp) - self.epoch) // timedelta(microseconds=1)
        minute, remainder = divmod(micro, 60_000_000)
        if since.listing_key is not None and remainder == 0:
            return bisect_left(index, _entry(minute, self._first_index_after(since)))
        if since.inclusive:
            return bisect_left(index, _entry(minute + (remainder > 0), 0))
        return bisect_left(index, _entry(minute + 1, 0))

    def _first_index_after(self, since):
        """The smallest index whose key is greater than (or equal to) ``since.listing_key``."""
        low, high = 0, self.size
        while low < high:
            middle = (low + high) // 2
            key = self.listing_key(middle)
            if key > since.listing_key or (since.key_inclusive and key == since.listing_key):
                high = middle
            else:
                low = middle + 1
        return low

    # -- One record

    def _record(self, index, at, select, expand, photo_prefix):
        timeline = _timeline(self.seed, self.size, index, self.delete_style)
        if not timeline.created <= at < timeline.gone:
            return None
        listing_key = self.listing_key(index)
        record = _listing_fields(timeline.rng, index, self.seed, listing_key)
        media = _apply_events(record, timeline, at, partial(_iso_date, self.epoch))
        record = self._as_served(record, index)
        if select is not None:
            record = {name: record[name] for name in select if name in record}
        if expand:
            changed = self.format_minute(media["minute"])
            url_prefix = f"{photo_prefix}{listing_key}/"
            record["Media"] = [
                {
                    "MediaKey": f"{listing_key}-{number}",
                    "MediaURL": f"{url_prefix}{number}.jpg",
                    "Order": order,
                    "ShortDescription": caption,
                    "MediaModificationTimestamp": changed,
                    "MediaCategory": "Photo",
                }
                for number, order, caption in media["photos"]
            ]
        return record

    def _as_served(self, record, index):
        if self.enum_style == "display":
            for name, labels in DISPLAY.items():
                record[name] = labels.get(record[name], record[name])
        for name in TIMESTAMP_FIELDS:
            record[name] = self.format_minute(record[name])
        if index in self.malformed:
            record["ListPrice"] = "n/a"
            del record["City"]
        return record

    def format_minute(self, minute):
        """A minute from the epoch as the feed writes timestamps (its ``timestamp_style``)."""
        return None if minute is None else _formatted(self.epoch, self.timestamp_style, minute)

    # -- Faults for testing a client

    def options_hash(self):
        options = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "now"}
        options["malformed"] = sorted(self.malformed)
        encoded = json.dumps(options, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]

    def take_fault(self):
        """Count a request to the Property resource; the fault it must get, if any.

        Returns "rate_limited" (once, after ``rate_limit_after`` requests), "server_error"
        (``fail_times`` times, after ``fail_after`` requests) or None.
        """
        if self.rate_limit_after is None and self.fail_after is None:
            return None
        key = f"mls-demo:{self.name}:{self.options_hash()}:requests"
        cache.add(key, 0, timeout=None)
        served = cache.incr(key)  # this request's number, faulted requests included
        if self.rate_limit_after is not None and served == self.rate_limit_after + 1:
            return "rate_limited"
        if self.fail_after is not None and 0 < served - self.fail_after <= self.fail_times:
            return "server_error"
        return None


def _apply_events(record, timeline, at, iso_date):
    """Bring the listing's fields to their state at minute ``at``; returns its photo set.

    Timestamps are left as minutes from the epoch, for the feed to write in its style.
    """
    original_price = record["ListPrice"]
    step = 25 if record["PropertyType"] == LEASE else 1000
    last_minute, photo_version, photo_minute = timeline.created, 0, timeline.created
    record["ListingContractDate"] = iso_date(timeline.created)
    for minute, kind, value in timeline.events:
        if minute > at:
            break
        last_minute = minute
        if kind == STATUS:
            status = value[0] if isinstance(value, tuple) else value
            record["StandardStatus"] = status
            if status == ACTIVE:
                record["OnMarketDate"] = iso_date(minute)
            elif status == CLOSED:
                _, close_factor, weeks_on_market = value
                record["ClosePrice"] = round(record["ListPrice"] * close_factor / step) * step
                record["CloseDate"] = iso_date(minute)
                record["DaysOnMarket"] = weeks_on_market * 7
        elif kind == PRICE:
            record["ListPrice"] = round(original_price * value / step) * step - (
                100 if step == 1000 and original_price % 1000 else 0
            )
        elif kind == PHOTOS:
            photo_version, photo_minute = value, minute
        elif kind == DELETE:
            record["StandardStatus"] = DELETE_STATUS
    status = record["StandardStatus"]
    record["MlsStatus"] = (
        "Leased" if status == CLOSED and record["PropertyType"] == LEASE else MLS_STATUS[status]
    )
    count = timeline.photo_counts[photo_version]
    record["PhotosCount"] = count
    record["PhotosChangeTimestamp"] = photo_minute
    record["ModificationTimestamp"] = last_minute
    photos = [
        (photo_version * 10 + order, order, PHOTO_CAPTIONS[(order - 1) % len(PHOTO_CAPTIONS)])
        for order in range(1, count + 1)
    ]
    return {"minute": photo_minute, "photos": photos}


@lru_cache(maxsize=65536)
def _formatted(epoch, style, minute):
    moment = (epoch + timedelta(minutes=minute)).replace(tzinfo=None)
    if style == "naive":
        return moment.isoformat()
    if style == "offset":
        return f"{(moment + OFFSET_STYLE_ZONE).isoformat()}+02:00"
    return f"{moment.isoformat()}Z"


@lru_cache(maxsize=65536)
def _iso_date(epoch, minute):
    return (epoch + timedelta(minutes=minute)).date().isoformat()


# --- A listing's fields -------------------------------------------------------------------


def _listing_fields(rng, index, seed, listing_key):
    """The RESO fields of a listing when it is entered (its timeline changes some later)."""
    office = rng.weighted(LISTING_OFFICES, OFFICE_CUM_WEIGHTS)
    town = rng.choice(office.towns)
    property_type, sub_type = rng.weighted(KINDS, KIND_CUM_WEIGHTS)
    is_land = property_type == LAND
    is_lease = property_type == LEASE
    in_building = sub_type in (CONDO, APARTMENT)
    record = dict.fromkeys(RESO_FIELDS)  # every field, in the Data Dictionary's order
    record |= {
        "ListingKey": listing_key,
        "ListingId": f"D{seed % 100:02d}{7300000 + index}",
        "OriginatingSystemName": ORIGINATING_SYSTEM,
        "StandardStatus": ACTIVE,
        "PropertyType": property_type,
        "PropertySubType": sub_type,
        "StreetNumber": str(rng.randint(2, 480)),
        "StreetDirPrefix": None,
        "StreetName": rng.choice(town.streets),
        "StreetSuffix": rng.choice(STREET_SUFFIXES),
        "UnitNumber": rng.choice(UNITS) if in_building else None,
        "City": town.city,
        "StateOrProvince": town.state,
        "PostalCode": rng.choice(town.postal_codes),
        "CountyOrParish": town.county,
        "Country": "US",
        "SubdivisionName": rng.choice(town.subdivisions) if rng.random() < 0.25 else None,
        "Latitude": round(town.latitude + rng.gauss(0, 0.012), 6),
        "Longitude": round(town.longitude + rng.gauss(0, 0.016), 6),
        "ListAgentMlsId": rng.choice(office.agent_ids),
        "ListOfficeMlsId": office.mls_id,
        "Heating": [],
        "Cooling": [],
        "View": [],
        "InteriorFeatures": [],
        "ExteriorFeatures": [],
        "Appliances": [],
        "WaterfrontYN": False,
        "PoolPrivateYN": False,
        "FireplaceYN": False,
        "ViewYN": False,
        "PropertyCondition": [],
    }
    if is_land:
        acres = round(rng.uniform(0.4, 9.0), 2)
        record["LotSizeAcres"] = acres
        record["LotSizeSquareFeet"] = int(acres * 43560)
        per_acre = town.price_per_sqft * 520 * rng.uniform(0.7, 1.3)
        price = _round_price(rng, max(acres**0.7 * per_acre, 140_000), False)
    else:
        record.update(_structure(rng, town, sub_type))
        per_sqft = town.price_per_sqft * rng.uniform(0.85, 1.18) * PRICE_FACTOR.get(sub_type, 1)
        if record["YearBuilt"] >= 2010:
            per_sqft *= 1.12
        if record["WaterfrontYN"]:
            per_sqft *= 1.35
        value = record["LivingArea"] * per_sqft + (record.get("LotSizeSquareFeet") or 0) * 1.5
        price = _round_price(rng, value * 0.0045 if is_lease else value, is_lease)
    record["ListPrice"] = record["OriginalListPrice"] = price
    if not is_lease:
        tax = price * TAX_RATES.get(town.state, 0.012) * rng.uniform(0.85, 1.1)
        record["TaxAnnualAmount"] = round(tax, 2)
    record["PublicRemarks"] = _public_remarks(rng, town, record, sub_type, is_land, is_lease)
    record["PrivateRemarks"] = rng.choice(
        LAND_PRIVATE_REMARKS if is_land else LEASE_PRIVATE_REMARKS if is_lease else PRIVATE_REMARKS
    )
    record["ShowingInstructions"] = rng.choice(SHOWING_INSTRUCTIONS)
    if not is_land and rng.random() < 0.3:
        record["VirtualTourURLUnbranded"] = f"https://tours.example.com/{record['ListingId']}"
    return record


def _structure(rng, town, sub_type):
    """Rooms, size, age and features that fit the kind of home."""
    if sub_type in (CONDO, APARTMENT):
        beds = rng.randint(1, 3)
        area = min(max(int(rng.gauss(550 + beds * 320, 120)), 480), 2200)
        lot, stories, garage = None, 1, rng.choice((0, 0, 1))
    elif sub_type == TOWNHOUSE:
        beds = rng.randint(2, 4)
        area = min(max(int(rng.gauss(700 + beds * 380, 180)), 1100), 2900)
        lot, stories, garage = rng.randint(1500, 4000), rng.choice((2, 3)), rng.choice((1, 2))
    elif sub_type in (DUPLEX, TRIPLEX):
        units = 2 if sub_type == DUPLEX else 3
        beds = units * rng.randint(2, 3)
        area = min(max(int(rng.gauss(units * 1150, 250)), 1900), 4800)
        lot, stories, garage = rng.randint(4000, 9000), units, rng.choice((0, 1, 2))
    elif sub_type == CABIN:
        beds = rng.randint(1, 3)
        area = min(max(int(rng.gauss(650 + beds * 250, 120)), 500), 1600)
        lot, stories, garage = rng.randint(8000, 60000), 1, 0
    else:
        beds = rng.weighted((2, 3, 4, 5, 6), BEDS_CUM_WEIGHTS)
        area = min(max(int(rng.gauss(800 + beds * 420, 300)), 850), 6500)
        lot = rng.randint(5000, 45000) if rng.random() < 0.85 else rng.randint(45000, 140000)
        stories, garage = rng.choice((1, 2, 2, 2, 3)), rng.choice((0, 1, 1, 2, 2, 2, 3))
    area = round(area, -1)
    full_baths = min(max(round(beds * rng.uniform(0.45, 0.8)), 1), 6)
    half_baths = rng.choice((0, 0, 1, 1, 2)) if area > 1300 else 0
    era = rng.random()
    if era < 0.18:
        year = rng.randint(1840, 1919)
    elif era < 0.45:
        year = rng.randint(1920, 1969)
    elif era < 0.82:
        year = rng.randint(1970, 2009)
    else:
        year = rng.randint(2010, 2025)
    coastal_view = town.coastal and rng.random() < 0.3
    views = _some(rng, VIEWS, 0.25)
    if coastal_view:
        views.insert(0, rng.choice(COASTAL_VIEWS))
    structure = {
        "BedroomsTotal": beds,
        "BathroomsFull": full_baths,
        "BathroomsHalf": half_baths,
        "BathroomsTotalInteger": full_baths + half_baths,
        "LivingArea": area,
        "YearBuilt": year,
        "StoriesTotal": stories,
        "GarageSpaces": garage,
        "ParkingTotal": garage + rng.randint(0, 3),
        "Heating": [rng.choice(HEATING), rng.choice(HEATING_FUEL)],
        "Cooling": _some(rng, COOLING, 0.25),
        "View": views,
        "InteriorFeatures": _some(rng, SORTED_INTERIOR, 0.25),
        "ExteriorFeatures": _some(rng, SORTED_EXTERIOR, 0.25),
        "Appliances": _some(rng, SORTED_APPLIANCES, 0.75),
        "WaterfrontYN": coastal_view and rng.random() < 0.5,
        "PoolPrivateYN": sub_type == SINGLE_FAMILY and rng.random() < 0.06,
        "FireplaceYN": rng.random() < 0.45,
        "ViewYN": bool(views),
        # Derived, not drawn: the feed's other values stay those of the same seed.
        "PropertyCondition": ["New Construction"] if year >= 2022 else [],
    }
    if lot is not None:
        structure["LotSizeSquareFeet"] = lot
        structure["LotSizeAcres"] = round(lot / 43560, 4)
    if sub_type in (CONDO, TOWNHOUSE):
        structure["AssociationFee"] = rng.randint(180, 720)
    return structure


@lru_cache(maxsize=16)
def _subsets(values):
    """Every subset of ``values`` in their order, by the bit mask that picks it."""
    return [
        tuple(value for position, value in enumerate(values) if mask >> position & 1)
        for mask in range(2 ** len(values))
    ]


def _some(rng, values, share):
    """Each of ``values`` with a chance of ``share`` (a quarter, a half or three quarters)."""
    bits = rng.getrandbits(len(values))
    if share < 0.5:
        bits &= rng.getrandbits(len(values))
    elif share > 0.5:
        bits |= rng.getrandbits(len(values))
    return list(_subsets(values)[bits])


def _round_price(rng, value, is_rent):
    """Prices the way agents write them: 649900 or 1250000; rents to $25."""
    if is_rent:
        return round(value / 25) * 25
    step = 5000 if value >= 1_000_000 else 1000
    price = round(value / step) * step
    return price - 100 if rng.random() < 0.5 else price


def _public_remarks(rng, town, record, sub_type, is_land, is_lease):
    """A few sentences the way a listing agent writes them."""
    amenity, other_amenity = rng.sample(town.amenities, 2)
    place = record["SubdivisionName"] or town.city
    if is_land:
        kind = rng.choice(("wooded", "level", "gently sloping", "open meadow"))
        return (
            f"{record['LotSizeAcres']}-acre {kind} building lot in {place}. "
            "Survey and soil tests available; bring your builder. "
            f"Minutes to {amenity} and {other_amenity}."
        )
    style = rng.choice(HOME_STYLES_BY_SUB_TYPE[sub_type])
    beds, baths = record["BedroomsTotal"], record["BathroomsTotalInteger"]
    sentences = [
        f"Welcome home to this {rng.choice(ADJECTIVES)} {beds}-bedroom, {baths}-bath {style} "
        f"in {place}.",
        f"The {rng.choice(KITCHENS)} kitchen opens to the {rng.choice(ROOMS)} and has "
        f"{rng.choice(KITCHEN_FEATURES)}.",
        f"Updates include {' and '.join(rng.sample(UPDATES, 2))}.",
    ]
    if record["FireplaceYN"]:
        sentences.append(f"A wood-burning fireplace anchors the {rng.choice(ROOMS)}.")
    if is_lease:
        sentences.append("Available the first of the month; no smoking, pets considered.")
    sentences.append(f"Close to {amenity} and {other_amenity}.")
    return " ".join(sentences)


# --- Configured feeds ---------------------------------------------------------------------


def _aware(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def demo_now():
    """``settings.MLS_DEMO_NOW`` when set (a datetime or an ISO string), else the real time."""
    configured = getattr(settings, "MLS_DEMO_NOW", None)
    return _aware(configured) if configured else timezone.now()


def demo_feed_names():
    return [DEFAULT_FEED_NAME, *(getattr(settings, "MLS_DEMO_FEEDS", None) or {})]


def demo_feed_for(name):
    """The feed named ``name`` in ``settings.MLS_DEMO_FEEDS`` (or the built-in "demo"), or None.

    A feed's options are merged over the defaults of ``DemoFeed``; its ``now`` is
    ``demo_now()``.
    """
    feeds = {DEFAULT_FEED_NAME: {}, **(getattr(settings, "MLS_DEMO_FEEDS", None) or {})}
    if name not in feeds:
        return None
    options = dict(feeds[name])
    try:
        return DemoFeed(name=name, now=demo_now(), **options)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"MLS_DEMO_FEEDS[{name!r}]: {error}") from error


def photo_url_prefix(feed_name, base_url):
    """The absolute URL that a photo's "<listing key>/<n>.jpg" is appended to."""
    path = reverse("mls_demo:photo", kwargs={"feed": feed_name, "listing_key": "K", "number": 1})
    return base_url.rstrip("/") + path.removesuffix("K/1.jpg")
