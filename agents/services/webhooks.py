"""Outgoing webhooks: a broker's subscriptions, one signed delivery per event, and its retries.

A committed domain event (:data:`agents.services.events.event_committed`) becomes one
:class:`~agents.models.WebhookDelivery` per active subscription that wants it. A delivery's body
is the JSON envelope, written once and sent byte for byte on every attempt; each attempt signs it
afresh (a new ``webhook-timestamp``, the same ``webhook-id``) so the receiver can check it and
drop a message it already has. A failed attempt is retried on :data:`RETRY_SCHEDULE`; after the
last one the delivery is dead until someone replays it.

A delivery is sent by whoever *claims* it with a conditional UPDATE that moves its
``next_attempt_at`` past now (a lease): two workers, or a worker and the beat job, can never
send the same row at once, on SQLite as on PostgreSQL; a worker that dies leaves a lease that
runs out, and the beat job picks the row up again.
"""

import ipaddress
import json
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.choices import EventName, IncomingWebhookKind, WebhookDeliveryStatus
from agents.models import (
    IncomingWebhookLog,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.services.incoming import incoming_webhook_log, incoming_webhook_verify
from mls.http import (
    NO_RETRIES,
    HttpError,
    HttpStatusError,
    ResponseTooLarge,
    SafeSession,
    TooManyRedirects,
    address_refusal,
)
from realestate.permissions import actor_for
from realestate.webhooks import secret_generate, signed_headers

# How long to wait after failed attempt number n (1 for the first): 8 attempts over ~1 day.
RETRY_SCHEDULE = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# A receiver's answer is read up to this many bytes; only an excerpt is kept.
RESPONSE_MAX_BYTES = 64 * 1024
EXCERPT_CHARS = 500
# A claimed delivery is not due again for this long: longer than one attempt can take.
SEND_LEASE = timedelta(minutes=5)
# A delivery the beat job queued waits this long for a worker before it may be queued again.
QUEUE_LEASE = timedelta(minutes=10)
# The beat job queues at most this many due deliveries a run; the rest wait a minute.
DUE_BATCH = 500
TEST_EVENT = "webhook.test"
USER_AGENT = "realestate-crm/1.0 (+webhooks)"


# ---------- who may manage webhooks ----------


def _require_broker(*, actor, brokerage_id):
    """Only a broker of the brokerage (or a superuser) manages its webhooks."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Sign in as a broker to manage webhooks.")
    if actor.is_superuser:
        return
    person = actor_for(actor)
    if not person.is_broker or person.brokerage_id != brokerage_id:
        raise PermissionDenied("Only a broker of this brokerage manages its webhooks.")


# ---------- the address a subscription posts to ----------


def _resolve(host):
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def webhook_url_check(url):
    """Refuse a URL that is not http(s), or whose host is (or resolves to) a private address.

    This is the early answer for the person typing the URL; every delivery checks the
    addresses again when it connects (``SafeSession``), so a DNS answer that changes later
    cannot lead a delivery into the private network. A host that does not resolve now is
    accepted: its deliveries fail and are retried until it does.
    """
    parts = urlsplit(url or "")
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError({"url": "Use an http:// or https:// address."})
    host = parts.hostname
    if not host:
        raise ValidationError({"url": "The address has no host name."})
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = _resolve(host)
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            raise ValidationError(
                {
                    "url": f"{host} is {reason} ({address}); webhooks are only sent to "
                    "public internet addresses."
                }
            )


def _clean_events(events):
    events = list(dict.fromkeys(events or []))
    unknown = [name for name in events if name not in EventName.values]
    if unknown:
        raise ValidationError({"events": f"Unknown event(s): {', '.join(map(str, unknown))}."})
    return events


# ---------- subscriptions ----------


@dataclass
class SubscriptionCreated:
    """A new subscription and its secret, which is shown this once and never again."""

    subscription: WebhookSubscription
    secret: str


def _subscription_validate(subscription):
    subscription.events = _clean_events(subscription.events)
    errors = {}
    try:
        subscription.full_clean(exclude=["brokerage", "created_by", "secret"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if "url" not in errors:
        try:
            webhook_url_check(subscription.url)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_subscription_create(
    *, brokerage, url, events=(), description="", is_active=True, actor
):
    """A broker's new subscription with a fresh secret (returned once, stored encrypted)."""
    _require_broker(actor=actor, brokerage_id=brokerage.pk)
    secret = secret_generate()
    subscription = WebhookSubscription(
        brokerage=brokerage,
        url=url,
        events=list(events or []),
        description=description,
        is_active=is_active,
        secret=secret,
        created_by=actor,
    )
    _subscription_validate(subscription)
    subscription.save()
    return SubscriptionCreated(subscription=subscription, secret=secret)


SUBSCRIPTION_FIELDS = ("url", "events", "description", "is_active")


@transaction.atomic
def webhook_subscription_update(*, subscription, data, actor):
    """Change a subscription's address, events, description or whether it is on."""
    _require_broker(actor=actor, brokerage_id=subscription.brokerage_id)
    for field in SUBSCRIPTION_FIELDS:
        if field in data:
            setattr(subscription, field, data[field])
    _subscription_validate(subscription)
    subscription.save(update_fields=list(SUBSCRIPTION_FIELDS))
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription, actor):
    """Remove a subscription with its delivery log."""
    _require_broker(actor=actor, brokerage_id=subscription.brokerage_id)
    subscription.delete()


