"""An agent works a deal in a real headless Chromium: ticks a milestone and moves its stage."""

import pytest

from tests.browser.test_clients import (  # noqa: F401 (fixtures)
    agent,
    sign_in,
)
from tests.transactions.factories import make_deal, make_template
from transactions.choices import DealStage
from transactions.models import Milestone, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_completes_a_milestone_and_moves_the_deal(live_server, browser_page, agent):  # noqa: F811
    from playwright.sync_api import expect

    make_template(agent.brokerage, [{"title": "Earnest money deposited"}])
    deal = make_deal(agent.user, name="12 Oak St — Doe")
    page = browser_page
    sign_in(page, live_server, deal.get_absolute_url())
    expect(page.get_by_role("heading", name="12 Oak St — Doe", level=1)).to_be_visible()

    page.get_by_role("button", name="Mark Earnest money deposited done").click()
    milestones = page.locator("#deal-milestones")
    expect(milestones.locator(".badge--success")).to_have_text("Done")
    assert Milestone.objects.get(transaction=deal).done_at is not None

    page.get_by_role("button", name="Move to Under contract").click()
    expect(page.locator("#deal-stage")).to_have_text("Under contract")
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.UNDER_CONTRACT


def test_agent_drags_a_deal_to_another_stage(live_server, browser_page, agent):  # noqa: F811
    from playwright.sync_api import expect

    deal = make_deal(agent.user, name="8 Elm St — Roe")
    page = browser_page
    sign_in(page, live_server, "/deals/pipeline/")
    card = page.locator(f"#deal-card-{deal.pk}")
    expect(page.locator('[data-drop-stage="pre_contract"]').locator(card)).to_be_visible()

    card.drag_to(page.locator('section[data-drop-stage="under_contract"]'))
    expect(page.locator('[data-drop-stage="under_contract"]').locator(card)).to_be_visible()
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.UNDER_CONTRACT

    # A move the stage machine does not allow is refused with its reason; the card stays.
    card.drag_to(page.locator('section[data-drop-stage="pre_contract"]'))
    expect(page.get_by_role("alert")).to_contain_text("can move to")
    expect(page.locator('[data-drop-stage="under_contract"]').locator(card)).to_be_visible()
    assert Transaction.objects.get(pk=deal.pk).stage == DealStage.UNDER_CONTRACT
