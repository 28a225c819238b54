"""The deal pages for every persona: list, board, detail, forms, stage and milestone actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.transactions.factories import make_deal, make_template
from transactions.choices import DateField, DealStage, ReviewState
from transactions.models import Milestone, Transaction
from transactions.services.deals import deal_stage_set

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SEES_DEAL = ("agent", "colleague_co_agent", "broker")


def url(name, *args):
    return reverse(f"transactions:{name}", args=args)


@pytest.fixture
def deal(personas):
    make_template(
        personas.brokerage,
        [
            {
                "title": "Inspection report",
                "due_from": DateField.CLOSING,
                "required_for_closing": True,
            }
        ],
    )
    return make_deal(personas.agent.user, name="12 Oak St — Doe", co_agents=[personas.assistant])


@pytest.mark.parametrize("persona", ["agent", "assistant", "broker"])
def test_deal_page_for_agents_of_the_deal_and_broker(client_for, deal, persona):
    response = client_for(persona).get(url("detail", deal.pk))
    assert response.status_code == 200
    assert b"Inspection report" in response.content


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_others_get_404_and_nothing_changes(client_for, deal, persona):
    browser = client_for(persona)
    assert browser.get(url("detail", deal.pk)).status_code == 404
    stage = browser.post(url("stage", deal.pk), {"stage": DealStage.UNDER_CONTRACT})
    assert stage.status_code == 404
    milestone = deal.milestones.get()
    assert browser.post(url("milestone-complete", milestone.pk)).status_code == 404
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.PRE_CONTRACT
    assert Milestone.objects.get(pk=milestone.pk).done_at is None
    assert deal.pk not in {d.pk for d in browser.get(url("list")).context["object_list"]}


def test_anonymous_is_sent_to_sign_in(client_for, deal):
    for address in (url("list"), url("detail", deal.pk), url("pipeline"), url("create")):
        response = client_for("anonymous").get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_viewer_cannot_create(client_for):
    assert client_for("viewer").get(url("create")).status_code == 403


def test_agent_creates_a_deal_through_the_form(client_for, personas):
    response = client_for("agent").post(
        url("create"), {"name": "5 Elm St", "side": "buyer", "closing_on": "2025-07-01"}
    )
    deal = Transaction.objects.get(name="5 Elm St")
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert deal.agent == personas.agent


def test_form_errors_keep_what_was_typed(client_for):
    response = client_for("agent").post(url("create"), {"name": "5 Elm St", "side": "castle"})
    assert response.status_code == 200
    assert b"5 Elm St" in response.content
    assert not Transaction.objects.exists()


def test_list_filters_and_query_count(client_for, personas, django_assert_num_queries):
    for n in range(5):
        make_deal(personas.agent.user, name=f"Maple {n}")
    make_deal(personas.agent.user, name="Birch", side="listing")
    browser = client_for("agent")
    assert len(browser.get(url("list"), {"side": "listing"}).context["object_list"]) == 1
    assert len(browser.get(url("list"), {"q": "maple"}).context["object_list"]) == 5
    with django_assert_num_queries(6):
        browser.get(url("list"))
    for n in range(5):
        make_deal(personas.agent.user, name=f"More {n}")
    with django_assert_num_queries(6):
        browser.get(url("list"))


def test_board_offers_only_legal_moves_and_counts_queries(
    client_for, personas, django_assert_num_queries
):
    for _ in range(3):
        make_deal(personas.agent.user)
    browser = client_for("agent")
    with django_assert_num_queries(9):
        response = browser.get(url("pipeline"))
    html = response.content.decode()
    assert 'value="under_contract"' in html
    assert 'value="closed"' not in html
    for _ in range(3):
        make_deal(personas.agent.user)
    with django_assert_num_queries(9):
        browser.get(url("pipeline"))


def test_board_move_with_htmx_and_refused_move_message(client_for, deal):
    browser = client_for("agent")
    address = url("stage", deal.pk) + "?board=1"
    response = browser.post(address, {"stage": DealStage.UNDER_CONTRACT}, **HTMX)
    assert b"moved to Under contract" in response.content
    response = browser.post(address, {"stage": DealStage.CLOSED}, **HTMX)
    assert b"can move to pending or fell through, not closed" in response.content
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.UNDER_CONTRACT


def test_closing_form_shows_blockers_then_closes(client_for, personas, deal):
    user = personas.agent.user
    for step in (DealStage.UNDER_CONTRACT, DealStage.PENDING):
        deal_stage_set(deal=deal, stage=step, actor=user)
    browser = client_for("agent")
    form = {"stage": "closed", "sale_price": "400000", "closed_on": "2025-07-01"}
    response = browser.post(url("stage", deal.pk), form, follow=True)
    assert b"Inspection report: no document yet" in response.content
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.PENDING
    deal.milestones.update(review_state=ReviewState.APPROVED)
    browser.post(url("stage", deal.pk), form)
    closed = Transaction.objects.get(pk=deal.pk)
    assert closed.stage == DealStage.CLOSED and closed.sale_price == Decimal("400000")


def test_milestone_buttons_with_htmx(client_for, deal):
    browser = client_for("assistant")
    milestone = deal.milestones.get()
    response = browser.post(url("milestone-complete", milestone.pk), **HTMX)
    assert response.status_code == 200 and b"Done" in response.content
    assert Milestone.objects.get(pk=milestone.pk).done_at is not None
    browser.post(url("milestone-reopen", milestone.pk), **HTMX)
    response = browser.post(url("milestone-waive", milestone.pk), {"reason": ""}, **HTMX)
    assert b"Say why this milestone is waived." in response.content
    browser.post(url("milestone-waive", milestone.pk), {"reason": "Not needed"})
    assert Milestone.objects.get(pk=milestone.pk).waived_reason == "Not needed"


def test_add_party_and_milestone(client_for, deal):
    browser = client_for("agent")
    browser.post(url("party-add", deal.pk), {"role": "lender", "name": "First Bank"})
    browser.post(url("milestone-add", deal.pk), {"title": "HOA docs", "due_on": "2025-06-01"})
    assert deal.parties.get().name == "First Bank"
    assert deal.milestones.filter(title="HOA docs").exists()
    party = deal.parties.get()
    assert client_for("colleague").post(url("party-remove", party.pk)).status_code == 404
    browser.post(url("party-remove", party.pk))
    assert not deal.parties.exists()