@transaction.atomic
def webhook_subscription_secret_rotate(*, subscription, actor):
    """Give a subscription a new secret (returned once); the old one stops working now."""
    _require_broker(actor=actor, brokerage_id=subscription.brokerage_id)
    secret = secret_generate()
    subscription.secret = secret
    subscription.save(update_fields=["secret"])
    return secret


# ---------- fan-out of events ----------


def _subject_of(event):
    if event.subject_type_id is None:
        return None
    content_type = event.subject_type
    return {"type": f"{content_type.app_label}.{content_type.model}", "id": event.subject_id}


def webhook_body(*, message_id, event_name, timestamp, data):
    """The JSON envelope of a message, exactly as it is signed and sent."""
    envelope = {
        "id": message_id,
        "type": event_name,
        "timestamp": timestamp.isoformat(),
        "data": data,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))


def _enqueue(delivery_ids):
    from agents.tasks import webhook_delivery_send_task

    for delivery_id in delivery_ids:
        webhook_delivery_send_task.delay(delivery_id=delivery_id)


def webhook_deliveries_create(*, event):
    """One delivery of ``event`` per active subscription that wants it; each sent on commit.

    Idempotent: a subscription that already has a delivery of this event gets no second one
    (the database's unique constraint settles a race), so a retried dispatch sends nothing twice.
    """
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(
            brokerage_id=event.brokerage_id, is_active=True
        )
        if not subscription.events or event.name in subscription.events
    ]
    if not subscriptions:
        return []
    already = set(
        WebhookDelivery.objects.filter(event=event, subscription__in=subscriptions).values_list(
            "subscription_id", flat=True
        )
    )
    message_id = f"msg_{event.uid}"
    body = webhook_body(
        message_id=message_id,
        event_name=event.name,
        timestamp=event.occurred_at,
        data={**(event.payload or {}), "subject": _subject_of(event)},
    )
    now = timezone.now()
    created = []
    for subscription in subscriptions:
        if subscription.pk in already:
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription,
                    event=event,
                    message_id=message_id,
                    event_name=event.name,
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
        except IntegrityError:
            continue  # another dispatch of the same event made it first
        created.append(delivery)
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: _enqueue(ids))
    return created


