import pytest
from rest_framework.test import APIClient

from agents.choices import Role
from agents.services.people import team_create
from tests.testing.factories import make_agent, make_office

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/agents/"
ME_URL = "/api/v1/me/"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")


def detail_url(agent):
    return f"/api/v1/agents/{agent.pk}/"


def ids(response):
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


def test_anonymous_gets_401_from_the_agent_endpoints(api_for, personas):
    client = api_for("anonymous")
    assert client.get(LIST_URL).status_code == 401
    assert client.get(detail_url(personas.agent)).status_code == 401
    assert client.get(ME_URL).status_code == 401


@pytest.mark.parametrize("persona", BROKERAGE_A)
def test_everyone_in_the_brokerage_sees_its_agents_and_no_others(api_for, personas, persona):
    client = api_for(persona)
    assert ids(client.get(LIST_URL)) == {getattr(personas, name).pk for name in BROKERAGE_A}
    assert client.get(detail_url(personas.colleague)).status_code == 200


def test_stranger_sees_only_their_brokerages_agents(api_for, personas):
    client = api_for("stranger")
    assert ids(client.get(LIST_URL)) == {personas.stranger.pk}
    assert client.get(detail_url(personas.agent)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_agents_are_read_only_through_the_api(api_for, personas, method):
    client = api_for("broker")
    url = LIST_URL if method == "post" else detail_url(personas.agent)
    response = getattr(client, method)(url, {"phone": "555-0100"})
    assert response.status_code == 405
    personas.agent.refresh_from_db()
    assert personas.agent.phone == ""


def test_agent_detail_shows_contact_office_team_licence_and_market(api_for, personas):
    team = team_create(brokerage=personas.brokerage, name="Lakeside", office=personas.office)
    agent = make_agent(
        personas.brokerage,
        office=personas.office,
        team=team,
        first_name="Dana",
        last_name="Reyes",
        phone="555-0123",
        license_number="S.0012345",
        license_state="IL",
        license_expires="2027-06-30",
        market_areas=["Springfield", "62704"],
        specialties=["buyers", "luxury"],
    )
    data = api_for("viewer").get(detail_url(agent)).data
    assert data == {
        "id": agent.pk,
        "name": "Dana Reyes",
        "email": agent.user.email,
        "phone": "555-0123",
        "office": {"id": personas.office.pk, "name": "Downtown"},
        "team": {"id": team.pk, "name": "Lakeside"},
        "mls_agent_id": "",
        "license_number": "S.0012345",
        "license_state": "IL",
        "license_expires": "2027-06-30",
        "market_areas": ["Springfield", "62704"],
        "specialties": ["buyers", "luxury"],
        "bio": "",
        "is_active": True,
    }


def test_agent_list_filters_by_office_team_and_name(api_for, personas):
    north = make_office(personas.brokerage, "North")
    team = team_create(brokerage=personas.brokerage, name="Lakeside")
    dana = make_agent(personas.brokerage, office=north, team=team, first_name="Dana")
    client = api_for("agent")
    assert ids(client.get(LIST_URL, {"office": north.pk})) == {dana.pk}
    assert ids(client.get(LIST_URL, {"team": team.pk})) == {dana.pk}
    assert ids(client.get(LIST_URL, {"q": "dana"})) == {dana.pk}
    assert ids(client.get(LIST_URL, {"q": "nobody"})) == set()


def test_agent_list_refuses_another_brokerages_office_as_a_filter(api_for, personas):
    theirs = make_office(personas.other_brokerage, "Harbor Main")
    response = api_for("agent").get(LIST_URL, {"office": theirs.pk})
    assert response.status_code == 400
    assert "office" in response.data


def test_agent_list_query_count_does_not_grow_with_agents(
    personas, django_user_model, django_assert_num_queries
):
    team = team_create(brokerage=personas.brokerage, name="Lakeside")

    def fresh_client():
        # A user loaded afresh, as on every real request, so their role is looked up again.
        client = APIClient()
        client.force_authenticate(django_user_model.objects.get(pk=personas.agent.user.pk))
        return client

    # the caller's agent profile with role, the count, the page of agents with their
    # user, office, team and brokerage
    client = fresh_client()
    with django_assert_num_queries(3):
        assert len(client.get(LIST_URL).data["results"]) == 5
    for _ in range(25):
        make_agent(personas.brokerage, office=personas.office, team=team)
    client = fresh_client()
    with django_assert_num_queries(3):
        assert len(client.get(LIST_URL, {"page_size": 30}).data["results"]) == 30


@pytest.mark.parametrize("persona", [*BROKERAGE_A, "stranger"])
def test_me_describes_the_signed_in_person(api_for, personas, persona):
    agent = getattr(personas, persona)
    data = api_for(persona).get(ME_URL).data
    assert data["id"] == agent.user.pk
    assert data["username"] == agent.user.username
    assert data["name"] == agent.name
    assert data["email"] == agent.user.email
    assert data["agent"]["id"] == agent.pk
    assert data["brokerage"] == {
        "id": agent.brokerage.pk,
        "name": agent.brokerage.name,
        "slug": agent.brokerage.slug,
    }


def test_me_gives_the_role(api_for):
    assert api_for("broker").get(ME_URL).data["role"] == Role.BROKER
    assert api_for("viewer").get(ME_URL).data["role_label"] == "Viewer"


def test_me_for_a_user_without_an_agent_profile_has_no_brokerage(django_user_model):
    loner = django_user_model.objects.create(username="loner", email="loner@example.com")
    client = APIClient()
    client.force_authenticate(loner)
    data = client.get(ME_URL).data
    assert data["username"] == "loner"
    assert (data["agent"], data["brokerage"], data["role"]) == (None, None, None)
