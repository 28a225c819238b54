"""The broker's MLS feeds page, its live card and its buttons."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from agents.choices import Role
from agents.services.people import agent_set_role
from mls.choices import RunKind, RunState
from mls.models import SyncError, SyncRun
from mls.services import provider_save
from tests.testing.factories import make_mls_provider, make_sync_run

pytestmark = pytest.mark.django_db

PAGE_URL = "/mls/"
NON_BROKERS = ("agent", "colleague", "assistant", "viewer", "stranger")


@pytest.fixture
def provider(personas):
    return make_mls_provider(personas.brokerage)


def action_urls(provider):
    return {
        "sync": (f"/mls/{provider.pk}/sync/", {}),
        "full": (f"/mls/{provider.pk}/sync/full/", {}),
        "cancel": (f"/mls/{provider.pk}/cancel/", {}),
        "enable": (f"/mls/{provider.pk}/enable/", {}),
        "disable": (f"/mls/{provider.pk}/disable/", {}),
        "interval": (f"/mls/{provider.pk}/interval/", {"minutes": 30}),
    }


def assert_unchanged(provider):
    provider.refresh_from_db()
    assert (provider.enabled, provider.sync_interval_minutes) == (True, 15)
    assert not SyncRun.objects.filter(provider=provider).exclude(state=RunState.RUNNING).exists()
    assert not SyncRun.objects.filter(cancel_requested=True).exists()


# Who may see the page


def test_anonymous_is_sent_to_log_in_from_the_page_card_and_buttons(client_for, provider):
    client = client_for("anonymous")
    make_sync_run(provider, state=RunState.RUNNING)
    for url in (PAGE_URL, f"/mls/{provider.pk}/card/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    for url, data in action_urls(provider).values():
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert_unchanged(provider)


@pytest.mark.parametrize("persona", NON_BROKERS)
def test_non_brokers_get_403_from_the_page_card_and_buttons(
    client_for, provider, persona, queued_tasks
):
    client = client_for(persona)
    make_sync_run(provider, state=RunState.RUNNING)
    assert client.get(PAGE_URL).status_code == 403
    assert client.get(f"/mls/{provider.pk}/card/").status_code == 403
    for url, data in action_urls(provider).values():
        assert client.post(url, data).status_code == 403
    assert_unchanged(provider)


def test_broker_of_another_brokerage_gets_404_and_does_not_see_the_feed(
    client_for, provider, personas, queued_tasks
):
    agent_set_role(agent=personas.stranger, role=Role.BROKER)
    make_mls_provider(personas.other_brokerage, name="Harbor Feed")
    make_sync_run(provider, state=RunState.RUNNING)
    client = client_for("stranger")
    page = client.get(PAGE_URL)
    assert page.status_code == 200
    assert "Harbor Feed" in page.content.decode()
    assert "Bright MLS" not in page.content.decode()
    assert client.get(f"/mls/{provider.pk}/card/").status_code == 404
    for url, data in action_urls(provider).values():
        assert client.post(url, data).status_code == 404
    assert_unchanged(provider)


def test_only_brokers_see_the_feeds_link(client_for):
    assert 'href="/mls/"' in client_for("broker").get("/").content.decode()
    assert 'href="/mls/"' not in client_for("agent").get("/").content.decode()


# What the page shows


def test_empty_state_points_to_the_back_office(client_for):
    response = client_for("broker").get(PAGE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No MLS feed yet" in html
    assert 'href="/admin/mls/mlsprovider/add/"' in html


def test_page_shows_last_run_counts_next_run_and_recent_errors(client_for, provider):
    run = make_sync_run(provider, fetched=1234, created=56, updated=78)
    for n in range(7):
        SyncError.objects.create(run=run, listing_key=f"KEY-{n}", reason=f"Reason {n}")
    response = client_for("broker").get(PAGE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bright MLS" in html
    assert "Succeeded" in html
    assert "1,234" in html and "56 · 78" in html
    assert "records/s" in html
    assert "Not scheduled" not in html
    # The five newest errors only.
    assert "KEY-6" in html and "KEY-2" in html
    assert "KEY-1" not in html and "KEY-0" not in html
    # Finished: the card does not poll.
    assert 'hx-trigger="every 2s"' not in html
    assert "Run now" in html and "Full sync" in html and "Disable" in html
    assert f'action="/mls/{provider.pk}/cancel/"' not in html


def test_running_card_polls_itself_and_shows_progress(client_for, provider):
    make_sync_run(provider, state=RunState.RUNNING, fetched=300, total=1200)
    client = client_for("broker")
    html = client.get(PAGE_URL).content.decode()
    assert f'hx-get="/mls/{provider.pk}/card/"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'max="1200" value="300"' in html
    assert f'action="/mls/{provider.pk}/cancel/"' in html
    card = client.get(f"/mls/{provider.pk}/card/", headers={"HX-Request": "true"})
    assert card.status_code == 200
    body = card.content.decode()
    assert "<html" not in body
    assert "300 of 1,200 records read" in body
    assert 'hx-trigger="every 2s"' in body


def test_card_stops_polling_once_the_run_is_over(client_for, provider):
    run = make_sync_run(provider, state=RunState.RUNNING)
    client = client_for("broker")
    assert 'hx-trigger="every 2s"' in client.get(f"/mls/{provider.pk}/card/").content.decode()
    SyncRun.objects.filter(pk=run.pk).update(state=RunState.SUCCEEDED, finished_at=timezone.now())
    assert "hx-trigger" not in client.get(f"/mls/{provider.pk}/card/").content.decode()


def test_disabled_provider_shows_enable_and_no_next_run(client_for, provider):
    provider.enabled = False
    provider_save(provider=provider)
    html = client_for("broker").get(PAGE_URL).content.decode()
    assert "Not scheduled" in html
    assert f'action="/mls/{provider.pk}/enable/"' in html


# The buttons


def test_run_now_and_full_sync_queue_runs(
    client_for, provider, personas, queued_tasks, django_capture_on_commit_callbacks
):
    client = client_for("broker")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/mls/{provider.pk}/sync/")
    assert response.status_code == 302 and response["Location"] == PAGE_URL
    refused = client.post(f"/mls/{provider.pk}/sync/full/", follow=True)
    assert "already queued or running" in refused.content.decode()
    runs = list(SyncRun.objects.filter(provider=provider).order_by("pk"))
    assert [(run.kind, run.state) for run in runs] == [(RunKind.INCREMENTAL, RunState.QUEUED)]
    assert runs[0].triggered_by == personas.broker.user
    SyncRun.objects.filter(pk=runs[0].pk).update(state=RunState.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/mls/{provider.pk}/sync/full/")
    assert SyncRun.objects.filter(provider=provider, kind=RunKind.FULL).exists()
    page = client.get(PAGE_URL).content.decode()
    assert "Full sync queued" in page


def test_cancel_button_cancels_the_running_run(client_for, provider):
    queued = make_sync_run(provider, state=RunState.QUEUED)
    response = client_for("broker").post(f"/mls/{provider.pk}/cancel/")
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.state == RunState.CANCELLED


def test_enable_and_disable_buttons_follow_through_to_the_schedule(client_for, provider):
    client = client_for("broker")
    client.post(f"/mls/{provider.pk}/disable/")
    provider.refresh_from_db()
    assert provider.enabled is False
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).enabled is False
    client.post(f"/mls/{provider.pk}/enable/")
    provider.refresh_from_db()
    assert provider.enabled is True
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).enabled is True


def test_interval_form_changes_the_schedule(client_for, provider):
    response = client_for("broker").post(f"/mls/{provider.pk}/interval/", {"minutes": 45})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.sync_interval_minutes == 45
    assert PeriodicTask.objects.get(pk=provider.periodic_task_id).interval.every == 45


@pytest.mark.parametrize("minutes", ["0", "20000", "soon"])
def test_interval_form_shows_the_error_next_to_the_field_and_keeps_the_value(
    client_for, provider, minutes
):
    response = client_for("broker").post(f"/mls/{provider.pk}/interval/", {"minutes": minutes})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field__errors"' in html
    assert f'value="{minutes}"' in html
    provider.refresh_from_db()
    assert provider.sync_interval_minutes == 15


# Query counts


def test_page_query_count_does_not_grow_with_providers(
    personas, django_user_model, django_assert_num_queries
):
    def fresh_client():
        client = Client()
        client.force_login(django_user_model.objects.get(pk=personas.broker.user.pk))
        return client

    def add_provider(n):
        provider = make_mls_provider(personas.brokerage, name=f"MLS {n}")
        make_sync_run(provider)
        run = make_sync_run(provider, state=RunState.RUNNING, total=500)
        SyncError.objects.create(run=run, listing_key=f"K{n}", reason="Bad")
        return provider

    first = add_provider(0)
    client = fresh_client()
    with CaptureQueriesContext(connection) as page_queries:
        assert client.get(PAGE_URL).status_code == 200
    with CaptureQueriesContext(connection) as card_queries:
        assert client.get(f"/mls/{first.pk}/card/").status_code == 200
    for n in (1, 2, 3):
        add_provider(n)
    client = fresh_client()
    with django_assert_num_queries(len(page_queries)):
        response = client.get(PAGE_URL)
    assert response.content.decode().count('hx-trigger="every 2s"') == 4
    with django_assert_num_queries(len(card_queries)):
        assert client.get(f"/mls/{first.pk}/card/").status_code == 200
