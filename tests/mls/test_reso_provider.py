import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote

import pytest

from mls.choices import AuthKind
from mls.http import RateLimiter, RetryPolicy
from mls.providers import Cursor, FeedError, provider_for
from mls.providers.reso import ResoWebApiProvider, parse_reso_timestamp
from tests.mls.conftest import Reply
from tests.testing.clock import FakeClock

T1 = "2024-03-01T10:00:00Z"
T2 = "2024-03-01T11:00:00Z"
T3 = "2024-03-01T12:00:00Z"
ORDER = "ModificationTimestamp asc,ListingKey asc"


def after(stamp, key):
    return (
        f"ModificationTimestamp gt {stamp} or "
        f"(ModificationTimestamp eq {stamp} and ListingKey gt '{key}')"
    )


def record(key, stamp, **fields):
    return {"ListingKey": key, "ModificationTimestamp": stamp, "Media": [], **fields}


class ODataFeed:
    """A small RESO Web API: filters, orders and pages ``Property`` records like a server."""

    keyset = re.compile(
        r"^ModificationTimestamp gt (\S+) or \(ModificationTimestamp eq (\S+) and "
        r"ListingKey gt '((?:[^']|'')*)'\)$"
    )
    since = re.compile(r"^ModificationTimestamp gt (\S+)$")

    def __init__(self, records, *, next_links=False):
        self.records = sorted(records, key=lambda item: (self.stamp(item), item["ListingKey"]))
        self.next_links = next_links

    @staticmethod
    def stamp(item):
        return datetime.fromisoformat(item["ModificationTimestamp"])

    def __call__(self, request):
        query = request.query
        matching = self.records
        condition = query.get("$filter")
        if condition and (found := self.keyset.match(condition)):
            stamp, key = datetime.fromisoformat(found[1]), found[3].replace("''", "'")
            matching = [
                item
                for item in matching
                if self.stamp(item) > stamp
                or (self.stamp(item) == stamp and item["ListingKey"] > key)
            ]
        elif condition and (found := self.since.match(condition)):
            matching = [
                item for item in matching if self.stamp(item) > datetime.fromisoformat(found[1])
            ]
        elif condition:
            return Reply(status=400, json={"error": {"message": f"bad $filter {condition}"}})
        skip, top = int(query.get("$skip", 0)), int(query["$top"])
        answer = {"value": matching[skip : skip + top]}
        if query.get("$count") == "true":
            answer["@odata.count"] = len(matching)
        if self.next_links and skip + top < len(matching):
            params = {
                name: value for name, value in query.items() if name not in ("$count", "$skip")
            }
            params["$skip"] = skip + top
            link = "&".join(
                f"{name}={quote(str(value), safe='$,()')}" for name, value in params.items()
            )
            answer["@odata.nextLink"] = f"{request.path}?{link}"
        return Reply(json=answer)


@pytest.fixture
def make_provider(sleeps):
    providers = []

    def make(config, **options):
        clock = FakeClock()
        limiter = RateLimiter(
            float(config.max_requests_per_second), clock=clock.monotonic, sleep=clock.sleep
        )
        options.setdefault("sleep", sleeps)
        options.setdefault("rate_limiter", limiter)
        provider = ResoWebApiProvider(config, **options)
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        provider.close()


def read_all(provider, **position):
    position.setdefault("since", None)
    position.setdefault("cursor", None)
    return list(provider.pages(**position))


def keys_of(pages):
    return [item["ListingKey"] for page in pages for item in page.records]


def property_requests(feed_server):
    return feed_server.requests_to("/odata/Property")


def test_pages_follow_the_servers_next_link(feed_server, make_config, make_provider):
    records = [record(f"K{number}", T1) for number in range(5)]
    feed_server.script("/odata/Property", ODataFeed(records, next_links=True))

    pages = read_all(make_provider(make_config()))

    assert keys_of(pages) == ["K0", "K1", "K2", "K3", "K4"]
    assert [page.has_more for page in pages] == [True, True, False]
    assert pages[0].total == 5
    assert "$skip=2" in pages[0].cursor.next_link
    assert pages[0].cursor.next_link.startswith(feed_server.url("/odata/Property?"))
    assert pages[-1].cursor == Cursor(
        timestamp=datetime(2024, 3, 1, 10, tzinfo=UTC), listing_key="K4", next_link=""
    )
    assert [request.query.get("$skip") for request in property_requests(feed_server)] == [
        None,
        "2",
        "4",
    ]


