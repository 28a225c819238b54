"""The RETS provider against the demo RETS server (over real HTTP, pytest-django's live server)
and against scripted RETS servers for what the demo does not do (no order, errors)."""

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mls.choices import AuthKind, ProviderKind, RunKind, RunState
from mls.demo.feed import demo_feed_for
from mls.demo.rets import RETS_FIELD_MAPPING, RETS_PASSWORD, RETS_USERNAME
from mls.http import NO_RETRIES
from mls.models import MLSProvider, SyncError, SyncRun
from mls.providers import Cursor, FeedError, provider_for
from mls.providers.rets import RetsProvider
from mls.services import provider_save, provider_sync
from properties.choices import StandardStatus
from properties.models import Property
from tests.mls.conftest import Reply

T1 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FEED = "rets-test"
SIZE = 48

pytestmark = pytest.mark.usefixtures("queued_tasks")


class Waits(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def feed_settings(settings):
    settings.MLS_DEMO_NOW = T1
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 11, "size": SIZE}}
    return settings


def configure_feed(settings, **options):
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 11, "size": SIZE, **options}}


def login_url(live_server):
    return f"{live_server.url}/mls/demo/{FEED}/rets/login"


@pytest.fixture
def rets_config(live_server, feed_settings):
    """An unsaved RETS provider configuration of the demo RETS server."""

    def make(**options):
        fields = {
            "name": "Demo RETS",
            "kind": ProviderKind.RETS,
            "endpoint": login_url(live_server),
            "auth_kind": AuthKind.LOGIN,
            "username": RETS_USERNAME,
            "password": RETS_PASSWORD,
            "field_mapping": RETS_FIELD_MAPPING,
            "page_size": 5,
            "allow_private_network": True,
            **options,
        }
        return MLSProvider(**fields)

    return make


@pytest.fixture
def open_feeds():
    feeds = []
    yield feeds
    for feed in feeds:
        feed.close()


@pytest.fixture
def make_feed(open_feeds):
    def make(config, **options):
        options.setdefault("sleep", Waits())
        feed = RetsProvider(config, **options)
        open_feeds.append(feed)
        return feed

    return make


@pytest.fixture
def provider(live_server, personas, feed_settings):
    return provider_save(
        provider=MLSProvider(
            brokerage=personas.brokerage,
            name="Demo RETS",
            kind=ProviderKind.RETS,
            endpoint=login_url(live_server),
            auth_kind=AuthKind.LOGIN,
            username=RETS_USERNAME,
            password=RETS_PASSWORD,
            field_mapping=RETS_FIELD_MAPPING,
            page_size=7,
            allow_private_network=True,
        )
    )


def sync(provider, kind=RunKind.FULL, **kwargs):
    return provider_sync(
        provider=provider, kind=kind, feed=RetsProvider(provider, sleep=Waits()), **kwargs
    )


def feed_records(now=T1):
    return list(demo_feed_for(FEED).current_records(now))


def feed_keys(now=T1):
    """The listings the feed offers at ``now`` (a record reported as deleted is not offered)."""
    return {r["ListingKey"] for r in feed_records(now) if r["StandardStatus"] != "Delete"}


def live_keys(provider):
    return set(
        Property.objects.filter(mls_provider=provider, feed_removed_at__isnull=True).values_list(
            "listing_key", flat=True
        )
    )


def read_all(feed, **position):
    position.setdefault("since", None)
    position.setdefault("cursor", None)
    return list(feed.pages(**position))


def keys_of(pages):
    return [record["ListingKey"] for page in pages for record in page.records]


def path_of(url):
    return urlsplit(url).path


def stamp_of(record):
    return datetime.fromisoformat(record["ModificationTimestamp"]).replace(tzinfo=UTC)


# --- Reading the demo RETS server -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pages_read_every_record_once_in_feed_order_with_reso_names(rets_config, make_feed):
    pages = read_all(make_feed(rets_config()))

    expected = [record["ListingKey"] for record in feed_records()]
    assert keys_of(pages) == expected
    assert pages[0].total == len(expected)
    assert [page.has_more for page in pages] == [True] * (len(pages) - 1) + [False]
    record = pages[0].records[0]
    # System names came back as RESO names through the field mapping.
    assert {"ListingKey", "ModificationTimestamp", "StandardStatus", "ListPrice", "City"} <= set(
        record
    )
    assert not any(name.startswith("L_") for name in record)
    last = [record for page in pages for record in page.records][-1]
    assert pages[-1].cursor == Cursor(timestamp=stamp_of(last), listing_key=last["ListingKey"])


