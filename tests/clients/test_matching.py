"""Buyer matches: the listings that suit a buyer, the buyers a listing suits, and why."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.matching import buyer_matches, listing_buyers
from clients.models import Client
from properties.models import Property
from properties.services import listing_archive
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

PREFERENCE = {
    "property_types": ["Residential"],
    "min_price": Decimal("350000"),
    "max_price": Decimal("450000"),
    "min_beds": 3,
    "min_baths": 2,
    "min_area": 1500,
    "max_area": 2500,
    "cities": ["springfield"],
    "must_haves": ["pool"],
}
# A listing that passes every filter of PREFERENCE, right in the middle of its price range.
FITTING = {
    "list_price": Decimal("400000"),
    "bedrooms_total": 3,
    "bathrooms_total_integer": 2,
    "living_area": 1800,
    "city": "Springfield",
    "postal_code": "62701",
    "property_type": "Residential",
    "pool_private_yn": True,
}


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, preference=PREFERENCE)


def listing(personas, **changes):
    return make_listing(personas.agent.user, **{**FITTING, **changes})


def matched(buyer, user, **kwargs):
    return [match.listing.pk for match in buyer_matches(client=buyer, user=user, **kwargs)]


def test_a_listing_that_fits_every_filter_matches_with_its_reasons(personas, buyer):
    home = listing(personas, on_market_date=timezone.localdate() - timedelta(days=2))
    [match] = buyer_matches(client=buyer, user=personas.agent.user)
    assert match.listing == home
    assert match.reasons == [
        "Price $400,000 within $350,000–$450,000",
        "3 beds (wants 3+)",
        "2 baths (wants 2+)",
        "1,800 sq ft (wants 1,500–2,500)",
        "Residential as wanted",
        "In Springfield",
        "Has a pool",
        "Listed this week",
    ]
    # Middle of the range 40, no extra bed 10, no extra bath 10, this week 25.
    assert match.score == 85


@pytest.mark.parametrize(
    "changes",
    [
        {"property_type": "Land"},
        {"list_price": Decimal("349999")},
        {"list_price": Decimal("450001")},
        {"bedrooms_total": 2},
        {"bedrooms_total": None},
        {"bathrooms_total_integer": 1},
        {"living_area": 1499},
        {"living_area": 2501},
        {"city": "Riverton", "postal_code": "82501"},
        {"pool_private_yn": False},
        {"standard_status": "Closed"},
        {"standard_status": "Withdrawn"},
    ],
    ids=lambda changes: "-".join(f"{k}={v}" for k, v in changes.items()),
)
def test_each_hard_filter_leaves_a_listing_out(personas, buyer, changes):
    listing(personas, **changes)
    assert matched(buyer, personas.agent.user) == []


@pytest.mark.parametrize(
    ("must_have", "has_it", "lacks_it"),
    [
        ("garage", {"garage_spaces": 2}, {"garage_spaces": 0}),
        ("waterfront", {"waterfront_yn": True}, {"waterfront_yn": False}),
        ("fireplace", {"fireplace_yn": True}, {"fireplace_yn": False}),
        ("view", {"view": ["Mountain(s)"]}, {"view": []}),
    ],
)
def test_must_haves_are_matched_on_their_columns(personas, must_have, has_it, lacks_it):
    buyer = make_client(personas.agent.user, preference={"must_haves": [must_have]})
    good = listing(personas, **has_it)
    listing(personas, **lacks_it)
    assert matched(buyer, personas.agent.user) == [good.pk]
    assert (
        buyer_matches(client=buyer, user=personas.agent.user)[0]
        .reasons[0]
        .startswith(("Has a", "On the"))
    )


def test_archived_duplicate_and_other_brokerage_listings_are_left_out(personas, buyer):
    archived = listing(personas)
    listing_archive(listing=archived, actor=personas.agent.user)
    duplicate = listing(personas)
    Property.objects.filter(pk=duplicate.pk).update(home_duplicate=True)
    make_listing(personas.stranger.user, **FITTING)
    assert matched(buyer, personas.agent.user) == []
    assert matched(buyer, personas.broker.user) == []


def test_a_postal_code_places_a_listing_as_well_as_a_city(personas):
    buyer = make_client(
        personas.agent.user, preference={"cities": ["Riverton"], "postal_codes": ["62701"]}
    )
    by_code = listing(personas, city="Springfield", postal_code="62701")
    by_city = listing(personas, city="RIVERTON", postal_code="82501")
    listing(personas, city="Dover", postal_code="19901")
    assert set(matched(buyer, personas.agent.user)) == {by_code.pk, by_city.pk}
    matches = buyer_matches(client=buyer, user=personas.agent.user)
    reasons = {match.listing.pk: match.reasons for match in matches}
    assert "In 62701" in reasons[by_code.pk]
    assert "In RIVERTON" in reasons[by_city.pk]


def test_matches_are_ranked_by_price_position_extra_beds_and_recency(personas, buyer):
    today = timezone.localdate()
    old = today - timedelta(days=200)
    edge = listing(personas, list_price=Decimal("450000"), on_market_date=old)
    middle = listing(personas, list_price=Decimal("400000"), on_market_date=old)
    middle_more_beds = listing(
        personas, list_price=Decimal("400000"), bedrooms_total=5, on_market_date=old
    )
    edge_new = listing(
        personas, list_price=Decimal("450000"), on_market_date=today - timedelta(days=1)
    )
    matches = buyer_matches(client=buyer, user=personas.agent.user)
    assert [(m.listing.pk, m.score) for m in matches] == [
        (middle_more_beds.pk, 70),  # price 40 + beds 20 + baths 10 + listed long ago 0
        (edge_new.pk, 65),  # 20 + 10 + 10 + listed this week 25
        (middle.pk, 60),  # 40 + 10 + 10 + 0
        (edge.pk, 40),  # 20 + 10 + 10 + 0
    ]


def test_a_ceiling_alone_prefers_the_cheaper_listing(personas):
    buyer = make_client(personas.agent.user, preference={"max_price": Decimal("500000")})
    dear = listing(personas, list_price=Decimal("500000"))
    cheap = listing(personas, list_price=Decimal("250000"))
    matches = buyer_matches(client=buyer, user=personas.agent.user)
    assert [m.listing for m in matches] == [cheap, dear]
    assert matches[0].reasons[0] == "Price $250,000 under $500,000"


def test_limit_keeps_the_best(personas, buyer):
    for price in ("360000", "400000", "440000"):
        listing(personas, list_price=Decimal(price))
    [best] = buyer_matches(client=buyer, user=personas.agent.user, limit=1)
    assert best.listing.list_price == Decimal("400000")


def test_a_client_without_preference_has_no_matches(personas):
    client = make_client(personas.agent.user)
    listing(personas)
    assert buyer_matches(client=client, user=personas.agent.user) == []


def test_buyer_matches_is_one_query_whatever_the_count(personas, buyer):
    for _ in range(5):
        listing(personas)
    user = personas.agent.user
    buyer_matches(client=buyer, user=user)  # the actor is loaded once per user
    with CaptureQueriesContext(connection) as queries:
        assert len(buyer_matches(client=buyer, user=user)) == 5
    assert len(queries) == 2  # the preference, then the ranked listings


# ---------------------------------------------------------------------------------------------
# listing_buyers


def test_listing_buyers_are_the_visible_clients_whose_preference_it_suits(personas, buyer):
    home = listing(personas)
    no_preference = make_client(personas.agent.user)
    too_dear = make_client(personas.agent.user, preference={"max_price": Decimal("300000")})
    anywhere = make_client(personas.agent.user, preference={"min_beds": 2})
    colleagues = make_client(personas.colleague.user, preference={"min_beds": 2})
    buyers = listing_buyers(listing=home, user=personas.agent.user)
    assert [b.client for b in buyers] == [buyer, anywhere]
    assert no_preference not in [b.client for b in buyers]
    assert too_dear not in [b.client for b in buyers]
    assert buyers[0].reasons[0] == "Price $400,000 within $350,000–$450,000"
    assert buyers[1].reasons[0] == "3 beds (wants 2+)"
    broker_sees = {b.client for b in listing_buyers(listing=home, user=personas.broker.user)}
    assert broker_sees == {buyer, anywhere, colleagues}
    assert listing_buyers(listing=home, user=personas.stranger.user) == []


@pytest.mark.parametrize(
    "preference",
    [
        {"property_types": ["Land"]},
        {"min_price": Decimal("400001")},
        {"max_price": Decimal("399999")},
        {"min_beds": 4},
        {"min_baths": 3},
        {"min_area": 1801},
        {"max_area": 1799},
        {"cities": ["Riverton"]},
        {"postal_codes": ["82501"]},
        {"must_haves": ["garage"]},
        {"must_haves": ["pool", "view"]},
    ],
    ids=lambda preference: "-".join(preference),
)
def test_listing_buyers_leaves_out_each_preference_the_listing_fails(personas, preference):
    home = listing(personas)
    make_client(personas.agent.user, preference=preference)
    assert listing_buyers(listing=home, user=personas.agent.user) == []


def test_listing_buyers_matches_cities_in_any_case_and_types_exactly(personas):
    home = listing(personas, city="Springfield", property_type="ResidentialLease")
    make_client(personas.agent.user, preference={"property_types": ["Residential"]})
    by_city = make_client(
        personas.agent.user,
        preference={"cities": ["SPRINGFIELD", "Dover"], "property_types": ["ResidentialLease"]},
    )
    assert [b.client for b in listing_buyers(listing=home, user=personas.agent.user)] == [by_city]


def test_a_listing_without_a_size_suits_only_buyers_who_do_not_ask(personas):
    home = listing(personas, living_area=None, bedrooms_total=None)
    asks = make_client(personas.agent.user, preference={"min_area": 1000})
    make_client(personas.agent.user, preference={"min_beds": 1})
    does_not = make_client(personas.agent.user, preference={"cities": ["Springfield"]})
    clients = [b.client for b in listing_buyers(listing=home, user=personas.agent.user)]
    assert clients == [does_not]
    assert asks not in clients


def test_closed_clients_and_off_market_listings_have_no_buyers(personas, buyer):
    home = listing(personas)
    Client.objects.filter(pk=buyer.pk).update(stage="closed")
    assert listing_buyers(listing=home, user=personas.agent.user) == []
    Client.objects.filter(pk=buyer.pk).update(stage="active")
    home.standard_status = "Closed"
    assert listing_buyers(listing=home, user=personas.agent.user) == []


def test_listing_buyers_ranks_with_the_same_score_as_buyer_matches(personas):
    home = listing(personas, list_price=Decimal("400000"), bedrooms_total=4)
    middle = make_client(
        personas.agent.user,
        preference={"min_price": Decimal("300000"), "max_price": Decimal("500000"), "min_beds": 3},
    )
    edge = make_client(personas.agent.user, preference={"max_price": Decimal("400000")})
    buyers = listing_buyers(listing=home, user=personas.agent.user)
    assert [b.client for b in buyers] == [middle, edge]
    for found in buyers:
        [match] = buyer_matches(client=found.client, user=personas.agent.user)
        assert match.score == found.score


def test_listing_buyers_is_one_query(personas, buyer):
    home = listing(personas)
    for _ in range(3):
        make_client(personas.agent.user, preference={"min_beds": 2})
    user = personas.agent.user
    listing_buyers(listing=home, user=user)
    with CaptureQueriesContext(connection) as queries:
        assert len(listing_buyers(listing=home, user=user)) == 4
    assert len(queries) == 1
