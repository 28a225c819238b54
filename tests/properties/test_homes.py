"""One home listed more than once (two MLS feeds, a relisting) shows once, with the others.

A home shows once, as its current listing: which listing that is (the primary: on the market
first, then sold, then the rest; then the most recently modified; then the first entered) is
decided when listings are written and stored on them (``home_duplicate``), for the home as a
whole. So the lists filter the homes' current listings: a status filter or a search that only
another listing of the home matches does not show the home through that listing (the list would
otherwise show a different listing of the home depending on the filters, and could only do so
by deciding per request, which made every list page slow). ``all_listings`` shows them all.
"""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from properties.addresses import home_key, unit_key
from properties.models import Property
from properties.services import (
    home_duplicates_refresh,
    listing_archive,
    listing_restore,
    listing_update,
)
from tests.testing.factories import make_listing, make_mls_provider

LIST_URL = "/api/v1/properties/"

ADDRESS = {
    "street_number": "123",
    "street_dir_prefix": "",
    "street_name": "Main",
    "street_suffix": "St",
    "unit_number": "",
    "postal_code": "62701",
    "city": "Springfield",
    "state_or_province": "IL",
}


def key(**changes):
    return home_key(**{**ADDRESS, **changes})


# ---------- the key ----------


@pytest.mark.parametrize(
    "spelling",
    [
        {"street_suffix": "Street"},
        {"street_suffix": "STREET"},
        {"street_suffix": "St."},
        {"street_name": "Main Street", "street_suffix": ""},
        {"street_name": "main  st", "street_suffix": ""},
        {"street_number": " 123 "},
        {"postal_code": "62701-4321"},
        {"postal_code": "627014321"},
        {"city": "SPRINGFIELD"},  # the postal code decides, not the city's spelling
    ],
)
def test_spellings_of_the_same_address_have_the_same_key(spelling):
    assert key(**spelling) == key()


@pytest.mark.parametrize(
    ("long", "short"),
    [
        ("Avenue", "Ave"),
        ("Road", "Rd"),
        ("Drive", "Dr"),
        ("Lane", "Ln"),
        ("Court", "Ct"),
        ("Boulevard", "Blvd"),
        ("Place", "Pl"),
        ("Terrace", "Ter"),
        ("Circle", "Cir"),
        ("Parkway", "Pkwy"),
        ("Highway", "Hwy"),
    ],
)
def test_street_suffixes_match_their_usps_abbreviation(long, short):
    assert key(street_suffix=long) == key(street_suffix=short)


@pytest.mark.parametrize(
    ("long", "short"),
    [
        ("North", "N"),
        ("South", "S."),
        ("East", "e"),
        ("West", "W"),
        ("Northeast", "NE"),
        ("Northwest", "NW"),
        ("Southeast", "SE"),
        ("Southwest", "SW"),
    ],
)
def test_directions_match_their_abbreviation(long, short):
    assert key(street_dir_prefix=long) == key(street_dir_prefix=short)


def test_direction_in_the_street_name_matches_the_direction_field():
    assert key(street_name="North Main") == key(street_dir_prefix="N", street_name="Main")


def test_saint_and_st_are_the_same_street():
    assert key(street_name="Saint Charles", street_suffix="Avenue") == key(
        street_name="St. Charles", street_suffix="Ave"
    )


@pytest.mark.parametrize(
    "unit", ["4B", "4b", "Unit 4B", "#4B", "# 4B", "Apt 4b", "Apt. #4B", "Ste 4B", "Suite 4-B"]
)
def test_unit_designators_are_stripped(unit):
    assert unit_key(unit) == "4b"
    assert key(unit_number=unit) == key(unit_number="4B")


def test_the_key_reads_as_place_street_and_unit():
    assert key(street_dir_prefix="North", unit_number="Apt 4B") == "62701|123 n main st|4b"


@pytest.mark.parametrize(
    "other",
    [
        {"unit_number": "4C"},
        {"unit_number": ""},
        {"street_number": "125"},
        {"street_name": "Elm"},
        {"street_dir_prefix": "S"},
        {"street_suffix": "Ave"},
        {"postal_code": "62702"},
    ],
)
def test_different_homes_have_different_keys(other):
    base = key(unit_number="4B")
    assert key(**{"unit_number": "4B", **other}) != base


