from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format

from properties.models import Property
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
