"""The template editor in a real headless Chromium: previewing with a client, the Fair Housing
warning, and saving."""

import pytest

from agents.choices import Role
from agents.services.people import agent_create
from clients.models import MessageTemplate
from tests.testing.factories import make_brokerage, make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def agent():
    from compliance.services.fair_housing import fair_housing_rules_ensure

    fair_housing_rules_ensure()  # a transactional test starts from empty tables
    agent = agent_create(
        brokerage=make_brokerage("Maple Realty"),
        username="alice",
        password=PASSWORD,
        first_name="Alice",
        last_name="Agent",
        role=Role.AGENT,
    )
    make_client(agent.user, first_name="Dana", last_name="Ortiz")
    return agent


def test_the_template_editor_previews_for_a_client_warns_of_fair_housing_and_saves(
    live_server, browser_page, agent
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/clients/outreach/templates/new/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New template")).to_be_visible()

    page.get_by_label("Name").fill("Check-in")
    page.get_by_label("Channel").select_option("email")
    page.get_by_label("Subject").fill("Hello {{ client.first_name }}")
    page.get_by_label("Body").fill("Hi {{ client.first_name }}, no children please.")
    page.get_by_label("Client").select_option(label="Dana Ortiz")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#preview")
    expect(preview.get_by_text("Subject: Hello Dana")).to_be_visible()
    expect(preview.get_by_text("Hi Dana, no children please.")).to_be_visible()
    expect(preview.get_by_text("Fair Housing:")).to_be_visible()

    page.get_by_label("Body").fill("Hi {{ client.first_name }}, new homes are in.")
    page.get_by_role("button", name="Preview").click()
    expect(preview.get_by_text("Hi Dana, new homes are in.")).to_be_visible()
    expect(preview.get_by_text("Fair Housing:")).to_have_count(0)

    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("heading", name="Check-in")).to_be_visible()
    template = MessageTemplate.objects.get()
    assert (template.name, template.findings) == ("Check-in", [])
