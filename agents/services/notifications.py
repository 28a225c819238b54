"""People's notification feeds: the activity that concerns them, price drops in their areas and
new matches for their buyers, emailed in batches to those who want their alerts by email.

Notifications are written when an event commits (:func:`event_notify`: one notification per
person the event concerns, never its actor) and when buyers' saved searches found listings
(:func:`buyer_match_alerts_create`); ``agents.receivers`` connects both. Each notification has a
``dedupe_key`` unique per recipient, so that a receiver called again (a retried task) adds
nothing.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from agents.choices import EventName, NotificationKind, Role
from agents.models import Agent, Notification
from agents.selectors import notification_list
from realestate.formatting import money

logger = logging.getLogger(__name__)

TITLE_LENGTH = Notification._meta.get_field("title").max_length
# Alerts are worth an email while they are fresh: one an agent read in the product already, or
# one older than this (their email was off when it came), is not mailed.
EMAILED_KINDS = (NotificationKind.PRICE_DROP, NotificationKind.BUYER_MATCH)
EMAIL_WINDOW = timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Marking read: only ever the person's own


def notification_mark_read(*, notification, user, now=None):
    """Mark one of ``user``'s own notifications read; reading it again changes nothing."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied("This is someone else's notification.")
    now = now or timezone.now()
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        notification.read_at = now
    elif notification.read_at is None:
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user, now=None):
    """Mark every unread notification of ``user``'s feed read; returns how many were."""
    now = now or timezone.now()
    return notification_list(user=user).filter(read_at__isnull=True).update(read_at=now)


# ---------------------------------------------------------------------------------------------
# An agent's alert settings


def _market_areas_clean(areas):
    if isinstance(areas, str):
        areas = areas.replace("\n", ",").split(",")
    if not isinstance(areas, list | tuple):
        raise ValidationError({"market_areas": "Give the areas as a list of cities or ZIP codes."})
    cleaned, seen = [], set()
    for area in areas:
        if not isinstance(area, str | int):
            raise ValidationError({"market_areas": "Each area is a city or a ZIP code."})
        area = " ".join(str(area).split())
        if not area:
            continue
        if len(area) > 100:
            raise ValidationError({"market_areas": f"“{area[:40]}…” is too long for an area."})
        if area.casefold() not in seen:
            seen.add(area.casefold())
            cleaned.append(area)
    if len(cleaned) > 50:
        raise ValidationError({"market_areas": "At most 50 areas."})
    return cleaned


ALERT_SETTINGS = frozenset({"price_drop_alert_percent", "notify_by_email", "market_areas"})