@transaction.atomic
def webhook_test_send(*, subscription, actor):
    """Post a ``webhook.test`` message to one subscription now (one attempt, no retries)."""
    _require_broker(actor=actor, brokerage_id=subscription.brokerage_id)
    now = timezone.now()
    message_id = f"msg_test_{uuid.uuid4().hex}"
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        message_id=message_id,
        event_name=TEST_EVENT,
        is_test=True,
        body=webhook_body(
            message_id=message_id,
            event_name=TEST_EVENT,
            timestamp=now,
            data={
                "subscription": subscription.pk,
                "message": "A test message: your endpoint received and can verify it.",
            },
        ),
        next_attempt_at=now,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


# ---------- sending ----------


PENDING_STATES = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING)


def _claim(*, delivery_id, now, lease=None):
    """Take a delivery for one attempt; False when it is not due or someone else has it.

    Without ``lease`` the delivery must be due; with one (the beat job's claim, passed to the
    task it queued) its ``next_attempt_at`` must still be that lease, so a task that arrives
    after its lease ran out and the row was queued again sends nothing.
    """
    rows = WebhookDelivery.objects.filter(pk=delivery_id, status__in=PENDING_STATES)
    rows = rows.filter(next_attempt_at=lease) if lease else rows.filter(next_attempt_at__lte=now)
    return rows.update(next_attempt_at=now + SEND_LEASE) == 1


@dataclass
class _Outcome:
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(*, subscription, delivery):
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(
            secret=subscription.secret, message_id=delivery.message_id, body=delivery.body
        ),
    }
    outcome = _Outcome()
    try:
        with SafeSession(
            allow_private_network=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            max_bytes=RESPONSE_MAX_BYTES,
            max_redirects=0,
            retry=NO_RETRIES,
        ) as session:
            response = session.post(subscription.url, data=delivery.body.encode(), headers=headers)
        outcome.status_code = response.status
        outcome.excerpt = response.text[:EXCERPT_CHARS]
    except HttpStatusError as error:
        outcome.status_code = error.status
        outcome.excerpt = error.body.decode("utf-8", "replace")[:EXCERPT_CHARS]
    except TooManyRedirects:
        outcome.error = "The server answered with a redirect; webhooks do not follow redirects."
    except ResponseTooLarge:
        outcome.error = f"The answer was larger than {RESPONSE_MAX_BYTES // 1024} KB."
    except HttpError as error:
        outcome.error = str(error)[:500]
    return outcome


def webhook_delivery_send(*, delivery_id, lease=None, now=None):
    """One attempt of a delivery if it can be claimed; returns the attempt, or None."""
    now = now or timezone.now()
    if not _claim(delivery_id=delivery_id, now=now, lease=lease):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:  # its subscription was removed meanwhile
        return None
    subscription = delivery.subscription
    started = time.monotonic()
    if subscription.is_active or delivery.is_test:
        outcome = _post(subscription=subscription, delivery=delivery)
    else:
        outcome = _Outcome(error="The subscription is turned off.")
    duration_ms = int((time.monotonic() - started) * 1000)
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=duration_ms,
        response_excerpt=outcome.excerpt,
    )
    attempts = delivery.attempts + 1
    changes = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    last_attempt = delivery.is_test or attempts >= MAX_ATTEMPTS or not subscription.is_active
    if outcome.succeeded:
        changes.update(
            status=WebhookDeliveryStatus.SUCCEEDED, next_attempt_at=None, delivered_at=now
        )
    elif last_attempt:
        changes.update(status=WebhookDeliveryStatus.DEAD, next_attempt_at=None)
    else:
        changes.update(
            status=WebhookDeliveryStatus.RETRYING,
            next_attempt_at=now + RETRY_SCHEDULE[attempts - 1],
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    return attempt


def webhook_deliveries_queue_due(*, now=None, limit=DUE_BATCH):
    """Queue a send of every delivery now due (the beat job); returns how many were queued.

    Each is claimed for :data:`QUEUE_LEASE` before it is queued, so the next run does not
    queue it again while it waits for a worker.
    """
    from agents.tasks import webhook_delivery_send_task

    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status__in=PENDING_STATES, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    lease = now + QUEUE_LEASE
    queued = 0
    for delivery_id, due_at in due:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=PENDING_STATES, next_attempt_at=due_at
        ).update(next_attempt_at=lease)
        if claimed:
            webhook_delivery_send_task.delay(delivery_id=delivery_id, lease=lease.isoformat())
            queued += 1
    return queued


