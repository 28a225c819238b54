"""Brute-force lockout, security events, sessions, headers and the back office's door."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agents.choices import Role
from compliance.models import SecurityEvent, SecurityEventKind
from mls.choices import AuthKind, ProviderKind
from mls.models import MLSProvider
from realestate.middleware import LAST_SEEN_KEY
from tests.testing.factories import make_agent, make_listing, make_mls_provider

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def member(personas):
    """An agent of brokerage A who signs in with a password."""
    return make_agent(personas.brokerage, Role.AGENT, username="mia", password=PASSWORD)


def browser(ip="203.0.113.7"):
    return Client(REMOTE_ADDR=ip)


def fail_login(client, times, username="mia"):
    return [
        client.post(LOGIN_URL, {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]


# Brute force


def test_five_failed_sign_ins_lock_the_username_from_that_address(member):
    client = browser()
    assert fail_login(client, 4) == [200] * 4
    locked = client.post(LOGIN_URL, {"username": "mia", "password": "wrong"})
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    # The right password does not open a locked account either.
    again = client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    assert again.status_code == 429
    assert SESSION_KEY not in client.session


def test_a_lockout_is_for_the_username_and_address_together(member, personas):
    fail_login(browser(), 5)
    other_address = browser("198.51.100.9")
    response = other_address.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    assert response.status_code == 302
    make_agent(personas.brokerage, Role.AGENT, username="noa", password=PASSWORD)
    same_address_other_user = browser().post(LOGIN_URL, {"username": "noa", "password": PASSWORD})
    assert same_address_other_user.status_code == 302


def test_the_cool_off_doubles_with_every_failure_past_the_limit(member):
    client = browser()
    fail_login(client, 5)
    waits = []
    for _ in range(3):
        response = client.post(LOGIN_URL, {"username": "mia", "password": "wrong"})
        waits.append(int(response["Retry-After"]))
    assert waits == [30 * 60, 60 * 60, 120 * 60]


def test_the_lockout_ends_after_the_cool_off(member):
    client = browser()
    fail_login(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    from axes.models import AccessAttemptExpiration

    AccessAttemptExpiration.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    assert response.status_code == 302


def test_a_forwarded_for_header_from_the_client_does_not_dodge_the_lockout(member):
    client = browser()
    for n in range(5):
        client.post(
            LOGIN_URL,
            {"username": "mia", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    response = client.post(
        LOGIN_URL, {"username": "mia", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429


def test_behind_our_proxy_the_forwarded_address_is_the_one_locked(member, settings):
    settings.NUM_PROXIES = 1
    proxy = browser("10.0.0.2")
    for _ in range(5):
        proxy.post(
            LOGIN_URL, {"username": "mia", "password": "wrong"}, HTTP_X_FORWARDED_FOR="1.2.3.4"
        )
    other_client = proxy.post(
        LOGIN_URL, {"username": "mia", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="5.6.7.8"
    )
    assert other_client.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"1.2.3.4"}


def test_the_token_endpoint_locks_out_after_five_failures_with_a_429(member):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post(TOKEN_URL, {"username": "mia", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    locked = client.post(TOKEN_URL, {"username": "mia", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0
    assert "access" not in locked.json()


def test_the_back_office_sign_in_locks_out_too(member):
    client = browser()
    for _ in range(5):
        client.post("/admin/login/", {"username": "mia", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "mia", "password": PASSWORD})
    assert response.status_code == 429


def test_signing_in_resets_the_failure_count(member):
    client = browser()
    fail_login(client, 4)
    assert client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    assert fail_login(client, 4) == [200] * 4


def test_force_login_still_works_for_tests(client_for):
    assert client_for("agent").get(reverse("dashboard")).status_code == 200


# Security events


def test_sign_in_sign_out_and_failure_are_recorded_without_the_password(member):
    client = browser()
    fail_login(client, 1)
    client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD}, HTTP_USER_AGENT="Phone/1")
    client.post("/accounts/logout/")
    events = list(SecurityEvent.objects.order_by("pk"))
    assert [event.kind for event in events] == [
        SecurityEventKind.LOGIN_FAILED,
        SecurityEventKind.LOGIN,
        SecurityEventKind.LOGOUT,
    ]
    assert {event.username for event in events} == {"mia"}
    assert {event.ip_address for event in events} == {"203.0.113.7"}
    assert events[0].user is None and events[1].user == member.user
    assert events[1].user_agent == "Phone/1"
    assert {event.brokerage_id for event in events} == {member.brokerage_id}
    stored = " ".join(
        str(value) for event in events for value in vars(event).values() if value is not None
    )
    assert PASSWORD not in stored and "wrong" not in stored


def test_a_lockout_is_recorded(member):
    fail_login(browser(), 5)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, username="mia").exists()


def test_a_failure_for_an_unknown_username_belongs_to_no_brokerage(db):
    fail_login(browser(), 1, username="nobody")
    event = SecurityEvent.objects.get()
    assert (event.username, event.brokerage_id) == ("nobody", None)


def test_a_refused_page_is_recorded_as_permission_denied(client_for, personas):
    response = client_for("agent").get(reverse("compliance:audit"))
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSION_DENIED)
    assert event.user == personas.agent.user
    assert event.path == reverse("compliance:audit")
    assert event.brokerage_id == personas.brokerage.pk


def test_a_refused_api_request_is_recorded_as_permission_denied(api_for, personas):
    listing = make_listing(personas.agent.user)
    response = api_for("viewer").patch(
        f"/api/v1/properties/{listing.pk}/", {"list_price": "1.00"}, format="json"
    )
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSION_DENIED)
    assert (event.user, event.method) == (personas.viewer.user, "PATCH")


# Audit log: address and secrets


def test_the_audit_log_records_the_clients_address_not_a_forged_header(client_for, personas):
    client = client_for("broker")
    listing = make_listing(personas.agent.user)
    LogEntry.objects.all().delete()
    url = reverse("properties:archive", args=[listing.pk])
    client.post(url, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    entry = LogEntry.objects.get(object_pk=str(listing.pk))
    assert entry.actor == personas.broker.user
    assert entry.remote_addr == "203.0.113.5"


def test_mls_login_secrets_are_masked_in_the_audit_log(personas):
    [
        make_mls_provider(
            personas.brokerage,
            name="OAuth feed",
            auth_kind=AuthKind.OAUTH2,
            token_url="https://mls.example/token",
            client_id="crm",
            client_secret="oauth-secret-value-1",
        ),
        make_mls_provider(
            personas.brokerage,
            name="Token feed",
            auth_kind=AuthKind.BEARER,
            bearer_token="bearer-secret-value-2",
        ),
        make_mls_provider(
            personas.brokerage,
            name="Legacy MLS",
            kind=ProviderKind.RETS,
            endpoint="https://rets.example/login",
            auth_kind=AuthKind.LOGIN,
            username="crm-user",
            password="rets-secret-value-3",
            search_class="RE_1",
        ),
    ]
    entries = LogEntry.objects.get_for_objects(MLSProvider.objects.all())
    stored = " ".join(str(entry.changes) for entry in entries)
    assert entries.count() == 3
    for secret in ("oauth-secret-value-1", "bearer-secret-value-2", "rets-secret-value-3"):
        assert secret not in stored


# Sessions


def test_a_session_left_idle_signs_out(member, settings):
    client = browser()
    client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    assert client.get(reverse("dashboard")).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] -= settings.SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response.url
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGOUT).exists()


def test_a_session_in_use_stays_signed_in_and_is_renewed(member):
    client = browser()
    client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    session = client.session
    session[LAST_SEEN_KEY] -= 30 * 60
    session.save()
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.session[LAST_SEEN_KEY] >= int(timezone.now().timestamp()) - 5


def test_the_session_cookie_ends_after_eight_hours_and_is_http_only(member, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    client = browser()
    response = client.post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 8 * 3600
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# Headers


def assert_security_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-eval" not in policy
    return policy


def test_a_page_has_the_security_headers_and_a_nonce_for_its_scripts(client_for):
    response = client_for("agent").get(reverse("dashboard"))
    policy = assert_security_headers(response)
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'"inlineStyleNonce": "{nonce}"' in response.content.decode()
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "unsafe-inline" not in script_src


def test_an_api_answer_has_the_security_headers(api_for):
    assert_security_headers(api_for("agent").get("/api/v1/me/"))


def test_no_page_template_has_an_inline_event_handler_or_unnonced_script():
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        if "emails" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path}: inline event handler")
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" not in tag and "csp_nonce" not in tag and "application/json" not in tag:
                offenders.append(f"{path}: {tag}")
    assert offenders == []


def test_the_api_docs_work_under_the_policy(client_for):
    client = client_for("agent")
    page = client.get("/api/docs/")
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    body = page.content.decode()
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in body
    assert "<script>" not in body
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_back_office_login_page_works_under_the_policy(db):
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response


# The back office


@pytest.mark.parametrize("persona", ["agent", "viewer", "stranger"])
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client_for, persona):
    response = client_for(persona).get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_the_admin_login(db):
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_any_website_may_frame_the_public_lead_form(personas):
    response = Client().get(reverse("clients:intake-form", args=[personas.brokerage.slug]))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors" not in policy
    assert "script-src 'self'" in policy


def test_the_signing_page_may_show_its_pdf_and_only_this_site_may_frame_it(
    personas, settings, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    from tests.transactions.test_documents import pdf_upload
    from transactions.models import Transaction
    from transactions.services.documents import document_upload
    from transactions.services.signing import signing_request_create

    settings.SITE_URL = "http://testserver"
    deal = Transaction.objects.create(
        brokerage=personas.brokerage, name="12 Elm Street", side="buyer", agent=personas.agent
    )
    document = document_upload(
        transaction=deal,
        milestone=None,
        upload=pdf_upload(),
        title="Offer",
        actor=personas.agent.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        signing_request_create(
            document=document,
            signers=[{"name": "Jane Buyer", "email": "jane@example.com"}],
            actor=personas.agent.user,
        )
    link = re.search(r"http://testserver(/deals/sign/[A-Za-z0-9_-]+/)", mail.outbox[0].body)[1]
    page = Client().get(link)
    assert page.status_code == 200
    assert "object-src 'self'" in page["Content-Security-Policy"]
    pdf = Client().get(link + "document/")
    assert pdf.status_code == 200
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]


def test_an_api_address_that_matches_no_route_answers_json_404(api_for):
    response = api_for("agent").get("/api/v1/clients/not-a-number.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_address_that_matches_nothing_answers_the_404_page(client_for):
    response = client_for("agent").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_api_schema_documents_the_error_answers():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(public=True)
    operation = schema["paths"]["/api/v1/clients/{id}/"]["get"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(operation["responses"])


# CSRF and secrets


CSRF_EXEMPT_PAGES = {
    "clients:intake-form": "brokerage websites post the lead form; a signed form token instead",
    "clients:unsubscribe": "mail programs' one-click unsubscribe; the URL's token is the proof",
    "lead-webhook": "lead sources' servers post leads; a Standard Webhooks signature instead",
}


def test_no_page_skips_csrf_but_the_known_public_ones():
    from rest_framework.views import APIView

    from tests.compliance.test_permission_sweep import walk

    exempt = set()
    for name, pattern in walk(get_resolver().url_patterns):
        callback = pattern.callback
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, APIView):
            continue  # DRF checks CSRF itself for session sign-ins (tested below)
        if name.startswith("mls_demo:"):
            continue  # the demo MLS: a stand-in MLS server that holds no brokerage data
        if getattr(callback, "csrf_exempt", False):
            exempt.add(name)
    assert exempt == set(CSRF_EXEMPT_PAGES)


def test_a_page_post_without_the_csrf_token_is_refused(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.agent.user)
    response = client.post(reverse("clients:create"), {"first_name": "Eve"})
    assert response.status_code == 403


def test_an_api_post_signed_in_by_session_needs_the_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.agent.user)
    response = client.post(
        "/api/v1/tasks/", {"title": "Call back"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_no_password_reaches_the_logs(member, caplog):
    caplog.set_level("DEBUG")
    fail_login(browser(), 6)
    APIClient().post(TOKEN_URL, {"username": "mia", "password": "api-wrong-password"})
    browser().post(LOGIN_URL, {"username": "mia", "password": PASSWORD})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "wrong" not in logged and PASSWORD not in logged
    assert "api-wrong-password" not in logged


# The audit log everywhere

# Models not in the audit log, each because it is a record of its own.
NOT_AUDITED = {
    "mls.SyncRun": "the run record of a feed sync, written by the job",
    "mls.SyncError": "a sync run's error list",
    "clients.Activity": "the client's timeline: itself a dated record of who did what",
    "clients.RoutingDecision": "the lead routing log",
    "clients.ListingAlert": "the alert job's sent-alert log",
    "clients.AlertScan": "the alert job's cursor",
    "compliance.SecurityEvent": "itself the security audit trail",
    "compliance.ConsentRecord": "the append-only consent log",
    "compliance.LicenceAlert": "the log of licence expiry alerts sent",
    "compliance.ListingAccess": "the MLS data access log",
    "compliance.ExportAlert": "the log of export alerts sent to brokers",
    "compliance.FairHousingScanRun": "the nightly scan's run record",
    "compliance.FairHousingScanListing": "a nightly scan's findings",
    "compliance.RetentionRun": "the retention job's run record",
    "properties.ListingViewDay": "a counter of listing page views",
    "agents.Event": "itself the brokerage's domain event log",
    "agents.Notification": "a person's notification feed",
    "agents.WebhookDelivery": "the outgoing webhook delivery log",
    "agents.WebhookAttempt": "the outgoing webhook attempt log",
    "agents.IncomingWebhookLog": "the incoming webhook request log",
}


def test_every_model_is_in_the_audit_log_or_a_record_of_its_own():
    from auditlog.registry import auditlog
    from django.apps import apps

    unaudited = {
        f"{model._meta.app_label}.{model.__name__}"
        for app_label in ("agents", "properties", "mls", "clients", "transactions", "compliance")
        for model in apps.get_app_config(app_label).get_models()
        if not auditlog.contains(model)
    }
    assert unaudited == set(NOT_AUDITED)


def test_the_calendar_address_is_audited_without_its_token(personas):
    from clients.services.showings import calendar_feed_create

    feed = calendar_feed_create(agent=personas.agent, actor=personas.agent.user)
    entry = LogEntry.objects.get_for_object(feed).get()
    assert "token" not in entry.changes_dict
    assert feed.token not in str(entry.changes)
