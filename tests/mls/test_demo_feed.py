"""The demo MLS: a generated RESO Web API feed that changes over time, served over HTTP."""

import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from PIL import Image

from mls.demo import feed as demo_feed_module
from mls.demo.feed import DemoFeed, demo_feed_for
from properties.reso import RESO_FIELDS, RESO_LIST_FIELDS

EARLY = datetime(2026, 3, 1, tzinfo=UTC)
LATE = datetime(2026, 5, 15, tzinfo=UTC)
PROPERTY = "/mls/demo/demo/odata/Property"
ODATA_JSON = "application/json; odata.metadata=minimal"


@pytest.fixture
def demo_settings(settings):
    settings.MLS_DEMO_NOW = EARLY
    settings.MLS_DEMO_FEEDS = {}
    return settings


def get_json(client, path, params=None, **headers):
    response = client.get(path, params or {}, headers=headers)
    assert response["Content-Type"] == ODATA_JSON
    return response.status_code, json.loads(response.content)


def walk(client, path, params):
    """Every record of a query, following @odata.nextLink."""
    records, url, pages = [], path, 0
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        records += body["value"]
        url, params, pages = body.get("@odata.nextLink"), None, pages + 1
    return records, pages


def stamp(value):
    return datetime.fromisoformat(value)


# --- The generated feed ---------------------------------------------------------------------


def test_same_seed_gives_the_same_records_and_another_seed_does_not():
    first = list(DemoFeed(seed=7, size=120, now=LATE).current_records())
    again = list(DemoFeed(seed=7, size=120, now=LATE).current_records())
    other = list(DemoFeed(seed=8, size=120, now=LATE).current_records())
    assert first == again
    assert [r["PublicRemarks"] for r in first] != [r["PublicRemarks"] for r in other]


def test_a_record_is_generated_on_its_own_without_the_rest_of_the_feed():
    feed = DemoFeed(seed=3, size=9_000_000, now=datetime(2030, 1, 1, tzinfo=UTC))
    tables_before = demo_feed_module._schedule_table.cache_info()
    record = feed.record("DEMO3-8999999")
    assert demo_feed_module._schedule_table.cache_info() == tables_before
    assert record is None or record["ListingKey"] == "DEMO3-8999999"
    assert feed.record("DEMO3-0000010")["ListingKey"] == "DEMO3-0000010"


def test_records_have_every_reso_field_with_realistic_values():
    records = list(DemoFeed(size=300, now=LATE).current_records())
    assert len(records) > 100
    for record in records:
        assert list(record) == [*RESO_FIELDS, "Media"]
        for name in RESO_LIST_FIELDS:
            assert all(isinstance(value, str) for value in record[name])
        assert isinstance(record["ListPrice"], int) and record["ListPrice"] > 0
        assert record["City"] and record["StateOrProvince"] in ("MA", "ME")
        assert len(record["Media"]) in range(1, 7)
        assert record["PhotosCount"] == len(record["Media"])
        assert [m["Order"] for m in record["Media"]] == list(range(1, len(record["Media"]) + 1))
        assert stamp(record["PhotosChangeTimestamp"]) <= stamp(record["ModificationTimestamp"])
    assert len({r["ListAgentMlsId"] for r in records}) <= 30
    assert len({r["ListOfficeMlsId"] for r in records}) <= 8
    assert {r["PropertyType"] for r in records} >= {"Residential", "Land"}


def test_the_feed_is_ordered_by_timestamp_then_key_and_some_timestamps_are_shared():
    records = list(DemoFeed(size=500, now=EARLY).current_records())
    order = [(stamp(r["ModificationTimestamp"]), r["ListingKey"]) for r in records]
    assert order == sorted(order)
    stamps = [r["ModificationTimestamp"] for r in records]
    assert len(set(stamps)) < len(stamps) - 20


