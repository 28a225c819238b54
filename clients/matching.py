"""Which listings suit a buyer, and which buyers suit a listing.

A buyer's preference is a set of hard filters (type, price range, minimum beds, baths and
area, cities or postal codes, must-have features) and a ranking of what passes them, each
done in the database: the score is an annotation, so that the best matches of 100,000
listings come back without loading the others. The score (0–100) adds up

* price, 20–40 points: 40 at the middle of the buyer's range, 20 at its edges; with only a
  ceiling, the further under it the better; 30 when the buyer gave no range;
* bedrooms, 10–20 points: 5 more for each bedroom beyond the minimum, up to two;
* bathrooms, 10–15 points: 5 more for a bathroom beyond the minimum;
* recency, 0–25 points: listed this week 25, this month 15, within three months 5.

Every match comes with the reasons an agent can read out ("3 beds (wants 3+)").
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Abs, Cast, Coalesce, Least, NullIf, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, IsNull
from django.utils import timezone

from clients.choices import OPEN_STAGES, MustHave
from clients.models import BuyerPreference
from properties.choices import ON_MARKET_STATUSES
from properties.models import Property
from properties.selectors import CARD_FIELDS
from realestate.permissions import restrict

PRICE_POINTS_MAX, PRICE_POINTS_EDGE, PRICE_POINTS_ANY = 40, 20, 30
BED_POINTS_BASE, BED_POINTS_EACH, EXTRA_BEDS_COUNTED = 10, 5, 2
BATH_POINTS_BASE, BATH_POINTS_EACH, EXTRA_BATHS_COUNTED = 10, 5, 1
# (listed within this many days, points), newest first.
RECENCY_POINTS = ((7, 25), (30, 15), (90, 5))
RECENCY_LABELS = {7: "Listed this week", 30: "Listed this month", 90: "Listed in the last 3 months"}

# What a must-have asks of a listing, and how a match says it.
MUST_HAVE_FILTERS = {
    MustHave.GARAGE: Q(garage_spaces__gt=0),
    MustHave.POOL: Q(pool_private_yn=True),
    MustHave.WATERFRONT: Q(waterfront_yn=True),
    MustHave.FIREPLACE: Q(fireplace_yn=True),
    MustHave.VIEW: ~Q(view=[]),
}
MUST_HAVES = tuple(MustHave.values)  # iterating the choices class is slow: once per listing
MUST_HAVE_REASONS = {
    MustHave.GARAGE: "Has a garage",
    MustHave.POOL: "Has a pool",
    MustHave.WATERFRONT: "On the waterfront",
    MustHave.FIREPLACE: "Has a fireplace",
    MustHave.VIEW: "Has a view",
}

# A match shows a listing card and explains itself with a few more columns; the card's agent
# is not shown, so the card's columns that sit across a join are left out.
MATCH_FIELDS = (
    *(name for name in CARD_FIELDS if "__" not in name),
    "property_sub_type",
    "garage_spaces",
    "pool_private_yn",
    "waterfront_yn",
    "fireplace_yn",
    "view",
)


@dataclass
class BuyerMatch:
    """A listing that suits a buyer: its score (0–100) and why."""

    listing: Property
    score: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class ListingBuyer:
    """A client whose preference a listing suits: the score (0–100) and why."""

    client: object
    preference: BuyerPreference
    score: int
    reasons: list[str] = field(default_factory=list)


def buyer_matches(*, client, user, limit=None):
    """The on-market listings ``user`` may see that suit ``client``'s preference, best first."""
    preference = BuyerPreference.objects.filter(client=client).first()
    if preference is None:
        return []
    listings = (
        restrict(Property.objects.only(*MATCH_FIELDS), user)
        .filter(
            brokerage_id=client.brokerage_id,
            standard_status__in=ON_MARKET_STATUSES,
            archived_at__isnull=True,
            home_duplicate=False,  # one card per home, as on the listing page
        )
        .filter(_listing_filters(preference))
        .annotate(match_score=_listing_score(preference))
        .order_by("-match_score", "-modification_timestamp", "-pk")
    )
    if limit is not None:
        listings = listings[:limit]
    return [
        BuyerMatch(
            listing=listing,
            score=_points(listing.match_score),
            reasons=match_reasons(listing=listing, preference=preference),
        )
        for listing in listings
    ]


def listing_buyers(*, listing, user, limit=None):
    """The clients ``user`` may see whose preference ``listing`` suits, best match first."""
    if listing.standard_status not in ON_MARKET_STATUSES or listing.archived_at is not None:
        return []
    preferences = (
        restrict(BuyerPreference.objects.select_related("client__assigned_agent__user"), user)
        .filter(client__brokerage_id=listing.brokerage_id, client__stage__in=OPEN_STAGES)
        .filter(_preference_filters(listing))
        .annotate(match_score=_preference_score(listing))
        .order_by("-match_score", "client__last_name", "client__first_name", "client_id")
    )
    if limit is not None:
        preferences = preferences[:limit]
    return [
        ListingBuyer(
            client=preference.client,
            preference=preference,
            score=_points(preference.match_score),
            reasons=match_reasons(listing=listing, preference=preference),
        )
        for preference in preferences
    ]


