from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from properties.choices import MediaStatus
from properties.models import PriceChange, Property, PropertyMedia
from properties.services import listing_update, media_add
from properties.tasks import media_process_task
from tests.testing.factories import image_bytes, listing_data, make_listing

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/properties/"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")


def detail_url(listing):
    return f"/api/v1/properties/{listing.pk}/"


def media_url(listing):
    return f"/api/v1/properties/{listing.pk}/media/"


def photo_url(listing, photo):
    return f"/api/v1/properties/{listing.pk}/media/{photo.pk}/"


def timeline_url(listing):
    return f"/api/v1/properties/{listing.pk}/timeline/"


def jpeg_upload(name="front.jpg", size=(800, 600)):
    return SimpleUploadedFile(name, image_bytes("JPEG", size=size), content_type="image/jpeg")


def add_photo(listing, actor, size=(40, 30)):
    """A stored photo, without running its variants (no on-commit callbacks in a test)."""
    return media_add(listing=listing, upload=jpeg_upload(size=size), actor=actor)


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def snapshot(listing):
    """What must not move when a request is refused."""
    listing = Property.objects.get(pk=listing.pk)
    return (
        listing.list_price,
        listing.street_name,
        listing.brokerage_id,
        listing.archived_at,
        listing.updated_at,
        listing.photos_count,
        PriceChange.objects.filter(property=listing).count(),
        PropertyMedia.objects.filter(property=listing).count(),
    )


@pytest.fixture
def listing(personas):
    """The agent's listing in brokerage A."""
    return make_listing(personas.agent.user)


@pytest.fixture
def photo(listing, personas):
    return add_photo(listing, personas.agent.user)


def request_each(client, listing, photo):
    """One request to every endpoint that names the listing, as (label, response)."""
    full = listing_data(street_name="Changed")
    return [
        ("GET detail", client.get(detail_url(listing))),
        ("PUT", client.put(detail_url(listing), full)),
        ("PATCH", client.patch(detail_url(listing), {"list_price": "1.00"})),
        ("DELETE", client.delete(detail_url(listing))),
        ("GET media", client.get(media_url(listing))),
        (
            "POST media",
            client.post(media_url(listing), {"file": jpeg_upload()}, format="multipart"),
        ),
        ("DELETE media", client.delete(photo_url(listing, photo))),
        ("GET timeline", client.get(timeline_url(listing))),
    ]


# Who may reach what


def test_anonymous_gets_401_from_every_listing_endpoint(api_for, listing, photo):
    client = api_for("anonymous")
    before = snapshot(listing)
    responses = [
        ("GET list", client.get(LIST_URL)),
        ("POST list", client.post(LIST_URL, listing_data())),
        *request_each(client, listing, photo),
    ]
    assert {label: response.status_code for label, response in responses} == {
        label: 401 for label, _ in responses
    }
    assert snapshot(listing) == before
    assert Property.objects.count() == 1


def test_stranger_gets_404_for_every_endpoint_of_another_brokerages_listing(
    api_for, listing, photo
):
    before = snapshot(listing)
    responses = request_each(api_for("stranger"), listing, photo)
    assert {label: response.status_code for label, response in responses} == {
        label: 404 for label, _ in responses
    }
    assert snapshot(listing) == before


