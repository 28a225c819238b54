"""An agent signs in, searches the listings and opens one, in a real headless Chromium."""

from decimal import Decimal

import pytest

from agents.choices import Role
from agents.services.people import agent_create
from tests.testing.factories import make_brokerage, make_listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.mark.browser
def test_agent_signs_in_searches_and_opens_a_listing(live_server, browser_page):
    from playwright.sync_api import expect

    brokerage = make_brokerage("Maple Realty")
    broker = agent_create(
        brokerage=brokerage,
        username="bruno",
        password=PASSWORD,
        first_name="Bruno",
        last_name="Marsh",
        role=Role.BROKER,
    )
    make_listing(
        broker.user,
        street_number="88",
        street_name="Lakeview",
        street_suffix="Dr",
        city="Chatham",
        postal_code="62629",
        list_price=Decimal("689900.00"),
        public_remarks="Lake views from every room.",
    )
    make_listing(broker.user, street_number="412", street_name="Oak", street_suffix="St")

    page = browser_page
    page.goto(f"{live_server.url}/listings/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/listings/")
    page.get_by_label("Username").fill("bruno")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Listings", exact=True)).to_be_visible()
    expect(page.locator(".listing-card")).to_have_count(2)

    page.get_by_label("Search").fill("lakeview")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".listing-card")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/listings/?q=lakeview&sort=-updated&page_size=24")

    page.get_by_role("link", name="88 Lakeview Dr").click()
    expect(page.get_by_role("heading", name="88 Lakeview Dr")).to_be_visible()
    expect(page.locator(".listing-price__amount")).to_have_text("$689,900")
    expect(page.get_by_text("Chatham, IL 62629").first).to_be_visible()
    expect(page.get_by_text("Lake views from every room.")).to_be_visible()
