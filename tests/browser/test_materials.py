"""The broker's brand kit preview follows the form as it is typed, the materials page shows the
social image, and a description draft goes into the public remarks, in a real Chromium."""

import pytest

from agents.choices import Role
from agents.services.people import agent_create
from tests.testing.factories import make_brokerage, make_listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill("bruno")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_broker_previews_the_brand_and_uses_a_description_draft(
    live_server, browser_page, tmp_path
):
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
    listing = make_listing(broker.user, year_built=1999, garage_spaces=2)
    page = browser_page

    sign_in(page, live_server, "/brand/")
    expect(page.get_by_role("heading", name="Brand kit")).to_be_visible()
    preview = page.locator("#brand-preview")
    expect(preview).to_have_css("background-color", "rgb(29, 95, 168)")
    page.get_by_label("Primary colour").fill("#c0392b")
    expect(preview).to_have_css("background-color", "rgb(192, 57, 43)")
    expect(preview).to_have_css("color", "rgb(255, 255, 255)")
    swatch = page.locator('.swatch[data-swatch="primary"]')
    expect(swatch).to_have_css("background-color", "rgb(192, 57, 43)")
    expect(page.locator(".swatches")).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    page.get_by_label("Font").select_option("Times-Roman")
    expect(preview).to_have_css("font-family", '"Times New Roman", Times, serif')
    page.screenshot(path=tmp_path / "brand.png", full_page=True)
    page.get_by_role("button", name="Save brand kit").click()
    expect(page.get_by_text("Brand kit saved.")).to_be_visible()

    page.goto(f"{live_server.url}/listings/{listing.pk}/")
    page.get_by_role("link", name="Marketing materials").click()
    expect(page.get_by_role("heading", name="Marketing materials")).to_be_visible()
    image = page.get_by_role("img", name=f"Social image preview: {listing.street_address}")
    expect(image).to_be_visible()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1080
    page.screenshot(path=tmp_path / "materials.png", full_page=True)

    page.goto(f"{live_server.url}/listings/{listing.pk}/edit/")
    page.locator("#description-drafts summary").click()
    page.locator('[data-draft-use="draft-text-concise"]').click()
    remarks = page.locator("#id_public_remarks")
    expect(remarks).to_have_value(page.locator("#draft-text-concise").input_value())
    assert "Built in 1999" in remarks.input_value()
