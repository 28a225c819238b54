"""The deals API for every persona: list, retrieve, create, update, stage and milestone actions."""

import pytest

from tests.transactions.factories import make_deal, make_template
from transactions.choices import DealStage
from transactions.models import Milestone, Transaction

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/transactions/"


@pytest.fixture
def deal(personas):
    make_template(personas.brokerage, [{"title": "Appraisal"}])
    return make_deal(personas.agent.user, co_agents=[personas.assistant])


@pytest.mark.parametrize("persona", ["agent", "assistant", "broker"])
def test_deal_with_parties_and_milestones(api_for, deal, persona):
    response = api_for(persona).get(f"{DEALS}{deal.pk}/")
    assert response.status_code == 200
    assert [m["title"] for m in response.json()["milestones"]] == ["Appraisal"]


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_others_get_404_and_nothing_changes(api_for, deal, persona):
    api = api_for(persona)
    assert api.get(f"{DEALS}{deal.pk}/").status_code == 404
    assert api.post(f"{DEALS}{deal.pk}/stage/", {"stage": "under_contract"}).status_code == 404
    milestone = deal.milestones.get()
    assert api.post(f"/api/v1/transactions/milestones/{milestone.pk}/complete/").status_code == 404
    assert api.get(DEALS).json()["count"] == 0
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.PRE_CONTRACT


def test_anonymous_gets_401(api_for, deal):
    assert api_for("anonymous").get(DEALS).status_code == 401


def test_viewer_cannot_create(api_for):
    assert api_for("viewer").post(DEALS, {"name": "X", "side": "buyer"}).status_code == 403


def test_create_update_and_move(api_for, personas):
    api = api_for("agent")
    created = api.post(DEALS, {"name": "9 Pine", "side": "buyer"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["agent"] == personas.agent.pk
    assert api.patch(f"{DEALS}{pk}/", {"notes": "Cash"}, format="json").status_code == 200
    refused = api.post(f"{DEALS}{pk}/stage/", {"stage": "closed"}, format="json")
    assert refused.status_code == 400
    assert "can move to under contract or fell through, not closed" in str(refused.json())
    moved = api.post(f"{DEALS}{pk}/stage/", {"stage": "under_contract"}, format="json")
    assert moved.json()["stage"] == "under_contract"


def test_milestone_actions(api_for, deal):
    api = api_for("assistant")
    milestone = deal.milestones.get()
    assert api.post(f"/api/v1/transactions/milestones/{milestone.pk}/waive/", {}).status_code == 400
    waived = api.post(f"/api/v1/transactions/milestones/{milestone.pk}/waive/", {"reason": "Cash"})
    assert waived.json()["waived_reason"] == "Cash"
    api.post(f"/api/v1/transactions/milestones/{milestone.pk}/reopen/")
    done = api.post(f"/api/v1/transactions/milestones/{milestone.pk}/complete/")
    assert done.json()["done_at"] and Milestone.objects.get(pk=milestone.pk).done_at


def test_list_filters_and_query_count(api_for, personas, django_assert_num_queries):
    for n in range(3):
        make_deal(personas.agent.user, name=f"Maple {n}")
    api = api_for("agent")
    assert api.get(DEALS, {"q": "maple"}).json()["count"] == 3
    assert api.get(DEALS, {"stage": "closed"}).json()["count"] == 0
    with django_assert_num_queries(6):
        api.get(DEALS)
    for n in range(3):
        make_deal(personas.agent.user, name=f"More {n}")
    with django_assert_num_queries(6):
        api.get(DEALS)


def test_the_deals_agent_adds_and_removes_parties(api_for, personas, deal):
    from tests.testing.factories import make_client

    buyer = make_client(personas.agent.user, first_name="Jane", last_name="Doe")
    api = api_for("agent")
    response = api.post(f"{DEALS}{deal.pk}/parties/", {"role": "buyer", "client": buyer.pk})
    assert response.status_code == 201
    [party] = response.json()["parties"]
    assert party["name"] == "Jane Doe" and party["client"] == buyer.pk
    lender = api.post(
        f"{DEALS}{deal.pk}/parties/",
        {"role": "lender", "name": "Sam Lee", "company": "First Bank"},
    )
    assert lender.status_code == 201 and len(lender.json()["parties"]) == 2
    assert api.post(f"{DEALS}{deal.pk}/parties/", {"role": "lender"}).status_code == 400
    removed = api.delete(f"{DEALS}{deal.pk}/parties/{party['id']}/")
    assert removed.status_code == 200
    assert [p["name"] for p in removed.json()["parties"]] == ["Sam Lee"]
    assert api.delete(f"{DEALS}{deal.pk}/parties/{party['id']}/").status_code == 404


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_others_cannot_change_a_deals_parties(api_for, personas, deal, persona):
    api = api_for(persona)
    assert (
        api.post(f"{DEALS}{deal.pk}/parties/", {"role": "lender", "name": "X"}).status_code == 404
    )
    assert not deal.parties.exists()


def test_a_client_the_agent_cannot_see_is_not_a_party(api_for, personas, deal):
    from tests.testing.factories import make_client

    theirs = make_client(personas.colleague.user)
    response = api_for("agent").post(
        f"{DEALS}{deal.pk}/parties/", {"role": "buyer", "client": theirs.pk}
    )
    assert response.status_code == 400 and "client" in response.json()
