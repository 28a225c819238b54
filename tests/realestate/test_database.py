from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format

from properties.models import Property
from realestate import database
from realestate.database import TIMESTAMPTZ, UTCTimestamptzLoader
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("how PostgreSQL timestamps are read")
    connection.ensure_connection()


def test_timestamps_are_read_with_psycopgs_own_loader(postgresql):
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is (
        UTCTimestamptzLoader
    )
    with connection.cursor() as cursor:
        # Django gives a cursor a loader of its own only when the zones differ.
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is (UTCTimestamptzLoader)
    # What it makes is the compiled loader (psycopg[binary]), not a Python subclass of it.
    made = UTCTimestamptzLoader(TIMESTAMPTZ, connection.connection)
    assert type(made).__module__ == "psycopg_binary._psycopg"


def test_timestamps_read_back_are_the_aware_utc_moments_written(postgresql, personas):
    moment = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    listing = make_listing(personas.agent.user)
    Property.objects.filter(pk=listing.pk).update(modification_timestamp=moment, archived_at=None)

    stored = Property.objects.values_list("modification_timestamp", "archived_at").get(
        pk=listing.pk
    )

    assert stored == (moment, None)
    assert stored[0].tzinfo is UTC
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::timestamptz AT TIME ZONE 'UTC' = %s", [moment, "2026-03-29 01:30:15.123456"]
        )
        assert cursor.fetchone() == (True,)


def test_any_finds_what_in_finds(personas):
    listings = [make_listing(personas.agent.user, street_number=str(n)) for n in range(1, 5)]
    wanted = [listings[0].pk, listings[2].pk, None, listings[2].pk]

    found = set(Property.objects.filter(pk__any=wanted).values_list("pk", flat=True))

    assert found == set(Property.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == {listings[0].pk, listings[2].pk}
    keys = [listings[1].home_key, "no-such-home"]
    assert list(Property.objects.filter(home_key__any=keys)) == [listings[1]]
    assert not Property.objects.filter(pk__any=[]).exists()
    # A subquery is sent as ``__in`` sends it.
    others = Property.objects.exclude(pk=listings[3].pk).values("pk")
    assert Property.objects.filter(pk__any=others).count() == 3


def test_any_sends_postgresql_one_array_however_many_values(postgresql, personas):
    listing = make_listing(personas.agent.user)
    with CaptureQueriesContext(connection) as queries:
        found = list(Property.objects.filter(pk__any=[listing.pk, *range(-1000, 0)]))

    assert found == [listing]
    (query,) = queries.captured_queries
    assert "= ANY(" in query["sql"]
    assert " IN (" not in query["sql"]


# ---------- rows read with only() or defer() ----------


def test_a_partial_row_holds_the_values_read_and_defers_the_rest(personas, monkeypatch):
    listing = make_listing(personas.agent.user, city="Salem", public_remarks="Sunny.")
    full = Property.objects.get(pk=listing.pk)
    read = []
    monkeypatch.setattr(database, "_partial_row_layout", _spy(read, database._partial_row_layout))

    partial = Property.objects.only("city", "list_price", "home_key").get(pk=listing.pk)

    assert read, "the mixin placed the values"
    assert (partial.pk, partial.city, partial.list_price, partial.home_key) == (
        full.pk,
        full.city,
        full.list_price,
        full.home_key,
    )
    assert "public_remarks" in partial.get_deferred_fields()
    assert "city" not in partial.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert partial.public_remarks == "Sunny."  # loaded when asked for, as Django does
    assert len(queries) == 1


def test_deferred_columns_and_related_rows_read_in_one_query_keep_their_values(personas):
    listing = make_listing(personas.agent.user, city="Dover")
    rows = Property.objects.select_related("list_agent__user").defer("public_remarks")

    row = rows.get(pk=listing.pk)

    assert row.get_deferred_fields() == {"public_remarks"}
    assert (row.city, row.list_agent.user.username) == ("Dover", personas.agent.user.username)
    assert row.modification_timestamp == Property.objects.get(pk=listing.pk).modification_timestamp


def _spy(calls, function):
    def spy(*args):
        calls.append(args)
        return function(*args)

    return spy