def test_the_first_request_asks_for_the_whole_feed_in_order(
    feed_server, make_config, make_provider
):
    feed_server.script("/odata/Property", ODataFeed([record("K1", T1)]))

    read_all(make_provider(make_config(page_size=50)))

    (request,) = property_requests(feed_server)
    assert request.query == {
        "$orderby": ORDER,
        "$top": "50",
        "$expand": "Media",
        "$count": "true",
    }


def test_equal_timestamps_across_a_page_boundary_are_neither_lost_nor_repeated(
    feed_server, make_config, make_provider
):
    records = [
        record("A", T1),
        record("B", T2),
        record("C", T2),
        record("D", T2),
        record("E", T2),
        record("F", T3),
    ]
    feed_server.script("/odata/Property", ODataFeed(records))

    pages = read_all(make_provider(make_config()))

    assert keys_of(pages) == ["A", "B", "C", "D", "E", "F"]
    requests = property_requests(feed_server)
    assert [request.query.get("$filter") for request in requests] == [
        None,
        after(T2, "B"),
        after(T2, "D"),
        after(T3, "F"),
    ]
    assert [request.query.get("$count") for request in requests] == ["true", None, None, None]
    assert [page.cursor.listing_key for page in pages] == ["B", "D", "F", "F"]
    assert pages[-1].records == [] and not pages[-1].has_more


def test_records_changed_since_a_time_are_read(feed_server, make_config, make_provider):
    feed_server.script("/odata/Property", ODataFeed([record("A", T1), record("B", T2)]))
    since = datetime(2024, 3, 1, 5, 30, tzinfo=timezone(timedelta(hours=-5)))

    pages = read_all(make_provider(make_config()), since=since)

    assert keys_of(pages) == ["B"]
    assert property_requests(feed_server)[0].query["$filter"] == (
        "ModificationTimestamp gt 2024-03-01T10:30:00Z"
    )


def test_a_sync_resumes_after_the_cursors_timestamp_and_key(
    feed_server, make_config, make_provider
):
    records = [record("A", T1), record("B", T2), record("C", T2), record("D", T3)]
    feed_server.script("/odata/Property", ODataFeed(records))
    cursor = Cursor(timestamp=parse_reso_timestamp(T2), listing_key="B")

    pages = read_all(
        make_provider(make_config()), since=datetime(2000, 1, 1, tzinfo=UTC), cursor=cursor
    )

    assert keys_of(pages) == ["C", "D"]
    assert property_requests(feed_server)[0].query["$filter"] == after(T2, "B")


def test_a_sync_resumes_from_the_cursors_next_link(feed_server, make_config, make_provider):
    records = [record(f"K{number}", T1) for number in range(4)]
    feed_server.script("/odata/Property", ODataFeed(records, next_links=True))
    link = feed_server.url(f"/odata/Property?$orderby={quote(ORDER)}&$top=2&$skip=2")
    cursor = Cursor(timestamp=parse_reso_timestamp(T1), listing_key="K1", next_link=link)

    pages = read_all(make_provider(make_config()), cursor=cursor)

    assert keys_of(pages) == ["K2", "K3"]
    assert property_requests(feed_server)[0].query["$skip"] == "2"


def test_an_expired_next_link_falls_back_to_the_cursors_position(
    feed_server, make_config, make_provider
):
    records = [record("A", T1), record("B", T2), record("C", T2)]
    feed = ODataFeed(records)
    feed_server.script("/odata/Property", feed)
    feed_server.script("/odata/Expired", Reply(status=410, json={"error": "gone"}))
    cursor = Cursor(
        timestamp=parse_reso_timestamp(T2),
        listing_key="B",
        next_link=feed_server.url("/odata/Expired?$skiptoken=abc"),
    )

    pages = read_all(make_provider(make_config()), cursor=cursor)

    assert keys_of(pages) == ["C"]
    assert property_requests(feed_server)[0].query["$filter"] == after(T2, "B")


def test_a_next_link_to_another_server_is_not_followed(feed_server, make_config, make_provider):
    feed_server.script(
        "/odata/Property",
        Reply(
            json={
                "value": [record("A", T1), record("B", T1)],
                "@odata.nextLink": "http://collector.example/odata/Property?$skip=2",
            }
        ),
        Reply(json={"value": [record("C", T2)]}),
    )

    pages = read_all(make_provider(make_config(auth_kind=AuthKind.BEARER, bearer_token="t")))

    assert keys_of(pages) == ["A", "B", "C"]
    assert property_requests(feed_server)[1].query["$filter"] == after(T1, "B")


