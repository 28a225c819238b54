"""Leads from a brokerage's website: spam kept out, duplicates found, real leads routed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients.choices import RoutingMethod, RoutingOutcome
from clients.models import Activity, Client, LeadSource, RoutingRule
from clients.services.intake import (
    intake_form_token,
    intake_key_authenticate,
    intake_key_create,
    intake_key_revoke,
)
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

LEAD = {
    "first_name": "Jamie",
    "last_name": "Rivera",
    "email": "Jamie.Rivera@Example.com",
    "phone": "(217) 555-0143",
    "message": "Is the house on Maple still available?",
    "preferred_contact_method": "text",
}


def intake_url(brokerage):
    return reverse("lead-intake", args=[brokerage.slug])


def shown_token(brokerage, seconds_ago=30):
    """The token of a form shown ``seconds_ago``: a person took that long to fill it in."""
    return intake_form_token(
        brokerage=brokerage, now=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.fixture
def website_rule(personas):
    rule = RoutingRule.objects.create(
        brokerage=personas.brokerage, name="Website leads", method=RoutingMethod.ROUND_ROBIN
    )
    rule.agents.set([personas.colleague])
    return rule


@pytest.fixture
def intake_key(personas):
    zillow = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    key, secret = intake_key_create(brokerage=personas.brokerage, name="Zillow feed", source=zillow)
    return key, secret


def key_client(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"IntakeKey {secret}")
    return client


# ---------- a real lead ----------


def test_a_web_lead_is_created_normalised_and_routed_with_its_reason(personas, website_rule):
    response = APIClient().post(
        intake_url(personas.brokerage),
        {**LEAD, "form_token": shown_token(personas.brokerage)},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json() == {"status": "received"}
    lead = Client.objects.get()
    assert (lead.email, lead.phone, lead.roles) == (
        "jamie.rivera@example.com",
        "+12175550143",
        ["lead"],
    )
    assert lead.preferred_contact_method == "text"
    assert lead.brokerage == personas.brokerage and lead.source.name == "Website"
    assert lead.assigned_agent == personas.colleague
    decision = lead.routing_decisions.get()
    assert decision.outcome == RoutingOutcome.ASSIGNED
    assert decision.reason == (
        f"Round robin in rule 'Website leads': {personas.colleague.name}'s turn "
        "(lead 1 of the rule)"
    )
    inquiry = lead.activities.get(details__intake=True)
    assert inquiry.subject == "Web inquiry from Website"
    assert inquiry.body == LEAD["message"]
    assert lead.score > 0  # an inquiry counts as engagement


def test_a_json_lead_with_an_intake_key_needs_no_form_token(personas, intake_key):
    key, secret = intake_key

    response = key_client(secret).post(intake_url(personas.brokerage), LEAD, format="json")

    assert response.status_code == 201, response.content
    lead = Client.objects.get()
    assert lead.source.name == "Zillow"  # the key's source
    assert lead.in_pond  # no routing rule: the shared pond
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_named_source_the_broker_has_is_used(personas, intake_key):
    LeadSource.objects.create(brokerage=personas.brokerage, name="Open house")
    _, secret = intake_key
    key_client(secret).post(
        intake_url(personas.brokerage), {**LEAD, "source": "open HOUSE"}, format="json"
    )
    assert Client.objects.get().source.name == "Open house"


def test_the_listing_asked_about_is_linked(personas, intake_key):
    listing = make_listing(personas.agent.user, listing_id="MLS-4411")
    _, secret = intake_key

    key_client(secret).post(
        intake_url(personas.brokerage), {**LEAD, "listing": "mls-4411"}, format="json"
    )

    inquiry = Activity.objects.get(details__intake=True)
    assert inquiry.listing == listing
    assert inquiry.subject == "Web inquiry from Zillow about MLS-4411"


# ---------- duplicates ----------


def test_a_lead_with_a_clients_email_is_added_to_that_client(personas, intake_key):
    existing = make_client(personas.agent.user, email="jamie.rivera@example.com", phone="")
    _, secret = intake_key

    response = key_client(secret).post(intake_url(personas.brokerage), LEAD, format="json")

    assert response.status_code == 201
    assert response.json() == {"status": "received"}  # the answer does not tell
    assert Client.objects.count() == 1
    existing.refresh_from_db()
    assert existing.phone == ""  # an anonymous form never changes a client's details
    sent = existing.activities.get(details__intake=True).details["sent"]
    assert sent["phone"] == "+12175550143" and sent["email"] == "jamie.rivera@example.com"
    assert existing.assigned_agent == personas.agent  # not routed again
    assert existing.activities.filter(details__intake=True, body=LEAD["message"]).exists()


def test_a_lead_with_a_clients_phone_in_another_format_is_a_duplicate(personas, intake_key):
    existing = make_client(personas.agent.user, phone="217-555-0143")
    _, secret = intake_key

    key_client(secret).post(
        intake_url(personas.brokerage),
        {"first_name": "J", "phone": "+1 217 555 0143"},
        format="json",
    )

    assert Client.objects.count() == 1
    assert existing.activities.filter(details__intake=True).count() == 1


def test_the_same_email_in_another_brokerage_is_another_person(personas, intake_key):
    make_client(personas.stranger.user, email="jamie.rivera@example.com")
    _, secret = intake_key

    key_client(secret).post(intake_url(personas.brokerage), LEAD, format="json")

    assert Client.objects.filter(brokerage=personas.brokerage).count() == 1


# ---------- spam and mistakes ----------


def test_a_filled_honeypot_is_answered_like_a_person_and_creates_nothing(personas):
    response = APIClient().post(
        intake_url(personas.brokerage),
        {**LEAD, "form_token": shown_token(personas.brokerage), "website": "http://spam.example"},
        format="multipart",
    )
    assert response.status_code == 201
    assert not Client.objects.exists()


def test_a_form_sent_too_quickly_is_refused(personas):
    token = APIClient().get(intake_url(personas.brokerage)).json()["form_token"]

    response = APIClient().post(
        intake_url(personas.brokerage), {**LEAD, "form_token": token}, format="multipart"
    )

    assert response.status_code == 400
    assert "too quickly" in response.json()["form_token"][0]
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "missing"),
        ("not-a-token", "not valid"),
        ("another-brokerage", "not valid"),
        ("expired", "expired"),
    ],
)
def test_a_form_without_a_good_token_is_refused(personas, token, message):
    tokens = {
        None: "",
        "not-a-token": "abc:def",
        "another-brokerage": shown_token(personas.other_brokerage),
        "expired": shown_token(personas.brokerage, seconds_ago=13 * 3600),
    }

    response = APIClient().post(
        intake_url(personas.brokerage), {**LEAD, "form_token": tokens[token]}, format="json"
    )

    assert response.status_code == 400
    assert message in response.json()["form_token"][0]
    assert not Client.objects.exists()


def test_a_form_token_is_accepted_once(personas):
    data = {**LEAD, "form_token": shown_token(personas.brokerage)}
    assert APIClient().post(intake_url(personas.brokerage), data).status_code == 201

    again = APIClient().post(intake_url(personas.brokerage), {**data, "email": "b@example.com"})

    assert again.status_code == 400
    assert "already sent" in again.json()["form_token"][0]
    assert Client.objects.count() == 1


def test_a_token_is_not_used_up_by_a_form_with_mistakes(personas):
    data = {**LEAD, "form_token": shown_token(personas.brokerage), "email": "nope"}
    assert APIClient().post(intake_url(personas.brokerage), data).status_code == 400
    assert APIClient().post(intake_url(personas.brokerage), {**data, **LEAD}).status_code == 201


def test_field_errors_are_reported_by_field(personas, intake_key):
    _, secret = intake_key
    response = key_client(secret).post(
        intake_url(personas.brokerage),
        {"email": "not-an-email", "phone": "12", "preferred_contact_method": "pigeon"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"email", "phone", "preferred_contact_method"}


def test_a_lead_needs_a_way_to_reach_them(personas, intake_key):
    _, secret = intake_key
    response = key_client(secret).post(
        intake_url(personas.brokerage), {"first_name": "Anon", "message": "Hi"}, format="json"
    )
    assert response.status_code == 400
    assert "email or a phone" in response.json()["non_field_errors"][0]


def test_leads_from_one_address_are_throttled(personas, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lead_form": "2/hour",
        },
    }
    url = intake_url(personas.brokerage)
    leads = [
        {
            **LEAD,
            "email": f"p{n}@example.com",
            "phone": "",
            "form_token": shown_token(personas.brokerage),
        }
        for n in range(3)
    ]
    statuses = [APIClient().post(url, lead).status_code for lead in leads]
    assert statuses == [201, 201, 429]
    assert Client.objects.count() == 2


def test_a_revoked_key_is_refused(personas, intake_key):
    key, secret = intake_key
    intake_key_revoke(intake_key=key)

    response = key_client(secret).post(intake_url(personas.brokerage), LEAD, format="json")

    assert response.status_code == 401
    assert intake_key_authenticate(secret=secret) is None
    assert not Client.objects.exists()


def test_a_key_works_only_for_its_own_brokerage(personas, intake_key):
    _, secret = intake_key
    response = key_client(secret).post(intake_url(personas.other_brokerage), LEAD, format="json")
    assert response.status_code == 403
    assert not Client.objects.exists()


def test_only_the_keys_digest_is_stored(personas, intake_key):
    key, secret = intake_key
    key.refresh_from_db()
    assert secret not in (key.digest, key.prefix) and secret.startswith(key.prefix)


def test_an_unknown_brokerage_is_not_found():
    assert APIClient().get(reverse("lead-intake", args=["nobody"])).status_code == 404


@pytest.mark.parametrize(
    "persona", ["agent", "colleague", "assistant", "viewer", "broker", "stranger", "anonymous"]
)
def test_anyone_may_fetch_a_form_token(api_for, personas, persona):
    response = api_for(persona).get(intake_url(personas.brokerage))
    assert response.status_code == 200
    assert set(response.json()) == {"form_token", "honeypot_field", "min_seconds", "expires_in"}


# ---------- the hosted lead form ----------


def form_url(brokerage, query=""):
    return reverse("clients:intake-form", args=[brokerage.slug]) + query


def test_the_lead_form_page_embeds_a_token_and_a_hidden_honeypot(client, personas):
    response = client.get(form_url(personas.brokerage, "?listing=MLS-9&source=Facebook"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="form_token"' in page and 'name="website"' in page
    assert 'value="MLS-9"' in page and "Maple Realty" in page
    assert "X-Frame-Options" not in response.headers  # a website may frame it


def test_a_person_sends_the_lead_form(client, personas, website_rule):
    data = {**LEAD, "form_token": shown_token(personas.brokerage), "website": ""}

    response = client.post(form_url(personas.brokerage), data)

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Client.objects.get().assigned_agent == personas.colleague


def test_the_lead_form_keeps_what_was_typed_on_an_error(client, personas):
    data = {**LEAD, "email": "jamie@", "form_token": shown_token(personas.brokerage)}

    response = client.post(form_url(personas.brokerage), data)

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    page = response.content.decode()
    assert "Is the house on Maple still available?" in page and 'value="jamie@"' in page
    assert not Client.objects.exists()


def test_the_lead_form_refuses_a_bot(client, personas):
    bot = {**LEAD, "form_token": shown_token(personas.brokerage), "website": "buy pills"}
    assert "Thank you" in client.post(form_url(personas.brokerage), bot).content.decode()
    quick = {**LEAD, "form_token": intake_form_token(brokerage=personas.brokerage)}
    response = client.post(form_url(personas.brokerage), quick)
    assert response.status_code == 400 and "too quickly" in response.content.decode()
    assert not Client.objects.exists()


def test_the_lead_form_is_throttled_per_address(client, personas, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"lead_form": "1/hour"},
    }
    first = {**LEAD, "form_token": shown_token(personas.brokerage)}
    second = {**LEAD, "email": "x@example.com", "form_token": shown_token(personas.brokerage)}
    assert client.post(form_url(personas.brokerage), first).status_code == 200
    assert client.post(form_url(personas.brokerage), second).status_code == 429
    assert Client.objects.count() == 1