def test_stranger_list_leaves_out_another_brokerages_listings(api_for, personas, listing):
    own = make_listing(personas.stranger.user)
    response = api_for("stranger").get(LIST_URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [own.pk]


@pytest.mark.parametrize("persona", BROKERAGE_A)
def test_everyone_in_the_brokerage_lists_and_reads_its_listings(api_for, personas, persona):
    mine = make_listing(personas.agent.user)
    colleagues = make_listing(personas.colleague.user)
    make_listing(personas.stranger.user)
    client = api_for(persona)
    listed = client.get(LIST_URL)
    assert listed.status_code == 200
    assert {row["id"] for row in listed.data["results"]} == {mine.pk, colleagues.pk}
    assert client.get(detail_url(mine)).status_code == 200
    assert client.get(timeline_url(mine)).status_code == 200
    assert client.get(media_url(mine)).status_code == 200


@pytest.mark.parametrize("persona", ["colleague", "assistant", "viewer"])
def test_others_in_the_brokerage_get_403_changing_the_agents_listing(
    api_for, listing, photo, persona
):
    client = api_for(persona)
    before = snapshot(listing)
    responses = {
        "PUT": client.put(detail_url(listing), listing_data(street_name="Changed")),
        "PATCH": client.patch(detail_url(listing), {"list_price": "1.00"}),
        "DELETE": client.delete(detail_url(listing)),
        "POST media": client.post(media_url(listing), {"file": jpeg_upload()}, format="multipart"),
        "DELETE media": client.delete(photo_url(listing, photo)),
    }
    assert {label: r.status_code for label, r in responses.items()} == dict.fromkeys(responses, 403)
    assert snapshot(listing) == before


def test_viewer_gets_403_adding_a_listing(api_for):
    response = api_for("viewer").post(LIST_URL, listing_data())
    assert response.status_code == 403
    assert not Property.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "assistant", "broker", "stranger"])
def test_writers_add_a_listing_to_their_own_brokerage(api_for, personas, persona):
    response = api_for(persona).post(LIST_URL, listing_data(street_name="Birch"))
    assert response.status_code == 201, response.data
    created = Property.objects.get(pk=response.data["id"])
    assert created.brokerage == getattr(personas, persona).brokerage
    assert created.street_name == "Birch"
    assert created.source == "local"
    assert response.data["listing_key"] == created.listing_key
    assert response.data["list_price"] == "350000.00"
    assert response.data["standard_status_label"] == "Active"


def test_agent_listing_is_listed_by_themselves(api_for, personas):
    response = api_for("agent").post(LIST_URL, listing_data())
    assert response.data["list_agent"] == personas.agent.pk
    assert response.data["list_agent_summary"]["name"] == personas.agent.name
    assert response.data["list_office_summary"] == {
        "id": personas.office.pk,
        "name": personas.office.name,
    }


def test_broker_lists_a_home_for_an_agent(api_for, personas):
    response = api_for("broker").post(LIST_URL, listing_data(list_agent=personas.colleague.pk))
    assert response.status_code == 201, response.data
    assert Property.objects.get().list_agent == personas.colleague


@pytest.mark.parametrize("owner", ["agent", "colleague"])
def test_broker_changes_and_archives_any_listing_of_the_brokerage(api_for, personas, owner):
    listing = make_listing(getattr(personas, owner).user)
    client = api_for("broker")
    assert client.patch(detail_url(listing), {"city": "Shelbyville"}).status_code == 200
    upload = client.post(media_url(listing), {"file": jpeg_upload()}, format="multipart")
    assert upload.status_code == 201
    assert client.delete(detail_url(listing)).status_code == 204
    listing.refresh_from_db()
    assert listing.city == "Shelbyville"
    assert listing.photos_count == 1
    assert listing.archived_at is not None


def test_agent_replaces_their_listing_with_put(api_for, listing):
    response = api_for("agent").put(detail_url(listing), listing_data(street_name="Cedar"))
    assert response.status_code == 200, response.data
    listing.refresh_from_db()
    assert listing.street_name == "Cedar"


# Reading


def test_listing_detail_has_every_field_labels_agent_and_photos(api_for, personas, listing, photo):
    response = api_for("colleague").get(detail_url(listing))
    data = response.data
    assert data["id"] == listing.pk
    assert data["brokerage"] == personas.brokerage.pk
    assert data["standard_status_label"] == "Active"
    assert data["property_type_label"] == "Residential"
    assert data["property_sub_type_label"] == "Single Family Residence"
    assert data["source_label"] == "Entered by the brokerage"
    assert data["list_price"] == "350000.00"
    assert data["address_line"] == listing.address_line
    assert data["list_agent_summary"] == {
        "id": personas.agent.pk,
        "name": personas.agent.name,
        "email": personas.agent.email,
        "phone": "",
    }
    assert data["heating"] == []
    assert "search_document" not in data
    [shown] = data["photos"]
    assert shown["id"] == photo.pk
    assert shown["urls"]["thumbnail"]["jpeg"].startswith("http://testserver/media/listings/")


