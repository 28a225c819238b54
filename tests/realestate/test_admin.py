from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.choices import Role
from agents.models import Agent
from properties.models import PriceChange
from tests.testing.factories import make_agent, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(personas):
    return {
        "own": make_listing(personas.agent.user, street_name="Birch"),
        "other": make_listing(personas.stranger.user, street_name="Harborview"),
    }


def test_a_broker_sees_only_their_brokerage_in_the_back_office(client_for, listings):
    response = client_for("broker").get(reverse("admin:properties_property_changelist"))
    assert response.status_code == 200
    assert "Birch" in response.content.decode()
    assert "Harborview" not in response.content.decode()


def test_a_broker_cannot_open_another_brokerages_listing(client_for, listings):
    url = reverse("admin:properties_property_change", args=[listings["other"].pk])
    response = client_for("broker").get(url)
    assert response.status_code == 302  # the admin says the object does not exist
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize("persona", ["agent", "assistant", "viewer", "stranger"])
def test_people_who_are_not_brokers_have_no_back_office(client_for, persona, listings):
    response = client_for(persona).get(reverse("admin:properties_property_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_a_price_changed_in_the_back_office_goes_through_the_service(client_for, listings):
    listing = listings["own"]
    client = client_for("broker")
    url = reverse("admin:properties_property_change", args=[listing.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["list_price"] = "299000.00"
    for name in ("list_agent", "list_office"):
        data[name] = getattr(listing, f"{name}_id") or ""
    for prefix in ("media", "pricechanges", "statuschanges"):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = 0
    for name in ("heating", "cooling", "view", "interior_features", "exterior_features"):
        data[name] = "[]"
    data["appliances"] = "[]"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = PriceChange.objects.filter(property=listing).first()
    assert change.new_price == Decimal("299000.00")
    assert change.changed_by.username == "bruno"
    entry = LogEntry.objects.get_for_object(listing).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor.username == "bruno"
    assert "list_price" in entry.changes_dict


def test_a_broker_adds_an_agent_with_a_role(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:agents_agent_add"),
        {
            "username": "newbie",
            "first_name": "Nora",
            "last_name": "Newbie",
            "email": "nora@example.com",
            "role": Role.ASSISTANT,
            "office": personas.office.pk,
            "is_active": "on",
            "market_areas": "[]",
            "specialties": "[]",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent = Agent.objects.get(user__username="newbie")
    assert agent.brokerage == personas.brokerage
    assert list(agent.user.groups.values_list("name", flat=True)) == ["Assistant"]
    assert not agent.user.is_staff


def test_making_an_agent_a_broker_opens_the_back_office_to_them(client_for, personas):
    client_for("broker").post(
        reverse("admin:agents_agent_changelist"),
        {"action": "make_broker", "_selected_action": [personas.colleague.pk]},
    )
    personas.colleague.user.refresh_from_db()
    assert personas.colleague.user.is_staff
    assert client_for("colleague").get(reverse("admin:index")).status_code == 200


def test_the_agent_list_in_the_back_office_has_a_constant_query_count(client_for, personas):
    client = client_for("broker")
    url = reverse("admin:agents_agent_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        make_agent(personas.brokerage)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
