"""The broker's back office for clients and leads: only their brokerage, actions via services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.choices import ActivityKind, RoutingMethod, RoutingOutcome
from clients.models import Activity, Client, LeadSource, RoutingDecision, RoutingRule, Tag
from clients.models.routing import IntakeKey
from clients.services.intake import intake_key_authenticate, intake_key_create
from clients.services.people import activity_log
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "clients_client",
    "clients_leadsource",
    "clients_tag",
    "clients_routingrule",
    "clients_routingdecision",
    "clients_intakekey",
    "clients_activity",
    "clients_task",
    "clients_savedsearch",
    "clients_showing",
]


def changelist(model):
    return reverse(f"admin:{model}_changelist")


@pytest.fixture
def records(personas):
    mine = make_client(personas.agent.user, first_name="Birchwood")
    theirs = make_client(personas.stranger.user, first_name="Harborview")
    for brokerage, name in (
        (personas.brokerage, "Maple rule"),
        (personas.other_brokerage, "Harbor rule"),
    ):
        RoutingRule.objects.create(brokerage=brokerage, name=name, method=RoutingMethod.ROUND_ROBIN)
        LeadSource.objects.create(brokerage=brokerage, name=f"{name} source")
        Tag.objects.create(brokerage=brokerage, name=f"{name} tag")
        intake_key_create(brokerage=brokerage, name=f"{name} key")
    for client in (mine, theirs):
        RoutingDecision.objects.create(
            client=client, outcome="claimed", reason=f"{client.first_name} reason"
        )
    return mine, theirs


@pytest.mark.parametrize("model", CHANGELISTS)
def test_a_broker_sees_only_their_brokerage_in_every_list(client_for, records, model):
    response = client_for("broker").get(changelist(model))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Harbor" not in page


@pytest.mark.parametrize(
    ("model", "text"),
    [
        ("clients_client", "Birchwood"),
        ("clients_routingrule", "Maple rule"),
        ("clients_leadsource", "Maple rule source"),
        ("clients_tag", "Maple rule tag"),
        ("clients_intakekey", "Maple rule key"),
        ("clients_routingdecision", "Birchwood reason"),
        ("clients_activity", "Client added"),
    ],
)
def test_a_broker_sees_their_own_records(client_for, records, model, text):
    assert text in client_for("broker").get(changelist(model)).content.decode()


@pytest.mark.parametrize(
    "persona", ["agent", "colleague", "assistant", "viewer", "stranger", "anonymous"]
)
def test_people_who_are_not_brokers_have_no_client_back_office(client_for, persona):
    response = client_for(persona).get(changelist("clients_client"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_a_broker_cannot_open_another_brokerages_client(client_for, records):
    url = reverse("admin:clients_client_change", args=[records[1].pk])
    response = client_for("broker").get(url)
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_a_clients_page_in_the_back_office_is_read_only(client_for, records):
    url = reverse("admin:clients_client_change", args=[records[0].pk])
    response = client_for("broker").get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    client_for("broker").post(url, {"first_name": "Changed"})
    records[0].refresh_from_db()
    assert records[0].first_name == "Birchwood"


def test_the_client_list_has_a_constant_query_count(client_for, personas):
    client = client_for("broker")
    make_client(personas.agent.user, tags=["vip"])
    client.get(changelist("clients_client"))
    with CaptureQueriesContext(connection) as few:
        client.get(changelist("clients_client"))
    for _ in range(10):
        make_client(personas.colleague.user, tags=["vip"])
    with CaptureQueriesContext(connection) as many:
        client.get(changelist("clients_client"))
    assert len(many) == len(few)


# ---------- actions ----------


def test_reassigning_asks_for_the_agent_then_reassigns(client_for, personas, records):
    mine = records[0]
    other = make_client(personas.agent.user, first_name="Oakley")
    browser = client_for("broker")
    selected = {"action": "reassign_to_agent", ACTION_CHECKBOX_NAME: [mine.pk, other.pk]}

    page = browser.post(changelist("clients_client"), selected)

    assert page.status_code == 200
    choices = set(page.context["form"].fields["agent"].queryset)
    assert personas.colleague in choices and personas.stranger not in choices
    assert "Oakley" in page.content.decode()

    done = browser.post(
        changelist("clients_client"), {**selected, "apply": "1", "agent": personas.colleague.pk}
    )

    assert done.status_code == 302
    assert set(
        Client.objects.filter(pk__in=[mine.pk, other.pk]).values_list("assigned_agent", flat=True)
    ) == {personas.colleague.pk}
    assert RoutingDecision.objects.filter(outcome=RoutingOutcome.REASSIGNED).count() == 2


def test_reassigning_to_another_brokerages_agent_is_refused(client_for, personas, records):
    mine = records[0]
    browser = client_for("broker")
    browser.post(
        changelist("clients_client"),
        {
            "action": "reassign_to_agent",
            ACTION_CHECKBOX_NAME: [mine.pk],
            "apply": "1",
            "agent": personas.stranger.pk,
        },
    )
    mine.refresh_from_db()
    assert mine.assigned_agent == personas.agent


def test_returning_clients_to_the_pond(client_for, records):
    mine = records[0]
    response = client_for("broker").post(
        changelist("clients_client"),
        {"action": "return_to_pond", ACTION_CHECKBOX_NAME: [mine.pk]},
        follow=True,
    )
    assert "1 client(s) are in the pond." in [str(m) for m in get_messages(response.wsgi_request)]
    mine.refresh_from_db()
    assert mine.in_pond and mine.assigned_agent is None


def test_another_brokerages_client_cannot_be_slipped_into_an_action(client_for, records):
    theirs = records[1]
    client_for("broker").post(
        changelist("clients_client"),
        {"action": "return_to_pond", ACTION_CHECKBOX_NAME: [theirs.pk]},
    )
    theirs.refresh_from_db()
    assert not theirs.in_pond


# ---------- routing rules ----------


def rule_form(personas, **overrides):
    data = {
        "name": "North side",
        "method": RoutingMethod.BY_AREA,
        "agents": [personas.agent.pk, personas.colleague.pk],
        "areas": "62701, Chatham",
        "claim_timeout_minutes": "30",
        "position": "1",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_a_broker_adds_a_rule_by_area(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:clients_routingrule_add"), rule_form(personas)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = RoutingRule.objects.get()
    assert rule.brokerage == personas.brokerage
    assert rule.areas == ["62701", "Chatham"]
    assert set(rule.agents.all()) == {personas.agent, personas.colleague}


def test_a_rule_offers_only_the_brokerages_agents(client_for, personas):
    response = client_for("broker").get(reverse("admin:clients_routingrule_add"))
    agents = set(response.context["adminform"].form.fields["agents"].queryset)
    assert personas.agent in agents and personas.stranger not in agents


def test_a_rule_with_another_brokerages_agent_is_refused(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:clients_routingrule_add"), rule_form(personas, agents=[personas.stranger.pk])
    )
    assert response.status_code == 200
    assert "agents" in response.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()


def test_a_rule_by_area_needs_areas(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:clients_routingrule_add"), rule_form(personas, areas="")
    )
    assert "areas" in response.context["adminform"].form.errors


def test_routing_decisions_are_read_only(client_for, records):
    response = client_for("broker").get(changelist("clients_routingdecision"))
    assert not response.context["has_add_permission"]
    url = reverse(
        "admin:clients_routingdecision_change",
        args=[RoutingDecision.objects.filter(client=records[0]).get().pk],
    )
    assert not client_for("broker").get(url).context["has_change_permission"]


# ---------- intake keys ----------


def test_a_new_intake_key_is_shown_once_and_works(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:clients_intakekey_add"), {"name": "Zillow"}, follow=True
    )

    key = IntakeKey.objects.get()
    assert key.brokerage == personas.brokerage
    message = next(str(m) for m in get_messages(response.wsgi_request) if "intake key" in str(m))
    secret = message.split("The intake key is ")[1].split(" ")[0]
    assert intake_key_authenticate(secret=secret) == key
    change_page = client_for("broker").get(reverse("admin:clients_intakekey_change", args=[key.pk]))
    assert secret not in change_page.content.decode()


def test_a_broker_revokes_a_key(client_for, personas):
    key, secret = intake_key_create(brokerage=personas.brokerage, name="Old site")

    client_for("broker").post(
        changelist("clients_intakekey"), {"action": "revoke", ACTION_CHECKBOX_NAME: [key.pk]}
    )

    assert intake_key_authenticate(secret=secret) is None


# ---------- records ----------


def test_timeline_records_are_only_read(client_for, personas, records):
    activity_log(
        client=records[0], kind=ActivityKind.NOTE, subject="Private note", actor=personas.agent.user
    )
    response = client_for("broker").get(changelist("clients_activity"))
    assert "Private note" in response.content.decode()
    assert not response.context["has_add_permission"]
    activity = Activity.objects.get(subject="Private note")
    url = reverse("admin:clients_activity_delete", args=[activity.pk])
    assert client_for("broker").post(url, {"post": "yes"}).status_code == 403
    assert Activity.objects.filter(pk=activity.pk).exists()
