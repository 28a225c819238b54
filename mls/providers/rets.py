"""A RETS 1.x feed (the legacy MLS protocol), read with the ``rets`` client library.

The library logs in (HTTP Digest, falling back to Basic), keeps the session cookie, builds the
Search and GetObject transactions and parses the login capabilities and the GetObject parts;
every HTTP exchange goes through the product's ``SafeSession`` (SSRF guard, timeouts, byte cap,
retries with backoff, rate limit), plugged in as the library's HTTP client.

Records are searched with a DMQL query on the modification timestamp,
``(ModificationTimestamp=2024-01-01T00:00:00+)``, in COMPACT-DECODED format (lookup fields come
as their long values, "Active Under Contract", which ``mls.normalize`` maps to RESO values).
The feed's system field names are renamed to RESO names with the provider's ``field_mapping``
(system name -> RESO name), and the queries use the system names of ListingKey and
ModificationTimestamp.

Paging keeps the (ModificationTimestamp, ListingKey) cursor contract of the RESO Web API feed.
Each query asks for the records at or after the timestamp of the last record read (``ts+`` and
``from-to`` are inclusive), with a ``Limit`` of the page size plus the records already read at
exactly that timestamp, and drops those already read; so records sharing one timestamp across a
page boundary are neither skipped nor read twice, and a resumed run continues after its cursor.
RETS has no sort order, so a cut-off answer (its COUNT is larger than the records it holds) may
have left out records earlier than those it holds: it is never used. The query is narrowed to a
time window ending before the last timestamp of the answer (or lower) until the server answers
it whole, and the next window is sized from the last one; a single second holding more than a
page is asked for whole. Photos come from GetObject with ``Location=1`` (their URLs, not their
bytes), one request per page, as the ``Media`` list that the photo pipeline fetches.

The timestamps of the feed are read as UTC when they carry no zone (the RETS DateTime format
has none), and the DMQL queries give UTC times.
"""

import logging
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit
from xml.parsers.expat import ExpatError

import requests
import rets
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from rets.exceptions import HTTPException, MissingVersion, NotLoggedIn, RETSException

from mls.http import USER_AGENT, HttpError, HttpStatusError, RateLimiter, RetryPolicy, SafeSession
from mls.providers.base import Cursor, FeedError, FeedProvider, Page
from mls.providers.reso import parse_reso_timestamp

logger = logging.getLogger(__name__)

RETS_VERSION = "RETS/1.7.2"
PAGE_MAX_BYTES = 256 * 1024 * 1024
KEY, STAMP, MEDIA = "ListingKey", "ModificationTimestamp", "Media"
PHOTOS_COUNT, PHOTOS_STAMP = "PhotosCount", "PhotosChangeTimestamp"
NO_RECORDS = "20201"
NO_OBJECT = "20403"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # a full read asks for everything since
ONE_SECOND = timedelta(seconds=1)  # the precision of a RETS DateTime
FILL = 0.8  # the share of a page that a window is sized to hold
OBJECTS_PER_REQUEST = 100  # listings whose photo locations one GetObject asks for
# Statuses the library answers itself (with the RETS meaning of each); others raise HttpError.
PASSED_STATUSES = (400, 401, 404)


def _floor_second(stamp):
    return stamp.replace(microsecond=0)


def format_dmql_timestamp(stamp):
    """A RETS DateTime in UTC, to the second (floored): ``2024-05-01T12:00:00``."""
    return stamp.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()


# --- The library's HTTP client, over SafeSession -----------------------------------------------


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class _SameOriginAuth(AuthBase):
    """HTTP authentication sent only to the feed's own server (never after a redirect away)."""

    def __init__(self, auth, origin):
        self.auth = auth
        self.origin = origin

    def __call__(self, request):
        if _origin(request.url) != self.origin:
            return request
        return self.auth(request)


@dataclass
class _Answer:
    """The part of a ``requests.Response`` that the ``rets`` library reads."""

    status_code: int
    url: str
    headers: CaseInsensitiveDict
    content: bytes
    cookies: object
    raw: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(decode_content=True))

    @property
    def text(self):
        encoding = requests.utils.get_encoding_from_headers(self.headers) or "utf-8"
        return self.content.decode(encoding, errors="replace")