def test_listing_list_is_compact_with_the_first_photos_thumbnail(
    api_for, personas, listing, django_capture_on_commit_callbacks
):
    first = add_photo(listing, personas.agent.user)
    add_photo(listing, personas.agent.user)
    # Until its thumbnail is made, a card shows no photo rather than the full-size upload.
    [row] = api_for("agent").get(LIST_URL).data["results"]
    assert row["thumbnail_url"] is None
    with django_capture_on_commit_callbacks(execute=True):
        media_process_task.delay(media_id=first.pk)
    first.refresh_from_db()
    [row] = api_for("agent").get(LIST_URL).data["results"]
    assert row["thumbnail_url"] == f"http://testserver{first.thumbnail_url()}"
    assert row["photos_count"] == 2
    assert row["list_agent_name"] == personas.agent.name
    assert row["standard_status_label"] == "Active"
    assert "public_remarks" not in row


def test_listing_list_without_photos_has_no_thumbnail(api_for, listing):
    [row] = api_for("agent").get(LIST_URL).data["results"]
    assert row["thumbnail_url"] is None


# Filters, search, sort and pages (the listing page's filter set)


@pytest.fixture
def assorted(personas):
    user = personas.agent.user
    return {
        "cheap": make_listing(
            user, list_price=Decimal("150000"), bedrooms_total=2, city="Springfield"
        ),
        "mid": make_listing(
            user,
            list_price=Decimal("400000"),
            bedrooms_total=3,
            city="Shelbyville",
            standard_status="Pending",
        ),
        "dear": make_listing(
            user,
            list_price=Decimal("900000"),
            bedrooms_total=5,
            city="Springfield",
            property_type="ResidentialLease",
            public_remarks="Lakefront estate with a private dock.",
        ),
    }


def ids(response):
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "Pending"}, {"mid"}),
        ({"status": ["Active", "Pending"]}, {"cheap", "mid", "dear"}),
        ({"property_type": "ResidentialLease"}, {"dear"}),
        ({"city": "springfield"}, {"cheap", "dear"}),
        ({"min_price": "300000", "max_price": "500000"}, {"mid"}),
        ({"min_beds": 3}, {"mid", "dear"}),
        ({"q": "lakefront dock"}, {"dear"}),
        ({"q": "nowhere"}, set()),
    ],
)
def test_listing_list_filters_with_the_shared_filterset(api_for, assorted, query, expected):
    response = api_for("agent").get(LIST_URL, query)
    assert set(ids(response)) == {assorted[name].pk for name in expected}


def test_listing_list_sorts_by_price_both_ways(api_for, assorted):
    client = api_for("agent")
    cheap, mid, dear = assorted["cheap"].pk, assorted["mid"].pk, assorted["dear"].pk
    assert ids(client.get(LIST_URL, {"sort": "price"})) == [cheap, mid, dear]
    assert ids(client.get(LIST_URL, {"sort": "-price"})) == [dear, mid, cheap]


def test_listing_list_rejects_an_unknown_filter_value(api_for, assorted):
    response = api_for("agent").get(LIST_URL, {"status": "Sold"})
    assert response.status_code == 400
    assert "status" in response.data


def test_listing_list_pages_with_page_and_page_size(api_for, personas):
    for _ in range(5):
        make_listing(personas.agent.user)
    client = api_for("agent")
    first = client.get(LIST_URL, {"page_size": 2})
    assert first.data["count"] == 5
    assert len(first.data["results"]) == 2
    assert "page=2" in first.data["next"]
    last = client.get(LIST_URL, {"page_size": 2, "page": 3})
    assert len(last.data["results"]) == 1
    assert last.data["next"] is None
    seen = ids(first) + ids(client.get(LIST_URL, {"page_size": 2, "page": 2})) + ids(last)
    assert len(set(seen)) == 5
    assert client.get(LIST_URL, {"page": 9}).status_code == 404


