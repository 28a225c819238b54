"""The Content-Security-Policy in a real headless Chromium: no page, nor the API docs nor the
back office, has anything refused by the policy."""

import pytest

from agents.choices import Role
from agents.services.people import agent_create
from tests.browser.test_agent_journey import PASSWORD
from tests.testing.factories import make_brokerage, make_listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


PAGES = [
    "/",
    "/listings/",
    "/clients/",
    "/clients/pipeline/",
    "/clients/calendar/",
    "/clients/calendar/feed/",
    "/deals/",
    "/deals/pipeline/",
    "/compliance/audit/",
    "/compliance/audit/security/",
    "/webhooks/",
    "/webhooks/new/",
    "/webhooks/dead/",
    "/webhooks/incoming/new/",
    "/admin/",
    "/admin/properties/property/",
]


def test_no_page_breaks_the_content_security_policy(live_server, browser_page):
    brokerage = make_brokerage("Maple Realty")
    broker = agent_create(
        brokerage=brokerage,
        username="bruno",
        password=PASSWORD,
        first_name="Bruno",
        last_name="Marsh",
        role=Role.BROKER,
    )
    make_listing(broker.user, street_name="Lakeview")
    page = browser_page
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bruno")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert refused == []
