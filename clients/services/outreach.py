"""Outreach templates and segments: merge fields, previews with real data, the Fair Housing
gate, saved client filters, and what clients do with our messages (delivery events, replies,
unsubscribes).

Merge fields are written ``{{ client.first_name }}`` or, with a fallback for a missing value,
``{{ client.first_name|there }}``. Only the fields of :data:`MERGE_FIELDS` exist: a template is
never evaluated by the Django template engine, so it cannot reach anything else of a record.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, linebreaks

from clients.choices import (
    ActivityKind,
    AttemptStatus,
    Channel,
    EnrollmentStatus,
    OutreachChannel,
    StopReason,
    SuppressionReason,
)
from clients.models import Client
from clients.models.outreach import (
    CampaignEnrollment,
    ClientSegment,
    MessageTemplate,
    OutreachAttempt,
    Suppression,
)
from clients.services.people import activity_log
from compliance.models.privacy import ConsentSource, ConsentStatus
from compliance.services.consent import consent_record
from compliance.services.fair_housing import (
    fair_housing_override_create,
    fair_housing_publish_check,
    fair_housing_scan,
)
from realestate.formatting import money
from realestate.permissions import CHANGE, DELETE, actor_for, can, restrict

logger = logging.getLogger(__name__)

# The consent channel of each outreach channel.
CONSENT_CHANNEL = {OutreachChannel.EMAIL: Channel.EMAIL, OutreachChannel.TEXT: Channel.TEXT}
ADDRESS_FIELD = {OutreachChannel.EMAIL: "email", OutreachChannel.TEXT: "phone"}
MERGE_FIELD = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*(?:\|([^{}]*))?\}\}")
TEXT_OPT_OUT = "Reply STOP to opt out."
TEXT_MAX_LENGTH = 1600  # ten SMS segments: providers refuse longer texts


def _listing_address(listing):
    return listing.street_address if listing else ""


# Merge field -> how its value is read from the context (client, agent, listing, brokerage).
MERGE_FIELDS = {
    "client.first_name": lambda c: c.client.first_name if c.client else "",
    "client.last_name": lambda c: c.client.last_name if c.client else "",
    "client.name": lambda c: c.client.name if c.client else "",
    "client.email": lambda c: c.client.email if c.client else "",
    "client.phone": lambda c: c.client.phone if c.client else "",
    "client.city": lambda c: c.client.city if c.client else "",
    "agent.name": lambda c: c.agent.name if c.agent else "",
    "agent.first_name": lambda c: c.agent.user.first_name if c.agent else "",
    "agent.email": lambda c: c.agent.email if c.agent else "",
    "agent.phone": lambda c: c.agent.phone if c.agent else "",
    "brokerage.name": lambda c: c.brokerage.name if c.brokerage else "",
    "brokerage.phone": lambda c: c.brokerage.phone if c.brokerage else "",
    "listing.address": lambda c: _listing_address(c.listing),
    "listing.city": lambda c: c.listing.city if c.listing else "",
    "listing.price": lambda c: money(c.listing.list_price) if c.listing else "",
    "listing.beds": lambda c: (
        str(c.listing.bedrooms_total) if c.listing and c.listing.bedrooms_total is not None else ""
    ),
}


@dataclass
class MergeContext:
    """The records a message is about."""

    client: object = None
    agent: object = None
    listing: object = None
    brokerage: object = None


@dataclass
class RenderedMessage:
    subject: str
    body: str
    html_body: str
    missing: list  # merge fields without a value and without a fallback


ANY_BRACES = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def merge_fields_unknown(text):
    """The merge fields of ``text`` that do not exist, and any ``{{ ... }}`` that is not a
    merge field at all (it would be sent as typed)."""
    text = text or ""
    unknown = {name for name, _ in MERGE_FIELD.findall(text)} - set(MERGE_FIELDS)
    for braces in ANY_BRACES.findall(text):
        if not MERGE_FIELD.fullmatch(braces):
            unknown.add(" ".join(braces.strip("{} ").split()))
    return sorted(unknown)


def merge_render(text, context, missing=None):
    """``text`` with its merge fields filled in; a missing value becomes its fallback or ""."""

    def value_of(match):
        name, fallback = match.group(1), match.group(2)
        reader = MERGE_FIELDS.get(name)
        value = str(reader(context) or "") if reader else ""
        if not value:
            value = (fallback or "").strip()
            if not value and missing is not None:
                missing.append(name)
        return value

    return MERGE_FIELD.sub(value_of, text or "")


def message_render(*, template, context, opt_out=False, unsubscribe_url=""):
    """The subject, text and HTML of a template for one client. In the HTML every value is
    escaped: a client named ``<b>`` is shown as typed, never as markup. With ``opt_out`` an
    email ends with its ``unsubscribe_url`` and a text says how to opt out."""
    missing = []
    subject = " ".join(merge_render(template.subject, context, missing).split())
    body = merge_render(template.body, context, missing).strip()
    html_body = ""
    if template.channel == OutreachChannel.TEXT and opt_out and "stop" not in body.lower():
        body = f"{body}\n{TEXT_OPT_OUT}"
    if template.channel == OutreachChannel.EMAIL:
        html_body = linebreaks(escape(body))
        if opt_out and unsubscribe_url:
            body = f"{body}\n\n--\nUnsubscribe: {unsubscribe_url}"
            html_body += (
                f'\n<p class="unsubscribe"><a href="{escape(unsubscribe_url)}">Unsubscribe</a></p>'
            )
    return RenderedMessage(
        subject=subject, body=body, html_body=html_body, missing=sorted(set(missing))
    )


def merge_context(*, client=None, listing=None, agent=None, brokerage=None):
    """The records a message to ``client`` is about: their agent and brokerage by default."""
    agent = agent or (client.assigned_agent if client is not None else None)
    brokerage = brokerage or (client.brokerage if client is not None else None)
    return MergeContext(client=client, agent=agent, listing=listing, brokerage=brokerage)


# ---------------------------------------------------------------------------------------------
# Templates

TEMPLATE_FIELDS = ("name", "channel", "subject", "body")


def _template_check(template):
    errors = {}
    for name in ("subject", "body"):
        unknown = merge_fields_unknown(getattr(template, name))
        if unknown:
            errors[name] = [
                "Unknown merge field: " + ", ".join("{{ " + field + " }}" for field in unknown)
            ]
    if template.channel == OutreachChannel.EMAIL and not template.subject.strip():
        errors.setdefault("subject", []).append("An email needs a subject.")
    if template.channel == OutreachChannel.TEXT:
        template.subject = ""
        if len(template.body) > TEXT_MAX_LENGTH:
            errors.setdefault("body", []).append(
                f"A text can be at most {TEXT_MAX_LENGTH} characters."
            )
    try:
        template.full_clean(exclude=["brokerage", "owner"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    template.findings = [
        finding.as_dict()
        for finding in fair_housing_scan(
            text=template.scanned_text, brokerage=template.brokerage_id
        )
    ]


@transaction.atomic
def template_create(*, data, actor):
    """A new template of the actor's brokerage, scanned by the Fair Housing checker."""
    who = actor_for(actor)
    if who.agent is None or not who.can_write:
        raise PermissionDenied("You cannot add templates.")
    template = MessageTemplate(brokerage_id=who.brokerage_id, owner=who.agent)
    for name in TEMPLATE_FIELDS:
        if name in data:
            value = data[name]
            setattr(template, name, value.strip() if isinstance(value, str) else value)
    _template_check(template)
    template.save()
    return template


