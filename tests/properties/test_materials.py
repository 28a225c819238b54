"""The materials themselves: flyer and sign-in sheet PDFs, social images, email signatures,
description drafts, and the CMA report in the brand kit."""

import io
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agents.services.people import agent_update
from compliance.models.fair_housing import FairHousingRule, ProtectedClass
from compliance.services.fair_housing import fair_housing_override_create
from properties.cma import cma_run, cma_save
from properties.cma_report import cma_pdf
from properties.descriptions import description_drafts
from properties.materials.brand import brand_for
from properties.materials.listing import listing_attribution, materials_listings
from properties.materials.pdf import flyer_pdf, sign_in_sheet_pdf
from properties.materials.signature import signature_build
from properties.materials.social import SOCIAL_DIMENSIONS, SocialBanner, social_png
from properties.models import Property
from tests.compliance.mls import make_mls_listing, make_provider, make_rule
from tests.properties.materials_checks import (
    has_colour,
    hex_rgb,
    pdf_page_image,
    pdf_text,
    share_not_white,
)
from tests.properties.materials_fixture import (
    BRAND_ACCENT,
    BRAND_PRIMARY,
    brand_brokerage,
    make_marketed_listing,
)
from tests.properties.sales import AS_OF, make_sales, subject_features
from tests.testing.factories import image_bytes

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)"
)
LOGO_GREEN = (20, 160, 60)


def loaded(listing):
    """The listing as the materials pages load it."""
    return Property.objects.select_related(
        "brokerage", "list_agent__user", "list_office", "mls_provider"
    ).get(pk=listing.pk)


AGENT_MAGENTA = (200, 30, 160)


@pytest.fixture
def listing(personas):
    brand_brokerage(personas)
    agent_update(
        agent=personas.agent,
        data={
            "photo": SimpleUploadedFile(
                "me.jpg", image_bytes(size=(400, 400), color=AGENT_MAGENTA), "image/jpeg"
            ),
            "title": "Listing specialist",
            "phone": "555-0142",
        },
        actor=personas.agent.user,
    )
    return loaded(make_marketed_listing(personas))


def flag_phrase(brokerage, phrase="adults only"):
    return FairHousingRule.objects.create(
        brokerage=brokerage,
        phrase=phrase,
        protected_class=ProtectedClass.FAMILIAL_STATUS,
        reason="Limits households with children.",
        suggestion="Describe the home.",
    )


@needs_poppler
def test_flyer_is_one_branded_page_with_attribution_and_equal_housing(listing, tmp_path):
    content = flyer_pdf(listing=listing)

    image = pdf_page_image(content, tmp_path)
    assert share_not_white(image) > 0.3
    # The header band across the top is the brand's primary colour.
    band = (0, 0, image.width, int(image.height * 0.08))
    assert has_colour(image, hex_rgb(BRAND_PRIMARY), box=band, minimum=image.width * 5)
    assert has_colour(image, hex_rgb(BRAND_ACCENT))  # the facts band and the agent card
    assert has_colour(image, LOGO_GREEN, box=band)  # the uploaded logo, not the drawn mark
    text = pdf_text(content)
    assert "Equal Housing Opportunity" in text
    assert "Listing courtesy of" in text and "Source: Maple Realty listing" in text
    assert listing.list_agent.name in text
    assert "Listing specialist" in text and "555-0142" in text  # the agent's card
    assert has_colour(image, AGENT_MAGENTA, tolerance=30, minimum=20)  # with their photo
    assert "$350,000" in text and listing.street_address in text
    assert "Sunny family home near the park." in text
    assert "Maple Realty is licensed in Illinois" in text  # the brand disclaimer


@needs_poppler
def test_flyer_without_photos_or_logo_still_renders_with_the_drawn_mark(personas, tmp_path):
    listing = loaded(make_marketed_listing(personas, photos=0))

    image = pdf_page_image(flyer_pdf(listing=listing), tmp_path)

    band = (0, 0, image.width, int(image.height * 0.08))
    assert has_colour(image, (29, 95, 168), box=band, minimum=image.width * 5)  # the default


@needs_poppler
def test_long_remarks_end_with_an_ellipsis_and_the_footer_stays(personas, tmp_path):
    provider = make_provider(personas.brokerage, name="Prairie State MLS")
    make_rule(provider)
    remarks = " ".join(f"Bright room number {n} with oak floors." for n in range(120))
    listing = make_mls_listing(
        personas.agent.user, provider, "PS-7", public_remarks=remarks, standard_status="Active"
    )

    content = flyer_pdf(listing=loaded(listing))

    text = pdf_text(content)
    assert "Bright room number 0 with oak floors." in text
    assert "number 119" not in text and "…" in text
    assert "Source: Prairie State MLS." in text and "Equal Housing Opportunity" in text
    assert "Listing data © Bright MLS, deemed reliable." in text  # the MLS rule's disclaimer
    assert share_not_white(pdf_page_image(content, tmp_path)) > 0.05


