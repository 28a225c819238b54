"""The sync's database write stage: a page of rows in a few statements.

On PostgreSQL rows are streamed with ``COPY``: new rows straight into their table; changed
listings into a temporary staging table, then one ``UPDATE ... FROM`` it keyed on
(mls_provider_id, listing_key) that leaves a listing newer than its row alone. Other databases
use Django's ``bulk_create`` (with ``update_conflicts`` for listings). Rows are unsaved model
instances or tuples; signals (and so the audit log) are not sent for them.
"""

import zlib
from operator import itemgetter

import orjson
from django.db import connection
from django.utils import timezone
from psycopg import sql

from properties.models import Property

STAGE_TABLE = "mls_listing_stage"
SQLITE_BATCH = 250  # rows per statement: SQLite allows 32,766 parameters


def commit_without_waiting():
    """Let the current transaction's commit return before it reaches the disk (PostgreSQL).

    Safe for a sync page: a crash can only lose the last pages committed together with the
    cursor that marks them done, so the run reads them again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def statistics_refresh():
    """Have PostgreSQL look at the listing tables again after a sync grew them.

    With a table's statistics from when it was small, the planner reads a page's stored
    listings by scanning the whole feed instead of looking each key up; autovacuum would
    analyze only after the sync has suffered it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Only the columns a sync looks listings up by: a fraction of a full ANALYZE.
            cursor.execute(
                "ANALYZE properties_property (mls_provider_id, listing_key, brokerage_id, home_key)"
            )


def listings_stored(provider_id, keys, fields):
    """Rows (tuples of ``fields``) of the provider's listings with these ``keys``."""
    if connection.vendor != "postgresql":
        return list(
            Property.objects.filter(mls_provider_id=provider_id, listing_key__in=keys).values_list(
                *fields
            )
        )
    # One array parameter rather than a thousand: the query is not rebuilt for every key.
    columns = sql.SQL(", ").join(
        sql.Identifier(Property._meta.pk.column if name == "pk" else _column(name))
        for name in fields
    )
    with connection.cursor() as cursor:
        query = sql.SQL(
            "SELECT {} FROM {} WHERE mls_provider_id = %s AND listing_key = ANY(%s)"
        ).format(columns, sql.Identifier(Property._meta.db_table))
        cursor.execute(query.as_string(cursor.cursor.connection), [provider_id, list(keys)])
        return cursor.fetchall()


def _column(name):
    return Property._meta.get_field(name).column


