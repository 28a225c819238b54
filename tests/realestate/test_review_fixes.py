"""Back-office scoping, token and schema access, and edge inputs found in review."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from agents.models import Office
from agents.services.people import office_create, team_create
from properties.models import Property, PropertyMedia
from properties.services import listing_share, media_add
from tests.testing.factories import image_bytes, make_listing

pytestmark = pytest.mark.django_db


def test_admin_filters_never_name_another_brokerages_offices_or_teams(personas, client_for):
    office_create(brokerage=personas.other_brokerage, name="RivalOfficeName")
    team_create(brokerage=personas.other_brokerage, name="RivalTeamName")
    content = client_for("broker").get(reverse("admin:agents_agent_changelist")).content.decode()
    assert "RivalOfficeName" not in content
    assert "RivalTeamName" not in content
    assert personas.office.name in content


def test_a_second_office_of_the_same_name_is_a_form_error_not_a_crash(personas, client_for):
    response = client_for("broker").post(reverse("admin:agents_office_add"), {"name": "Downtown"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Office.objects.filter(brokerage=personas.brokerage, name="Downtown").count() == 1


def test_a_taken_username_is_a_form_error_when_adding_an_agent(personas, client_for):
    response = client_for("broker").post(
        reverse("admin:agents_agent_add"),
        {"username": "alice", "role": "agent", "is_active": "on", "market_areas": "[]"}
        | {"specialties": "[]"},
    )
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def test_a_broker_cannot_open_the_global_audit_log(personas, client_for):
    response = client_for("broker").get("/admin/auditlog/logentry/")
    assert response.status_code == 403


def test_history_and_listings_cannot_be_deleted_in_the_back_office(personas, client_for):
    listing = make_listing(personas.agent.user)
    change = listing.pricechanges.get()
    client = client_for("broker")
    url = reverse("admin:properties_pricechange_delete", args=[change.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    url = reverse("admin:properties_property_delete", args=[listing.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Property.objects.filter(pk=listing.pk).exists()
    assert listing.pricechanges.exists()


def test_deleting_a_photo_in_the_back_office_goes_through_the_photo_service(
    personas, client_for, settings
):
    listing = make_listing(personas.agent.user)
    upload = SimpleUploadedFile("a.jpg", image_bytes("JPEG", (400, 300)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        media = media_add(listing=listing, upload=upload, actor=personas.agent.user)
    media.refresh_from_db()
    stored = settings.MEDIA_ROOT / media.original.name
    assert stored.exists()
    url = reverse("admin:properties_propertymedia_delete", args=[media.pk])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for("broker").post(url, {"post": "yes"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.photos_count, listing.cover_thumbnail) == (0, "")
    assert not stored.exists()
    assert not PropertyMedia.objects.exists()


@pytest.mark.parametrize("size", ["²", "٤٨", "0", "-1", "abc"])
def test_odd_page_sizes_fall_back_to_the_default(personas, client_for, size):
    make_listing(personas.agent.user)
    response = client_for("agent").get(reverse("properties:list"), {"page_size": size})
    assert response.status_code == 200
    assert response.context["paginator"].per_page == 24


@pytest.mark.parametrize(("sort", "field"), [("-beds", "bedrooms_total"), ("-area", "living_area")])
def test_listings_without_a_value_sort_last_on_every_database(personas, client_for, sort, field):
    make_listing(personas.agent.user, **{field: None, "street_name": "Empty"})
    make_listing(personas.agent.user, **{field: 5, "street_name": "Full"})
    response = client_for("agent").get(reverse("properties:list"), {"sort": sort})
    streets = [listing.street_name for listing in response.context["object_list"]]
    assert streets == ["Full", "Empty"]


def test_an_agent_photo_keeps_the_extension_of_its_real_format(personas):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "PNG")
    personas.agent.photo = SimpleUploadedFile("x.html", buffer.getvalue() + b"<script>1</script>")
    personas.agent.full_clean()
    personas.agent.save()
    assert personas.agent.photo.name.endswith(".png")


def test_an_agent_cannot_leave_their_listing_without_an_agent(personas, api_for):
    listing = make_listing(personas.agent.user)
    response = api_for("agent").patch(
        f"/api/v1/properties/{listing.pk}/", {"list_agent": None}, format="json"
    )
    assert response.status_code == 400
    assert "list_agent" in response.data
    listing.refresh_from_db()
    assert listing.list_agent == personas.agent


def test_a_colleague_trusted_with_changes_archives_through_the_api_as_on_the_page(
    personas, api_for
):
    listing = make_listing(personas.agent.user)
    listing_share(
        listing=listing, agent=personas.colleague, actor=personas.agent.user, can_change=True
    )
    assert api_for("colleague").delete(f"/api/v1/properties/{listing.pk}/").status_code == 204
    listing.refresh_from_db()
    assert listing.is_archived


def test_the_api_schema_and_docs_need_a_signed_in_user(personas, client, api_for):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)
    assert api_for("agent").get("/api/schema/").status_code == 200


def test_a_rotated_refresh_token_cannot_be_used_again(personas, client):
    user = personas.agent.user
    user.set_password("a-long-enough-password")
    user.save()
    tokens = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "a-long-enough-password"}
    ).json()
    first = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert again.status_code == 401


def test_throttling_ignores_a_forged_forwarded_address(personas, client, settings, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    codes = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(4)
    ]
    assert codes[-1] == 429
