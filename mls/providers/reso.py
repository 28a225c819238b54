"""A RESO Web API (OData v4) feed: the ``Property`` resource with its ``Media``.

Records are read in (ModificationTimestamp, ListingKey) order. The server's
``@odata.nextLink`` is followed when it gives one; otherwise, and when a saved link no longer
works, the next request asks for the records after the last (timestamp, key) read, so records
sharing one timestamp across a page boundary are neither skipped nor read twice.
"""

import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from urllib.parse import quote, urljoin, urlsplit

from django.core.cache import cache

from mls.choices import AuthKind
from mls.http import HttpError, HttpStatusError, RateLimiter, RetryPolicy, SafeSession
from mls.providers.base import Cursor, FeedError, FeedProvider, Page
from properties.reso import RESO_FIELDS

logger = logging.getLogger(__name__)

PAGE_MAX_BYTES = 256 * 1024 * 1024
TOKEN_MAX_BYTES = 64 * 1024
TOKEN_EXPIRY_MARGIN = 60  # seconds before the server's expiry that a cached token is dropped
TOKEN_DEFAULT_LIFETIME = 300  # seconds, when the token answer has no expires_in
SELECT_FIELDS = tuple(dict.fromkeys([*RESO_FIELDS, "ListingKey", "ModificationTimestamp", "Media"]))
# Characters left as they are in a query value: OData syntax reads better unescaped.
QUERY_SAFE = "$',():"


def parse_reso_timestamp(value):
    """An aware UTC datetime from a feed's timestamp ("…Z", "…+02:00", or zone-less = UTC).

    Raises ``ValueError`` for anything else. Fractions finer than a microsecond are cut off.
    """
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text[-1:] in ("z", "Z"):
            text = text[:-1] + "+00:00"
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    else:
        raise ValueError(f"{value!r} is not a timestamp")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def format_odata_timestamp(stamp):
    """An OData ``DateTimeOffset`` literal in UTC: ``2024-05-01T12:00:00Z``."""
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


