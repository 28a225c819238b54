"""The shared pond page and claiming a lead, on the pages and in the API, for every persona."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.choices import RoutingOutcome
from clients.models import Client
from clients.services.routing import lead_route
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db

POND = reverse("clients:pond")
MEMBERS = ("agent", "colleague", "assistant", "viewer", "broker")


def make_pond_lead(brokerage, name="Pat"):
    lead = Client.objects.create(
        brokerage=brokerage, first_name=name, email=f"{name.lower()}@example.com"
    )
    lead_route(client=lead)  # no rule: the pond
    return lead


@pytest.fixture
def pond_lead(personas):
    return make_pond_lead(personas.brokerage)


@pytest.fixture
def stranger_pond_lead(personas):
    return make_pond_lead(personas.other_brokerage, name="Harborlead")


def claim_url(lead):
    return reverse("clients:claim", args=[lead.pk])


def api_claim_url(lead):
    return reverse("lead-claim", args=[lead.pk])


# ---------- the pond page ----------


@pytest.mark.parametrize("persona", MEMBERS)
def test_every_member_sees_the_brokerages_pond(client_for, pond_lead, stranger_pond_lead, persona):
    mine = make_client(pond_lead.brokerage.agents.get(user__username="alice").user)

    response = client_for(persona).get(POND)

    assert response.status_code == 200
    assert [lead.pk for lead in response.context["object_list"]] == [pond_lead.pk]
    page = response.content.decode()
    assert "No active routing rule takes this lead" in page
    assert "Harborlead" not in page and mine.name not in page
    assert ("Claim</button>" in page) == (persona != "viewer")


def test_the_stranger_sees_only_their_own_pond(client_for, pond_lead, stranger_pond_lead):
    response = client_for("stranger").get(POND)
    assert [lead.pk for lead in response.context["object_list"]] == [stranger_pond_lead.pk]


def test_the_pond_page_sends_the_anonymous_visitor_to_sign_in(client_for):
    response = client_for("anonymous").get(POND)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_empty_pond_says_what_happens_next(client_for, personas):
    response = client_for("agent").get(POND)
    assert "The pond is empty" in response.content.decode()


def test_the_pond_page_has_a_constant_query_count(client_for, personas):
    client = client_for("agent")
    make_pond_lead(personas.brokerage, "First")
    client.get(POND)
    with CaptureQueriesContext(connection) as few:
        client.get(POND)
    for n in range(10):
        make_pond_lead(personas.brokerage, f"Lead{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(POND)
    assert len(many) == len(few)


# ---------- claiming on the pages ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "broker"])
def test_a_member_who_may_write_claims_a_pond_lead(client_for, personas, pond_lead, persona):
    response = client_for(persona).post(claim_url(pond_lead))

    assert response.status_code == 302
    assert response.url == pond_lead.get_absolute_url()
    pond_lead.refresh_from_db()
    assert pond_lead.assigned_agent == getattr(personas, persona)
    assert not pond_lead.in_pond


def test_a_viewer_cannot_claim(client_for, pond_lead):
    assert client_for("viewer").post(claim_url(pond_lead)).status_code == 403
    pond_lead.refresh_from_db()
    assert pond_lead.in_pond


def test_another_brokerage_gets_not_found(client_for, pond_lead):
    assert client_for("stranger").post(claim_url(pond_lead)).status_code == 404
    pond_lead.refresh_from_db()
    assert pond_lead.in_pond


def test_the_anonymous_visitor_cannot_claim(client_for, pond_lead):
    response = client_for("anonymous").post(claim_url(pond_lead))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    pond_lead.refresh_from_db()
    assert pond_lead.in_pond


def test_a_colleagues_claimed_lead_is_not_found_nor_taken(client_for, personas):
    theirs = make_client(personas.colleague.user)
    assert client_for("agent").post(claim_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.assigned_agent == personas.colleague


def test_a_lead_claimed_meanwhile_is_gone_from_the_pond(client_for, personas, pond_lead):
    client_for("colleague").post(claim_url(pond_lead))

    # An agent no longer sees it; the broker, who sees it, is told who was first.
    assert client_for("agent").post(claim_url(pond_lead)).status_code == 404
    response = client_for("broker").post(claim_url(pond_lead), {"next": POND}, follow=True)
    assert "another agent has it" in response.content.decode()
    pond_lead.refresh_from_db()
    assert pond_lead.assigned_agent == personas.colleague


def test_claiming_only_accepts_post(client_for, pond_lead):
    assert client_for("agent").get(claim_url(pond_lead)).status_code == 405


# ---------- claiming in the API ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "broker"])
def test_the_api_claims_a_pond_lead(api_for, personas, pond_lead, persona):
    response = api_for(persona).post(api_claim_url(pond_lead))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assigned_agent"] == getattr(personas, persona).pk
    assert body["reason"].endswith("claimed the lead from the shared pond")
    assert pond_lead.routing_decisions.filter(outcome=RoutingOutcome.CLAIMED).exists()


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("stranger", 404)])
def test_the_api_refuses_viewers_and_strangers(api_for, pond_lead, persona, status):
    assert api_for(persona).post(api_claim_url(pond_lead)).status_code == status
    pond_lead.refresh_from_db()
    assert pond_lead.in_pond


def test_the_api_asks_the_anonymous_caller_to_sign_in(api_for, pond_lead):
    assert api_for("anonymous").post(api_claim_url(pond_lead)).status_code == 401


def test_the_api_says_when_a_lead_was_claimed_first(api_for, personas, pond_lead):
    api_for("colleague").post(api_claim_url(pond_lead))
    response = api_for("broker").post(api_claim_url(pond_lead))
    assert response.status_code == 400
    assert "another agent has it" in response.json()["non_field_errors"][0]