def groups_larger_than(records, size):
    """The timestamps that more than ``size`` records share."""
    counts = {}
    for record in records:
        counts[stamp_of(record)] = counts.get(stamp_of(record), 0) + 1
    return [stamp for stamp, count in counts.items() if count > size]


@pytest.fixture
def batch_entered(feed_settings):
    """Now is just after the latest batch of listings was entered: they share one minute."""
    feed = demo_feed_for(FEED)
    created = [feed.history(feed.listing_key(index)).created for index in range(SIZE)]
    feed_settings.MLS_DEMO_NOW = max(moment for moment in created if moment <= T1) + timedelta(
        minutes=1
    )
    return feed_settings.MLS_DEMO_NOW


@pytest.mark.django_db(transaction=True)
def test_records_sharing_a_timestamp_beyond_a_page_are_neither_skipped_nor_repeated(
    batch_entered, rets_config, make_feed
):
    records = feed_records(batch_entered)
    assert groups_larger_than(records, 3)

    pages = read_all(make_feed(rets_config(page_size=3)))

    assert keys_of(pages) == [record["ListingKey"] for record in records]
    for page, following in zip(pages, pages[1:], strict=False):
        if page.records and following.records:
            assert (stamp_of(page.records[-1]), page.records[-1]["ListingKey"]) < (
                stamp_of(following.records[0]),
                following.records[0]["ListingKey"],
            )


@pytest.mark.django_db(transaction=True)
def test_a_read_resumed_from_a_cursor_inside_a_group_continues_after_it(
    batch_entered, rets_config, make_feed
):
    records = feed_records(batch_entered)
    shared = groups_larger_than(records, 3)[0]
    group = [record["ListingKey"] for record in records if stamp_of(record) == shared]
    cursor = Cursor.from_dict(Cursor(timestamp=shared, listing_key=group[1]).as_dict())

    pages = read_all(make_feed(rets_config(page_size=3)), cursor=cursor)

    expected = [
        record["ListingKey"]
        for record in records
        if (stamp_of(record), record["ListingKey"]) > (shared, group[1])
    ]
    assert keys_of(pages) == expected
    assert keys_of(pages)[: len(group) - 2] == group[2:]