def test_timestamps_without_a_zone_or_with_an_offset_are_read_as_utc(
    feed_server, make_config, make_provider
):
    records = [record("A", "2024-03-01T10:00:00"), record("B", "2024-03-01T12:30:00+02:00")]
    feed_server.script(
        "/odata/Property",
        Reply(json={"value": records}),
        Reply(json={"value": []}),
    )

    pages = read_all(make_provider(make_config()))

    assert pages[0].cursor.timestamp == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    assert pages[0].records[0]["ModificationTimestamp"] == "2024-03-01T10:00:00"
    assert property_requests(feed_server)[1].query["$filter"] == after("2024-03-01T10:30:00Z", "B")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T05:00:00-05:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00.1234567Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-01 10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (datetime(2024, 3, 1, 10), datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_reso_timestamps_are_parsed_to_aware_utc(value, expected):
    parsed = parse_reso_timestamp(value)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2024-13-01T00:00:00Z", 1709287200])
def test_unusable_timestamps_are_refused(value):
    with pytest.raises(ValueError, match="timestamp"):
        parse_reso_timestamp(value)


def test_the_field_mapping_renames_feed_fields(feed_server, make_config, make_provider):
    feed_server.script(
        "/odata/Property",
        Reply(json={"value": [{"LKey": "A", "ModTime": T1, "Price": 500000, "City": "Boston"}]}),
    )
    config = make_config(
        field_mapping={
            "LKey": "ListingKey",
            "ModTime": "ModificationTimestamp",
            "Price": "ListPrice",
        }
    )

    pages = read_all(make_provider(config), since=parse_reso_timestamp(T1) - timedelta(days=1))

    assert pages[0].records == [
        {"ListingKey": "A", "ModificationTimestamp": T1, "ListPrice": 500000, "City": "Boston"}
    ]
    request = property_requests(feed_server)[0]
    assert request.query["$orderby"] == "ModTime asc,LKey asc"
    assert request.query["$filter"] == "ModTime gt 2024-02-29T10:00:00Z"


def test_a_malformed_record_is_reported_and_the_page_goes_on(
    feed_server, make_config, make_provider
):
    feed_server.script(
        "/odata/Property",
        Reply(
            json={
                "value": [
                    record("A", T1),
                    {"ModificationTimestamp": T1},
                    record("B", "last tuesday"),
                    "not a record",
                    record("C", T2),
                ]
            }
        ),
    )

    (page,) = read_all(make_provider(make_config(page_size=10)))

    assert keys_of([page]) == ["A", "C"]
    assert [key for key, _ in page.errors] == ["", "B", ""]
    assert "no ListingKey" in page.errors[0][1]
    assert "ModificationTimestamp" in page.errors[1][1]
    assert page.cursor.listing_key == "C"


def test_a_429_waits_as_long_as_the_server_asks(feed_server, make_config, make_provider, sleeps):
    feed_server.script(
        "/odata/Property",
        Reply(status=429, headers={"Retry-After": "2"}),
        Reply(json={"value": [record("A", T1)]}),
    )

    pages = read_all(make_provider(make_config()))

    assert keys_of(pages) == ["A"]
    assert sleeps == [2.0]


def test_server_errors_are_retried(feed_server, make_config, make_provider, sleeps):
    feed_server.script(
        "/odata/Property",
        Reply(status=500),
        Reply(status=503),
        Reply(json={"value": [record("A", T1)]}),
    )

    pages = read_all(make_provider(make_config()))

    assert keys_of(pages) == ["A"]
    assert len(sleeps) == 2
    assert len(property_requests(feed_server)) == 3


def test_a_feed_failing_every_time_stops_the_run_after_the_attempts(
    feed_server, make_config, make_provider, sleeps
):
    feed_server.script("/odata/Property", Reply(status=500, body=b"upstream unavailable"))
    provider = make_provider(make_config(), retry=RetryPolicy(attempts=3))

    with pytest.raises(FeedError, match="500 .* after 3 attempts.*upstream unavailable"):
        read_all(provider)

    assert len(property_requests(feed_server)) == 3
    assert len(sleeps) == 2


def test_the_configured_request_rate_spaces_the_requests(feed_server, make_config, make_provider):
    feed_server.script("/odata/Property", ODataFeed([record(f"K{n}", T1) for n in range(5)]))
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock.monotonic, sleep=clock.sleep)

    read_all(make_provider(make_config(), rate_limiter=limiter))

    assert clock.sleeps == [0.5, 0.5]
    default = make_provider(make_config(max_requests_per_second=Decimal("4")), rate_limiter=None)
    assert default.session.rate_limiter.interval == 0.25