def test_a_brokers_approval_of_the_remarks_lets_the_flyer_through(personas):
    flag_phrase(personas.brokerage)
    listing = loaded(make_marketed_listing(personas, photos=0))
    text = "Quiet street, adults only."
    Property.objects.filter(pk=listing.pk).update(public_remarks=text)
    listing.refresh_from_db()
    fair_housing_override_create(
        text=text, reason="Approved 55+ community wording.", actor=personas.broker.user
    )

    assert flyer_pdf(listing=listing).startswith(b"%PDF")


def test_price_reduced_image_shows_the_old_price(listing):
    Property.objects.filter(pk=listing.pk).update(original_list_price=400000)
    listing.refresh_from_db()

    reduced = Image.open(io.BytesIO(social_png(listing=listing, banner="price_reduced")))
    just_listed = Image.open(io.BytesIO(social_png(listing=listing, banner="just_listed")))

    # The panel right of the new price holds the struck-through old one only when reduced.
    box = (600, 680, 1040, 790)
    white = (255, 255, 255)
    assert has_colour(reduced, white, box=box, minimum=200)
    assert not has_colour(just_listed, white, box=box, minimum=200)


def test_flyer_is_refused_while_the_remarks_have_fair_housing_findings(personas):
    flag_phrase(personas.brokerage)
    listing = loaded(make_marketed_listing(personas, photos=0))
    Property.objects.filter(pk=listing.pk).update(public_remarks="Quiet street, adults only.")
    listing.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        flyer_pdf(listing=listing)
    assert '"adults only"' in " ".join(refused.value.message_dict["public_remarks"])
    with pytest.raises(ValidationError):
        social_png(listing=listing)


@needs_poppler
def test_sign_in_sheet_has_the_rows_consent_and_brand(listing, tmp_path):
    content = sign_in_sheet_pdf(listing=listing)

    image = pdf_page_image(content, tmp_path)
    assert share_not_white(image) > 0.05
    band = (0, 0, image.width, int(image.height * 0.08))
    assert has_colour(image, hex_rgb(BRAND_PRIMARY), box=band, minimum=image.width * 5)
    text = pdf_text(content)
    for heading in ("Name", "Email", "Phone", "Working with", "OK to", "Date:", "Time:"):
        assert heading in text
    assert "you agree that Maple Realty" in text
    assert "Equal Housing Opportunity" in text and "Listing courtesy of" in text


@pytest.mark.parametrize("size", list(SOCIAL_DIMENSIONS))
def test_social_image_has_the_exact_size_and_the_brand(listing, size):
    content = social_png(listing=listing, size=size, banner=SocialBanner.PRICE_REDUCED)

    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    assert image.size == SOCIAL_DIMENSIONS[size]
    assert share_not_white(image) > 0.5
    assert has_colour(image, hex_rgb(BRAND_PRIMARY), minimum=image.width * 20)
    assert has_colour(image, hex_rgb(BRAND_ACCENT), minimum=image.width * 5)  # the banner
    assert has_colour(image, LOGO_GREEN, minimum=200)
    assert has_colour(image, (40, 120, 200), minimum=image.width * 50)  # the first photo


def test_social_image_refuses_an_unknown_size(listing):
    with pytest.raises(ValueError):
        social_png(listing=listing, size="billboard")


def test_attribution_names_the_mls_office_and_source(personas):
    provider = make_provider(personas.brokerage, name="Prairie State MLS")
    make_rule(provider)
    listing = make_mls_listing(personas.agent.user, provider, "PS-1")

    text = listing_attribution(loaded(listing))

    assert text == (
        f"Listing courtesy of {personas.agent.name}, Downtown, Maple Realty. "
        "Source: Prairie State MLS."
    )


def test_only_listings_the_brokerage_lists_get_materials(personas):
    provider = make_provider(personas.brokerage)
    own = make_mls_listing(personas.agent.user, provider, "OWN-1")
    other_firm = make_mls_listing(personas.agent.user, provider, "IDX-1")
    Property.objects.filter(pk=other_firm.pk).update(
        list_agent=None, list_office=None, list_agent_mls_id="Z9", list_office_mls_id="OTHER"
    )
    local = make_marketed_listing(personas, photos=0)

    seen = set(materials_listings(user=personas.broker.user).values_list("pk", flat=True))

    assert seen == {own.pk, local.pk}
    assert not materials_listings(user=personas.stranger.user).exists()


