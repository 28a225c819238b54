from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from properties.choices import ChangeSource, StandardStatus
from properties.models import PriceChange, Property, StatusChange
from properties.selectors import property_timeline
from properties.services import listing_archive, listing_create, listing_restore, listing_update
from tests.testing.factories import listing_data, make_listing

pytestmark = pytest.mark.django_db


def test_creating_a_listing_records_its_first_price_and_status(personas):
    listing = make_listing(personas.agent.user, list_price=Decimal("425000"))
    assert listing.brokerage == personas.brokerage
    assert listing.list_agent == personas.agent
    assert listing.list_office == personas.office
    assert listing.original_list_price == Decimal("425000")
    assert listing.listing_key.startswith(personas.brokerage.slug)
    price = PriceChange.objects.get(property=listing)
    assert (price.old_price, price.new_price, price.changed_by) == (
        None,
        Decimal("425000"),
        personas.agent.user,
    )
    assert StatusChange.objects.get(property=listing).new_status == StandardStatus.ACTIVE


def test_a_price_change_is_written_to_the_timeline(personas):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    listing_update(
        listing=listing, data={"list_price": Decimal("389000")}, actor=personas.broker.user
    )
    change = PriceChange.objects.filter(property=listing).first()
    assert (change.old_price, change.new_price, change.changed_by) == (
        Decimal("400000"),
        Decimal("389000"),
        personas.broker.user,
    )
    assert change.delta == Decimal("-11000")
    assert change.source == ChangeSource.LOCAL


def test_a_status_change_is_written_to_the_timeline_newest_first(personas):
    listing = make_listing(personas.agent.user)
    listing_update(listing=listing, data={"standard_status": "Pending"}, actor=personas.agent.user)
    timeline = property_timeline(listing=listing)
    assert timeline[0].kind == "status"
    assert (timeline[0].old_label, timeline[0].new_label) == ("Active", "Pending")
    assert len(timeline) == 3


def test_an_update_that_keeps_price_and_status_writes_no_history(personas):
    listing = make_listing(personas.agent.user)
    listing_update(listing=listing, data={"public_remarks": "New roof."}, actor=personas.agent.user)
    assert PriceChange.objects.filter(property=listing).count() == 1
    assert StatusChange.objects.filter(property=listing).count() == 1
    assert "New roof." in Property.objects.get(pk=listing.pk).search_document


def test_invalid_data_is_refused_with_field_errors_and_nothing_is_saved(personas):
    with pytest.raises(ValidationError) as error:
        listing_create(
            data=listing_data(list_price=Decimal("-5"), postal_code=""), actor=personas.agent.user
        )
    assert {"list_price", "postal_code"} <= set(error.value.message_dict)
    assert not Property.objects.exists()


def test_system_fields_cannot_be_set(personas):
    with pytest.raises(ValidationError) as error:
        listing_create(
            data=listing_data(brokerage=personas.other_brokerage), actor=personas.agent.user
        )
    assert "brokerage" in error.value.message_dict


def test_an_agent_cannot_list_for_a_colleague_but_a_broker_can(personas):
    with pytest.raises(ValidationError):
        listing_create(data=listing_data(list_agent=personas.colleague), actor=personas.agent.user)
    listing = listing_create(
        data=listing_data(list_agent=personas.colleague), actor=personas.broker.user
    )
    assert listing.list_agent == personas.colleague


def test_a_listing_agent_must_belong_to_the_brokerage(personas):
    with pytest.raises(ValidationError) as error:
        listing_create(data=listing_data(list_agent=personas.stranger), actor=personas.broker.user)
    assert "list_agent" in error.value.message_dict


def test_a_viewer_cannot_create_listings(personas):
    with pytest.raises(PermissionDenied):
        listing_create(data=listing_data(), actor=personas.viewer.user)


def test_archiving_keeps_the_listing_and_its_history(personas):
    listing = make_listing(personas.agent.user)
    listing_archive(listing=listing, actor=personas.agent.user)
    listing.refresh_from_db()
    assert listing.is_archived
    assert PriceChange.objects.filter(property=listing).exists()
    listing_restore(listing=listing, actor=personas.agent.user)
    listing.refresh_from_db()
    assert not listing.is_archived