def oauth2_config(make_config, feed_server, **options):
    credentials = {
        "auth_kind": AuthKind.OAUTH2,
        "token_url": feed_server.url("/token"),
        "client_id": "crm",
        "client_secret": "s3cret",
        "scope": "api",
    }
    return make_config(**{**credentials, **options})


def test_an_oauth2_token_is_fetched_once_and_reused(feed_server, make_config, make_provider):
    feed_server.script("/token", Reply(json={"access_token": "tok-1", "expires_in": 3600}))
    feed_server.script("/odata/Property", ODataFeed([record(f"K{n}", T1) for n in range(3)]))
    config = oauth2_config(make_config, feed_server)

    read_all(make_provider(config))
    read_all(make_provider(config))

    (token_request,) = feed_server.requests_to("/token")
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.form == {
        "grant_type": "client_credentials",
        "client_id": "crm",
        "client_secret": "s3cret",
        "scope": "api",
    }
    authorizations = {
        request.headers["Authorization"] for request in property_requests(feed_server)
    }
    assert authorizations == {"Bearer tok-1"}
    assert len(property_requests(feed_server)) == 4


def test_an_oauth2_token_refused_by_the_feed_is_renewed_once(
    feed_server, make_config, make_provider
):
    feed_server.script(
        "/token",
        Reply(json={"access_token": "tok-1", "expires_in": 3600}),
        Reply(json={"access_token": "tok-2", "expires_in": 3600}),
    )

    def feed(request):
        if (
            request.headers.get("Authorization") != "Bearer tok-2"
            and len(property_requests(feed_server)) > 1
        ):
            return Reply(status=401, json={"error": "token revoked"})
        return ODataFeed([record(f"K{n}", T1) for n in range(3)])(request)

    feed_server.script("/odata/Property", feed)

    pages = read_all(make_provider(oauth2_config(make_config, feed_server)))

    assert keys_of(pages) == ["K0", "K1", "K2"]
    assert len(feed_server.requests_to("/token")) == 2
    assert [request.headers["Authorization"] for request in property_requests(feed_server)] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_an_oauth2_token_refused_twice_stops_the_run(feed_server, make_config, make_provider):
    feed_server.script("/token", Reply(json={"access_token": "tok", "expires_in": 3600}))
    feed_server.script("/odata/Property", Reply(status=401))

    with pytest.raises(FeedError, match="refused a freshly issued OAuth2 token"):
        read_all(make_provider(oauth2_config(make_config, feed_server)))

    assert len(feed_server.requests_to("/token")) == 2


def test_refused_client_credentials_are_reported(feed_server, make_config, make_provider):
    feed_server.script(
        "/token",
        Reply(status=401, json={"error": "invalid_client", "error_description": "unknown client"}),
    )

    with pytest.raises(FeedError, match="refused the client credentials.*unknown client"):
        read_all(make_provider(oauth2_config(make_config, feed_server)))


def test_the_token_cache_is_keyed_on_the_provider_and_its_credentials(make_config, feed_server):
    unsaved = oauth2_config(make_config, feed_server)
    saved = oauth2_config(make_config, feed_server)
    saved.pk = 7
    changed = oauth2_config(make_config, feed_server, scope="other")

    keys = {ResoWebApiProvider(config).token_cache_key() for config in (unsaved, saved, changed)}

    assert len(keys) == 3
    assert ":7:" in ResoWebApiProvider(saved).token_cache_key()
    assert "s3cret" not in "".join(keys)


def test_a_bearer_token_is_sent(feed_server, make_config, make_provider):
    feed_server.script("/odata/Property", ODataFeed([record("A", T1)]))
    config = make_config(auth_kind=AuthKind.BEARER, bearer_token="abc123")

    read_all(make_provider(config))

    assert property_requests(feed_server)[0].headers["Authorization"] == "Bearer abc123"


