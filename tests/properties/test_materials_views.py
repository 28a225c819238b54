"""The materials page, its downloads, the description drafts on the edit page and the
materials API, for every persona."""

import io

import pytest
from PIL import Image

from compliance.models.fair_housing import FairHousingRule, ProtectedClass
from properties.models import Property
from tests.compliance.mls import make_mls_listing, make_provider
from tests.properties.materials_fixture import brand_brokerage, make_marketed_listing

pytestmark = pytest.mark.django_db
MEMBERS = ("agent", "colleague", "assistant", "viewer", "broker")


@pytest.fixture
def listing(personas):
    brand_brokerage(personas)
    return make_marketed_listing(personas, photos=2)


def page_urls(pk):
    base = f"/listings/{pk}/materials/"
    return [base, base + "flyer.pdf", base + "sign-in-sheet.pdf", base + "social.png"]


def api_urls(pk):
    base = f"/api/v1/properties/{pk}/"
    return [
        base + "materials/flyer.pdf",
        base + "materials/sign-in-sheet.pdf",
        base + "materials/social.png",
        base + "description-drafts/",
    ]


@pytest.mark.parametrize("name", MEMBERS)
def test_members_get_every_material_of_the_brokerage_listing(client_for, listing, name):
    client = client_for(name)
    page = client.get(f"/listings/{listing.pk}/materials/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Listing flyer" in body and "Open house sign-in sheet" in body
    assert [draft.tone for draft in page.context["drafts"]] == ["classic", "concise", "luxury"]
    assert "Listing courtesy of" in body

    flyer = client.get(f"/listings/{listing.pk}/materials/flyer.pdf?download=1")
    assert flyer.status_code == 200 and flyer["Content-Type"] == "application/pdf"
    assert flyer["Content-Disposition"].startswith("attachment;")
    assert flyer.content.startswith(b"%PDF")
    sheet = client.get(f"/listings/{listing.pk}/materials/sign-in-sheet.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    social = client.get(f"/listings/{listing.pk}/materials/social.png?size=story&banner=open_house")
    assert social.status_code == 200 and social["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(social.content)).size == (1080, 1920)


def test_stranger_gets_404_and_anonymous_is_sent_to_sign_in(client_for, listing):
    for url in page_urls(listing.pk):
        assert client_for("stranger").get(url).status_code == 404
        response = client_for("anonymous").get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_firms_feed_listing_has_no_materials(client_for, personas):
    provider = make_provider(personas.brokerage)
    other_firm = make_mls_listing(personas.agent.user, provider, "IDX-9")
    Property.objects.filter(pk=other_firm.pk).update(list_agent=None, list_office=None)

    for url in page_urls(other_firm.pk):
        assert client_for("broker").get(url).status_code == 404
    detail = client_for("broker").get(other_firm.get_absolute_url())
    assert detail.status_code == 200 and not detail.context["can_market"]


def test_detail_page_links_to_the_marketing_section(client_for, listing):
    response = client_for("viewer").get(listing.get_absolute_url())
    body = response.content.decode()
    assert response.context["can_market"]
    assert 'id="marketing"' in body and f"/listings/{listing.pk}/materials/" in body


def test_social_preview_follows_the_chosen_size_and_banner(client_for, listing):
    response = client_for("agent").get(
        f"/listings/{listing.pk}/materials/?size=link&banner=price_reduced"
    )
    assert response.context["social_dimensions"] == (1200, 630)
    assert (
        f"/listings/{listing.pk}/materials/social.png?size=link&amp;banner=price_reduced"
        in response.content.decode()
    )


def test_unknown_social_size_is_a_field_error(client_for, listing):
    response = client_for("agent").get(f"/listings/{listing.pk}/materials/social.png?size=huge")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_fair_housing_findings_stop_the_flyer_and_social_image_and_are_shown(
    client_for, api_for, personas, listing
):
    FairHousingRule.objects.create(
        brokerage=personas.brokerage,
        phrase="adults only",
        protected_class=ProtectedClass.FAMILIAL_STATUS,
        reason="Limits households with children.",
        suggestion="Describe the home.",
    )
    Property.objects.filter(pk=listing.pk).update(public_remarks="Bright rooms, adults only.")
    client = client_for("agent")

    page = client.get(f"/listings/{listing.pk}/materials/")
    assert page.status_code == 200 and page.context["findings"]
    assert "cannot be advertised" in page.content.decode()
    for url in (
        f"/listings/{listing.pk}/materials/flyer.pdf",
        f"/listings/{listing.pk}/materials/social.png",
    ):
        refused = client.get(url)
        assert refused.status_code == 409
        assert "adults only" in refused.content.decode()
        assert refused["Content-Type"].startswith("text/html")
    # The sign-in sheet shows no remarks: it is still made.
    assert client.get(f"/listings/{listing.pk}/materials/sign-in-sheet.pdf").status_code == 200
    # The API answers the same refusal as field errors.
    response = api_for("agent").get(f"/api/v1/properties/{listing.pk}/materials/flyer.pdf")
    assert response.status_code == 400
    assert "adults only" in response.json()["public_remarks"][0]


def test_edit_page_offers_drafts_to_put_into_the_remarks(client_for, listing):
    response = client_for("agent").get(f"/listings/{listing.pk}/edit/")
    body = response.content.decode()
    assert len(response.context["description_drafts"]) == 3
    assert 'data-draft-target="id_public_remarks"' in body
    assert "js/materials.js" in body


# API


@pytest.mark.parametrize("name", MEMBERS)
def test_api_members_download_materials_and_drafts(api_for, listing, name):
    client = api_for(name)
    flyer = client.get(
        f"/api/v1/properties/{listing.pk}/materials/flyer.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert flyer.status_code == 200 and flyer.content.startswith(b"%PDF")
    sheet = client.get(f"/api/v1/properties/{listing.pk}/materials/sign-in-sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    social = client.get(
        f"/api/v1/properties/{listing.pk}/materials/social.png",
        {"size": "portrait", "banner": "just_listed"},
    )
    assert social.status_code == 200
    assert Image.open(io.BytesIO(social.content)).size == (1080, 1350)
    drafts = client.get(f"/api/v1/properties/{listing.pk}/description-drafts/")
    assert drafts.status_code == 200
    assert [draft["tone"] for draft in drafts.json()] == ["classic", "concise", "luxury"]
    assert all(draft["findings"] == [] for draft in drafts.json())


def test_api_stranger_404_and_anonymous_401(api_for, listing):
    for url in api_urls(listing.pk):
        assert api_for("stranger").get(url).status_code == 404
        assert api_for("anonymous").get(url).status_code == 401


def test_api_bad_social_size_is_a_field_error(api_for, listing):
    response = api_for("agent").get(
        f"/api/v1/properties/{listing.pk}/materials/social.png", {"size": "huge"}
    )
    assert response.status_code == 400 and "size" in response.json()


def test_api_signature_of_the_signed_in_agent(api_for, personas):
    brand_brokerage(personas)
    response = api_for("colleague").get("/api/v1/me/signature/")
    assert response.status_code == 200
    body = response.json()
    assert personas.colleague.name in body["html"] and "Equal Housing Opportunity" in body["text"]
    assert "http://testserver/media/brands/" in body["html"]  # the logo by its absolute address
    assert api_for("anonymous").get("/api/v1/me/signature/").status_code == 401


def test_api_schema_documents_the_materials(api_for):
    schema = api_for("agent").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    flyer = paths["/api/v1/properties/{id}/materials/flyer.pdf"]["get"]
    assert "application/pdf" in flyer["responses"]["200"]["content"]
    social = paths["/api/v1/properties/{id}/materials/social.png"]["get"]
    assert {p["name"] for p in social["parameters"]} >= {"size", "banner"}
    assert "/api/v1/properties/{id}/description-drafts/" in paths
    assert "/api/v1/me/signature/" in paths


def test_api_drafts_carry_fair_housing_findings_with_their_message(api_for, personas):
    FairHousingRule.objects.create(
        brokerage=personas.brokerage,
        phrase="adults only",
        protected_class=ProtectedClass.FAMILIAL_STATUS,
        reason="Limits households with children.",
        suggestion="Describe the home.",
    )
    listing = make_marketed_listing(personas, photos=0, interior_features=["Adults Only Lounge"])

    drafts = api_for("agent").get(f"/api/v1/properties/{listing.pk}/description-drafts/").json()

    flagged = [draft for draft in drafts if draft["findings"]]
    assert flagged
    finding = flagged[0]["findings"][0]
    assert finding["text"] == "adults only" and finding["protected_class"] == "familial_status"
    assert finding["message"].startswith('"adults only"')


def test_materials_page_and_drafts_in_fixed_queries(
    client_for, api_for, personas, listing, django_assert_max_num_queries
):
    page_client = client_for("agent")
    page_client.get(f"/listings/{listing.pk}/materials/")
    with django_assert_max_num_queries(8):
        assert page_client.get(f"/listings/{listing.pk}/materials/").status_code == 200
    api = api_for("agent")
    api.get(f"/api/v1/properties/{listing.pk}/description-drafts/")
    with django_assert_max_num_queries(4):
        api.get(f"/api/v1/properties/{listing.pk}/description-drafts/")
