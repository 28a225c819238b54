"""The agents' listing pages, for every persona."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from properties.choices import MediaStatus
from properties.forms import LISTING_FORM_FIELDS, PropertyForm
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.services import LISTING_EDITABLE_FIELDS, listing_archive, media_add
from tests.testing.factories import image_bytes, listing_data, make_listing

pytestmark = pytest.mark.django_db

WRITERS_OF_AGENTS_LISTING = ("agent", "broker")
BLOCKED_IN_BROKERAGE = ("colleague", "assistant", "viewer")


@pytest.fixture
def listing(personas):
    return make_listing(personas.agent.user, street_name="Juniper", city="Springfield")


@pytest.fixture
def stranger_listing(personas):
    return make_listing(personas.stranger.user, street_name="Harbor", city="Bayside")


def url(name, *args):
    return reverse(f"properties:{name}", args=args)


def listed_pks(response):
    return {listing.pk for listing in response.context["object_list"]}


def jpeg_upload(name="front.jpg", **kwargs):
    return SimpleUploadedFile(name, image_bytes("JPEG", **kwargs), content_type="image/jpeg")


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def form_post_data(form):
    """What a browser sends back for an unchanged listing form."""
    data = {}
    for field in form:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
            continue
        data[field.name] = "" if value is None else str(value)
    return data


def edit_form_data(client, listing, **changes):
    response = client.get(url("edit", listing.pk))
    data = form_post_data(response.context["form"])
    data.update({name: str(value) for name, value in changes.items()})
    return data


def create_form_data(**overrides):
    data = dict.fromkeys(LISTING_FORM_FIELDS, "")
    data["country"] = "US"
    data.update({name: str(value) for name, value in listing_data(**overrides).items()})
    return data


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------- the form covers exactly the editable fields ----------


def test_listing_form_offers_every_editable_field_and_nothing_else():
    assert set(LISTING_FORM_FIELDS) == LISTING_EDITABLE_FIELDS
    assert "search_document" not in PropertyForm.base_fields


# ---------- list page ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "broker"])
def test_brokerage_members_see_the_brokerage_listings(
    personas, client_for, listing, stranger_listing, persona
):
    response = client_for(persona).get(url("list"))
    assert response.status_code == 200
    assert listed_pks(response) == {listing.pk}
    assert "Juniper" in response.content.decode()


def test_stranger_sees_only_their_own_brokerage_listings(client_for, listing, stranger_listing):
    response = client_for("stranger").get(url("list"))
    assert listed_pks(response) == {stranger_listing.pk}
    assert "Juniper" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login_from_the_list(client_for, listing):
    assert_redirects_to_login(client_for("anonymous").get(url("list")))


def test_list_shows_price_address_facts_status_and_days_on_market(client_for, personas):
    make_listing(
        personas.agent.user,
        street_number="12",
        street_name="Quarry",
        list_price=Decimal("1234567.00"),
        bedrooms_total=4,
        living_area=2450,
        standard_status="Pending",
        days_on_market=17,
    )
    content = client_for("agent").get(url("list")).content.decode()
    assert "$1,234,567" in content
    assert "12 Quarry Ave" in content
    assert "2,450" in content
    assert "badge--pending" in content
    assert "17 days on market" in content


def test_list_cards_show_the_cover_photo_or_the_placeholder_drawing(client_for, personas):
    pictured = make_listing(personas.agent.user, street_name="Pictured")
    Property.objects.filter(pk=pictured.pk).update(
        cover_thumbnail="https://photos.mls.test/pictured/thumb.jpg"
    )
    make_listing(personas.agent.user, street_name="Bare")

    content = client_for("agent").get(url("list")).content.decode()

    assert content.count('src="https://photos.mls.test/pictured/thumb.jpg"') == 1
    # The listing without photos draws the placeholder from the style sheet, not an <img>.
    assert content.count("listing-card__photo--none") == 1
    assert "no-photo.svg" not in content
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    assert 'url("../img/no-photo.svg")' in css
    assert (Path(settings.BASE_DIR) / "static/img/no-photo.svg").exists()


def test_list_cards_count_days_on_market_from_the_on_market_date_when_the_mls_gives_none(
    client_for, personas
):
    today = timezone.localdate()
    make_listing(
        personas.agent.user,
        days_on_market=None,
        on_market_date=today - timedelta(days=12),
        listing_contract_date=today - timedelta(days=20),
    )
    make_listing(
        personas.agent.user,
        street_name="Sold",
        days_on_market=None,
        on_market_date=today - timedelta(days=40),
        close_date=today - timedelta(days=10),
    )

    content = client_for("agent").get(url("list")).content.decode()

    assert "12 days on market" in content
    assert "30 days on market" in content  # from on market to closing


def test_list_cards_show_each_status_by_its_label(client_for, personas):
    make_listing(personas.agent.user, standard_status="ActiveUnderContract")
    make_listing(personas.agent.user, standard_status="ComingSoon")

    content = client_for("agent").get(url("list")).content.decode()

    assert "Active Under Contract</span>" in content
    assert "Coming Soon</span>" in content


def test_list_cards_escape_what_they_show_and_link_each_listing(client_for, personas):
    odd = make_listing(
        personas.agent.user,
        street_name="<b>Bold</b> & Co",
        bedrooms_total=None,
        days_on_market=None,
        on_market_date=None,
        listing_contract_date=None,
    )
    one_day = make_listing(personas.agent.user, street_name="Fresh", days_on_market=1)
    listing_archive(listing=make_listing(personas.agent.user), actor=personas.agent.user)

    content = client_for("agent").get(url("list")).content.decode()

    assert "<b>Bold</b>" not in content
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in content
    for listing in (odd, one_day):
        assert content.count(f'href="{listing.get_absolute_url()}"') == 2  # photo and address
    assert "<strong>–</strong> bd" in content
    assert "Not on market yet" in content
    assert "1 day on market" in content
    assert "listing-card--archived" not in content

    archived = client_for("agent").get(url("list"), {"archived": "true"}).content.decode()
    assert archived.count("listing-card--archived") == 1
    assert 'badge--archived">Archived</span>' in archived


def test_list_empty_state_says_what_to_do_next(client_for):
    content = client_for("agent").get(url("list")).content.decode()
    assert "No listings yet" in content
    assert url("create") in content


def test_list_empty_state_for_filters_offers_to_clear_them(client_for, listing):
    content = client_for("agent").get(url("list"), {"city": "Nowhere"}).content.decode()
    assert "No listings match these filters" in content


def test_viewer_is_not_offered_the_add_button(client_for, listing):
    content = client_for("viewer").get(url("list")).content.decode()
    assert url("create") not in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": ["Pending"]}, {"pending"}),
        ({"status": ["Pending", "Closed"]}, {"pending", "closed"}),
        ({"property_type": "Land"}, {"land"}),
        ({"city": "shelbyville"}, {"shelbyville"}),
        ({"postal_code": "62999"}, {"shelbyville"}),
        ({"min_price": "500000"}, {"pricey", "closed"}),
        ({"max_price": "200000"}, {"land"}),
        ({"min_price": "300000", "max_price": "500000"}, {"pending", "shelbyville"}),
        ({"min_beds": "5"}, {"pricey"}),
        ({"min_baths": "3"}, {"pricey", "closed"}),
        ({"min_area": "3000"}, {"pricey"}),
        ({"max_area": "1000"}, {"land"}),
        ({"min_area": "1500", "max_area": "2500"}, {"pending", "shelbyville", "closed"}),
    ],
)
def test_list_filters_narrow_the_listings(personas, client_for, params, expected):
    agent = personas.agent.user
    made = {
        "pending": make_listing(agent, standard_status="Pending", list_price=Decimal("400000")),
        "closed": make_listing(
            agent,
            standard_status="Closed",
            list_price=Decimal("520000"),
            bathrooms_total_integer=3,
        ),
        "land": make_listing(
            agent,
            property_type="Land",
            property_sub_type="UnimprovedLand",
            list_price=Decimal("90000"),
            bedrooms_total=None,
            bathrooms_total_integer=None,
            living_area=900,
        ),
        "shelbyville": make_listing(
            agent, city="Shelbyville", postal_code="62999", list_price=Decimal("310000")
        ),
        "pricey": make_listing(
            agent,
            list_price=Decimal("590000"),
            bedrooms_total=5,
            bathrooms_total_integer=4,
            living_area=3600,
        ),
    }
    response = client_for("agent").get(url("list"), params)
    assert response.status_code == 200
    assert listed_pks(response) == {made[name].pk for name in expected}


def test_mine_shows_only_the_signed_in_agents_listings(personas, client_for, listing):
    make_listing(personas.colleague.user)
    response = client_for("agent").get(url("list"), {"mine": "true"})
    assert listed_pks(response) == {listing.pk}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lakeview", {"street"}),
        ("LAKEVIEW drive", set()),
        ("granite countertops", {"remarks"}),
        ("62704", {"street"}),
        ("Lakeview Springfield", {"street"}),
    ],
)
def test_search_matches_address_and_remarks(personas, client_for, text, expected):
    agent = personas.agent.user
    made = {
        "street": make_listing(
            agent, street_name="Lakeview", street_suffix="Dr", postal_code="62704"
        ),
        "remarks": make_listing(
            agent, street_name="Elm", public_remarks="Granite countertops and a new roof."
        ),
    }
    response = client_for("agent").get(url("list"), {"q": text})
    assert listed_pks(response) == {made[name].pk for name in expected}


@pytest.mark.parametrize(
    ("sort", "expected_prices"),
    [
        ("price", ["100000.00", "200000.00", "300000.00"]),
        ("-price", ["300000.00", "200000.00", "100000.00"]),
    ],
)
def test_sort_orders_the_listings(personas, client_for, sort, expected_prices):
    for price in ("200000", "100000", "300000"):
        make_listing(personas.agent.user, list_price=Decimal(price))
    response = client_for("agent").get(url("list"), {"sort": sort})
    assert [str(item.list_price) for item in response.context["object_list"]] == expected_prices


def test_default_order_is_most_recently_updated_first(personas, client_for):
    first = make_listing(personas.agent.user)
    second = make_listing(personas.agent.user)
    response = client_for("agent").get(url("list"))
    assert [item.pk for item in response.context["object_list"]] == [second.pk, first.pk]


def test_pagination_keeps_the_filters_in_page_links(personas, client_for):
    for _ in range(30):
        make_listing(personas.agent.user, city="Springfield")
    client = client_for("agent")
    first = client.get(url("list"), {"city": "Springfield"})
    assert len(first.context["object_list"]) == 24
    assert first.context["query_without_page"] == "city=Springfield"
    assert "?city=Springfield&amp;page=2" in first.content.decode()
    second = client.get(url("list"), {"city": "Springfield", "page": "2"})
    assert len(second.context["object_list"]) == 6
    assert not listed_pks(first) & listed_pks(second)


def test_page_size_can_be_chosen_from_the_offered_sizes(personas, client_for):
    for _ in range(30):
        make_listing(personas.agent.user)
    client = client_for("agent")
    assert len(client.get(url("list"), {"page_size": "48"}).context["object_list"]) == 30
    assert len(client.get(url("list"), {"page_size": "7"}).context["object_list"]) == 24


def test_archived_listings_are_hidden_unless_asked_for(personas, client_for, listing):
    archived = make_listing(personas.agent.user)
    listing_archive(listing=archived, actor=personas.agent.user)
    client = client_for("agent")
    assert listed_pks(client.get(url("list"))) == {listing.pk}
    response = client.get(url("list"), {"archived": "true"})
    assert listed_pks(response) == {archived.pk}
    assert "Archived" in response.content.decode()


def test_htmx_request_gets_only_the_results_partial(client_for, listing):
    response = client_for("agent").get(url("list"), {"q": "juniper"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert [t.name for t in response.templates][0] == "properties/includes/property_results.html"
    assert "<html" not in content
    assert "Juniper" in content
    assert "HX-Request" in response["Vary"]


def test_plain_request_gets_the_whole_page_with_the_filter_form(client_for, listing):
    response = client_for("agent").get(url("list"))
    content = response.content.decode()
    assert "<html" in content
    assert 'hx-get="/listings/"' in content
    assert 'hx-push-url="true"' in content
    assert 'name="q"' in content


def test_htmx_history_restore_gets_the_whole_page(client_for, listing):
    response = client_for("agent").get(
        url("list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def _listings_with_photos(actor, count):
    for _ in range(count):
        created = make_listing(actor)
        for _ in range(2):
            PropertyMedia.objects.create(property=created, media_url="https://mls.example/p.jpg")


@pytest.mark.parametrize("count", [3, 30])
def test_list_page_uses_a_constant_number_of_queries(
    personas, client_for, django_assert_num_queries, count
):
    _listings_with_photos(personas.agent.user, count)
    client = client_for("agent")
    # session, user, agent profile with role, count, page of listings (with cover photos)
    with django_assert_num_queries(5):
        response = client.get(url("list"), {"page_size": "48"})
    assert len(response.context["object_list"]) == count


# ---------- detail page ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "broker"])
def test_brokerage_members_can_open_a_listing(client_for, listing, persona):
    response = client_for(persona).get(url("detail", listing.pk))
    assert response.status_code == 200
    assert listing.street_address in response.content.decode()


def test_stranger_gets_404_for_another_brokerages_listing(client_for, listing):
    assert client_for("stranger").get(url("detail", listing.pk)).status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_a_listing(client_for, listing):
    assert_redirects_to_login(client_for("anonymous").get(url("detail", listing.pk)))


def test_detail_shows_facts_remarks_private_notes_links_and_agent(personas, client_for):
    shown = make_listing(
        personas.agent.user,
        list_price=Decimal("455000.00"),
        private_remarks="Seller wants a quick close.",
        showing_instructions="Lockbox on the side door.",
        latitude=Decimal("39.781700"),
        longitude=Decimal("-89.650100"),
        virtual_tour_url_unbranded="https://tours.example/123",
        heating=["Forced Air", "Natural Gas"],
        year_built=1987,
    )
    content = client_for("colleague").get(url("detail", shown.pk)).content.decode()
    for text in (
        "$455,000",
        "Sunny family home near the park.",
        "Seller wants a quick close.",
        "Lockbox on the side door.",
        "https://tours.example/123",
        "openstreetmap.org",
        "Forced Air",
        "Natural Gas",
        "1987",
        personas.agent.name,
    ):
        assert text in content


@pytest.mark.parametrize("persona", WRITERS_OF_AGENTS_LISTING)
def test_people_who_may_change_see_the_edit_buttons(client_for, listing, persona):
    content = client_for(persona).get(url("detail", listing.pk)).content.decode()
    assert url("edit", listing.pk) in content
    assert url("archive", listing.pk) in content
    assert url("photos", listing.pk) in content


@pytest.mark.parametrize("persona", BLOCKED_IN_BROKERAGE)
def test_people_who_may_not_change_see_no_edit_buttons(client_for, listing, persona):
    content = client_for(persona).get(url("detail", listing.pk)).content.decode()
    assert url("edit", listing.pk) not in content
    assert url("archive", listing.pk) not in content
    assert url("photos", listing.pk) not in content


def test_archived_listing_offers_restore_instead_of_archive(personas, client_for, listing):
    listing_archive(listing=listing, actor=personas.agent.user)
    content = client_for("agent").get(url("detail", listing.pk)).content.decode()
    assert url("restore", listing.pk) in content
    assert url("archive", listing.pk) not in content


def test_detail_gallery_shows_photos_in_order_with_medium_and_large_variants(
    personas, client_for, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for caption in ("Front", "Kitchen"):
            media_add(
                listing=listing, upload=jpeg_upload(), actor=personas.agent.user, caption=caption
            )
    content = client_for("agent").get(url("detail", listing.pk)).content.decode()
    assert content.index("Front") < content.index("Kitchen")
    assert "/medium.jpg" in content
    assert "/large.jpg" in content


# ---------- create ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "broker", "stranger"])
def test_writers_can_open_the_new_listing_form(client_for, persona):
    assert client_for(persona).get(url("create")).status_code == 200


def test_viewer_cannot_create_a_listing(client_for):
    client = client_for("viewer")
    assert client.get(url("create")).status_code == 403
    assert client.post(url("create"), create_form_data()).status_code == 403
    assert not Property.objects.exists()


def test_anonymous_visitor_cannot_create_a_listing(client_for):
    assert_redirects_to_login(client_for("anonymous").post(url("create"), create_form_data()))
    assert not Property.objects.exists()


def test_new_listing_form_proposes_the_agent_and_their_office(personas, client_for):
    form = client_for("agent").get(url("create")).context["form"]
    assert form["list_agent"].value() == personas.agent.pk
    assert form["list_office"].value() == personas.office.pk


def test_listing_agent_choices_are_limited_to_the_brokerage(personas, client_for):
    form = client_for("broker").get(url("create")).context["form"]
    agents = set(form.fields["list_agent"].queryset)
    assert personas.agent in agents
    assert personas.stranger not in agents
    assert set(form.fields["list_office"].queryset) == {personas.office}


def test_creating_a_listing_records_its_first_price_and_status(personas, client_for):
    client = client_for("agent")
    response = client.post(
        url("create"),
        create_form_data(
            street_name="Sycamore",
            list_price="412500",
            heating="Forced Air, Heat Pump",
            list_agent=personas.agent.pk,
        ),
    )
    created = Property.objects.get(street_name="Sycamore")
    assert response.status_code == 302
    assert response["Location"] == url("detail", created.pk)
    assert created.list_agent == personas.agent
    assert created.brokerage == personas.brokerage
    assert created.heating == ["Forced Air", "Heat Pump"]
    assert created.list_price == Decimal("412500")
    assert PriceChange.objects.filter(property=created, new_price=Decimal("412500")).exists()
    assert StatusChange.objects.filter(property=created, new_status="Active").exists()
    content = client.get(response["Location"]).content.decode()
    assert "Listed at <strong>$412,500</strong>" in content
    assert "Status set to <strong>Active</strong>" in content
    assert "Listing added." in content


def test_invalid_listing_shows_errors_next_to_fields_and_keeps_what_was_typed(client_for):
    data = create_form_data(
        street_name="", list_price="lots", city="Springfield", heating="Radiant, Boiler"
    )
    response = client_for("agent").post(url("create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"street_name", "list_price"}
    content = response.content.decode()
    assert 'id="id_street_name_errors"' in content
    assert 'id="id_list_price_errors"' in content
    assert 'value="Springfield"' in content
    assert 'value="lots"' in content
    assert 'value="Radiant, Boiler"' in content
    assert not Property.objects.exists()


def test_agent_cannot_list_a_property_for_a_colleague(personas, client_for):
    response = client_for("agent").post(
        url("create"), create_form_data(list_agent=personas.colleague.pk)
    )
    assert response.status_code == 200
    assert "You can only list properties for yourself." in response.content.decode()
    assert not Property.objects.exists()


def test_agent_cannot_pick_an_agent_of_another_brokerage(personas, client_for):
    response = client_for("broker").post(
        url("create"), create_form_data(list_agent=personas.stranger.pk)
    )
    assert response.status_code == 200
    assert "list_agent" in response.context["form"].errors
    assert not Property.objects.exists()


# ---------- edit ----------


@pytest.mark.parametrize("persona", WRITERS_OF_AGENTS_LISTING)
def test_listing_agent_and_broker_can_edit_the_listing(client_for, listing, persona):
    client = client_for(persona)
    data = edit_form_data(client, listing, list_price="365000", standard_status="Pending")
    response = client.post(url("edit", listing.pk), data)
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.list_price == Decimal("365000")
    assert listing.standard_status == "Pending"


@pytest.mark.parametrize("persona", BLOCKED_IN_BROKERAGE)
def test_brokerage_members_who_do_not_own_the_listing_get_403_on_edit(
    personas, client_for, listing, persona
):
    owner = client_for("agent")
    data = edit_form_data(owner, listing, list_price="1")
    client = client_for(persona)
    assert client.get(url("edit", listing.pk)).status_code == 403
    assert client.post(url("edit", listing.pk), data).status_code == 403
    listing.refresh_from_db()
    assert listing.list_price == Decimal("350000.00")


def test_stranger_gets_404_on_edit_and_nothing_changes(client_for, listing):
    data = edit_form_data(client_for("agent"), listing, list_price="1")
    client = client_for("stranger")
    assert client.get(url("edit", listing.pk)).status_code == 404
    assert client.post(url("edit", listing.pk), data).status_code == 404
    listing.refresh_from_db()
    assert listing.list_price == Decimal("350000.00")


def test_anonymous_visitor_cannot_edit(client_for, listing):
    assert_redirects_to_login(client_for("anonymous").get(url("edit", listing.pk)))


def test_edit_form_shows_feature_lists_as_comma_separated_text(personas, client_for):
    featured = make_listing(personas.agent.user, appliances=["Dishwasher", "Range"])
    content = client_for("agent").get(url("edit", featured.pk)).content.decode()
    assert 'value="Dishwasher, Range"' in content


def test_editing_price_and_status_adds_them_to_the_timeline(personas, client_for, listing):
    client = client_for("agent")
    data = edit_form_data(client, listing, list_price="339000", standard_status="Pending")
    client.post(url("edit", listing.pk), data)
    change = PriceChange.objects.filter(property=listing).first()
    assert (change.old_price, change.new_price) == (Decimal("350000.00"), Decimal("339000"))
    assert change.changed_by == personas.agent.user
    status = StatusChange.objects.filter(property=listing).first()
    assert (status.old_status, status.new_status) == ("Active", "Pending")
    response = client.get(url("detail", listing.pk))
    kinds = [(entry.kind, entry.old, entry.new) for entry in response.context["timeline"]]
    assert ("price", Decimal("350000.00"), Decimal("339000.00")) in kinds
    assert ("status", "Active", "Pending") in kinds
    content = response.content.decode()
    assert "$350,000</span> → <strong>$339,000</strong>" in content
    assert "Active</span> → <strong>Pending</strong>" in content


def test_an_edit_on_the_page_is_in_the_audit_log_with_the_agent_as_actor(
    personas, client_for, listing
):
    client = client_for("agent")
    client.post(url("edit", listing.pk), edit_form_data(client, listing, list_price="341000"))
    entry = LogEntry.objects.get_for_object(listing).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == personas.agent.user
    old, new = entry.changes_dict["list_price"]
    assert (Decimal(old), Decimal(new)) == (Decimal("350000"), Decimal("341000"))


def test_editing_other_fields_adds_nothing_to_the_timeline(client_for, listing):
    client = client_for("agent")
    client.post(url("edit", listing.pk), edit_form_data(client, listing, city="Chatham"))
    listing.refresh_from_db()
    assert listing.city == "Chatham"
    assert PriceChange.objects.filter(property=listing).count() == 1
    assert StatusChange.objects.filter(property=listing).count() == 1


def test_invalid_edit_keeps_the_typed_values_and_changes_nothing(client_for, listing):
    client = client_for("agent")
    data = edit_form_data(client, listing, city="", list_price="-5", unit_number="4B")
    response = client.post(url("edit", listing.pk), data)
    assert response.status_code == 200
    assert {"city", "list_price"} <= set(response.context["form"].errors)
    assert 'value="4B"' in response.content.decode()
    listing.refresh_from_db()
    assert listing.city == "Springfield"
    assert listing.unit_number == ""


# ---------- archive and restore ----------


@pytest.mark.parametrize("persona", WRITERS_OF_AGENTS_LISTING)
def test_listing_agent_and_broker_can_archive_and_restore(client_for, listing, persona):
    client = client_for(persona)
    response = client.post(url("archive", listing.pk))
    assert response["Location"] == url("detail", listing.pk)
    listing.refresh_from_db()
    assert listing.is_archived
    client.post(url("restore", listing.pk))
    listing.refresh_from_db()
    assert not listing.is_archived


@pytest.mark.parametrize("persona", BLOCKED_IN_BROKERAGE)
def test_brokerage_members_who_do_not_own_the_listing_cannot_archive_or_restore(
    personas, client_for, listing, persona
):
    client = client_for(persona)
    assert client.post(url("archive", listing.pk)).status_code == 403
    listing.refresh_from_db()
    assert not listing.is_archived
    listing_archive(listing=listing, actor=personas.agent.user)
    assert client.post(url("restore", listing.pk)).status_code == 403
    listing.refresh_from_db()
    assert listing.is_archived


def test_stranger_gets_404_on_archive_and_restore(personas, client_for, listing):
    client = client_for("stranger")
    assert client.post(url("archive", listing.pk)).status_code == 404
    listing.refresh_from_db()
    assert not listing.is_archived
    listing_archive(listing=listing, actor=personas.agent.user)
    assert client.post(url("restore", listing.pk)).status_code == 404
    listing.refresh_from_db()
    assert listing.is_archived


def test_anonymous_visitor_cannot_archive(client_for, listing):
    assert_redirects_to_login(client_for("anonymous").post(url("archive", listing.pk)))
    listing.refresh_from_db()
    assert not listing.is_archived


def test_archive_is_post_only(client_for, listing):
    assert client_for("agent").get(url("archive", listing.pk)).status_code == 405
    listing.refresh_from_db()
    assert not listing.is_archived


# ---------- photos ----------


@pytest.mark.parametrize("persona", WRITERS_OF_AGENTS_LISTING)
def test_listing_agent_and_broker_can_upload_a_jpeg_and_its_variants_are_made(
    client_for, listing, persona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(persona).post(
            url("photos", listing.pk), {"photos": jpeg_upload(), "caption": "Front porch"}
        )
    assert response.status_code == 302
    assert response["Location"] == url("photos", listing.pk)
    media = PropertyMedia.objects.get(property=listing)
    assert media.caption == "Front porch"
    assert media.status == MediaStatus.READY
    assert set(media.variants) == {"large", "medium", "thumbnail"}
    names = {path.name for path in stored_files()}
    assert {"original.jpg", "large.jpg", "medium.jpg", "thumbnail.jpg"} <= names
    listing.refresh_from_db()
    assert listing.photos_count == 1


def test_several_photos_can_be_uploaded_at_once(
    client_for, listing, django_capture_on_commit_callbacks
):
    client = client_for("agent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("photos", listing.pk),
            {"photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")]},
            follow=True,
        )
    assert PropertyMedia.objects.filter(property=listing).count() == 2
    assert "2 photos added." in response.content.decode()


def _png_upload(size):
    return SimpleUploadedFile("big.png", image_bytes("PNG", size=size), content_type="image/png")


def _gif_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 0, 0)).save(buffer, "GIF")
    return SimpleUploadedFile("anim.gif", buffer.getvalue(), content_type="image/gif")


@pytest.mark.parametrize(
    ("make_upload", "limits", "message"),
    [
        (
            lambda: SimpleUploadedFile("notes.jpg", b"these are not pixels", "image/jpeg"),
            {},
            "The file is not an image we can read.",
        ),
        (_gif_upload, {}, "GIF files are not accepted; upload a JPEG, PNG or WebP photo."),
        (
            lambda: _png_upload((1500, 1000)),
            {"LISTING_PHOTO_MAX_PIXELS": 1_000_000},
            "The image is 1500×1000 pixels; photos may have at most 1 megapixels.",
        ),
        (
            lambda: jpeg_upload(size=(1600, 1200)),
            {"LISTING_PHOTO_MAX_BYTES": 1024},
            "photos may be at most",
        ),
    ],
    ids=["not-an-image", "gif", "too-many-pixels", "too-many-bytes"],
)
def test_rejected_photo_shows_a_clear_error_and_stores_nothing(
    settings, client_for, listing, make_upload, limits, message
):
    for name, value in limits.items():
        setattr(settings, name, value)
    upload = make_upload()
    response = client_for("agent").post(url("photos", listing.pk), {"photos": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert any(error.startswith(f"{upload.name}: ") and message in error for error in errors)
    assert message.replace("×", "&times;") in response.content.decode() or (
        message in response.content.decode()
    )
    assert not PropertyMedia.objects.exists()
    assert stored_files() == []


def test_a_bad_file_among_good_ones_keeps_the_good_ones(
    client_for, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("agent").post(
            url("photos", listing.pk), {"photos": [jpeg_upload("ok.jpg"), _gif_upload()]}
        )
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 photo added." in content
    assert "anim.gif: GIF files are not accepted" in content
    assert PropertyMedia.objects.filter(property=listing).count() == 1


def test_upload_without_a_file_asks_for_one(client_for, listing):
    response = client_for("agent").post(url("photos", listing.pk), {"caption": "x"})
    assert response.status_code == 200
    assert "photos" in response.context["form"].errors


@pytest.mark.parametrize("persona", BLOCKED_IN_BROKERAGE)
def test_brokerage_members_who_do_not_own_the_listing_get_403_on_photos(
    client_for, listing, persona
):
    client = client_for(persona)
    assert client.get(url("photos", listing.pk)).status_code == 403
    assert client.post(url("photos", listing.pk), {"photos": jpeg_upload()}).status_code == 403
    assert not PropertyMedia.objects.exists()
    assert stored_files() == []


def test_stranger_gets_404_on_photos_and_nothing_is_stored(client_for, listing):
    client = client_for("stranger")
    assert client.get(url("photos", listing.pk)).status_code == 404
    assert client.post(url("photos", listing.pk), {"photos": jpeg_upload()}).status_code == 404
    assert not PropertyMedia.objects.exists()
    assert stored_files() == []


def test_anonymous_visitor_cannot_upload(client_for, listing):
    response = client_for("anonymous").post(url("photos", listing.pk), {"photos": jpeg_upload()})
    assert_redirects_to_login(response)
    assert not PropertyMedia.objects.exists()


@pytest.fixture
def photo(personas, listing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return media_add(listing=listing, upload=jpeg_upload(), actor=personas.agent.user)


@pytest.mark.parametrize("persona", WRITERS_OF_AGENTS_LISTING)
def test_listing_agent_and_broker_can_remove_a_photo_and_its_files(
    client_for, listing, photo, persona, django_capture_on_commit_callbacks
):
    assert stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(persona).post(url("photo-delete", listing.pk, photo.pk))
    assert response["Location"] == url("photos", listing.pk)
    assert not PropertyMedia.objects.exists()
    assert stored_files() == []
    listing.refresh_from_db()
    assert listing.photos_count == 0


@pytest.mark.parametrize("persona", BLOCKED_IN_BROKERAGE)
def test_brokerage_members_who_do_not_own_the_listing_cannot_remove_photos(
    client_for, listing, photo, persona
):
    response = client_for(persona).post(url("photo-delete", listing.pk, photo.pk))
    assert response.status_code == 403
    assert PropertyMedia.objects.filter(pk=photo.pk).exists()


def test_stranger_gets_404_when_removing_a_photo(client_for, listing, photo):
    response = client_for("stranger").post(url("photo-delete", listing.pk, photo.pk))
    assert response.status_code == 404
    assert PropertyMedia.objects.filter(pk=photo.pk).exists()


def test_photo_must_belong_to_the_listing_in_the_url(personas, client_for, listing, photo):
    other = make_listing(personas.agent.user)
    response = client_for("agent").post(url("photo-delete", other.pk, photo.pk))
    assert response.status_code == 404
    assert PropertyMedia.objects.filter(pk=photo.pk).exists()


def test_photo_delete_is_post_only(client_for, listing, photo):
    assert client_for("agent").get(url("photo-delete", listing.pk, photo.pk)).status_code == 405
    assert PropertyMedia.objects.filter(pk=photo.pk).exists()
