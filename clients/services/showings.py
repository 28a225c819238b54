"""Showings on the agents' calendars, their reminders, and the agents' calendar feeds."""

import logging
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from agents.choices import EventName, Role
from agents.models import Agent
from agents.services.events import event_record
from clients.choices import BOOKED_STATUSES, ActivityKind, Channel, ShowingStatus
from clients.models import CalendarFeed, Showing
from clients.services.people import activity_log
from compliance.models.privacy import ContactPurpose
from compliance.services.consent import contact_allowed
from realestate.permissions import CHANGE, VIEW, actor_for, can, restrict

logger = logging.getLogger(__name__)

# Fields a person sets on a showing; the product keeps the rest.
SHOWING_FIELDS = frozenset({"listing", "client", "agent", "starts_at", "ends_at", "notes"})
# What may still change once a showing is completed or cancelled.
CLOSED_SHOWING_FIELDS = frozenset({"notes"})
# Longer than any real showing: an end time this far out is a typing mistake.
SHOWING_MAX_LENGTH = timedelta(hours=4)
# Nobody books further ahead, or records a showing from longer ago: such a year is a typo.
SHOWING_HORIZON = timedelta(days=2 * 365)
FEEDBACK_RATINGS = range(1, 6)


def showing_time_label(value, tz=None):
    """``Tue, Mar 4, 2:00 PM`` in ``tz`` (the site's time zone when not given)."""
    return dateformat.format(timezone.localtime(value, tz), "D, M j, g:i A")


def clock_label(value, tz=None):
    """``2:00 PM`` in ``tz`` (the site's time zone when not given)."""
    return dateformat.time_format(timezone.localtime(value, tz), "g:i A")


def _check_fields(data, allowed):
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), "This field cannot be set."), code="read_only"
        )


def _may_book_for_others(who):
    return who.is_broker or who.role == Role.ASSISTANT