class _SafeClient:
    """Stands in for the ``requests.Session`` that ``rets.Session`` sends its requests with.

    The library sets ``auth`` and ``headers`` and calls ``get``/``post``; this sends them through
    ``SafeSession``. A 400, 401 or 404 is handed back as an answer, because the library gives
    each its RETS meaning (a refused login, a lapsed session); any other failure, after the
    session's retries, raises ``HttpError``.
    """

    def __init__(self, safe_session, login_url):
        self.safe = safe_session
        self.origin = _origin(login_url)
        self.headers = {}
        self._auth = None

    @property
    def auth(self):
        return self._auth

    @auth.setter
    def auth(self, auth):
        self._auth = auth
        self.safe.session.auth = _SameOriginAuth(auth, self.origin) if auth else None

    def get(self, url, headers=None, stream=False, timeout=None):
        return self._send("GET", url, data=None, headers=headers)

    def post(self, url, data=None, headers=None, stream=False, timeout=None):
        return self._send("POST", url, data=data, headers=headers)

    def _send(self, method, url, *, data, headers):
        cookies = self.safe.session.cookies
        try:
            answer = self.safe.request(method, url, data=data, headers=headers)
        except HttpStatusError as error:
            if error.status not in PASSED_STATUSES:
                raise
            return _Answer(
                error.status, error.url, CaseInsensitiveDict(error.headers), error.body, cookies
            )
        return _Answer(
            answer.status, answer.url, CaseInsensitiveDict(answer.headers), answer.content, cookies
        )

    def close(self):
        self.safe.close()


# --- COMPACT search results ------------------------------------------------------------------


class CompactSearchResult:
    """Reads one COMPACT / COMPACT-DECODED search answer (the library's ``search_parser`` hook).

    Unlike the library's own parser it keeps what paging needs: the ``<COUNT>`` of matching
    records and whether the server cut the answer short with ``<MAXROWS/>``; and a non-zero
    ReplyCode raises ``RETSException`` with the code.
    """

    def __init__(self):
        self.count = None
        self.maxrows = False
        self.rows = 0

    def generator(self, response):
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as error:
            raise FeedError(
                f"the RETS server answered the search with something that is not XML ({error})"
            ) from error
        if root.tag != "RETS":
            raise FeedError(f"the RETS server answered the search with <{root.tag}>, not <RETS>")
        for element in (root, root.find("RETS-STATUS")):
            if element is None:
                continue
            code = (element.get("ReplyCode") or "0").strip()
            if code == NO_RECORDS:
                self.count = 0
                return
            if code != "0":
                raise RETSException(element.get("ReplyText") or "no reply text", code)
        count = root.find("COUNT")
        if count is not None and (count.get("Records") or "").strip().isdigit():
            self.count = int(count.get("Records"))
        delimiter_element = root.find("DELIMITER")
        delimiter = "\t"
        if delimiter_element is not None:
            try:
                delimiter = chr(int(delimiter_element.get("value", "09"), 16))
            except ValueError as error:
                raise FeedError("the RETS answer has an unreadable <DELIMITER>") from error
        columns = (root.findtext("COLUMNS") or "").split(delimiter)
        self.maxrows = root.find("MAXROWS") is not None
        for data in root.iter("DATA"):
            values = (data.text or "").split(delimiter)
            self.rows += 1
            yield {
                name.strip(): value.strip()
                for name, value in zip(columns, values, strict=False)
                if name.strip() and value.strip()
            }


@dataclass
class _Item:
    position: tuple  # (timestamp, listing key)
    record: dict


@dataclass
class _Batch:
    """The usable records of one search answer, in the server's order, and what it says."""

    items: list
    errors: list
    count: int | None  # records matching the query, when the server counted them
    rows: int  # records in the answer, usable or not
    truncated: bool  # more records match than the answer holds
    start: datetime  # the query's first timestamp

    def at(self, stamp):
        return sum(1 for item in self.items if item.position[0] == stamp)


def _timestamp_or_none(value):
    """A feed timestamp as given when it can be read, else None (a photo's change time)."""
    try:
        parse_reso_timestamp(value)
    except ValueError:
        return None
    return value


