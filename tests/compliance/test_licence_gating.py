"""An agent whose licence has lapsed gets no new clients, listings or deals, in every path."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.choices import RoutingMethod, RoutingOutcome
from clients.models import Client, RoutingRule
from clients.services.people import client_create, client_update
from clients.services.routing import clients_reassign, lead_claim, lead_route
from compliance.services.licences import agents_with_lapsed_licence, licence_assert_active
from properties.models import Property
from properties.services import listing_create, listing_update
from tests.clients.test_people_views import client_form_data
from tests.compliance.licences import lapse, make_licence
from tests.testing.factories import listing_data, make_client, make_listing
from tests.transactions.factories import make_deal
from transactions.models import Transaction
from transactions.services.deals import deal_create, deal_update

pytestmark = pytest.mark.django_db

LAPSED = "licence has lapsed"
FEATURE_FIELDS = (
    "heating",
    "cooling",
    "view",
    "interior_features",
    "exterior_features",
    "appliances",
)


def field_error(exc, field):
    return " ".join(exc.value.message_dict[field])


def test_an_agent_with_no_licence_on_file_is_not_held_back(personas):
    assert agents_with_lapsed_licence(agent_ids=[personas.agent.pk]) == set()
    licence_assert_active(agent=personas.agent)


def test_an_expired_or_suspended_licence_is_lapsed_but_one_good_licence_is_enough(personas):
    make_licence(personas.agent, days_left=-1)
    make_licence(personas.colleague, days_left=200, status="suspended")
    make_licence(personas.broker, days_left=-30)
    make_licence(personas.broker, days_left=30, state="WI")
    make_licence(personas.assistant, days_left=0)  # expires today: still good today

    lapsed = agents_with_lapsed_licence(
        agent_ids=[a.pk for a in (personas.agent, personas.colleague, personas.broker)]
        + [personas.assistant.pk]
    )

    assert lapsed == {personas.agent.pk, personas.colleague.pk}


def test_the_error_names_the_agent_and_says_what_to_do(personas):
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        licence_assert_active(agent=personas.agent, field="assigned_agent")
    message = field_error(exc, "assigned_agent")
    assert personas.agent.name in message and "renew it" in message


# ---------- clients ----------


def test_a_lapsed_agent_cannot_add_a_client(personas):
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        make_client(personas.agent.user, first_name="Nina")
    assert LAPSED in field_error(exc, "assigned_agent")
    assert not Client.objects.filter(first_name="Nina").exists()


def test_a_broker_cannot_assign_a_new_client_to_a_lapsed_agent(personas):
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        client_create(
            data={"first_name": "Nina", "assigned_agent": personas.agent},
            actor=personas.broker.user,
        )
    assert LAPSED in field_error(exc, "assigned_agent")
    assert not Client.objects.filter(first_name="Nina").exists()


def test_a_broker_cannot_reassign_a_client_to_a_lapsed_agent(personas):
    client = make_client(personas.colleague.user)
    lapse(personas.agent)
    with pytest.raises(ValidationError):
        client_update(
            client=client, data={"assigned_agent": personas.agent}, actor=personas.broker.user
        )
    with pytest.raises(ValidationError):
        clients_reassign(clients=[client], agent=personas.agent, actor=personas.broker.user)
    client.refresh_from_db()
    assert client.assigned_agent == personas.colleague


def test_a_lapsed_agent_keeps_working_their_existing_clients(personas):
    client = make_client(personas.agent.user)
    lapse(personas.agent)
    client_update(client=client, data={"stage": "active"}, actor=personas.agent.user)
    client.refresh_from_db()
    assert client.stage == "active"


def test_a_lapsed_agent_cannot_claim_a_lead_from_the_pond(personas):
    lead = Client.objects.create(brokerage=personas.brokerage, first_name="Lead", in_pond=True)
    lapse(personas.agent)
    with pytest.raises(ValidationError):
        lead_claim(client=lead, actor=personas.agent.user)
    lead.refresh_from_db()
    assert lead.in_pond and lead.assigned_agent is None


def test_lead_routing_skips_a_lapsed_agent_instead_of_failing(personas):
    rule = RoutingRule.objects.create(
        brokerage=personas.brokerage, name="Web", method=RoutingMethod.ROUND_ROBIN
    )
    rule.agents.set([personas.agent, personas.colleague])
    lapse(personas.agent)

    decisions = [
        lead_route(client=Client.objects.create(brokerage=personas.brokerage, first_name="L"))
        for _ in range(3)
    ]

    assert [d.agent for d in decisions] == [personas.colleague] * 3


def test_a_lead_goes_to_the_pond_when_every_agent_of_the_rule_has_lapsed(personas):
    rule = RoutingRule.objects.create(
        brokerage=personas.brokerage, name="Web", method=RoutingMethod.ROUND_ROBIN
    )
    rule.agents.set([personas.agent])
    lapse(personas.agent)

    decision = lead_route(client=Client.objects.create(brokerage=personas.brokerage))

    assert decision.outcome == RoutingOutcome.POND


# ---------- listings ----------


def test_a_lapsed_agent_cannot_add_a_listing(personas):
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        make_listing(personas.agent.user, street_name="Lapsed")
    assert LAPSED in field_error(exc, "list_agent")
    assert not Property.objects.filter(street_name="Lapsed").exists()


def test_a_listing_cannot_be_handed_to_a_lapsed_agent(personas):
    listing = make_listing(personas.broker.user, list_agent=personas.colleague)
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        listing_update(
            listing=listing, data={"list_agent": personas.agent}, actor=personas.broker.user
        )
    assert LAPSED in field_error(exc, "list_agent")
    with pytest.raises(ValidationError):
        listing_create(data=listing_data(list_agent=personas.agent), actor=personas.broker.user)


def test_a_lapsed_agents_existing_listing_can_still_be_edited(personas):
    listing = make_listing(personas.agent.user)
    lapse(personas.agent)
    listing_update(listing=listing, data={"public_remarks": "New roof."}, actor=personas.agent.user)
    listing.refresh_from_db()
    assert listing.public_remarks == "New roof."


# ---------- deals ----------


def test_a_lapsed_agent_cannot_open_a_deal(personas):
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        make_deal(personas.agent.user, name="Blocked")
    assert LAPSED in field_error(exc, "agent")
    assert not Transaction.objects.filter(name="Blocked").exists()


def test_a_deal_cannot_be_handed_to_a_lapsed_agent(personas):
    deal = make_deal(personas.broker.user, agent=personas.colleague)
    lapse(personas.agent)
    with pytest.raises(ValidationError):
        deal_update(deal=deal, data={"agent": personas.agent}, actor=personas.broker.user)
    with pytest.raises(ValidationError):
        deal_create(
            data={"name": "X", "side": "buyer", "agent": personas.agent},
            actor=personas.broker.user,
        )
    deal.refresh_from_db()
    assert deal.agent == personas.colleague


def test_a_lapsed_agent_cannot_be_added_as_co_agent(personas):
    deal = make_deal(personas.colleague.user)
    lapse(personas.agent)
    with pytest.raises(ValidationError) as exc:
        deal_update(deal=deal, data={}, actor=personas.colleague.user, co_agents=[personas.agent])
    assert LAPSED in field_error(exc, "co_agents")
    assert not deal.co_agents.exists()


def test_a_lapsed_co_agent_already_on_a_deal_stays_when_the_deal_changes(personas):
    deal = make_deal(personas.colleague.user, co_agents=[personas.agent])
    lapse(personas.agent)
    deal_update(
        deal=deal, data={"notes": "Cash"}, actor=personas.colleague.user, co_agents=[personas.agent]
    )
    assert list(deal.co_agents.all()) == [personas.agent]


# ---------- a page and an endpoint show the field error ----------


def test_the_client_form_shows_the_lapsed_licence_next_to_the_agent(personas, client_for):
    lapse(personas.agent)
    response = client_for("broker").post(
        "/clients/new/", client_form_data(assigned_agent=personas.agent.pk)
    )
    assert response.status_code == 200
    assert LAPSED in " ".join(response.context["form"].errors["assigned_agent"])
    assert not Client.objects.filter(last_name="Lopez").exists()


def test_the_deal_api_answers_400_with_the_agent_field_error(personas, api_for):
    lapse(personas.agent)
    response = api_for("agent").post(
        "/api/v1/transactions/", {"name": "9 Pine", "side": "buyer"}, format="json"
    )
    assert response.status_code == 400
    assert LAPSED in " ".join(response.json()["agent"])
    assert not Transaction.objects.exists()


def test_the_listing_admin_shows_the_lapsed_licence_on_the_agent_field(client_for, personas):
    listing = make_listing(personas.broker.user, list_agent=personas.colleague)
    lapse(personas.agent)
    browser = client_for("broker")
    url = reverse("admin:properties_property_change", args=[listing.pk])
    form = browser.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["list_agent"] = personas.agent.pk
    data["list_office"] = listing.list_office_id or ""
    for prefix in ("media", "pricechanges", "statuschanges"):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = 0
    for name in FEATURE_FIELDS:
        data[name] = "[]"
    response = browser.post(url, data)
    assert response.status_code == 200
    assert LAPSED in " ".join(response.context["adminform"].form.errors["list_agent"])
    listing.refresh_from_db()
    assert listing.list_agent == personas.colleague
