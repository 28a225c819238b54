"""Market statistics of an area against figures worked out by hand (market_fixture)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from properties.market import (
    MarketArea,
    MonthStats,
    market_area,
    market_stats,
    market_stats_csv,
    market_stats_in_python,
    market_trends,
    window_months,
)
from tests.properties.market_fixture import AS_OF, CITY, make_market
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

CITY_AREA = MarketArea(kind="city", city="riverton", label="Riverton")


def stats_for(user, area=CITY_AREA, months=4, **kwargs):
    return market_stats(user=user, area=area, months=months, as_of=AS_OF, **kwargs)


def by_month(stats):
    return {m.month: m for m in stats.months}


def test_window_is_the_completed_months_before_the_date():
    assert window_months(date(2025, 7, 15), 4) == [
        date(2025, 3, 1),
        date(2025, 4, 1),
        date(2025, 5, 1),
        date(2025, 6, 1),
    ]
    assert window_months(date(2025, 2, 1), 3) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]


def test_monthly_figures_match_the_hand_computed_market(personas):
    make_market(personas.agent.user)

    months = by_month(stats_for(personas.agent.user))

    march, april, may, june = (months[date(2025, m, 1)] for m in (3, 4, 5, 6))
    assert march.closed_sales == 1
    assert march.median_close_price == Decimal("300000")
    assert march.median_price_per_sqft == Decimal("200.00")
    assert march.median_days_on_market == Decimal("30.0")
    assert march.sale_to_list_ratio == Decimal("0.9677")  # 300,000 / 310,000
    assert march.new_listings == 1 and march.median_list_price == Decimal("400000")
    assert march.active_listings == 1  # the March 20 listing, closed in April
    assert march.months_of_inventory == Decimal("3.0")  # 1 ÷ ((0 + 0 + 1) / 3)

    assert april.closed_sales == 2
    assert april.median_close_price == Decimal("450000")  # (400,000 + 500,000) / 2
    assert april.median_price_per_sqft == Decimal("200.00")  # 200 and 200
    assert april.median_days_on_market == Decimal("15.0")  # 20 days and the reported 10
    assert april.sale_to_list_ratio == Decimal("0.9808")  # (1 + 0.961538) / 2
    assert april.new_listings == 1 and april.median_list_price == Decimal("450000")
    assert april.active_listings == 1
    assert april.months_of_inventory == Decimal("1.0")  # 1 ÷ ((0 + 1 + 2) / 3)

    assert may.closed_sales == 0
    assert may.median_close_price is None and may.sale_to_list_ratio is None
    # 350,000, 520,000, 620,000 (original price), 620,000
    assert may.new_listings == 4 and may.median_list_price == Decimal("570000")
    assert may.active_listings == 4
    assert may.months_of_inventory == Decimal("4.0")  # 4 ÷ ((1 + 2 + 0) / 3)

    assert june.closed_sales == 3
    assert june.median_close_price == Decimal("600000")
    assert june.median_price_per_sqft == Decimal("250.00")  # 200 and 300; one has no area
    assert june.median_days_on_market == Decimal("35.0")  # 40, 35, 5
    assert june.sale_to_list_ratio == Decimal("1.0000")
    assert june.new_listings == 2 and june.median_list_price == Decimal("590000")
    assert june.active_listings == 3  # two active and the pending one
    assert june.months_of_inventory == Decimal("1.8")  # 3 ÷ ((2 + 0 + 3) / 3)


def test_trends_compare_the_recent_months_with_the_ones_before_and_say_why(personas):
    make_market(personas.agent.user)

    trends = {t.metric: t for t in stats_for(personas.agent.user).trends}

    price = trends["median_close_price"]
    assert price.direction == "increasing"
    assert price.earlier == Decimal("375000") and price.recent == Decimal("600000")
    assert price.evidence == (
        "Median sale price up 60.0% from $375k (Mar–Apr 2025) to $600k (May–Jun 2025)."
    )
    assert trends["closed_sales"].direction == "stable"  # 1.5 a month on both sides
    assert trends["sale_to_list_ratio"].direction == "increasing"
    assert trends["sale_to_list_ratio"].evidence.startswith("Sale-to-list ratio up 2.6 points")


def test_a_trend_within_its_threshold_is_stable_and_a_fall_is_decreasing():
    def month(number, price, sales):
        return MonthStats(
            month=date(2025, number, 1), median_close_price=Decimal(price), closed_sales=sales
        )

    months = [
        month(1, 500000, 10),
        month(2, 500000, 10),
        month(3, 500000, 10),
        month(4, 505000, 5),
        month(5, 505000, 5),
        month(6, 505000, 5),
    ]
    trends = {t.metric: t for t in market_trends(months)}

    assert trends["median_close_price"].direction == "stable"  # +1 % is inside 2 %
    assert trends["closed_sales"].direction == "decreasing"
    assert trends["closed_sales"].evidence == (
        "Closed sales per month down 50.0% from 10 (Jan–Mar 2025) to 5 (Apr–Jun 2025)."
    )
    assert trends["median_list_price"].direction == "unknown"


def test_property_type_and_postal_code_narrow_the_market(personas):
    user = personas.agent.user
    make_market(user, postal_code="11111")
    make_listing(
        user,
        city=CITY,
        postal_code="22222",
        property_type="Land",
        standard_status="Closed",
        list_price=Decimal("90000"),
        close_price=Decimal("90000"),
        close_date=date(2025, 6, 3),
    )

    everything = by_month(stats_for(user))[date(2025, 6, 1)]
    homes = by_month(stats_for(user, property_type="Residential"))[date(2025, 6, 1)]
    postal = market_area(user=user, kind="postal_code", postal_code="22222")
    land = by_month(stats_for(user, area=postal))[date(2025, 6, 1)]

    assert everything.closed_sales == 4
    assert homes.closed_sales == 3
    assert land.closed_sales == 1 and land.median_close_price == Decimal("90000")


def test_a_radius_counts_only_the_listings_inside_the_circle(personas):
    user = personas.agent.user
    centre = make_listing(
        user, latitude=Decimal("47.600000"), longitude=Decimal("-122.300000"), city="A"
    )
    for lat, lon in (("47.605000", "-122.300000"), ("47.600000", "-122.310000")):
        make_listing(  # 0.35 and 0.47 miles away
            user,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
            standard_status="Closed",
            close_price=Decimal("400000"),
            close_date=date(2025, 6, 5),
        )
    make_listing(  # 0.96 miles north-east: inside the box of a 0.8-mile circle, not the circle
        user,
        latitude=Decimal("47.610000"),
        longitude=Decimal("-122.285000"),
        standard_status="Closed",
        close_price=Decimal("900000"),
        close_date=date(2025, 6, 5),
    )

    around_listing = market_area(user=user, kind="radius", listing=centre.pk, radius_miles=0.8)
    around_point = market_area(
        user=user, kind="radius", latitude=47.6, longitude=-122.3, radius_miles=1.5
    )

    assert by_month(stats_for(user, area=around_listing))[date(2025, 6, 1)].closed_sales == 2
    assert by_month(stats_for(user, area=around_point))[date(2025, 6, 1)].closed_sales == 3


def test_stranger_cannot_centre_a_radius_on_another_brokerages_listing(personas):
    listing = make_listing(
        personas.agent.user, latitude=Decimal("47.6"), longitude=Decimal("-122.3")
    )

    with pytest.raises(ValidationError):
        market_area(user=personas.stranger.user, kind="radius", listing=listing.pk, radius_miles=1)


def test_each_brokerage_sees_only_its_own_market(personas):
    make_market(personas.agent.user)
    make_listing(
        personas.stranger.user,
        city=CITY,
        standard_status="Closed",
        list_price=Decimal("1000000"),
        close_price=Decimal("990000"),
        close_date=date(2025, 6, 20),
    )

    mine = by_month(stats_for(personas.colleague.user))[date(2025, 6, 1)]
    theirs = by_month(stats_for(personas.stranger.user))[date(2025, 6, 1)]

    assert mine.closed_sales == 3 and mine.median_close_price == Decimal("600000")
    assert theirs.closed_sales == 1 and theirs.median_close_price == Decimal("990000")
    assert sum(m.closed_sales for m in stats_for(personas.stranger.user).months) == 1


def test_archived_listings_and_other_listings_of_a_home_do_not_count(personas):
    from properties.models import Property

    make_market(personas.agent.user)
    Property.objects.filter(close_price=Decimal("700000")).update(home_duplicate=True)
    Property.objects.filter(close_price=Decimal("350000")).update(archived_at=timezone.now())

    june = by_month(stats_for(personas.agent.user))[date(2025, 6, 1)]

    assert june.closed_sales == 1 and june.median_close_price == Decimal("600000")


def test_database_and_python_give_the_same_figures(personas):
    # On PostgreSQL the medians come from percentile_cont; elsewhere both paths are Python.
    make_market(personas.agent.user)

    in_database = stats_for(personas.agent.user)
    in_python = market_stats_in_python(
        user=personas.agent.user, area=CITY_AREA, months=4, as_of=AS_OF
    )

    assert in_database.months == in_python.months
    assert in_database.trends == in_python.trends


def test_the_csv_has_a_row_per_month(personas):
    make_market(personas.agent.user)

    lines = list(market_stats_csv(stats=stats_for(personas.agent.user)))

    assert lines[0].startswith("Month,Closed sales,Median sale price")
    assert lines[4].startswith("2025-06,3,600000,590000,250.00,35.0,1.0000,2,3,1.8")
    assert len(lines) == 5


def test_the_window_is_two_to_thirty_six_months(personas):
    for months in (1, 37):
        with pytest.raises(ValidationError):
            stats_for(personas.agent.user, months=months)
    assert len(stats_for(personas.agent.user, months=36).months) == 36
