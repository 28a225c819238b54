"""GET /api/v1/market/stats/ for every persona."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.properties.market_fixture import CITY, make_market
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

URL = "/api/v1/market/stats/"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")
QUERY = {"area": "city", "city": CITY, "months": "4"}


@pytest.fixture
def market(personas, monkeypatch):
    make_market(personas.agent.user)
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2025, 7, 15))


@pytest.mark.parametrize("name", BROKERAGE_A)
def test_members_get_the_monthly_series_and_trends(api_for, market, name):
    response = api_for(name).get(URL, QUERY)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["area"]["kind"] == "city" and body["area"]["city"] == CITY
    assert [m["month"] for m in body["months"]] == [
        "2025-03-01",
        "2025-04-01",
        "2025-05-01",
        "2025-06-01",
    ]
    june = body["months"][-1]
    assert june["closed_sales"] == 3
    assert june["median_close_price"] == "600000"
    assert june["median_price_per_sqft"] == "250.00"
    assert june["sale_to_list_ratio"] == "1.0000"
    assert june["months_of_inventory"] == "1.8"
    assert body["months"][2]["median_close_price"] is None
    price = next(t for t in body["trends"] if t["metric"] == "median_close_price")
    assert price["direction"] == "increasing"
    assert price["evidence"].startswith("Median sale price up 60.0%")
    assert "Months of inventory" in body["inventory_definition"]


def test_a_radius_around_a_point_and_a_property_type(api_for, personas, market):
    make_listing(
        personas.agent.user,
        latitude=Decimal("47.600000"),
        longitude=Decimal("-122.300000"),
        property_type="Land",
        standard_status="Closed",
        list_price=Decimal("90000"),
        close_price=Decimal("85000"),
        close_date=date(2025, 6, 2),
    )
    query = {
        "area": "radius",
        "latitude": "47.6",
        "longitude": "-122.3",
        "radius": "0.5",
        "property_type": "Land",
    }

    body = api_for("agent").get(URL, query).json()

    assert body["property_type"] == "Land"
    assert len(body["months"]) == 12
    assert body["months"][-1]["closed_sales"] == 1
    assert body["months"][-1]["median_close_price"] == "85000"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"area": "city"}, "city"),
        ({"area": "postal_code"}, "postal_code"),
        ({"area": "radius", "latitude": "47.6", "longitude": "-122.3"}, "radius"),
        ({"area": "radius", "radius": "1"}, "latitude"),
        ({"area": "city", "city": "X", "months": "37"}, "months"),
        ({"area": "county"}, "area"),
    ],
)
def test_a_bad_area_is_a_400_naming_the_field(api_for, personas, query, field):
    response = api_for("agent").get(URL, query)

    assert response.status_code == 400
    assert field in response.json()


def test_stranger_gets_only_their_own_brokerages_numbers(api_for, personas, market):
    make_listing(
        personas.stranger.user,
        city=CITY,
        standard_status="Closed",
        list_price=Decimal("1000000"),
        close_price=Decimal("990000"),
        close_date=date(2025, 6, 20),
    )

    body = api_for("stranger").get(URL, QUERY).json()

    assert [m["closed_sales"] for m in body["months"]] == [0, 0, 0, 1]
    assert body["months"][-1]["median_close_price"] == "990000"


def test_stranger_cannot_centre_on_another_brokerages_listing(api_for, personas):
    listing = make_listing(
        personas.agent.user, latitude=Decimal("47.6"), longitude=Decimal("-122.3")
    )

    response = api_for("stranger").get(URL, {"area": "radius", "listing": listing.pk, "radius": 1})

    assert response.status_code == 400
    assert "listing" in response.json()


def test_anonymous_gets_401(api_for, market):
    assert api_for("anonymous").get(URL, QUERY).status_code == 401


def test_query_count_does_not_grow_with_the_listings(
    api_for, personas, market, django_assert_num_queries
):
    api = api_for("agent")
    # The agent with its role is cached on the authenticated user object of the test client,
    # so: one fetch (SQLite) or three grouped queries (PostgreSQL).
    expected = 1 if connection.vendor == "sqlite" else 3
    with django_assert_num_queries(expected):
        assert api.get(URL, QUERY).status_code == 200
    make_market(personas.agent.user)
    with django_assert_num_queries(expected):
        assert api.get(URL, QUERY).status_code == 200
