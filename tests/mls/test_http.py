import gzip
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
import requests
from urllib3.exceptions import ProtocolError

from mls.http import (
    NO_RETRIES,
    PHOTO_CONTENT_TYPES,
    DestinationRefused,
    HttpError,
    HttpStatusError,
    RateLimiter,
    ResponseTooLarge,
    RetryPolicy,
    TooManyRedirects,
    UnexpectedContentType,
    _encoded_chunks,
    address_refusal,
    fetch_bytes,
    parse_retry_after,
)
from tests.mls.conftest import Reply
from tests.testing.clock import FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.5", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.10", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fe80::1", "a link-local address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("2002:a00:1::1", "a private address"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address, reason):
    assert address_refusal(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1"])
def test_public_addresses_are_accepted_by_the_classifier(address):
    assert address_refusal(address) is None


def test_a_url_on_a_loopback_address_is_refused_without_connecting(feed_server):
    feed_server.script("/photo.png", Reply(body=PNG, headers={"Content-Type": "image/png"}))

    with pytest.raises(DestinationRefused, match=r"127\.0\.0\.1 is a loopback address"):
        fetch_bytes(feed_server.url("/photo.png"), max_bytes=1024)

    assert feed_server.received == []


def test_an_https_url_on_a_private_address_is_refused_before_any_handshake():
    with pytest.raises(DestinationRefused, match=r"10\.1\.2\.3 is a private address"):
        fetch_bytes("https://10.1.2.3/photo.jpg", max_bytes=1024)


def test_a_host_name_is_resolved_and_checked_when_connecting(feed_server):
    url = f"http://localhost:{feed_server.port}/photo.png"

    with pytest.raises(DestinationRefused, match=r"localhost resolves to .+, a loopback address"):
        fetch_bytes(url, max_bytes=1024)

    assert feed_server.received == []


def test_a_private_address_is_reached_when_private_networks_are_allowed(feed_server):
    feed_server.script("/photo.png", Reply(body=PNG, headers={"Content-Type": "image/png"}))

    body, content_type = fetch_bytes(
        feed_server.url("/photo.png"), max_bytes=1024, allow_private_network=True
    )

    assert (body, content_type) == (PNG, "image/png")


def test_a_redirect_to_a_private_address_is_refused(feed_server, make_session):
    feed_server.script(
        "/start", Reply(status=302, headers={"Location": "http://10.0.0.5/latest/meta-data"})
    )
    session = make_session(trusted_networks=["127.0.0.1/32"])
    with pytest.raises(DestinationRefused, match=r"10\.0\.0\.5 is a private address"):
        session.get(feed_server.url("/start"))

    assert [request.path for request in feed_server.received] == ["/start"]


def test_a_redirect_to_another_loopback_address_is_refused_at_each_hop(feed_server, make_session):
    other = f"http://127.0.0.2:{feed_server.port}/next"
    feed_server.script("/start", Reply(status=307, headers={"Location": other}))
    session = make_session(trusted_networks=["127.0.0.1/32"])
    with pytest.raises(DestinationRefused, match=r"127\.0\.0\.2 is a loopback address"):
        session.get(feed_server.url("/start"))


def test_redirects_are_followed_a_few_hops_at_most(feed_server, make_session):
    for hop in range(1, 4):
        feed_server.script(f"/hop{hop}", Reply(status=302, headers={"Location": f"/hop{hop + 1}"}))
    feed_server.script("/hop4", Reply(json={"ok": True}))
    session = make_session(allow_private_network=True, max_redirects=3)
    assert session.get(feed_server.url("/hop1")).json() == {"ok": True}
    session = make_session(allow_private_network=True, max_redirects=2)
    with pytest.raises(TooManyRedirects, match="more than 2 times"):
        session.get(feed_server.url("/hop1"))


def test_a_redirect_to_another_scheme_is_refused(feed_server, make_session):
    feed_server.script("/start", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    session = make_session(allow_private_network=True)
    with pytest.raises(HttpError, match="only http and https"):
        session.get(feed_server.url("/start"))


def test_credentials_are_not_passed_to_another_host_on_a_redirect(feed_server, make_session):
    elsewhere = f"http://localhost:{feed_server.port}/elsewhere"
    feed_server.script("/start", Reply(status=302, headers={"Location": elsewhere}))
    feed_server.script("/elsewhere", Reply(json={}))
    session = make_session(allow_private_network=True)
    session.get(feed_server.url("/start"), headers={"Authorization": "Bearer secret"})

    first, second = feed_server.received
    assert first.headers["Authorization"] == "Bearer secret"
    assert "Authorization" not in second.headers


def test_only_http_and_https_urls_are_fetched():
    with pytest.raises(HttpError, match="only http and https"):
        fetch_bytes("file:///etc/passwd", max_bytes=1024, allow_private_network=True)


def test_a_429_is_retried_after_the_servers_retry_after(feed_server, sleeps, make_session):
    feed_server.script(
        "/feed", Reply(status=429, headers={"Retry-After": "2"}), Reply(json={"value": []})
    )
    session = make_session(allow_private_network=True, sleep=sleeps)
    response = session.get(feed_server.url("/feed"))

    assert response.json() == {"value": []}
    assert sleeps == [2.0]
    assert len(feed_server.received) == 2


def test_a_long_retry_after_is_capped(feed_server, sleeps, make_session):
    feed_server.script("/feed", Reply(status=503, headers={"Retry-After": "86400"}), Reply(json={}))
    retry = RetryPolicy(max_retry_after=30)
    session = make_session(allow_private_network=True, retry=retry, sleep=sleeps)
    session.get(feed_server.url("/feed"))

    assert sleeps == [30]


def test_5xx_is_retried_with_growing_jittered_waits(feed_server, sleeps, make_session):
    feed_server.script("/feed", Reply(status=500), Reply(status=502), Reply(json={"ok": 1}))
    retry = RetryPolicy(attempts=4, backoff=1.0)
    session = make_session(allow_private_network=True, retry=retry, sleep=sleeps)
    assert session.get(feed_server.url("/feed")).json() == {"ok": 1}

    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 2.0 >= sleeps[1] >= 1.0


def test_a_server_failing_every_time_is_given_up_after_the_attempts(
    feed_server, sleeps, make_session
):
    feed_server.script("/feed", Reply(status=500, body=b"database is down"))
    retry = RetryPolicy(attempts=3)
    session = make_session(allow_private_network=True, retry=retry, sleep=sleeps)
    with pytest.raises(HttpStatusError, match="500 .* after 3 attempts") as raised:
        session.get(feed_server.url("/feed"))

    assert raised.value.status == 500
    assert "database is down" in str(raised.value)
    assert len(feed_server.received) == 3
    assert len(sleeps) == 2


def test_a_client_error_is_not_retried(feed_server, sleeps, make_session):
    feed_server.script("/feed", Reply(status=404))
    session = make_session(allow_private_network=True, sleep=sleeps)
    with pytest.raises(HttpStatusError) as raised:
        session.get(feed_server.url("/feed"))

    assert raised.value.status == 404
    assert len(feed_server.received) == 1
    assert sleeps == []


def test_a_refused_connection_is_retried_then_reported(sleeps, make_session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    retry = RetryPolicy(attempts=3)
    session = make_session(allow_private_network=True, retry=retry, sleep=sleeps)
    with pytest.raises(HttpError, match=r"could not reach 127\.0\.0\.1 after 3 attempt"):
        session.get(f"http://127.0.0.1:{closed_port}/feed")

    assert len(sleeps) == 2


def test_a_gzip_response_is_decoded(feed_server, make_session):
    records = {"value": [{"ListingKey": str(number)} for number in range(500)]}
    feed_server.script("/feed", Reply(json=records, gzip=True))
    session = make_session(allow_private_network=True)
    response = session.get(feed_server.url("/feed"))

    assert response.json() == records
    assert "gzip" in feed_server.received[0].headers["Accept-Encoding"]


def test_a_body_over_the_cap_is_refused(feed_server, make_session):
    feed_server.script("/big", Reply(body=b"x" * (2 * 1024 * 1024)))
    session = make_session(allow_private_network=True, max_bytes=1024 * 1024)
    with pytest.raises(ResponseTooLarge, match="larger than the 1 MB limit"):
        session.get(feed_server.url("/big"))


def test_the_cap_applies_to_the_decoded_body_of_a_gzip_response(feed_server, make_session):
    bomb = b"\0" * (8 * 1024 * 1024)
    assert len(gzip.compress(bomb)) < 64 * 1024
    feed_server.script("/bomb", Reply(body=bomb, gzip=True))
    session = make_session(allow_private_network=True, max_bytes=1024 * 1024)
    with pytest.raises(ResponseTooLarge, match="larger than the 1 MB limit"):
        session.get(feed_server.url("/bomb"))


def test_a_gzip_body_of_several_members_is_decoded_whole(feed_server, make_session):
    body = gzip.compress(b'{"value": [1, ') + gzip.compress(b"2]}")
    feed_server.script("/feed", Reply(body=body, headers={"Content-Encoding": "gzip"}))
    session = make_session(allow_private_network=True)

    assert session.get(feed_server.url("/feed")).json() == {"value": [1, 2]}


def test_a_gzip_body_exactly_at_the_cap_is_read(feed_server, make_session):
    feed_server.script("/feed", Reply(body=b"x" * 1024 * 1024, gzip=True))
    session = make_session(allow_private_network=True, max_bytes=1024 * 1024)

    assert len(session.get(feed_server.url("/feed")).content) == 1024 * 1024


def test_a_corrupt_gzip_body_is_an_error_that_says_so(feed_server, make_session):
    body = gzip.compress(b"x" * 10_000)
    corrupt = body[:20] + bytes(255 - byte for byte in body[20:40]) + body[40:]
    feed_server.script("/feed", Reply(body=corrupt, headers={"Content-Encoding": "gzip"}))
    session = make_session(allow_private_network=True)

    with pytest.raises(HttpError, match="could not be decoded"):
        session.get(feed_server.url("/feed"))


def test_a_connection_broken_in_a_gzip_body_is_reported_as_requests_reports_it():
    class BrokenRaw:
        def stream(self, amount, decode_content):
            yield gzip.compress(b"part")[:10]
            raise ProtocolError("Connection broken: IncompleteRead")

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        list(_encoded_chunks(SimpleNamespace(raw=BrokenRaw())))


def test_photos_of_an_accepted_content_type_are_downloaded(feed_server):
    feed_server.script(
        "/photo.jpg", Reply(body=b"jpeg", headers={"Content-Type": "image/jpeg; charset=binary"})
    )

    body, content_type = fetch_bytes(
        feed_server.url("/photo.jpg"),
        max_bytes=1024,
        content_types=PHOTO_CONTENT_TYPES,
        allow_private_network=True,
    )

    assert (body, content_type) == (b"jpeg", "image/jpeg")


def test_a_download_of_another_content_type_is_refused(feed_server):
    feed_server.script("/photo.jpg", Reply(body=b"<html>", headers={"Content-Type": "text/html"}))

    with pytest.raises(UnexpectedContentType, match="is text/html, not one of image/jpeg"):
        fetch_bytes(
            feed_server.url("/photo.jpg"),
            max_bytes=1024,
            content_types=PHOTO_CONTENT_TYPES,
            allow_private_network=True,
        )


def test_a_server_too_slow_to_answer_is_reported(feed_server, make_session):
    released = threading.Event()

    def stalled(request):
        # Answers only once the client has given up (or after 5 s at the most).
        released.wait(5)
        return Reply(json={})

    feed_server.script("/slow", stalled)
    session = make_session(allow_private_network=True, timeout=(1, 0.1), retry=NO_RETRIES)
    try:
        with pytest.raises(HttpError, match="did not answer in time"):
            session.get(feed_server.url("/slow"))
    finally:
        released.set()


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)

    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(days=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_the_rate_limiter_spaces_requests():
    clock = FakeClock(start=1000.0)
    limiter = RateLimiter(4, clock=clock.monotonic, sleep=clock.sleep)

    for _ in range(3):
        limiter.wait()
    clock.now += 5
    limiter.wait()

    assert clock.sleeps == [0.25, 0.25]


def test_the_rate_limiter_is_applied_to_every_request(feed_server, make_session):
    clock = FakeClock(start=1000.0)
    limiter = RateLimiter(2, clock=clock.monotonic, sleep=clock.sleep)
    feed_server.script("/feed", Reply(json={}))
    session = make_session(allow_private_network=True, rate_limiter=limiter)
    for _ in range(3):
        session.get(feed_server.url("/feed"))

    assert clock.sleeps == [0.5, 0.5]