@pytest.mark.parametrize(
    "incomplete", [{"street_number": ""}, {"street_number": " - "}, {"street_name": ""}]
)
def test_an_address_without_number_or_street_has_the_empty_key(incomplete):
    assert key(**incomplete) == ""


def test_without_a_postal_code_the_city_and_state_place_the_home():
    assert key(postal_code="") == "springfield il|123 main st|"
    assert key(postal_code="") != key(postal_code="", city="Shelbyville")


def test_canadian_postal_codes_are_kept_whole():
    assert key(postal_code="K1A 0B6") == key(postal_code="k1a0b6")
    assert key(postal_code="K1A 0B6") != key(postal_code="K1A 0B7")


def test_a_very_long_street_name_is_cut_to_the_column():
    built = key(street_name="Very Long " * 30)
    assert len(built) == Property._meta.get_field("home_key").max_length
    assert built.startswith("62701|123 very long")


# ---------- the write paths keep it ----------


def test_a_new_listing_gets_its_home_key(personas):
    listing = make_listing(personas.agent.user, **{**ADDRESS, "unit_number": "Unit 4B"})
    listing.refresh_from_db()
    assert listing.home_key == "62701|123 main st|4b"


def test_an_address_change_changes_the_home_key(personas):
    listing = make_listing(personas.agent.user, **ADDRESS)
    listing_update(listing=listing, data={"street_number": "125"}, actor=personas.agent.user)
    listing.refresh_from_db()
    assert listing.home_key == "62701|125 main st|"