def test_listing_list_query_count_does_not_grow_with_listings_and_photos(
    personas, django_user_model, django_assert_num_queries
):
    def fresh_client():
        # A user loaded afresh, as on every real request, so their role is looked up again.
        client = APIClient()
        client.force_authenticate(django_user_model.objects.get(pk=personas.agent.user.pk))
        return client

    def add_listings(count):
        for _ in range(count):
            listing = make_listing(personas.agent.user)
            add_photo(listing, personas.agent.user)
            add_photo(listing, personas.agent.user)

    # the caller's agent profile with role, the count, the page of listings with their
    # agent, office and cover thumbnail
    add_listings(3)
    client = fresh_client()
    with django_assert_num_queries(3):
        assert len(client.get(LIST_URL).data["results"]) == 3
    add_listings(27)
    client = fresh_client()
    with django_assert_num_queries(3):
        assert len(client.get(LIST_URL, {"page_size": 30}).data["results"]) == 30


# Field errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"list_price": "-1.00"}, "list_price"),
        ({"list_price": "lots"}, "list_price"),
        ({"property_type": "Castle"}, "property_type"),
        ({"standard_status": "Sold"}, "standard_status"),
        ({"bedrooms_total": -2}, "bedrooms_total"),
        ({"year_built": 1200}, "year_built"),
        ({"heating": "Forced air"}, "heating"),
    ],
)
def test_invalid_listing_field_is_a_400_naming_the_field(api_for, listing, payload, field):
    before = snapshot(listing)
    response = api_for("agent").patch(detail_url(listing), payload)
    assert response.status_code == 400
    assert field in response.data
    assert snapshot(listing) == before


def test_new_listing_without_required_fields_is_a_400_naming_them(api_for):
    data = listing_data()
    del data["street_name"], data["list_price"]
    response = api_for("agent").post(LIST_URL, data)
    assert response.status_code == 400
    assert {"street_name", "list_price"} <= set(response.data)
    assert not Property.objects.exists()


def test_read_only_fields_sent_by_the_client_are_ignored(api_for, personas, listing):
    response = api_for("agent").patch(
        detail_url(listing),
        {
            "brokerage": personas.other_brokerage.pk,
            "listing_key": "stolen-key",
            "source": "mls",
            "archived_at": timezone.now().isoformat(),
            "photos_count": 40,
            "city": "Capital City",
        },
    )
    assert response.status_code == 200, response.data
    listing.refresh_from_db()
    assert listing.brokerage == personas.brokerage
    assert listing.listing_key != "stolen-key"
    assert listing.source == "local"
    assert listing.archived_at is None
    assert listing.photos_count == 0
    assert listing.city == "Capital City"


def test_list_agent_of_another_brokerage_is_a_400(api_for, personas, listing):
    response = api_for("broker").patch(detail_url(listing), {"list_agent": personas.stranger.pk})
    assert response.status_code == 400
    assert "list_agent" in response.data
    listing.refresh_from_db()
    assert listing.list_agent == personas.agent


def test_agent_cannot_hand_their_listing_to_a_colleague(api_for, personas, listing):
    response = api_for("agent").patch(detail_url(listing), {"list_agent": personas.colleague.pk})
    assert response.status_code == 400
    assert response.data["list_agent"] == ["You can only list properties for yourself."]
    listing.refresh_from_db()
    assert listing.list_agent == personas.agent


# History


def test_price_change_through_the_api_shows_in_the_timeline(api_for, personas, listing):
    client = api_for("agent")
    response = client.patch(detail_url(listing), {"list_price": "375000.00"})
    assert response.status_code == 200
    assert response.data["list_price"] == "375000.00"
    change = PriceChange.objects.filter(property=listing).latest("pk")
    assert (change.old_price, change.new_price) == (Decimal("350000.00"), Decimal("375000.00"))
    assert change.changed_by == personas.agent.user
    newest = client.get(timeline_url(listing)).data[0]
    assert newest["kind"] == "price"
    assert (newest["old"], newest["new"]) == ("350000.00", "375000.00")
    assert newest["changed_by"] == personas.agent.user.get_full_name()
    assert (newest["source"], newest["source_label"]) == ("local", "Brokerage")


def test_timeline_lists_status_changes_with_labels_newest_first(api_for, personas, listing):
    listing_update(
        listing=listing, data={"standard_status": "ComingSoon"}, actor=personas.agent.user
    )
    entries = api_for("viewer").get(timeline_url(listing)).data
    assert [entry["kind"] for entry in entries] == ["status", "price", "status"]
    assert entries[0]["old_label"] == "Active"
    assert entries[0]["new_label"] == "Coming Soon"
    assert (entries[-1]["old"], entries[-1]["new_label"]) == (None, "Active")
    assert entries[1]["old"] is None


