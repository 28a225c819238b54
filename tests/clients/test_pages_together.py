"""The CRM's pages link to each other: clients, listings, searches, showings and the menu."""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from clients.services.alerts import saved_search_create
from clients.services.showings import showing_create
from clients.tasks import listing_alerts_digest_task
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, first_name="Jane", last_name="Buyer")


@pytest.fixture
def listing(personas):
    return make_listing(personas.agent.user, street_name="Juniper")


def test_client_page_shows_searches_showings_and_vcard(client_for, personas, buyer, listing):
    saved_search_create(
        client=buyer,
        criteria={"city": "Springfield", "min_beds": "3"},
        name="Springfield, 3+ beds",
        frequency="daily",
        actor=personas.agent.user,
    )
    starts = timezone.now() + timedelta(days=2)
    showing_create(
        data={
            "listing": listing,
            "client": buyer,
            "starts_at": starts,
            "ends_at": starts + timedelta(minutes=30),
        },
        actor=personas.agent.user,
    )
    content = client_for("agent").get(buyer.get_absolute_url()).content.decode()
    assert "Springfield, 3+ beds" in content
    assert "Juniper" in content  # the showing, by the listing's address
    assert f"{reverse('clients:showing-create')}?client={buyer.pk}" in content
    assert reverse("clients:vcard", args=[buyer.pk]) in content


def test_listing_page_offers_booking_and_matching_buyers(client_for, listing):
    content = client_for("colleague").get(listing.get_absolute_url()).content.decode()
    assert f"{reverse('clients:showing-create')}?listing={listing.pk}" in content
    assert reverse("clients:listing-buyers", args=[listing.pk]) in content


def test_viewer_is_not_offered_to_book_a_showing(client_for, listing):
    content = client_for("viewer").get(listing.get_absolute_url()).content.decode()
    assert f"{reverse('clients:showing-create')}?listing=" not in content


def test_filtered_listings_can_be_saved_as_a_search(client_for, listing):
    content = client_for("agent").get("/listings/?city=Springfield&min_beds=3").content.decode()
    assert f"{reverse('clients:search-create')}?city=Springfield&amp;min_beds=3" in content
    unfiltered = client_for("agent").get("/listings/").content.decode()
    assert reverse("clients:search-create") not in unfiltered


def test_menu_has_clients_and_calendar_for_members_only(client_for):
    content = client_for("agent").get(reverse("clients:calendar")).content.decode()
    assert reverse("clients:list") in content
    assert 'class="nav__link is-active">Calendar' in content
    login = client_for("anonymous").get(reverse("login")).content.decode()
    assert reverse("clients:list") not in login


def test_daily_digest_is_tried_again_when_the_mail_server_is_down(monkeypatch, personas, buyer):
    def refuse(*args, **kwargs):
        raise SMTPServerDisconnected("mail server down")

    saved_search_create(
        client=buyer, criteria={}, name="Anything", frequency="daily", actor=personas.agent.user
    )
    monkeypatch.setattr("clients.services.alerts.listing_alerts_send", refuse)
    with pytest.raises(Retry):
        listing_alerts_digest_task.apply(kwargs={"frequency": "daily"}, throw=True)