def test_signature_has_every_field_and_escapes_names(personas):
    brand_brokerage(personas)
    agent = personas.agent
    agent.user.first_name, agent.user.last_name = "<b>Ann</b>", "O'Hara & Co"
    agent.user.save()
    agent.title = "REALTOR® <script>"
    agent.phone = "555-0100"
    agent.license_number = "IL-475.123"
    agent.save()

    signature = signature_build(agent=agent, logo_url="https://cdn.example/logo.png?a=1&b=2")

    html = signature.html
    assert "&lt;b&gt;Ann&lt;/b&gt; O&#x27;Hara &amp; Co" in html
    assert "<script>" not in html and "REALTOR® &lt;script&gt;" in html
    assert "555-0100" in html and "tel:555-0100" in html
    assert agent.user.email in html and "Maple Realty" in html
    assert "Licence IL-475.123" in html and "Equal Housing Opportunity" in html
    assert 'src="https://cdn.example/logo.png?a=1&amp;b=2"' in html
    assert BRAND_PRIMARY in html  # inline styles in the brand colour
    assert "font-family:&#x27;Times New Roman&#x27;,Times,serif" in html  # the brand font
    assert signature.text.splitlines() == [
        "<b>Ann</b> O'Hara & Co",
        "REALTOR® <script>",
        "Maple Realty",
        "Phone: 555-0100",
        f"Email: {agent.user.email}",
        "Licence IL-475.123",
        "Equal Housing Opportunity",
    ]


def test_description_drafts_are_written_from_the_facts(personas):
    listing = make_marketed_listing(
        personas,
        photos=0,
        bedrooms_total=4,
        bathrooms_total_integer=3,
        living_area=2450,
        lot_size_acres="0.5",
        year_built=2004,
        garage_spaces=3,
        waterfront_yn=True,
        view_yn=True,
        view=["Lake"],
        interior_features=["Walk-In Closet(s)", "Kitchen Island"],
        city="Lakeside",
    )

    drafts = description_drafts(listing=listing)

    assert [draft.tone for draft in drafts] == ["classic", "concise", "luxury"]
    for draft in drafts:
        assert "4 bedrooms" in draft.text and "3 bathrooms" in draft.text
        assert "2,450 square feet" in draft.text and "Lakeside" in draft.text
        assert "0.5-acre lot" in draft.text and "2004" in draft.text
        assert "3-car garage" in draft.text and "private pool" in draft.text
        assert draft.findings == [] and not draft.blocked
    classic = drafts[0].text
    assert classic.startswith("Welcome to this single-family home in Lakeside, with 4 bedrooms")
    assert "waterfront setting" in classic and "lake views" in classic
    assert "walk-in closets and kitchen island" in classic
    assert "$350,000" in classic


def test_description_draft_with_a_flagged_feature_carries_the_finding(personas):
    flag_phrase(personas.brokerage, phrase="adults only")
    listing = make_marketed_listing(personas, photos=0, interior_features=["Adults Only Lounge"])

    drafts = description_drafts(listing=listing)

    flagged = [draft for draft in drafts if draft.findings]
    assert flagged and all(draft.blocked for draft in flagged)
    assert flagged[0].findings[0].text.lower() == "adults only"
    assert flagged[0].as_dict()["findings"][0]["message"].startswith('"adults only"')


def test_brand_falls_back_to_defaults_and_reads_the_logo_once(personas):
    plain = brand_for(personas.brokerage)
    assert plain.primary_rgb == (29, 95, 168) and plain.logo_png is None
    assert plain.font_bold == "Helvetica-Bold"

    brand_brokerage(personas)
    personas.brokerage.refresh_from_db()
    branded = brand_for(personas.brokerage)
    assert branded.primary_hex == BRAND_PRIMARY and branded.font_bold == "Times-Bold"
    assert branded.logo_image().size == (300, 300)


@needs_poppler
def test_cma_report_wears_the_brand_colour_logo_and_disclaimer(personas, tmp_path):
    make_sales(personas.agent.user)
    run = cma_run(user=personas.agent.user, as_of=AS_OF, features=subject_features())
    cma = cma_save(run=run, user=personas.agent.user)
    before = pdf_page_image(cma_pdf(cma=cma, agent=personas.agent), tmp_path)
    band = (0, 0, before.width, int(before.height * 0.1))
    assert has_colour(before, (29, 95, 168), box=band, minimum=before.width * 5)
    assert not has_colour(before, LOGO_GREEN, box=band)

    brand_brokerage(personas)
    cma.brokerage.refresh_from_db()
    content = cma_pdf(cma=cma, agent=personas.agent)

    image = pdf_page_image(content, tmp_path)
    assert has_colour(image, hex_rgb(BRAND_PRIMARY), box=band, minimum=image.width * 5)
    assert not has_colour(image, (29, 95, 168), box=band, minimum=image.width)
    assert has_colour(image, LOGO_GREEN, box=band)
    text = pdf_text(content)
    assert "Maple Realty is licensed in Illinois" in text
    assert "Equal Housing Opportunity" in text