# ---------------------------------------------------------------------------------------------
# Hard filters: the listings of a preference, and the preferences of a listing


def _listing_filters(preference):
    condition = Q()
    if preference.property_types:
        condition &= Q(property_type__in=preference.property_types)
    for name, lookup in (
        ("min_price", "list_price__gte"),
        ("max_price", "list_price__lte"),
        ("min_beds", "bedrooms_total__gte"),
        ("min_baths", "bathrooms_total_integer__gte"),
        ("min_area", "living_area__gte"),
        ("max_area", "living_area__lte"),
    ):
        value = getattr(preference, name)
        if value is not None:
            condition &= Q(**{lookup: value})
    if preference.cities or preference.postal_codes:
        # Either one places the listing: "Springfield, or 62704 next door".
        where = Q(postal_code__in=preference.postal_codes)
        for city in preference.cities:
            where |= Q(city__iexact=city)
        condition &= where
    for must_have in preference.must_haves:
        condition &= MUST_HAVE_FILTERS.get(must_have, Q())
    return condition


def _json_item(value):
    """How a string is written inside a stored JSON list, for a text search of the list.

    Django stores JSON with ``json.dumps`` (non-ASCII escaped) on SQLite; PostgreSQL's
    ``jsonb`` prints it as it is.
    """
    return json.dumps(str(value), ensure_ascii=connection.vendor != "postgresql")


def _in_list_or_any(field_name, value):
    """The preference's list ``field_name`` is empty (any) or holds ``value`` (any case)."""
    return Q(**{field_name: []}) | Q(**{f"{field_name}__icontains": _json_item(value)})


def _preference_filters(listing):
    condition = _in_list_or_any("property_types", listing.property_type)
    for name, lookup, value in (
        ("min_price", "lte", listing.list_price),
        ("max_price", "gte", listing.list_price),
        ("min_beds", "lte", listing.bedrooms_total),
        ("min_baths", "lte", listing.bathrooms_total_integer),
        ("min_area", "lte", listing.living_area),
        ("max_area", "gte", listing.living_area),
    ):
        unset = Q(**{f"{name}__isnull": True})
        # A listing that does not say (no living area given) passes only a buyer who does not ask.
        condition &= unset if value is None else unset | Q(**{f"{name}__{lookup}": value})
    condition &= (
        (Q(cities=[]) & Q(postal_codes=[]))
        | Q(cities__icontains=_json_item(listing.city))
        | Q(postal_codes__icontains=_json_item(listing.postal_code))
    )
    for must_have in MUST_HAVES:
        if not _has_feature(listing, must_have):
            condition &= ~Q(must_haves__icontains=_json_item(must_have))
    return condition


def _has_feature(listing, must_have):
    return {
        MustHave.GARAGE: bool(listing.garage_spaces),
        MustHave.POOL: listing.pool_private_yn,
        MustHave.WATERFRONT: listing.waterfront_yn,
        MustHave.FIREPLACE: listing.fireplace_yn,
        MustHave.VIEW: bool(listing.view),
    }[must_have]


# ---------------------------------------------------------------------------------------------
# The score: one formula, with the listing's side or the buyer's side as columns


def _listing_score(preference):
    """The score of each listing (columns) for one preference (known values)."""
    listed_on = Coalesce(F("on_market_date"), F("listing_contract_date"), TruncDate("created_at"))
    return _score(
        price=F("list_price"),
        low=preference.min_price,
        high=preference.max_price,
        beds=F("bedrooms_total"),
        min_beds=preference.min_beds,
        baths=F("bathrooms_total_integer"),
        min_baths=preference.min_baths,
        listed_on=listed_on,
    )


def _preference_score(listing):
    """The score of one listing (known values) for each preference (columns)."""
    return _score(
        price=listing.list_price,
        low=F("min_price"),
        high=F("max_price"),
        beds=listing.bedrooms_total,
        min_beds=F("min_beds"),
        baths=listing.bathrooms_total_integer,
        min_baths=F("min_baths"),
        listed_on=listed_date(listing),
    )


def listed_date(listing):
    """When the listing came on the market, as far as it says."""
    return (
        listing.on_market_date
        or listing.listing_contract_date
        or timezone.localdate(listing.created_at)
    )


def _is_column(value):
    return hasattr(value, "resolve_expression")


