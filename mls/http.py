"""The one way the product talks to outside HTTP servers (MLS feeds, their token URLs, photos).

Every request goes through ``SafeSession``: connect and read timeouts, a cap on the bytes read
(after gzip decoding), an optional content-type allow-list, only http and https, redirects
followed a few hops at most and checked again at each hop, retries with backoff for 429, 5xx
and connection errors, an optional request-rate limit, and an SSRF guard.

The SSRF guard runs when a connection is opened, not when a URL is parsed: the host is resolved
once, every address it resolves to is checked, and the socket is connected to one of exactly
those addresses (and its peer checked again), so a DNS answer that changes between a check and
the connection (DNS rebinding) cannot reach a private address. Environment proxies and .netrc
are ignored (``trust_env = False``), so the peer of the socket is always the destination.
"""

import email.utils
import ipaddress
import random
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
PHOTO_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ERROR_BODY_BYTES = 2048  # read from an error response, to quote in the message
CHUNK_BYTES = 64 * 1024
GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate data
USER_AGENT = "realestate-crm/1.0 (+MLS sync)"


class HttpError(Exception):
    """An outside server could not be reached, or its answer could not be used."""


class DestinationRefused(HttpError):
    """The URL's host is on a network the product must not reach (the SSRF guard)."""


class ResponseTooLarge(HttpError):
    """The response body is larger than the caller's cap."""


class UnexpectedContentType(HttpError):
    """The response is not one of the content types the caller accepts."""


class TooManyRedirects(HttpError):
    """The server redirected more times than allowed."""


class HttpStatusError(HttpError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message, *, status, url, headers=None, body=b""):
        super().__init__(message)
        self.status = status
        self.url = url
        self.headers = headers or {}
        self.body = body


# --- The SSRF guard ---------------------------------------------------------------------------

_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(address):
    """Why ``address`` must not be reached from here ("a private address"), or None if public.

    IPv6 addresses that embed an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged by the
    IPv4 address they lead to.
    """
    ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, reason in checks:
        if getattr(ip, attribute):
            return reason
    if not ip.is_global:
        return "a non-public address"
    return None


def _is_trusted(address, trusted_networks):
    ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    return any(ip.version == network.version and ip in network for network in trusted_networks)


def _check_address(host, address, trusted_networks):
    if _is_trusted(address, trusted_networks):
        return
    reason = address_refusal(address)
    if reason is None:
        return
    if _is_ip_literal(host):
        raise DestinationRefused(
            f"{host} is {reason}; the product only connects to public addresses "
            "(allow private networks on the provider for a local feed)"
        )
    raise DestinationRefused(
        f"{host} resolves to {address}, {reason}; the product only connects to public "
        "addresses (allow private networks on the provider for a local feed)"
    )


