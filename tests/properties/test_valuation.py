"""The valuation engine on hand-made markets whose answers are known."""

import math
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from properties.valuation import (
    MIN_COMPS,
    Home,
    Sale,
    bounding_box,
    distance_miles,
    textbook_estimate,
    valuate,
)

AS_OF = date(2025, 6, 1)
LAT, LON = 47.60, -122.30


def home(**features):
    base = {
        "latitude": LAT,
        "longitude": LON,
        "property_type": "Residential",
        "living_area": 1800.0,
        "bedrooms": 3.0,
        "bathrooms": 2.0,
        "year_built": 1990.0,
        "lot_size": 6000.0,
        "garage_spaces": 2.0,
        "pool": False,
        "waterfront": False,
        "view": False,
        "condition": 0.0,
    }
    base.update(features)
    return Home(**base)


def true_price(h, months_ago=0.0):
    """The hedonic model the hand-made markets follow (no noise)."""
    return math.exp(
        6.0
        + 0.7 * math.log(h.living_area)
        + 0.05 * h.bathrooms
        + 0.004 * (h.year_built - 1990)
        + 0.1 * math.log(h.lot_size)
        + 0.03 * h.garage_spaces
        + 0.06 * h.pool
        - 0.01 * months_ago
    )


def market(count=250, seed=3, radius=0.9):
    """Sales scattered within ``radius`` miles over the last 11 months, priced exactly."""
    rng = random.Random(seed)
    sales = []
    for key in range(1, count + 1):
        angle, r = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.random())
        h = home(
            latitude=LAT + r * math.sin(angle) / 69.0,
            longitude=LON + r * math.cos(angle) / (69.0 * math.cos(math.radians(LAT))),
            living_area=float(rng.randint(1300, 2400)),
            bedrooms=float(rng.randint(2, 4)),
            bathrooms=float(rng.randint(1, 3)),
            year_built=float(rng.randint(1960, 2020)),
            lot_size=float(rng.randint(4000, 9000)),
            garage_spaces=float(rng.randint(0, 3)),
            pool=rng.random() < 0.3,
        )
        days = rng.randint(5, 330)
        months = days / 30.4375
        sales.append(Sale(key, h, round(true_price(h, months), 2), AS_OF - timedelta(days=days)))
    return sales


def fetcher(sales):
    calls = []

    def fetch(radius, since):
        calls.append((radius, since))
        return [s for s in sales if s.close_date >= since]

    fetch.calls = calls
    return fetch


def test_estimate_recovers_the_known_value_of_an_exact_market():
    subject = home(living_area=2000.0, bathrooms=3.0, pool=True)
    valuation = valuate(subject=subject, as_of=AS_OF, fetch=fetcher(market()))

    expected = true_price(subject)
    assert abs(float(valuation.estimate) / expected - 1) < 0.02
    assert valuation.low < valuation.estimate < valuation.high
    assert valuation.price_per_sqft == (valuation.estimate / 2000).quantize(Decimal("0.01"))
    assert valuation.confidence_label == "high"


def test_rates_are_estimated_from_the_local_sales():
    rates = {
        r.feature: r.coefficient
        for r in valuate(subject=home(), as_of=AS_OF, fetch=fetcher(market())).rates
    }

    assert rates["living_area"] == pytest.approx(0.7, abs=0.03)
    assert rates["bathrooms"] == pytest.approx(0.05, abs=0.01)
    assert rates["pool"] == pytest.approx(0.06, abs=0.01)
    assert rates["months"] == pytest.approx(0.01, abs=0.002)


def test_a_comp_differing_only_in_baths_and_time_is_adjusted_by_the_market_rates():
    sales = market()
    twin = home(bathrooms=1.0)
    sold = AS_OF - timedelta(days=round(3 * 30.4375))
    twin_sale = Sale(9999, twin, round(true_price(twin, 3.0), 2), sold, "the twin")
    valuation = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(sales), include=[twin_sale])

    comp = next(c for c in valuation.comparables if c.sale.key == 9999)
    by_feature = {a.feature: a.amount for a in comp.adjustments}
    assert set(by_feature) <= {"bathrooms", "months", "location"}
    raw = twin_sale.price
    assert float(by_feature["bathrooms"]) == pytest.approx(raw * (math.exp(0.05) - 1), rel=0.2)
    assert float(comp.adjusted_price) == pytest.approx(true_price(home()), rel=0.01)
    assert comp.forced


