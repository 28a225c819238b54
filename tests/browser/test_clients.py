"""An agent works a client in a real headless Chromium: timeline, pipeline board and their day."""

import pytest
from django.utils import timezone

from agents.choices import Role
from agents.services.people import agent_create
from clients.choices import Stage
from clients.models import Client
from clients.services.people import task_create
from tests.testing.factories import make_brokerage, make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def agent():
    return agent_create(
        brokerage=make_brokerage("Maple Realty"),
        username="alice",
        password=PASSWORD,
        first_name="Alice",
        last_name="Agent",
        role=Role.AGENT,
    )


@pytest.fixture
def jane(agent):
    return make_client(agent.user, first_name="Jane", last_name="Doe", phone="2175550143")


def sign_in(page, live_server, path):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def test_agent_logs_a_call_and_sees_it_on_the_timeline(live_server, browser_page, jane):
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_server, jane.get_absolute_url())
    expect(page.get_by_role("heading", name="Jane Doe", level=1)).to_be_visible()
    expect(page.get_by_text("(217) 555-0143")).to_be_visible()

    timeline = page.locator("#client-timeline")
    timeline.get_by_label("What").select_option("call")
    timeline.get_by_label("Summary").fill("Talked about schools")
    timeline.get_by_label("Details").fill("Two kids, wants the Lincoln district.")
    timeline.get_by_role("button", name="Log it").click()

    entries = page.locator(".activity-timeline .timeline__item")
    expect(entries.first).to_contain_text("Talked about schools")
    expect(entries.first).to_contain_text("Two kids, wants the Lincoln district.")
    expect(timeline.get_by_role("status")).to_have_text("Added to the timeline.")
    # The form is empty again for the next entry, and the stage bar followed the contact.
    expect(timeline.get_by_label("Summary")).to_have_value("")
    expect(page.locator("#client-stage [aria-current=step]")).to_have_text("Contacted")
    expect(page).to_have_url(f"{live_server.url}{jane.get_absolute_url()}")
    jane.refresh_from_db()
    assert jane.stage == Stage.CONTACTED


def test_agent_moves_a_card_with_its_button_and_by_dragging_it(live_server, browser_page, jane):
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_server, "/clients/pipeline/")
    card = page.locator(f"#card-{jane.pk}")
    expect(page.locator('[data-drop-stage="new"]').locator(card)).to_be_visible()

    page.get_by_role("button", name="Move Jane Doe to Contacted").click()
    expect(page.locator('[data-drop-stage="contacted"]').locator(card)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Jane Doe moved to Contacted.")
    assert Client.objects.get(pk=jane.pk).stage == Stage.CONTACTED

    card.drag_to(page.locator('section[data-drop-stage="active"]'))
    expect(page.locator('[data-drop-stage="active"]').locator(card)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Jane Doe moved to Active.")
    assert Client.objects.get(pk=jane.pk).stage == Stage.ACTIVE

    card.drag_to(page.locator('[data-drop-stage="lost"]'))
    expect(card).to_have_count(0)
    expect(page.locator('[data-drop-stage="lost"] .pipeline__count')).to_have_text("1")
    assert Client.objects.get(pk=jane.pk).stage == Stage.LOST


def test_dashboard_shows_the_agents_day(live_server, browser_page, agent, jane):
    from playwright.sync_api import expect

    task_create(
        data={"title": "Call Jane back", "due_date": timezone.localdate(), "client": jane},
        actor=agent.user,
    )
    page = browser_page
    sign_in(page, live_server, "/")
    day = page.locator("#agent-day")
    expect(day.get_by_role("link", name="Call Jane back")).to_be_visible()
    expect(day.get_by_role("link", name="Jane Doe").first).to_be_visible()

    day.get_by_role("button", name="Mark “Call Jane back” done").click()
    expect(day.locator(".task-row--done")).to_contain_text("Done!")
