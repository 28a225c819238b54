"""How the product's connections to PostgreSQL read what it sends back, and how rows become
model instances."""

from datetime import UTC
from functools import lru_cache

import psycopg
from django.db.models import DEFERRED, Field
from django.db.models.lookups import In
from psycopg.pq import Format

TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid


class UTCTimestamptzLoader:
    """psycopg's own ``timestamptz`` loader (compiled with psycopg[binary]), under the class
    attribute Django looks for.

    Django reads every ``timestamptz`` with a Python subclass of psycopg's pure-Python loader
    that sets the value's zone afterwards: five times slower, and a twentieth of the listing
    page (a card holds four timestamps). The connection's zone is UTC (``USE_TZ``), so psycopg's
    loader gives the very same aware UTC datetimes. The compiled loader can be neither
    subclassed nor given attributes, so this class stands for it in the connection's map and
    makes one of it; Django compares its ``timezone`` with the connection's to decide whether a
    cursor needs a loader of its own (equal: none).
    """

    format = Format.TEXT
    timezone = UTC
    loader = psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)

    def __new__(cls, oid, context=None):
        return cls.loader(oid, context)


def timestamps_read_compiled(sender, connection, **kwargs):
    """On each new PostgreSQL connection in UTC, read timestamps with psycopg's own loader."""
    if connection.vendor == "postgresql" and connection.timezone is UTC:
        connection.connection.adapters.register_loader(TIMESTAMPTZ, UTCTimestamptzLoader)


@Field.register_lookup
class AnyOf(In):
    """``field__any=values``: ``__in`` with PostgreSQL sent ``= ANY(array)``, one parameter
    however many values.

    psycopg splits a query at each ``%s`` in Python: for a sync page's thousand keys that took
    longer than PostgreSQL took to run the query. Other databases get ``IN (...)``; a
    subquery is sent as ``__in`` sends it.
    """

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, values = self.process_rhs(compiler, connection)  # each prepared as ``__in`` does
        return f"{lhs} = ANY(%s)", (*lhs_params, list(values))


class PartialRowsModel:
    """A model mixin that makes instances of rows read with ``only()`` or ``defer()`` faster.

    Django's ``Model.from_db`` places each value read by looking every field of the model up in
    the list of the columns read: for a listing card (31 of 77 columns) that took 20 µs a row,
    three times as long as making the instance. Here each field's place is worked out once per
    set of columns read; Django then gets a full row, with its own marker for a deferred field.
    """

    @classmethod
    def from_db(cls, db, field_names, values):
        if len(values) != len(cls._meta.concrete_fields):
            layout = _partial_row_layout(cls, tuple(field_names))
            values = [values[place] if place >= 0 else DEFERRED for place in layout]
        return super().from_db(db, field_names, values)


@lru_cache(maxsize=256)
def _partial_row_layout(model, field_names):
    """Where each concrete field of ``model`` is in a row of ``field_names`` (-1: not read)."""
    places = {name: place for place, name in enumerate(field_names)}
    return tuple(places.get(field.attname, -1) for field in model._meta.concrete_fields)
