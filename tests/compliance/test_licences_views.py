"""Licence pages, admin and API for each persona: agents see their own, brokers the firm's."""

import pytest
from django.urls import reverse

from compliance.models import Licence
from tests.compliance.licences import make_licence

pytestmark = pytest.mark.django_db

LIST = reverse("compliance:licence-list")
API = "/api/v1/compliance/licences/"


@pytest.fixture
def licences(personas):
    return {
        "agent": make_licence(personas.agent, days_left=40, number="A-1", ce_hours_required=12),
        "colleague": make_licence(personas.colleague, days_left=-2, number="C-1"),
        "stranger": make_licence(personas.stranger, days_left=300, number="S-1"),
    }


def listed(response):
    return {licence.number for licence in response.context["object_list"]}


def test_an_agent_sees_only_their_own_licence_with_ce_progress(client_for, licences):
    response = client_for("agent").get(LIST)
    assert response.status_code == 200
    assert listed(response) == {"A-1"}
    assert "0.0 / 12.0" in response.content.decode()


def test_the_broker_sees_every_licence_of_the_brokerage_with_expiry_filters(client_for, licences):
    browser = client_for("broker")
    assert listed(browser.get(LIST)) == {"A-1", "C-1"}
    assert listed(browser.get(LIST, {"expiry": "lapsed"})) == {"C-1"}
    assert listed(browser.get(LIST, {"expiry": "60"})) == {"A-1"}
    assert listed(browser.get(LIST, {"expiry": "30"})) == set()
    assert listed(browser.get(LIST, {"q": "c-1"})) == {"C-1"}


@pytest.mark.parametrize("persona", ["colleague", "assistant", "viewer", "stranger"])
def test_others_see_none_of_the_agents_licences(client_for, licences, persona):
    browser = client_for(persona)
    assert "A-1" not in listed(browser.get(LIST))
    assert browser.get(licences["agent"].get_absolute_url()).status_code == 404


def test_anonymous_is_sent_to_login(client_for, licences):
    for address in (LIST, licences["agent"].get_absolute_url()):
        response = client_for("anonymous").get(address)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_detail_page_shows_a_lapsed_licence(client_for, licences):
    response = client_for("broker").get(licences["colleague"].get_absolute_url())
    assert response.status_code == 200
    assert "Lapsed" in response.content.decode()


def test_the_list_costs_the_same_queries_for_more_licences(
    client_for, personas, django_assert_num_queries
):
    make_licence(personas.agent)
    browser = client_for("broker")
    browser.get(LIST)
    with django_assert_num_queries(6):
        browser.get(LIST)
    for agent in (personas.colleague, personas.assistant, personas.broker):
        make_licence(agent)
    with django_assert_num_queries(6):
        browser.get(LIST)


# ---------- API ----------


def test_api_lists_what_each_persona_may_see(api_for, licences):
    def numbers(name):
        return {row["number"] for row in api_for(name).get(API).json()["results"]}

    assert numbers("agent") == {"A-1"}
    assert numbers("broker") == {"A-1", "C-1"}
    assert numbers("colleague") == {"C-1"}
    assert numbers("stranger") == {"S-1"}
    assert api_for("anonymous").get(API).status_code in (401, 403)


def test_api_detail_says_whether_a_licence_has_lapsed(api_for, licences):
    body = api_for("broker").get(f"{API}{licences['colleague'].pk}/").json()
    assert body["is_lapsed"] is True and body["status_label"] == "Active"
    assert api_for("stranger").get(f"{API}{licences['agent'].pk}/").status_code == 404


def test_a_broker_records_and_renews_a_licence_through_the_api(api_for, personas):
    api = api_for("broker")
    created = api.post(
        API,
        {"agent": personas.agent.pk, "number": "IL-77", "state": "il", "expires_on": "2030-01-31"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["state"] == "IL"
    pk = created.json()["id"]
    renewed = api.patch(f"{API}{pk}/", {"expires_on": "2032-01-31"}, format="json")
    assert renewed.status_code == 200
    assert str(Licence.objects.get(pk=pk).expires_on) == "2032-01-31"


def test_api_refuses_a_bad_state_code_with_a_field_error(api_for, personas):
    response = api_for("broker").post(
        API,
        {"agent": personas.agent.pk, "number": "X", "state": "ZZ", "expires_on": "2030-01-31"},
        format="json",
    )
    assert response.status_code == 400
    assert "state" in response.json()


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant"])
def test_agents_cannot_record_or_change_licences(api_for, personas, licences, persona):
    api = api_for(persona)
    created = api.post(
        API,
        {"agent": personas.agent.pk, "number": "Z-9", "state": "IL", "expires_on": "2030-01-31"},
        format="json",
    )
    assert created.status_code == 403
    changed = api.patch(
        f"{API}{licences['agent'].pk}/", {"expires_on": "2040-01-01"}, format="json"
    )
    assert changed.status_code in (403, 404)
    assert not Licence.objects.filter(number="Z-9").exists()
    licences["agent"].refresh_from_db()
    assert licences["agent"].expires_on.year != 2040


def test_a_stranger_cannot_give_an_agent_of_another_brokerage_a_licence(api_for, personas):
    response = api_for("stranger").post(
        API,
        {"agent": personas.agent.pk, "number": "Z-1", "state": "IL", "expires_on": "2030-01-31"},
        format="json",
    )
    assert response.status_code in (400, 403)
    assert not Licence.objects.exists()


def test_the_api_list_costs_the_same_queries_for_more_licences(
    api_for, personas, django_assert_num_queries
):
    make_licence(personas.agent)
    api = api_for("broker")
    api.get(API)
    with django_assert_num_queries(2):
        api.get(API)
    for agent in (personas.colleague, personas.assistant, personas.broker):
        make_licence(agent)
    with django_assert_num_queries(2):
        api.get(API)


# ---------- admin ----------


def test_the_broker_adds_a_licence_in_the_admin_and_sees_only_their_agents(
    client_for, personas, licences
):
    browser = client_for("broker")
    changelist = browser.get(reverse("admin:compliance_licence_changelist"))
    assert changelist.status_code == 200
    assert "A-1" in changelist.content.decode() and "S-1" not in changelist.content.decode()
    response = browser.post(
        reverse("admin:compliance_licence_add"),
        {
            "agent": personas.colleague.pk,
            "number": "C-2",
            "state": "IL",
            "licence_type": "salesperson",
            "expires_on": "2031-05-01",
            "status": "active",
            "ce_hours_required": "12",
            "ce_hours_completed": "4",
            "alerts-TOTAL_FORMS": "0",
            "alerts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Licence.objects.get(number="C-2").agent == personas.colleague
    stranger_licence = browser.get(
        reverse("admin:compliance_licence_change", args=[licences["stranger"].pk])
    )
    assert stranger_licence.status_code in (302, 404)
