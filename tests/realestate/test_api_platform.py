"""What every API endpoint shares: JWT, the audit actor, the schema, the docs and throttling."""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from agents.choices import Role
from tests.testing.factories import make_agent, make_listing

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
VERIFY_URL = "/api/v1/auth/token/verify/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def member(personas):
    """An agent of brokerage A who signs in with a password, as the mobile app does."""
    return make_agent(personas.brokerage, Role.AGENT, username="mia", password=PASSWORD)


@pytest.fixture
def tokens(member):
    response = APIClient().post(TOKEN_URL, {"username": "mia", "password": PASSWORD})
    assert response.status_code == 200, response.data
    return response.data


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# JWT


def test_password_gives_an_access_and_a_refresh_token(tokens):
    assert set(tokens) == {"access", "refresh"}


def test_access_token_signs_the_app_in(member, tokens):
    response = bearer(tokens["access"]).get(ME_URL)
    assert response.status_code == 200
    assert response.data["username"] == "mia"
    assert response.data["agent"]["id"] == member.pk


def test_refresh_token_gives_a_working_access_token(tokens):
    response = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert "refresh" in response.data  # refresh tokens rotate
    assert bearer(response.data["access"]).get(ME_URL).status_code == 200


def test_verify_accepts_a_valid_token_and_refuses_a_forged_one(tokens):
    client = APIClient()
    assert client.post(VERIFY_URL, {"token": tokens["access"]}).status_code == 200
    assert client.post(VERIFY_URL, {"token": tokens["access"][:-4] + "abcd"}).status_code == 401


def test_wrong_password_gets_no_token(member):
    response = APIClient().post(TOKEN_URL, {"username": "mia", "password": "guess"})
    assert response.status_code == 401
    assert "access" not in response.data


@pytest.mark.parametrize("token", ["not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
def test_bad_bearer_token_is_a_401(member, token):
    assert bearer(token).get(ME_URL).status_code == 401


def test_refresh_token_is_not_accepted_as_an_access_token(tokens):
    assert bearer(tokens["refresh"]).get(ME_URL).status_code == 401


def test_bad_refresh_token_is_a_401(member):
    assert APIClient().post(REFRESH_URL, {"refresh": "nonsense"}).status_code == 401


# Audit


def test_change_made_with_a_bearer_token_is_audited_with_its_user_as_actor(member, tokens):
    listing = make_listing(member.user)
    response = bearer(tokens["access"]).patch(
        f"/api/v1/properties/{listing.pk}/", {"list_price": "360000.00"}
    )
    assert response.status_code == 200, response.data
    entry = (
        LogEntry.objects.get_for_object(listing)
        .filter(action=LogEntry.Action.UPDATE)
        .latest("timestamp")
    )
    assert entry.actor == member.user
    assert "list_price" in entry.changes_dict


# Schema and docs


def test_schema_is_openapi_3_for_a_signed_in_user(api_for):
    response = api_for("agent").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/token/verify/",
        "/api/v1/me/",
        "/api/v1/agents/",
        "/api/v1/agents/{id}/",
        "/api/v1/properties/",
        "/api/v1/properties/{id}/",
        "/api/v1/properties/{id}/media/",
        "/api/v1/properties/{id}/media/{media_id}/",
        "/api/v1/properties/{id}/timeline/",
    } <= set(schema["paths"])
    upload = schema["paths"]["/api/v1/properties/{id}/media/"]["post"]["requestBody"]
    assert set(upload["content"]) == {"multipart/form-data"}
    assert (
        "history is never lost"
        in (schema["paths"]["/api/v1/properties/{id}/"]["delete"]["description"])
    )


def test_schema_generates_without_warnings_or_errors(tmp_path):
    # --fail-on-warn turns any warning (an undocumented field or parameter) into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.")


def test_docs_page_loads_swagger_ui_from_our_own_static_files(api_for):
    response = api_for("agent").get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    # The start-up script comes from the page's own address (no inline script under the CSP).
    script = "/api/docs/?script="
    assert script in assets
    static_assets = [asset for asset in assets if asset != script]
    assert all(asset.startswith("/static/") for asset in static_assets), assets
    assert not re.search(r"https?://", html)
    for asset in static_assets:
        assert finders.find(asset.removeprefix("/static/")), asset


# Throttling


@pytest.fixture
def tight_throttles(monkeypatch):
    """Two requests a minute; DRF reads the rates into the throttle classes at import."""
    rates = {"anon": "2/min", "user": "2/min"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_signed_in_user_over_the_rate_gets_429_with_retry_after(api_for, tight_throttles):
    client = api_for("agent")
    assert [client.get(ME_URL).status_code for _ in range(2)] == [200, 200]
    throttled = client.get(ME_URL)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60


def test_anonymous_caller_over_the_rate_gets_429_with_retry_after(member, tight_throttles):
    client = APIClient()
    attempts = [
        client.post(TOKEN_URL, {"username": "mia", "password": "guess"}).status_code
        for _ in range(2)
    ]
    assert attempts == [401, 401]
    throttled = client.post(TOKEN_URL, {"username": "mia", "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
