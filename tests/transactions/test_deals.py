"""Deal services: creation, the stage machine, closing and its effects on property and clients."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.choices import Stage
from clients.models import Client
from properties.models import Property, StatusChange
from realestate.permissions import can
from tests.testing.factories import make_client, make_listing
from tests.transactions.factories import make_deal, make_template
from transactions.choices import STAGE_TRANSITIONS, DateField, DealStage, ReviewState, Side
from transactions.models import Transaction
from transactions.services.deals import (
    deal_closing_blockers,
    deal_create,
    deal_stage_set,
    milestone_waive,
)

pytestmark = pytest.mark.django_db

PRICE = Decimal("412000.00")
PATHS = {
    DealStage.UNDER_CONTRACT: [DealStage.UNDER_CONTRACT],
    DealStage.PENDING: [DealStage.UNDER_CONTRACT, DealStage.PENDING],
    DealStage.FELL_THROUGH: [DealStage.FELL_THROUGH],
}


def deal_at(actor, stage):
    """A deal walked to ``stage`` through legal moves."""
    deal = make_deal(actor)
    for step in PATHS.get(stage, []):
        deal_stage_set(deal=deal, stage=step, actor=actor, reason="Financing")
    if stage == DealStage.CLOSED:
        for step in PATHS[DealStage.PENDING]:
            deal_stage_set(deal=deal, stage=step, actor=actor)
        deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=actor, sale_price=PRICE)
    return deal


def test_agent_creates_a_deal_they_run(personas):
    listing = make_listing(personas.agent.user)
    deal = make_deal(personas.agent.user, property=listing, co_agents=[personas.colleague])
    assert deal.agent == personas.agent
    assert deal.brokerage == personas.brokerage
    assert can(personas.colleague.user, deal, "change")
    assert not can(personas.assistant.user, deal)


def test_agent_cannot_run_a_deal_for_a_colleague(personas):
    with pytest.raises(ValidationError) as error:
        make_deal(personas.agent.user, agent=personas.colleague)
    assert "agent" in error.value.message_dict


def test_broker_assigns_the_deal(personas):
    deal = make_deal(personas.broker.user, agent=personas.colleague)
    assert deal.agent == personas.colleague


def test_viewer_cannot_create_a_deal(personas):
    with pytest.raises(PermissionDenied):
        make_deal(personas.viewer.user)


def test_property_of_another_brokerage_is_refused(personas):
    theirs = make_listing(personas.stranger.user)
    with pytest.raises(ValidationError) as error:
        make_deal(personas.agent.user, property=theirs)
    assert "property" in error.value.message_dict


@pytest.mark.parametrize("current", list(DealStage))
@pytest.mark.parametrize("target", list(DealStage))
def test_stage_machine_allows_only_its_moves(personas, current, target):
    user = personas.agent.user
    deal = deal_at(user, current)
    if target in STAGE_TRANSITIONS[current]:
        deal_stage_set(
            deal=deal, stage=target, actor=user, reason="Appraisal low", sale_price=PRICE
        )
        assert Transaction.objects.get(pk=deal.pk).stage == target
        return
    with pytest.raises(ValidationError) as error:
        deal_stage_set(deal=deal, stage=target, actor=user, reason="x", sale_price=PRICE)
    assert Transaction.objects.get(pk=deal.pk).stage == current
    message = " ".join(error.value.messages)
    assert message.startswith(("A deal", "The deal is already"))


def test_illegal_move_says_which_moves_are_allowed(personas):
    deal = deal_at(personas.agent.user, DealStage.UNDER_CONTRACT)
    with pytest.raises(ValidationError) as error:
        deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=personas.agent.user)
    assert error.value.messages == [
        "A deal under contract can move to pending or fell through, not closed."
    ]


def test_falling_through_needs_a_reason(personas):
    deal = make_deal(personas.agent.user)
    with pytest.raises(ValidationError) as error:
        deal_stage_set(deal=deal, stage=DealStage.FELL_THROUGH, actor=personas.agent.user)
    assert "reason" in error.value.message_dict
    deal_stage_set(
        deal=deal, stage=DealStage.FELL_THROUGH, actor=personas.agent.user, reason="No loan"
    )
    assert Transaction.objects.get(pk=deal.pk).fell_through_reason == "No loan"


def test_closing_needs_a_sale_price(personas):
    deal = deal_at(personas.agent.user, DealStage.PENDING)
    with pytest.raises(ValidationError) as error:
        deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=personas.agent.user)
    assert "sale_price" in error.value.message_dict


def test_colleague_cannot_move_a_deal_they_are_not_in(personas):
    deal = make_deal(personas.agent.user)
    with pytest.raises(PermissionDenied):
        deal_stage_set(deal=deal, stage=DealStage.UNDER_CONTRACT, actor=personas.colleague.user)
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.PRE_CONTRACT


@pytest.fixture
def required_template(personas):
    return make_template(
        personas.brokerage,
        [
            {
                "title": "Inspection report",
                "due_from": DateField.INSPECTION,
                "requires_document": True,
                "required_for_closing": True,
            },
            {"title": "Walk-through", "due_from": DateField.CLOSING, "due_offset_days": -1},
        ],
    )


def test_closing_is_blocked_until_required_items_are_approved(personas, required_template):
    user = personas.agent.user
    deal = deal_at(user, DealStage.PENDING)
    milestone = deal.milestones.get(title="Inspection report")
    assert deal_closing_blockers(deal=deal) == [
        "Inspection report: no document yet; it must be approved or waived to close."
    ]
    with pytest.raises(ValidationError) as error:
        deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=user, sale_price=PRICE)
    assert "Inspection report" in " ".join(error.value.messages)
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.PENDING

    milestone.review_state = ReviewState.SUBMITTED
    milestone.save()
    assert deal_closing_blockers(deal=deal)
    milestone.review_state = ReviewState.APPROVED
    milestone.save()
    assert deal_closing_blockers(deal=deal) == []
    deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=user, sale_price=PRICE)
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.CLOSED


def test_waived_required_item_does_not_block_closing(personas, required_template):
    user = personas.agent.user
    deal = deal_at(user, DealStage.PENDING)
    milestone = deal.milestones.get(title="Inspection report")
    milestone_waive(milestone=milestone, reason="Buyer waived inspection", actor=user)
    deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=user, sale_price=PRICE)
    assert Transaction.objects.get(pk=deal.pk).closed_on == timezone.localdate()


def test_closing_marks_the_listing_sold_and_the_clients_closed(personas):
    user = personas.agent.user
    listing = make_listing(user)
    buyer = make_client(user, first_name="Bea", last_name="Buyer")
    deal = make_deal(
        user,
        property=listing,
        parties=[{"role": "buyer", "client": buyer}, {"role": "lender", "name": "First Bank"}],
    )
    for step in (DealStage.UNDER_CONTRACT, DealStage.PENDING):
        deal_stage_set(deal=deal, stage=step, actor=user)
    closed_on = date(2025, 6, 30)
    deal_stage_set(
        deal=deal, stage=DealStage.CLOSED, actor=user, sale_price=PRICE, closed_on=closed_on
    )
    listing = Property.objects.get(pk=listing.pk)
    assert listing.standard_status == "Closed"
    assert listing.close_price == PRICE
    assert listing.close_date == closed_on
    assert StatusChange.objects.filter(property=listing, new_status="Closed").exists()
    assert Client.objects.get(pk=buyer.pk).stage == Stage.CLOSED


def test_closing_leaves_an_mls_listing_to_the_feed(personas):
    user = personas.agent.user
    listing = make_listing(user)
    Property.objects.filter(pk=listing.pk).update(source="mls")
    listing.refresh_from_db()
    deal = make_deal(user, property=listing)
    for step in (DealStage.UNDER_CONTRACT, DealStage.PENDING):
        deal_stage_set(deal=deal, stage=step, actor=user)
    deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=user, sale_price=PRICE)
    assert Property.objects.get(pk=listing.pk).standard_status == "Active"
    assert "MLS feed" in Transaction.objects.get(pk=deal.pk).notes


def test_template_matching_side_and_state(personas):
    user = personas.agent.user
    make_template(personas.brokerage, [{"title": "Lease form"}], sides=[Side.LEASE], name="A")
    make_template(personas.brokerage, [{"title": "MA disclosure"}], states=["MA"], name="B")
    make_template(personas.brokerage, [{"title": "Any deal"}], name="C")
    deal = deal_create(
        data={"name": "IL buy", "side": Side.BUYER, "property": make_listing(user)}, actor=user
    )
    assert [m.title for m in deal.milestones.all()] == ["Any deal"]
    lease = make_deal(user, side=Side.LEASE)
    assert [m.title for m in lease.milestones.all()] == ["Lease form"]


def test_contract_dates_give_due_dates(personas, required_template):
    inspection = date(2025, 5, 10)
    deal = make_deal(
        personas.agent.user, inspection_deadline=inspection, closing_on=inspection + timedelta(30)
    )
    due = dict(deal.milestones.values_list("title", "due_on"))
    assert due == {"Inspection report": inspection, "Walk-through": inspection + timedelta(29)}
    assert {m.owner for m in deal.milestones.all()} == {personas.agent}