def _is_after(position, after):
    """Whether a record at ``position`` comes after ``after`` (a key of None: after its time)."""
    if after is None:
        return True
    if after[1] is None:
        return position[0] > after[0]
    return position > after


# --- The provider ----------------------------------------------------------------------------


class RetsProvider(FeedProvider):
    """Reads the Property resource of the RETS server whose Login URL is ``config.endpoint``.

    It logs in with the provider's ``username`` and ``password`` and searches its
    ``search_class`` ("Residential", "RE_1" ...).
    """

    def __init__(
        self,
        config,
        *,
        resource="Property",
        photo_type="Photo",
        sleep=time.sleep,
        rate_limiter=None,
        retry=RetryPolicy(),  # noqa: B008 - frozen, shared safely
    ):
        super().__init__(config)
        self.resource = resource
        self.search_class = (config.search_class or "").strip()
        self.photo_type = photo_type
        self.login_url = config.endpoint
        self.mapping = dict(config.field_mapping or {})  # system name -> RESO name
        self.feed_names = {reso: system for system, reso in self.mapping.items()}
        if rate_limiter is None:
            rate_limiter = RateLimiter(float(config.max_requests_per_second), sleep=sleep)
        self.http = _SafeClient(
            SafeSession(
                allow_private_network=config.allow_private_network,
                max_bytes=PAGE_MAX_BYTES,
                retry=retry,
                rate_limiter=rate_limiter,
                sleep=sleep,
            ),
            self.login_url,
        )
        self._session = None
        self._keys_only = False

    def close(self):
        if self._session is not None:
            try:
                self._session.logout()
            except (HttpError, RETSException, NotLoggedIn, HTTPException, FeedError) as error:
                logger.info("Logging out of the RETS server of %s failed: %s", self.config, error)
            self._session = None
        self.http.close()

    # --- Session ---

    def _rets_session(self):
        if self._session is None:
            self._session = self._login()
        return self._session

    def _login(self):
        config = self.config
        missing = [name for name in ("username", "password") if not getattr(config, name)]
        if missing:
            raise FeedError(
                f"a RETS feed needs a username and a password: set the provider's RETS login "
                f"{' and '.join(missing)}"
            )
        if not self.search_class:
            raise FeedError(
                "a RETS feed needs a search class: set the provider's RETS search class"
            )
        session = rets.Session(
            login_url=self.login_url,
            username=config.username,
            password=config.password,
            version=RETS_VERSION,
            user_agent=USER_AGENT,
        )
        # The library's own requests.Session is swapped for the product's SafeSession.
        self.http.headers = session.client.headers
        self.http.auth = session.client.auth
        session.client = self.http
        try:
            session.login()
        except NotLoggedIn as error:
            raise FeedError(
                f"the RETS server refused the username and password at {self.login_url} "
                "(401 Unauthorized)"
            ) from error
        except RETSException as error:
            raise FeedError(
                f"the RETS server refused the login at {self.login_url}: ReplyCode "
                f"{error.reply_code}: {error.reply_text}"
            ) from error
        except (HTTPException, MissingVersion, HttpError) as error:
            raise FeedError(f"could not log in to the RETS server: {error}") from error
        except (ExpatError, TypeError, ValueError, KeyError) as error:
            raise FeedError(
                f"the RETS server's answer to the login at {self.login_url} cannot be read: "
                f"{error!r}"
            ) from error
        if "Search" not in session.capabilities:
            raise FeedError(f"the RETS login at {self.login_url} gave no Search URL")
        return session

    # --- Reading pages ---

    def pages(self, *, since=None, cursor=None):
        after = None  # (timestamp, key) of the last record read; a key of None: after its time
        if cursor is not None and cursor.timestamp is not None:
            after = (parse_reso_timestamp(cursor.timestamp), cursor.listing_key or None)
        elif since is not None:
            after = (parse_reso_timestamp(since), None)
        low = _floor_second(after[0]) if after else EARLIEST
        read_at_low = 0  # records at ``low`` already read, which the inclusive query repeats
        span = None  # the width of a window the server last answered whole; None: no window
        reported = set()
        first = True
        while True:
            high = low + span if span is not None else None
            limit = self.config.page_size + read_at_low
            batch = self._search(low, high, limit)
            total = batch.count if first else None
            while batch.truncated:
                high, limit = self._narrowed(low, high, batch, limit)
                batch = self._search(low, high, limit)
            fresh = sorted(
                (item for item in batch.items if _is_after(item.position, after)),
                key=lambda item: item.position,
            )
            if fresh:
                after = fresh[-1].position
            done = high is None
            # An unusable record is in every answer whose query matches it: reported once.
            errors = [error for error in batch.errors if error not in reported]
            reported.update(errors)
            if fresh or errors or first or done:
                records = [item.record for item in fresh]
                if not self._keys_only:
                    self._attach_media(records)
                yield Page(
                    records=records,
                    cursor=Cursor(
                        timestamp=after[0] if after else None,
                        listing_key=(after[1] or "") if after else "",
                    ),
                    total=total,
                    has_more=not done,
                    errors=errors,
                )
            if done:
                return
            first = False
            # Nothing is left before the last record read, nor (when nothing new came) up to
            # the window's end: the next query starts there.
            moved = high if high > low else low + ONE_SECOND
            low = _floor_second(after[0]) if fresh else moved
            read_at_low = batch.at(low)
            span = self._next_span(batch, high)

    def _next_span(self, batch, high):
        """The width of the next window: as long as this one, scaled to fill most of a page.

        After an empty window the rest of the feed is asked for (and narrowed if need be).
        """
        if not batch.items:
            return None
        start = batch.start
        if start == EARLIEST:
            start = min(item.position[0] for item in batch.items)
        width = max(high - start, ONE_SECOND)
        return max(width * (FILL * self.config.page_size / len(batch.items)), ONE_SECOND)

    def _narrowed(self, low, high, batch, limit):
        """A window from ``low`` the server can answer whole, and the limit to ask it with.

        Only a whole answer is used: a server may page in any order, so a cut-off one may have
        left out records earlier than those it holds. The window's end moves down to the
        timestamp before the last one of an answer in timestamp order (all it holds before
        that is then complete), to the middle timestamp of an answer in no order, or else a
        second below or halfway down, until one second is left; that second is asked for
        whole, however many records share it.
        """
        count = batch.count if batch.count is not None else 2 * batch.rows
        if high is not None and high <= low:
            raise FeedError(
                f"{count} records share the timestamp {format_dmql_timestamp(low)} and the RETS "
                f"server answers at most {batch.rows} at a time; the feed cannot be paged past them"
            )
        in_answer = [item.position[0] for item in batch.items]
        top = high if high is not None else max(in_answer, default=low)
        below = sorted({stamp for stamp in in_answer if low < stamp < top})
        if top <= low:
            new_high = low
        elif below:
            ordered = in_answer == sorted(in_answer)
            new_high = below[-1] if ordered else below[len(below) // 2]
        elif top in in_answer:
            new_high = top - ONE_SECOND
        else:
            new_high = low + (top - low) / 2
        new_high = _floor_second(new_high)
        if new_high <= low:
            return low, max(count, limit)
        return new_high, limit

    def _search(self, low, high, limit):
        """One Search: the records with a timestamp from ``low`` (to ``high``), both inclusive."""
        stamp_name = self._feed_name(STAMP)
        start = format_dmql_timestamp(low)
        span = f"{start}-{format_dmql_timestamp(high)}" if high is not None else f"{start}+"
        options = {}
        if self._keys_only:
            options["Select"] = ",".join(self._feed_name(name) for name in (KEY, STAMP))
        result = CompactSearchResult()
        rows = self._call(
            lambda session: list(
                self._search_rows(session, f"({stamp_name}={span})", limit, options, result)
            )
        )
        items, errors = [], []
        for raw in rows:
            record = self._renamed(raw)
            key = record.get(KEY, "")
            if not key:
                errors.append(("", f"the record has no {KEY} ({self._feed_name(KEY)})"))
                continue
            try:
                stamp = parse_reso_timestamp(record.get(STAMP))
            except ValueError as error:
                errors.append((key, f"the record's {STAMP} is unusable: {error}"))
                continue
            items.append(_Item((stamp, key), record))
        if result.count is not None:
            truncated = result.count > result.rows or result.maxrows
        else:
            truncated = result.rows >= limit or result.maxrows
        return _Batch(items, errors, result.count, result.rows, truncated, low)

    def _search_rows(self, session, query, limit, options, result):
        session.search_parser = result
        return session.search(
            resource=self.resource,
            resource_class=self.search_class,
            dmql_query=query,
            limit=limit,
            optional_parameters={"Count": 1, **options},
            auto_offset=False,
            response_format="COMPACT-DECODED",
        )

    def _call(self, transaction):
        """Run a transaction, logging in again once if the server let the session lapse."""
        try:
            try:
                return transaction(self._rets_session())
            except NotLoggedIn:
                logger.info("The RETS session of %s lapsed; logging in again.", self.config)
                self._session = None
                return transaction(self._rets_session())
        except NotLoggedIn as error:
            raise FeedError(
                f"the RETS server refused a request after a new login: {error}"
            ) from error
        except RETSException as error:
            raise FeedError(
                f"the RETS server refused the request for {self.resource}:{self.search_class}: "
                f"ReplyCode {error.reply_code}: {error.reply_text}"
            ) from error
        except HTTPException as error:
            raise FeedError(f"the RETS server could not be used: {error}") from error
        except HttpError as error:
            raise FeedError(str(error)) from error

    def _renamed(self, raw):
        if not self.mapping:
            return raw
        return {self.mapping.get(name, name): value for name, value in raw.items()}

    def _feed_name(self, reso_name):
        return self.feed_names.get(reso_name, reso_name)

    # --- Photos ---

    def _attach_media(self, records):
        """Give each record its ``Media``: the photo URLs GetObject (Location=1) lists for it."""
        for record in records:
            record[MEDIA] = []
        wanted = [record for record in records if str(record.get(PHOTOS_COUNT, "")).strip() != "0"]
        if not wanted or "GetObject" not in self._rets_session().capabilities:
            return
        by_key = {record[KEY]: record for record in wanted}
        keys = list(by_key)
        changed = {
            key: _timestamp_or_none(record.get(PHOTOS_STAMP)) for key, record in by_key.items()
        }
        for start in range(0, len(keys), OBJECTS_PER_REQUEST):
            for photo in self._photo_locations(keys[start : start + OBJECTS_PER_REQUEST]):
                record = by_key.get(photo["content_id"])
                if record is None:
                    continue
                record[MEDIA].append(
                    {
                        "MediaKey": f"{record[KEY]}-{photo['object_id']}",
                        "MediaURL": photo["url"],
                        "Order": photo["order"],
                        "ShortDescription": photo["description"],
                        "MediaModificationTimestamp": changed[record[KEY]],
                        "MediaCategory": "Photo",
                    }
                )

    def _photo_locations(self, keys):
        def get_objects(session):
            try:
                return list(
                    session.get_object(
                        resource=self.resource,
                        object_type=self.photo_type,
                        content_ids=keys,
                        object_ids="*",
                        location=1,
                    )
                )
            except RETSException as error:
                if error.reply_code == NO_OBJECT:
                    return []
                raise
            except (ExpatError, ValueError, TypeError, KeyError) as error:
                raise FeedError(
                    f"the RETS server's GetObject answer cannot be read: {error}"
                ) from error

        base = self._rets_session().capabilities.get("GetObject", self.login_url)
        photos = []
        for found in self._call(get_objects):
            location = (found.get("location") or "").strip()
            object_id = str(found.get("object_id") or "").strip()
            if not location or not found.get("content_id"):
                continue
            photos.append(
                {
                    "content_id": str(found["content_id"]).strip(),
                    "object_id": object_id,
                    "order": int(object_id) if object_id.isdigit() else None,
                    "url": urljoin(base, location),
                    "description": (found.get("content_description") or "").strip(),
                }
            )
        return photos

    # --- Reconcile ---

    def listing_keys(self):
        """Every key, read with the same cursor as ``pages`` selecting only the key and timestamp.

        A listing modified during the scan moves later and is read again, never skipped, so a
        reconcile cannot take a live listing off the market.
        """
        self._keys_only = True
        try:
            for page in self.pages():
                for record in page.records:
                    yield str(record[KEY])
        finally:
            self._keys_only = False