def lease_parse(value):
    """The lease a queued task carries (an ISO 8601 time), or None."""
    return datetime.fromisoformat(value) if value else None


def webhook_delivery_replay(*, delivery, actor):
    """Send a delivery again (a dead letter, or any other) with a fresh round of retries."""
    _require_broker(actor=actor, brokerage_id=delivery.subscription.brokerage_id)
    return webhook_deliveries_replay(deliveries=[delivery], actor=actor)


@transaction.atomic
def webhook_deliveries_replay(*, deliveries, actor):
    """Queue these deliveries again, each from its first attempt; returns how many."""
    deliveries = list(deliveries)
    for delivery in deliveries:
        _require_broker(actor=actor, brokerage_id=delivery.subscription.brokerage_id)
    ids = [delivery.pk for delivery in deliveries]
    now = timezone.now()
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=now
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


# ---------- incoming leads ----------


@dataclass
class LeadWebhookAnswer:
    """What the lead endpoint answers: a status and a JSON body."""

    status: int
    body: dict


def lead_webhook_receive(*, token, headers, body, remote_addr=None, now=None):
    """A lead posted, signed, by a lead source: verified, taken in once, logged.

    Raises ``IncomingWebhook.DoesNotExist`` for an unknown token (404) and ``SignatureInvalid``
    for a bad signature (401, logged by the verification). A message id that already brought
    a lead brings none again (the sender retrying); field errors are a 400 with the fields.
    """
    from clients.services.intake import lead_intake

    webhook, message_id = incoming_webhook_verify(
        token=token,
        kind=IncomingWebhookKind.LEADS,
        headers=headers,
        body=body,
        remote_addr=remote_addr,
        now=now.timestamp() if now else None,
    )
    log = {"webhook": webhook, "verified": True, "body": body, "message_id": message_id}
    log["remote_addr"] = remote_addr
    duplicate = LeadWebhookAnswer(200, {"status": "duplicate", "id": message_id})
    if IncomingWebhookLog.objects.filter(
        webhook=webhook, message_id=message_id, status_code=201
    ).exists():
        incoming_webhook_log(status_code=200, error="Already received.", **log)
        return duplicate
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        errors = {"__all__": ["Send the lead as a JSON object."]}
        incoming_webhook_log(status_code=400, error=json.dumps(errors), **log)
        return LeadWebhookAnswer(400, {"errors": errors})
    try:
        with transaction.atomic():
            lead_intake(brokerage=webhook.brokerage, data=data, incoming_webhook=webhook, now=now)
            incoming_webhook_log(status_code=201, **log)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        incoming_webhook_log(status_code=400, error=json.dumps(errors), **log)
        return LeadWebhookAnswer(400, {"errors": errors})
    except IntegrityError:
        # The same message arrived twice at once: the other request took the lead in.
        if not IncomingWebhookLog.objects.filter(
            webhook=webhook, message_id=message_id, status_code=201
        ).exists():
            raise
        incoming_webhook_log(status_code=200, error="Already received.", **log)
        return duplicate
    return LeadWebhookAnswer(201, {"status": "received", "id": message_id})


@transaction.atomic
def incoming_endpoint_create(*, brokerage, name, kind, lead_source=None, actor):
    """A broker's new incoming endpoint; its secret (``webhook.secret``) is shown once."""
    from agents.services.incoming import incoming_webhook_create

    _require_broker(actor=actor, brokerage_id=brokerage.pk)
    if lead_source is not None and lead_source.brokerage_id != brokerage.pk:
        raise ValidationError({"lead_source": "Choose a lead source of your brokerage."})
    if kind != IncomingWebhookKind.LEADS:
        lead_source = None
    return incoming_webhook_create(
        brokerage=brokerage, name=name, kind=kind, lead_source=lead_source
    )