def test_the_migration_fills_the_key_of_existing_listings(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    second = make_listing(personas.agent.user, **{**ADDRESS, "street_number": ""})
    Property.objects.update(home_key="")
    migration = importlib.import_module("properties.migrations.0005_home_key")

    class SchemaEditor:  # what the fill uses of a schema editor
        quote_name = staticmethod(connection.ops.quote_name)

    editor = SchemaEditor()
    editor.connection = connection
    migration.fill_home_keys(apps, editor)
    keys = dict(Property.objects.values_list("pk", "home_key"))
    assert keys == {first.pk: "62701|123 main st|", second.pk: ""}


# ---------- which listing stands for the home ----------


def hidden(*listings):
    """Which of ``listings`` are stored as duplicates (hidden on the lists)."""
    flags = dict(
        Property.objects.filter(pk__in=[x.pk for x in listings]).values_list("pk", "home_duplicate")
    )
    return [flags[listing.pk] for listing in listings]


def twin(actor, **changes):
    """Another listing of the ``ADDRESS`` home, spelled differently."""
    return make_listing(actor, **{**ADDRESS, "street_suffix": "Street", **changes})


def test_creating_a_twin_hides_one_listing_of_the_home(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    assert hidden(first) == [False]
    second = twin(personas.agent.user)
    # Both on the market: the most recently modified stands for the home.
    assert hidden(first, second) == [True, False]
    assert second.home_duplicate is False


def test_archiving_the_primary_listing_shows_its_twin_and_restoring_it_hides_it_again(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    second = twin(personas.agent.user)
    listing_archive(listing=second, actor=personas.agent.user)
    assert hidden(first, second) == [False, False]
    listing_restore(listing=second, actor=personas.agent.user)
    assert hidden(first, second) == [True, False]


def test_an_archived_listing_is_never_a_duplicate(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    second = twin(personas.agent.user)
    listing_archive(listing=first, actor=personas.agent.user)
    assert hidden(first, second) == [False, False]


def test_a_price_change_makes_the_changed_listing_stand_for_the_home(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    second = twin(personas.agent.user)
    listing_update(listing=first, data={"list_price": Decimal("339000")}, actor=personas.agent.user)
    assert hidden(first, second) == [False, True]
    assert first.home_duplicate is False


def test_a_listing_on_the_market_stands_for_the_home_before_a_newer_one_off_it(personas):
    first = make_listing(personas.agent.user, **ADDRESS)
    second = twin(personas.agent.user)
    actor = personas.agent.user
    listing_update(listing=second, data={"standard_status": "Withdrawn"}, actor=actor)
    assert hidden(first, second) == [False, True]
    # Sold beats withdrawn, however recent the withdrawal.
    listing_update(listing=first, data={"standard_status": "Closed"}, actor=actor)
    listing_update(listing=second, data={"list_price": Decimal("1")}, actor=actor)
    assert hidden(first, second) == [False, True]
    listing_update(listing=second, data={"standard_status": "ComingSoon"}, actor=actor)
    assert hidden(first, second) == [True, False]


def test_an_address_change_moves_a_listing_to_another_home_and_refreshes_both(personas):
    actor = personas.agent.user
    stays = make_listing(actor, **ADDRESS)
    moves = twin(actor)
    across = make_listing(actor, **{**ADDRESS, "street_number": "125"})
    assert hidden(stays, moves, across) == [True, False, False]
    listing_update(listing=moves, data={"street_number": "125"}, actor=actor)
    # The old home is left with one listing; in the new one the just-edited listing is newest.
    assert hidden(stays, moves, across) == [False, False, True]


def test_a_listing_whose_address_loses_its_number_leaves_the_home_and_shows(personas):
    actor = personas.agent.user
    primary = make_listing(actor, **ADDRESS)
    duplicate = twin(actor, standard_status="Withdrawn")
    assert hidden(primary, duplicate) == [False, True]
    listing_update(listing=duplicate, data={"street_number": ""}, actor=actor)
    assert hidden(primary, duplicate) == [False, False]


def test_another_brokerages_listing_of_the_address_is_another_home(personas):
    ours = make_listing(personas.agent.user, **ADDRESS)
    theirs = make_listing(personas.stranger.user, **ADDRESS)
    assert hidden(ours, theirs) == [False, False]


def test_the_refresh_reads_once_and_writes_at_most_twice_for_many_homes(
    personas, django_assert_num_queries
):
    actor = personas.agent.user
    homes = []
    for n in range(30):
        address = {**ADDRESS, "street_number": str(2000 + n)}
        homes.append((make_listing(actor, **address), make_listing(actor, **address)))
    # Every flag wrong: the older listings to hide, the newer ones to show.
    Property.objects.update(home_duplicate=True)
    Property.objects.filter(pk__in=[first.pk for first, _ in homes]).update(home_duplicate=False)
    keys = {first.home_key for first, _ in homes} | {"", "62701|9999 nowhere st|"}
    with django_assert_num_queries(3):
        duplicates = home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys=keys)
    assert duplicates == {first.pk for first, _ in homes}
    assert hidden(*(first for first, _ in homes)) == [True] * 30
    with django_assert_num_queries(1):  # nothing changes: nothing written
        home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys=keys)


def test_a_big_batch_reads_only_the_homes_with_more_than_one_listing_or_a_flag(
    personas, django_assert_num_queries
):
    actor = personas.agent.user
    singles = [
        make_listing(actor, **{**ADDRESS, "street_number": str(3000 + n)}) for n in range(60)
    ]
    older = make_listing(actor, **{**ADDRESS, "street_number": "4000"})
    newer = make_listing(actor, **{**ADDRESS, "street_number": "4000"})
    stale = singles[7]  # flagged, though alone in its home: the flag must go
    Property.objects.filter(pk__in=[stale.pk, newer.pk]).update(home_duplicate=True)
    Property.objects.filter(pk=older.pk).update(home_duplicate=False)
    keys = {listing.home_key for listing in (*singles, older)}

    # The shared and flagged homes found, their rows read, a write for each pair of a flag and
    # a count: the stale single (unflagged, 1), the older (flagged, 2) and the newer (shown, 2).
    with django_assert_num_queries(5):
        duplicates = home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys=keys)

    assert duplicates == {older.pk}
    assert hidden(older, newer, stale) == [True, False, False]
    assert not any(hidden(*singles))
    with django_assert_num_queries(1):  # every home alone and unflagged: nothing more to read
        home_duplicates_refresh(
            brokerage_id=personas.brokerage.pk,
            home_keys={listing.home_key for listing in singles},
        )


def test_the_refresh_of_no_home_makes_no_query(personas, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys={""}) == set()
        assert home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys=[]) == set()


def test_the_migration_flags_what_the_refresh_would(personas):
    actor = personas.agent.user
    now = timezone.now()
    homes = [
        ("1", ["Active", "Active"], [5, 1]),  # the newer
        ("2", ["Closed", "Withdrawn"], [9, 1]),  # sold beats withdrawn
        ("3", ["Pending", "Closed", "Expired"], [30, 1, 2]),  # on the market first
        ("4", ["Active", "Active"], [3, 3]),  # a tie: the first entered
        ("5", ["Withdrawn", "Canceled"], [7, 8]),  # neither on the market: the newer
    ]
    listings = []
    for number, statuses, minutes in homes:
        for status, ago in zip(statuses, minutes, strict=True):
            listing = make_listing(
                actor, **{**ADDRESS, "street_number": number}, standard_status=status
            )
            Property.objects.filter(pk=listing.pk).update(
                modification_timestamp=now - timedelta(minutes=ago)
            )
            listings.append(listing)
    archived = twin(actor)  # the newest of home 123, but archived
    listing_archive(listing=archived, actor=actor)
    alone = make_listing(actor, **ADDRESS)
    expected = home_duplicates_refresh(
        brokerage_id=personas.brokerage.pk,
        home_keys={listing.home_key for listing in [*listings, alone]},
    )
    assert len(expected) == 6
    Property.objects.update(home_duplicate=False)
    migration = importlib.import_module("properties.migrations.0005_home_key")

    class SchemaEditor:  # what the fill uses of a schema editor
        quote_name = staticmethod(connection.ops.quote_name)

    editor = SchemaEditor()
    editor.connection = connection
    migration.fill_home_duplicates(apps, editor)
    assert set(Property.objects.filter(home_duplicate=True).values_list("pk", flat=True)) == (
        expected
    )


# ---------- how many listings a home has ----------


def stored_counts(*listings):
    counts = dict(
        Property.objects.filter(pk__in=[x.pk for x in listings]).values_list(
            "pk", "home_listings_count"
        )
    )
    return [counts[listing.pk] for listing in listings]


def test_each_listing_of_a_home_stores_how_many_listings_the_home_has(personas):
    actor = personas.agent.user
    first = make_listing(actor, **ADDRESS)
    assert first.home_listings_count == 1
    second = make_listing(actor, **{**ADDRESS, "street_suffix": "Street"})
    assert second.home_listings_count == 2  # the instance says what is stored
    archived = make_listing(actor, **ADDRESS)
    listing_archive(listing=archived, actor=actor)
    assert stored_counts(first, second, archived) == [3, 3, 3]  # archived, still a listing of it

    moved = listing_update(listing=second, data={"street_number": "999"}, actor=actor)

    assert moved.home_listings_count == 1
    assert stored_counts(first, second, archived) == [2, 1, 2]


def test_a_listing_without_an_address_key_counts_as_alone(personas):
    actor = personas.agent.user
    first, second = make_listing(actor, **ADDRESS), make_listing(actor, **ADDRESS)

    keyless = listing_update(listing=second, data={"street_number": ""}, actor=actor)

    assert keyless.home_key == ""
    assert keyless.home_listings_count == 1
    assert stored_counts(first, second) == [1, 1]


def test_a_big_batch_corrects_a_count_left_wrong(personas, django_assert_num_queries):
    actor = personas.agent.user
    singles = [
        make_listing(actor, **{**ADDRESS, "street_number": str(5000 + n)}) for n in range(60)
    ]
    stale = singles[3]
    Property.objects.filter(pk=stale.pk).update(home_listings_count=2)
    keys = {listing.home_key for listing in singles}

    # The miscounted home found, its row read, its count written.
    with django_assert_num_queries(3):
        home_duplicates_refresh(brokerage_id=personas.brokerage.pk, home_keys=keys)

    assert stored_counts(*singles) == [1] * 60


def test_the_count_migration_counts_what_the_refresh_would(personas):
    actor = personas.agent.user
    for number, listings in (("1", 2), ("2", 3), ("3", 1)):
        for _ in range(listings):
            make_listing(actor, **{**ADDRESS, "street_number": number})
    make_listing(actor, **{**ADDRESS, "street_number": ""})
    expected = dict(Property.objects.values_list("pk", "home_listings_count"))
    assert sorted(expected.values()) == [1, 1, 2, 2, 3, 3, 3]
    Property.objects.update(home_listings_count=1)

    migration = importlib.import_module("properties.migrations.0011_home_listings_count")
    migration.count_home_listings(apps, None)

    assert dict(Property.objects.values_list("pk", "home_listings_count")) == expected


# ---------- one card per home ----------


def url(name, *args):
    return reverse(f"properties:{name}", args=args)


def listed_pks(response):
    return [listing.pk for listing in response.context["object_list"]]


def api_ids(response):
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


def refresh_home(listing):
    """What a write outside the listing services (the MLS sync) does after changing listings."""
    home_duplicates_refresh(brokerage_id=listing.brokerage_id, home_keys=[listing.home_key])


def from_mls(listing, provider, listing_id, minutes_ago=0):
    """Make a listing look like it came from ``provider``'s feed (the sync is being rewritten)."""
    Property.objects.filter(pk=listing.pk).update(
        mls_provider=provider,
        source="mls",
        listing_id=listing_id,
        listing_key=f"{provider.pk}-{listing_id}",
        modification_timestamp=timezone.now() - timedelta(minutes=minutes_ago),
    )
    listing.refresh_from_db()
    Property.objects.filter(pk=listing.pk).update(search_document=listing.build_search_document())
    refresh_home(listing)
    listing.refresh_from_db()
    return listing


def touch(listing, minutes_ago):
    Property.objects.filter(pk=listing.pk).update(
        modification_timestamp=timezone.now() - timedelta(minutes=minutes_ago)
    )
    refresh_home(listing)


@pytest.fixture
def providers(personas):
    return (
        make_mls_provider(personas.brokerage, name="Bright MLS"),
        make_mls_provider(personas.brokerage, name="Midwest Real Estate Data"),
    )


@pytest.fixture
def home(personas, providers):
    """One house from two feeds of the agent's brokerage; Bright's copy is the newer."""
    bright, midwest = providers
    older = make_listing(personas.agent.user, **ADDRESS, list_price=Decimal("349000"))
    newer = make_listing(
        personas.agent.user,
        **{**ADDRESS, "street_suffix": "Street"},
        list_price=Decimal("350000"),
        standard_status="Pending",
    )
    return {
        "newer": from_mls(newer, bright, "BR-1001", minutes_ago=5),
        "older": from_mls(older, midwest, "MRD-2002", minutes_ago=60),
    }


def test_a_home_from_two_feeds_is_one_card_with_a_listing_count(client_for, home):
    response = client_for("agent").get(url("list"))
    assert listed_pks(response) == [home["newer"].pk]
    assert response.context["object_list"][0].home_listings_count == 2
    assert "2 listings" in response.content.decode()


def test_a_home_from_two_feeds_is_one_row_of_the_api_list(api_for, home):
    response = api_for("colleague").get(LIST_URL)
    assert api_ids(response) == [home["newer"].pk]
    assert response.data["count"] == 1
    row = response.data["results"][0]
    assert row["home_listings_count"] == 2
    assert row["home_key"] == "62701|123 main st|"


def test_all_listings_shows_every_listing_of_the_home(client_for, api_for, home):
    both = [home["newer"].pk, home["older"].pk]
    page = client_for("agent").get(url("list"), {"all_listings": "true"})
    assert listed_pks(page) == both
    assert 'name="all_listings" value="true" checked' in page.content.decode()
    response = api_for("agent").get(LIST_URL, {"all_listings": "true"})
    assert api_ids(response) == both
    assert [row["home_listings_count"] for row in response.data["results"]] == [2, 2]


def test_a_home_listed_once_has_no_listing_count_badge(client_for, personas):
    make_listing(personas.agent.user, **ADDRESS)
    response = client_for("agent").get(url("list"))
    assert response.context["object_list"][0].home_listings_count == 1
    assert "1 listings" not in response.content.decode()


def test_different_units_of_one_building_are_different_homes(client_for, api_for, personas):
    building = {**ADDRESS, "street_name": "Lake Shore", "street_suffix": "Dr"}
    units = [
        make_listing(personas.agent.user, **{**building, "unit_number": unit})
        for unit in ("Unit 4B", "#4C", "Apt 5B")
    ]
    response = client_for("agent").get(url("list"))
    assert sorted(listed_pks(response)) == sorted(listing.pk for listing in units)
    assert {listing.home_listings_count for listing in response.context["object_list"]} == {1}
    assert len(api_ids(api_for("agent").get(LIST_URL))) == 3


def test_listings_without_a_street_number_are_never_merged(client_for, personas):
    lots = [make_listing(personas.agent.user, **{**ADDRESS, "street_number": ""}) for _ in range(2)]
    response = client_for("agent").get(url("list"))
    assert sorted(listed_pks(response)) == sorted(lot.pk for lot in lots)
    assert {lot.home_listings_count for lot in response.context["object_list"]} == {1}


def test_the_most_recently_modified_listing_stands_for_the_home(client_for, home):
    touch(home["older"], minutes_ago=1)
    assert listed_pks(client_for("agent").get(url("list"))) == [home["older"].pk]


def test_on_a_tie_the_first_listing_stands_for_the_home(client_for, home):
    same_time = timezone.now()
    Property.objects.filter(pk__in=[home["newer"].pk, home["older"].pk]).update(
        modification_timestamp=same_time
    )
    refresh_home(home["newer"])
    first = min(home["newer"].pk, home["older"].pk)
    assert listed_pks(client_for("agent").get(url("list"))) == [first]


def test_an_archived_listing_does_not_hide_the_current_one(personas, client_for, api_for, home):
    listing_archive(listing=home["newer"], actor=personas.agent.user)
    touch(home["newer"], minutes_ago=0)
    client = client_for("agent")
    response = client.get(url("list"))
    assert listed_pks(response) == [home["older"].pk]
    # The archived one still counts: it is one of the home's listings, shown on its page.
    assert response.context["object_list"][0].home_listings_count == 2
    assert listed_pks(client.get(url("list"), {"archived": "true"})) == [home["newer"].pk]
    assert api_ids(api_for("agent").get(LIST_URL)) == [home["older"].pk]


def test_filters_apply_to_the_listing_that_stands_for_the_home(client_for, api_for, home):
    """The home shows as its current listing or not at all (see the module's docstring)."""
    client = client_for("agent")
    assert listed_pks(client.get(url("list"), {"status": "Pending"})) == [home["newer"].pk]
    assert listed_pks(client.get(url("list"), {"status": "Active"})) == []
    assert listed_pks(client.get(url("list"), {"max_price": "349500"})) == []
    assert api_ids(api_for("agent").get(LIST_URL, {"q": "MRD-2002"})) == []


def test_all_listings_finds_the_listing_that_a_filter_matches(client_for, api_for, home):
    every = {"all_listings": "true"}
    client = client_for("agent")
    assert listed_pks(client.get(url("list"), {"status": "Active", **every})) == [home["older"].pk]
    response = api_for("agent").get(LIST_URL, {"q": "MRD-2002", **every})
    assert api_ids(response) == [home["older"].pk]
    assert response.data["results"][0]["home_listings_count"] == 2


def test_the_brokerages_own_listing_and_a_feed_copy_are_one_home(client_for, personas, providers):
    own = make_listing(personas.agent.user, **ADDRESS)
    copy = make_listing(personas.agent.user, **{**ADDRESS, "street_suffix": "Street"})
    from_mls(copy, providers[0], "BR-3003", minutes_ago=30)
    response = client_for("agent").get(url("list"))
    assert listed_pks(response) == [own.pk]
    detail = client_for("agent").get(url("detail", own.pk)).content.decode()
    assert "MLS #BR-3003" in detail
    assert "Bright MLS" in detail


# ---------- the other listings of the home ----------


def test_each_listing_page_names_the_other_listing_of_the_home(client_for, home):
    client = client_for("viewer")
    for shown, other, provider in (
        (home["newer"], home["older"], "Midwest Real Estate Data"),
        (home["older"], home["newer"], "Bright MLS"),
    ):
        response = client.get(url("detail", shown.pk))
        assert [listing.pk for listing in response.context["also_listed_as"]] == [other.pk]
        content = response.content.decode()
        assert "Also listed as" in content
        assert f"MLS #{other.listing_id}" in content
        assert provider in content
        assert url("detail", other.pk) in content
        assert f"badge--{other.standard_status.lower()}" in content


def test_a_listing_page_names_the_brokerages_own_listing_as_ours(client_for, personas, home):
    own = make_listing(personas.agent.user, **ADDRESS, listing_id="")
    content = client_for("agent").get(url("detail", home["newer"].pk)).content.decode()
    assert "Our listing" in content
    assert url("detail", own.pk) in content


def test_a_listing_listed_once_has_no_also_listed_as(client_for, personas):
    alone = make_listing(personas.agent.user, **ADDRESS)
    response = client_for("agent").get(url("detail", alone.pk))
    assert list(response.context["also_listed_as"]) == []
    assert "Also listed as" not in response.content.decode()


def test_the_api_detail_lists_the_other_listings_of_the_home(api_for, home):
    response = api_for("colleague").get(f"{LIST_URL}{home['newer'].pk}/")
    assert response.status_code == 200
    assert response.data["also_listed_as"] == [
        {
            "id": home["older"].pk,
            "listing_id": "MRD-2002",
            "provider": "Midwest Real Estate Data",
            "standard_status": "Active",
            "standard_status_label": "Active",
            "list_price": "349000.00",
            "archived_at": None,
        }
    ]


def test_the_api_names_no_provider_for_the_brokerages_own_listing(api_for, personas, home):
    own = make_listing(personas.agent.user, **ADDRESS)
    response = api_for("agent").get(f"{LIST_URL}{home['newer'].pk}/")
    mine = next(row for row in response.data["also_listed_as"] if row["id"] == own.pk)
    assert mine["provider"] is None


# ---------- other brokerages ----------


@pytest.fixture
def stranger_home(personas):
    """The same address listed by another brokerage."""
    provider = make_mls_provider(personas.other_brokerage, name="Bright MLS")
    listing = make_listing(personas.stranger.user, **ADDRESS)
    return from_mls(listing, provider, "BR-9999", minutes_ago=0)


def test_another_brokerages_listing_of_the_home_is_never_shown_nor_counted(
    client_for, api_for, home, stranger_home
):
    response = client_for("agent").get(url("list"))
    assert listed_pks(response) == [home["newer"].pk]
    assert response.context["object_list"][0].home_listings_count == 2
    detail = client_for("agent").get(url("detail", home["newer"].pk))
    assert [listing.pk for listing in detail.context["also_listed_as"]] == [home["older"].pk]
    assert "BR-9999" not in detail.content.decode()
    api_detail = api_for("agent").get(f"{LIST_URL}{home['newer'].pk}/")
    assert [row["id"] for row in api_detail.data["also_listed_as"]] == [home["older"].pk]


def test_a_stranger_sees_only_their_own_listing_of_the_address(
    client_for, api_for, home, stranger_home
):
    client = client_for("stranger")
    response = client.get(url("list"))
    assert listed_pks(response) == [stranger_home.pk]
    assert response.context["object_list"][0].home_listings_count == 1
    assert "2 listings" not in response.content.decode()
    detail = client.get(url("detail", stranger_home.pk))
    assert list(detail.context["also_listed_as"]) == []
    assert client.get(url("detail", home["older"].pk)).status_code == 404
    api = api_for("stranger")
    rows = api.get(LIST_URL, {"all_listings": "true"}).data["results"]
    assert [(row["id"], row["home_listings_count"]) for row in rows] == [(stranger_home.pk, 1)]
    assert api.get(f"{LIST_URL}{stranger_home.pk}/").data["also_listed_as"] == []
    assert api.get(f"{LIST_URL}{home['older'].pk}/").status_code == 404


def test_anonymous_visitors_see_no_home(client_for, api_for, home):
    response = client_for("anonymous").get(url("list"))
    assert response.status_code == 302
    assert api_for("anonymous").get(LIST_URL).status_code in (401, 403)


# ---------- query counts ----------


def _duplicate_homes(personas, providers, count):
    bright, midwest = providers
    for n in range(count):
        address = {**ADDRESS, "street_number": str(1000 + n)}
        from_mls(make_listing(personas.agent.user, **address), bright, f"BR-{n}", minutes_ago=n)
        from_mls(
            make_listing(personas.agent.user, **address), midwest, f"MRD-{n}", minutes_ago=n + 1
        )


@pytest.mark.parametrize("count", [2, 20])
def test_list_page_queries_do_not_grow_with_duplicate_homes(
    personas, providers, client_for, django_assert_num_queries, count
):
    _duplicate_homes(personas, providers, count)
    client = client_for("agent")
    # session, user, agent profile with role, count, page of listings (with home counts), the
    # display rules of the page's MLS feeds
    with django_assert_num_queries(6):
        response = client.get(url("list"), {"page_size": "48"})
    assert len(response.context["object_list"]) == count
    assert "2 listings" in response.content.decode()


@pytest.mark.parametrize("count", [2, 20])
def test_api_list_queries_do_not_grow_with_duplicate_homes(
    personas, providers, django_user_model, django_assert_num_queries, count
):
    _duplicate_homes(personas, providers, count)
    client = APIClient()
    client.force_authenticate(django_user_model.objects.get(pk=personas.agent.user.pk))
    # the caller's agent profile with role, the count, the page of listings
    with django_assert_num_queries(3):
        response = client.get(LIST_URL, {"page_size": 50})
    assert [row["home_listings_count"] for row in response.data["results"]] == [2] * count


def test_detail_queries_do_not_grow_with_the_homes_other_listings(
    personas, providers, client_for, api_for, home
):
    def queries(client, path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    page, api = client_for("agent"), api_for("agent")
    page_path, api_path = url("detail", home["newer"].pk), f"{LIST_URL}{home['newer'].pk}/"
    before = (queries(page, page_path), queries(api, api_path))
    for n in range(3):
        other = make_listing(personas.agent.user, **ADDRESS)
        from_mls(other, providers[n % 2], f"X-{n}", minutes_ago=90 + n)
    assert (queries(page, page_path), queries(api, api_path)) == before
    assert len(page.get(page_path).context["also_listed_as"]) == 4


def _count_query(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    counts = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 1
    return counts[0]


def test_the_lists_count_reads_no_home_count_and_no_other_listing(client_for, api_for, home):
    """The COUNT(*) is a plain filter on the list's own rows: no subquery per listing."""
    for client, path in ((client_for("agent"), url("list")), (api_for("agent"), LIST_URL)):
        sql = _count_query(client, path, {"status": "Active", "city": "springfield"})
        assert "home_duplicate" in sql
        assert "home_key" not in sql
        assert sql.count("SELECT") == 1


def _index_condition_parts(name):
    """Each conjunct of a partial index's condition, as the database's DDL writes it."""
    index = next(index for index in Property._meta.indexes if index.name == name)
    editor = connection.schema_editor()
    return [
        index.__class__(fields=["id"], name="x", condition=Q(part))._get_condition_sql(
            Property, editor
        )
        for part in index.condition.children
    ]


@pytest.mark.parametrize("params", [{}, {"status": "Pending", "city": "springfield"}])
def test_the_lists_where_holds_the_partial_condition_of_its_index(client_for, home, params):
    """PostgreSQL uses a partial index (rows and index-only COUNT) only when the query's WHERE
    implies its condition: the list must filter on exactly those columns and values."""
    with CaptureQueriesContext(connection) as captured:
        assert client_for("agent").get(url("list"), params).status_code == 200
    table = connection.ops.quote_name(Property._meta.db_table)
    lists = [q["sql"] for q in captured if f"FROM {table}" in q["sql"]]
    assert len(lists) == 2  # the count and the page
    parts = _index_condition_parts("property_city_status_recent")
    assert len(parts) == 2
    for sql in lists:
        where = sql.replace(f"{table}.", "")
        assert all(part in where for part in parts), (parts, where)


def test_new_this_week_on_the_dashboard_shows_one_listing_per_home(client_for, personas, home):
    response = client_for("agent").get(reverse("dashboard"))
    assert [listing.pk for listing in response.context["new_this_week"]] == [home["newer"].pk]
