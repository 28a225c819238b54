"""The top bar's bell in a real headless Chromium: its count, its dropdown, marking all read."""

import pytest

from agents.choices import NotificationKind, Role
from agents.models import Notification
from agents.services.people import agent_create
from tests.testing.factories import make_brokerage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def agent():
    agent = agent_create(
        brokerage=make_brokerage("Maple Realty"),
        username="alice",
        password=PASSWORD,
        first_name="Alice",
        last_name="Agent",
        role=Role.AGENT,
    )
    for number, kind in enumerate((NotificationKind.PRICE_DROP, NotificationKind.EVENT)):
        Notification.objects.create(
            recipient=agent.user,
            brokerage=agent.brokerage,
            kind=kind,
            title=f"Price cut 6.0%: {number + 10} Oak St, Springfield",
            url="/notifications/",
            dedupe_key=f"browser:{number}",
        )
    return agent


def test_the_bell_shows_the_unread_count_and_mark_all_read_clears_it(
    live_server, browser_page, agent
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")

    count = page.locator("#notification-count")
    expect(count).to_have_attribute("data-count", "2")
    expect(count).to_be_visible()

    page.locator("#notification-bell summary").click()
    panel = page.locator("#notification-bell-panel")
    expect(panel.get_by_text("Price cut 6.0%: 10 Oak St, Springfield")).to_be_visible()
    panel.get_by_role("button", name="Mark all read").click()

    expect(count).to_have_attribute("data-count", "0")
    expect(count).to_be_hidden()
    expect(panel.get_by_role("button", name="Mark all read")).to_have_count(0)
    assert not Notification.objects.filter(recipient=agent.user, read_at=None).exists()

    # The feed page agrees after a reload.
    page.goto(f"{live_server.url}/notifications/?unread=true")
    expect(page.get_by_text("0 notifications match your filters")).to_be_visible()


def test_marking_one_read_on_the_feed_page_lowers_the_bell_count(live_server, browser_page, agent):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/notifications/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/notifications/")

    count = page.locator("#notification-count")
    expect(count).to_have_attribute("data-count", "2")
    page.get_by_role("button", name="Mark “Price cut 6.0%: 10 Oak St, Springfield” read").click()
    expect(count).to_have_attribute("data-count", "1")
    expect(page.locator(".notification--unread")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/notifications/")
