"""Saved searches and their listing alerts: saving, matching in bulk, and sending.

Matching reads the listing history (price and status changes) written since the last run,
turns it into events (a new listing, a price drop, back on the market) and matches the events'
listings against every active saved search in one ``INSERT ... SELECT``: a join of the batch
with the saved searches on their filter columns. ``ListingAlert``'s unique constraint makes a
second match of the same event a no-op. Sending claims a search's waiting alerts, mails them as
one email and marks them sent; a claim that is never confirmed is not sent again.
"""

import logging
import math
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clients.choices import ActivityKind, AlertEvent, AlertFrequency, Channel
from clients.models import AlertScan, ListingAlert, SavedSearch
from clients.services.people import activity_log, client_score_refresh
from clients.signals import listing_alerts_matched
from compliance.models.privacy import ConsentSource, ConsentStatus, ContactPurpose
from compliance.services.consent import consent_record, contact_allowed, contact_allowed_q
from properties.choices import ON_MARKET_STATUSES, PropertySubType, PropertyType, StandardStatus
from properties.models import PriceChange, Property, StatusChange
from realestate.permissions import CHANGE, actor_for, can

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Criteria: the listing page's filters, checked and turned into the columns matched in bulk

# The listing filters a saved search keeps, in the order the listing page shows them.
CRITERIA_FIELDS = (
    "q",
    "status",
    "property_type",
    "property_sub_type",
    "city",
    "postal_code",
    "min_price",
    "max_price",
    "min_beds",
    "min_baths",
    "min_area",
    "max_area",
    "all_listings",
)
# How a list is shown, not which listings it holds: dropped.
PRESENTATION_PARAMS = frozenset({"sort", "page", "page_size"})
# Filters a client's alerts cannot follow.
REFUSED_FILTERS = {
    "mine": "“My listings only” depends on who looks at the list: untick it to save the search.",
    "archived": "Alerts are sent for current listings only: clear the archived filter.",
}
# Beyond these a filter is a typo, and beyond the columns' range on PostgreSQL.
COUNT_LIMITS = {"min_beds": 100, "min_baths": 100, "min_area": 10**7, "max_area": 10**7}
# Model columns named differently from the filter they hold.
COLUMN_TO_FILTER = {"keywords": "q", "statuses": "status"}
SEARCH_WRITABLE = frozenset({"name", "frequency", "is_active", "criteria"})
SENT_FREQUENCIES = (AlertFrequency.INSTANT, AlertFrequency.DAILY, AlertFrequency.WEEKLY)


