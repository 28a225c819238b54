"""A small market whose monthly figures are worked out by hand in the tests."""

from datetime import date
from decimal import Decimal

from tests.testing.factories import make_listing

AS_OF = date(2025, 7, 15)  # the window's last completed month is June 2025
CITY = "Riverton"


def make_market(user, city=CITY, **overrides):
    """Sales, new listings and active listings in ``city`` from March to June 2025.

    * March: one sale (300,000 listed 310,000, 1,500 sq ft, 30 days), listed in February.
    * April: two sales — 400,000/400,000, 2,000 sq ft, 20 days; 500,000/520,000, 2,500 sq ft,
      reported 10 days on market. New listing: 450,000 (still active).
    * May: no sale. New listings: 600,000 (active, original 620,000) and the 500,000 one.
    * June: three sales — 350,000/350,000 (1,750 sq ft, 40 days), 600,000/620,000 (2,000 sq ft,
      the May listing, 35 days), 700,000/700,000 (no area, 5 days). New listing: 480,000 pending.
    """

    def listing(**fields):
        data = {"city": city, "living_area": None}
        data.update(overrides)
        data.update(fields)
        return make_listing(user, **data)

    closed = {"standard_status": "Closed"}
    listing(
        **closed,
        list_price=Decimal("310000"),
        close_price=Decimal("300000"),
        living_area=1500,
        on_market_date=date(2025, 2, 10),
        close_date=date(2025, 3, 12),
    )
    listing(
        **closed,
        list_price=Decimal("400000"),
        close_price=Decimal("400000"),
        living_area=2000,
        on_market_date=date(2025, 3, 20),
        close_date=date(2025, 4, 9),
    )
    listing(
        **closed,
        list_price=Decimal("520000"),
        close_price=Decimal("500000"),
        living_area=2500,
        listing_contract_date=date(2025, 5, 2),
        days_on_market=10,
        close_date=date(2025, 4, 28),
    )
    listing(list_price=Decimal("450000"), on_market_date=date(2025, 4, 15))
    listing(
        list_price=Decimal("600000"),
        original_list_price=Decimal("620000"),
        on_market_date=date(2025, 5, 5),
    )
    listing(
        **closed,
        list_price=Decimal("350000"),
        close_price=Decimal("350000"),
        living_area=1750,
        on_market_date=date(2025, 5, 1),
        close_date=date(2025, 6, 10),
    )
    listing(
        **closed,
        list_price=Decimal("620000"),
        close_price=Decimal("600000"),
        living_area=2000,
        on_market_date=date(2025, 5, 6),
        close_date=date(2025, 6, 10),
    )
    listing(
        **closed,
        list_price=Decimal("700000"),
        close_price=Decimal("700000"),
        on_market_date=date(2025, 6, 1),
        close_date=date(2025, 6, 6),
    )
    listing(
        standard_status="Pending", list_price=Decimal("480000"), on_market_date=date(2025, 6, 20)
    )