@transaction.atomic
def template_update(*, template, data, actor):
    """Change a template; it is scanned again (an override covers only the exact text)."""
    if not can(actor, template, CHANGE):
        raise PermissionDenied("You cannot change this template.")
    unknown = set(data) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    for name, value in data.items():
        setattr(template, name, value.strip() if isinstance(value, str) else value)
    _template_check(template)
    template.save()
    return template


@transaction.atomic
def template_delete(*, template, actor):
    """Remove a template no campaign step uses."""
    if not can(actor, template, DELETE):
        raise PermissionDenied("You cannot remove this template.")
    from clients.models import CampaignStep

    if CampaignStep.objects.filter(template=template).exists():
        raise ValidationError("A campaign uses this template: remove it from the campaign first.")
    template.delete()


def template_usable_check(*, template, field="template"):
    """Refuse a template with Fair Housing findings unless the broker approved its exact
    text; raises a ``ValidationError`` on ``field``."""
    try:
        fair_housing_publish_check(
            text=template.scanned_text, brokerage=template.brokerage_id, field=field
        )
    except ValidationError as error:
        messages = [f"“{template.name}”: {message}" for message in error.messages]
        raise ValidationError({field: messages}, code="fair_housing") from error


def template_is_usable(template):
    """Whether a campaign may send ``template`` (see :func:`template_usable_check`)."""
    try:
        template_usable_check(template=template)
    except ValidationError:
        return False
    return True


