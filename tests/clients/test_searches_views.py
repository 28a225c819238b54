"""The saved-search pages, the matches pages and the public unsubscribe page, per persona."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.choices import AlertFrequency
from clients.models import ListingAlert, SavedSearch
from clients.services.alerts import listing_alerts_match, saved_search_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

NOT_THE_CLIENTS_AGENT = ("colleague", "assistant", "viewer", "stranger")


def url(name, *args):
    return reverse(f"clients:{name}", args=args)


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def buyer(personas):
    return make_client(
        personas.agent.user,
        first_name="Dana",
        last_name="Buyer",
        preference={"min_beds": 3, "cities": ["Springfield"], "max_price": Decimal("500000")},
    )


def save(personas, client, actor=None, **criteria):
    return saved_search_create(
        client=client,
        criteria=criteria or {"city": "Springfield"},
        name=f"Homes in {criteria.get('city', 'Springfield')}",
        frequency=AlertFrequency.DAILY,
        actor=actor or personas.agent.user,
    )


@pytest.fixture
def search(personas, buyer):
    return save(personas, buyer)


@pytest.fixture
def listing(personas):
    return make_listing(personas.agent.user, city="Springfield", street_name="Juniper")


def listed(response):
    return {search.pk for search in response.context["object_list"]}


# ---------- list ----------


def test_agent_sees_their_clients_searches_with_waiting_alerts(client_for, search, listing):
    listing_alerts_match()
    response = client_for("agent").get(url("searches"))
    assert response.status_code == 200
    assert listed(response) == {search.pk}
    content = response.content.decode()
    assert "Homes in Springfield" in content and "1 waiting" in content


def test_colleague_cannot_see_another_agents_client_searches(personas, client_for, search):
    theirs = save(personas, make_client(personas.colleague.user), actor=personas.colleague.user)
    assert listed(client_for("colleague").get(url("searches"))) == {theirs.pk}
    assert listed(client_for("broker").get(url("searches"))) == {search.pk, theirs.pk}


@pytest.mark.parametrize("persona", ["assistant", "viewer", "stranger"])
def test_others_see_none_of_the_agents_searches(client_for, search, persona):
    assert listed(client_for(persona).get(url("searches"))) == set()


def test_anonymous_visitor_is_sent_to_login_from_every_page(client_for, search, listing, buyer):
    anonymous = client_for("anonymous")
    for page in (
        url("searches"),
        url("search-create"),
        url("search-edit", search.pk),
        url("listing-buyers", listing.pk),
        url("client-matches", buyer.pk),
    ):
        assert_redirects_to_login(anonymous.get(page))
    assert_redirects_to_login(anonymous.post(url("search-delete", search.pk)))
    assert SavedSearch.objects.filter(pk=search.pk).exists()


def test_the_list_filters_by_client_and_state(personas, client_for, buyer, search):
    other = save(personas, make_client(personas.agent.user), city="Dover")
    SavedSearch.objects.filter(pk=other.pk).update(is_active=False)
    agent = client_for("agent")
    assert listed(agent.get(url("searches"), {"client": buyer.pk})) == {search.pk}
    assert listed(agent.get(url("searches"), {"state": "paused"})) == {other.pk}
    assert listed(agent.get(url("searches"), {"q": "dana"})) == {search.pk}


def test_the_list_page_takes_the_same_queries_whatever_its_length(
    personas, client_for, buyer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = client_for("agent")
    save(personas, buyer)
    with CaptureQueriesContext(connection) as one:
        agent.get(url("searches"))
    for city in ("Dover", "Salem", "Bend", "Taos"):
        save(personas, make_client(personas.agent.user), city=city)
    with django_assert_max_num_queries(len(one)):
        response = agent.get(url("searches"))
    assert len(listed(response)) == 5


def test_an_empty_list_says_what_to_do_next(client_for):
    content = client_for("agent").get(url("searches")).content.decode()
    assert "No saved searches yet" in content
    assert reverse("properties:list") in content


def test_htmx_gets_only_the_results(client_for, search):
    response = client_for("agent").get(url("searches"), HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "clients/includes/savedsearch_results.html"


# ---------- create from the listing page's filters ----------


def test_the_create_page_is_filled_from_the_listing_page_query(client_for, buyer):
    response = client_for("agent").get(
        url("search-create"),
        {"city": "Springfield", "status": ["Active", "Pending"], "min_beds": "3", "sort": "-price"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["city"].value() == "Springfield"
    assert form["status"].value() == ["Active", "Pending"]
    assert list(form.fields["client"].queryset) == [buyer]


def test_the_create_page_says_which_listing_filters_cannot_be_kept(client_for, buyer):
    response = client_for("agent").get(url("search-create"), {"mine": "true", "city": "X"})
    assert "My listings only" in response.content.decode()


def test_agent_saves_a_search_for_their_client(client_for, buyer):
    response = client_for("agent").post(
        url("search-create"),
        {
            "client": buyer.pk,
            "name": "",
            "frequency": "instant",
            "city": "Springfield",
            "status": ["Active"],
            "min_beds": "3",
        },
    )
    search = SavedSearch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{url('searches')}?client={buyer.pk}"
    assert (search.client, search.frequency, search.min_beds) == (buyer, "instant", 3)
    assert search.criteria == {"status": ["Active"], "city": "Springfield", "min_beds": "3"}
    assert search.name == "3+ beds · Springfield · Active"


def test_bad_filters_are_shown_next_to_their_field_and_nothing_is_lost(client_for, buyer):
    response = client_for("agent").post(
        url("search-create"),
        {
            "client": buyer.pk,
            "name": "Too good",
            "frequency": "daily",
            "min_price": "900000",
            "max_price": "100000",
            "city": "Springfield",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["max_price"] == ["Must be at least the minimum."]
    assert form["city"].value() == "Springfield" and form["name"].value() == "Too good"
    assert not SavedSearch.objects.exists()


def test_only_closed_statuses_cannot_send_alerts(client_for, buyer):
    response = client_for("agent").post(
        url("search-create"),
        {"client": buyer.pk, "frequency": "daily", "status": ["Closed"]},
    )
    assert "status" in response.context["form"].errors
    assert not SavedSearch.objects.exists()


@pytest.mark.parametrize("persona", ["colleague", "stranger"])
def test_nobody_saves_a_search_for_a_client_they_cannot_change(client_for, buyer, persona):
    response = client_for(persona).post(
        url("search-create"), {"client": buyer.pk, "frequency": "daily", "city": "X"}
    )
    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert not SavedSearch.objects.exists()


def test_a_viewer_cannot_open_the_create_page(client_for):
    assert client_for("viewer").get(url("search-create")).status_code == 403


# ---------- edit and delete ----------


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_the_clients_agent_and_the_broker_edit_a_search(client_for, search, persona):
    page = client_for(persona).get(url("search-edit", search.pk))
    assert page.status_code == 200
    assert page.context["form"]["city"].value() == "Springfield"
    response = client_for(persona).post(
        url("search-edit", search.pk),
        {"name": "Renamed", "frequency": "weekly", "is_active": "on", "city": "Dover"},
    )
    assert response.status_code == 302
    search.refresh_from_db()
    assert (search.name, search.frequency, search.city) == ("Renamed", "weekly", "DOVER")


@pytest.mark.parametrize("persona", NOT_THE_CLIENTS_AGENT)
def test_others_cannot_edit_or_delete_the_search(client_for, search, persona):
    person = client_for(persona)
    assert person.get(url("search-edit", search.pk)).status_code == 404
    assert person.post(url("search-edit", search.pk), {"name": "X"}).status_code == 404
    assert person.post(url("search-delete", search.pk)).status_code == 404
    search.refresh_from_db()
    assert search.name == "Homes in Springfield"


def test_a_shared_client_may_have_its_searches_changed_by_the_co_agent(
    personas, client_for, search, buyer
):
    from clients.services.people import client_co_agents_set

    client_co_agents_set(client=buyer, agents=[personas.colleague])
    response = client_for("colleague").post(url("search-delete", search.pk))
    assert response.status_code == 302
    assert not SavedSearch.objects.exists()


def test_the_edit_page_lists_recent_alerts(client_for, search, listing):
    listing_alerts_match()
    content = client_for("agent").get(url("search-edit", search.pk)).content.decode()
    assert "Juniper" in content and "Waiting" in content


def test_agent_deletes_a_search(client_for, search, buyer):
    response = client_for("agent").post(url("search-delete", search.pk))
    assert response.status_code == 302
    assert not SavedSearch.objects.exists()
    assert buyer.activities.filter(subject="Saved search removed: Homes in Springfield").exists()
    assert client_for("agent").get(url("search-delete", search.pk)).status_code == 405


# ---------- unsubscribe (public) ----------


def test_the_unsubscribe_link_works_without_signing_in(client_for, search, buyer):
    anonymous = client_for("anonymous")
    page = anonymous.get(url("unsubscribe", search.unsubscribe_token))
    assert page.status_code == 200
    assert "Stop these listing alerts?" in page.content.decode()
    done = anonymous.post(url("unsubscribe", search.unsubscribe_token))
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    search.refresh_from_db()
    assert search.unsubscribed_at is not None
    again = anonymous.get(url("unsubscribe", search.unsubscribe_token))
    assert "You are unsubscribed" in again.content.decode()
    assert anonymous.post(url("unsubscribe", search.unsubscribe_token)).status_code == 200
    assert buyer.activities.filter(subject__startswith="Unsubscribed from").count() == 1


def test_a_one_click_unsubscribe_needs_no_csrf_token(search):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        url("unsubscribe", search.unsubscribe_token), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    search.refresh_from_db()
    assert search.unsubscribed_at is not None


def test_an_unknown_unsubscribe_token_is_not_found(client_for):
    assert client_for("anonymous").get(url("unsubscribe", uuid.uuid4())).status_code == 404
    assert client_for("anonymous").post(url("unsubscribe", uuid.uuid4())).status_code == 404


# ---------- matches ----------


def test_matching_buyers_of_a_listing(client_for, buyer, listing):
    response = client_for("agent").get(url("listing-buyers", listing.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Dana Buyer" in content and "3 beds (wants 3+)" in content
    partial = client_for("agent").get(url("listing-buyers", listing.pk), HTTP_HX_REQUEST="true")
    assert [t.name for t in partial.templates][0] == "clients/listing_buyers_partial.html"


def test_a_colleague_sees_the_listing_but_not_the_agents_buyers(client_for, buyer, listing):
    response = client_for("colleague").get(url("listing-buyers", listing.pk))
    assert response.status_code == 200
    assert response.context["buyers"] == []
    assert "Dana Buyer" not in response.content.decode()


def test_a_stranger_cannot_see_a_listings_buyers(client_for, buyer, listing):
    assert client_for("stranger").get(url("listing-buyers", listing.pk)).status_code == 404


def test_a_clients_matches(client_for, buyer, listing):
    response = client_for("agent").get(url("client-matches", buyer.pk))
    assert response.status_code == 200
    assert [m.listing for m in response.context["matches"]] == [listing]
    assert "Juniper" in response.content.decode()


@pytest.mark.parametrize("persona", NOT_THE_CLIENTS_AGENT)
def test_others_cannot_see_a_clients_matches(client_for, buyer, listing, persona):
    assert client_for(persona).get(url("client-matches", buyer.pk)).status_code == 404


def test_no_alert_changes_hands_through_the_pages(client_for, search, listing):
    listing_alerts_match()
    client_for("stranger").post(url("search-delete", search.pk))
    assert ListingAlert.objects.filter(saved_search=search).count() == 1
