"""The saved-search API and the matches endpoints, per persona."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.choices import AlertFrequency
from clients.models import SavedSearch
from clients.services.alerts import saved_search_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

SEARCHES = "/api/v1/saved-searches/"
NOT_THE_CLIENTS_AGENT = ("colleague", "assistant", "viewer", "stranger")


def search_url(search):
    return f"{SEARCHES}{search.pk}/"


@pytest.fixture
def buyer(personas):
    return make_client(
        personas.agent.user,
        first_name="Dana",
        last_name="Buyer",
        preference={"min_beds": 3, "max_price": Decimal("500000")},
    )


def save(personas, client, actor=None, city="Springfield"):
    return saved_search_create(
        client=client,
        criteria={"city": city},
        name=f"Homes in {city}",
        frequency=AlertFrequency.DAILY,
        actor=actor or personas.agent.user,
    )


@pytest.fixture
def search(personas, buyer):
    return save(personas, buyer)


@pytest.fixture
def listing(personas):
    return make_listing(personas.agent.user, city="Springfield", street_name="Juniper")


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# ---------- saved searches ----------


def test_agent_lists_their_clients_searches(api_for, search):
    response = api_for("agent").get(SEARCHES)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == search.pk
    assert row["criteria"] == {"city": "Springfield"}
    assert row["summary"] == "Springfield"
    assert row["listings_query"] == "city=Springfield"
    assert row["frequency_label"] == "Daily digest"
    assert row["pending_count"] == 0


def test_colleague_cannot_see_another_agents_client_searches(personas, api_for, search):
    theirs = save(personas, make_client(personas.colleague.user), actor=personas.colleague.user)
    assert ids(api_for("colleague").get(SEARCHES)) == {theirs.pk}
    assert ids(api_for("broker").get(SEARCHES)) == {search.pk, theirs.pk}


@pytest.mark.parametrize("persona", NOT_THE_CLIENTS_AGENT)
def test_others_cannot_read_change_or_delete_the_search(api_for, search, persona):
    api = api_for(persona)
    assert search.pk not in ids(api.get(SEARCHES))
    assert api.get(search_url(search)).status_code == 404
    assert api.patch(search_url(search), {"name": "X"}).status_code == 404
    assert api.delete(search_url(search)).status_code == 404
    search.refresh_from_db()
    assert search.name == "Homes in Springfield"


def test_anonymous_gets_401_everywhere(api_for, search, buyer, listing):
    api = api_for("anonymous")
    for response in (
        api.get(SEARCHES),
        api.post(SEARCHES, {"client": buyer.pk}),
        api.get(search_url(search)),
        api.patch(search_url(search), {"name": "X"}),
        api.delete(search_url(search)),
        api.get(f"/api/v1/clients/{buyer.pk}/matches/"),
        api.get(f"/api/v1/properties/{listing.pk}/buyers/"),
    ):
        assert response.status_code == 401
    assert SavedSearch.objects.count() == 1


def test_agent_saves_a_search_with_the_listing_filters(api_for, buyer):
    response = api_for("agent").post(
        SEARCHES,
        {
            "client": buyer.pk,
            "criteria": {"city": "Springfield", "min_beds": 3, "status": ["Active"]},
            "frequency": "instant",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "3+ beds · Springfield · Active"
    assert body["criteria"] == {"city": "Springfield", "min_beds": "3", "status": ["Active"]}
    search = SavedSearch.objects.get()
    assert (search.client, search.frequency, search.min_beds) == (buyer, "instant", 3)


def test_bad_filters_are_answered_under_criteria(api_for, buyer):
    response = api_for("agent").post(
        SEARCHES,
        {"client": buyer.pk, "criteria": {"min_price": "lots", "mine": True, "colour": "red"}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["criteria"]) == {"min_price", "mine", "colour"}
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize("persona", ["colleague", "stranger"])
def test_nobody_saves_a_search_for_a_client_they_cannot_see(api_for, buyer, persona):
    response = api_for(persona).post(SEARCHES, {"client": buyer.pk}, format="json")
    assert response.status_code == 400
    assert "client" in response.json()
    assert not SavedSearch.objects.exists()


def test_a_viewer_cannot_save_searches(personas, api_for):
    client = make_client(personas.agent.user, co_agents=[personas.viewer])
    response = api_for("viewer").post(SEARCHES, {"client": client.pk}, format="json")
    assert response.status_code == 403
    assert not SavedSearch.objects.exists()


def test_agent_changes_and_removes_a_search(api_for, search):
    api = api_for("agent")
    response = api.patch(
        search_url(search),
        {"frequency": "weekly", "criteria": {"city": "Dover"}, "is_active": False},
        format="json",
    )
    assert response.status_code == 200, response.json()
    search.refresh_from_db()
    assert (search.frequency, search.city, search.is_active) == ("weekly", "DOVER", False)
    assert api.delete(search_url(search)).status_code == 204
    assert not SavedSearch.objects.exists()


def test_a_search_stays_with_its_client(personas, api_for, search):
    other = make_client(personas.agent.user)
    response = api_for("agent").patch(search_url(search), {"client": other.pk}, format="json")
    assert response.status_code == 400
    search.refresh_from_db()
    assert search.client_id != other.pk


def test_the_list_takes_the_same_queries_whatever_its_length(personas, api_for, buyer):
    api = api_for("agent")
    save(personas, buyer)
    with CaptureQueriesContext(connection) as one:
        api.get(SEARCHES)
    for city in ("Dover", "Salem", "Bend", "Taos"):
        save(personas, make_client(personas.agent.user), city=city)
    with CaptureQueriesContext(connection) as five:
        response = api.get(SEARCHES)
    assert len(response.json()["results"]) == 5
    assert len(five) == len(one)


# ---------- matches ----------


def test_a_clients_matches_with_score_and_reasons(api_for, buyer, listing):
    response = api_for("agent").get(f"/api/v1/clients/{buyer.pk}/matches/")
    assert response.status_code == 200
    [match] = response.json()
    assert match["listing"]["id"] == listing.pk
    assert match["listing"]["address_line"].startswith(listing.street_address)
    assert 0 <= match["score"] <= 100
    assert "3 beds (wants 3+)" in match["reasons"]


def test_the_matches_limit_is_bounded(api_for, buyer, listing):
    api = api_for("agent")
    assert api.get(f"/api/v1/clients/{buyer.pk}/matches/", {"limit": 0}).status_code == 200
    assert api.get(f"/api/v1/clients/{buyer.pk}/matches/", {"limit": "x"}).status_code == 400


@pytest.mark.parametrize("persona", NOT_THE_CLIENTS_AGENT)
def test_others_cannot_see_a_clients_matches(api_for, buyer, listing, persona):
    assert api_for(persona).get(f"/api/v1/clients/{buyer.pk}/matches/").status_code == 404


def test_a_listings_buyers(api_for, buyer, listing):
    response = api_for("agent").get(f"/api/v1/properties/{listing.pk}/buyers/")
    assert response.status_code == 200
    [row] = response.json()
    assert row["client"]["id"] == buyer.pk
    assert row["client"]["name"] == "Dana Buyer"
    assert "Price $350,000 under $500,000" in row["reasons"]


def test_a_colleague_gets_none_of_the_agents_buyers(api_for, buyer, listing):
    response = api_for("colleague").get(f"/api/v1/properties/{listing.pk}/buyers/")
    assert response.status_code == 200
    assert response.json() == []


def test_a_stranger_cannot_see_a_listings_buyers(api_for, buyer, listing):
    assert api_for("stranger").get(f"/api/v1/properties/{listing.pk}/buyers/").status_code == 404