@pytest.mark.django_db(transaction=True)
def test_since_reads_only_records_modified_after_it(rets_config, make_feed):
    records = feed_records()
    since = stamp_of(records[len(records) // 2])

    pages = read_all(make_feed(rets_config()), since=since)

    assert keys_of(pages) == [r["ListingKey"] for r in records if stamp_of(r) > since]


@pytest.mark.django_db(transaction=True)
def test_records_carry_their_photos_from_get_object_locations(live_server, rets_config, make_feed):
    pages = read_all(make_feed(rets_config()))

    served = {record["ListingKey"]: record["Media"] for record in feed_records()}
    for record in (record for page in pages for record in page.records):
        media = record["Media"]
        assert [item["MediaURL"] for item in media] == [
            f"{live_server.url}{path_of(item['MediaURL'])}" for item in served[record["ListingKey"]]
        ]
        assert [item["Order"] for item in media] == list(range(1, len(media) + 1))
        assert all(item["MediaModificationTimestamp"] for item in media)


@pytest.mark.django_db(transaction=True)
def test_listing_keys_select_only_keys_and_read_every_key(rets_config, make_feed):
    keys = list(make_feed(rets_config()).listing_keys())

    assert keys == [record["ListingKey"] for record in feed_records()]


# --- Syncing through the sync engine ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_full_sync_creates_every_listing_of_the_feed(provider):
    run = sync(provider)

    assert run.state == RunState.SUCCEEDED, run.message
    assert live_keys(provider) == feed_keys()
    assert run.created == len(feed_keys())
    assert run.fetched == len(feed_records())
    assert run.failed == 0
    listing = Property.objects.filter(mls_provider=provider, photos_count__gt=0).first()
    served = next(r for r in feed_records() if r["ListingKey"] == listing.listing_key)
    assert listing.city == served["City"]
    assert int(listing.list_price) == served["ListPrice"]
    assert [path_of(photo.media_url) for photo in listing.media.order_by("position")] == [
        path_of(item["MediaURL"]) for item in served["Media"]
    ]
    provider.refresh_from_db()
    assert provider.high_water_mark == run.newest_timestamp


@pytest.mark.django_db(transaction=True)
def test_decoded_lookup_values_become_reso_standard_status(provider, feed_settings):
    feed = demo_feed_for(FEED)
    moment = min(
        at
        for index in range(SIZE)
        for at, kind, value in feed.history(feed.listing_key(index)).events
        if kind == "status" and value == StandardStatus.ACTIVE_UNDER_CONTRACT
    )
    feed_settings.MLS_DEMO_NOW = moment
    client = Client(
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{RETS_USERNAME}:{RETS_PASSWORD}".encode()).decode()
    )
    answer = client.post(
        f"/mls/demo/{FEED}/rets/search",
        {
            "SearchType": "Property",
            "Class": "Property",
            "Query": "(L_ModTS=1970-01-01T00:00:00+)",
            "Format": "COMPACT-DECODED",
            "Select": "L_ListingKey,L_Status",
        },
    )
    assert "\tActive Under Contract\t" in answer.content.decode()

    run = sync(provider)

    assert run.state == RunState.SUCCEEDED, run.message
    statuses = set(
        Property.objects.filter(mls_provider=provider).values_list("standard_status", flat=True)
    )
    assert StandardStatus.ACTIVE_UNDER_CONTRACT in statuses
    assert statuses <= set(StandardStatus.values)


@pytest.mark.django_db(transaction=True)
def test_an_incremental_sync_reads_only_what_changed_after_the_high_water_mark(
    provider, feed_settings
):
    sync(provider)
    provider.refresh_from_db()
    high_water_mark = provider.high_water_mark
    later = T1 + timedelta(days=60)
    feed_settings.MLS_DEMO_NOW = later

    run = sync(provider, kind=RunKind.INCREMENTAL)

    assert run.state == RunState.SUCCEEDED, run.message
    assert run.since == high_water_mark - timedelta(minutes=5)
    changed = [r for r in feed_records(later) if stamp_of(r) > run.since]
    assert 0 < run.fetched == len(changed) < len(feed_records(later))
    assert live_keys(provider) == feed_keys(later)


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_between_pages_resumes_from_its_cursor(provider):
    pages = []

    class Killed(Exception):
        pass

    def die_after_two_pages(run):
        pages.append(run.fetched)
        if len(pages) == 2:
            raise Killed

    with pytest.raises(Killed):
        sync(provider, progress=die_after_two_pages)
    killed = SyncRun.objects.get(provider=provider)
    assert killed.state == RunState.RUNNING and killed.cursor["listing_key"]

    resumed = sync(provider)

    assert resumed.pk == killed.pk
    assert resumed.state == RunState.SUCCEEDED, resumed.message
    assert resumed.fetched == len(feed_records())  # nothing read twice
    assert live_keys(provider) == feed_keys()


@pytest.mark.django_db(transaction=True)
def test_wrong_credentials_fail_the_run_with_a_clear_message(provider):
    provider.password = "wrong"
    provider_save(provider=provider)

    run = sync(provider)

    assert run.state == RunState.FAILED
    assert "refused the username and password" in run.message
    assert provider.endpoint in run.message
    assert not Property.objects.filter(mls_provider=provider).exists()


@pytest.mark.django_db(transaction=True)
def test_a_malformed_record_is_logged_and_the_run_goes_on(provider, settings):
    configure_feed(settings, malformed=[3])

    run = sync(provider)

    assert run.state == RunState.SUCCEEDED, run.message
    assert run.failed == 1
    error = SyncError.objects.get(run=run)
    assert error.listing_key == demo_feed_for(FEED).listing_key(3)
    assert "City" in error.reason
    assert live_keys(provider) == feed_keys() - {error.listing_key}


@pytest.mark.django_db(transaction=True)
def test_a_reconcile_takes_listings_that_left_the_feed_off_market(provider):
    sync(provider)
    orphan = Property.objects.filter(mls_provider=provider).first()
    Property.objects.filter(pk=orphan.pk).update(listing_key="NOT-IN-FEED")

    run = sync(provider, kind=RunKind.RECONCILE)

    assert run.state == RunState.SUCCEEDED, run.message
    assert run.fetched == len(feed_records())
    assert run.off_market == 1
    orphan.refresh_from_db()
    assert orphan.feed_removed_at is not None


@pytest.mark.django_db(transaction=True)
def test_server_errors_are_retried_then_stop_the_run_which_resumes_later(provider, settings):
    configure_feed(settings, fail_after=2, fail_times=50)
    failed = provider_sync(
        provider=provider,
        kind=RunKind.FULL,
        feed=RetsProvider(provider, sleep=Waits(), retry=NO_RETRIES),
    )
    assert failed.state == RunState.FAILED
    assert "500" in failed.message
    assert failed.cursor

    configure_feed(settings)
    resumed = sync(provider)

    assert resumed.pk == failed.pk
    assert resumed.state == RunState.SUCCEEDED, resumed.message
    assert live_keys(provider) == feed_keys()


# --- The provider against scripted RETS servers -----------------------------------------------


def compact(rows, *, columns=("L_ListingKey", "L_ModTS", "L_Status"), count=None):
    """A COMPACT-DECODED answer holding ``rows`` (tuples), with a COUNT when given."""
    if not rows and count in (None, 0):
        return '<RETS ReplyCode="20201" ReplyText="No Records Found"/>'
    data = "".join("<DATA>\t" + "\t".join(row) + "\t</DATA>" for row in rows)
    counted = f'<COUNT Records="{count}"/>' if count is not None else ""
    return (
        f'<RETS ReplyCode="0" ReplyText="Operation Successful">{counted}'
        f'<DELIMITER value="09"/><COLUMNS>\t{chr(9).join(columns)}\t</COLUMNS>{data}</RETS>'
    )


LOGIN_BODY = (
    '<RETS ReplyCode="0" ReplyText="Operation Successful">\r\n<RETS-RESPONSE>\r\n'
    "Search=/rets/search\r\nLogout=/rets/logout\r\n</RETS-RESPONSE>\r\n</RETS>\r\n"
)


def xml_reply(body, status=200):
    return Reply(status=status, body=body.encode(), headers={"Content-Type": "text/xml"})


class UnorderedRetsServer:
    """Answers DMQL timestamp queries from ``records`` in key order, never in time order."""

    def __init__(self, records):
        self.records = sorted(records)  # (key, timestamp) pairs: key order
        self.queries = []

    def __call__(self, request):
        form = request.form
        self.queries.append(form["Query"])
        found = re.fullmatch(r"\(L_ModTS=([\dT:-]{19})(?:\+|-([\dT:-]{19}))\)", form["Query"])
        low, high = found[1], found[2] or "9999-12-31T23:59:59"
        matching = [row for row in self.records if low <= row[1] <= high]
        limit = int(form["Limit"])
        rows = [(key, stamp, "Active") for key, stamp in matching[:limit]]
        return xml_reply(compact(rows, count=len(matching)))


@pytest.fixture
def scripted_config(feed_server, make_config):
    def make(**options):
        feed_server.script("/rets/login", xml_reply(LOGIN_BODY))
        feed_server.script("/rets/logout", xml_reply('<RETS ReplyCode="0" ReplyText="Bye"/>'))
        return make_config(
            kind=ProviderKind.RETS,
            endpoint=feed_server.url("/rets/login"),
            auth_kind=AuthKind.LOGIN,
            username="user",
            password="secret",
            field_mapping=RETS_FIELD_MAPPING,
            **options,
        )

    return make


def test_a_server_answering_in_no_time_order_is_read_in_whole_windows(
    feed_server, scripted_config, make_feed
):
    stamps = [f"2024-03-01T10:{minute:02d}:00" for minute in (5, 1, 9, 1, 3, 7, 2, 8, 1, 6, 4, 2)]
    records = [(f"K{number:02d}", stamp) for number, stamp in enumerate(stamps)]
    server = UnorderedRetsServer(records)
    feed_server.script("/rets/search", server)

    pages = read_all(make_feed(scripted_config(page_size=4)))

    expected = [key for key, stamp in sorted(records, key=lambda row: (row[1], row[0]))]
    assert keys_of(pages) == expected
    assert all(len(page.records) <= 4 + 3 for page in pages)
    assert any("-2024" in query for query in server.queries)  # it narrowed to windows


def test_a_rets_reply_code_error_is_a_feed_error_with_the_code(
    feed_server, scripted_config, make_feed
):
    feed_server.script(
        "/rets/search",
        xml_reply('<RETS ReplyCode="20206" ReplyText="Invalid Query Syntax"/>'),
    )

    with pytest.raises(FeedError, match="ReplyCode 20206: Invalid Query Syntax"):
        read_all(make_feed(scripted_config()))


def test_a_refused_login_reply_is_a_feed_error(feed_server, scripted_config, make_feed):
    config = scripted_config()
    feed_server.script(
        "/rets/login",
        xml_reply('<RETS ReplyCode="20037" ReplyText="Client authentication failed"/>'),
    )

    with pytest.raises(FeedError, match="refused the login.*20037"):
        read_all(make_feed(config))


def test_an_http_error_of_the_search_is_a_feed_error(feed_server, scripted_config, make_feed):
    feed_server.script("/rets/search", Reply(status=503, body=b"down for maintenance"))

    with pytest.raises(FeedError, match="503"):
        read_all(make_feed(scripted_config(), retry=NO_RETRIES))


def test_a_lapsed_session_logs_in_again(feed_server, scripted_config, make_feed):
    feed_server.script(
        "/rets/search",
        Reply(status=401, body=b"session expired"),
        xml_reply(compact([("K1", "2024-03-01T10:00:00", "Active")], count=1)),
    )

    pages = read_all(make_feed(scripted_config()))

    assert keys_of(pages) == ["K1"]
    assert len(feed_server.requests_to("/rets/login")) == 2


def test_records_without_key_or_timestamp_are_reported_and_the_rest_kept(
    feed_server, scripted_config, make_feed
):
    rows = [("K1", "2024-03-01T10:00:00", "Active"), ("", "2024-03-01T10:00:00", "Active")]
    rows.append(("K3", "yesterday", "Active"))
    feed_server.script("/rets/search", xml_reply(compact(rows, count=3)))

    pages = read_all(make_feed(scripted_config()))

    assert keys_of(pages) == ["K1"]
    reasons = [reason for page in pages for _, reason in page.errors]
    assert len(reasons) == 2
    assert any("no ListingKey (L_ListingKey)" in reason for reason in reasons)


def test_a_feed_without_credentials_is_refused_before_any_request(feed_server, make_config):
    config = make_config(kind=ProviderKind.RETS, endpoint=feed_server.url("/rets/login"))

    with pytest.raises(FeedError, match="needs a username and a password.*username and password"):
        read_all(RetsProvider(config))
    assert feed_server.received == []


@pytest.mark.parametrize(
    ("login", "missing"),
    [({"username": "user"}, "login password"), ({"password": "secret"}, "login username")],
)
def test_a_feed_missing_its_username_or_password_says_which(
    feed_server, make_config, login, missing
):
    config = make_config(kind=ProviderKind.RETS, endpoint=feed_server.url("/rets/login"), **login)

    with pytest.raises(FeedError, match=f"set the provider's RETS {missing}$"):
        read_all(RetsProvider(config))
    assert feed_server.received == []


def test_the_oauth2_client_id_and_secret_are_not_a_rets_login(feed_server, make_config):
    config = make_config(
        kind=ProviderKind.RETS,
        endpoint=feed_server.url("/rets/login"),
        client_id="user",
        client_secret="secret",
    )

    with pytest.raises(FeedError, match="needs a username and a password"):
        read_all(RetsProvider(config))
    assert feed_server.received == []


def test_the_search_uses_the_providers_search_class(feed_server, scripted_config, make_feed):
    searched = []

    def search(request):
        searched.append((request.form["SearchType"], request.form["Class"]))
        return xml_reply(compact([("K1", "2024-03-01T10:00:00", "Active")], count=1))

    feed_server.script("/rets/search", search)

    pages = read_all(make_feed(scripted_config(search_class="RE_1")))

    assert keys_of(pages) == ["K1"]
    assert searched and set(searched) == {("Property", "RE_1")}


def test_a_search_class_the_server_does_not_have_is_a_feed_error_naming_it(rets_config, make_feed):
    with pytest.raises(FeedError, match="Property:Residential: ReplyCode 20203"):
        read_all(make_feed(rets_config(search_class="Residential")))


def test_provider_for_a_rets_config_is_the_rets_provider(make_config):
    feed = provider_for(make_config(kind=ProviderKind.RETS))

    assert isinstance(feed, RetsProvider)
    feed.close()


# --- The configuration ------------------------------------------------------------------------


def rets_provider(brokerage, **fields):
    values = {
        "brokerage": brokerage,
        "name": "Legacy MLS",
        "kind": ProviderKind.RETS,
        "endpoint": "https://rets.example/login",
        "auth_kind": AuthKind.LOGIN,
        "username": "user",
        "password": "secret",
        **fields,
    }
    return MLSProvider(**values)


def errors_saving(provider):
    with pytest.raises(ValidationError) as raised:
        provider_save(provider=provider)
    return raised.value.message_dict


@pytest.mark.django_db
def test_a_rets_provider_is_saved_with_its_login_and_search_class(personas):
    provider = provider_save(provider=rets_provider(personas.brokerage, search_class="RE_1"))

    provider.refresh_from_db()
    assert (provider.username, provider.password, provider.search_class) == (
        "user",
        "secret",
        "RE_1",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["username", "password"])
def test_a_rets_provider_without_username_or_password_is_a_field_error(personas, missing):
    errors = errors_saving(rets_provider(personas.brokerage, **{missing: ""}))

    assert set(errors) == {missing}
    assert "RETS feed needs" in errors[missing][0]
    assert not MLSProvider.objects.exists()


@pytest.mark.django_db
def test_a_rets_provider_logs_in_with_username_and_password_auth(personas):
    errors = errors_saving(rets_provider(personas.brokerage, auth_kind=AuthKind.OAUTH2))

    assert set(errors) == {"auth_kind"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [ProviderKind.RESO_WEB_API, ProviderKind.CSV])
def test_a_username_or_password_is_only_for_a_rets_provider(personas, kind):
    errors = errors_saving(rets_provider(personas.brokerage, kind=kind))

    assert set(errors) == {"auth_kind", "username", "password"}
    assert "Only a RETS feed" in errors["username"][0]
    errors = errors_saving(
        rets_provider(personas.brokerage, kind=kind, auth_kind=AuthKind.NONE, password="")
    )
    assert set(errors) == {"username"}


# --- The demo RETS server ---------------------------------------------------------------------


@pytest.fixture
def rets_client(feed_settings):
    credentials = base64.b64encode(f"{RETS_USERNAME}:{RETS_PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {credentials}")


def demo_search(client, **params):
    form = {
        "SearchType": "Property",
        "Class": "Property",
        "Format": "COMPACT-DECODED",
        "QueryType": "DMQL2",
        **params,
    }
    return client.post(f"/mls/demo/{FEED}/rets/search", form).content.decode()


def data_rows(answer):
    return [row.strip("\t").split("\t") for row in re.findall(r"<DATA>(.*?)</DATA>", answer)]


def test_the_demo_server_requires_the_demo_credentials(feed_settings):
    answer = Client().post(f"/mls/demo/{FEED}/rets/login")

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Basic")


def test_the_demo_server_searches_by_modification_time_with_limit_offset_and_select(rets_client):
    records = feed_records()
    middle = records[len(records) // 2]["ModificationTimestamp"].removesuffix("Z")
    later = [
        r["ListingKey"] for r in records if r["ModificationTimestamp"].removesuffix("Z") >= middle
    ]

    answer = demo_search(
        rets_client,
        Query=f"(L_ModTS={middle}+)",
        Select="L_ListingKey,L_ModTS",
        Limit="3",
        Offset="2",
        Count="1",
    )

    assert f'<COUNT Records="{len(later)}" />' in answer
    assert "<COLUMNS>\tL_ListingKey\tL_ModTS\t</COLUMNS>" in answer
    assert [row[0] for row in data_rows(answer)] == later[1:4]
    # A RETS DateTime has no zone.
    assert all(datetime.fromisoformat(row[1]).tzinfo is None for row in data_rows(answer))


def test_the_demo_server_counts_only_and_says_when_nothing_matches(rets_client):
    counted = demo_search(rets_client, Query="(L_ModTS=1970-01-01T00:00:00+)", Count="2")
    nothing = demo_search(rets_client, Query="(L_ModTS=2099-01-01T00:00:00+)")
    window = demo_search(
        rets_client, Query="(L_ModTS=1970-01-01T00:00:00-1970-01-02T00:00:00)", Count="1"
    )

    assert f'<COUNT Records="{len(feed_records())}" />' in counted
    assert "<DATA>" not in counted
    assert 'ReplyCode="20201"' in nothing
    assert 'ReplyCode="20201"' in window


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("(L_Nope=2026-01-01T00:00:00+)", "20200"),  # no such field
        ("(L_City=Concord)", "20206"),  # a field, but not one the demo searches on
        ("(L_ModTS=yesterday+)", "20206"),
        ("(L_ModTS=2026-01-01T00:00:00+)|(L_ModTS=2025-01-01T00:00:00-)", "20206"),
    ],
)
def test_the_demo_server_refuses_queries_it_does_not_understand(rets_client, query, code):
    answer = demo_search(rets_client, Query=query)

    assert f'ReplyCode="{code}"' in answer