def _as_query(criteria):
    """``criteria`` (a QueryDict, or a dict of strings, numbers, booleans and lists) as the
    QueryDict a filter form reads."""
    if isinstance(criteria, QueryDict):
        return criteria.copy()
    query = QueryDict(mutable=True)
    for name, value in (criteria or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        query.setlist(
            name,
            [
                ("true" if item else "false") if isinstance(item, bool) else str(item)
                for item in values
                if item is not None
            ],
        )
    return query


@dataclass
class CleanCriteria:
    """Criteria as stored (the filter parameters) and as matched (the search's columns)."""

    criteria: dict
    columns: dict
    errors: dict = field(default_factory=dict)


def criteria_clean(criteria):
    """Check listing filter parameters with the listing filters' own form.

    Returns :class:`CleanCriteria`; its ``errors`` are keyed by filter name.
    """
    from properties.filtersets import PropertyFilterSet

    query = _as_query(criteria)
    for name in PRESENTATION_PARAMS:
        query.pop(name, None)
    errors = {}
    unknown = sorted(set(query) - set(CRITERIA_FIELDS) - set(REFUSED_FILTERS))
    for name in unknown:
        errors[name] = ["Not a listing filter."]
        query.pop(name)
    form = PropertyFilterSet(data=query, queryset=Property.objects.none()).form
    if not form.is_valid():
        for name, messages in form.errors.items():
            errors.setdefault(name, []).extend(messages)
    data = getattr(form, "cleaned_data", {})
    for name, message in REFUSED_FILTERS.items():
        if data.get(name):
            errors.setdefault(name, []).append(message)
    statuses = [status for status in data.get("status") or [] if status]
    if statuses and not set(statuses) & set(ON_MARKET_STATUSES):
        labels = ", ".join(StandardStatus(status).label for status in ON_MARKET_STATUSES)
        errors.setdefault("status", []).append(
            f"Alerts are sent for listings on the market: choose one of {labels}."
        )
    columns = {
        "keywords": (data.get("q") or "").strip(),
        "statuses": f",{','.join(statuses)}," if statuses else "",
        "property_type": data.get("property_type") or "",
        "property_sub_type": data.get("property_sub_type") or "",
        "city": (data.get("city") or "").strip().upper(),
        "postal_code": (data.get("postal_code") or "").strip(),
        # A filter of 2.5 beds means 3 or more; of at most 1,999.5 sq ft, 1,999.
        "min_price": _rounded(data.get("min_price"), ROUND_CEILING, Decimal("0.01")),
        "max_price": _rounded(data.get("max_price"), ROUND_FLOOR, Decimal("0.01")),
        "min_beds": _whole(data.get("min_beds"), math.ceil),
        "min_baths": _whole(data.get("min_baths"), math.ceil),
        "min_area": _whole(data.get("min_area"), math.ceil),
        "max_area": _whole(data.get("max_area"), math.floor),
        "all_listings": bool(data.get("all_listings")),
    }
    for low, high in (("min_price", "max_price"), ("min_area", "max_area")):
        if None not in (columns[low], columns[high]) and columns[low] > columns[high]:
            errors.setdefault(high, []).append("Must be at least the minimum.")
    if columns["max_price"] is not None and columns["max_price"] < 0:
        errors.setdefault("max_price", []).append("Must be zero or more.")
    for name, most in COUNT_LIMITS.items():
        if columns[name] is not None and columns[name] > most:
            errors.setdefault(name, []).append(f"Must be at most {most:,}.")
    for name in ("min_price", "min_beds", "min_baths", "min_area"):
        if columns[name] is not None and columns[name] <= 0:
            columns[name] = None  # "at least nothing" is no filter at all
    stored = {}
    for name in CRITERIA_FIELDS:
        values = [value.strip() for value in query.getlist(name) if value.strip()]
        if not values or (name == "all_listings" and not columns["all_listings"]):
            continue
        stored[name] = values if name == "status" else values[-1]
    return CleanCriteria(criteria=stored, columns=columns, errors=errors)


def _rounded(value, rounding, step):
    if value is None:
        return None
    try:
        return Decimal(value).quantize(step, rounding=rounding)
    except InvalidOperation:
        return value  # too many digits to round: the model's own check says so


def _whole(value, to_int):
    return None if value is None else int(to_int(value))


def criteria_query(criteria):
    """The listing page's query string for stored criteria ("city=Springfield&min_beds=3")."""
    return urlencode(criteria or {}, doseq=True)


def criteria_summary(search):
    """A short description of what a saved search looks for ("3+ beds · Springfield · ...")."""
    parts = []
    if search.property_sub_type:
        parts.append(PropertySubType(search.property_sub_type).label)
    elif search.property_type:
        parts.append(PropertyType(search.property_type).label)
    if search.min_beds:
        parts.append(f"{search.min_beds}+ beds")
    if search.min_baths:
        parts.append(f"{search.min_baths}+ baths")
    place = search.criteria.get("city") or search.city.title()
    for value in (place, search.postal_code):
        if value:
            parts.append(value)
    low, high = search.min_price, search.max_price
    if low is not None and high is not None:
        parts.append(f"${low:,.0f}–${high:,.0f}")
    elif high is not None:
        parts.append(f"up to ${high:,.0f}")
    elif low is not None:
        parts.append(f"from ${low:,.0f}")
    if search.min_area is not None or search.max_area is not None:
        if search.max_area is None:
            parts.append(f"{search.min_area:,}+ sq ft")
        else:
            parts.append(f"{search.min_area or 0:,}–{search.max_area:,} sq ft")
    if search.statuses:
        parts.append(", ".join(StandardStatus(status).label for status in search.status_list))
    if search.keywords:
        parts.append(f"“{search.keywords}”")
    return " · ".join(parts) or "Any listing"


def _apply_criteria(search, criteria, errors):
    cleaned = criteria_clean(criteria)
    for name, messages in cleaned.errors.items():
        errors.setdefault(name, []).extend(messages)
    search.criteria = cleaned.criteria
    for name, value in cleaned.columns.items():
        setattr(search, name, value)


def _check_search(search, errors):
    if search.frequency not in AlertFrequency.values:
        errors.setdefault("frequency", []).append(f"Unknown frequency {search.frequency!r}.")
    if not search.name.strip():
        search.name = criteria_summary(search)[:100]
    try:
        search.full_clean(exclude=["client", "brokerage", "created_by", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(COLUMN_TO_FILTER.get(name, name), []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_can_change(client, actor):
    if not can(actor, client, CHANGE):
        raise PermissionDenied("You cannot change this client's searches.")


@transaction.atomic
def saved_search_create(*, client, criteria, name, frequency, actor):
    """Save listing filters for a client, to be alerted of new matches at ``frequency``."""
    _check_can_change(client, actor)
    search = SavedSearch(
        client=client,
        brokerage_id=client.brokerage_id,
        name=(name or "").strip(),
        frequency=frequency or AlertFrequency.DAILY,
        created_by=actor_for(actor).agent,
    )
    errors = {}
    _apply_criteria(search, criteria, errors)
    _check_search(search, errors)
    search.save()
    activity_log(
        client=client,
        kind=ActivityKind.SYSTEM,
        subject=f"Saved search added: {search.name}",
        actor=actor,
        details={"saved_search": search.pk},
    )
    return search


@transaction.atomic
def saved_search_update(*, saved_search, data, actor):
    """Change a saved search's name, frequency, filters or whether it sends alerts.

    A client's unsubscribe stands: only the client can subscribe again.
    """
    _check_can_change(saved_search.client, actor)
    unknown = set(data) - SEARCH_WRITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    errors = {}
    if "criteria" in data:
        _apply_criteria(saved_search, data["criteria"], errors)
    for name in ("name", "frequency", "is_active"):
        if name in data:
            value = data[name]
            setattr(saved_search, name, value.strip() if isinstance(value, str) else value)
    _check_search(saved_search, errors)
    saved_search.save()
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search, actor):
    """Remove a saved search and its alerts; the client's timeline keeps a note of it."""
    _check_can_change(saved_search.client, actor)
    activity_log(
        client=saved_search.client,
        kind=ActivityKind.SYSTEM,
        subject=f"Saved search removed: {saved_search.name}",
        actor=actor,
    )
    saved_search.delete()


@transaction.atomic
def saved_search_unsubscribe(*, token, all_email=False):
    """The client's own unsubscribe link: no more alerts from this search, and with
    ``all_email`` no email at all from the brokerage (the consent log records it). ``None`` for
    an unknown token; unsubscribing twice changes nothing."""
    search = (
        SavedSearch.objects.select_related("client", "brokerage")
        .filter(unsubscribe_token=token)
        .first()
    )
    if search is None:
        return None
    now = timezone.now()
    if SavedSearch.objects.filter(pk=search.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    ):
        search.unsubscribed_at = now
        _pending(ListingAlert.objects.filter(saved_search=search)).update(
            skipped_reason=SKIP_UNSUBSCRIBED
        )
        activity_log(
            client=search.client,
            kind=ActivityKind.SYSTEM,
            subject=f"Unsubscribed from listing alerts: {search.name}",
            details={"saved_search": search.pk},
        )
    else:
        search.refresh_from_db(fields=["unsubscribed_at"])
    if all_email:
        consent_record(
            client=search.client,
            channel=Channel.EMAIL,
            status=ConsentStatus.REVOKED,
            source=ConsentSource.UNSUBSCRIBE,
            note=f"From the alerts of “{search.name}”",
        )
    return search


# A client who opens the same listing again the same day is one view on the timeline.
ALERT_VIEW_WINDOW = timedelta(hours=24)


@transaction.atomic
def listing_alert_view(*, token, listing_id, now=None):
    """A client opened a listing from their alert email: ``(search, listing)``, with "Viewed
    a listing alert" on their timeline (it counts toward the lead score); ``None`` unless the
    search has alerted that listing."""
    search = (
        SavedSearch.objects.select_related("client", "brokerage", "client__assigned_agent__user")
        .filter(
            unsubscribe_token=token, alerts__listing_id=listing_id, alerts__sent_at__isnull=False
        )
        .first()
    )
    if search is None:
        return None
    listing = Property.objects.select_related("list_agent__user").get(pk=listing_id)
    now = now or timezone.now()
    client = search.client
    seen = client.activities.filter(
        kind=ActivityKind.SYSTEM,
        listing_id=listing_id,
        details__alert_view=True,
        occurred_at__gte=now - ALERT_VIEW_WINDOW,
    ).exists()
    if not seen:
        activity_log(
            client=client,
            kind=ActivityKind.SYSTEM,
            subject=f"Viewed a listing alert: {listing.street_address}",
            listing=listing,
            occurred_at=now,
            details={"saved_search": search.pk, "alert_view": True, "engagement": True},
        )
        client_score_refresh(client=client, now=now)
    return search, listing


# ---------------------------------------------------------------------------------------------
# Matching: the history since the last run, against every saved search, in one statement

SCAN_NAME = "listing-alerts"
# History rows of each kind read per transaction: a full sync's backlog goes in slices.
MATCH_SLICE = 20_000
# Events that happened this long before a search was saved still alert it (a feed publishes
# a change a while after it happened); older ones do not: a new search, or a new MLS feed's
# first sync, never mails the whole market.
EVENT_GRACE = timedelta(days=1)
# How long a matcher waits for the history tables' writers to commit (PostgreSQL).
HISTORY_LOCK_TIMEOUT = "10s"
OFF_MARKET_STATUSES = (
    StandardStatus.WITHDRAWN,
    StandardStatus.EXPIRED,
    StandardStatus.CANCELED,
    StandardStatus.HOLD,
)
SEARCH_CONFIG = "english"  # the listing search's (properties.selectors)


def listing_alerts_match(*, now=None):
    """Match the listing history written since the last run against every active saved
    search; returns how many alerts were recorded."""
    now = now or timezone.now()
    scan, _ = AlertScan.objects.get_or_create(name=SCAN_NAME)
    cut = _history_cut()
    if cut is None:
        return 0
    matched = 0
    # Every alert this run adds gets a higher id: listeners read the new ones from here.
    newest_before = ListingAlert.objects.aggregate(newest=Max("pk"))["newest"] or 0
    while scan.last_price_change_id < cut[0] or scan.last_status_change_id < cut[1]:
        price_from, status_from = scan.last_price_change_id, scan.last_status_change_id
        # Never backwards: another matcher may have read further than this run's cut.
        price_to = max(price_from, min(cut[0], price_from + MATCH_SLICE))
        status_to = max(status_from, min(cut[1], status_from + MATCH_SLICE))
        with transaction.atomic():
            # The watermark moves in the transaction that matches the slice, and only from where
            # this run read it: a concurrent matcher waits here, then finds it moved on.
            taken = AlertScan.objects.filter(
                pk=scan.pk, last_price_change_id=price_from, last_status_change_id=status_from
            ).update(last_price_change_id=price_to, last_status_change_id=status_to)
            if taken:
                matched += _match_slice(
                    price_range=(price_from, price_to),
                    status_range=(status_from, status_to),
                    now=now,
                )
        scan.refresh_from_db()
    if matched:
        transaction.on_commit(
            lambda: listing_alerts_matched.send(sender=ListingAlert, after_id=newest_before)
        )
    return matched


def _history_cut():
    """The newest price and status change ids below which every row is committed.

    A row's id is taken when it is inserted, not when it commits: a matcher that moved its
    watermark past a row still being written would never read it. On PostgreSQL a SHARE lock
    waits for the history tables' writers to commit (and holds new ones for a moment); on
    SQLite writers take turns, so the newest committed id is enough. ``None`` when the writers
    did not commit in time: the next run tries again.
    """
    price_table = connection.ops.quote_name(PriceChange._meta.db_table)
    status_table = connection.ops.quote_name(StatusChange._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL lock_timeout = '{HISTORY_LOCK_TIMEOUT}'")
                cursor.execute(f"LOCK TABLE {price_table}, {status_table} IN SHARE MODE")
            cursor.execute(
                f"SELECT (SELECT COALESCE(MAX(id), 0) FROM {price_table}),"
                f" (SELECT COALESCE(MAX(id), 0) FROM {status_table})"
            )
            return tuple(cursor.fetchone())
    except OperationalError:  # lock_timeout
        logger.warning("listing alerts: the history writers did not commit in time", exc_info=True)
        return None


def _match_slice(*, price_range, status_range, now):
    if connection.vendor == "sqlite":
        _register_sqlite_keyword_match()
    sql, params = _match_sql(price_range, status_range, now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A crash can lose only this commit, and its watermark with it: the slice is matched
            # again. A sender's claim, committed before any email leaves, flushes it to disk.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _match_sql(price_range, status_range, now):
    """One ``INSERT ... SELECT``: the slice's events joined with the saved searches they match.

    Each filter column of a search is empty (any) or must hold for the listing, as the
    listing page's filter does. The join is split by how a search places a listing (a city,
    else a postal code, else anywhere) so that the database pairs a listing only with the
    searches of its own town, by hashing, rather than with every search. The rows go in in
    the order of the unique index they are checked against, which makes the insert several
    times cheaper than in random order. Portable SQL but for the keyword search and date
    arithmetic.
    """
    quote = connection.ops.quote_name
    tables = {
        "alert": quote(ListingAlert._meta.db_table),
        "search": quote(SavedSearch._meta.db_table),
        "property": quote(Property._meta.db_table),
        "price": quote(PriceChange._meta.db_table),
        "status": quote(StatusChange._meta.db_table),
    }
    params = {
        "now": now,
        "price_from": price_range[0],
        "price_to": price_range[1],
        "status_from": status_range[0],
        "status_to": status_range[1],
        "new": AlertEvent.NEW.value,
        "price_drop": AlertEvent.PRICE_DROP.value,
        "back_on_market": AlertEvent.BACK_ON_MARKET.value,
        "never": AlertFrequency.NEVER.value,
    }
    on_market = _in_list(params, "on_market", ON_MARKET_STATUSES)
    off_market = _in_list(params, "off_market", OFF_MARKET_STATUSES)
    if connection.vendor == "postgresql":
        since = f"ss.created_at - INTERVAL '{EVENT_GRACE.days} days'"
        # Once per listing of the batch, not once per pair.
        document = f"to_tsvector('{SEARCH_CONFIG}', COALESCE(p.search_document, ''))"
        keywords = f"b.document @@ websearch_to_tsquery('{SEARCH_CONFIG}', ss.keywords)"
    else:
        since = f"datetime(ss.created_at, '-{EVENT_GRACE.days} days')"
        document = "p.search_document"
        keywords = "crm_keywords_match(ss.keywords, b.document)"
    matches = f"""
          AND b.changed_at >= {since}
          AND (ss.all_listings OR NOT b.home_duplicate)
          AND (ss.statuses = '' OR ss.statuses LIKE '%%,' || b.standard_status || ',%%')
          AND (ss.property_type = '' OR ss.property_type = b.property_type)
          AND (ss.property_sub_type = '' OR ss.property_sub_type = b.property_sub_type)
          AND (ss.postal_code = '' OR ss.postal_code = b.postal_code)
          AND (ss.min_price IS NULL OR b.list_price >= ss.min_price)
          AND (ss.max_price IS NULL OR b.list_price <= ss.max_price)
          AND (ss.min_beds IS NULL OR b.bedrooms_total >= ss.min_beds)
          AND (ss.min_baths IS NULL OR b.bathrooms_total_integer >= ss.min_baths)
          AND (ss.min_area IS NULL OR b.living_area >= ss.min_area)
          AND (ss.max_area IS NULL OR b.living_area <= ss.max_area)
          AND (ss.keywords = '' OR {keywords})
    """
    # Left out, claimed_at, claim and sent_at start empty (NULL).
    pair = "SELECT ss.id, b.listing_id, b.event, b.event_key, %(now)s, ''"
    # The statement starts with INSERT (the WITH after it): Python's sqlite3 counts the rows
    # of a statement only when it starts with INSERT, UPDATE or DELETE.
    sql = f"""
        INSERT INTO {tables["alert"]}
            (saved_search_id, listing_id, event, event_key, matched_at, skipped_reason)
        WITH batch AS (
            SELECT e.event, e.event_key, e.changed_at, p.id AS listing_id, p.brokerage_id,
                   UPPER(p.city) AS city_key, p.postal_code, p.standard_status,
                   p.property_type, p.property_sub_type, p.list_price, p.bedrooms_total,
                   p.bathrooms_total_integer, p.living_area, p.home_duplicate,
                   {document} AS document
            FROM (
                SELECT h.property_id AS listing_id, h.changed_at AS changed_at,
                       %(new)s AS event, 'price:' || h.id AS event_key
                FROM {tables["price"]} h
                WHERE h.id > %(price_from)s AND h.id <= %(price_to)s AND h.old_price IS NULL
                UNION ALL
                SELECT h.property_id, h.changed_at, %(price_drop)s, 'price:' || h.id
                FROM {tables["price"]} h
                WHERE h.id > %(price_from)s AND h.id <= %(price_to)s
                  AND h.new_price < h.old_price
                UNION ALL
                SELECT h.property_id, h.changed_at, %(back_on_market)s, 'status:' || h.id
                FROM {tables["status"]} h
                WHERE h.id > %(status_from)s AND h.id <= %(status_to)s
                  AND h.new_status IN ({on_market}) AND h.old_status IN ({off_market})
            ) e
            JOIN {tables["property"]} p ON p.id = e.listing_id
            WHERE p.archived_at IS NULL AND p.standard_status IN ({on_market})
        ),
        searches AS (
            SELECT id, brokerage_id, UPPER(city) AS city_key, postal_code, statuses,
                   property_type, property_sub_type, min_price, max_price, min_beds,
                   min_baths, min_area, max_area, keywords, all_listings, created_at
            FROM {tables["search"]}
            WHERE is_active AND unsubscribed_at IS NULL AND frequency <> %(never)s
              AND brokerage_id IN (SELECT brokerage_id FROM batch)
        )
        {pair}
        FROM batch b
        JOIN searches ss ON ss.brokerage_id = b.brokerage_id AND ss.city_key = b.city_key
        WHERE ss.city_key <> '' {matches}
        UNION ALL
        {pair}
        FROM batch b
        JOIN searches ss ON ss.brokerage_id = b.brokerage_id AND ss.postal_code = b.postal_code
        WHERE ss.city_key = '' AND ss.postal_code <> '' {matches}
        UNION ALL
        {pair}
        FROM batch b
        JOIN searches ss ON ss.brokerage_id = b.brokerage_id
        WHERE ss.city_key = '' AND ss.postal_code = '' {matches}
        ORDER BY 1, 3, 4
        ON CONFLICT DO NOTHING
    """
    return sql, params


def _in_list(params, prefix, values):
    names = []
    for number, value in enumerate(values):
        names.append(f"%({prefix}{number})s")
        params[f"{prefix}{number}"] = str(value)
    return ", ".join(names)


def _keywords_match(keywords, document):
    """SQLite's keyword match, as the listing filter does it there: every word, any case."""
    if not keywords:
        return True
    document = (document or "").casefold()
    return all(word.casefold() in document for word in keywords.split())


def _register_sqlite_keyword_match():
    connection.ensure_connection()
    connection.connection.create_function(
        "crm_keywords_match", 2, _keywords_match, deterministic=True
    )


# ---------------------------------------------------------------------------------------------
# Sending: one email per saved search, claimed before it is sent

# Digests are due this long after the last one: the beat's daily run at 07:00 must find
# yesterday's 07:00:02 digest due.
DIGEST_PERIODS = {
    AlertFrequency.DAILY: timedelta(days=1) - timedelta(hours=1),
    AlertFrequency.WEEKLY: timedelta(days=7) - timedelta(hours=1),
}
# A claim this old without a sent time: the sender died while sending.
CLAIM_TIMEOUT = timedelta(hours=1)
SKIP_UNSUBSCRIBED = "The client unsubscribed from this search."
SKIP_INACTIVE = "Alerts of this search are turned off."
SKIP_DO_NOT_EMAIL = "The client asked not to be emailed."
SKIP_NO_EMAIL = "The client has no email address."
SKIP_OFF_MARKET = "The listing left the market before the email went out."
SKIP_INTERRUPTED = (
    "Sending was interrupted: not sent again, so that the client never gets it twice."
)


def _pending(alerts):
    return alerts.filter(sent_at__isnull=True, claimed_at__isnull=True, skipped_reason="")


def listing_alerts_send(*, frequency, now=None):
    """Send the waiting alerts of the saved searches at ``frequency`` that are due, one email
    per search; returns how many emails were sent."""
    if frequency not in SENT_FREQUENCIES:
        raise ValidationError({"frequency": f"Alerts are not sent {frequency!r}."})
    now = now or timezone.now()
    _undeliverable_skip(frequency, now)
    waiting = _pending(ListingAlert.objects.filter(saved_search=OuterRef("pk")))
    searches = (
        SavedSearch.objects.filter(
            frequency=frequency,
            is_active=True,
            unsubscribed_at__isnull=True,
        )
        .filter(contact_allowed_q(channel=Channel.EMAIL, prefix="client__"))
        .filter(Exists(waiting))
        .select_related("client__assigned_agent__user", "created_by__user", "brokerage")
        .order_by("pk")
    )
    if frequency in DIGEST_PERIODS:
        due_before = now - DIGEST_PERIODS[frequency]
        searches = searches.filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=due_before))
    searches = list(searches)
    if not searches:
        return 0
    # One connection to the mail server for the whole run, not one per email.
    mail_connection = get_connection()
    mail_connection.open()
    try:
        return sum(_search_send(search, now, mail_connection) for search in searches)
    finally:
        mail_connection.close()


def _undeliverable_skip(frequency, now):
    """Mark what must not be sent, with the reason; and claims left by a sender that died."""
    ListingAlert.objects.filter(
        sent_at__isnull=True, skipped_reason="", claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(skipped_reason=SKIP_INTERRUPTED)
    pending = _pending(ListingAlert.objects.filter(saved_search__frequency=frequency))
    for condition, reason in (
        (Q(saved_search__unsubscribed_at__isnull=False), SKIP_UNSUBSCRIBED),
        (Q(saved_search__is_active=False), SKIP_INACTIVE),
        (Q(saved_search__client__do_not_email=True), SKIP_DO_NOT_EMAIL),
        (Q(saved_search__client__email=""), SKIP_NO_EMAIL),
        (
            Q(listing__archived_at__isnull=False)
            | ~Q(listing__standard_status__in=ON_MARKET_STATUSES),
            SKIP_OFF_MARKET,
        ),
    ):
        pending.filter(condition).update(skipped_reason=reason)


def _search_send(search, now, mail_connection):
    """Claim, send and confirm one search's waiting alerts; whether an email went out."""
    if not contact_allowed(
        client=search.client, channel=Channel.EMAIL, purpose=ContactPurpose.MARKETING
    ):
        return False
    claim = uuid.uuid4()
    claimed = _pending(ListingAlert.objects.filter(saved_search=search)).update(
        claimed_at=now, claim=claim
    )
    if not claimed:
        return False  # another sender took them
    alerts = list(
        ListingAlert.objects.filter(claim=claim)
        .select_related("listing")
        .order_by("matched_at", "pk")
    )
    message = alert_email(search=search, alerts=alerts)
    message.connection = mail_connection
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        # Nothing was sent: the alerts wait for the next run.
        ListingAlert.objects.filter(claim=claim).update(claimed_at=None, claim=None)
        logger.exception("listing alert of saved search %s not sent", search.pk)
        return False
    listing_ids = list(dict.fromkeys(alert.listing_id for alert in alerts))
    with transaction.atomic():
        ListingAlert.objects.filter(claim=claim).update(sent_at=now)
        SavedSearch.objects.filter(pk=search.pk).update(last_sent_at=now)
        count = len(listing_ids)
        activity_log(
            client=search.client,
            kind=ActivityKind.SYSTEM,
            subject=f"Listing alert sent: {count} listing{'' if count == 1 else 's'}",
            listing=alerts[0].listing if count == 1 else None,
            details={"saved_search": search.pk, "listings": listing_ids},
            occurred_at=now,
        )
    return True


def site_url(path):
    """An absolute URL of this site, for links in emails (``settings.SITE_URL``)."""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


@dataclass
class AlertItem:
    """One listing of an alert email with what happened to it."""

    listing: Property
    events: list
    old_price: Decimal | None = None
    thumbnail_url: str = ""
    view_url: str = ""


def _alert_items(alerts, search):
    price_change_ids = [
        int(alert.event_key.split(":", 1)[1])
        for alert in alerts
        if alert.event == AlertEvent.PRICE_DROP
    ]
    old_prices = dict(
        PriceChange.objects.filter(pk__in=price_change_ids).values_list("pk", "old_price")
    )
    items = {}
    for alert in alerts:
        item = items.get(alert.listing_id)
        if item is None:
            thumbnail = alert.listing.thumbnail_url
            item = items[alert.listing_id] = AlertItem(
                listing=alert.listing,
                events=[],
                thumbnail_url=site_url(thumbnail) if thumbnail else "",
                view_url=site_url(
                    reverse(
                        "clients:alert-listing",
                        args=[search.unsubscribe_token, alert.listing_id],
                    )
                ),
            )
        label = AlertEvent(alert.event).label
        if label not in item.events:
            item.events.append(label)
        if alert.event == AlertEvent.PRICE_DROP:
            old_price = old_prices.get(int(alert.event_key.split(":", 1)[1]))
            if old_price is not None and (item.old_price is None or old_price > item.old_price):
                item.old_price = old_price
    return list(items.values())


def _alert_agent(search):
    return search.client.assigned_agent or search.created_by


def alert_email(*, search, alerts):
    """The email of a saved search's alerts: text and HTML, from the client's agent."""
    agent = _alert_agent(search)
    items = _alert_items(alerts, search)
    unsubscribe_url = site_url(reverse("clients:unsubscribe", args=[search.unsubscribe_token]))
    context = {
        "client": search.client,
        "search": search,
        "summary": criteria_summary(search),
        "items": items,
        "agent": agent,
        "brokerage": search.brokerage,
        "unsubscribe_url": unsubscribe_url,
    }
    if len(items) == 1:
        listing = items[0].listing
        subject = (
            f"{items[0].events[0]}: {listing.street_address}, {listing.city} — "
            f"${listing.list_price:,.0f}"
        )
    else:
        subject = f"{len(items)} listings for your search “{search.name}”"
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender_name = f"{agent.name} · {search.brokerage.name}" if agent else search.brokerage.name
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("clients/emails/listing_alert.txt", context),
        # The agent's name, our address: mail from our servers in the agent's own domain's
        # name would fail the receiver's sender checks. Replies go to the agent.
        from_email=str(Address(display_name=sender_name, addr_spec=from_address)),
        to=[search.client.email],
        reply_to=[agent.email] if agent and agent.email else None,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("clients/emails/listing_alert.html", context), "text/html"
    )
    return message
