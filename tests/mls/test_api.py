"""The MLS feeds API: providers, their runs and errors, status and statistics."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from agents.choices import Role
from agents.services.people import agent_set_role
from mls.choices import RunKind, RunState
from mls.models import MLSProvider, SyncError, SyncRun
from mls.services import provider_save
from tests.testing.factories import make_mls_provider, make_sync_run

pytestmark = pytest.mark.django_db

PROVIDERS_URL = "/api/v1/mls/providers/"
RUNS_URL = "/api/v1/mls/runs/"
STATUS_URL = "/api/v1/mls/providers/status/"
STATS_URL = "/api/v1/mls/providers/stats/"
NON_BROKERS = ("agent", "colleague", "assistant", "viewer", "stranger")
SECRET = "s3cr3t-client-value"
TOKEN = "b3ar3r-token-value"
PASSWORD = "rets-pa55word-value"
RETS_PROVIDER = {
    "name": "Legacy MLS",
    "kind": "rets",
    "endpoint": "https://rets.example/login",
    "auth_kind": "login",
    "username": "crm-user",
    "password": PASSWORD,
    "search_class": "RE_1",
}


def detail_url(provider, action=""):
    return f"{PROVIDERS_URL}{provider.pk}/{action + '/' if action else ''}"


@pytest.fixture
def provider(personas):
    return make_mls_provider(personas.brokerage, client_secret=SECRET, bearer_token=TOKEN)


@pytest.fixture
def other_broker(personas):
    """The stranger, made the broker of their own brokerage."""
    agent_set_role(agent=personas.stranger, role=Role.BROKER)
    return personas.stranger


def ids(response):
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


def every_endpoint(provider, run):
    """(method, url, body) of every MLS endpoint."""
    return [
        ("get", PROVIDERS_URL, None),
        ("post", PROVIDERS_URL, {"name": "New", "endpoint": "https://new.example/odata"}),
        ("get", detail_url(provider), None),
        ("patch", detail_url(provider), {"name": "Renamed"}),
        ("post", detail_url(provider, "sync"), {"full": False}),
        ("post", detail_url(provider, "cancel"), {}),
        ("post", detail_url(provider, "enable"), {}),
        ("post", detail_url(provider, "disable"), {}),
        ("post", detail_url(provider, "interval"), {"minutes": 30}),
        ("get", detail_url(provider, "runs"), None),
        ("get", detail_url(provider, "errors"), None),
        ("get", RUNS_URL, None),
        ("get", f"{RUNS_URL}{run.pk}/", None),
        ("get", STATUS_URL, None),
        ("get", STATS_URL, None),
    ]


# Who may do what


def test_anonymous_gets_401_from_every_mls_endpoint(api_for, provider):
    run = make_sync_run(provider)
    client = api_for("anonymous")
    for method, url, body in every_endpoint(provider, run):
        response = getattr(client, method)(url, body)
        assert response.status_code == 401, (method, url)
    provider.refresh_from_db()
    assert provider.name == "Bright MLS"
    assert SyncRun.objects.count() == 1


@pytest.mark.parametrize("persona", NON_BROKERS)
def test_non_brokers_get_403_from_every_mls_endpoint(api_for, provider, persona, queued_tasks):
    run = make_sync_run(provider)
    client = api_for(persona)
    for method, url, body in every_endpoint(provider, run):
        response = getattr(client, method)(url, body)
        assert response.status_code == 403, (method, url)
    provider.refresh_from_db()
    assert (provider.name, provider.enabled, provider.sync_interval_minutes) == (
        "Bright MLS",
        True,
        15,
    )
    assert MLSProvider.objects.count() == 1
    assert SyncRun.objects.count() == 1


def test_broker_of_another_brokerage_gets_404_and_sees_none_of_the_providers(
    api_for, provider, other_broker, queued_tasks
):
    run = make_sync_run(provider)
    SyncError.objects.create(run=run, listing_key="K1", reason="Bad price")
    theirs = make_mls_provider(other_broker.brokerage, name="Their MLS")
    client = api_for("stranger")
    assert ids(client.get(PROVIDERS_URL)) == {theirs.pk}
    assert ids(client.get(RUNS_URL)) == set()
    assert {row["id"] for row in client.get(STATUS_URL).data} == {theirs.pk}
    assert client.get(STATS_URL).data["providers"] == 1
    for method, url, body in every_endpoint(provider, run):
        if url in (PROVIDERS_URL, RUNS_URL, STATUS_URL, STATS_URL):
            continue
        response = getattr(client, method)(url, body)
        assert response.status_code == 404, (method, url)
    # An id of a provider they cannot see is refused like an id never used.
    assert client.get(RUNS_URL, {"provider": provider.pk}).status_code == 400
    provider.refresh_from_db()
    assert (provider.name, provider.enabled, provider.sync_interval_minutes) == (
        "Bright MLS",
        True,
        15,
    )
    assert list(SyncRun.objects.filter(provider=provider)) == [run]


def test_broker_sees_the_brokerages_providers_runs_and_errors(api_for, provider, personas):
    run = make_sync_run(provider)
    SyncError.objects.create(run=run, listing_key="K1", reason="Bad price")
    make_sync_run(make_mls_provider(personas.other_brokerage, name="Their MLS"))
    client = api_for("broker")
    assert ids(client.get(PROVIDERS_URL)) == {provider.pk}
    assert ids(client.get(RUNS_URL)) == {run.pk}
    assert client.get(detail_url(provider)).status_code == 200
    assert client.get(f"{RUNS_URL}{run.pk}/").status_code == 200
    assert ids(client.get(detail_url(provider, "runs"))) == {run.pk}
    assert len(ids(client.get(detail_url(provider, "errors")))) == 1


# Providers


def test_provider_detail_shows_schedule_latest_run_and_its_counts(api_for, provider):
    make_sync_run(provider, fetched=10)
    latest = make_sync_run(provider, state=RunState.RUNNING, fetched=40, total=200, created=5)
    data = api_for("broker").get(detail_url(provider)).data
    assert data["name"] == "Bright MLS"
    assert data["kind_label"] == "RESO Web API (OData)"
    assert data["enabled"] is True
    assert data["sync_interval_minutes"] == 15
    assert data["state"] == RunState.RUNNING
    assert data["latest_run"]["id"] == latest.pk
    assert data["latest_run"]["fetched"] == 40
    assert data["latest_run"]["created"] == 5
    assert data["latest_run"]["progress"] == 20.0
    assert data["latest_run"]["throughput"] is not None
    task = PeriodicTask.objects.get(pk=provider.periodic_task_id)
    expected = task.last_run_at + timedelta(minutes=15)
    assert parse_datetime(data["next_run_at"]) == expected


def test_disabled_provider_has_no_next_run_and_a_new_one_no_state(api_for, provider):
    provider.enabled = False
    provider_save(provider=provider)
    data = api_for("broker").get(detail_url(provider)).data
    assert data["next_run_at"] is None
    assert data["state"] is None
    assert data["latest_run"] is None


def test_secrets_are_never_returned(api_for, personas):
    client = api_for("broker")
    created = client.post(
        PROVIDERS_URL,
        {
            "name": "Secret MLS",
            "endpoint": "https://secret.example/odata",
            "auth_kind": "oauth2",
            "token_url": "https://secret.example/token",
            "client_id": "crm",
            "client_secret": SECRET,
            "bearer_token": TOKEN,
        },
    )
    assert created.status_code == 201, created.data
    provider = MLSProvider.objects.get(pk=created.data["id"])
    assert (provider.client_secret, provider.bearer_token) == (SECRET, TOKEN)
    assert created.data["has_client_secret"] is True
    assert created.data["has_bearer_token"] is True
    responses = [
        created,
        client.get(PROVIDERS_URL),
        client.get(detail_url(provider)),
        client.get(STATUS_URL),
        client.patch(detail_url(provider), {"name": "Still secret"}),
        client.post(detail_url(provider, "disable")),
        client.post(detail_url(provider, "interval"), {"minutes": 60}),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.data
        body = response.content.decode()
        assert SECRET not in body and TOKEN not in body
        assert '"client_secret"' not in body and '"bearer_token"' not in body
    # Left out of a change, the stored secrets stay.
    provider.refresh_from_db()
    assert (provider.name, provider.client_secret, provider.bearer_token) == (
        "Still secret",
        SECRET,
        TOKEN,
    )


def test_broker_creates_a_provider_in_their_own_brokerage_with_its_schedule(api_for, personas):
    response = api_for("broker").post(
        PROVIDERS_URL,
        {
            "name": "New MLS",
            "endpoint": "https://new.example/odata",
            "sync_interval_minutes": 45,
            "brokerage": personas.other_brokerage.pk,
        },
    )
    assert response.status_code == 201, response.data
    provider = MLSProvider.objects.get(pk=response.data["id"])
    assert provider.brokerage == personas.brokerage
    task = PeriodicTask.objects.get(pk=provider.periodic_task_id)
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 45, "minutes")


def test_provider_create_errors_are_field_errors(api_for, provider):
    client = api_for("broker")
    response = client.post(PROVIDERS_URL, {"name": "Bright MLS", "endpoint": "not a url"})
    assert response.status_code == 400
    assert "endpoint" in response.data
    duplicate = client.post(
        PROVIDERS_URL, {"name": "Bright MLS", "endpoint": "https://mls.example/odata"}
    )
    assert duplicate.status_code == 400
    assert MLSProvider.objects.count() == 1


def test_the_rets_password_is_never_returned(api_for):
    client = api_for("broker")
    created = client.post(PROVIDERS_URL, RETS_PROVIDER, format="json")
    assert created.status_code == 201, created.data
    provider = MLSProvider.objects.get(pk=created.data["id"])
    assert (provider.username, provider.password, provider.search_class) == (
        "crm-user",
        PASSWORD,
        "RE_1",
    )
    assert created.data["has_password"] is True
    assert (created.data["username"], created.data["search_class"]) == ("crm-user", "RE_1")
    assert (created.data["auth_kind"], created.data["auth_kind_label"]) == (
        "login",
        "Username and password (RETS login)",
    )
    responses = [
        created,
        client.get(PROVIDERS_URL),
        client.get(detail_url(provider)),
        client.get(STATUS_URL),
        client.patch(detail_url(provider), {"search_class": "Residential"}),
        client.post(detail_url(provider, "disable")),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.data
        body = response.content.decode()
        assert PASSWORD not in body and '"password"' not in body
    # Left out of a change, the stored password stays; a new one replaces it.
    provider.refresh_from_db()
    assert (provider.search_class, provider.password) == ("Residential", PASSWORD)
    changed = client.patch(detail_url(provider), {"password": "a-new-password"})
    assert changed.status_code == 200, changed.data
    assert changed.data["has_password"] is True
    provider.refresh_from_db()
    assert provider.password == "a-new-password"


def test_a_provider_without_a_password_reports_none(api_for, provider):
    data = api_for("broker").get(detail_url(provider)).data
    assert data["has_password"] is False
    assert (data["username"], data["search_class"]) == ("", "Property")


@pytest.mark.parametrize("missing", ["username", "password"])
def test_a_rets_provider_without_its_login_is_a_field_error(api_for, missing):
    body = {**RETS_PROVIDER, missing: ""}
    response = api_for("broker").post(PROVIDERS_URL, body, format="json")
    assert response.status_code == 400
    assert set(response.data) == {missing}
    assert not MLSProvider.objects.exists()


def test_clearing_the_password_of_a_rets_provider_is_a_field_error(api_for):
    client = api_for("broker")
    created = client.post(PROVIDERS_URL, RETS_PROVIDER, format="json")
    provider = MLSProvider.objects.get(pk=created.data["id"])

    response = client.patch(detail_url(provider), {"password": ""})

    assert response.status_code == 400
    assert set(response.data) == {"password"}
    provider.refresh_from_db()
    assert provider.password == PASSWORD


def test_a_username_or_password_on_a_reso_provider_is_a_field_error(api_for, provider):
    client = api_for("broker")
    response = client.post(
        PROVIDERS_URL,
        {"name": "New", "endpoint": "https://new.example/odata", "username": "crm-user"},
    )
    assert response.status_code == 400
    assert set(response.data) == {"username"}
    response = client.patch(detail_url(provider), {"password": PASSWORD})
    assert response.status_code == 400
    assert set(response.data) == {"password"}
    assert PASSWORD not in response.content.decode()
    response = client.patch(detail_url(provider), {"auth_kind": "login"})
    assert response.status_code == 400
    assert set(response.data) == {"auth_kind"}
    provider.refresh_from_db()
    assert (provider.username, provider.password, provider.auth_kind) == ("", "", "none")


# Actions


def test_sync_queues_an_incremental_or_full_run(
    api_for, provider, personas, queued_tasks, django_capture_on_commit_callbacks
):
    client = api_for("broker")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(provider, "sync"), {})
    assert response.status_code == 202, response.data
    run = SyncRun.objects.get(pk=response.data["id"])
    assert (run.kind, run.state, run.triggered_by) == (
        RunKind.INCREMENTAL,
        RunState.QUEUED,
        personas.broker.user,
    )
    assert response.data["state"] == RunState.QUEUED
    refused = client.post(detail_url(provider, "sync"), {"full": True})
    assert refused.status_code == 400  # one run of a feed at a time
    assert SyncRun.objects.filter(provider=provider).count() == 1
    client.post(detail_url(provider, "cancel"), {})
    with django_capture_on_commit_callbacks(execute=True):
        full = client.post(detail_url(provider, "sync"), {"full": True})
    assert full.status_code == 202
    assert SyncRun.objects.get(pk=full.data["id"]).kind == RunKind.FULL


def test_cancel_stops_queued_and_running_runs_only(api_for, provider):
    queued = make_sync_run(provider, state=RunState.QUEUED)
    running = make_sync_run(provider, state=RunState.RUNNING)
    finished = make_sync_run(provider, state=RunState.SUCCEEDED)
    response = api_for("broker").post(detail_url(provider, "cancel"))
    assert response.status_code == 200
    assert {row["id"] for row in response.data} == {queued.pk, running.pk}
    for run in (queued, running, finished):
        run.refresh_from_db()
    assert queued.state == RunState.CANCELLED
    assert running.cancel_requested is True and running.state == RunState.RUNNING
    assert finished.cancel_requested is False and finished.state == RunState.SUCCEEDED


def test_cancel_with_nothing_going_returns_no_runs(api_for, provider):
    make_sync_run(provider)
    response = api_for("broker").post(detail_url(provider, "cancel"))
    assert (response.status_code, response.data) == (200, [])


def test_enable_and_disable_follow_through_to_the_schedule(api_for, provider):
    client = api_for("broker")
    response = client.post(detail_url(provider, "disable"))
    assert response.status_code == 200
    assert response.data["enabled"] is False
    assert response.data["next_run_at"] is None
    provider.refresh_from_db()
    assert provider.enabled is False
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).enabled is False
    response = client.post(detail_url(provider, "enable"))
    assert response.data["enabled"] is True
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).enabled is True


def test_interval_change_follows_through_to_the_schedule(api_for, provider):
    response = api_for("broker").post(detail_url(provider, "interval"), {"minutes": 90})
    assert response.status_code == 200
    assert response.data["sync_interval_minutes"] == 90
    task = PeriodicTask.objects.get(pk=provider.periodic_task_id)
    assert (task.interval.every, task.interval.period) == (90, "minutes")


@pytest.mark.parametrize("minutes", [0, 20000, "soon", None])
def test_interval_out_of_range_is_a_field_error(api_for, provider, minutes):
    response = api_for("broker").post(detail_url(provider, "interval"), {"minutes": minutes})
    assert response.status_code == 400
    assert "minutes" in response.data
    provider.refresh_from_db()
    assert provider.sync_interval_minutes == 15
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).interval.every == 15


# Runs, errors, status and statistics


def test_runs_filter_by_provider_state_and_kind(api_for, provider, personas):
    second = make_mls_provider(personas.brokerage, name="Second MLS")
    succeeded = make_sync_run(provider)
    failed = make_sync_run(provider, state=RunState.FAILED, kind=RunKind.FULL)
    other = make_sync_run(second)
    client = api_for("broker")
    assert ids(client.get(RUNS_URL)) == {succeeded.pk, failed.pk, other.pk}
    assert ids(client.get(RUNS_URL, {"provider": provider.pk})) == {succeeded.pk, failed.pk}
    assert ids(client.get(RUNS_URL, {"state": "failed"})) == {failed.pk}
    assert ids(client.get(RUNS_URL, {"kind": "full"})) == {failed.pk}


def test_provider_runs_are_paginated_newest_first(api_for, provider):
    runs = [make_sync_run(provider) for _ in range(3)]
    response = api_for("broker").get(detail_url(provider, "runs"), {"page_size": 2})
    assert response.data["count"] == 3
    assert [row["id"] for row in response.data["results"]] == [runs[2].pk, runs[1].pk]


def test_errors_endpoint_lists_the_providers_sync_errors(api_for, provider, personas):
    run = make_sync_run(provider)
    first = SyncError.objects.create(run=run, listing_key="K1", reason="No price")
    second = SyncError.objects.create(run=make_sync_run(provider), listing_key="K2", reason="Bad")
    elsewhere = make_sync_run(make_mls_provider(personas.brokerage, name="Second MLS"))
    SyncError.objects.create(run=elsewhere, listing_key="K3", reason="Other feed")
    response = api_for("broker").get(detail_url(provider, "errors"))
    assert response.status_code == 200
    rows = response.data["results"]
    assert [row["id"] for row in rows] == [second.pk, first.pk]
    assert rows[1] == {
        "id": first.pk,
        "run": run.pk,
        "listing_key": "K1",
        "reason": "No price",
        "record": {},
        "created_at": rows[1]["created_at"],
    }


def test_status_lists_every_provider_with_its_current_state(api_for, provider, personas):
    idle = make_mls_provider(personas.brokerage, name="Idle MLS", enabled=False)
    running = make_sync_run(provider, state=RunState.RUNNING, fetched=50, total=100)
    response = api_for("broker").get(STATUS_URL)
    assert response.status_code == 200
    by_id = {row["id"]: row for row in response.data}
    assert set(by_id) == {provider.pk, idle.pk}
    assert set(by_id[provider.pk]) == {
        "id",
        "name",
        "enabled",
        "state",
        "latest_run",
        "next_run_at",
    }
    assert by_id[provider.pk]["state"] == RunState.RUNNING
    assert by_id[provider.pk]["latest_run"]["id"] == running.pk
    assert by_id[provider.pk]["latest_run"]["progress"] == 50.0
    assert by_id[idle.pk] == {
        "id": idle.pk,
        "name": "Idle MLS",
        "enabled": False,
        "state": None,
        "latest_run": None,
        "next_run_at": None,
    }


def test_stats_count_providers_listings_and_the_last_days_runs(api_for, provider, personas):
    from tests.testing.factories import make_listing

    make_mls_provider(personas.brokerage, name="Idle MLS", enabled=False)
    listing = make_listing(personas.agent.user)
    listing.mls_provider = provider
    listing.listing_key = "MLS-1"
    listing.save()
    make_sync_run(provider, fetched=120, created=20, updated=30)
    make_sync_run(provider, state=RunState.FAILED, fetched=60, created=0, updated=0)
    old = make_sync_run(provider, fetched=999)
    SyncRun.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(days=2))
    make_sync_run(make_mls_provider(personas.other_brokerage, name="Theirs"), fetched=5000)
    data = api_for("broker").get(STATS_URL).data
    assert data["providers"] == 2
    assert data["enabled_providers"] == 1
    assert data["mls_listings"] == 1
    assert data["mls_listings_off_market"] == 0
    assert data["runs_last_24h"] == {
        "queued": 0,
        "running": 0,
        "succeeded": 1,
        "failed": 1,
        "cancelled": 0,
    }
    assert data["runs_last_24h_total"] == 2
    assert (data["fetched_last_24h"], data["created_last_24h"], data["updated_last_24h"]) == (
        180,
        20,
        30,
    )
    assert data["average_throughput"] == pytest.approx(1.5, abs=0.1)


# Query counts


def test_provider_lists_query_count_does_not_grow_with_providers(
    personas, django_user_model, django_assert_num_queries
):
    def fresh_client():
        client = APIClient()
        client.force_authenticate(django_user_model.objects.get(pk=personas.broker.user.pk))
        return client

    def add_provider(n):
        provider = make_mls_provider(personas.brokerage, name=f"MLS {n}")
        make_sync_run(provider)
        run = make_sync_run(provider, state=RunState.RUNNING)
        SyncError.objects.create(run=run, listing_key=f"K{n}", reason="Bad")

    urls = (PROVIDERS_URL, STATUS_URL, RUNS_URL, STATS_URL)
    add_provider(0)
    counts = {}
    for url in urls:
        client = fresh_client()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    for n in (1, 2, 3):
        add_provider(n)
    for url in urls:
        client = fresh_client()
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    assert len(fresh_client().get(PROVIDERS_URL).data["results"]) == 4