def test_demo_feed_for_merges_the_configured_options_over_the_defaults(demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"small": {"size": 40, "seed": 9}, "demo": {"size": 60}}
    small = demo_feed_for("small")
    assert (small.size, small.seed, small.auth, small.next_link) == (40, 9, False, True)
    assert small.now == EARLY
    assert (demo_feed_for("demo").size, demo_feed_for("demo").seed) == (60, 42)
    assert demo_feed_for("missing") is None


# --- Query options ----------------------------------------------------------------------------


def test_service_document_and_metadata(client, demo_settings):
    status, body = get_json(client, "/mls/demo/demo/odata/")
    assert status == 200
    assert body["value"] == [{"name": "Property", "kind": "EntitySet", "url": "Property"}]
    response = client.get("/mls/demo/demo/odata/$metadata")
    assert response.status_code == 200
    assert b'<EntityType Name="Property">' in response.content
    assert b'<Property Name="ModificationTimestamp" Type="Edm.DateTimeOffset"' in response.content


def test_unknown_feed_is_not_found(client, demo_settings):
    status, body = get_json(client, "/mls/demo/nowhere/odata/Property")
    assert status == 404
    assert body["error"]["code"] == "NotFound"


def test_filter_on_modification_timestamp_gt_and_ge(client, demo_settings):
    feed = demo_feed_for("demo")
    records = list(feed.current_records())
    middle = records[len(records) // 2]["ModificationTimestamp"]
    expected_gt = [
        r["ListingKey"] for r in records if stamp(r["ModificationTimestamp"]) > stamp(middle)
    ]
    expected_ge = [
        r["ListingKey"] for r in records if stamp(r["ModificationTimestamp"]) >= stamp(middle)
    ]
    params = {"$top": "1000", "$orderby": "ModificationTimestamp asc,ListingKey asc"}
    _, body = get_json(
        client, PROPERTY, {**params, "$filter": f"ModificationTimestamp gt {middle}"}
    )
    assert [r["ListingKey"] for r in body["value"]] == expected_gt
    _, body = get_json(
        client, PROPERTY, {**params, "$filter": f"ModificationTimestamp ge {middle}"}
    )
    assert [r["ListingKey"] for r in body["value"]] == expected_ge
    assert len(expected_ge) > len(expected_gt)


def test_top_skip_select_expand_and_count(client, demo_settings):
    keys = demo_feed_for("demo").current_keys()
    status, body = get_json(
        client,
        PROPERTY,
        {"$top": "5", "$skip": "10", "$select": "ListPrice,City", "$count": "true"},
    )
    assert status == 200
    assert body["@odata.count"] == len(keys)
    assert [r["ListingKey"] for r in body["value"]] == keys[10:15]
    assert all(set(r) == {"ListingKey", "ListPrice", "City"} for r in body["value"])
    assert body["@odata.context"].endswith("$metadata#Property(ListingKey,ListPrice,City)")

    _, body = get_json(client, PROPERTY, {"$top": "2", "$expand": "Media"})
    media = body["value"][0]["Media"]
    assert media and set(media[0]) == {
        "MediaKey",
        "MediaURL",
        "Order",
        "ShortDescription",
        "MediaModificationTimestamp",
        "MediaCategory",
    }
    assert media[0]["MediaURL"].startswith("http://testserver/mls/demo/demo/photos/")
    _, body = get_json(client, PROPERTY, {"$top": "2"})
    assert "Media" not in body["value"][0] and "@odata.count" not in body


def test_next_links_walk_every_record_exactly_once_in_order(client, demo_settings):
    keys = demo_feed_for("demo").current_keys()
    records, pages = walk(client, PROPERTY, {"$top": "37", "$select": "ModificationTimestamp"})
    assert [r["ListingKey"] for r in records] == keys
    assert pages == -(-len(keys) // 37)


def test_without_top_the_server_pages_by_its_page_size(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"demo": {"page_size": 50}}
    _, body = get_json(client, PROPERTY)
    assert len(body["value"]) == 50 and "@odata.nextLink" in body


def test_a_feed_configured_without_next_links_gives_none(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"bare": {"next_link": False}}
    _, body = get_json(client, "/mls/demo/bare/odata/Property", {"$top": "10"})
    assert len(body["value"]) == 10
    assert "@odata.nextLink" not in body


def test_a_page_boundary_inside_equal_timestamps_resumes_with_the_key_filter(client, demo_settings):
    records = list(demo_feed_for("demo").current_records())
    stamps = [r["ModificationTimestamp"] for r in records]
    # The first page ends on the first record of a group that shares its timestamp.
    boundary = next(i for i, (a, b) in enumerate(pairwise(stamps)) if a == b)
    top = boundary + 1
    _, first = get_json(client, PROPERTY, {"$top": str(top)})
    last = first["value"][-1]
    assert last["ModificationTimestamp"] == records[top]["ModificationTimestamp"]
    timestamp, key = last["ModificationTimestamp"], last["ListingKey"]
    resume = (
        f"ModificationTimestamp gt {timestamp} or "
        f"(ModificationTimestamp eq {timestamp} and ListingKey gt '{key}')"
    )
    rest, _ = walk(client, PROPERTY, {"$filter": resume, "$top": "100"})
    assert [r["ListingKey"] for r in first["value"] + rest] == [r["ListingKey"] for r in records]
    # Only gt would lose the rest of the group; ge would repeat the page's last record.
    _, gt_only = get_json(
        client, PROPERTY, {"$filter": f"ModificationTimestamp gt {timestamp}", "$top": "1"}
    )
    assert gt_only["value"][0]["ListingKey"] != records[top]["ListingKey"]


@pytest.mark.parametrize(
    "template",
    [
        "(ModificationTimestamp eq {t} and ListingKey gt '{k}') or ModificationTimestamp gt {t}",
        "ModificationTimestamp GT {t} OR (ListingKey gt '{k}' AND ModificationTimestamp EQ {t})",
        "((ModificationTimestamp gt {t}) or ((ModificationTimestamp eq {t}) and "
        "(ListingKey gt '{k}')))",
    ],
)
def test_the_key_filter_is_read_in_any_order_and_case(client, demo_settings, template):
    records = list(demo_feed_for("demo").current_records())
    pivot = records[100]
    expected = [r["ListingKey"] for r in records[101:111]]
    raw = template.format(t=pivot["ModificationTimestamp"], k=pivot["ListingKey"])
    status, body = get_json(client, PROPERTY, {"$filter": raw, "$top": "10"})
    assert status == 200
    assert [r["ListingKey"] for r in body["value"]] == expected


def test_filter_timestamps_with_an_offset_or_fractions_or_an_unencoded_plus(client, demo_settings):
    records = list(demo_feed_for("demo").current_records())
    pivot = stamp(records[200]["ModificationTimestamp"])
    expected = [r["ListingKey"] for r in records[201:204]]
    local = pivot.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=2)
    for literal in (
        f"{local.isoformat()}+02:00",
        f"{pivot.replace(tzinfo=None).isoformat()}.000Z",
        pivot.replace(tzinfo=None).isoformat(),
    ):
        _, body = get_json(
            client, PROPERTY, {"$filter": f"ModificationTimestamp gt {literal}", "$top": "3"}
        )
        assert [r["ListingKey"] for r in body["value"]] == expected, literal
    # "+" unencoded in a query string reaches the server as a space.
    response = client.get(
        f"{PROPERTY}?$top=3&$filter=ModificationTimestamp%20gt%20{local.isoformat()}+02:00"
    )
    assert [r["ListingKey"] for r in response.json()["value"]] == expected


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"$filter": "City eq 'Concord'"}, "Unsupported $filter"),
        ({"$filter": "ModificationTimestamp gt yesterday"}, "Unsupported $filter"),
        ({"$filter": "ModificationTimestamp gt 2026-13-45T00:00:00Z"}, "Invalid timestamp"),
        ({"$filter": "ModificationTimestamp gt 2026-02-01T00:00:00Z and"}, "Unsupported"),
        ({"$filter": "ModificationTimestamp lt 2026-02-01T00:00:00Z"}, "Unsupported $filter"),
        ({"$orderby": "ListPrice desc"}, "$orderby"),
        ({"$orderby": "ModificationTimestamp desc"}, "$orderby"),
        ({"$top": "10001"}, "$top"),
        ({"$top": "-1"}, "$top"),
        ({"$skip": "ten"}, "$skip"),
        ({"$select": "ListPrice,Nonsense"}, "Nonsense"),
        ({"$expand": "Rooms"}, "$expand"),
        ({"$count": "maybe"}, "$count"),
        ({"$search": "pool"}, "$search"),
    ],
)
def test_unsupported_query_options_are_a_400_odata_error(client, demo_settings, params, fragment):
    status, body = get_json(client, PROPERTY, params)
    assert status == 400
    assert set(body["error"]) == {"code", "message"}
    assert fragment in body["error"]["message"]