def test_every_comp_adds_up_and_the_contributions_add_up_to_the_estimate():
    valuation = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(market()))

    assert len(valuation.comparables) >= MIN_COMPS
    for comp in valuation.comparables:
        assert comp.raw_price + sum(a.amount for a in comp.adjustments) == comp.adjusted_price
        assert comp.contribution == (comp.weight * comp.adjusted_price).quantize(Decimal("0.01"))
    assert sum(c.weight for c in valuation.comparables) == Decimal(1)
    assert sum(c.contribution for c in valuation.comparables) == valuation.estimate


def test_search_widens_step_by_step_until_enough_similar_sales_and_says_so():
    far = [
        Sale(
            s.key,
            home(**{**s.home.__dict__, "latitude": LAT + 2.5 / 69.0}),
            s.price,
            s.close_date,
        )
        for s in market(count=40)
    ]
    valuation = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(far))

    radii = [step.radius_miles for step in valuation.steps]
    assert radii == sorted(radii) and radii[0] == 0.5
    assert valuation.steps[0].similar == 0
    assert valuation.steps[-1].similar >= MIN_COMPS
    assert valuation.steps[-1].radius_miles >= 3.0
    assert valuation.widened
    assert "Widened the search" in valuation.notes[0]
    assert all(c.distance_miles <= valuation.steps[-1].radius_miles for c in valuation.comparables)


def test_dissimilar_and_other_type_sales_are_not_comps():
    sales = market(count=60)
    big = Sale(5000, home(living_area=4000.0), 2_000_000.0, AS_OF - timedelta(days=10))
    condo = Sale(5001, home(property_type="Condominium"), 100.0, AS_OF - timedelta(days=10))
    valuation = valuate(subject=home(), as_of=AS_OF, fetch=fetcher([*sales, big, condo]))

    keys = {c.sale.key for c in valuation.comparables}
    assert 5000 not in keys and 5001 not in keys


def test_sales_on_or_after_the_as_of_date_never_leak_in():
    sales = market(count=80)
    late = [Sale(7000 + i, home(), 5_000_000.0, AS_OF + timedelta(days=i)) for i in range(0, 20)]
    with_late = valuate(subject=home(), as_of=AS_OF, fetch=fetcher([*sales, *late]))
    without = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(sales))

    assert with_late.estimate == without.estimate
    assert all(c.sale.close_date < AS_OF for c in with_late.comparables)
    forced = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(sales), include=late[:1])
    assert 7000 not in {c.sale.key for c in forced.comparables}


def test_the_subject_is_never_its_own_comp_and_excluded_sales_stay_out():
    sales = market(count=80)
    itself = Sale(4242, home(), 400_000.0, AS_OF - timedelta(days=3))
    valuation = valuate(
        subject=home(), as_of=AS_OF, fetch=fetcher([*sales, itself]), subject_key=4242
    )
    assert 4242 not in {c.sale.key for c in valuation.comparables}

    first = valuation.comparables[0].sale.key
    again = valuate(
        subject=home(),
        as_of=AS_OF,
        fetch=fetcher([*sales, itself]),
        subject_key=4242,
        exclude=[first],
    )
    assert first not in {c.sale.key for c in again.comparables}
    assert again.estimate != valuation.estimate


def test_no_sales_gives_no_estimate_and_no_confidence():
    valuation = valuate(subject=home(), as_of=AS_OF, fetch=fetcher([]))

    assert valuation.estimate is None
    assert valuation.confidence == 0
    assert len(valuation.steps) > 5
    assert "No comparable sale" in valuation.notes[-1]


def test_confidence_falls_with_noisy_and_few_comps():
    rng = random.Random(5)
    exact = market()
    noisy = [
        Sale(s.key, s.home, s.price * math.exp(rng.gauss(0, 0.3)), s.close_date) for s in exact[:25]
    ]
    good = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(exact))
    poor = valuate(subject=home(), as_of=AS_OF, fetch=fetcher(noisy))

    assert poor.confidence < good.confidence
    assert (poor.high - poor.low) > (good.high - good.low)


def test_geometry_box_holds_the_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(LAT, LON, 1.0)
    assert distance_miles(LAT, LON, max_lat, LON) == pytest.approx(1.0, rel=0.01)
    assert distance_miles(LAT, LON, LAT, max_lon) == pytest.approx(1.0, rel=0.01)


def test_textbook_baseline_is_the_median_price_per_sqft_of_the_six_nearest():
    sales = [
        Sale(i, home(latitude=LAT + i / 1000), 1000.0 * (100 + i) * 1.8, AS_OF - timedelta(days=9))
        for i in range(1, 9)
    ]
    # Nearest six: i = 1..6 at $101..$106 per sq ft; the median is $103.50.
    assert textbook_estimate(subject=home(), as_of=AS_OF, sales=sales) == pytest.approx(
        103.5 * 1800
    )
