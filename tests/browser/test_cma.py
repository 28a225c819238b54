"""An agent runs a CMA in a real headless Chromium, leaves a comp out, and saves it."""

import pytest

from properties.models import CMA
from tests.browser.test_clients import (  # noqa: F401 - fixtures
    agent,
    jane,
    sign_in,
)
from tests.properties.sales import AS_OF, LAT, LON, make_sales

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_runs_a_cma_excludes_a_comp_and_saves_it(live_server, browser_page, agent, jane):  # noqa: F811
    from playwright.sync_api import expect

    make_sales(agent.user)
    page = browser_page
    sign_in(page, live_server, "/listings/cma/new/")
    form = page.locator("#cma-form")
    form.get_by_label("Living area (sq ft)").fill("1800")
    form.get_by_label("Bedrooms").fill("3")
    form.get_by_label("Bathrooms").fill("2")
    form.get_by_label("Latitude").fill(str(LAT))
    form.get_by_label("Longitude").fill(str(LON))
    form.get_by_label("Address or name").fill("12 Test Street")
    form.get_by_label("As of").fill(AS_OF.isoformat())
    page.locator("#cma-submit").click()

    expect(page.locator("#cma-estimate")).to_contain_text("$")
    rows = page.locator("#cma-comps tbody tr")
    count = rows.count()
    assert count >= 6
    first = rows.first.get_attribute("data-comp")
    rows.first.get_by_role("checkbox").uncheck()
    page.locator("#cma-rerun-button").click()

    expect(page.locator(f'#cma-comps tr[data-comp="{first}"]')).to_have_count(0)
    assert f"exclude={first}" in page.url

    save = page.locator("#cma-save")
    save.get_by_label("Client").select_option(str(jane.pk))
    save.get_by_role("button", name="Save CMA").click()
    expect(page.get_by_role("heading", name="CMA: 12 Test Street")).to_be_visible()
    expect(page.locator("#cma-pdf")).to_be_visible()
    cma = CMA.objects.get()
    assert cma.client == jane
    assert cma.excluded == [int(first)]
    assert str(cma.estimate) in page.locator("#cma-total").inner_text().replace(",", "")