def test_single_record_by_key(client, demo_settings):
    key = demo_feed_for("demo").current_keys()[3]
    status, body = get_json(
        client, f"/mls/demo/demo/odata/Property('{key}')", {"$select": "ListPrice"}
    )
    assert status == 200
    assert body["ListingKey"] == key and set(body) == {"@odata.context", "ListingKey", "ListPrice"}
    status, body = get_json(client, "/mls/demo/demo/odata/Property('DEMO42-9999999')")
    assert status == 404 and body["error"]["code"] == "NotFound"


# --- Changes over time --------------------------------------------------------------------


def _by_key(records):
    return {record["ListingKey"]: record for record in records}


def test_a_later_now_shows_new_listings_price_and_status_changes_and_deletions(
    client, demo_settings
):
    feed = demo_feed_for("demo")
    early = _by_key(feed.current_records(EARLY))
    late = _by_key(feed.current_records(LATE))
    assert set(late) - set(early), "new listings appear"
    both = set(early) & set(late)
    assert any(early[k]["ListPrice"] != late[k]["ListPrice"] for k in both)
    assert any(early[k]["StandardStatus"] != late[k]["StandardStatus"] for k in both)
    assert any(k not in late or late[k]["StandardStatus"] == "Delete" for k in early)
    assert any(early[k]["Media"] != late[k]["Media"] for k in both)
    for key in both:
        if early[key] != late[key]:
            assert stamp(late[key]["ModificationTimestamp"]) > EARLY
        else:
            assert early[key]["ModificationTimestamp"] == late[key]["ModificationTimestamp"]

    # The same over HTTP: what changed since EARLY is exactly what the later feed says.
    demo_settings.MLS_DEMO_NOW = LATE
    changed, _ = walk(
        client, PROPERTY, {"$filter": f"ModificationTimestamp gt {EARLY:%Y-%m-%dT%H:%M:%SZ}"}
    )
    expected = {k for k, r in late.items() if k not in early or r != early[k]}
    assert {r["ListingKey"] for r in changed} == expected