@transaction.atomic
def agent_alert_settings_update(*, agent, data, actor):
    """Change an agent's own alert settings: the price drop that alerts them, whether alerts are
    emailed, and the cities or ZIP codes they work."""
    if agent.user_id != actor.pk:
        raise PermissionDenied("People change their own alert settings.")
    unknown = set(data) - ALERT_SETTINGS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    errors = {}
    if "market_areas" in data:
        try:
            agent.market_areas = _market_areas_clean(data["market_areas"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if "price_drop_alert_percent" in data:
        percent = data["price_drop_alert_percent"]
        if percent in ("", None):
            agent.price_drop_alert_percent = None
        else:
            try:
                percent = Decimal(str(percent))
            except InvalidOperation:
                errors["price_drop_alert_percent"] = ["Give a percentage, e.g. 5."]
            else:
                if not Decimal("0.1") <= percent <= Decimal("99.9"):
                    errors["price_drop_alert_percent"] = ["Between 0.1 and 99.9 per cent."]
                agent.price_drop_alert_percent = percent
    if "notify_by_email" in data:
        agent.notify_by_email = bool(data["notify_by_email"])
    if errors:
        raise ValidationError(errors)
    try:
        agent.full_clean(
            exclude=[
                field.name
                for field in Agent._meta.fields
                if field.name not in ("price_drop_alert_percent", "notify_by_email")
            ]
        )
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error
    agent.save(update_fields=["price_drop_alert_percent", "notify_by_email", "market_areas"])
    return agent


# ---------------------------------------------------------------------------------------------
# Events: who an event concerns, and what their notification says


@dataclass
class Notice:
    """What an event's notification says, and to which agents of its brokerage."""

    title: str
    agents: Q | None
    body: str = ""
    url: str = ""
    # A price drop's listing and prices, for the alerts of the agents who work its area.
    price_drop: dict | None = None


def _subject(event, model, *related):
    """The event's subject if it is a ``model`` (with ``related`` joined), else ``None``."""
    if event.subject_type_id is None or event.subject_type.model_class() is not model:
        return None
    try:
        pk = int(event.subject_id)
    except ValueError:
        return None
    return model._base_manager.select_related(*related).filter(pk=pk).first()


def _payload(event, *keys):
    for key in keys:
        value = event.payload.get(key) if isinstance(event.payload, dict) else None
        if value not in (None, ""):
            return value
    return None


def _decimal(value):
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _label(choices, value):
    return dict(choices).get(value, value)


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"


def _place(listing):
    return f"{listing.street_address}, {listing.city}"


def _listing_notice(event):
    from properties.choices import StandardStatus
    from properties.models import Property

    listing = _subject(event, Property)
    if listing is None:
        return None
    agents = Q(pk=listing.list_agent_id) if listing.list_agent_id else None
    place = _place(listing)
    price_drop = None
    if event.name == EventName.LISTING_CREATED:
        title = f"Listing added: {place}"
    elif event.name == EventName.LISTING_PRICE_CHANGED:
        old_price, new_price = _price_change(event, listing)
        title = f"Price changed: {place}"
        if new_price is not None:
            title += f" — {money(new_price)}" + (f" (was {money(old_price)})" if old_price else "")
        if listing.brokerage_id == event.brokerage_id:
            price_drop = {"listing": listing, "old_price": old_price, "new_price": new_price}
    else:
        old_status = _payload(event, "old_status")
        new_status = _payload(event, "new_status", "status") or listing.standard_status
        change = _label(StandardStatus.choices, new_status)
        if old_status:
            change = f"{_label(StandardStatus.choices, old_status)} → {change}"
        title = f"Status changed: {place}: {change}"
    return Notice(title=title, agents=agents, url=listing.get_absolute_url(), price_drop=price_drop)


def _client_notice(event):
    from clients.choices import Stage
    from clients.models import Client

    client = _subject(event, Client)
    if client is None:
        return None
    agents = Q(co_clients=client.pk)
    if client.assigned_agent_id:
        agents |= Q(pk=client.assigned_agent_id)
    if event.name == EventName.CLIENT_CREATED:
        title = f"New client: {client.name}"
    else:
        stage = _payload(event, "new_stage", "stage") or client.stage
        title = f"{client.name} moved to {_label(Stage.choices, stage)}"
    return Notice(title=title, agents=agents, url=client.get_absolute_url())


def _showing_notice(event):
    """The showing agent, the client's agent and the listing agent, each told with a link
    they may open: a showing is private to its agent, a client to theirs."""
    from clients.models import Showing

    showing = _subject(event, Showing, "listing", "client", "agent__user")
    if showing is None:
        return None
    title = f"Showing booked: {_place(showing.listing)}, " + dateformat.format(
        timezone.localtime(showing.starts_at), "D N j, P"
    )
    client = showing.client
    shown_by = f"Shown by {showing.agent.name}"
    notices = [
        Notice(
            title=title,
            agents=Q(pk=showing.agent_id),
            body=f"With {client.name}" if client is not None else "",
            url=showing.get_absolute_url(),
        )
    ]
    if client is not None and client.assigned_agent_id:
        notices.append(
            Notice(
                title=title,
                agents=Q(pk=client.assigned_agent_id),
                body=f"With {client.name} · {shown_by}",
                url=client.get_absolute_url(),
            )
        )
    if showing.listing.list_agent_id:
        notices.append(
            Notice(
                title=title,
                agents=Q(pk=showing.listing.list_agent_id),
                body=shown_by,
                url=showing.listing.get_absolute_url(),
            )
        )
    return notices


def _deal_agents(deal):
    return Q(pk=deal.agent_id) | Q(co_deals=deal.pk)


def _deal_notice(event):
    from transactions.choices import DealStage
    from transactions.models import Transaction

    deal = _subject(event, Transaction)
    if deal is None:
        return None
    if event.name == EventName.DEAL_CLOSED:
        title = f"Deal closed: {deal.name}"
    else:
        stage = _payload(event, "new_stage", "stage") or deal.stage
        title = f"{deal.name}: now {_label(DealStage.choices, stage)}"
    return Notice(title=title, agents=_deal_agents(deal), url=deal.get_absolute_url())


def _document_notice(event):
    from transactions.models import Document, Transaction

    document = _subject(event, Document, "transaction")
    if document is not None:
        deal, title = document.transaction, document.title
    else:
        deal = _subject(event, Transaction)
        title = _payload(event, "title", "document_title") or "a document"
        if deal is None:
            return None
    return Notice(
        title=f"Document approved: {title}",
        agents=_deal_agents(deal),
        body=deal.name,
        url=reverse("transactions:documents", args=[deal.pk]),
    )


def _broker_notice(event):
    subject = event.subject if event.subject_type_id else None
    brokers = Q(user__groups__name=Role.BROKER.label)
    detail = _payload(event, "message", "error", "detail", "reason")
    if event.name == EventName.SYNC_FAILED:
        provider = _payload(event, "provider", "provider_name")
        if provider is None and subject is not None:
            provider = getattr(subject, "provider", subject)
        title = f"MLS sync failed: {provider}" if provider else "An MLS sync failed"
        detail = detail or getattr(subject, "message", "")
        url = reverse("mls:providers")
    else:
        summary = _payload(event, "summary", "title", "rule", "kind")
        title = f"Compliance: {summary or subject or 'a rule was not followed'}"
        url = subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
        url = url or reverse("compliance:home")
    return Notice(title=title, agents=brokers, body=str(detail or ""), url=url)


NOTICES = {
    EventName.LISTING_CREATED: _listing_notice,
    EventName.LISTING_PRICE_CHANGED: _listing_notice,
    EventName.LISTING_STATUS_CHANGED: _listing_notice,
    EventName.CLIENT_CREATED: _client_notice,
    EventName.CLIENT_STAGE_CHANGED: _client_notice,
    EventName.SHOWING_BOOKED: _showing_notice,
    EventName.DEAL_STAGE_CHANGED: _deal_notice,
    EventName.DEAL_CLOSED: _deal_notice,
    EventName.DOCUMENT_APPROVED: _document_notice,
    EventName.SYNC_FAILED: _broker_notice,
    EventName.COMPLIANCE_VIOLATION: _broker_notice,
}


def _safe_url(url):
    """Only a path of this site: a notification never links anywhere else."""
    url = url or ""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def event_notify(*, event):
    """Notify the active people of the event's brokerage whom it concerns, never its actor,
    and for a price drop the agents who work the listing's area; a second call for the same
    event adds nothing. Returns the users told of the event itself."""
    build = NOTICES.get(event.name)
    notices = build(event) if build else None
    if notices is None:
        return []
    if isinstance(notices, Notice):
        notices = [notices]
    user_ids = _event_notifications_create(event, notices)
    for notice in notices:
        if notice.price_drop is not None:
            price_drop_alerts_create(event=event, **notice.price_drop)
    return user_ids


def _event_notifications_create(event, notices):
    """One query for the people of each notice (a person in two hears the first), one insert."""
    told, notifications = [], []
    by = ""
    if event.actor_id is not None:
        actor = event.actor
        by = f"By {actor.get_full_name() or actor.get_username()}" if actor else ""
    for notice in notices:
        if notice.agents is None:
            continue
        recipients = Agent.objects.filter(
            notice.agents,
            brokerage_id=event.brokerage_id,
            is_active=True,
            user__is_active=True,
        ).exclude(user_id__in=[event.actor_id or 0, *told])
        user_ids = sorted(set(recipients.values_list("user_id", flat=True)))
        body = " · ".join(part for part in (notice.body, by) if part)
        told.extend(user_ids)
        notifications.extend(
            Notification(
                recipient_id=user_id,
                brokerage_id=event.brokerage_id,
                kind=NotificationKind.EVENT,
                event=event,
                title=_short(notice.title),
                body=body,
                url=_safe_url(notice.url),
                dedupe_key=f"event:{event.pk}",
                created_at=event.occurred_at,
            )
            for user_id in user_ids
        )
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    return sorted(told)


# ---------------------------------------------------------------------------------------------
# Price drops in an agent's areas


def _price_change(event, listing):
    """The old and new price of a price change event: from its payload, else the listing's
    newest price change."""
    old_price = _decimal(_payload(event, "old_price"))
    new_price = _decimal(_payload(event, "new_price"))
    if new_price is None:
        from properties.models import PriceChange

        latest = (
            PriceChange.objects.filter(property_id=listing.pk)
            .order_by("-changed_at", "-pk")
            .first()
        )
        if latest is not None:
            old_price, new_price = latest.old_price, latest.new_price
    return old_price, new_price


def _areas_match_sql():
    """SQL true when the agent ``a`` lists the city or the postal code among their areas."""
    # An empty area never matches a listing without a postal code.
    matches = "TRIM(area.value) <> '' AND UPPER(TRIM(area.value)) IN (%(city)s, %(postal_code)s)"
    if connection.vendor == "postgresql":
        elements = (
            "jsonb_array_elements_text(CASE WHEN jsonb_typeof(a.market_areas) = 'array' "
            "THEN a.market_areas ELSE '[]'::jsonb END)"
        )
        return f"EXISTS (SELECT 1 FROM {elements} AS area(value) WHERE {matches})"
    return (
        "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type(a.market_areas) = 'array' "
        f"THEN a.market_areas ELSE '[]' END) AS area WHERE {matches})"
    )


def price_drop_alerts_create(*, event, listing, old_price, new_price):
    """Alert every active agent of the listing's brokerage who works its city or ZIP code and
    asked to hear of drops this large, in one ``INSERT ... SELECT``; once per listing and price.

    The listing's own agent and the person who changed the price are not alerted. Returns how
    many alerts were added.
    """
    from properties.choices import ON_MARKET_STATUSES

    if old_price is None or new_price is None or not 0 <= new_price < old_price:
        return 0
    if listing.archived_at is not None or listing.standard_status not in ON_MARKET_STATUSES:
        return 0
    drop = old_price - new_price
    percent = (drop * 100 / old_price).quantize(Decimal("0.1"))
    quote = connection.ops.quote_name
    params = {
        "brokerage": listing.brokerage_id,
        "kind": NotificationKind.PRICE_DROP.value,
        "event": event.pk if event is not None else None,
        "title": _short(f"Price cut {percent}%: {_place(listing)} — {money(new_price)}"),
        "body": (
            f"{money(new_price)}, was {money(old_price)} ({money(drop)} less). "
            f"{listing.get_standard_status_display()} in {listing.city} {listing.postal_code}."
        ).strip(),
        "url": _safe_url(listing.get_absolute_url()),
        "dedupe_key": f"price_drop:{listing.pk}:{new_price:.2f}",
        "now": timezone.now(),
        "old_price": old_price,
        "drop": drop,
        "city": " ".join(listing.city.split()).upper(),
        "postal_code": listing.postal_code.strip().upper(),
        "list_agent": listing.list_agent_id or 0,
        "actor": (event.actor_id if event is not None else None) or 0,
    }
    # Stored as the ORM stores it (SQLite keeps times as text in one format).
    params["now"] = connection.ops.adapt_datetimefield_value(params["now"])
    # The agent's percentage of the old price is at most the drop: compared as products, so
    # that a 5.0 setting and a drop of exactly 5% meet without rounding.
    sql = f"""
        INSERT INTO {quote(Notification._meta.db_table)}
            (recipient_id, brokerage_id, kind, event_id, title, body, url, dedupe_key,
             created_at, read_at, emailed_at)
        SELECT a.user_id, %(brokerage)s, %(kind)s, %(event)s, %(title)s, %(body)s, %(url)s,
               %(dedupe_key)s, %(now)s, NULL, NULL
        FROM {quote(Agent._meta.db_table)} a
        JOIN {quote(get_user_model()._meta.db_table)} u ON u.id = a.user_id
        WHERE a.brokerage_id = %(brokerage)s AND a.is_active AND u.is_active
          AND a.price_drop_alert_percent IS NOT NULL
          AND a.price_drop_alert_percent * %(old_price)s <= %(drop)s * 100
          AND a.id <> %(list_agent)s AND a.user_id <> %(actor)s
          AND {_areas_match_sql()}
        ON CONFLICT DO NOTHING
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# ---------------------------------------------------------------------------------------------
# New matches for an agent's buyers


def buyer_match_alerts_create(*, after_id):
    """Tell each client's agent of the listings their saved searches matched (the listing
    alerts newer than ``after_id``): once per search and listing. Returns how many were added.
    """
    from clients.choices import AlertEvent
    from clients.models import ListingAlert

    alerts = (
        ListingAlert.objects.filter(pk__gt=after_id)
        .select_related(
            "listing",
            "saved_search__client__assigned_agent",
            "saved_search__created_by",
        )
        .only(
            "event",
            "matched_at",
            "listing__street_number",
            "listing__street_dir_prefix",
            "listing__street_name",
            "listing__street_suffix",
            "listing__unit_number",
            "listing__city",
            "listing__list_price",
            "saved_search__name",
            "saved_search__brokerage_id",
            "saved_search__client__first_name",
            "saved_search__client__last_name",
            "saved_search__client__email",
            "saved_search__client__phone",
            "saved_search__client__assigned_agent__user_id",
            "saved_search__client__assigned_agent__is_active",
            "saved_search__created_by__user_id",
            "saved_search__created_by__is_active",
        )
        .order_by("pk")
    )
    notifications = {}
    for alert in alerts:
        search = alert.saved_search
        agent = search.client.assigned_agent or search.created_by
        if agent is None or not agent.is_active:
            continue
        key = f"buyer_match:{search.pk}:{alert.listing_id}"
        if (agent.user_id, key) in notifications:
            continue
        listing = alert.listing
        notifications[agent.user_id, key] = Notification(
            recipient_id=agent.user_id,
            brokerage_id=search.brokerage_id,
            kind=NotificationKind.BUYER_MATCH,
            title=_short(f"New match for {search.client.name}: {_place(listing)}"),
            body=(
                f"{AlertEvent(alert.event).label} · {money(listing.list_price)} · "
                f"fits the search “{search.name}”"
            ),
            url=_safe_url(reverse("properties:detail", args=[alert.listing_id])),
            dedupe_key=key,
            created_at=alert.matched_at,
        )
    created = Notification.objects.bulk_create(
        notifications.values(), ignore_conflicts=True, batch_size=500
    )
    return len(created)


# ---------------------------------------------------------------------------------------------
# Email: each person's new alerts in one email, never twice


def _emailable(now):
    return Notification.objects.filter(
        kind__in=EMAILED_KINDS,
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__gte=now - EMAIL_WINDOW,
        recipient__is_active=True,
        recipient__agent__is_active=True,
        recipient__agent__notify_by_email=True,
    ).exclude(recipient__email="")


def notifications_email_send(*, now=None):
    """Email each agent who wants their alerts by email the ones they have not read yet, one
    email a person; returns how many emails were sent.

    A person's alerts are claimed (``emailed_at`` set by a conditional update) before their
    email is sent, so that a retried or concurrent run never mails them again; an email that
    fails releases its claim for the next run.
    """
    now = now or timezone.now()
    recipient_ids = sorted(set(_emailable(now).values_list("recipient_id", flat=True)))
    if not recipient_ids:
        return 0
    mail_connection = get_connection()
    mail_connection.open()
    try:
        return sum(_recipient_send(user_id, now, mail_connection) for user_id in recipient_ids)
    finally:
        mail_connection.close()


def _recipient_send(user_id, now, mail_connection):
    # Each claim has its own time: the rows it took are the ones stamped with it.
    claim = timezone.now()
    claimed = _emailable(now).filter(recipient_id=user_id).update(emailed_at=claim)
    if not claimed:
        return False  # another sender took them
    notifications = list(
        Notification.objects.filter(recipient_id=user_id, emailed_at=claim)
        .select_related("recipient__agent__brokerage")
        .order_by("created_at", "pk")
    )
    message = notifications_email(notifications=notifications)
    message.connection = mail_connection
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        Notification.objects.filter(recipient_id=user_id, emailed_at=claim).update(emailed_at=None)
        logger.exception("alert email to user %s not sent", user_id)
        return False
    return True


def notifications_email(*, notifications):
    """The email of one person's alerts: text and HTML, with a link to each and to their
    alert settings."""
    from clients.services.alerts import site_url

    recipient = notifications[0].recipient
    agent = recipient.agent
    brokerage = agent.brokerage
    items = [
        {"notification": notification, "link": site_url(notification.url or "/notifications/")}
        for notification in notifications
    ]
    context = {
        "agent": agent,
        "brokerage": brokerage,
        "items": items,
        "feed_url": site_url(reverse("notifications:list")),
        "settings_url": site_url(reverse("notifications:settings")),
    }
    if len(items) == 1:
        subject = notifications[0].title
    else:
        subject = f"{len(items)} new alerts: price drops and buyer matches"
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("agents/emails/notifications.txt", context),
        from_email=str(Address(display_name=brokerage.name, addr_spec=from_address)),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("agents/emails/notifications.html", context), "text/html"
    )
    return message