def _number(value):
    """A column or a known value, as a float the database computes with."""
    if _is_column(value):
        return Cast(value, FloatField())
    return Value(float(value), output_field=FloatField())


def _if_set(value, then, otherwise):
    """``then`` where ``value`` is set, else ``otherwise``: decided here for a known value,
    by the database for a column."""
    if _is_column(value):
        return Case(When(IsNull(value, False), then=then), default=otherwise)
    return otherwise if value is None else then


def _const(points):
    return Value(float(points), output_field=FloatField())


def _score(*, price, low, high, beds, min_beds, baths, min_baths, listed_on):
    price_, low_, high_ = _number(price), _number(low or 0), _number(high or 0)
    middle = (low_ + high_) / _const(2)
    half_range = NullIf((high_ - low_) / _const(2), _const(0))
    in_range = (
        _const(PRICE_POINTS_MAX)
        - _const(PRICE_POINTS_MAX - PRICE_POINTS_EDGE) * Abs(price_ - middle) / half_range
    )
    under_ceiling = _const(PRICE_POINTS_MAX) - _const(
        PRICE_POINTS_MAX - PRICE_POINTS_EDGE
    ) * price_ / NullIf(high_, _const(0))
    price_points = _if_set(
        high,
        _if_set(
            low,
            Coalesce(in_range, _const(PRICE_POINTS_MAX)),
            Coalesce(under_ceiling, _const(PRICE_POINTS_MAX)),
        ),
        _const(PRICE_POINTS_ANY),
    )
    return (
        price_points
        + _extra_points(beds, min_beds, BED_POINTS_BASE, BED_POINTS_EACH, EXTRA_BEDS_COUNTED)
        + _extra_points(baths, min_baths, BATH_POINTS_BASE, BATH_POINTS_EACH, EXTRA_BATHS_COUNTED)
        + _recency_points(listed_on)
    )


def _extra_points(have, minimum, base, each, counted):
    """``base`` points, plus ``each`` per unit beyond the buyer's minimum (up to ``counted``)."""
    if have is None or (not _is_column(minimum) and minimum is None):
        return _const(base)
    extra = Least(_number(have) - _number(minimum or 0), _const(counted))
    return _if_set(minimum, _const(base) + _const(each) * extra, _const(base))


def _recency_points(listed_on):
    today = timezone.localdate()
    if not _is_column(listed_on):
        age = (today - listed_on).days
        return _const(next((points for days, points in RECENCY_POINTS if age <= days), 0))
    return Case(
        *(
            When(GreaterThanOrEqual(listed_on, today - timedelta(days=days)), then=_const(points))
            for days, points in RECENCY_POINTS
        ),
        default=_const(0),
    )


def _points(value):
    return max(0, min(100, round(value or 0)))


# ---------------------------------------------------------------------------------------------
# Reasons


def _money(amount):
    return f"${amount:,.0f}"


def match_reasons(*, listing, preference):
    """Why ``listing`` suits ``preference``, as short sentences an agent can read out."""
    reasons = []
    price, low, high = listing.list_price, preference.min_price, preference.max_price
    if low is not None and high is not None:
        reasons.append(f"Price {_money(price)} within {_money(low)}–{_money(high)}")
    elif high is not None:
        reasons.append(f"Price {_money(price)} under {_money(high)}")
    elif low is not None:
        reasons.append(f"Price {_money(price)} from {_money(low)} up")
    if preference.min_beds is not None and listing.bedrooms_total is not None:
        reasons.append(f"{listing.bedrooms_total} beds (wants {preference.min_beds}+)")
    if preference.min_baths is not None and listing.bathrooms_total_integer is not None:
        reasons.append(f"{listing.bathrooms_total_integer} baths (wants {preference.min_baths}+)")
    if listing.living_area is not None and (
        preference.min_area is not None or preference.max_area is not None
    ):
        wanted = (
            f"{preference.min_area or 0:,}–{preference.max_area:,}"
            if preference.max_area is not None
            else f"{preference.min_area:,}+"
        )
        reasons.append(f"{listing.living_area:,} sq ft (wants {wanted})")
    if preference.property_types and listing.property_type in preference.property_types:
        reasons.append(f"{listing.get_property_type_display()} as wanted")
    cities = {city.casefold() for city in preference.cities}
    if listing.city.casefold() in cities:
        reasons.append(f"In {listing.city}")
    elif listing.postal_code in preference.postal_codes:
        reasons.append(f"In {listing.postal_code}")
    reasons += [
        MUST_HAVE_REASONS[must_have]
        for must_have in MUST_HAVES
        if must_have in preference.must_haves and _has_feature(listing, must_have)
    ]
    age = (timezone.localdate() - listed_date(listing)).days
    for days, _ in RECENCY_POINTS:
        if age <= days:
            reasons.append(RECENCY_LABELS[days])
            break
    return reasons