def test_a_price_change_shows_in_the_record_at_its_time(demo_settings):
    feed = demo_feed_for("demo")
    early = _by_key(feed.current_records(EARLY))
    late = _by_key(feed.current_records(LATE))
    key = next(k for k in early if k in late and early[k]["ListPrice"] != late[k]["ListPrice"])
    assert late[key]["OriginalListPrice"] == early[key]["OriginalListPrice"]
    assert late[key]["ListPrice"] < early[key]["OriginalListPrice"]


def _a_deletion(feed):
    """A listing deleted after EARLY, and when."""
    for key in feed.current_keys(EARLY):
        history = feed.history(key)
        deletions = [when for when, kind, _ in history.events if kind == "delete"]
        if history.gone and history.gone > EARLY and (deletions or feed.delete_style == "vanish"):
            return key, deletions[0] if deletions else history.gone
    raise AssertionError("the feed deletes nothing")


def test_deleted_records_report_delete_then_disappear(demo_settings):
    feed = demo_feed_for("demo")
    key, deleted_at = _a_deletion(feed)
    before = feed.record(key, now=deleted_at - timedelta(minutes=1))
    assert before["StandardStatus"] != "Delete"
    during = feed.record(key, now=deleted_at)
    assert during["StandardStatus"] == "Delete"
    assert stamp(during["ModificationTimestamp"]) == deleted_at
    assert key in feed.current_keys(deleted_at + timedelta(days=13))
    assert key not in feed.current_keys(deleted_at + timedelta(days=14))
    assert feed.record(key, now=deleted_at + timedelta(days=14)) is None