def _clean_showing(showing, *, actor, changed):
    """Check the fields in ``changed``: who, what and when; raise every problem at once."""
    who = actor_for(actor)
    errors = {
        field: ["This field is required."]
        for field in changed & {"listing", "agent"}
        if getattr(showing, f"{field}_id") is None
    }
    if "agent" in changed and "agent" not in errors:
        agent = showing.agent
        if agent.brokerage_id != showing.brokerage_id or not agent.is_active:
            errors["agent"] = ["Choose an active agent of your brokerage."]
        elif agent.pk != getattr(who.agent, "pk", None) and not _may_book_for_others(who):
            errors["agent"] = ["You can only book showings on your own calendar."]
    if "listing" in changed and "listing" not in errors:
        listing = showing.listing
        visible = restrict(type(listing).objects.filter(pk=listing.pk), actor, VIEW).exists()
        if not visible or listing.brokerage_id != showing.brokerage_id:
            errors["listing"] = ["Choose a listing of your brokerage."]
        elif listing.archived_at is not None:
            errors["listing"] = ["This listing is archived; restore it before booking showings."]
    if changed & {"client", "agent"} and showing.client_id is not None:
        client = showing.client
        if client.brokerage_id != showing.brokerage_id or not can(actor, client, CHANGE):
            errors["client"] = ["Choose a client you work with."]
        elif "agent" not in errors and not can(showing.agent.user, client, VIEW):
            # A showing names its client to the agent: never a client they may not see.
            errors["client"] = [f"{showing.agent.name} does not work with this client."]
    if changed & {"starts_at", "ends_at"}:
        errors.update(_time_errors(showing.starts_at, showing.ends_at))
    try:
        showing.full_clean(
            exclude=[*errors, "brokerage", "listing", "client", "agent", "starts_at", "ends_at"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _time_errors(starts_at, ends_at):
    errors = {}
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime):
            errors[field] = ["Enter a date and time."]
        elif timezone.is_naive(value):
            errors[field] = ["Give the time with its time zone."]
    if errors:
        return errors
    now = timezone.now()
    if not now - SHOWING_HORIZON <= starts_at <= now + SHOWING_HORIZON:
        errors["starts_at"] = ["Choose a date within two years of today."]
    elif ends_at <= starts_at:
        errors["ends_at"] = ["The showing must end after it starts."]
    elif ends_at - starts_at > SHOWING_MAX_LENGTH:
        hours = int(SHOWING_MAX_LENGTH.total_seconds() // 3600)
        errors["ends_at"] = [f"A showing lasts at most {hours} hours."]
    return errors


def _lock_calendar(agent_id):
    """Hold the agent's calendar until the transaction ends.

    Two bookings of the same agent at once must not both pass the conflict check. On
    PostgreSQL the second one waits here on the agent's row lock until the first commits,
    and its check then sees the first showing (READ COMMITTED reads afresh per statement).
    SQLite ignores FOR UPDATE, but the settings open every transaction IMMEDIATE: one writer
    holds the database from BEGIN, so the check and the insert cannot interleave there.
    """
    list(Agent.objects.select_for_update().filter(pk=agent_id).values_list("pk", flat=True))


def _lock_showing(showing):
    """Read the showing's status afresh under its row lock.

    Two people acting on one showing at once (one cancels, one completes it) are taken one
    after the other, and the second sees what the first did rather than the page it loaded.
    """
    showing.status = (
        Showing.objects.select_for_update().values_list("status", flat=True).get(pk=showing.pk)
    )


def _check_conflicts(showing, *, actor):
    """Refuse a time that overlaps another booked showing of the same agent.

    One showing may start exactly when another ends; cancelled and completed ones free
    their time.
    """
    clash = (
        Showing.objects.filter(
            agent_id=showing.agent_id,
            status__in=BOOKED_STATUSES,
            starts_at__lt=showing.ends_at,
            ends_at__gt=showing.starts_at,
        )
        .exclude(pk=showing.pk)
        .select_related("listing")
        .order_by("starts_at", "pk")
        .first()
    )
    if clash is None:
        return
    span = (
        f"at {clash.listing.street_address} "
        f"from {clock_label(clash.starts_at)} to {clock_label(clash.ends_at)}"
    )
    if showing.agent.user_id == actor.pk:
        message = f"You already have a showing {span}."
    else:
        message = f"{showing.agent.name} already has a showing {span}."
    raise ValidationError(message, code="conflict")


def _log(showing, *, subject, actor, event, kind=ActivityKind.SYSTEM, body="", **fields):
    """Write what happened to the showing on its client's timeline."""
    if showing.client_id is None:
        return
    details = {"showing": showing.pk, "event": event}
    if "rating" in fields:
        details["rating"] = fields["rating"]
    activity_log(
        client=showing.client,
        kind=kind,
        subject=subject,
        body=body,
        actor=actor,
        listing=showing.listing,
        details=details,
        occurred_at=fields.get("occurred_at"),
    )


def _grant_booker(showing, actor):
    """An assistant who books for an agent keeps seeing and changing what they booked."""
    from guardian.shortcuts import assign_perm

    who = actor_for(actor)
    if who.is_broker or showing.agent.user_id == actor.pk:
        return
    for action in (VIEW, CHANGE):
        assign_perm(f"clients.{action}_showing", actor, showing)


@transaction.atomic
def showing_create(*, data, actor):
    """Book a showing on the actor's calendar, or a colleague's when a broker or assistant books."""
    who = actor_for(actor)
    if not who.can_write or who.agent is None:
        raise PermissionDenied("You cannot book showings.")
    data = dict(data)
    _check_fields(data, SHOWING_FIELDS)
    data["agent"] = data.get("agent") or who.agent
    showing = Showing(brokerage_id=who.brokerage_id, status=ShowingStatus.REQUESTED)
    for field, value in data.items():
        setattr(showing, field, value)
    _clean_showing(showing, actor=actor, changed=set(SHOWING_FIELDS))
    _lock_calendar(showing.agent_id)
    _check_conflicts(showing, actor=actor)
    showing.save()
    _grant_booker(showing, actor)
    _log(
        showing,
        subject=f"Showing booked: {showing.listing.street_address}, "
        f"{showing_time_label(showing.starts_at)}",
        actor=actor,
        event="booked",
    )
    event_record(
        brokerage=showing.brokerage_id,
        name=EventName.SHOWING_BOOKED,
        subject=showing,
        payload={
            "showing_id": showing.pk,
            "listing_id": showing.listing_id,
            "address": showing.listing.address_line,
            "client_id": showing.client_id,
            "agent_id": showing.agent_id,
            "starts_at": showing.starts_at.isoformat(),
            "ends_at": showing.ends_at.isoformat(),
            "status": showing.status,
        },
        actor=actor,
    )
    return showing


@transaction.atomic
def showing_update(*, showing, data, actor):
    """Change a showing; a new time or agent is a reschedule that needs confirming again."""
    data = dict(data)
    _check_fields(data, SHOWING_FIELDS)
    if "agent" in data and data["agent"] is None:
        del data["agent"]  # no agent named: the showing stays on its calendar
    changed = {field for field, value in data.items() if getattr(showing, field) != value}
    if not changed:
        return showing
    _lock_showing(showing)
    if not showing.is_booked and changed - CLOSED_SHOWING_FIELDS:
        raise ValidationError(
            f"This showing is {showing.get_status_display().lower()}; only its notes can change.",
            code="closed",
        )
    for field in changed:
        setattr(showing, field, data[field])
    _clean_showing(showing, actor=actor, changed=changed)
    moved = bool(changed & {"starts_at", "ends_at", "agent"})
    if moved:
        _lock_calendar(showing.agent_id)
        _check_conflicts(showing, actor=actor)
        # The listing side confirmed the old time, not this one; the reminder is for the new one.
        showing.status = ShowingStatus.REQUESTED
        showing.reminder_sent_at = None
        showing.sequence += 1
    elif changed & {"listing"}:
        showing.sequence += 1
    showing.save()
    if moved:
        _log(
            showing,
            subject=f"Showing moved: {showing.listing.street_address}, "
            f"{showing_time_label(showing.starts_at)}",
            actor=actor,
            event="rescheduled",
        )
    elif "client" in changed:
        _log(
            showing,
            subject=f"Showing booked: {showing.listing.street_address}, "
            f"{showing_time_label(showing.starts_at)}",
            actor=actor,
            event="booked",
        )
    return showing


def showing_reschedule(*, showing, starts_at, ends_at, actor):
    """Move a showing to a new time; it needs confirming again."""
    return showing_update(
        showing=showing, data={"starts_at": starts_at, "ends_at": ends_at}, actor=actor
    )


def _set_status(showing, status, **fields):
    showing.status = status
    showing.sequence += 1
    for field, value in fields.items():
        setattr(showing, field, value)
    showing.save(update_fields=["status", "sequence", "updated_at", *fields])


@transaction.atomic
def showing_confirm(*, showing, actor):
    """The listing side agreed to the time: the showing is confirmed."""
    _lock_showing(showing)
    if showing.status != ShowingStatus.REQUESTED:
        raise ValidationError(
            f"Only a requested showing can be confirmed; this one is "
            f"{showing.get_status_display().lower()}.",
            code="status",
        )
    _set_status(showing, ShowingStatus.CONFIRMED)
    return showing


@transaction.atomic
def showing_cancel(*, showing, actor, reason=""):
    """Call a showing off; its time is free again and the client's timeline says so."""
    _lock_showing(showing)
    if not showing.is_booked:
        raise ValidationError(
            f"This showing is already {showing.get_status_display().lower()}.", code="status"
        )
    _set_status(showing, ShowingStatus.CANCELLED)
    _log(
        showing,
        subject=f"Showing cancelled: {showing.listing.street_address}, "
        f"{showing_time_label(showing.starts_at)}",
        body=(reason or "").strip(),
        actor=actor,
        event="cancelled",
    )
    return showing


@transaction.atomic
def showing_complete(*, showing, feedback, rating, actor, now=None):
    """Record that the showing took place, with the client's feedback on their timeline."""
    now = now or timezone.now()
    _lock_showing(showing)
    if not showing.is_booked:
        raise ValidationError(
            f"This showing is already {showing.get_status_display().lower()}.", code="status"
        )
    if now < showing.starts_at:
        raise ValidationError(
            "Feedback can be recorded once the showing has started.", code="not_started"
        )
    if rating in ("", None):
        rating = None
    elif not isinstance(rating, int) or rating not in FEEDBACK_RATINGS:
        raise ValidationError({"rating": "Rate the home from 1 to 5."})
    feedback = (feedback or "").strip()
    _set_status(showing, ShowingStatus.COMPLETED, feedback=feedback, feedback_rating=rating)
    body = feedback
    if rating is not None:
        body = f"Rating: {rating}/5\n\n{feedback}".strip()
    _log(
        showing,
        kind=ActivityKind.SHOWING,
        subject=f"Showed {showing.listing.street_address}",
        body=body,
        actor=actor,
        event="completed",
        rating=rating,
        occurred_at=showing.starts_at,
    )
    return showing


# ---------- Reminders ----------


def _reminder_window():
    return timedelta(minutes=settings.SHOWING_REMINDER_MINUTES)


def _client_zone(client):
    if client.time_zone:
        try:
            return zoneinfo.ZoneInfo(client.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.warning("Client %s has an unknown time zone %r", client.pk, client.time_zone)
    return timezone.get_default_timezone()


def _send(*, template, context, to, reply_to=()):
    subject = render_to_string(f"clients/emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"clients/emails/{template}.txt", context)
    EmailMessage(subject=subject, body=body, to=to, reply_to=list(reply_to)).send()


def _remind(showing):
    """Email the agent, and the client unless they asked for no email."""
    agent, client = showing.agent, showing.client
    site_zone = timezone.get_default_timezone()
    context = {
        "showing": showing,
        "agent": agent,
        "client": client,
        "address": showing.listing.address_line,
        "link": f"{settings.SITE_URL.rstrip('/')}{showing.get_absolute_url()}",
    }
    sent = 0
    if agent.user.email:
        _send(
            template="showing_reminder_agent",
            context={
                **context,
                "when": showing_time_label(showing.starts_at, site_zone),
                "until": clock_label(showing.ends_at, site_zone),
                "zone": timezone.localtime(showing.starts_at, site_zone).tzname(),
            },
            to=[agent.user.email],
        )
        sent += 1
    if client is not None and contact_allowed(
        client=client, channel=Channel.EMAIL, purpose=ContactPurpose.SERVICE
    ):
        zone = _client_zone(client)
        _send(
            template="showing_reminder_client",
            context={
                **context,
                "when": showing_time_label(showing.starts_at, zone),
                "until": clock_label(showing.ends_at, zone),
                "zone": timezone.localtime(showing.starts_at, zone).tzname(),
            },
            to=[client.email],
            reply_to=[agent.user.email] if agent.user.email else (),
        )
        sent += 1
    return sent


def showing_reminders_send(now=None):
    """Remind agents and clients of booked showings starting soon, once per showing.

    Each showing is claimed with a conditional UPDATE before anything is sent: a run that
    overlaps another, or a retried task, finds it claimed and sends nothing. A failed send is
    logged rather than retried, since a second reminder is worse than none.
    """
    now = now or timezone.now()
    due = list(
        Showing.objects.filter(
            status__in=BOOKED_STATUSES,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + _reminder_window(),
        ).values_list("pk", flat=True)
    )
    reminded = 0
    for pk in due:
        claimed = Showing.objects.filter(
            pk=pk, reminder_sent_at__isnull=True, status__in=BOOKED_STATUSES
        ).update(reminder_sent_at=now)
        if not claimed:
            continue
        showing = Showing.objects.select_related(
            "listing", "client", "agent__user", "agent__brokerage"
        ).get(pk=pk)
        try:
            _remind(showing)
        except Exception:
            logger.exception("Could not send the reminder of showing %s", pk)
            continue
        reminded += 1
    return reminded


# ---------- Calendar feeds ----------


def _check_feed_owner(*, agent, actor, may_broker):
    who = actor_for(actor)
    if who.agent is not None and who.agent.pk == agent.pk:
        return
    same_firm = actor.is_superuser or who.brokerage_id == agent.brokerage_id
    if may_broker and who.is_broker and same_firm:
        return
    raise PermissionDenied("You can only manage your own calendar feed.")


@transaction.atomic
def calendar_feed_create(*, agent, actor):
    """A new secret calendar address for the agent; the address before it stops working."""
    _check_feed_owner(agent=agent, actor=actor, may_broker=False)
    # Two clicks at once must not leave two working addresses (the constraint would refuse).
    _lock_calendar(agent.pk)
    CalendarFeed.objects.filter(agent=agent, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return CalendarFeed.objects.create(agent=agent)


@transaction.atomic
def calendar_feed_revoke(*, feed, actor):
    """Stop a calendar address from working; a broker may do it for an agent who leaves."""
    _check_feed_owner(agent=feed.agent, actor=actor, may_broker=True)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed
