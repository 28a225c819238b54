"""The market statistics page and its CSV, for every persona."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.properties.market_fixture import CITY, make_market
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

URL = "/listings/market/"
CSV_URL = "/listings/market/export.csv"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")
QUERY = {"area": "city", "city": CITY, "months": "12"}


@pytest.fixture
def market(personas, monkeypatch):
    make_market(personas.agent.user)
    # The fixture's window is March–June 2025: the page's "today" is in July 2025.
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2025, 7, 15))


@pytest.mark.parametrize("name", BROKERAGE_A)
def test_members_see_the_figures_trends_and_charts(client_for, market, name):
    response = client_for(name).get(URL, QUERY)

    assert response.status_code == 200
    stats = response.context["stats"]
    june = stats.months[-1]
    assert june.month == date(2025, 6, 1)
    assert june.closed_sales == 3 and june.median_close_price == Decimal("600000")
    page = response.content.decode()
    assert 'id="market-price-chart-title"' in page and "<polyline" in page
    assert 'id="market-volume-chart-title"' in page and "<rect" in page
    assert "Median sale price up" in page
    assert "$600,000" in page


def test_the_page_without_an_area_shows_the_form(client_for, personas):
    response = client_for("agent").get(URL)

    assert response.status_code == 200
    assert response.context["stats"] is None
    assert 'id="market-form"' in response.content.decode()


def test_a_radius_without_a_centre_is_an_error_next_to_the_field(client_for, personas):
    response = client_for("agent").get(URL, {"area": "radius", "radius": "1"})

    assert response.status_code == 200
    assert response.context["stats"] is None
    assert response.context["form"].errors["latitude"]


def test_stranger_sees_only_their_own_brokerages_numbers(client_for, market, personas):
    make_listing(
        personas.stranger.user,
        city=CITY,
        standard_status="Closed",
        list_price=Decimal("1000000"),
        close_price=Decimal("990000"),
        close_date=date(2025, 6, 20),
    )

    response = client_for("stranger").get(URL, QUERY)

    assert response.status_code == 200
    stats = response.context["stats"]
    assert sum(m.closed_sales for m in stats.months) == 1
    assert stats.months[-1].median_close_price == Decimal("990000")
    assert "$600,000" not in response.content.decode()


def test_stranger_cannot_draw_a_radius_around_another_brokerages_listing(client_for, personas):
    listing = make_listing(
        personas.agent.user, latitude=Decimal("47.6"), longitude=Decimal("-122.3")
    )

    response = client_for("stranger").get(
        URL, {"area": "radius", "listing": listing.pk, "radius": "1"}
    )

    assert response.status_code == 200
    assert response.context["stats"] is None
    assert response.context["form"].errors["listing"]


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_anonymous_is_sent_to_sign_in(client_for, url):
    response = client_for("anonymous").get(url, QUERY)

    assert response.status_code == 302
    assert "/login" in response["Location"] or "/accounts/" in response["Location"]


def test_page_query_count_does_not_grow_with_the_listings(
    client_for, market, personas, django_assert_num_queries
):
    client = client_for("agent")
    # Session, user, the agent with its role, then one fetch of the area's rows (SQLite) or
    # three grouped queries (PostgreSQL: sales, new listings, listings on the market).
    expected = 4 if connection.vendor == "sqlite" else 6
    with django_assert_num_queries(expected):
        client.get(URL, QUERY)
    make_market(personas.agent.user)
    with django_assert_num_queries(expected):
        client.get(URL, QUERY)


@pytest.mark.parametrize("name", BROKERAGE_A)
def test_members_download_the_monthly_table(client_for, market, name):
    response = client_for(name).get(CSV_URL, QUERY)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "market-riverton-" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Month,Closed sales")
    assert len(lines) == 13
    assert lines[-1].startswith("2025-06,3,600000,")


def test_the_csv_of_a_stranger_holds_only_their_brokerages_numbers(client_for, market):
    response = client_for("stranger").get(CSV_URL, QUERY)

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert all(line.split(",")[1] == "0" for line in lines[1:])


def test_the_csv_without_an_area_is_a_bad_request(client_for, personas):
    assert client_for("agent").get(CSV_URL, {"area": "city"}).status_code == 400


def test_a_listing_links_to_the_market_around_it(client_for, personas, market):
    listing = make_listing(
        personas.agent.user,
        latitude=Decimal("47.600000"),
        longitude=Decimal("-122.300000"),
        standard_status="Closed",
        close_price=Decimal("410000"),
        close_date=date(2025, 6, 4),
    )
    client = client_for("colleague")

    detail = client.get(f"/listings/{listing.pk}/").content.decode()
    link = f"/listings/market/?area=radius&amp;listing={listing.pk}&amp;radius=1"
    response = client.get(URL, {"area": "radius", "listing": listing.pk, "radius": "1"})

    assert link in detail
    assert response.context["stats"].months[-1].closed_sales == 1
    assert response.context["stats"].area.label.startswith("1 mi around")


def test_an_area_without_listings_says_what_to_do_next(client_for, personas):
    response = client_for("agent").get(URL, {"area": "postal_code", "postal_code": "00000"})

    assert response.status_code == 200
    assert not response.context["stats"].has_data
    assert "Try a wider radius" in response.content.decode()