def test_deleted_records_vanish_at_once_with_the_vanish_style(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"demo": {"delete_style": "vanish"}}
    feed = demo_feed_for("demo")
    key, deleted_at = _a_deletion(feed)
    assert key in feed.current_keys(deleted_at - timedelta(minutes=1))
    assert key not in feed.current_keys(deleted_at)
    demo_settings.MLS_DEMO_NOW = deleted_at
    status, _ = get_json(client, f"/mls/demo/demo/odata/Property('{key}')")
    assert status == 404


# --- Feed styles and broken records -------------------------------------------------------


def test_display_enumerations_and_zone_less_timestamps(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"legacy": {"enum_style": "display", "timestamp_style": "naive"}}
    records, _ = walk(client, "/mls/demo/legacy/odata/Property", {"$top": "500"})
    statuses = {r["StandardStatus"] for r in records}
    assert "Active" in statuses
    sub_types = {r["PropertySubType"] for r in records}
    assert "Single Family Residence" in sub_types and "SingleFamilyResidence" not in sub_types
    assert all(stamp(r["ModificationTimestamp"]).tzinfo is None for r in records)
    # A zone-less timestamp read back in a filter is taken as UTC.
    pivot = records[50]["ModificationTimestamp"]
    _, body = get_json(
        client,
        "/mls/demo/legacy/odata/Property",
        {"$filter": f"ModificationTimestamp gt {pivot}", "$top": "1"},
    )
    assert stamp(body["value"][0]["ModificationTimestamp"]) > stamp(pivot)


def test_offset_timestamps_name_the_same_instant(demo_settings):
    utc = list(DemoFeed(now=EARLY).current_records())
    offset = list(DemoFeed(now=EARLY, timestamp_style="offset").current_records())
    assert offset[0]["ModificationTimestamp"].endswith("+02:00")
    assert [stamp(r["ModificationTimestamp"]) for r in utc] == [
        stamp(r["ModificationTimestamp"]) for r in offset
    ]


def test_malformed_records_are_served_broken(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"broken": {"malformed": [0, 1, 2]}}
    records, _ = walk(client, "/mls/demo/broken/odata/Property", {"$top": "500"})
    broken = [r for r in records if r["ListingKey"] in {"DEMO42-0000000", "DEMO42-0000001"}]
    assert len(broken) == 2
    assert all(r["ListPrice"] == "n/a" and "City" not in r for r in broken)
    assert sum(r["ListPrice"] == "n/a" for r in records) == len(broken) + (
        "DEMO42-0000002" in {r["ListingKey"] for r in records}
    )


# --- Faults, authentication ---------------------------------------------------------------


def test_rate_limit_answers_one_429_with_retry_after_then_serves(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"busy": {"rate_limit_after": 2}}
    path = "/mls/demo/busy/odata/Property"
    statuses = [client.get(path, {"$top": "1"}) for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 200, 200]
    assert statuses[2]["Retry-After"] == "1"
    assert statuses[2].json()["error"]["code"] == "TooManyRequests"


def test_server_errors_after_some_requests_then_serves(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"flaky": {"fail_after": 1, "fail_times": 2}}
    path = "/mls/demo/flaky/odata/Property"
    statuses = [client.get(path, {"$top": "1"}).status_code for _ in range(5)]
    assert statuses == [200, 500, 500, 200, 200]