def template_approve(*, template, reason, actor):
    """The broker approves a template's exact text despite its findings (the override log)."""
    if not can(actor, template):
        raise PermissionDenied("You cannot see this template.")
    return fair_housing_override_create(text=template.scanned_text, reason=reason, actor=actor)


def template_preview(*, template, actor, client=None, listing=None):
    """The template as ``client`` would get it, with ``listing``; both must be records the
    actor may see (another's client is refused, not shown)."""
    from properties.models import Property

    if client is not None and not can(actor, client):
        raise PermissionDenied("You cannot see this client.")
    if listing is not None and not can(actor, listing):
        raise PermissionDenied("You cannot see this listing.")
    if client is not None:
        client = Client.objects.select_related("assigned_agent__user", "brokerage").get(
            pk=client.pk
        )
    if listing is not None:
        listing = Property.objects.get(pk=listing.pk)
    agent = None if client is not None else actor_for(actor).agent
    context = merge_context(
        client=client, listing=listing, agent=agent, brokerage=template.brokerage
    )
    # Each message carries its own unsubscribe link; the preview shows where it goes.
    return message_render(
        template=template, context=context, opt_out=True, unsubscribe_url="#unsubscribe"
    )


# ---------------------------------------------------------------------------------------------
# Segments

IGNORED_SEGMENT_PARAMS = ("page", "page_size", "sort", "board")


def _segment_filterset(query, user):
    from clients.filtersets import ClientFilterSet

    data = QueryDict(query or "", mutable=True)
    for name in IGNORED_SEGMENT_PARAMS:
        data.pop(name, None)
    return ClientFilterSet(
        data,
        queryset=restrict(Client.objects.all(), user),
        request=SimpleNamespace(user=user),
    )


def segment_clients(*, segment, user=None):
    """The clients a segment holds now: its filters over what ``user`` (by default its
    owner) may see."""
    filterset = _segment_filterset(segment.query, user or segment.owner.user)
    if not filterset.is_valid():
        return Client.objects.none()
    return filterset.qs.order_by("pk")


