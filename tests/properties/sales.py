"""Closed sales around one spot, entered through the listing service, for CMA tests."""

import math
from datetime import date, timedelta
from decimal import Decimal

from tests.testing.factories import make_listing

AS_OF = date(2025, 6, 1)
LAT, LON = Decimal("47.600000"), Decimal("-122.300000")


def sale_price(living_area, baths, months_ago):
    """What the hand-made market pays: $/sq ft falling with size, +4% a bath, +1% a month."""
    return Decimal(
        round(math.exp(5.5 + 0.8 * math.log(living_area) + 0.04 * baths - 0.01 * months_ago), -2)
    )


def make_sales(user, count=12, as_of=AS_OF, **overrides):
    """``count`` closed sales within half a mile of (LAT, LON) in the five months before as_of."""
    sales = []
    for i in range(count):
        area = 1500 + 40 * i
        baths = 1 + i % 3
        days = 10 + 13 * i
        price = sale_price(area, baths, days / 30.4375)
        fields = {
            "standard_status": "Closed",
            "street_name": f"Comp{i}",
            "latitude": LAT + Decimal(i % 4 - 1) * Decimal("0.001"),
            "longitude": LON + Decimal(i % 5 - 2) * Decimal("0.001"),
            "living_area": area,
            "bedrooms_total": 3,
            "bathrooms_total_integer": baths,
            "year_built": 1980 + i,
            "lot_size_square_feet": 6000,
            "list_price": price,
            "close_price": price,
            "close_date": as_of - timedelta(days=days),
        }
        fields.update(overrides)
        sales.append(make_listing(user, **fields))
    return sales


def subject_features(**overrides):
    features = {
        "LivingArea": 1800,
        "BedroomsTotal": 3,
        "BathroomsTotalInteger": 2,
        "YearBuilt": 1985,
        "LotSizeSquareFeet": 6000,
        "Latitude": str(LAT),
        "Longitude": str(LON),
        "PropertyType": "Residential",
    }
    features.update(overrides)
    return features