def test_the_fault_counter_restarts_when_the_feed_options_change(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"busy": {"rate_limit_after": 1}}
    path = "/mls/demo/busy/odata/Property"
    assert [client.get(path).status_code for _ in range(2)] == [200, 429]
    demo_settings.MLS_DEMO_FEEDS = {"busy": {"rate_limit_after": 1, "size": 50}}
    assert [client.get(path).status_code for _ in range(2)] == [200, 429]


def test_token_endpoint_issues_a_bearer_token_that_opens_an_authenticated_feed(
    client, demo_settings
):
    demo_settings.MLS_DEMO_FEEDS = {"secure": {"auth": True}}
    path = "/mls/demo/secure/odata/Property"
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "Unauthorized"
    assert client.get("/mls/demo/secure/odata/").status_code == 401

    response = client.post(
        "/mls/demo/secure/token",
        {"grant_type": "client_credentials", "client_id": "demo", "client_secret": "demo-secret"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    bearer = f"Bearer {body['access_token']}"
    assert client.get(path, {"$top": "1"}, headers={"Authorization": bearer}).status_code == 200
    assert client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_token_endpoint_rejects_wrong_credentials_and_grants(client, demo_settings):
    wrong = client.post(
        "/mls/demo/demo/token",
        {"grant_type": "client_credentials", "client_id": "demo", "client_secret": "nope"},
    )
    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    grant = client.post("/mls/demo/demo/token", {"grant_type": "password"})
    assert grant.status_code == 400 and grant.json() == {"error": "unsupported_grant_type"}
    assert client.get("/mls/demo/demo/token").status_code == 405


def test_a_token_of_one_feed_does_not_open_another(client, demo_settings):
    demo_settings.MLS_DEMO_FEEDS = {"one": {"auth": True}, "two": {"auth": True}}
    token = client.post(
        "/mls/demo/one/token",
        {"grant_type": "client_credentials", "client_id": "demo", "client_secret": "demo-secret"},
    ).json()["access_token"]
    response = client.get(
        "/mls/demo/two/odata/Property", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


# --- Photos and transport -------------------------------------------------------------------


def test_photos_are_deterministic_jpegs_and_unknown_photos_are_not_found(client, demo_settings):
    _, body = get_json(client, PROPERTY, {"$top": "1", "$expand": "Media"})
    url = urlsplit(body["value"][0]["Media"][0]["MediaURL"]).path
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("JPEG", (1024, 768))
    assert client.get(url).content == response.content

    key = body["value"][0]["ListingKey"]
    assert client.get(f"/mls/demo/demo/photos/{key}/9.jpg").status_code == 404
    assert client.get("/mls/demo/demo/photos/DEMO42-9999999/1.jpg").status_code == 404
    assert client.get("/mls/demo/demo/photos/OTHER-0000001/1.jpg").status_code == 404
    assert client.get(f"/mls/demo/nowhere/photos/{key}/1.jpg").status_code == 404


def test_a_new_photo_set_has_new_urls(demo_settings):
    feed = demo_feed_for("demo")
    early = _by_key(feed.current_records(EARLY))
    late = _by_key(feed.current_records(LATE))
    key = next(k for k in early if k in late and early[k]["Media"] != late[k]["Media"])
    early_urls = {m["MediaURL"] for m in early[key]["Media"]}
    late_urls = {m["MediaURL"] for m in late[key]["Media"]}
    assert not early_urls & late_urls
    assert late[key]["PhotosChangeTimestamp"] > early[key]["PhotosChangeTimestamp"]


def test_responses_are_gzipped_when_the_client_accepts_it(client, demo_settings):
    response = client.get(PROPERTY, {"$top": "20"}, headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.content))
    assert len(body["value"]) == 20
    plain = client.get(PROPERTY, {"$top": "20"})
    assert not plain.has_header("Content-Encoding")