def _segment_check(segment):
    data = QueryDict(segment.query or "", mutable=True)
    for name in IGNORED_SEGMENT_PARAMS:
        data.pop(name, None)
    segment.query = data.urlencode()
    filterset = _segment_filterset(segment.query, segment.owner.user)
    errors = {}
    unknown = sorted(set(data) - set(filterset.filters))
    if unknown:
        errors["query"] = ["Not a client filter: " + ", ".join(unknown)]
    if not filterset.is_valid():
        errors.setdefault("query", []).extend(
            f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()
        )
    try:
        segment.full_clean(exclude=["brokerage", "owner"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def segment_create(*, name, query, actor):
    """Save the client list's filters under a name, for campaigns."""
    who = actor_for(actor)
    if who.agent is None or not who.can_write:
        raise PermissionDenied("You cannot add segments.")
    segment = ClientSegment(
        brokerage_id=who.brokerage_id, owner=who.agent, name=(name or "").strip(), query=query
    )
    _segment_check(segment)
    segment.save()
    return segment


@transaction.atomic
def segment_update(*, segment, data, actor):
    """Rename a segment or change its filters (checked like the client list checks them)."""
    if not can(actor, segment, CHANGE):
        raise PermissionDenied("You cannot change this segment.")
    if "name" in data:
        segment.name = (data["name"] or "").strip()
    if "query" in data:
        segment.query = data["query"] or ""
    _segment_check(segment)
    segment.save()
    return segment


@transaction.atomic
def segment_delete(*, segment, actor):
    """Remove a segment no campaign uses."""
    if not can(actor, segment, DELETE):
        raise PermissionDenied("You cannot remove this segment.")
    if segment.campaigns.exists():
        raise ValidationError("A campaign uses this segment.")
    segment.delete()


# ---------------------------------------------------------------------------------------------
# What clients do: delivery events, replies and unsubscribes


def enrollment_stop(*, enrollment, reason, now=None):
    """Stop one client's campaign; a stopped enrollment stays stopped."""
    if enrollment is None:
        return False
    now = now or timezone.now()
    stopped = CampaignEnrollment.objects.filter(
        pk=enrollment.pk, status=EnrollmentStatus.ACTIVE
    ).update(status=EnrollmentStatus.STOPPED, stop_reason=reason, stopped_at=now)
    if stopped:
        OutreachAttempt.objects.filter(
            enrollment_id=enrollment.pk, status=AttemptStatus.QUEUED
        ).update(
            status=AttemptStatus.SKIPPED,
            skip_reason=f"The campaign stopped for this client: {StopReason(reason).label}.",
        )
    return bool(stopped)


STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
EVENT_TYPES = {
    "email.delivered",
    "email.opened",
    "email.clicked",
    "email.bounced",
    "email.complained",
    "email.replied",
    "sms.delivered",
    "sms.bounced",
    "sms.failed",
    "sms.replied",
}


def suppression_add(*, brokerage_id, channel, address, reason, attempt=None):
    """Stop sending to an address (idempotent)."""
    address = (address or "").strip()
    if channel == OutreachChannel.EMAIL:
        address = address.lower()
    if not address:
        return None
    suppression, _ = Suppression.objects.get_or_create(
        brokerage_id=brokerage_id,
        channel=channel,
        address=address,
        defaults={"reason": reason, "attempt": attempt},
    )
    return suppression


def _event_attempt(brokerage, channel, data):
    attempts = OutreachAttempt.objects.filter(brokerage=brokerage, channel=channel).select_related(
        "client", "enrollment", "campaign"
    )
    message_id = str(data.get("message_id") or "").strip("<> ")
    if message_id:
        found = attempts.filter(provider_message_id=message_id).first()
        if found is not None:
            return found
    address = str(data.get("email") or data.get("phone") or data.get("from") or "").strip()
    if address:
        if channel == OutreachChannel.EMAIL:
            address = address.lower()
        return (
            attempts.filter(to_address=address, sent_at__isnull=False)
            .order_by("-sent_at", "-pk")
            .first()
        )
    return None


@transaction.atomic
def delivery_event_apply(*, brokerage, payload):
    """Apply one provider event ``{"type": "email.bounced", "data": {...}}`` to the message it
    is about; returns what it did. Events are idempotent: each time is kept the first time."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise ValidationError('Send a JSON object {"type": ..., "data": {...}}.')
    kind = payload.get("type")
    if kind not in EVENT_TYPES:
        raise ValidationError(f"Unknown event type {kind!r}.")
    data = payload["data"]
    channel = OutreachChannel.EMAIL if kind.startswith("email.") else OutreachChannel.TEXT
    event = kind.split(".", 1)[1]
    when = parse_datetime(str(data.get("occurred_at") or "")) or timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    attempt = _event_attempt(brokerage, channel, data)
    if event in ("bounced", "complained", "failed"):
        address = attempt.to_address if attempt else data.get("email") or data.get("phone")
        if event != "failed" or data.get("permanent"):
            reason = (
                SuppressionReason.COMPLAINED if event == "complained" else SuppressionReason.BOUNCED
            )
            suppression_add(
                brokerage_id=brokerage.pk,
                channel=channel,
                address=address,
                reason=reason,
                attempt=attempt,
            )
    if attempt is None:
        return "no matching message"
    stamp = {
        "delivered": "delivered_at",
        "opened": "opened_at",
        "clicked": "clicked_at",
        "bounced": "bounced_at",
        "failed": "bounced_at",
        "complained": "complained_at",
        "replied": "replied_at",
    }[event]
    OutreachAttempt.objects.filter(pk=attempt.pk, **{f"{stamp}__isnull": True}).update(
        **{stamp: when}
    )
    if event in ("opened", "clicked"):
        # An opened message was delivered, even if the provider's event for that got lost.
        OutreachAttempt.objects.filter(pk=attempt.pk, delivered_at__isnull=True).update(
            delivered_at=when
        )
    if event in ("bounced", "complained") or (event == "failed" and data.get("permanent")):
        enrollment_stop(enrollment=attempt.enrollment, reason=StopReason.SUPPRESSED, now=when)
    if event == "replied":
        text = str(data.get("text") or "").strip()
        if channel == OutreachChannel.TEXT and text.lower().strip(" .!") in STOP_WORDS:
            _unsubscribe(attempt, now=when, note="Replied STOP to a text")
            return "unsubscribed"
        first_reply = enrollment_stop(
            enrollment=attempt.enrollment, reason=StopReason.REPLIED, now=when
        )
        campaign = f" to “{attempt.campaign.name}”" if attempt.campaign else ""
        activity_log(
            client=attempt.client,
            kind=ActivityKind.EMAIL if channel == OutreachChannel.EMAIL else ActivityKind.TEXT,
            subject=f"Replied{campaign}",
            body=text[:5000],
            details={"outreach_attempt": attempt.pk, "campaign": attempt.campaign_id},
            occurred_at=when,
        )
        return "reply recorded" if first_reply or attempt.enrollment_id is None else "reply"
    return event


def _unsubscribe(attempt, *, now, note):
    OutreachAttempt.objects.filter(pk=attempt.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    consent_record(
        client=attempt.client,
        channel=CONSENT_CHANNEL[attempt.channel],
        status=ConsentStatus.REVOKED,
        source=ConsentSource.UNSUBSCRIBE,
        note=note,
    )
    if enrollment_stop(enrollment=attempt.enrollment, reason=StopReason.UNSUBSCRIBED, now=now):
        activity_log(
            client=attempt.client,
            kind=ActivityKind.SYSTEM,
            subject=f"Unsubscribed from “{attempt.campaign.name}”"
            if attempt.campaign
            else "Unsubscribed from our messages",
            details={"outreach_attempt": attempt.pk, "campaign": attempt.campaign_id},
            occurred_at=now,
        )


@transaction.atomic
def outreach_unsubscribe(*, token, now=None):
    """The client's unsubscribe link of a campaign email: no more email from the brokerage
    (recorded in the consent log) and their campaign stops. ``None`` for an unknown token."""
    attempt = (
        OutreachAttempt.objects.select_related("client", "enrollment", "campaign", "brokerage")
        .filter(unsubscribe_token=token)
        .first()
    )
    if attempt is None:
        return None
    _unsubscribe(attempt, now=now or timezone.now(), note="Unsubscribe link of a campaign email")
    return attempt


def unsubscribe_url_for(attempt):
    """The absolute unsubscribe link of one message."""
    from clients.services.alerts import site_url

    return site_url(reverse("clients:outreach-unsubscribe", args=[attempt.unsubscribe_token]))


def attempt_state(attempt):
    """A short word of where a message is."""
    for stamp, label in (
        ("unsubscribed_at", "Unsubscribed"),
        ("replied_at", "Replied"),
        ("complained_at", "Complained"),
        ("bounced_at", "Bounced"),
        ("clicked_at", "Clicked"),
        ("opened_at", "Opened"),
        ("delivered_at", "Delivered"),
    ):
        if getattr(attempt, stamp):
            return label
    return attempt.get_status_display()
