"""How the product's connections to PostgreSQL read what it sends back."""

from datetime import UTC

import psycopg
from django.db.models import Field
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
