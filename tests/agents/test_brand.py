"""The brand kit (page, admin, service) and the email signature page, for every persona."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agents.models import Brokerage
from agents.services.brand import brokerage_brand_update
from agents.services.people import agent_update
from tests.properties.materials_fixture import logo_upload

pytestmark = pytest.mark.django_db
URL = "/brand/"
SIGNATURE_URL = "/signature/"


def brand_post(**overrides):
    data = {
        "brand_primary_color": "#0b6e4f",
        "brand_accent_color": "#fde68a",
        "brand_font": "Courier",
        "brand_disclaimer": "Licensed in Illinois.",
    }
    data.update(overrides)
    return data


def bomb_upload():
    """A tiny PNG whose header claims 20,000 × 20,000 pixels."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG", optimize=True)
    return SimpleUploadedFile("logo.png", buffer.getvalue(), "image/png")


def test_broker_sees_the_brand_kit_with_its_preview(client_for):
    response = client_for("broker").get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-brand-form="brand-kit-form"' in body and 'data-background="#1d5fa8"' in body
    assert "js/materials.js" in body


@pytest.mark.parametrize("name", ("agent", "colleague", "assistant", "viewer", "stranger"))
def test_only_the_broker_may_open_or_change_the_brand_kit(client_for, personas, name):
    client = client_for(name)
    assert client.get(URL).status_code == 403
    assert client.post(URL, brand_post()).status_code == 403
    for brokerage in Brokerage.objects.all():
        assert brokerage.brand_primary_color == "#1d5fa8"


def test_anonymous_is_sent_to_sign_in(client_for):
    response = client_for("anonymous").get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_broker_saves_colours_font_disclaimer_and_logo(client_for, personas):
    response = client_for("broker").post(URL, {**brand_post(), "brand_logo": logo_upload()})

    assert response.status_code == 302 and response["Location"] == URL
    brokerage = Brokerage.objects.get(pk=personas.brokerage.pk)
    assert brokerage.brand_primary_color == "#0b6e4f"
    assert brokerage.brand_accent_color == "#fde68a"
    assert brokerage.brand_font == "Courier"
    assert brokerage.brand_disclaimer == "Licensed in Illinois."
    assert brokerage.brand_logo.name.startswith("brands/") and brokerage.brand_logo.name.endswith(
        ".png"
    )
    other = Brokerage.objects.get(pk=personas.other_brokerage.pk)
    assert other.brand_primary_color == "#1d5fa8" and not other.brand_logo
    page = client_for("broker").get(URL).content.decode()
    assert brokerage.brand_logo.url in page


def test_a_bad_colour_is_a_field_error_and_keeps_what_was_typed(client_for, personas):
    response = client_for("broker").post(
        URL, brand_post(brand_primary_color="blue", brand_disclaimer="Kept text")
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert "#RRGGBB" in form.errors["brand_primary_color"][0]
    body = response.content.decode()
    assert 'value="blue"' in body and "Kept text" in body
    assert Brokerage.objects.get(pk=personas.brokerage.pk).brand_primary_color == "#1d5fa8"


@pytest.mark.parametrize(
    ("upload", "message"),
    (
        (SimpleUploadedFile("logo.png", b"not an image at all", "image/png"), "not an image"),
        (bomb_upload(), "too large"),
    ),
)
def test_a_bad_logo_file_is_refused(client_for, personas, upload, message):
    response = client_for("broker").post(URL, {**brand_post(), "brand_logo": upload})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["brand_logo"])
    brokerage = Brokerage.objects.get(pk=personas.brokerage.pk)
    assert not brokerage.brand_logo and brokerage.brand_primary_color == "#1d5fa8"


def test_broker_removes_the_logo_and_the_file_goes(
    client_for, personas, django_capture_on_commit_callbacks
):
    client = client_for("broker")
    client.post(URL, {**brand_post(), "brand_logo": logo_upload()})
    brokerage = Brokerage.objects.get(pk=personas.brokerage.pk)
    storage, name = brokerage.brand_logo.storage, brokerage.brand_logo.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**brand_post(), "brand_logo-clear": "on"})

    assert response.status_code == 302
    assert not Brokerage.objects.get(pk=personas.brokerage.pk).brand_logo
    assert not storage.exists(name)


def test_service_refuses_anyone_but_the_broker(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        brokerage_brand_update(
            brokerage=personas.brokerage,
            data={"brand_primary_color": "#000000"},
            actor=personas.agent.user,
        )
    with pytest.raises(PermissionDenied):
        brokerage_brand_update(
            brokerage=personas.other_brokerage,
            data={"brand_primary_color": "#000000"},
            actor=personas.broker.user,
        )


def test_admin_shows_the_brand_kit_fieldset_with_a_logo_preview(client_for, personas):
    client = client_for("broker")
    client.post(URL, {**brand_post(), "brand_logo": logo_upload()})
    personas.brokerage.refresh_from_db()

    response = client.get(f"/admin/agents/brokerage/{personas.brokerage.pk}/change/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Brand kit" in body and 'class="brand-logo-preview"' in body
    assert personas.brokerage.brand_logo.url in body


# The email signature page


@pytest.mark.parametrize("name", ("agent", "colleague", "assistant", "broker", "stranger"))
def test_members_see_their_own_signature(client_for, personas, name):
    response = client_for(name).get(SIGNATURE_URL)
    assert response.status_code == 200
    agent = getattr(personas, name)
    assert response.context["agent"] == agent
    assert agent.name in response.context["signature"].html
    assert response.context["can_edit"]


def test_agent_sets_their_title_and_it_shows_in_the_signature(client_for, personas):
    response = client_for("agent").post(
        SIGNATURE_URL, {"title": "Listing specialist", "phone": "555-0199"}
    )

    assert response.status_code == 302
    personas.agent.refresh_from_db()
    assert (personas.agent.title, personas.agent.phone) == ("Listing specialist", "555-0199")
    page = client_for("agent").get(SIGNATURE_URL)
    assert "Listing specialist" in page.context["signature"].html


def test_viewer_reads_the_signature_but_cannot_change_it(client_for, personas):
    assert not client_for("viewer").get(SIGNATURE_URL).context["can_edit"]
    assert client_for("viewer").post(SIGNATURE_URL, {"title": "Boss"}).status_code == 403
    personas.viewer.refresh_from_db()
    assert personas.viewer.title == ""


def test_anonymous_is_sent_to_sign_in_from_the_signature(client_for):
    response = client_for("anonymous").get(SIGNATURE_URL)
    assert response.status_code == 302


def test_an_agent_may_change_their_own_title(personas):
    agent_update(agent=personas.agent, data={"title": "REALTOR®"}, actor=personas.agent.user)
    personas.agent.refresh_from_db()
    assert personas.agent.title == "REALTOR®"