def _is_ip_literal(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _connect_to_public_address(conn):
    """Resolve the connection's host, check every address, connect to one of those exactly."""
    host = conn._dns_host
    trusted_networks = conn.trusted_networks
    try:
        infos = socket.getaddrinfo(
            host, conn.port, urllib3_connection.allowed_gai_family(), socket.SOCK_STREAM
        )
    except socket.gaierror as error:
        raise NameResolutionError(conn.host, conn, error) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        _check_address(conn.host, address, trusted_networks)
    last_error = None
    for address in addresses:
        try:
            sock = urllib3_connection.create_connection(
                (address, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from error
        except OSError as error:
            last_error = error
            continue
        try:
            _check_address(conn.host, sock.getpeername()[0], trusted_networks)
        except DestinationRefused:
            sock.close()
            raise
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last_error}")


class _GuardedHTTPConnection(HTTPConnection):
    trusted_networks = ()

    def _new_conn(self):
        return _connect_to_public_address(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    trusted_networks = ()

    def _new_conn(self):
        return _connect_to_public_address(self)


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class PublicNetworkAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections refuse non-public addresses when they connect.

    ``trusted_networks`` (CIDR strings) are let through although not public, for an operator
    who runs a feed on a known internal network.
    """

    def __init__(self, *, trusted_networks=(), **kwargs):
        networks = tuple(ipaddress.ip_network(network) for network in trusted_networks)
        # Subclasses per adapter carry its trusted networks to the connections urllib3 builds.
        http_conn = type("_HTTPConnection", (_GuardedHTTPConnection,), {})
        https_conn = type("_HTTPSConnection", (_GuardedHTTPSConnection,), {})
        http_conn.trusted_networks = https_conn.trusted_networks = networks
        self._pool_classes = {
            "http": type("_HTTPPool", (_GuardedHTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type(
                "_HTTPSPool", (_GuardedHTTPSConnectionPool,), {"ConnectionCls": https_conn}
            ),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # Through a proxy the socket's peer is the proxy, so the guard could not see the target.
        raise DestinationRefused("requests through a proxy are not allowed")


# --- Retries and rate limiting ----------------------------------------------------------------


def parse_retry_after(value, *, now=None):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a 429, a 5xx or a connection error.

    ``attempts`` counts the first try. Waits grow exponentially from ``backoff`` up to
    ``max_backoff``, with jitter (each wait is between half and all of the step); a server's
    ``Retry-After`` is honoured as given, up to ``max_retry_after`` seconds.
    """

    attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def retries_status(self, status):
        return status == 429 or (500 <= status <= 599 and status not in (501, 505))

    def wait(self, attempt, retry_after=None):
        """Seconds to wait after failed attempt number ``attempt`` (1 for the first try)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        step = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        return random.uniform(step / 2, step)


NO_RETRIES = RetryPolicy(attempts=1)


class RateLimiter:
    """Spaces calls to at most ``per_second`` a second (a monotonic clock, an injectable sleep)."""

    def __init__(self, per_second, *, clock=time.monotonic, sleep=time.sleep):
        if per_second <= 0:
            raise ValueError("the request rate must be positive")
        self.interval = 1.0 / float(per_second)
        self.clock = clock
        self.sleep = sleep
        self._next = None
        self._lock = threading.Lock()

    def wait(self):
        """Wait until the next call is allowed; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return delay


# --- The session ------------------------------------------------------------------------------


@dataclass
class HttpResponse:
    """A response read in full (within the byte cap)."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def content_type(self):
        return _media_type(self.headers.get("Content-Type", ""))

    @property
    def text(self):
        encoding = requests.utils.get_encoding_from_headers(self.headers) or "utf-8"
        return self.content.decode(encoding, errors="replace")

    def json(self):
        return orjson.loads(self.content)


def _media_type(header):
    return header.split(";", 1)[0].strip().lower()


def _describe_bytes(count):
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    if count >= 1024:
        return f"{count / 1024:g} KB"
    return f"{count} bytes"


def _origin(url):
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), parts.port or default_port


def _host_of(url):
    return urlsplit(url).hostname or url


def _check_url(url):
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise HttpError(f"only http and https URLs can be fetched, not {url!r}")
    if not parts.hostname:
        raise HttpError(f"the URL {url!r} has no host")


class SafeSession:
    """A ``requests`` session with the product's timeouts, caps, retries and SSRF guard.

    ``request()`` returns an ``HttpResponse`` read in full for a 2xx answer and raises an
    ``HttpError`` otherwise (``HttpStatusError`` for an error status after the retries).
    """

    def __init__(
        self,
        *,
        allow_private_network=False,
        trusted_networks: Iterable[str] = (),
        timeout=DEFAULT_TIMEOUT,
        max_bytes=DEFAULT_MAX_BYTES,
        max_redirects=DEFAULT_MAX_REDIRECTS,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, shared safely
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
    ):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retry = retry
        self.rate_limiter = rate_limiter
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(headers or {})
        if allow_private_network:
            adapter = HTTPAdapter()
        else:
            adapter = PublicNetworkAdapter(trusted_networks=trusted_networks)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self.session.close()

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def request(
        self,
        method,
        url,
        *,
        params=None,
        data=None,
        headers=None,
        max_bytes=None,
        content_types=None,
    ) -> HttpResponse:
        """Send a request, following up to ``max_redirects`` redirects, each one re-checked."""
        max_bytes = self.max_bytes if max_bytes is None else max_bytes
        headers = dict(headers or {})
        for hop in range(self.max_redirects + 1):
            _check_url(url)
            answer = self._exchange(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                max_bytes=max_bytes,
                content_types=content_types,
            )
            if isinstance(answer, HttpResponse):
                return answer
            location = answer.headers.get("Location")
            status = answer.status_code
            answer.close()
            if not location:
                raise HttpError(f"{_host_of(url)} redirected without saying where to")
            if hop == self.max_redirects:
                break
            target = urljoin(answer.url, location)
            if _origin(target) != _origin(url):
                # Credentials are for the server they were configured for, never passed on.
                headers.pop("Authorization", None)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = ("HEAD" if method == "HEAD" else "GET"), None
            url, params = target, None
        raise TooManyRedirects(
            f"{_host_of(url)} redirected more than {self.max_redirects} times; giving up"
        )

    def _exchange(self, method, url, *, params, data, headers, max_bytes, content_types):
        """One hop with its retries: the read response, or the (unread) redirect response."""
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            if self.rate_limiter is not None:
                self.rate_limiter.wait()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if last:
                    raise HttpError(
                        f"could not reach {_host_of(url)} after {attempt} attempt(s): "
                        f"{_connection_reason(error)}"
                    ) from error
                self.sleep(self.retry.wait(attempt))
                continue
            except requests.RequestException as error:
                raise HttpError(f"could not request {url}: {error}") from error
            if response.status_code in REDIRECT_STATUSES:
                return response
            if self.retry.retries_status(response.status_code) and not last:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
                self.sleep(self.retry.wait(attempt, retry_after))
                continue
            try:
                return self._finish(response, attempt, max_bytes, content_types)
            except _BodyInterrupted as error:
                if last:
                    raise HttpError(
                        f"the answer from {_host_of(url)} was cut off after {attempt} "
                        f"attempt(s): {error}"
                    ) from error
                self.sleep(self.retry.wait(attempt))

    def _finish(self, response, attempts, max_bytes, content_types):
        url = response.url
        if not 200 <= response.status_code < 300:
            body = _read_some(response, ERROR_BODY_BYTES)
            after = f" after {attempts} attempts" if attempts > 1 else ""
            snippet = body.decode("utf-8", errors="replace").strip()
            raise HttpStatusError(
                f"{_host_of(url)} answered {response.status_code} {response.reason}{after} "
                f"for {url}" + (f": {snippet[:300]}" if snippet else ""),
                status=response.status_code,
                url=url,
                headers=response.headers,
                body=body,
            )
        content_type = _media_type(response.headers.get("Content-Type", ""))
        if content_types is not None and content_type not in content_types:
            response.close()
            raise UnexpectedContentType(
                f"{url} is {content_type or 'of no stated type'}, not one of "
                f"{', '.join(content_types)}"
            )
        try:
            content = _read_capped(response, max_bytes)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise _BodyInterrupted(_connection_reason(error)) from error
        except requests.exceptions.ContentDecodingError as error:
            raise HttpError(f"the answer from {_host_of(url)} could not be decoded") from error
        return HttpResponse(
            url=url, status=response.status_code, headers=response.headers, content=content
        )


class _BodyInterrupted(HttpError):
    """The connection broke while the body was being read (worth another attempt)."""


def _connection_reason(error):
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "the connection timed out"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return "the server did not answer in time"
    reason = error.args[0] if error.args else error
    reason = getattr(reason, "reason", reason)
    return str(reason)


def _read_capped(response, max_bytes):
    """The decoded body, or ``ResponseTooLarge`` as soon as it passes ``max_bytes``."""
    too_large = ResponseTooLarge(
        f"the response from {_host_of(response.url)} is larger than the "
        f"{_describe_bytes(max_bytes)} limit ({response.url})"
    )
    encoding = response.headers.get("Content-Encoding", "identity").lower()
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and encoding == "identity" and int(declared) > max_bytes:
        response.close()
        raise too_large
    try:
        if encoding == "gzip":
            return _gunzip_capped(_encoded_chunks(response), max_bytes, too_large)
        chunks = []
        total = 0
        for chunk in response.iter_content(CHUNK_BYTES):
            total += len(chunk)
            if total > max_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        response.close()


def _encoded_chunks(response):
    """The body as sent, still encoded, with the errors ``iter_content`` would raise."""
    try:
        yield from response.raw.stream(CHUNK_BYTES, decode_content=False)
    except urllib3_exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except urllib3_exceptions.ReadTimeoutError as error:
        raise requests.ConnectionError(error) from error
    except urllib3_exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error) from error


def _gunzip_capped(chunks, max_bytes, too_large):
    """Gzip-decoded ``chunks``, never more than ``max_bytes`` of them (a gzip bomb stops at
    the cap). Decoded here rather than by urllib3, which took twice as long for a feed page."""
    decoded = []
    total = 0
    decoder = zlib.decompressobj(GZIP_WBITS)
    for chunk in chunks:
        while chunk:
            try:
                piece = decoder.decompress(chunk, max_bytes - total + 1)
            except zlib.error as error:
                raise requests.exceptions.ContentDecodingError(error) from error
            total += len(piece)
            if total > max_bytes:
                raise too_large
            decoded.append(piece)
            chunk = b""
            if decoder.eof:  # the next member of a multi-member body
                chunk = decoder.unused_data
                decoder = zlib.decompressobj(GZIP_WBITS)
    return b"".join(decoded)


def _read_some(response, limit):
    try:
        chunks = []
        total = 0
        for chunk in response.iter_content(1024):
            chunks.append(chunk)
            total += len(chunk)
            if total >= limit:
                break
        return b"".join(chunks)[:limit]
    except requests.RequestException:
        return b""
    finally:
        response.close()


def fetch_bytes(
    url,
    *,
    max_bytes,
    content_types=None,
    allow_private_network=False,
    timeout=DEFAULT_TIMEOUT,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, shared safely
    sleep: Callable[[float], None] = time.sleep,
):
    """Download ``url`` (a photo, say) within ``max_bytes``: ``(body, content_type)``."""
    with SafeSession(
        allow_private_network=allow_private_network,
        timeout=timeout,
        max_bytes=max_bytes,
        retry=retry,
        sleep=sleep,
    ) as session:
        response = session.get(url, content_types=content_types)
    return response.content, response.content_type