def odata_string(value):
    """An OData string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def _query_string(params):
    return "&".join(f"{name}={quote(str(value), safe=QUERY_SAFE)}" for name, value in params)


class ResoWebApiProvider(FeedProvider):
    """Reads the ``Property`` resource of a RESO Web API service (``config.endpoint``)."""

    def __init__(
        self,
        config,
        *,
        select=False,
        sleep=time.sleep,
        rate_limiter=None,
        retry=RetryPolicy(),  # noqa: B008 - frozen, shared safely
    ):
        super().__init__(config)
        self.select = select
        self._keys_only = False
        self.property_url = f"{config.endpoint.rstrip('/')}/Property"
        self.mapping = dict(config.field_mapping or {})
        # The feed's own name for each RESO name the queries use.
        self.feed_names = {reso: feed for feed, reso in self.mapping.items()}
        if rate_limiter is None:
            rate_limiter = RateLimiter(float(config.max_requests_per_second), sleep=sleep)
        self.session = SafeSession(
            allow_private_network=config.allow_private_network,
            max_bytes=PAGE_MAX_BYTES,
            retry=retry,
            rate_limiter=rate_limiter,
            sleep=sleep,
        )

    def close(self):
        self.session.close()

    # --- Reading pages ---

    def pages(self, *, since=None, cursor=None):
        position = None  # (timestamp, listing key) of the last record read
        next_link = ""
        if since is not None:
            since = parse_reso_timestamp(since)
        if cursor is not None and cursor.timestamp is not None:
            position = (parse_reso_timestamp(cursor.timestamp), cursor.listing_key)
        if cursor is not None:
            next_link = cursor.next_link
        first = True
        while True:
            payload, used_link = self._read_page(next_link, position, since, count=first)
            page, last_position = self._page_from(payload, used_link or self.property_url)
            if last_position is not None:
                position = last_position
            page.cursor = Cursor(
                timestamp=position[0] if position else None,
                listing_key=position[1] if position else "",
                next_link=page.cursor.next_link,
            )
            first = False
            link = page.cursor.next_link
            if link and link == next_link:
                raise FeedError(f"the feed's nextLink does not move on ({link})")
            stuck = not link and page.has_more and last_position is None
            yield page
            if not page.has_more:
                return
            if stuck:
                raise FeedError(
                    "a full page of records without a usable ListingKey and "
                    "ModificationTimestamp, and no nextLink: the feed cannot be paged past it"
                )
            next_link = link

    def _read_page(self, next_link, position, since, *, count):
        """The JSON of the next page, and the nextLink it came from ("" when built here)."""
        if next_link:
            if self._same_origin(next_link):
                try:
                    return self._fetch_json(next_link), next_link
                except HttpError as error:
                    if not isinstance(error, HttpStatusError):
                        raise FeedError(str(error)) from error
                    if not 400 <= error.status < 500 or error.status in (401, 429):
                        raise self._feed_error(error) from error
                    logger.warning(
                        "The saved nextLink of %s failed (%s); reading on from the last "
                        "record instead.",
                        self.config,
                        error.status,
                    )
            else:
                logger.warning(
                    "The nextLink of %s points to another server (%s); reading on from the "
                    "last record instead, so credentials stay with the feed's server.",
                    self.config,
                    urlsplit(next_link).hostname,
                )
        return self._get_json(self._property_query(position, since, count=count)), ""

    def _property_query(self, position, since, *, count):
        stamp_name = self._feed_name("ModificationTimestamp")
        key_name = self._feed_name("ListingKey")
        params = []
        if position is not None and position[1]:
            stamp = format_odata_timestamp(position[0])
            params.append(
                (
                    "$filter",
                    f"{stamp_name} gt {stamp} or ({stamp_name} eq {stamp} and "
                    f"{key_name} gt {odata_string(position[1])})",
                )
            )
        elif position is not None:
            params.append(("$filter", f"{stamp_name} gt {format_odata_timestamp(position[0])}"))
        elif since is not None:
            params.append(("$filter", f"{stamp_name} gt {format_odata_timestamp(since)}"))
        params.append(("$orderby", f"{stamp_name} asc,{key_name} asc"))
        params.append(("$top", self.config.page_size))
        if self._keys_only:
            keys = ("ListingKey", "ModificationTimestamp")
            params.append(("$select", ",".join(self._feed_name(name) for name in keys)))
        else:
            params.append(("$expand", self._feed_name("Media")))
        if self.select and not self._keys_only:
            params.append(("$select", ",".join(self._feed_name(name) for name in SELECT_FIELDS)))
        if count:
            params.append(("$count", "true"))
        return f"{self.property_url}?{_query_string(params)}"

    def _page_from(self, payload, request_url):
        raw_records = self._value_of(payload)
        records = []
        errors = []
        last_position = None
        for raw in raw_records:
            record = self._renamed(raw) if isinstance(raw, dict) else None
            if record is None:
                errors.append(("", "the record is not a JSON object"))
                continue
            key = record.get("ListingKey")
            if isinstance(key, int) and not isinstance(key, bool):
                key = str(key)
            if not isinstance(key, str) or not key.strip():
                errors.append(("", f"the record has no ListingKey ({key!r})"))
                continue
            try:
                stamp = parse_reso_timestamp(record.get("ModificationTimestamp"))
            except ValueError as error:
                errors.append((key, f"the record's ModificationTimestamp is unusable: {error}"))
                continue
            records.append(record)
            last_position = (stamp, key)
        link = payload.get("@odata.nextLink") or ""
        if link:
            link = urljoin(request_url, link)
        total = payload.get("@odata.count")
        page = Page(
            records=records,
            cursor=Cursor(next_link=link),
            total=total if isinstance(total, int) else None,
            has_more=bool(link) or len(raw_records) >= self.config.page_size,
            errors=errors,
        )
        return page, last_position

    def _renamed(self, raw):
        if not self.mapping:
            return raw  # parsed for this page alone: nothing else holds it
        record = {name: value for name, value in raw.items() if name not in self.mapping}
        for name, value in raw.items():
            if name in self.mapping:
                record[self.mapping[name]] = value
        return record

    def _feed_name(self, reso_name):
        return self.feed_names.get(reso_name, reso_name)

    # --- Reconcile ---

    def listing_keys(self):
        """Every key, read in the feed order that every RESO server pages (timestamp, key).

        A listing modified during the scan moves later in that order and is read again, never
        skipped, so a reconcile cannot take a live listing off the market.
        """
        self._keys_only = True
        try:
            for page in self.pages():
                for record in page.records:
                    yield str(record["ListingKey"])
        finally:
            self._keys_only = False

    # --- HTTP ---

    def _value_of(self, payload):
        values = payload.get("value") if isinstance(payload, dict) else None
        if not isinstance(values, list):
            raise FeedError(f"the feed at {self.property_url} answered without a 'value' list")
        return values

    def _same_origin(self, url):
        ours, theirs = urlsplit(self.property_url), urlsplit(url)
        return (ours.scheme, ours.netloc.lower()) == (theirs.scheme, theirs.netloc.lower())

    def _get_json(self, url):
        """GET a feed URL as JSON; every failure is a ``FeedError``."""
        try:
            return self._fetch_json(url)
        except HttpStatusError as error:
            raise self._feed_error(error) from error
        except HttpError as error:
            raise FeedError(str(error)) from error

    def _fetch_json(self, url):
        """GET a feed URL as JSON with the provider's credentials, renewed once on a 401."""
        try:
            response = self.session.get(url, headers=self._headers())
        except HttpStatusError as error:
            if error.status != 401 or self.config.auth_kind != AuthKind.OAUTH2:
                raise
            # A token can be revoked before its stated expiry: get a new one, once.
            response = self.session.get(url, headers=self._headers(renew=True))
        try:
            return response.json()
        except ValueError as error:
            raise FeedError(
                f"the feed answered {url} with something that is not JSON "
                f"({response.content_type or 'no content type'})"
            ) from error

    def _headers(self, *, renew=False):
        return {"Accept": "application/json", **self._auth_headers(renew=renew)}

    def _feed_error(self, error):
        if error.status == 401:
            what = {
                AuthKind.NONE: "the feed requires credentials and none are configured",
                AuthKind.BEARER: "the feed refused the bearer token",
                AuthKind.OAUTH2: "the feed refused a freshly issued OAuth2 token",
            }.get(self.config.auth_kind, "the feed refused the credentials")
            return FeedError(f"{what} (401 Unauthorized at {error.url})")
        if error.status == 403:
            return FeedError(f"the feed does not allow these credentials to read {error.url} (403)")
        return FeedError(str(error))

    def _auth_headers(self, *, renew=False):
        kind = self.config.auth_kind
        if kind == AuthKind.BEARER:
            return {"Authorization": f"Bearer {self.config.bearer_token}"}
        if kind == AuthKind.OAUTH2:
            return {"Authorization": f"Bearer {self._oauth2_token(renew=renew)}"}
        return {}

    # --- OAuth2 client credentials ---

    def token_cache_key(self):
        """The cache key of this configuration's token: its pk and a hash of its credentials."""
        config = self.config
        secret = "\n".join(
            [config.token_url, config.client_id, config.client_secret, config.scope or ""]
        )
        digest = hashlib.sha256(secret.encode()).hexdigest()[:32]
        owner = f"{config.pk}:" if config.pk is not None else ""
        return f"mls:oauth2-token:{owner}{digest}"

    def _oauth2_token(self, *, renew=False):
        key = self.token_cache_key()
        if renew:
            cache.delete(key)
        else:
            token = cache.get(key)
            if token:
                return token
        token, lifetime = self._request_token()
        cache.set(key, token, timeout=max(lifetime - min(TOKEN_EXPIRY_MARGIN, lifetime / 2), 1))
        return token

    def _request_token(self):
        config = self.config
        if not config.token_url:
            raise FeedError("OAuth2 is chosen but the provider has no token URL")
        form = {
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }
        if config.scope:
            form["scope"] = config.scope
        try:
            response = self.session.post(
                config.token_url,
                data=form,
                headers={"Accept": "application/json"},
                max_bytes=TOKEN_MAX_BYTES,
            )
        except HttpStatusError as error:
            if error.status in (400, 401, 403):
                raise FeedError(
                    f"the token URL refused the client credentials ({error.status}): "
                    f"{_oauth_error_text(error.body)}"
                ) from error
            raise FeedError(f"could not get an OAuth2 token: {error}") from error
        except HttpError as error:
            raise FeedError(f"could not get an OAuth2 token: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise FeedError(f"the token URL {config.token_url} answered without an access_token")
        try:
            lifetime = float(answer.get("expires_in", TOKEN_DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            lifetime = TOKEN_DEFAULT_LIFETIME
        return token, max(lifetime, 1)


def _oauth_error_text(body):
    text = body.decode("utf-8", errors="replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300] or "no details given"
    if isinstance(answer, dict):
        parts = [answer.get("error"), answer.get("error_description")]
        return ": ".join(str(part) for part in parts if part) or text[:300]
    return text[:300]