def test_a_refused_bearer_token_is_reported(feed_server, make_config, make_provider):
    feed_server.script("/odata/Property", Reply(status=401))
    config = make_config(auth_kind=AuthKind.BEARER, bearer_token="old")

    with pytest.raises(FeedError, match="refused the bearer token"):
        read_all(make_provider(config))


def test_a_gzip_feed_page_is_decoded(feed_server, make_config, make_provider):
    records = [record(f"K{n:03}", T1, PublicRemarks="Sunny " * 50) for n in range(100)]
    feed_server.script("/odata/Property", Reply(json={"value": records}, gzip=True))

    (page,) = read_all(make_provider(make_config(page_size=1000)))

    assert page.records == records


def test_an_answer_that_is_not_json_stops_the_run(feed_server, make_config, make_provider):
    feed_server.script(
        "/odata/Property", Reply(body=b"<html>login</html>", headers={"Content-Type": "text/html"})
    )

    with pytest.raises(FeedError, match="not JSON .*text/html"):
        read_all(make_provider(make_config()))


def test_a_feed_on_a_private_address_is_refused_unless_allowed(
    feed_server, make_config, make_provider
):
    feed_server.script("/odata/Property", ODataFeed([record("A", T1)]))

    with pytest.raises(FeedError, match=r"127\.0\.0\.1 is a loopback address"):
        read_all(make_provider(make_config(allow_private_network=False)))
    assert feed_server.received == []


def test_an_optional_select_names_the_reso_fields(feed_server, make_config, make_provider):
    feed_server.script("/odata/Property", ODataFeed([record("A", T1)]))

    read_all(make_provider(make_config(), select=True))

    selected = property_requests(feed_server)[0].query["$select"].split(",")
    assert {"ListingKey", "ModificationTimestamp", "ListPrice", "City"} <= set(selected)
    assert len(selected) == len(set(selected))


def test_listing_keys_are_read_in_feed_order_page_by_page(feed_server, make_config, make_provider):
    records = [record(key, T1) for key in ["A", "B", "C", "D", "E"]]

    def keys_only(request):
        assert request.query["$select"] == "ListingKey,ModificationTimestamp"
        assert request.query["$orderby"] == "ModificationTimestamp asc,ListingKey asc"
        assert "$expand" not in request.query
        after_key = re.search(r"ListingKey gt '(.*)'", request.query.get("$filter", ""))
        rest = [item for item in records if not after_key or item["ListingKey"] > after_key[1]]
        top = int(request.query["$top"])
        return Reply(
            json={
                "value": [
                    {"ListingKey": item["ListingKey"], "ModificationTimestamp": T1}
                    for item in rest[:top]
                ]
            }
        )

    feed_server.script("/odata/Property", keys_only)

    keys = list(make_provider(make_config(page_size=2)).listing_keys())

    assert keys == ["A", "B", "C", "D", "E"]
    filters = [request.query.get("$filter") for request in property_requests(feed_server)]
    assert filters[0] is None
    assert filters[1].endswith("ListingKey gt 'B')")


def test_listing_keys_follow_the_servers_next_link(feed_server, make_config, make_provider):
    feed_server.script(
        "/odata/Property",
        Reply(
            json={
                "value": [
                    {"ListingKey": "A", "ModificationTimestamp": T1},
                    {"ListingKey": "B", "ModificationTimestamp": T1},
                ],
                "@odata.nextLink": "Property?$skiptoken=2",
            }
        ),
        Reply(json={"value": [{"ListingKey": "C", "ModificationTimestamp": T1}]}),
    )

    keys = list(make_provider(make_config()).listing_keys())

    assert keys == ["A", "B", "C"]
    assert property_requests(feed_server)[1].query == {"$skiptoken": "2"}


def test_a_reso_web_api_config_gets_the_reso_provider(make_config):
    provider = provider_for(make_config())

    assert isinstance(provider, ResoWebApiProvider)
    provider.close()


def test_unknown_feed_kinds_are_refused_with_a_clear_message(make_config):
    with pytest.raises(FeedError, match="not supported"):
        provider_for(make_config(kind="ftp"))


def test_a_virtual_tour_that_is_not_a_web_link_is_not_kept():
    from mls.normalize import _converter

    convert = _converter("virtual_tour_url_unbranded")
    assert convert("https://tours.example.com/12") == "https://tours.example.com/12"
    assert convert("javascript:alert(document.cookie)") == ""
    assert convert(" data:text/html,<script>x</script>") == ""