def rows_insert(model, fields, rows):
    """Insert new rows of ``model``: tuples of the ``fields`` named (attnames, e.g. ``x_id``).

    The ids come from the table; the caller gives every other column its value.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows],
            batch_size=SQLITE_BATCH,
        )
        return
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, model, fields, rows)


EVENT_FIELDS = (
    "uid",
    "brokerage_id",
    "name",
    "occurred_at",
    "actor_id",
    "subject_type_id",
    "subject_id",
    "payload",
)


def events_insert(events):
    """Write unsaved events (``agents.services.events.events_build``); returns their ids.

    On PostgreSQL they are streamed with ``COPY`` (their payloads hold only JSON types) with
    ids taken from the table's sequence beforehand; elsewhere one ``bulk_create``.
    """
    from agents.models import Event

    if not events:
        return []
    if connection.vendor != "postgresql":
        Event.objects.bulk_create(events, batch_size=SQLITE_BATCH)
        if all(event.pk is not None for event in events):
            return [event.pk for event in events]
        uids = [event.uid for event in events]  # a backend that does not return bulk ids
        return list(Event.objects.filter(uid__in=uids).values_list("pk", flat=True))
    pick = itemgetter("id", *EVENT_FIELDS)
    with connection.cursor() as cursor:
        for event, pk in zip(events, _ids_take(cursor, Event, len(events)), strict=True):
            event.pk = pk
        _copy(
            cursor,
            Event._meta.db_table,
            Event,
            ("id", *EVENT_FIELDS),
            [pick(event.__dict__) for event in events],
        )
    return [event.pk for event in events]


def listings_write(*, new, changed, update_fields):
    """Write MLS listings (unsaved instances): ``new`` ones and ``changed`` stored ones.

    New listings are streamed straight into the table (one sync per feed at a time, and the
    page read what is stored in this same transaction). Changed ones are upserted on
    (mls_provider, listing_key): a stored listing takes the ``update_fields`` and keeps the rest
    (the brokerage's own fields), and a row older than the stored listing changes nothing.
    Returns ``{listing_key: id}`` of the rows written.
    """
    rows = [*new, *changed]
    if not rows:
        return {}
    provider_id = rows[0].mls_provider_id
    if connection.vendor != "postgresql":
        Property.objects.bulk_create(
            rows,
            batch_size=SQLITE_BATCH,
            update_conflicts=True,
            unique_fields=["mls_provider", "listing_key"],
            update_fields=update_fields,
        )
        return dict(listings_stored(provider_id, [row.listing_key for row in rows], KEY_AND_ID))
    fields = [Property._meta.pk, *_written_fields(Property)]
    attnames = [field.attname for field in fields]
    written = {}
    with connection.cursor() as cursor:
        if changed:
            written = _update(cursor, changed, update_fields)
        if new:
            for row, pk in zip(new, _ids_take(cursor, Property, len(new)), strict=True):
                row.pk = pk
            _copy(cursor, Property._meta.db_table, Property, attnames, _listing_tuples(fields, new))
            written.update((row.listing_key, row.pk) for row in new)
    return written


KEY_AND_ID = ("listing_key", "pk")


def _ids_take(cursor, model, count):
    """``count`` new ids from the sequence of ``model``'s table, for rows written with COPY
    (which cannot return the ids it generates: reading them back costs a query as big)."""
    table = model._meta.db_table
    # The sequence is looked up once (OFFSET 0 keeps PostgreSQL from doing it for every row,
    # which took five times as long as drawing the thousand ids).
    cursor.execute(
        "SELECT nextval(sequence.id) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass "
        "AS id OFFSET 0) AS sequence, generate_series(1, %s)",
        [sql.Identifier(table).as_string(cursor.cursor.connection), model._meta.pk.column, count],
    )
    return [row[0] for row in cursor.fetchall()]


def _update(cursor, rows, update_fields):
    """COPY the changed fields into a staging table, then one UPDATE ... FROM it."""
    context = cursor.cursor.connection
    key_fields = ["mls_provider", "listing_key"]
    fields = [Property._meta.get_field(name) for name in (*key_fields, *update_fields)]
    names = sql.SQL(", ").join(sql.Identifier(field.column) for field in fields)
    # One staging table per connection and set of columns, emptied by every commit.
    stage_name = f"{STAGE_TABLE}_{zlib.crc32(' '.join(update_fields).encode()):08x}"
    stage = sql.Identifier(stage_name)
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS "
            "SELECT {} FROM {} WITH NO DATA"
        )
        .format(stage, names, sql.Identifier(Property._meta.db_table))
        .as_string(context)
    )
    attnames = [field.attname for field in fields]
    _copy(cursor, stage_name, Property, attnames, _listing_tuples(fields, rows))
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = staged.{0}").format(sql.Identifier(_column(name))) for name in update_fields
    )
    cursor.execute(
        sql.SQL(
            "UPDATE {table} AS stored SET {updates} FROM {stage} AS staged "
            "WHERE stored.mls_provider_id = staged.mls_provider_id "
            "AND stored.listing_key = staged.listing_key "
            "AND stored.modification_timestamp <= staged.modification_timestamp "
            "RETURNING stored.listing_key, stored.id"
        )
        .format(table=sql.Identifier(Property._meta.db_table), updates=updates, stage=stage)
        .as_string(context)
    )
    return dict(cursor.fetchall())


def _written_fields(model):
    """The columns a row writes: all but the generated id and database-generated columns."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]


def _copy(cursor, table, model, fields, rows):
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    json_positions = [
        position
        for position, name in enumerate(fields)
        if by_attname[name].get_internal_type() == "JSONField"
    ]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(by_attname[name].column) for name in fields),
    )
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for position in json_positions:
                    row[position] = orjson.dumps(row[position]).decode()
            copy.write_row(row)


def _listing_tuples(fields, rows):
    """``Property`` instances as tuples of ``fields``, their timestamps set as ``save()`` would."""
    now = timezone.now()
    pick = itemgetter(*(field.attname for field in fields))
    tuples = []
    for row in rows:
        if row.created_at is None:
            row.created_at = now
        row.updated_at = now
        tuples.append(pick(row.__dict__))
    return tuples