def test_delete_archives_the_listing_and_keeps_its_history(api_for, listing, photo):
    client = api_for("agent")
    assert client.delete(detail_url(listing)).status_code == 204
    listing.refresh_from_db()
    assert listing.archived_at is not None
    assert PriceChange.objects.filter(property=listing).exists()
    assert PropertyMedia.objects.filter(property=listing).exists()
    assert ids(client.get(LIST_URL)) == []
    assert ids(client.get(LIST_URL, {"archived": "true"})) == [listing.pk]
    archived = client.get(detail_url(listing))
    assert archived.status_code == 200
    assert archived.data["archived_at"] is not None
    assert client.get(timeline_url(listing)).status_code == 200


# Photos


def test_agent_uploads_a_jpeg_and_its_variants_are_made(
    api_for, listing, settings, django_capture_on_commit_callbacks
):
    client = api_for("agent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            media_url(listing),
            {"file": jpeg_upload(size=(1200, 900)), "caption": "Front porch"},
            format="multipart",
        )
    assert response.status_code == 201, response.data
    photo = PropertyMedia.objects.get(property=listing)
    assert photo.status == MediaStatus.READY
    assert set(photo.variants) == {"thumbnail", "medium", "large"}
    assert (photo.width, photo.height, photo.caption) == (1200, 900, "Front porch")
    listing.refresh_from_db()
    assert listing.photos_count == 1
    assert len(stored_files(settings)) == 7  # the original and 3 sizes in JPEG and WebP
    photos = client.get(media_url(listing)).data
    assert [shown["id"] for shown in photos] == [photo.pk]
    assert photos[0]["status"] == "ready"
    assert photos[0]["urls"]["thumbnail"]["jpeg"].endswith("/thumbnail.jpg")
    assert photos[0]["urls"]["medium"]["webp"].endswith("/medium.webp")


def test_photos_are_listed_in_their_order(api_for, personas, listing):
    first = add_photo(listing, personas.agent.user)
    second = add_photo(listing, personas.agent.user)
    response = api_for("colleague").get(media_url(listing))
    assert [shown["id"] for shown in response.data] == [first.pk, second.pk]


def test_each_new_photo_takes_the_next_position(api_for, personas, listing):
    for _ in range(3):
        add_photo(listing, personas.agent.user)
    response = api_for("agent").get(media_url(listing))
    assert [shown["position"] for shown in response.data] == [0, 1, 2]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.jpg", b"not an image at all", content_type="image/jpeg"),
        SimpleUploadedFile("spin.gif", image_bytes("GIF"), content_type="image/gif"),
        SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"),
    ],
    ids=["not-an-image", "gif", "empty"],
)
def test_upload_that_is_not_an_accepted_photo_is_a_400_and_nothing_is_stored(
    api_for, listing, settings, upload
):
    response = api_for("agent").post(media_url(listing), {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.data
    assert not PropertyMedia.objects.exists()
    assert stored_files(settings) == []
    listing.refresh_from_db()
    assert listing.photos_count == 0


def test_upload_without_a_file_is_a_400(api_for, listing):
    response = api_for("agent").post(media_url(listing), {"caption": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.data


def test_agent_deletes_a_photo_and_its_files(
    api_for, listing, settings, django_capture_on_commit_callbacks
):
    client = api_for("agent")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(media_url(listing), {"file": jpeg_upload()}, format="multipart")
    photo = PropertyMedia.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(photo_url(listing, photo))
    assert response.status_code == 204
    assert not PropertyMedia.objects.exists()
    assert stored_files(settings) == []
    listing.refresh_from_db()
    assert listing.photos_count == 0


def test_deleting_a_photo_of_another_listing_is_a_404(api_for, personas, listing):
    other = make_listing(personas.agent.user)
    foreign = add_photo(other, personas.agent.user)
    response = api_for("agent").delete(photo_url(listing, foreign))
    assert response.status_code == 404
    assert PropertyMedia.objects.filter(pk=foreign.pk).exists()
